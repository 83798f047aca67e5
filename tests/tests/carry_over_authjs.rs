//! Carrying an Auth.js app's users (`authjs-pg`, `authjs-drizzle` and
//! `authjs-prisma`, written by the real `@auth/pg-adapter` 1.11.3,
//! `@auth/drizzle-adapter` 1.11.3 and `@auth/prisma-adapter` 2.11.3 under
//! Node) into better-auth, on the app's PostgreSQL database or, for
//! Drizzle's tables named as better-auth's, on one of its own: users,
//! OAuth accounts with their tokens' expiry (epoch seconds in the source),
//! and live sessions with their tokens move; dead sessions, users without
//! an address and mailboxes two users share are left behind and listed; a
//! later run carries what the app removed meanwhile.

use authstore::authjs::{AuthJsConfig, AuthJsStore, DrizzleAdapter, NewAuthJsAccount};
use authstore::better_auth::carry_over::{
    CarryOver, CarryOverReport, LeftBehind, Source, named_as_better_auths,
};
use authstore::better_auth::{BetterAuthConfig, BetterAuthStore, ValidSession};
use authstore::entity::descriptor::{
    AUTHJS_DRIZZLE, AUTHJS_PG, AUTHJS_PRISMA, AUTHJS_PRISMA_V4, AuthJsSchema,
};
use authstore::web::{SignedIn, WebSessions};
use authstore::{CarryOverRefusal, ConfigError, Error, NewUser, Profile};
use authstore_migration::ProfileMigrations;
use authstore_tests::authjs::migrated_as;
use authstore_tests::interop::{self, NextAuth, instant};
use authstore_tests::{Backend, TestDb};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

#[path = "support/oneshot.rs"]
mod oneshot;
use oneshot::send;

async fn carry(db: &TestDb) -> CarryOverReport {
    carry_from(db, db, Profile::AuthJsPg).await
}

/// `profile`'s users in `source` carried into better-auth in `target`.
async fn carry_from(source: &TestDb, target: &TestDb, profile: Profile) -> CarryOverReport {
    CarryOver::new(Source::of(profile, None, None).unwrap())
        .batch(2)
        .unwrap()
        .run(&source.conn, &target.conn, |_| {})
        .await
        .unwrap()
}

async fn me(SignedIn { session, .. }: SignedIn<ValidSession>) -> String {
    session.user.email
}

/// A user id as the adapter answered it (a number or a string), as text.
fn id_text(id: &Value) -> String {
    id.as_str().map_or_else(|| id.to_string(), str::to_owned)
}

#[tokio::test]
async fn a_pg_adapter_apps_users_accounts_and_live_sessions_move() {
    let pg = (&AUTHJS_PG, None);
    users_accounts_and_live_sessions_move(Profile::AuthJsPg, pg, Backend::Postgres).await;
}

#[tokio::test]
async fn a_drizzle_adapter_apps_users_accounts_and_live_sessions_move() {
    let drizzle = (&AUTHJS_DRIZZLE, Some("drizzle"));
    users_accounts_and_live_sessions_move(Profile::AuthJsDrizzle, drizzle, Backend::Postgres).await;
}

/// From the Drizzle adapter's SQLite tables (times in milliseconds, rows
/// told apart by `rowid`), into better-auth on SQLite.
#[tokio::test]
async fn a_drizzle_adapter_apps_users_move_from_sqlite() {
    let drizzle = (&AUTHJS_DRIZZLE, Some("drizzle"));
    users_accounts_and_live_sessions_move(Profile::AuthJsDrizzle, drizzle, Backend::Sqlite).await;
}

#[tokio::test]
async fn a_prisma_adapter_apps_users_accounts_and_live_sessions_move() {
    let prisma = (&AUTHJS_PRISMA, Some("prisma"));
    users_accounts_and_live_sessions_move(Profile::AuthJsPrisma, prisma, Backend::Postgres).await;
}

