//! The session cache on the `authjs-pg` profile
//! (`AuthJsConfig::session_cache`), told of the Auth.js app's changes:
//! with `listen_for_session_changes`, a sign-out and a user deletion by
//! the real adapter (`@auth/pg-adapter` 1.11.3 under Node) and a plain SQL
//! expiry are seen through the cache within milliseconds of the write
//! (each run prints a `figures:` line), though the staleness bound is a
//! minute; without the listener a hit is served from memory.

use std::io::Write as _;
use std::time::{Duration, Instant};

use authstore::NewUser;
use authstore::Profile;
use authstore::authjs::{AuthJsConfig, AuthJsStore};
use authstore_migration::ProfileMigrations;
use authstore_tests::interop::{self, NextAuth};
use authstore_tests::{Backend, TestDb};
use chrono::TimeDelta;
use sea_orm::ConnectionTrait;
use serde_json::json;

fn cached(db: sea_orm::DatabaseConnection) -> AuthJsStore {
    let config = AuthJsConfig::default()
        .session_cache(1_000, TimeDelta::minutes(1))
        .unwrap();
    AuthJsStore::new(db, config)
}

async fn served(store: &AuthJsStore, token: &str) -> bool {
    store.get_session_and_user(token).await.unwrap().is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_revocations_are_heard_through_the_cache() {
    if !interop::authjs_installed() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "cache_authjs").await else {
        return;
    };
    Profile::AuthJsPg.up(&db.conn).await.unwrap();
    let store = cached(db.conn.clone());
    let app = NextAuth::new("authjs/authjs.mjs", &db.url);

    // Not listening yet: a row deleted behind the store's back is a hit.
    let ada = NewUser {
        email: Some("ada@example.com".into()),
        ..Default::default()
    };
    let ada = store.create_user(ada).await.unwrap().id;
    let token = store.create_session(ada).await.unwrap().session_token;
    assert!(served(&store, token.expose()).await);
    app.run(json!([{ "op": "deleteSession", "args": [token.expose()] }]));
    assert!(
        served(&store, token.expose()).await,
        "a hit, within the staleness bound"
    );

    store.listen_for_session_changes().unwrap();
    db.wait_for_listeners(1).await;
    let mut delays = Vec::new();
    for (n, how) in [
        "the app's sign-out",
        "the app's user deletion",
        "SQL expiry",
    ]
    .into_iter()
    .enumerate()
    {
        let user = NewUser {
            email: Some(format!("user{n}@example.com")),
            ..Default::default()
        };
        let user = store.create_user(user).await.unwrap().id;
        let token = store.create_session(user).await.unwrap().session_token;
        let token = token.expose();
        assert!(served(&store, token).await);
        match how {
            "the app's sign-out" => {
                app.run(json!([{ "op": "deleteSession", "args": [token] }]));
            }
            "the app's user deletion" => {
                app.run(json!([{ "op": "deleteUser", "args": [user] }]));
            }
            _ => {
                let expire = format!(
                    r#"UPDATE sessions SET expires = now() - interval '1 minute' WHERE "sessionToken" = '{token}'"#
                );
                db.conn.execute_unprepared(&expire).await.unwrap();
            }
        }
        let started = Instant::now();
        while served(&store, token).await {
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
        "figures: postgres: authjs-pg: seen through the cache after: {}",
        delays.join(", ")
    );
    db.destroy().await;
}
