//! Fault injection on PostgreSQL.
//!
//! - A server-side connection killed (`pg_terminate_backend`) in the middle of
//!   a multi-statement operation: the operation fails with a typed error,
//!   leaves no partial rows, and the next call works without a restart. The
//!   operation is held at a known point by a table lock from another
//!   connection, so the kill always lands mid-way.
//! - The database disappearing under a pool (a TCP proxy the test stops):
//!   calls fail with typed errors within the pool's timeout, never hang, and
//!   recover when it is back.

use std::io::Write as _;
use std::time::{Duration, Instant};

use authstore::entity::{accounts, sessions, users};
use authstore::{AuthStore, Config, Error, NewAccount, NewUser};
use authstore_migration::{Migrator, MigratorTrait};
use authstore_tests::{Backend, TestDb, connect};
use chrono::{TimeDelta, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, TransactionTrait,
};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinSet;

fn figures(line: &str) {
    let _ = writeln!(std::io::stderr(), "figures: postgres: {line}");
}

async fn setup(name: &str) -> Option<(TestDb, AuthStore)> {
    let db = TestDb::create(Backend::Postgres, name).await?;
    Migrator::up(&db.conn, None).await.unwrap();
    let store = AuthStore::new(db.conn.clone(), Config::new("faults").unwrap());
    Some((db, store))
}

