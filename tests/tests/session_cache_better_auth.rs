//! The session cache on the better-auth profile
//! (`BetterAuthConfig::session_cache`), with the guarantees the other
//! profiles' caches give.
//!
//! On every backend: a hit skips the database (a row deleted behind the
//! store's back is still served, within the staleness bound), and this
//! process's own sign-out, sign-out everywhere and user deletion are seen at
//! once.
//!
//! On PostgreSQL with `listen_for_session_changes`: another store's
//! sign-out, sign-out everywhere and user deletion, a plain SQL `DELETE`, a
//! plain SQL expiry and a plain SQL user deletion are seen through the cache
//! within milliseconds (each run prints a `figures:` line), though the
//! staleness bound is a minute.

use std::io::Write as _;
use std::time::{Duration, Instant};

use authstore::better_auth::{BetterAuthConfig, BetterAuthStore, NewUser};
use authstore::{ConfigError, Error, Profile};
use authstore_migration::ProfileMigrations;
use authstore_tests::{Backend, TestDb, backend_tests};
use chrono::TimeDelta;
use sea_orm::{ConnectionTrait, DatabaseConnection};

backend_tests!(own_changes_are_seen_at_once_and_hits_skip_the_database);

fn cached(db: DatabaseConnection) -> BetterAuthStore {
    let config = BetterAuthConfig::default()
        .session_cache(1_000, TimeDelta::minutes(1))
        .unwrap();
    BetterAuthStore::new(db, config)
}

async fn new_user(store: &BetterAuthStore, email: &str) -> String {
    let new = NewUser {
        email: email.into(),
        ..Default::default()
    };
    store.create_user(new).await.unwrap().id
}

async fn new_session(store: &BetterAuthStore, user_id: &str) -> String {
    let session = store
        .create_session(user_id, Default::default())
        .await
        .unwrap();
    session.token.expose().to_owned()
}

async fn served(store: &BetterAuthStore, token: &str) -> bool {
    store.validate_session(token).await.unwrap().is_some()
}

async fn own_changes_are_seen_at_once_and_hits_skip_the_database(db: &TestDb) {
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let store = cached(db.conn.clone());
    let ada = new_user(&store, "ada@example.com").await;
    let token = new_session(&store, &ada).await;
    assert!(served(&store, &token).await);
    // Behind the store's back: a hit is served without a database read.
    db.conn
        .execute_unprepared(&format!("DELETE FROM session WHERE token = '{token}'"))
        .await
        .unwrap();
    assert!(
        served(&store, &token).await,
        "a hit, within the staleness bound"
    );
    // This process's own sign-out is seen at once, by every clone.
    let clone = store.clone();
    store.revoke_session(&token).await.unwrap();
    assert!(!served(&clone, &token).await);

    let phone = new_session(&store, &ada).await;
    let laptop = new_session(&store, &ada).await;
    assert!(served(&store, &phone).await && served(&store, &laptop).await);
    assert_eq!(store.revoke_user_sessions(&ada).await.unwrap(), 2);
    assert!(!served(&store, &phone).await && !served(&store, &laptop).await);

    let grace = new_user(&store, "grace@example.com").await;
    let hers = new_session(&store, &grace).await;
    assert!(served(&store, &hers).await);
    store.delete_user(&grace).await.unwrap();
    assert!(!served(&store, &hers).await, "a deleted user's session");

    // Listening needs the cache, and PostgreSQL.
    let uncached = BetterAuthStore::new(db.conn.clone(), BetterAuthConfig::default());
    assert!(matches!(
        uncached.listen_for_session_changes(),
        Err(Error::Config(ConfigError::NoSessionCache))
    ));
}

/// Store `a` caches and listens; store `b`, on its own pool, is "another
/// process" (or the better-auth app) without a cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_revocation_by_another_writer_is_heard() {
    let Some(db) = TestDb::create(Backend::Postgres, "cache_better_auth").await else {
        return;
    };
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let a = cached(db.conn.clone());
    a.listen_for_session_changes().unwrap();
    let b = BetterAuthStore::new(
        authstore_tests::connect(&db.url).await.unwrap(),
        BetterAuthConfig::default(),
    );
    db.wait_for_listeners(1).await;

    let mut delays = Vec::new();
    for (n, how) in [
        "sign-out",
        "sign-out everywhere",
        "SQL DELETE",
        "SQL expiry",
        "user deletion",
        "SQL user deletion",
    ]
    .into_iter()
    .enumerate()
    {
        let user = new_user(&b, &format!("user{n}@example.com")).await;
        let token = new_session(&b, &user).await;
        assert!(served(&a, &token).await);
        let sql = |statement: String| {
            let db = &db;
            async move {
                db.conn.execute_unprepared(&statement).await.unwrap();
            }
        };
        match how {
            "sign-out" => assert!(b.revoke_session(&token).await.unwrap()),
            "sign-out everywhere" => assert_eq!(b.revoke_user_sessions(&user).await.unwrap(), 1),
            "SQL DELETE" => sql(format!("DELETE FROM session WHERE token = '{token}'")).await,
            "SQL expiry" => {
                sql(format!(
                    r#"UPDATE session SET "expiresAt" = now() - interval '1 minute' WHERE token = '{token}'"#
                ))
                .await
            }
            "user deletion" => b.delete_user(&user).await.unwrap(),
            "SQL user deletion" => {
                sql(format!(
                    r#"DELETE FROM session WHERE "userId" = '{user}'; DELETE FROM "user" WHERE id = '{user}'"#
                ))
                .await
            }
            _ => unreachable!(),
        }
        let started = Instant::now();
        while served(&a, &token).await {
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{how}: still served after 2 s (the staleness bound is 60 s)"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        delays.push(format!(
            "{how} {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }
    let _ = writeln!(
        std::io::stderr(),
        "figures: postgres: better-auth: seen through the cache of another store after: {}",
        delays.join(", ")
    );
    db.destroy().await;
}