/// On the tables of next-auth 4's docs' Prisma models: accounts and
/// sessions with ids of their own, found as that shape by the run.
#[tokio::test]
async fn a_next_auth_4_prisma_apps_users_accounts_and_live_sessions_move() {
    let prisma = (&AUTHJS_PRISMA_V4, Some("prismaV4"));
    users_accounts_and_live_sessions_move(Profile::AuthJsPrisma, prisma, Backend::Postgres).await;
}

/// `profile`'s app on `backend`, its tables in `schema`'s shape (authjs.mjs
/// with `js_adapter`), carried over, then its removals.
async fn users_accounts_and_live_sessions_move(
    profile: Profile,
    (schema, js_adapter): (&'static AuthJsSchema, Option<&'static str>),
    backend: Backend,
) {
    if !interop::authjs_installed() {
        return;
    }
    let name = format!("carry_{:?}_{}", schema.adapter, backend.name()).to_lowercase();
    let Some(source) = TestDb::create(backend, &name).await else {
        return;
    };
    migrated_as(&source, profile, schema).await;
    // Drizzle's tables have better-auth's names: better-auth gets a
    // database of its own.
    let own = match named_as_better_auths(profile) {
        true => Some(
            TestDb::create(backend, &format!("{name}_target"))
                .await
                .unwrap(),
        ),
        false => None,
    };
    let db = own.as_ref().unwrap_or(&source);
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let mut app = NextAuth::new("authjs/authjs.mjs", &source.url);
    app.adapter = js_adapter;
    let carry = async |target: &TestDb| carry_from(&source, target, profile).await;
    let mut ops = json!([
        { "op": "createUser", "args": [{ "name": "Ada", "email": "ada@example.com",
            "emailVerified": { "$date": "2026-01-02T03:04:05.678Z" } }] },
        { "op": "linkAccount", "args": [{ "userId": "$0.id", "type": "oauth", "provider": "github",
            "providerAccountId": "583231", "access_token": "gho_1", "expires_at": 1900000000,
            "id_token": "eyJ.id.token", "scope": "read:user user:email" }] },
        { "op": "createSession", "args": [{ "sessionToken": "1a2b3c4d-0000-4000-8000-00000000live",
            "userId": "$0.id", "expires": { "$date": "2099-01-01T00:00:00.123Z" } }] },
        { "op": "createSession", "args": [{ "sessionToken": "1a2b3c4d-0000-4000-8000-00000000dead",
            "userId": "$0.id", "expires": { "$date": "2020-01-01T00:00:00Z" } }] },
        // The adapter declares no unique address: two users, one mailbox.
        { "op": "createUser", "args": [{ "email": "bob@example.com" }] },
        { "op": "createUser", "args": [{ "email": "Bob@Example.com" }] },
    ]);
    // A user without an address, where the schema allows one (Prisma's
    // does not).
    let nobody = !schema.email_required;
    if nobody {
        let op = json!({ "op": "createUser", "args": [{ "name": "Nobody" }] });
        ops.as_array_mut().unwrap().push(op);
    }
    let made = app.run(ops);
    let id = |n: usize| id_text(&made[n]["id"]);

    let report = carry(db).await;
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
    // Listed in the source's id order: numbers', or text's.
    let mut bobs = vec![id(4), id(5)];
    bobs.sort_by_key(|id| (id.len(), id.clone()));
    let mut expected = vec![LeftBehind::SameAddress {
        address: "bob@example.com".into(),
        user_ids: bobs,
    }];
    if nobody {
        expected.insert(0, LeftBehind::NoAddress { user_id: id(6) });
    }
    assert_eq!(left, expected);

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
    assert_eq!(
        github.linked.id_token.as_ref().map(|t| t.expose()),
        Some("eyJ.id.token")
    );
    // As better-auth keeps scopes: joined by commas.
    assert_eq!(github.linked.scope.as_deref(), Some("read:user,user:email"));
    if schema.row_clocks {
        // Prisma's signup time is kept, not the run's.
        assert_eq!(ada.created_at, instant(&made[0]["createdAt"]));
    }
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

    // The cookie bridge: the app's cookie for the carried session is
    // bridged where the app's tables sit beside better-auth's; Drizzle's
    // cannot, and there the bridge serves nobody.
    let signing = BetterAuthConfig::default()
        .secret("a better-auth secret")
        .unwrap();
    let sessions = BetterAuthStore::new(db.conn.clone(), signing);
    let sessions = WebSessions::new(sessions, "http://localhost:3000")
        .unwrap()
        .carrying_over_from(profile);
    let web = Router::new().route("/me", get(me)).layer(sessions.layer());
    let cookie = "authjs.session-token=1a2b3c4d-0000-4000-8000-00000000live".to_owned();
    let bridged = send(&web, "GET", "/me", &[("cookie", cookie)]).await;
    match own {
        None => assert_eq!(
            (bridged.status, bridged.body.as_str()),
            (StatusCode::OK, "ada@example.com")
        ),
        Some(_) => {
            assert_eq!(
                (bridged.status, bridged.set_cookie.len()),
                (StatusCode::UNAUTHORIZED, 0)
            );
            // A sign-out through the bridge leaves better-auth's own
            // `session` table alone (the old app's is elsewhere).
            target
                .end_carried_session(profile, "1a2b3c4d-0000-4000-8000-00000000live")
                .await
                .unwrap();
            // The app's database as both source and target is refused
            // before anything is written.
            let refused = CarryOver::new(Source::of(profile, None, None).unwrap())
                .run(&source.conn, &source.conn, |_| {})
                .await;
            assert!(
                matches!(
                    refused,
                    Err(Error::CarryOverRefused(CarryOverRefusal::SameTables { .. }))
                ),
                "{refused:?}"
            );
            assert!(
                !source
                    .table_names()
                    .await
                    .iter()
                    .any(|t| t.starts_with("authstore_"))
            );
        }
    }

    // The app signs Ada out and unlinks her account, then deletes her: a
    // later run carries each removal.
    app.run(json!([
        { "op": "deleteSession", "args": ["1a2b3c4d-0000-4000-8000-00000000live"] },
        { "op": "unlinkAccount", "args": [{ "provider": "github", "providerAccountId": "583231" }] },
    ]));
    let report = carry(db).await;
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
    let report = carry(db).await;
    assert_eq!(report.removed_users, 1, "{report:?}");
    assert_eq!(target.get_user(&id(0)).await.unwrap(), None);
    if let Some(target) = own {
        target.destroy().await;
    }
    source.destroy().await;
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

/// Drizzle's accounts have no ids: a carried account's is made from its
/// provider and its id there, so that no two accounts make the same one,
/// even where the provider's id has a `:` in it.
#[tokio::test]
async fn drizzle_accounts_whose_ids_would_join_alike_stay_apart() {
    let Some(source) = TestDb::create(Backend::Postgres, "carry_drizzle_colons").await else {
        return;
    };
    let target = TestDb::create(Backend::Postgres, "carry_drizzle_colons_to")
        .await
        .unwrap();
    Profile::AuthJsDrizzle.up(&source.conn).await.unwrap();
    Profile::BetterAuth.up(&target.conn).await.unwrap();
    let store =
        AuthJsStore::with_adapter(DrizzleAdapter, source.conn.clone(), AuthJsConfig::default());
    let mut ids = Vec::new();
    for (email, provider, account) in [
        ("ada@example.com", "a:b", "c"),
        ("bob@example.com", "a", "b:c"),
    ] {
        let user = NewUser {
            email: Some(email.into()),
            ..Default::default()
        };
        let user = store.create_user(user).await.unwrap();
        store
            .link_account(NewAuthJsAccount::oauth(user.id.clone(), provider, account))
            .await
            .unwrap();
        ids.push(user.id);
    }
    let report = CarryOver::new(Source::of(Profile::AuthJsDrizzle, None, None).unwrap())
        .batch(1)
        .unwrap()
        .run(&source.conn, &target.conn, |_| {})
        .await
        .unwrap();
    assert_eq!((report.users, report.accounts), (2, 2), "{report:?}");
    let carried = BetterAuthStore::new(target.conn.clone(), Default::default());
    for ((provider, account), owner) in [(("a:b", "c"), &ids[0]), (("a", "b:c"), &ids[1])] {
        let found = carried.account(provider, account).await.unwrap();
        assert_eq!(
            found.map(|a| a.user_id),
            Some(owner.clone()),
            "{provider} {account}"
        );
    }
    target.destroy().await;
    source.destroy().await;
}

/// An app on next-auth 4's Prisma models that moves to today's drops the
/// accounts' CUIDs. Carried accounts are keyed by their provider identity
/// on both shapes, so a run after the move finds them as carried: an
/// account better-auth's app unlinked meanwhile stays unlinked.
#[tokio::test]
async fn an_unlink_stays_when_a_prisma_app_moves_to_todays_models() {
    let Some(db) = TestDb::create(Backend::Postgres, "carry_prisma_moves").await else {
        return;
    };
    migrated_as(&db, Profile::AuthJsPrisma, &AUTHJS_PRISMA_V4).await;
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    db.conn
        .execute_unprepared(
            r#"INSERT INTO "User" (id, email) VALUES ('cmada00000000000000000001', 'ada@example.com');
               INSERT INTO "Account" (id, "userId", type, provider, "providerAccountId")
               VALUES ('cmacc00000000000000000001', 'cmada00000000000000000001', 'oauth', 'github', '583231'),
                      ('cmacc00000000000000000002', 'cmada00000000000000000001', 'oauth', 'gitlab', '77');"#,
        )
        .await
        .unwrap();
    let report = carry_from(&db, &db, Profile::AuthJsPrisma).await;
    assert_eq!((report.users, report.accounts), (1, 2), "{report:?}");
    let target = BetterAuthStore::new(db.conn.clone(), Default::default());
    // Ada unlinks GitHub in the better-auth app.
    db.conn
        .execute_unprepared(r#"DELETE FROM account WHERE "accountId" = '583231'"#)
        .await
        .unwrap();
    // The app moves to today's models, as `prisma migrate` would.
    db.conn
        .execute_unprepared(
            r#"ALTER TABLE "Account" DROP COLUMN id;
               ALTER TABLE "Account" ADD PRIMARY KEY (provider, "providerAccountId");
               ALTER TABLE "Session" DROP COLUMN id;
               ALTER TABLE "User" ADD "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
                                  ADD "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
               ALTER TABLE "Account" ADD "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
                                     ADD "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
               ALTER TABLE "Session" ADD "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
                                     ADD "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;"#,
        )
        .await
        .unwrap();
    let report = carry_from(&db, &db, Profile::AuthJsPrisma).await;
    assert_eq!(
        (report.accounts, report.removed_accounts),
        (1, 0),
        "GitLab kept, nothing carried anew or removed: {report:?}"
    );
    assert_eq!(
        target.account("github", "583231").await.unwrap(),
        None,
        "still unlinked"
    );
    assert!(target.account("gitlab", "77").await.unwrap().is_some());
    db.destroy().await;
}

/// An Auth.js profile's tables on a backend authstore does not serve them
/// on (Prisma's SQLite tables keep times otherwise) are not read at all:
/// the run is refused before it reads or writes anything.
#[tokio::test]
async fn a_source_on_a_backend_its_tables_are_not_served_on_is_refused() {
    let Some(source) = TestDb::create(Backend::Sqlite, "carry_prisma_sqlite").await else {
        return;
    };
    let target = TestDb::create(Backend::Sqlite, "carry_prisma_sqlite_target")
        .await
        .unwrap();
    Profile::BetterAuth.up(&target.conn).await.unwrap();
    let before = target.table_names().await;
    let refused = CarryOver::new(Source::of(Profile::AuthJsPrisma, None, None).unwrap())
        .run(&source.conn, &target.conn, |_| {})
        .await;
    assert!(
        matches!(
            refused,
            Err(Error::Config(ConfigError::NotOnBackend(
                Profile::AuthJsPrisma
            )))
        ),
        "{refused:?}"
    );
    assert_eq!(target.table_names().await, before);
    assert_eq!(target.count_rows("user").await, 0);
    source.destroy().await;
    target.destroy().await;
}
