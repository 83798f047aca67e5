//! Carrying an Auth.js app's users (`authjs-pg`, written by the real
//! `@auth/pg-adapter` 1.11.3 under Node) into better-auth on one PostgreSQL
//! database: users, OAuth accounts with their tokens' expiry (epoch seconds
//! in the source), and live sessions with their tokens move; dead sessions,
//! users without an address and mailboxes two users share are left behind
//! and listed; a later run carries what the app removed meanwhile.

use authstore::Profile;
use authstore::better_auth::BetterAuthStore;
use authstore::better_auth::carry_over::{CarryOver, CarryOverReport, LeftBehind, Source};
use authstore_migration::ProfileMigrations;
use authstore_tests::interop::{self, NextAuth};
use authstore_tests::{Backend, TestDb};
use chrono::{DateTime, Utc};
use serde_json::json;

async fn carry(db: &TestDb) -> CarryOverReport {
    CarryOver::new(Source::of(Profile::AuthJsPg, None, None).unwrap())
        .batch(2)
        .unwrap()
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn an_authjs_apps_users_accounts_and_live_sessions_move() {
    if !interop::authjs_installed() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "carry_authjs").await else {
        return;
    };
    Profile::AuthJsPg.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let app = NextAuth::new("authjs/authjs.mjs", &db.url);
    let made = app.run(json!([
        { "op": "createUser", "args": [{ "name": "Ada", "email": "ada@example.com",
            "emailVerified": { "$date": "2026-01-02T03:04:05.678Z" } }] },
        { "op": "linkAccount", "args": [{ "userId": "$0.id", "type": "oauth", "provider": "github",
            "providerAccountId": "583231", "access_token": "gho_1", "expires_at": 1900000000 }] },
        { "op": "createSession", "args": [{ "sessionToken": "1a2b3c4d-0000-4000-8000-00000000live",
            "userId": "$0.id", "expires": { "$date": "2099-01-01T00:00:00.123Z" } }] },
        { "op": "createSession", "args": [{ "sessionToken": "1a2b3c4d-0000-4000-8000-00000000dead",
            "userId": "$0.id", "expires": { "$date": "2020-01-01T00:00:00Z" } }] },
        // The adapter declares no unique address: two users, one mailbox.
        { "op": "createUser", "args": [{ "email": "bob@example.com" }] },
        { "op": "createUser", "args": [{ "email": "Bob@Example.com" }] },
        { "op": "createUser", "args": [{ "name": "Nobody" }] },
    ]));
    let id = |n: usize| made[n]["id"].to_string();

    let report = carry(&db).await;
    assert_eq!(
        (
            report.users,
            report.accounts,
            report.sessions,
            report.dead_sessions
        ),
        (1, 1, 1, 1),
        "{report:?}"
    );
    let mut left = report.left_behind.clone();
    left.sort_by_key(|item| format!("{item:?}"));
    assert_eq!(
        left,
        [
            LeftBehind::NoAddress { user_id: id(6) },
            LeftBehind::SameAddress {
                address: "bob@example.com".into(),
                user_ids: vec![id(4), id(5)],
            },
        ]
    );

    let target = BetterAuthStore::new(db.conn.clone(), Default::default());
    let ada = target.get_user(&id(0)).await.unwrap().expect("ids kept");
    assert_eq!(
        (ada.email.as_str(), ada.name.as_str(), ada.email_verified),
        ("ada@example.com", "Ada", true)
    );
    let github = target
        .account("github", "583231")
        .await
        .unwrap()
        .expect("the account");
    let expires_at: DateTime<Utc> = "2030-03-17T17:46:40Z".parse().unwrap();
    assert_eq!(
        github.linked.access_token_expires_at,
        Some(expires_at),
        "1900000000 s"
    );
    assert_eq!(
        github.linked.access_token.as_ref().map(|t| t.expose()),
        Some("gho_1")
    );
    let live = target
        .validate_session("1a2b3c4d-0000-4000-8000-00000000live")
        .await
        .unwrap()
        .expect("the browser's session token goes on");
    assert_eq!(live.user.id, id(0));
    assert_eq!(
        live.session.expires_at,
        "2099-01-01T00:00:00.123Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert!(
        target
            .validate_session("1a2b3c4d-0000-4000-8000-00000000dead")
            .await
            .unwrap()
            .is_none()
    );

    // The app signs Ada out and unlinks her account, then deletes her: a
    // later run carries each removal.
    app.run(json!([
        { "op": "deleteSession", "args": ["1a2b3c4d-0000-4000-8000-00000000live"] },
        { "op": "unlinkAccount", "args": [{ "provider": "github", "providerAccountId": "583231" }] },
    ]));
    let report = carry(&db).await;
    assert_eq!(
        (report.ended_sessions, report.removed_accounts),
        (1, 1),
        "{report:?}"
    );
    assert!(
        target
            .validate_session("1a2b3c4d-0000-4000-8000-00000000live")
            .await
            .unwrap()
            .is_none()
    );
    app.run(json!([{ "op": "deleteUser", "args": [made[0]["id"]] }]));
    let report = carry(&db).await;
    assert_eq!(report.removed_users, 1, "{report:?}");
    assert_eq!(target.get_user(&id(0)).await.unwrap(), None);
    db.destroy().await;
}

