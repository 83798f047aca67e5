//! One live PostgreSQL database shared with next-auth v3.29.10's own TypeORM
//! adapter (run by `tests/interop/nextauth.js` under Node): what either side
//! writes, the other reads the same way. Also the adoption of a database that
//! next-auth created and filled.
//!
//! Needs `npm ci --prefix tests/interop` (CI does it). Without it the tests
//! are skipped with a note, or fail when `CI` is set.

use authstore::{AuthStore, Config, NewUser, UserPatch};
use authstore_migration::{Migrator, MigratorTrait};
use authstore_tests::interop::{self, NextAuth, SECRET, instant, ms, with_clock};
use authstore_tests::{Backend, TestDb};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const SEED_DDL: &str = include_str!("../fixtures/next-auth-v3-postgres.sql");

/// A migrated PostgreSQL database with next-auth and authstore on it.
async fn shared(test: &str) -> Option<(TestDb, NextAuth, AuthStore)> {
    if !interop::installed() {
        return None;
    }
    let db = TestDb::create(Backend::Postgres, test).await?;
    Migrator::up(&db.conn, None).await.unwrap();
    let next_auth = NextAuth::new("nextauth.js", &db.url);
    let store = AuthStore::new(db.conn.clone(), Config::new(SECRET).unwrap());
    Some((db, next_auth, store))
}

#[tokio::test]
async fn what_next_auth_writes_authstore_reads() {
    let Some((db, next_auth, store)) = shared("interop_na_writes").await else {
        return;
    };
    let out = next_auth.run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com", "name": "Ada" }] },
        { "op": "linkAccount", "args": ["$0.id", "github", "oauth", "583231", "ghr_1", "gho_1", null] },
        { "op": "createSession", "args": ["$0"] },
    ]));
    let (user, account, session) = (&out[0], &out[1], &out[2]);

    let found = store
        .sessions()
        .get_session_and_user(session["sessionToken"].as_str().unwrap())
        .await
        .unwrap();
    let found = found.expect("authstore accepts next-auth's session");
    assert_eq!(Value::from(found.user.id), user["id"]);
    assert_eq!(found.user.email.as_deref(), Some("ada@example.com"));
    assert_eq!(found.session.expires, instant(&session["expires"]));
    assert!(!found.renewed);

    let owner = store
        .users()
        .get_by_account("github", "583231")
        .await
        .unwrap();
    assert_eq!(owner.map(|u| Value::from(u.id)), Some(user["id"].clone()));
    let ours = store.accounts().list(found.user.id).await.unwrap();
    assert_eq!(
        Value::from(ours[0].compound_id.clone()),
        account["compoundId"],
        "same compound_id"
    );
    assert_eq!(
        ours[0].access_token.as_ref().map(|t| t.expose().to_owned()),
        Some("gho_1".into())
    );
    db.destroy().await;
}

