//! One live PostgreSQL database shared with next-auth 2.0.0-beta.73's own
//! TypeORM adapter and models (run by `tests/interop/nextauth2beta.js` under
//! Node, with `TZ=America/St_Johns`, a zone half an hour off the hour with
//! daylight saving), and authstore's `next-auth-v2-beta` profile configured
//! with the same wall-clock zone: what either side writes, the other reads
//! as the same instant. Also: next-auth's own `synchronize` builds exactly
//! our migration's schema, and a database it built and filled is adopted.
//!
//! Needs `npm ci --prefix tests/interop` (CI does it); without it the tests
//! are skipped with a note, or fail when `CI` is set.

use authstore::{AuthStore, Config, NewAccount, Profile, Tz};
use authstore_migration::ProfileMigrations;
use authstore_tests::interop::{self, NextAuth, SECRET, instant, ms, with_clock};
use authstore_tests::{Backend, TestDb};
use chrono::{TimeDelta, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const NODE_TZ: &str = "America/St_Johns";

fn zone() -> Tz {
    NODE_TZ.parse().unwrap()
}

fn v2_store(db: &TestDb, zone: Tz) -> AuthStore {
    let config = Config::builder(SECRET)
        .profile(Profile::NextAuthV2Beta)
        .wall_clock_zone(zone)
        .build()
        .unwrap();
    AuthStore::new(db.conn.clone(), config)
}

fn next_auth(db: &TestDb) -> NextAuth {
    NextAuth {
        tz: Some(NODE_TZ),
        ..NextAuth::new("nextauth2beta.js", &db.url)
    }
}

/// A PostgreSQL database with authstore's next-auth-v2-beta schema, and
/// next-auth 2.0 beta and authstore on it.
async fn shared(test: &str) -> Option<(TestDb, NextAuth, AuthStore)> {
    if !interop::installed() {
        return None;
    }
    let db = TestDb::create(Backend::Postgres, test).await?;
    Profile::NextAuthV2Beta.up(&db.conn).await.unwrap();
    let (next_auth, store) = (next_auth(&db), v2_store(&db, zone()));
    Some((db, next_auth, store))
}

#[tokio::test]
async fn wall_clock_times_are_the_same_instant_in_the_configured_zone() {
    let Some((db, next_auth, store)) = shared("v2_interop_zone").await else {
        return;
    };
    // next-auth writes the session's expiry as St John's wall-clock time.
    let out = next_auth.run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com", "name": "Ada" }] },
        { "op": "createSession", "args": ["$0"] },
    ]));
    let token = out[1]["sessionToken"].as_str().unwrap();
    let found = store
        .sessions()
        .get_session_and_user(token)
        .await
        .unwrap()
        .expect("authstore accepts next-auth 2.0 beta's session");
    assert_eq!(found.session.expires, instant(&out[1]["expires"]));
    assert_eq!(Value::from(found.user.id), out[0]["id"]);
    assert!(!found.renewed);

    // Read as UTC (the default), the same row is hours off: the setting is
    // what makes the instant right.
    let as_utc = v2_store(&db, Tz::UTC);
    let off = as_utc
        .sessions()
        .get_session_and_user(token)
        .await
        .unwrap()
        .unwrap();
    let shift = instant(&out[1]["expires"]) - off.session.expires;
    assert!(
        [TimeDelta::minutes(150), TimeDelta::minutes(210)].contains(&shift),
        "St John's is UTC−3:30 or −2:30, got {shift}"
    );

    // authstore writes in the zone; next-auth reads the same instant.
    let ours = store.sessions().create(found.user.id).await.unwrap();
    let read = next_auth.run(json!([
        { "op": "getSession", "args": [ours.session_token.expose()] },
    ]));
    assert_eq!(instant(&read[0]["expires"]), ms(ours.expires));
    db.destroy().await;
}

