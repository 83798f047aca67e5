//! The session cache (`ConfigBuilder::session_cache`).
//!
//! On every profile and backend: a hit skips the database (a row deleted
//! behind the store's back is still served, within the staleness bound);
//! this process's own sign-out, revoke, sign-out everywhere, user update and
//! user deletion are seen at once; an expired session is never served; a
//! session due for renewal is renewed in the database once.
//!
//! On PostgreSQL with `listen_for_session_changes`: changes by another
//! store (another process), a plain SQL `DELETE` and an `UPDATE` of the
//! user are all seen through the cache within milliseconds, and a killed
//! listening connection flushes the cache as soon as the drop is noticed, so
//! a change made while it was down is served at most until then (measured:
//! milliseconds) and never after. A listening connection that goes silent
//! without a reset (through a proxy that stops forwarding) is noticed by
//! the listener's heartbeat within seconds. Each of those prints a
//! `figures:` line.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use authstore::{AuthStore, NewUser, UserPatch};
use authstore_migration::{Migrator, MigratorTrait};
use authstore_tests::{Backend, TestClock, TestDb, backend_tests, profile_tests};
use chrono::TimeDelta;
use sea_orm::ConnectionTrait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

profile_tests!(own_changes_are_seen_at_once_and_hits_skip_the_database);
backend_tests!(other_writers_are_seen_within_the_staleness_bound);

const MINUTE: TimeDelta = TimeDelta::minutes(1);

fn cached(db: &TestDb, clock: &TestClock, staleness: TimeDelta) -> AuthStore {
    let reading = clock.clone();
    let config = db
        .config("cache")
        .session_cache(1_000, staleness)
        .build()
        .unwrap();
    AuthStore::new(db.conn.clone(), config).with_clock(move || reading.now())
}

async fn sql(db: &TestDb, statement: &str) {
    db.conn.execute_unprepared(statement).await.unwrap();
}

async fn own_changes_are_seen_at_once_and_hits_skip_the_database(db: &TestDb) {
    db.migrate().await;
    let clock = TestClock::new();
    let store = cached(db, &clock, MINUTE);
    let sessions = store.sessions();
    let user = store.users().create(NewUser::default()).await.unwrap();
    let lookup = async |token: &authstore::Secret| {
        sessions.get_session_and_user(token.expose()).await.unwrap()
    };

    // A hit skips the database: a row deleted behind the store's back is
    // still served (within the staleness bound), until this process signs
    // the session out.
    let first = sessions.create(user.id).await.unwrap();
    assert!(lookup(&first.session_token).await.is_some());
    sql(db, &format!("DELETE FROM sessions WHERE id = {}", first.id)).await;
    assert!(
        lookup(&first.session_token).await.is_some(),
        "served from memory"
    );
    sessions.delete(first.session_token.expose()).await.unwrap();
    assert!(
        lookup(&first.session_token).await.is_none(),
        "sign-out is seen at once"
    );

    // Revoking one session, and signing out everywhere.
    let phone = sessions.create(user.id).await.unwrap();
    let laptop = sessions.create(user.id).await.unwrap();
    assert!(lookup(&phone.session_token).await.is_some());
    assert!(lookup(&laptop.session_token).await.is_some());
    sessions.revoke(user.id, phone.id).await.unwrap();
    assert!(lookup(&phone.session_token).await.is_none());
    assert!(lookup(&laptop.session_token).await.is_some());
    sessions.delete_all(user.id).await.unwrap();
    assert!(lookup(&laptop.session_token).await.is_none());

    // A user's update is seen at once; so is their deletion.
    let tablet = sessions.create(user.id).await.unwrap();
    assert_eq!(lookup(&tablet.session_token).await.unwrap().user.name, None);
    let patch = UserPatch {
        name: Some(Some("Ada".into())),
        ..Default::default()
    };
    store.users().update(user.id, patch).await.unwrap();
    let found = lookup(&tablet.session_token).await.unwrap();
    assert_eq!(found.user.name.as_deref(), Some("Ada"));

    // Renewal: a hit due for renewal goes to the database, which renews once.
    clock.advance(TimeDelta::days(2));
    let renewed = lookup(&tablet.session_token).await.unwrap();
    assert!(renewed.renewed);
    let again = lookup(&tablet.session_token).await.unwrap();
    assert!(!again.renewed);
    assert_eq!(again.session.expires, renewed.session.expires);

    // Expiry: never served once the session has expired.
    clock.advance(TimeDelta::days(31));
    assert!(lookup(&tablet.session_token).await.is_none());

    let last = sessions.create(user.id).await.unwrap();
    assert!(lookup(&last.session_token).await.is_some());
    store.users().delete(user.id).await.unwrap();
    assert!(
        lookup(&last.session_token).await.is_none(),
        "user deletion is seen at once"
    );
}

