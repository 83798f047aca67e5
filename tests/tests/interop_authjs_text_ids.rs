//! One live PostgreSQL database shared with Auth.js (`@auth/core` 0.41.3)
//! and an adapter whose user ids the writer makes as text, run by
//! `tests/interop/authjs/authjs.mjs` under Node: `@auth/drizzle-adapter`
//! 1.11.3 on drizzle-orm 0.45.4 (profile `authjs-drizzle`, UUIDs) and
//! `@auth/prisma-adapter` 2.11.3 on Prisma 7.10's client with its pg driver
//! adapter (profile `authjs-prisma`, CUIDs and row clocks), the latter
//! also on the tables of next-auth 4's docs' models (`PrismaV4Adapter`:
//! CUIDs on accounts and sessions too, no row clocks, no authenticators),
//! adopted from the DDL Prisma makes of them. Each test body runs once per
//! adapter. Node runs in a zone far from UTC (both keep
//! `timestamp` columns holding UTC whatever the writer's zone).
//!
//! Needs `npm ci --prefix tests/interop/authjs` and the Prisma client
//! generated there (CI does both); without them the tests are skipped with
//! a note, or fail when `CI` is set.

use authstore::Secret;
use authstore::authjs::{AuthJsAdapter, AuthJsTokens, NewAuthJsAccount};
use authstore::{Error, UserPatch};
use authstore_tests::TestDb;
use authstore_tests::authjs::{
    self, COOKIE, Store, ada, at, made_as_the_adapter_makes, session_route,
};
use authstore_tests::interop::{MAX_AGE, NextAuth, UPDATE_AGE, instant, ms};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

/// Each test body on both adapters: `$name` runs `$body::<A>(adapter, js
/// adapter, database name)`.
macro_rules! per_adapter {
    ($($name:ident => $body:ident;)*) => {
        mod drizzle {
            $(#[tokio::test]
            async fn $name() {
                super::$body(authstore::authjs::DrizzleAdapter, "drizzle").await;
            })*
        }
        mod prisma {
            $(#[tokio::test]
            async fn $name() {
                super::$body(authstore::authjs::PrismaAdapter, "prisma").await;
            })*
        }
        mod prisma_v4 {
            $(#[tokio::test]
            async fn $name() {
                super::$body(authstore::authjs::PrismaV4Adapter, "prismaV4").await;
            })*
        }
    };
}

per_adapter! {
    next_auth_4_draws_the_same_boundaries => next_auth_4_boundaries;
    users_and_sessions_made_by_either_side_are_read_by_the_other => both_ways;
    renewal_and_expiry_fall_at_the_same_instants_on_both_sides => renewal_and_expiry;
    accounts_linked_by_either_side_are_found_by_the_other => accounts;
    sign_in_links_made_by_either_side_work_on_the_other => links;
    a_user_deleted_on_either_side_is_gone_with_everything_of_theirs => deletion;
    the_adapter_suites_basic_cases_hold_for_the_store => adapter_suite;
}

/// A migrated database, the store and Auth.js with the adapter on it,
/// Node in a zone far from UTC.
async fn shared<A: AuthJsAdapter>(
    adapter: A,
    js_adapter: &'static str,
    test: &str,
) -> Option<(TestDb, NextAuth, Store<A>)> {
    let test = format!("{}_{test}", js_adapter.to_lowercase());
    let (db, mut authjs, store) = authjs::shared(adapter, Some(js_adapter), &test).await?;
    authjs.tz = Some("Pacific/Auckland");
    Some((db, authjs, store))
}