/// What the adapter's schema lets an app write but better-auth's cannot
/// hold for sure: an OAuth identity two users link, a session token two
/// sessions share, an `expires_at` no time can be. Each is listed, for
/// nobody, and the run goes on.
#[tokio::test]
async fn what_the_schema_does_not_forbid_is_listed_not_guessed() {
    if !interop::authjs_installed() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "carry_authjs_odd").await else {
        return;
    };
    Profile::AuthJsPg.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let app = NextAuth::new("authjs/authjs.mjs", &db.url);
    let token = "2b3c4d5e-0000-4000-8000-000000000000";
    let made = app.run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com" }] },
        { "op": "createUser", "args": [{ "email": "eve@example.com" }] },
        { "op": "createUser", "args": [{ "email": "zed@example.com" }] },
        { "op": "linkAccount", "args": [{ "userId": "$0.id", "type": "oauth", "provider": "github", "providerAccountId": "7" }] },
        { "op": "linkAccount", "args": [{ "userId": "$1.id", "type": "oauth", "provider": "github", "providerAccountId": "7" }] },
        { "op": "createSession", "args": [{ "sessionToken": token, "userId": "$0.id", "expires": { "$date": "2099-01-01T00:00:00Z" } }] },
        { "op": "createSession", "args": [{ "sessionToken": token, "userId": "$1.id", "expires": { "$date": "2099-01-01T00:00:00Z" } }] },
        { "op": "linkAccount", "args": [{ "userId": "$2.id", "type": "oauth", "provider": "google", "providerAccountId": "z",
            "expires_at": 9_000_000_000_000_i64 }] },
    ]));
    let id = |n: usize| made[n]["id"].to_string();
    let report = carry(&db).await;
    let mut left = report.left_behind.clone();
    left.sort_by_key(|item| format!("{item:?}"));
    assert_eq!(
        left,
        [
            LeftBehind::SharedAccount {
                user_id: id(0),
                provider: "github".into()
            },
            LeftBehind::SharedAccount {
                user_id: id(1),
                provider: "github".into()
            },
            LeftBehind::SharedSessionToken { user_id: id(0) },
            LeftBehind::SharedSessionToken { user_id: id(1) },
            LeftBehind::Unstorable {
                user_id: id(2),
                field: "account time"
            },
        ]
    );
    let target = BetterAuthStore::new(db.conn.clone(), Default::default());
    assert_eq!(
        (report.users, report.accounts, report.sessions),
        (2, 0, 0),
        "{report:?}"
    );
    assert_eq!(target.account("github", "7").await.unwrap(), None);
    assert!(target.validate_session(token).await.unwrap().is_none());
    db.destroy().await;
}