/// Without a listener (and on MySQL/MariaDB and SQLite always), another
/// writer's change is served until the entry is `max_staleness` old.
async fn other_writers_are_seen_within_the_staleness_bound(db: &TestDb) {
    db.migrate().await;
    let staleness = Duration::from_millis(300);
    let store = cached(db, &TestClock::new(), TimeDelta::milliseconds(300));
    let user = store.users().create(NewUser::default()).await.unwrap();
    let session = store.sessions().create(user.id).await.unwrap();
    let token = session.session_token.expose();
    assert!(
        store
            .sessions()
            .get_session_and_user(token)
            .await
            .unwrap()
            .is_some()
    );
    let deleted_at = Instant::now();
    sql(
        db,
        &format!("DELETE FROM sessions WHERE id = {}", session.id),
    )
    .await;
    loop {
        // Time the lookup's start: one begun inside the bound may return after it.
        let asked_after = deleted_at.elapsed();
        let found = store.sessions().get_session_and_user(token).await.unwrap();
        if found.is_none() {
            break;
        }
        assert!(
            asked_after <= staleness,
            "served beyond the staleness bound ({asked_after:?} after the delete)"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn figures(line: String) {
    let _ = writeln!(std::io::stderr(), "figures: postgres: {line}");
}

/// A migrated PostgreSQL database with two stores on separate pools: `a`
/// caches and listens, `b` is "another process" without a cache.
async fn two_processes(test: &str) -> Option<(TestDb, AuthStore, AuthStore)> {
    let db = TestDb::create(Backend::Postgres, test).await?;
    Migrator::up(&db.conn, None).await.unwrap();
    let (a, b) = stores(&db, db.conn.clone()).await;
    Some((db, a, b))
}

/// `a` on `a_conn`, caching and listening (once its LISTEN has run); `b` on
/// a pool of its own, without a cache.
async fn stores(db: &TestDb, a_conn: sea_orm::DatabaseConnection) -> (AuthStore, AuthStore) {
    let config = authstore::Config::builder("cache")
        .session_cache(1_000, MINUTE)
        .build()
        .unwrap();
    let a = AuthStore::new(a_conn, config);
    a.listen_for_session_changes().unwrap();
    let b_conn = authstore_tests::connect(&db.url).await.unwrap();
    let b = AuthStore::new(b_conn, authstore::Config::new("cache").unwrap());
    wait_for_listener(db, None).await;
    (a, b)
}

/// A session `b` made for a new user, now in `a`'s cache.
async fn cached_session(a: &AuthStore, b: &AuthStore) -> authstore::Session {
    let user = b.users().create(NewUser::default()).await.unwrap();
    let session = b.sessions().create(user.id).await.unwrap();
    let token = session.session_token.expose();
    assert!(
        a.sessions()
            .get_session_and_user(token)
            .await
            .unwrap()
            .is_some()
    );
    session
}

/// The backend pid of the store's LISTEN connection, once there is one
/// other than `not`.
async fn wait_for_listener(db: &TestDb, not: Option<i32>) -> i32 {
    let sql = format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = '{}' AND query LIKE 'LISTEN%'",
        db.name
    );
    let started = Instant::now();
    loop {
        let rows = db
            .conn
            .query_all_raw(sea_orm::Statement::from_string(
                db.db_backend(),
                sql.clone(),
            ))
            .await
            .unwrap();
        let pids: Vec<i32> = rows.iter().map(|r| r.try_get("", "pid").unwrap()).collect();
        if let Some(pid) = pids.into_iter().find(|pid| Some(*pid) != not) {
            // LISTEN has run; give the listener a moment to mark itself up.
            tokio::time::sleep(Duration::from_millis(50)).await;
            return pid;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no listener");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// How long until `a` refuses `token`; panics after `limit` (two seconds
/// unless given).
async fn refused_within(a: &AuthStore, token: &str) -> Duration {
    refused_before(a, token, Duration::from_secs(2)).await
}

async fn refused_before(a: &AuthStore, token: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    while a
        .sessions()
        .get_session_and_user(token)
        .await
        .unwrap()
        .is_some()
    {
        assert!(started.elapsed() < limit, "still served after {limit:?}");
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_revocation_by_another_writer_is_heard_through_the_cache() {
    let Some((db, a, b)) = two_processes("cache_revocations").await else {
        return;
    };
    let user = b.users().create(NewUser::default()).await.unwrap();
    let mut delays = Vec::new();
    // Each way another writer ends a session, with the session cached in `a`.
    for how in [
        "sign-out",
        "sign-out everywhere",
        "revoke",
        "SQL DELETE",
        "SQL expiry",
        "user update",
        "user deletion",
    ] {
        let session = b.sessions().create(user.id).await.unwrap();
        let token = session.session_token.expose();
        assert!(
            a.sessions()
                .get_session_and_user(token)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            a.sessions()
                .get_session_and_user(token)
                .await
                .unwrap()
                .is_some(),
            "cached"
        );
        match how {
            "sign-out" => assert!(b.sessions().delete(token).await.unwrap()),
            "sign-out everywhere" => assert_eq!(b.sessions().delete_all(user.id).await.unwrap(), 1),
            "revoke" => b.sessions().revoke(user.id, session.id).await.unwrap(),
            "SQL DELETE" => {
                sql(
                    &db,
                    &format!("DELETE FROM sessions WHERE id = {}", session.id),
                )
                .await
            }
            "SQL expiry" => {
                let past = "now() - interval '1 minute'";
                sql(
                    &db,
                    &format!(
                        "UPDATE sessions SET expires = {past} WHERE id = {}",
                        session.id
                    ),
                )
                .await
            }
            "user update" => {
                // Not a revocation: the new name must show, not the cached one.
                let patch = UserPatch {
                    name: Some(Some("Grace".into())),
                    ..Default::default()
                };
                b.users().update(user.id, patch).await.unwrap();
                let started = Instant::now();
                loop {
                    let found = a
                        .sessions()
                        .get_session_and_user(token)
                        .await
                        .unwrap()
                        .unwrap();
                    if found.user.name.as_deref() == Some("Grace") {
                        break;
                    }
                    assert!(
                        started.elapsed() < Duration::from_secs(2),
                        "old name after 2 s"
                    );
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                delays.push((how, started.elapsed()));
                b.sessions().delete(token).await.unwrap();
                continue;
            }
            "user deletion" => b.users().delete(user.id).await.unwrap(),
            _ => unreachable!(),
        }
        delays.push((how, refused_within(&a, token).await));
    }
    let shown: Vec<String> = delays
        .iter()
        .map(|(how, delay)| format!("{how} {:.1} ms", delay.as_secs_f64() * 1000.0))
        .collect();
    figures(format!(
        "seen through the cache of another store after: {}",
        shown.join(", ")
    ));
    db.destroy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_listener_never_lets_a_change_made_meanwhile_through() {
    let Some((db, a, b)) = two_processes("cache_killed_listener").await else {
        return;
    };
    let session = cached_session(&a, &b).await;
    let user_id = session.user_id;
    let token = session.session_token.expose();
    let pid = wait_for_listener(&db, None).await;
    // Kill the listening connection, and delete the session while it is
    // down: that notification is lost. The cache may serve the session only
    // until the listener notices the drop (the server closes its socket at
    // once; noticing takes one scheduling of the listener's task), then
    // flushes and bypasses; once refused, it is never served again.
    sql(&db, &format!("SELECT pg_terminate_backend({pid})")).await;
    sql(
        &db,
        &format!("DELETE FROM sessions WHERE id = {}", session.id),
    )
    .await;
    let deleted = Instant::now();
    let (mut served_after_delete, mut refused_at) = (0, None);
    while deleted.elapsed() < Duration::from_millis(500) {
        let found = a.sessions().get_session_and_user(token).await.unwrap();
        match (found, refused_at) {
            (Some(_), None) => served_after_delete += 1,
            (Some(_), Some(_)) => panic!("served again after it was refused"),
            (None, None) => refused_at = Some(deleted.elapsed()),
            (None, Some(_)) => {}
        }
        // As a request handler does between requests.
        tokio::task::yield_now().await;
    }
    let window = refused_at.expect("refused within 500 ms of the delete (the bound is 60 s)");
    let relistened = wait_for_listener(&db, Some(pid)).await;
    assert_ne!(relistened, pid);
    assert!(
        a.sessions()
            .get_session_and_user(token)
            .await
            .unwrap()
            .is_none()
    );
    // Listening again: caching resumes, and changes are heard again.
    let next = b.sessions().create(user_id).await.unwrap();
    let next_token = next.session_token.expose();
    assert!(
        a.sessions()
            .get_session_and_user(next_token)
            .await
            .unwrap()
            .is_some()
    );
    sql(&db, &format!("DELETE FROM sessions WHERE id = {}", next.id)).await;
    let delay = refused_within(&a, next_token).await;
    figures(format!(
        "listener killed, session deleted meanwhile: served {served_after_delete} times in the {:.1} ms \
         until the drop was noticed, never after; after the reconnect a deletion was heard in {:.1} ms",
        window.as_secs_f64() * 1000.0,
        delay.as_secs_f64() * 1000.0
    ));
    db.destroy().await;
}

/// A TCP proxy to PostgreSQL that can freeze the listening connection:
/// stop forwarding its bytes while keeping its sockets open, as a network
/// partition without a reset does. Connections whose client has sent
/// `LISTEN` are the listening ones.
struct Proxy {
    port: u16,
    freeze: Arc<AtomicBool>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = socket.local_addr().unwrap().port();
        let freeze = Arc::new(AtomicBool::new(false));
        let frozen = freeze.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = socket.accept().await {
                let server = TcpStream::connect(&upstream).await.unwrap();
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                let listens = Arc::new(AtomicBool::new(false));
                tokio::spawn(forward(
                    client_read,
                    server_write,
                    Some(listens.clone()),
                    listens.clone(),
                    frozen.clone(),
                ));
                tokio::spawn(forward(
                    server_read,
                    client_write,
                    None,
                    listens,
                    frozen.clone(),
                ));
            }
        });
        Proxy { port, freeze }
    }

    fn freeze_listeners(&self) {
        self.freeze.store(true, Ordering::SeqCst);
    }
}

/// Copies `from` to `to`; notes in `mark_listening` a client that sends
/// `LISTEN`; once `freeze` is set, a listening connection's bytes stop.
async fn forward(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mark_listening: Option<Arc<AtomicBool>>,
    listening: Arc<AtomicBool>,
    freeze: Arc<AtomicBool>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buffer).await else {
            return;
        };
        if n == 0 {
            return;
        }
        if let Some(mark) = &mark_listening
            && buffer[..n].windows(6).any(|w| w == b"LISTEN")
        {
            mark.store(true, Ordering::SeqCst);
        }
        while freeze.load(Ordering::SeqCst) && listening.load(Ordering::SeqCst) {
            // Held, not closed: the far side sees silence, not an error.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// A listening connection that dies silently (no reset, no error: the
/// network stops delivering) is noticed by the listener's heartbeat within
/// seconds, and the cache is bypassed from then on: a session deleted
/// meanwhile is not served for the 60 s staleness bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silently_dead_listener_is_noticed_by_its_heartbeat() {
    let Some(db) = TestDb::create(Backend::Postgres, "cache_silent_listener").await else {
        return;
    };
    Migrator::up(&db.conn, None).await.unwrap();
    let upstream = db.url.split('@').nth(1).unwrap().split('/').next().unwrap();
    let through_proxy = |port: u16| db.url.replace(upstream, &format!("127.0.0.1:{port}"));
    let proxy = Proxy::start(upstream.to_owned()).await;
    let through_proxy = through_proxy(proxy.port);
    let a_conn = authstore_tests::connect(&through_proxy).await.unwrap();
    let (a, b) = stores(&db, a_conn).await;
    let session = cached_session(&a, &b).await;
    let token = session.session_token.expose();
    proxy.freeze_listeners();
    b.sessions().delete(token).await.unwrap();
    // The heartbeat's bound is 5 s between checks plus 2 s to answer; the
    // staleness bound is 60 s.
    let refused = refused_before(&a, token, Duration::from_secs(10)).await;
    figures(format!(
        "listening connection silently cut, session deleted meanwhile: refused after {:.1} s",
        refused.as_secs_f64()
    ));
    db.destroy().await;
}