#[tokio::test]
async fn next_auth_accepts_authstore_sessions() {
    let Some((db, next_auth, store)) = shared("interop_as_writes").await else {
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
    let session = store.sessions().create(user.id).await.unwrap();

    let out = next_auth.run(json!([
        { "op": "getSession", "args": [session.session_token.expose()] },
        { "op": "getUser", "args": ["$0.userId"] },
    ]));
    assert_eq!(
        out[0]["userId"],
        json!(user.id),
        "next-auth finds authstore's session"
    );
    assert_eq!(out[0]["accessToken"], json!(session.access_token.expose()));
    assert_eq!(instant(&out[0]["expires"]), ms(session.expires));
    assert_eq!(out[1]["email"], "ada@example.com");
    db.destroy().await;
}

#[tokio::test]
async fn renewal_by_either_side_is_seen_by_the_other() {
    let Some((db, next_auth, store)) = shared("interop_renewal").await else {
        return;
    };
    let now = Utc::now();
    let user = store
        .users()
        .create(NewUser {
            email: Some("ada@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();

    // Created two days ago by authstore, so due; next-auth renews it.
    let old = with_clock(&store, now - TimeDelta::days(2))
        .sessions()
        .create(user.id)
        .await
        .unwrap();
    let out = next_auth.run(json!([
        { "op": "getSession", "args": [old.session_token.expose()] },
        { "op": "updateSession", "args": ["$0"] },
    ]));
    let renewed_by_next_auth = instant(&out[1]["expires"]);
    assert!(
        renewed_by_next_auth > old.expires + TimeDelta::days(1),
        "next-auth extended it"
    );
    let seen = store
        .sessions()
        .get_session_and_user(old.session_token.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        seen.session.expires, renewed_by_next_auth,
        "authstore sees next-auth's new expiry"
    );

    // Created by next-auth now; authstore, two days on, renews it.
    let out = next_auth.run(json!([
        { "op": "createUser", "args": [{ "email": "bob@example.com" }] },
        { "op": "createSession", "args": ["$0"] },
    ]));
    let token = out[1]["sessionToken"].as_str().unwrap().to_owned();
    let later = now + TimeDelta::days(2);
    let renewed = with_clock(&store, later)
        .sessions()
        .get_session_and_user(&token)
        .await
        .unwrap()
        .unwrap();
    assert!(renewed.renewed);
    let seen = next_auth.run(json!([{ "op": "getSession", "args": [token] }]));
    assert_eq!(
        instant(&seen[0]["expires"]),
        ms(renewed.session.expires),
        "next-auth sees authstore's new expiry"
    );
    db.destroy().await;
}

#[tokio::test]
async fn verification_tokens_work_across_sides_once() {
    let Some((db, next_auth, store)) = shared("interop_verification").await else {
        return;
    };

    // next-auth creates (hashing with the shared secret); authstore consumes.
    let token = "4f0c7e2a9b1d3c5e7f9a0b2c4d6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e";
    next_auth.run(
        json!([{ "op": "createVerificationRequest", "args": ["ada@example.com", token, 86400] }]),
    );
    let used = store
        .verification()
        .consume("ada@example.com", token)
        .await
        .unwrap();
    assert_eq!(used.map(|r| r.identifier), Some("ada@example.com".into()));
    let after = next_auth
        .run(json!([{ "op": "getVerificationRequest", "args": ["ada@example.com", token] }]));
    assert_eq!(after[0], Value::Null, "used once, gone for next-auth too");

    // authstore creates; next-auth finds and uses it; then it is gone for authstore.
    let (request, plain) = store
        .verification()
        .create("bob@example.com")
        .await
        .unwrap();
    let out = next_auth.run(json!([
        { "op": "getVerificationRequest", "args": ["bob@example.com", plain.expose()] },
        { "op": "deleteVerificationRequest", "args": ["bob@example.com", plain.expose()] },
        { "op": "getVerificationRequest", "args": ["bob@example.com", plain.expose()] },
    ]));
    assert_eq!(
        out[0]["id"],
        json!(request.id),
        "next-auth accepts authstore's hashed token"
    );
    assert_eq!(out[2], Value::Null);
    assert_eq!(
        store
            .verification()
            .consume("bob@example.com", plain.expose())
            .await
            .unwrap(),
        None
    );
    db.destroy().await;
}

#[tokio::test]
async fn expired_rows_are_accepted_by_neither_side() {
    let Some((db, next_auth, store)) = shared("interop_expired").await else {
        return;
    };
    let past = Utc::now() - TimeDelta::days(31);

    // authstore's expired session and verification request, read by next-auth.
    let user = store
        .users()
        .create(NewUser {
            email: Some("ada@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let stale = with_clock(&store, past)
        .sessions()
        .create(user.id)
        .await
        .unwrap();
    let (_, stale_link) = with_clock(&store, past)
        .verification()
        .create("ada@example.com")
        .await
        .unwrap();
    let out = next_auth.run(json!([
        { "op": "getSession", "args": [stale.session_token.expose()] },
        { "op": "getVerificationRequest", "args": ["ada@example.com", stale_link.expose()] },
    ]));
    assert_eq!(out, vec![Value::Null, Value::Null]);

    // next-auth's session and request, expired in the database, read by authstore.
    let token = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let out = next_auth.run(json!([
        { "op": "createSession", "args": [{ "id": user.id }] },
        { "op": "createVerificationRequest", "args": ["ada@example.com", token, 86400] },
    ]));
    db.conn
        .execute_unprepared("UPDATE sessions SET expires = now() - interval '1 minute'")
        .await
        .unwrap();
    db.conn
        .execute_unprepared(
            "UPDATE verification_requests SET expires = now() - interval '1 minute'",
        )
        .await
        .unwrap();
    let session_token = out[0]["sessionToken"].as_str().unwrap();
    assert_eq!(
        store
            .sessions()
            .get_session_and_user(session_token)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .verification()
            .consume("ada@example.com", token)
            .await
            .unwrap(),
        None
    );
    db.destroy().await;
}

#[tokio::test]
async fn a_user_deleted_by_authstore_is_gone_for_next_auth() {
    let Some((db, next_auth, store)) = shared("interop_delete").await else {
        return;
    };
    let out = next_auth.run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com" }] },
        { "op": "linkAccount", "args": ["$0.id", "github", "oauth", "583231", null, null, null] },
        { "op": "createSession", "args": ["$0"] },
    ]));
    let id = out[0]["id"].as_i64().unwrap() as i32;
    store.users().delete(id).await.unwrap();
    let after = next_auth.run(json!([
        { "op": "getUser", "args": [id] },
        { "op": "getUserByEmail", "args": ["ada@example.com"] },
        { "op": "getUserByProviderAccountId", "args": ["github", "583231"] },
        { "op": "getSession", "args": [out[2]["sessionToken"]] },
    ]));
    assert_eq!(after, vec![Value::Null; 4]);
    db.destroy().await;
}

#[tokio::test]
async fn timestamps_are_the_same_instant_on_both_sides() {
    let Some((db, next_auth, store)) = shared("interop_timestamps").await else {
        return;
    };

    // next-auth writes a date; authstore reads the same instant.
    let out = next_auth.run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com" }] },
        { "op": "updateUser", "args": [{ "id": "$0.id", "emailVerified": { "$date": "2024-02-29T23:59:59.123Z" } }] },
    ]));
    let id = out[0]["id"].as_i64().unwrap() as i32;
    let user = store.users().get(id).await.unwrap().unwrap();
    assert_eq!(
        user.email_verified.map(|t| t.to_utc()),
        Some("2024-02-29T23:59:59.123Z".parse().unwrap())
    );
    assert_eq!(ms(user.created_at.to_utc()), instant(&out[0]["createdAt"]));

    // authstore writes a date; next-auth reads the same instant.
    let at: DateTime<Utc> = "2023-07-01T08:30:00.456Z".parse().unwrap();
    store
        .users()
        .update(
            id,
            UserPatch {
                email_verified: Some(Some(at)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let read = next_auth.run(json!([{ "op": "getUser", "args": [id] }]));
    assert_eq!(read[0]["emailVerified"], "2023-07-01T08:30:00.456Z");
    db.destroy().await;
}

/// A PostgreSQL database laid out as next-auth created it (the seed DDL, no
/// authstore migration yet), with next-auth's adapter on it.
async fn created_by_next_auth(test: &str) -> Option<(TestDb, NextAuth)> {
    if !interop::installed() {
        return None;
    }
    let db = TestDb::create(Backend::Postgres, test).await?;
    db.conn.execute_unprepared(SEED_DDL).await.unwrap();
    let next_auth = NextAuth::new("nextauth.js", &db.url);
    Some((db, next_auth))
}

/// A database next-auth created (seed DDL) and filled, then migrated by
/// authstore: nothing fails, no row changes, and our additions appear.
#[tokio::test]
async fn adopting_a_database_next_auth_created() {
    let Some((db, next_auth)) = created_by_next_auth("interop_adopt").await else {
        return;
    };
    let token = "1f3e5d7c9b0a2f4e6d8c0b1a3f5e7d9c1b3a5f7e9d0c2b4a6f8e0d1c3b5a7f9e";
    let out = next_auth.run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com" }] },
        { "op": "linkAccount", "args": ["$0.id", "github", "oauth", "583231", null, "gho_1", null] },
        { "op": "createSession", "args": ["$0"] },
        { "op": "createUser", "args": [{ "email": "bob@example.com" }] },
        { "op": "createSession", "args": ["$3"] },
        { "op": "createVerificationRequest", "args": ["carol@example.com", token, 86400] },
    ]));
    let snapshot = db.table_snapshot().await;

    Migrator::up(&db.conn, None)
        .await
        .expect("adoption must not fail");
    assert_eq!(
        db.table_snapshot().await,
        snapshot,
        "adoption touches no row"
    );
    assert!(
        Migrator::get_pending_migrations(&db.conn)
            .await
            .unwrap()
            .is_empty(),
        "recorded as applied"
    );
    let fks = db.foreign_keys().await;
    assert_eq!(fks, ["fk_accounts_user_id", "fk_sessions_user_id"]);
    let index = db
        .strings(
            "SELECT indexname::text AS name FROM pg_indexes WHERE indexname = 'sessions_user_id'",
        )
        .await;
    assert_eq!(index, ["sessions_user_id"]);

    // And the adopted data works through authstore.
    let store = AuthStore::new(db.conn.clone(), Config::new(SECRET).unwrap());
    let found = store
        .sessions()
        .get_session_and_user(out[2]["sessionToken"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        found.map(|f| f.user.email),
        Some(Some("ada@example.com".into()))
    );
    assert!(
        store
            .verification()
            .consume("carol@example.com", token)
            .await
            .unwrap()
            .is_some()
    );
    db.destroy().await;
}

/// Orphans (rows whose user is gone) block the foreign keys: the migration
/// stops, names them, and changes nothing.
#[tokio::test]
async fn adoption_refuses_orphans_and_names_them() {
    let Some((db, next_auth)) = created_by_next_auth("interop_orphans").await else {
        return;
    };
    let out = next_auth.run(json!([
        { "op": "createUser", "args": [{ "email": "gone@example.com" }] },
        { "op": "linkAccount", "args": ["$0.id", "github", "oauth", "1", null, null, null] },
        { "op": "createSession", "args": ["$0"] },
    ]));
    // next-auth's deleteUser is a no-op, so its data ends up like this:
    db.conn
        .execute_unprepared("DELETE FROM users")
        .await
        .unwrap();
    let snapshot = db.table_snapshot().await;

    let err = Migrator::up(&db.conn, None)
        .await
        .expect_err("orphans must stop the migration")
        .to_string();
    let (account_id, session_id) = (
        out[1]["id"].as_i64().unwrap(),
        out[2]["id"].as_i64().unwrap(),
    );
    assert!(
        err.contains(&format!("accounts rows with id {account_id}")),
        "{err}"
    );
    assert!(
        err.contains(&format!("sessions rows with id {session_id}")),
        "{err}"
    );
    assert_eq!(
        db.table_snapshot().await,
        snapshot,
        "no row deleted or changed"
    );
    let fks = db.foreign_keys().await;
    assert_eq!(fks, Vec::<String>::new(), "no foreign key added");
    assert_eq!(
        Migrator::get_pending_migrations(&db.conn)
            .await
            .unwrap()
            .len(),
        authstore_migration::migrations().len(),
        "none recorded as applied"
    );
    db.destroy().await;
}