/// Prisma's row clocks: authstore writes `createdAt` and `updatedAt` on a
/// new user, as Prisma's client does (the database gives `updatedAt` no
/// default), and moves `updatedAt` on a change.
async fn row_clocks_are_written<A: AuthJsAdapter<Id = String>>(
    authjs: &NextAuth,
    store: &Store<A>,
    user: &str,
) {
    let clocks = |read: &Value| (instant(&read["createdAt"]), instant(&read["updatedAt"]));
    let read = authjs.run(json!([{ "op": "getUser", "args": [user] }]));
    let (created, updated) = clocks(&read[0]);
    assert!(
        (Utc::now() - created).abs() < TimeDelta::minutes(1),
        "{read:?}"
    );
    assert_eq!(created, updated);
    let table = A::SCHEMA.users;
    authjs.run(json!([{ "op": "query", "args": [
        format!(r#"UPDATE "{table}" SET "updatedAt" = '2001-01-01' WHERE id = $1"#), user] }]));
    let patch = UserPatch {
        name: Some(Some("Ada L.".into())),
        ..Default::default()
    };
    store.update_user(user.to_owned(), patch).await.unwrap();
    let read = authjs.run(json!([{ "op": "getUser", "args": [user] }]));
    let (still_created, moved) = clocks(&read[0]);
    assert_eq!(still_created, created);
    assert!(
        (Utc::now() - moved).abs() < TimeDelta::minutes(1),
        "{read:?}"
    );
}

/// The session row's expiry as the adapter reads it; `None` if it is gone.
fn adapter_expiry(authjs: &NextAuth, token: &str) -> Option<DateTime<Utc>> {
    let read = authjs.run(json!([{ "op": "getSessionAndUser", "args": [token] }]));
    (!read[0].is_null()).then(|| instant(&read[0]["session"]["expires"]))
}

async fn both_ways<A: AuthJsAdapter<Id = String>>(adapter: A, js_adapter: &'static str) {
    let Some((db, authjs, store)) = shared(adapter, js_adapter, "interop_both").await else {
        return;
    };
    let user = ada(&store).await;
    assert!(
        made_as_the_adapter_makes::<A>(&user),
        "an id as the adapter's writer makes: {user}"
    );
    if A::SCHEMA.row_clocks {
        row_clocks_are_written(&authjs, &store, &user).await;
    }
    let ours = store.create_session(user.clone()).await.unwrap();
    let token = ours.session_token.expose();
    if A::SCHEMA.row_ids.is_some() {
        // The session's own id, made as the app's writer makes it.
        let id = db
            .strings(&format!(
                r#"SELECT id AS name FROM "{}" WHERE "sessionToken" = '{token}'"#,
                A::SCHEMA.sessions
            ))
            .await;
        assert!(made_as_the_adapter_makes::<A>(&id[0]), "{id:?}");
    }
    let read = authjs.run(json!([
        { "op": "getUser", "args": [user] },
        { "op": "getSessionAndUser", "args": [token] },
    ]));
    assert_eq!(read[0]["email"], "ada@example.com");
    assert_eq!(read[1]["user"]["id"], user.as_str());
    assert_eq!(instant(&read[1]["session"]["expires"]), ours.expires);
    let route = session_route(&authjs, token, Utc::now());
    assert_eq!(route["body"]["user"]["email"], "ada@example.com", "{route}");

    let theirs = authjs.run(json!([
        { "op": "createUser", "args": [{ "name": "Grace", "email": "grace@example.com",
            "emailVerified": { "$date": "2026-01-02T03:04:05.678Z" } }] },
        { "op": "createSession", "args": [{ "sessionToken": "7c6f8a5e-1111-4aaa-8bbb-0123456789ab",
            "userId": "$0.id", "expires": { "$date": "2099-01-01T00:00:00.123Z" } }] },
    ]));
    let found = store
        .get_session_and_user("7c6f8a5e-1111-4aaa-8bbb-0123456789ab")
        .await
        .unwrap()
        .expect("authstore reads the adapter's session");
    assert_eq!(found.user.id, theirs[0]["id"].as_str().unwrap());
    assert_eq!(
        found.user.email_verified,
        Some(instant(&json!("2026-01-02T03:04:05.678Z"))),
        "the same instant, not the writer's wall clock"
    );
    assert_eq!(
        found.session.expires,
        instant(&json!("2099-01-01T00:00:00.123Z"))
    );
    db.destroy().await;
}

async fn renewal_and_expiry<A: AuthJsAdapter<Id = String>>(adapter: A, js_adapter: &'static str) {
    let Some((db, authjs, store)) = shared(adapter, js_adapter, "interop_renewal").await else {
        return;
    };
    let user = ada(&store).await;
    let start = ms(Utc::now());
    let due = start + TimeDelta::seconds(UPDATE_AGE);
    let renewed = due + TimeDelta::seconds(MAX_AGE);

    // A millisecond early, neither side writes; when due, each renews to
    // its now + maxAge, the same instant.
    let by_them = at(&store, start)
        .create_session(user.clone())
        .await
        .unwrap();
    let by_us = at(&store, start)
        .create_session(user.clone())
        .await
        .unwrap();
    let early = due - TimeDelta::milliseconds(1);
    session_route(&authjs, by_them.session_token.expose(), early);
    let read = at(&store, early)
        .get_session_and_user(by_us.session_token.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(!read.session.fresh);
    assert_eq!(
        adapter_expiry(&authjs, by_them.session_token.expose()),
        Some(by_them.expires)
    );
    assert_eq!(
        adapter_expiry(&authjs, by_us.session_token.expose()),
        Some(by_us.expires)
    );

    session_route(&authjs, by_them.session_token.expose(), due);
    let read = at(&store, due)
        .get_session_and_user(by_us.session_token.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(read.session.fresh);
    assert_eq!(read.session.expires, renewed);
    assert_eq!(
        adapter_expiry(&authjs, by_them.session_token.expose()),
        Some(renewed)
    );
    assert_eq!(
        adapter_expiry(&authjs, by_us.session_token.expose()),
        Some(renewed)
    );

    // Past its expiry, whichever side reads a session deletes it.
    let past = renewed + TimeDelta::milliseconds(1);
    let gone = session_route(&authjs, by_us.session_token.expose(), past);
    assert!(
        gone["body"].is_null() || gone["body"]["user"].is_null(),
        "{gone}"
    );
    assert_eq!(adapter_expiry(&authjs, by_us.session_token.expose()), None);
    let read = at(&store, past)
        .get_session_and_user(by_them.session_token.expose())
        .await
        .unwrap();
    assert_eq!(read, None);
    assert_eq!(
        adapter_expiry(&authjs, by_them.session_token.expose()),
        None
    );
    assert_eq!(db.count_rows(A::SCHEMA.sessions).await, 0);
    db.destroy().await;
}

async fn accounts<A: AuthJsAdapter<Id = String>>(adapter: A, js_adapter: &'static str) {
    let Some((db, authjs, store)) = shared(adapter, js_adapter, "interop_accounts").await else {
        return;
    };
    let user = ada(&store).await;
    store
        .link_account(NewAuthJsAccount::oauth(user.clone(), "github", "1234"))
        .await
        .unwrap();
    if A::SCHEMA.row_ids.is_some() {
        let id = db
            .strings(&format!(
                r#"SELECT id AS name FROM "{}" WHERE provider = 'github'"#,
                A::SCHEMA.accounts
            ))
            .await;
        assert!(made_as_the_adapter_makes::<A>(&id[0]), "{id:?}");
    }
    let found = authjs.run(json!([
        { "op": "getUserByAccount", "args": [{ "provider": "github", "providerAccountId": "1234" }] },
    ]));
    assert_eq!(found[0]["id"], user.as_str());

    authjs.run(json!([
        { "op": "linkAccount", "args": [{ "userId": user, "type": "oidc", "provider": "google",
            "providerAccountId": "g-1", "access_token": "at-1", "id_token": "it-1",
            "expires_at": 2_000_000_000, "scope": "openid email", "token_type": "bearer" }] },
    ]));
    let google = store.get_account("google", "g-1").await.unwrap().unwrap();
    assert_eq!(google.linked.user_id, user);
    assert_eq!(google.linked.kind, "oidc");
    assert_eq!(google.linked.tokens.expires_at, Some(2_000_000_000));
    assert_eq!(
        google
            .linked
            .tokens
            .access_token
            .as_ref()
            .map(Secret::expose),
        Some("at-1")
    );
    assert_eq!(google.linked.tokens.scope.as_deref(), Some("openid email"));
    let by_account = store.get_user_by_account("google", "g-1").await.unwrap();
    assert_eq!(by_account.map(|user| user.id), Some(user.clone()));

    // Past 2038 an `integer` cannot hold the expiry: refused, nothing written.
    let late = NewAuthJsAccount {
        tokens: AuthJsTokens {
            expires_at: Some(i64::from(i32::MAX) + 1),
            ..Default::default()
        },
        ..NewAuthJsAccount::oauth(user.clone(), "gitlab", "9")
    };
    let refused = store.link_account(late).await;
    assert!(
        matches!(&refused, Err(Error::Validation(errors)) if errors.field_errors().contains_key("expires_at")),
        "{refused:?}"
    );
    assert_eq!(db.count_rows(A::SCHEMA.accounts).await, 2);

    assert!(store.unlink_account("github", "1234").await.unwrap());
    let gone = authjs.run(json!([
        { "op": "getUserByAccount", "args": [{ "provider": "github", "providerAccountId": "1234" }] },
    ]));
    assert!(gone[0].is_null(), "{gone:?}");
    db.destroy().await;
}

async fn links<A: AuthJsAdapter<Id = String>>(adapter: A, js_adapter: &'static str) {
    let Some((db, authjs, store)) = shared(adapter, js_adapter, "interop_links").await else {
        return;
    };
    // Auth.js's email sign-in sends a link; authstore signs in with it.
    let sent = authjs.run(json!([{ "op": "sendLink", "args": ["ada@example.com"] }]));
    let token = sent[0]["token"].as_str().unwrap();
    let (user, session) = store
        .sign_in_with_link("ada@example.com", token)
        .await
        .unwrap()
        .expect("Auth.js's link signs in");
    assert!(made_as_the_adapter_makes::<A>(&user.id), "{}", user.id);
    let read = authjs.run(json!([
        { "op": "getSessionAndUser", "args": [session.session_token.expose()] },
    ]));
    assert_eq!(read[0]["user"]["id"], user.id.as_str());

    // authstore's link signs a new person in through Auth.js's callback;
    // authstore reads the user and session Auth.js made.
    let (_, token) = store
        .create_verification_token("grace@example.com")
        .await
        .unwrap();
    let callback = authjs
        .run(json!([{ "op": "emailCallback", "args": [token.expose(), "grace@example.com"] }]));
    assert_eq!(callback[0]["status"], 302, "{:?}", callback[0]);
    let session_token = callback[0]["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find_map(|cookie| cookie.strip_prefix(&format!("{COOKIE}=")))
        .and_then(|cookie| cookie.split(';').next())
        .expect("Auth.js set its session cookie");
    let found = store
        .get_session_and_user(session_token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.email.as_deref(), Some("grace@example.com"));
    assert!(found.user.email_verified.is_some());
    assert_eq!(
        db.count_rows(A::SCHEMA.verification).await,
        0,
        "both links spent"
    );
    db.destroy().await;
}

async fn deletion<A: AuthJsAdapter<Id = String>>(adapter: A, js_adapter: &'static str) {
    let Some((db, authjs, store)) = shared(adapter, js_adapter, "interop_delete").await else {
        return;
    };
    let user = ada(&store).await;
    let session = store.create_session(user.clone()).await.unwrap();
    store
        .link_account(NewAuthJsAccount::oauth(user.clone(), "github", "1"))
        .await
        .unwrap();
    // Where the schema has authenticators (next-auth 4's docs had none).
    let passkeys = A::SCHEMA.authenticators.is_some();
    if passkeys {
        authjs.run(json!([
            { "op": "createAuthenticator", "args": [{ "credentialID": "Y3JlZA==", "userId": user,
                "providerAccountId": "Y3JlZA==", "credentialPublicKey": "cGs=", "counter": 0,
                "credentialDeviceType": "singleDevice", "credentialBackedUp": false,
                "transports": "usb,nfc" }] },
        ]));
    }
    store.delete_user(user.clone()).await.unwrap();
    let read = authjs.run(json!([
        { "op": "getUser", "args": [user] },
        { "op": "getSessionAndUser", "args": [session.session_token.expose()] },
        { "op": "getUserByAccount", "args": [{ "provider": "github", "providerAccountId": "1" }] },
    ]));
    assert!(
        read[0].is_null() && read[1].is_null() && read[2].is_null(),
        "{read:?}"
    );
    if passkeys {
        let left = authjs.run(json!([{ "op": "listAuthenticatorsByUserId", "args": [user] }]));
        assert_eq!(left[0], json!([]));
    }

    let theirs = authjs.run(json!([
        { "op": "createUser", "args": [{ "email": "grace@example.com" }] },
        { "op": "createSession", "args": [{ "sessionToken": "0f7d1c2e-2222-4bbb-9ccc-0123456789ab",
            "userId": "$0.id", "expires": { "$date": "2099-01-01T00:00:00Z" } }] },
        { "op": "deleteUser", "args": ["$0.id"] },
    ]));
    assert!(
        store
            .get_session_and_user("0f7d1c2e-2222-4bbb-9ccc-0123456789ab")
            .await
            .unwrap()
            .is_none()
    );
    let id = theirs[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(store.get_user(id).await.unwrap(), None);
    db.destroy().await;
}

/// next-auth 4.24's own session route (its `AuthHandler`) on the adapter:
/// it renews and deletes at the instants authstore does.
async fn next_auth_4_boundaries<A: AuthJsAdapter<Id = String>>(
    adapter: A,
    js_adapter: &'static str,
) {
    let Some((db, authjs, store)) = shared(adapter, js_adapter, "interop_v4").await else {
        return;
    };
    authjs::next_auth_4_draws_the_same_boundaries(&authjs, &store).await;
    db.destroy().await;
}

/// The basic cases of Auth.js's own adapter test suite, on the adapter.
async fn adapter_suite<A: AuthJsAdapter<Id = String>>(adapter: A, js_adapter: &'static str) {
    let Some((db, authjs, store)) = shared(adapter, js_adapter, "interop_suite").await else {
        return;
    };
    authjs::the_adapter_suites_basic_cases(&authjs, &store).await;
    db.destroy().await;
}