/// Locks `table` from another connection until the returned transaction ends.
async fn lock(db: &TestDb, table: &str) -> (DatabaseConnection, DatabaseTransaction) {
    let holder = connect(&db.url).await.unwrap();
    let txn = holder.begin().await.unwrap();
    txn.execute_unprepared(&format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        .await
        .unwrap();
    (holder, txn)
}

/// Waits until a statement starting with `prefix` is blocked on a lock, then
/// terminates its server process.
async fn kill_blocked(db: &TestDb, prefix: &str) {
    let admin = connect(&db.url).await.unwrap();
    let find = format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' \
         AND query LIKE '{prefix}%'"
    );
    for _ in 0..500 {
        let rows = admin
            .query_all_raw(sea_orm::Statement::from_string(
                db.db_backend(),
                find.clone(),
            ))
            .await
            .unwrap();
        if let Some(row) = rows.first() {
            let pid: i32 = row.try_get("", "pid").unwrap();
            admin
                .execute_unprepared(&format!("SELECT pg_terminate_backend({pid})"))
                .await
                .unwrap();
            admin.close().await.ok();
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no statement `{prefix}…` ever blocked");
}

async fn count<E>(db: &TestDb) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    E::find().count(&db.conn).await.unwrap()
}

fn github(user_id: i32) -> NewAccount {
    NewAccount {
        user_id,
        provider_type: "oauth".into(),
        provider_id: "github".into(),
        provider_account_id: format!("gh-{user_id}"),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_killed_mid_delete_user_leaves_everything() {
    let Some((db, store)) = setup("fault_delete_user").await else {
        return;
    };
    let user = store
        .users()
        .create(NewUser {
            email: Some("ada@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    store.accounts().link(github(user.id)).await.unwrap();
    store.sessions().create(user.id).await.unwrap();
    store.sessions().create(user.id).await.unwrap();

    // The delete removes sessions, then waits on the locked accounts table.
    let (holder, locked) = lock(&db, "accounts").await;
    let deleting = tokio::spawn({
        let store = store.clone();
        async move { store.users().delete(user.id).await }
    });
    kill_blocked(&db, r#"DELETE FROM "accounts""#).await;
    locked.rollback().await.unwrap();
    holder.close().await.ok();

    let err = deleting
        .await
        .unwrap()
        .expect_err("the killed delete fails");
    assert!(matches!(err, Error::Database(_)), "typed: {err:?}");
    assert_eq!(err.to_string(), "database error");
    assert_eq!(
        (
            count::<users::Entity>(&db).await,
            count::<accounts::Entity>(&db).await
        ),
        (1, 1)
    );
    assert_eq!(
        count::<sessions::Entity>(&db).await,
        2,
        "the deleted sessions came back with the rollback"
    );

    store
        .users()
        .delete(user.id)
        .await
        .expect("the next call works without a restart");
    assert_eq!(
        count::<sessions::Entity>(&db).await + count::<users::Entity>(&db).await,
        0
    );
    figures("connection killed mid delete-user: typed error, 0 partial rows, next call succeeded");
    db.destroy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_killed_mid_signup_with_account_leaves_no_user() {
    let Some((db, store)) = setup("fault_signup").await else {
        return;
    };
    let (holder, locked) = lock(&db, "accounts").await;
    let signing_up = tokio::spawn({
        let store = store.clone();
        async move {
            let txn = store.connection().begin().await?;
            let user = store
                .on(&txn)
                .users()
                .create(NewUser {
                    email: Some("new@example.com".into()),
                    ..Default::default()
                })
                .await?;
            store.on(&txn).accounts().link(github(user.id)).await?;
            txn.commit().await?;
            Ok::<_, Error>(())
        }
    });
    kill_blocked(&db, r#"INSERT INTO "accounts""#).await;
    locked.rollback().await.unwrap();
    holder.close().await.ok();

    let err = signing_up
        .await
        .unwrap()
        .expect_err("the killed sign-up fails");
    assert!(matches!(err, Error::Database(_)), "typed: {err:?}");
    assert_eq!(
        (
            count::<users::Entity>(&db).await,
            count::<accounts::Entity>(&db).await
        ),
        (0, 0),
        "no half sign-up"
    );

    let user = store
        .users()
        .create(NewUser {
            email: Some("new@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    store
        .accounts()
        .link(github(user.id))
        .await
        .expect("the next call works");
    figures(
        "connection killed mid sign-up (user + account in one transaction): typed error, 0 partial rows",
    );
    db.destroy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_killed_mid_purge_loses_nothing_live() {
    let Some((db, store)) = setup("fault_purge").await else {
        return;
    };
    let user = store.users().create(NewUser::default()).await.unwrap();
    let live = store.sessions().create(user.id).await.unwrap();
    let past = (Utc::now() - TimeDelta::days(1)).fixed_offset();
    let expired: Vec<sessions::ActiveModel> = (0..2500)
        .map(|i| sessions::ActiveModel {
            user_id: Set(user.id),
            expires: Set(past),
            session_token: Set(format!("expired-{i}")),
            access_token: Set(format!("expired-access-{i}")),
            ..Default::default()
        })
        .collect();
    for chunk in expired.chunks(1000) {
        sessions::Entity::insert_many(chunk.to_vec())
            .exec(&db.conn)
            .await
            .unwrap();
    }

    let (holder, locked) = lock(&db, "sessions").await;
    let purging = tokio::spawn({
        let store = store.clone();
        async move { store.sessions().purge_expired().await }
    });
    kill_blocked(&db, r#"DELETE FROM "sessions""#).await;
    locked.rollback().await.unwrap();
    holder.close().await.ok();

    assert!(matches!(purging.await.unwrap(), Err(Error::Database(_))));
    assert_eq!(
        count::<sessions::Entity>(&db).await,
        2501,
        "an interrupted batch deletes nothing"
    );
    assert_eq!(
        store.sessions().purge_expired().await.unwrap(),
        2500,
        "the next purge finishes the job"
    );
    assert!(
        store
            .sessions()
            .get_session_and_user(live.session_token.expose())
            .await
            .unwrap()
            .is_some()
    );
    figures(
        "connection killed mid purge of 2,500: typed error, live session kept, next purge deleted 2,500",
    );
    db.destroy().await;
}

/// A TCP proxy to PostgreSQL that the test can cut.
struct Proxy {
    port: u16,
    tasks: JoinSet<()>,
}

impl Proxy {
    async fn start(port: u16) -> Proxy {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(([127, 0, 0, 1], port).into()).unwrap();
        let listener: TcpListener = socket.listen(64).unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut pipes = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                pipes.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect("127.0.0.1:5432").await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Proxy { port, tasks }
    }

    /// Closes the listener and every connection through it.
    fn cut(mut self) {
        self.tasks.abort_all();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_whose_database_vanishes_fails_fast_and_recovers() {
    let Some((db, _)) = setup("fault_pool_down").await else {
        return;
    };
    let proxy = Proxy::start(0).await;
    let port = proxy.port;
    let url = db
        .url
        .replacen("127.0.0.1:5432", &format!("127.0.0.1:{port}"), 1);
    assert_ne!(url, db.url, "the pool must go through the proxy");
    let timeout = Duration::from_secs(2);
    let mut options = ConnectOptions::new(&url);
    options
        .max_connections(3)
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        .sqlx_logging(false);
    let store = AuthStore::new(
        Database::connect(options).await.unwrap(),
        Config::new("faults").unwrap(),
    );
    let user = store.users().create(NewUser::default()).await.unwrap();

    proxy.cut();
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        let result = store.users().get(user.id).await;
        let took = started.elapsed();
        slowest = slowest.max(took);
        assert!(
            matches!(result, Err(Error::Database(_))),
            "typed error while down: {result:?}"
        );
        assert!(
            took < timeout + Duration::from_secs(3),
            "answered in {took:?}, not hung"
        );
    }

    let proxy = Proxy::start(port).await;
    let mut recovered = false;
    for _ in 0..20 {
        if store
            .users()
            .get(user.id)
            .await
            .is_ok_and(|found| found.is_some())
        {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "the same store works again once the database is back"
    );
    proxy.cut();
    figures(&format!(
        "database unreachable under a pool (timeout {timeout:?}): 5 of 5 calls typed errors, slowest {slowest:?}; recovered without restart"
    ));
    db.destroy().await;
}