#[tokio::test]
async fn users_and_accounts_are_shared_both_ways() {
    let Some((db, next_auth, store)) = shared("v2_interop_accounts").await else {
        return;
    };
    let out = next_auth.run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com" }] },
        { "op": "linkAccount", "args": ["$0.id", "github", "oauth", "583231", "ghr_1", "gho_1", null] },
    ]));
    let ada = store
        .users()
        .get_by_account("github", "583231")
        .await
        .unwrap()
        .expect("authstore finds next-auth's account");
    assert_eq!(Value::from(ada.id), out[0]["id"]);
    let linked = store.accounts().list(ada.id).await.unwrap();
    assert_eq!(
        Value::from(linked[0].compound_id.clone()),
        out[1]["compoundId"]
    );

    let bob = store
        .users()
        .create(authstore::NewUser {
            email: Some("bob@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    store
        .accounts()
        .link(NewAccount {
            user_id: bob.id,
            provider_type: "oauth".into(),
            provider_id: "gitlab".into(),
            provider_account_id: "77".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let read = next_auth.run(json!([
        { "op": "getUserByProviderAccountId", "args": ["gitlab", "77"] },
        { "op": "getUserByEmail", "args": ["bob@example.com"] },
    ]));
    assert_eq!(read[0]["id"], Value::from(bob.id));
    assert_eq!(read[1]["id"], Value::from(bob.id));
    db.destroy().await;
}

#[tokio::test]
async fn renewal_by_either_side_is_seen_by_the_other() {
    let Some((db, next_auth, store)) = shared("v2_interop_renewal").await else {
        return;
    };
    // authstore renews a next-auth session once it is two days old.
    let out = next_auth.run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com" }] },
        { "op": "createSession", "args": ["$0"] },
    ]));
    let token = out[1]["sessionToken"].as_str().unwrap();
    let later = Utc::now() + TimeDelta::days(2);
    let renewed = with_clock(&store, later)
        .sessions()
        .get_session_and_user(token)
        .await
        .unwrap()
        .unwrap();
    assert!(renewed.renewed);
    let read = next_auth.run(json!([{ "op": "getSession", "args": [token] }]));
    assert_eq!(instant(&read[0]["expires"]), ms(renewed.session.expires));

    // next-auth renews an authstore session whose renewal is due.
    let early = Utc::now() - TimeDelta::days(2);
    let ours = with_clock(&store, early)
        .sessions()
        .create(renewed.user.id)
        .await
        .unwrap();
    let out = next_auth.run(json!([
        { "op": "getSession", "args": [ours.session_token.expose()] },
        { "op": "updateSession", "args": ["$0"] },
    ]));
    let extended = instant(&out[1]["expires"]);
    assert!(extended > ours.expires + TimeDelta::days(1), "{extended}");
    let seen = store
        .sessions()
        .get_session_and_user(ours.session_token.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ms(seen.session.expires), extended);
    db.destroy().await;
}

/// next-auth 2.0 beta refuses an expired session but keeps its row; so does
/// authstore's profile, and neither side accepts the other's expired one.
#[tokio::test]
async fn an_expired_session_is_refused_and_kept_by_both() {
    let Some((db, next_auth, store)) = shared("v2_interop_expired").await else {
        return;
    };
    let out = next_auth.run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com" }] },
        { "op": "createSession", "args": ["$0"] },
    ]));
    let theirs = out[1]["sessionToken"].as_str().unwrap().to_owned();
    let user_id = out[0]["id"].as_i64().unwrap() as i32;
    let long_ago = Utc::now() - TimeDelta::days(40);
    let ours = with_clock(&store, long_ago)
        .sessions()
        .create(user_id)
        .await
        .unwrap();

    let read = next_auth.run(json!([
        { "op": "getSession", "args": [ours.session_token.expose()] },
    ]));
    assert_eq!(
        read[0],
        Value::Null,
        "next-auth refuses authstore's expired session"
    );
    let after_expiry = Utc::now() + TimeDelta::days(31);
    assert_eq!(
        with_clock(&store, after_expiry)
            .sessions()
            .get_session_and_user(&theirs)
            .await
            .unwrap(),
        None,
        "authstore refuses next-auth's expired session"
    );
    assert_eq!(db.count_rows("sessions").await, 2, "both rows are kept");
    assert_eq!(
        with_clock(&store, after_expiry)
            .sessions()
            .purge_expired()
            .await
            .unwrap(),
        2
    );
    db.destroy().await;
}

#[tokio::test]
async fn verification_tokens_work_across_sides_once() {
    let Some((db, next_auth, store)) = shared("v2_interop_verify").await else {
        return;
    };
    // A link next-auth issued, used by authstore.
    let token = "c0ffee".repeat(10) + "c0ff";
    next_auth.run(json!([
        { "op": "createVerificationRequest", "args": ["ada@example.com", token, 86400] },
    ]));
    let used = store
        .verification()
        .consume("ada@example.com", &token)
        .await
        .unwrap();
    assert!(used.is_some(), "authstore accepts next-auth's link");
    let again = next_auth.run(json!([
        { "op": "getVerificationRequest", "args": ["ada@example.com", token] },
    ]));
    assert_eq!(again[0], Value::Null, "and it is used up for next-auth too");

    // A link authstore issued, used by next-auth (find, then delete).
    let (request, ours) = store
        .verification()
        .create("bob@example.com")
        .await
        .unwrap();
    let out = next_auth.run(json!([
        { "op": "getVerificationRequest", "args": ["bob@example.com", ours.expose()] },
        { "op": "deleteVerificationRequest", "args": ["bob@example.com", ours.expose()] },
    ]));
    assert_eq!(out[0]["identifer"], "bob@example.com");
    assert_eq!(instant(&out[0]["expires"]), ms(request.expires));
    assert_eq!(
        store
            .verification()
            .consume("bob@example.com", ours.expose())
            .await
            .unwrap(),
        None
    );
    db.destroy().await;
}

/// Columns and indexes of every table but the migration bookkeeping of
/// either side (`seaql_migrations`, TypeORM's empty `typeorm_metadata`).
async fn schema_of(db: &TestDb) -> (Vec<String>, Vec<String>) {
    let columns = db
        .strings(
            "SELECT concat_ws(' | ', table_name, column_name, ordinal_position, data_type,
                    coalesce(character_maximum_length::text, '-'), is_nullable,
                    coalesce(column_default, '-')) AS name
             FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name NOT IN ('seaql_migrations', 'typeorm_metadata')
             ORDER BY table_name, ordinal_position",
        )
        .await;
    let indexes = db
        .strings(
            "SELECT indexdef AS name FROM pg_indexes
             WHERE schemaname = 'public' AND tablename NOT IN ('seaql_migrations', 'typeorm_metadata')
               AND indexname <> 'sessions_user_id'
             ORDER BY indexname",
        )
        .await;
    (columns, indexes)
}

/// next-auth 2.0 beta's own `synchronize`, the committed fixture, and our
/// migration make the same tables, column for column and index for index
/// (ours adds only foreign keys and `sessions_user_id`).
#[tokio::test]
async fn next_auth_2_beta_synchronize_makes_our_schema() {
    if !interop::installed() {
        return;
    }
    let Some(theirs) = TestDb::create(Backend::Postgres, "v2_sync_theirs").await else {
        return;
    };
    let ours = TestDb::create(Backend::Postgres, "v2_sync_ours")
        .await
        .unwrap();
    let fixture = TestDb::create(Backend::Postgres, "v2_sync_fixture")
        .await
        .unwrap();
    NextAuth {
        synchronize: true,
        ..next_auth(&theirs)
    }
    .run(json!([{ "op": "sync" }]));
    Profile::NextAuthV2Beta.up(&ours.conn).await.unwrap();
    fixture
        .conn
        .execute_unprepared(include_str!("../fixtures/next-auth-v2-beta-postgres.sql"))
        .await
        .unwrap();
    let expected = schema_of(&theirs).await;
    assert_eq!(expected.0.len(), 31);
    assert_eq!(expected.1.len(), 12, "4 primary keys, 5 unique, 3 plain");
    assert_eq!(schema_of(&ours).await, expected);
    assert_eq!(schema_of(&fixture).await, expected);
    for db in [theirs, ours, fixture] {
        db.destroy().await;
    }
}

/// A database next-auth 2.0 beta made and filled is adopted: no row
/// changes, our foreign keys and index are added, and its data works.
#[tokio::test]
async fn a_database_next_auth_2_beta_made_is_adopted() {
    if !interop::installed() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "v2_adopt").await else {
        return;
    };
    let token = "ab".repeat(32);
    let out = NextAuth {
        synchronize: true,
        ..next_auth(&db)
    }
    .run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com" }] },
        { "op": "linkAccount", "args": ["$0.id", "github", "oauth", "583231", null, "gho_1", null] },
        { "op": "createSession", "args": ["$0"] },
        { "op": "createVerificationRequest", "args": ["carol@example.com", token, 86400] },
    ]));
    let snapshot = db.table_snapshot().await;
    Profile::NextAuthV2Beta
        .up(&db.conn)
        .await
        .expect("adoption must not fail");
    assert_eq!(
        db.table_snapshot().await,
        snapshot,
        "adoption touches no row"
    );
    let fks = db.foreign_keys().await;
    assert_eq!(fks, ["fk_accounts_user_id", "fk_sessions_user_id"]);

    let store = v2_store(&db, zone());
    let found = store
        .sessions()
        .get_session_and_user(out[2]["sessionToken"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        found.map(|f| f.session.expires),
        Some(instant(&out[2]["expires"]))
    );
    assert!(
        store
            .verification()
            .consume("carol@example.com", &token)
            .await
            .unwrap()
            .is_some()
    );
    db.destroy().await;
}
