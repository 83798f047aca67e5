//! One live PostgreSQL database shared with Auth.js (`@auth/core` 0.41.3)
//! and an adapter, run by `tests/interop/authjs/authjs.mjs` under Node in a
//! zone far from UTC, and authstore's store of that adapter's profile: every
//! body below runs on `@auth/pg-adapter` 1.11.3 (`authjs-pg`),
//! `@auth/drizzle-adapter` 1.11.3 on drizzle-orm 0.45.4 (`authjs-drizzle`),
//! and `@auth/prisma-adapter` 2.11.3 on Prisma 7.10's client with its pg
//! driver adapter (`authjs-prisma`), on today's docs' models and on next-auth
//! 4's (adopted from the DDL Prisma makes of them). Auth.js is driven through
//! its own request handling where it decides something (its session route's
//! renewal and deletion, its email sign-in), and through the adapter where it
//! only stores. The tests at the end are `authjs-pg`'s own.
//!
//! Needs `npm ci --prefix tests/interop/authjs` and the Prisma clients
//! generated there (CI does both); without them the tests are skipped with
//! a note, or fail when `CI` is set.

use authstore::authjs::{
    AuthJsAdapter, AuthJsAuthenticator, AuthJsStore, AuthJsTokens, NewAuthJsAccount, NextAuthMajor,
    PgAdapter,
};
use authstore::{ConfigError, Conflict, Error, NewUser, Secret, UserPatch};
use authstore_tests::authjs::{
    self, COOKIE, Store, ada, at, made_as_the_adapter_makes, session_route, uuid_v4,
};
use authstore_tests::interop::{self, MAX_AGE, NextAuth, SECRET, UPDATE_AGE, instant, ms};
use authstore_tests::{Backend, TestDb};
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

#[path = "support/oneshot.rs"]
mod oneshot;

/// Each body on every adapter: `$name` runs `$body(adapter, its name in
/// authjs.mjs)`.
macro_rules! per_adapter {
    ($($name:ident => $body:ident;)*) => {
        per_adapter!(@on pg, PgAdapter, None, Postgres; $($name => $body;)*);
        per_adapter!(@on drizzle, DrizzleAdapter, Some("drizzle"), Postgres; $($name => $body;)*);
        per_adapter!(@on drizzle_sqlite, DrizzleAdapter, Some("drizzle"), Sqlite; $($name => $body;)*);
        per_adapter!(@on prisma, PrismaAdapter, Some("prisma"), Postgres; $($name => $body;)*);
        per_adapter!(@on prisma_v4, PrismaV4Adapter, Some("prismaV4"), Postgres; $($name => $body;)*);
    };
    (@on $module:ident, $adapter:ident, $js:expr, $backend:ident; $($name:ident => $body:ident;)*) => {
        mod $module {
            $(#[tokio::test]
            async fn $name() {
                let on = super::On { js: $js, backend: authstore_tests::Backend::$backend };
                super::$body(authstore::authjs::$adapter, on).await;
            })*
        }
    };
}

/// Where a body runs: beside which JS adapter (authjs.mjs's `adapter`
/// setting; `None` for pg), on which backend.
#[derive(Clone, Copy)]
struct On {
    js: Option<&'static str>,
    backend: Backend,
}

per_adapter! {
    sessions_made_by_either_side_are_read_by_the_other => sessions_both_ways;
    renewal_is_due_at_the_same_instant_on_both_sides => renewal;
    an_expired_session_is_deleted_by_whichever_side_reads_it => expiry;
    a_sign_out_on_either_side_ends_the_session_for_both => sign_out;
    users_and_accounts_made_by_either_side_are_found_by_the_other => users_and_accounts;
    sign_in_links_made_by_either_side_work_once_on_the_other => links;
    the_adapter_suites_basic_cases_hold_for_the_store => adapter_suite;
    next_auth_4_draws_the_same_boundaries => next_auth_4;
    next_auth_4_email_sign_in_works_both_ways => next_auth_4_links;
    passkeys_stored_by_either_side_are_read_by_the_other => passkeys;
}

/// What a body gets: a migrated database, Auth.js and the adapter on it
/// (Node in a zone far from UTC: the text-id adapters keep `timestamp`
/// columns holding UTC whatever the writer's zone), and the store.
async fn shared<A: AuthJsAdapter>(
    adapter: A,
    on: On,
    test: &str,
) -> Option<(TestDb, NextAuth, Store<A>)> {
    let test = format!("{:?}_{test}_{:?}", A::SCHEMA.adapter, on.backend).to_lowercase();
    let (db, mut authjs, store) = authjs::shared(adapter, on.js, on.backend, &test).await?;
    authjs.tz = Some("Pacific/Auckland");
    Some((db, authjs, store))
}

/// `authjs-pg`'s own tests' database, Auth.js and store.
async fn shared_pg(test: &str) -> Option<(TestDb, NextAuth, Store<PgAdapter>)> {
    let on = On {
        js: None,
        backend: Backend::Postgres,
    };
    shared(PgAdapter, on, test).await
}

/// A user id as the adapter answered it (a number or a string), as the
/// store's type.
fn id_of<A: AuthJsAdapter>(id: &Value) -> A::Id {
    let text = id.as_str().map_or_else(|| id.to_string(), str::to_owned);
    text.parse().ok().expect("an id of the adapter's type")
}

/// The session row's expiry as the adapter reads it; `None` if it is gone.
fn adapter_expiry(authjs: &NextAuth, token: &str) -> Option<chrono::DateTime<Utc>> {
    let read = authjs.run(json!([{ "op": "getSessionAndUser", "args": [token] }]));
    (!read[0].is_null()).then(|| instant(&read[0]["session"]["expires"]))
}

/// Where the schema gives accounts or sessions an id of their own that the
/// writer makes (next-auth 4's Prisma models), the row's: made as the
/// adapter's writer makes it.
async fn own_id_is_made_as_the_adapter_makes<A: AuthJsAdapter>(
    db: &TestDb,
    table: &str,
    filter: &str,
) {
    if !matches!(A::SCHEMA.row_ids, Some(ids) if ids != authstore::entity::descriptor::AuthJsIds::Serial)
    {
        return;
    }
    let ids = db
        .strings(&format!(
            r#"SELECT id AS name FROM "{table}" WHERE {filter}"#
        ))
        .await;
    assert!(made_as_the_adapter_makes::<A>(&ids[0]), "{ids:?}");
}

/// Prisma's row clocks: authstore writes `createdAt` and `updatedAt` on a
/// new user, as Prisma's client does (the database gives `updatedAt` no
/// default), and moves `updatedAt` on a change.
async fn row_clocks_are_written<A: AuthJsAdapter>(
    authjs: &NextAuth,
    store: &Store<A>,
    user: &A::Id,
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
    store.update_user(user.clone(), patch).await.unwrap();
    let read = authjs.run(json!([{ "op": "getUser", "args": [user] }]));
    let (still_created, moved) = clocks(&read[0]);
    assert_eq!(still_created, created);
    assert!(
        (Utc::now() - moved).abs() < TimeDelta::minutes(1),
        "{read:?}"
    );
}

async fn sessions_both_ways<A: AuthJsAdapter>(adapter: A, on: On) {
    let Some((db, authjs, store)) = shared(adapter, on, "interop_both").await else {
        return;
    };
    let user = ada(&store).await;
    assert!(
        made_as_the_adapter_makes::<A>(&user.to_string()),
        "an id as the adapter's writer makes: {user}"
    );
    if A::SCHEMA.row_clocks {
        row_clocks_are_written(&authjs, &store, &user).await;
    }
    let ours = store.create_session(user.clone()).await.unwrap();
    let token = ours.session_token.expose();
    assert!(
        uuid_v4(token),
        "a token as crypto.randomUUID() makes them: {token}"
    );
    let mine = format!(r#""sessionToken" = '{token}'"#);
    own_id_is_made_as_the_adapter_makes::<A>(&db, A::SCHEMA.sessions, &mine).await;
    let read = authjs.run(json!([{ "op": "getSessionAndUser", "args": [token] }]));
    assert_eq!(read[0]["user"]["email"], "ada@example.com");
    assert_eq!(read[0]["session"]["userId"], json!(user));
    assert_eq!(instant(&read[0]["session"]["expires"]), ours.expires);
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
        .expect("authstore reads Auth.js's session");
    assert_eq!(found.user.email.as_deref(), Some("grace@example.com"));
    assert_eq!(found.user.id, id_of::<A>(&theirs[0]["id"]));
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

async fn renewal<A: AuthJsAdapter>(adapter: A, on: On) {
    let Some((db, authjs, store)) = shared(adapter, on, "interop_renewal").await else {
        return;
    };
    let user = ada(&store).await;
    let start = ms(Utc::now());
    let due = start + TimeDelta::seconds(UPDATE_AGE);
    let max_age = TimeDelta::seconds(MAX_AGE);

    // A millisecond before the renewal is due, neither side writes.
    let ours = at(&store, start)
        .create_session(user.clone())
        .await
        .unwrap();
    let token = ours.session_token.expose();
    let before = due - TimeDelta::milliseconds(1);
    session_route(&authjs, token, before);
    assert_eq!(adapter_expiry(&authjs, token), Some(ours.expires));
    let read = at(&store, before)
        .get_session_and_user(token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read.session.expires, ours.expires,
        "not renewed by either side"
    );
    assert!(!read.session.fresh);

    // At the instant it is due, Auth.js renews it to its now + maxAge (its
    // answer still shows the expiry it read; the row has the new one)...
    let route = session_route(&authjs, token, due);
    assert_eq!(instant(&route["body"]["expires"]), ours.expires, "{route}");
    let seen = at(&store, due)
        .get_session_and_user(token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        seen.session.expires,
        due + max_age,
        "authstore sees Auth.js's renewal"
    );

    // ...and so does authstore, on a session Auth.js made.
    let theirs = authjs.run(json!([{ "op": "createSession", "args": [{
        "sessionToken": "0e2f7a1c-2222-4ccc-9ddd-0123456789ab", "userId": user,
        "expires": { "$date": (start + max_age).to_rfc3339() } }] }]));
    assert!(theirs[0].is_object());
    let renewed = at(&store, due)
        .get_session_and_user("0e2f7a1c-2222-4ccc-9ddd-0123456789ab")
        .await
        .unwrap()
        .unwrap();
    assert!(renewed.session.fresh);
    assert_eq!(
        adapter_expiry(&authjs, "0e2f7a1c-2222-4ccc-9ddd-0123456789ab"),
        Some(due + max_age)
    );
    db.destroy().await;
}

async fn expiry<A: AuthJsAdapter>(adapter: A, on: On) {
    let Some((db, authjs, store)) = shared(adapter, on, "interop_expired").await else {
        return;
    };
    let user = ada(&store).await;
    let start = ms(Utc::now());
    let created = at(&store, start);
    let mut tokens = Vec::new();
    for _ in 0..4 {
        let session = created.create_session(user.clone()).await.unwrap();
        tokens.push(session.session_token.expose().to_owned());
    }
    let end = start + TimeDelta::seconds(MAX_AGE);
    let max_age = TimeDelta::seconds(MAX_AGE);

    // At `expires` exactly, both sides still serve it (Auth.js: `expires <
    // now` is over), and renew it.
    let route = session_route(&authjs, &tokens[0], end);
    assert_eq!(route["body"]["user"]["email"], "ada@example.com", "{route}");
    assert_eq!(adapter_expiry(&authjs, &tokens[0]), Some(end + max_age));
    let read = at(&store, end)
        .get_session_and_user(&tokens[1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.session.expires, read.session.fresh),
        (end + max_age, true)
    );

    // A millisecond later, each side deletes the one it reads.
    let after = end + TimeDelta::milliseconds(1);
    let route = session_route(&authjs, &tokens[2], after);
    assert_eq!(route["body"], Value::Null, "{route}");
    let sessions = A::SCHEMA.sessions;
    assert_eq!(
        db.count_rows(sessions).await,
        3,
        "Auth.js deleted the one it read"
    );
    assert!(
        at(&store, after)
            .get_session_and_user(&tokens[3])
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        db.count_rows(sessions).await,
        2,
        "authstore deleted the one it read"
    );
    db.destroy().await;
}

async fn sign_out<A: AuthJsAdapter>(adapter: A, on: On) {
    let Some((db, authjs, store)) = shared(adapter, on, "interop_sign_out").await else {
        return;
    };
    let user = ada(&store).await;
    let ours = store.create_session(user.clone()).await.unwrap();
    authjs.run(json!([{ "op": "deleteSession", "args": [ours.session_token.expose()] }]));
    assert!(
        store
            .get_session_and_user(ours.session_token.expose())
            .await
            .unwrap()
            .is_none()
    );

    let theirs = "5d9b3c2a-3333-4eee-afff-0123456789ab";
    authjs.run(
        json!([{ "op": "createSession", "args": [{ "sessionToken": theirs, "userId": user,
        "expires": { "$date": "2099-01-01T00:00:00Z" } }] }]),
    );
    assert!(store.delete_session(theirs).await.unwrap());
    assert_eq!(adapter_expiry(&authjs, theirs), None);
    // A session whose user the app deleted by hand is no session for
    // either side (where no foreign key took the session with the user).
    let orphan = store.create_session(user).await.unwrap().session_token;
    let by_hand = format!(r#"DELETE FROM "{}""#, A::SCHEMA.users);
    authjs.run(json!([{ "op": "query", "args": [by_hand] }]));
    assert_eq!(adapter_expiry(&authjs, orphan.expose()), None);
    assert!(
        store
            .get_session_and_user(orphan.expose())
            .await
            .unwrap()
            .is_none()
    );
    db.destroy().await;
}

async fn users_and_accounts<A: AuthJsAdapter>(adapter: A, on: On) {
    let Some((db, authjs, store)) = shared(adapter, on, "interop_users").await else {
        return;
    };
    let user = ada(&store).await;
    let tokens = AuthJsTokens {
        access_token: Some(Secret::from("gho_ours")),
        expires_at: Some(1_900_000_000),
        scope: Some("read:user".into()),
        token_type: Some("bearer".into()),
        ..Default::default()
    };
    let linked = NewAuthJsAccount {
        tokens,
        ..NewAuthJsAccount::oauth(user.clone(), "github", "1234")
    };
    store.link_account(linked).await.unwrap();
    own_id_is_made_as_the_adapter_makes::<A>(&db, A::SCHEMA.accounts, "provider = 'github'").await;
    let accounts = A::SCHEMA.accounts;
    let read = authjs.run(json!([
        { "op": "getUserByAccount", "args": [{ "provider": "github", "providerAccountId": "1234" }] },
        { "op": "getUserByEmail", "args": ["ada@example.com"] },
        { "op": "query", "args": [format!(r#"SELECT access_token, expires_at, type FROM "{accounts}""#)] },
    ]));
    assert_eq!(read[0]["id"], json!(user));
    assert_eq!(read[1]["id"], json!(user));
    assert_eq!(read[2][0]["access_token"], "gho_ours");
    // node-postgres reads a bigint as a string, an integer as a number.
    let expires_at = match A::SCHEMA.expires_at_integer {
        true => json!(1_900_000_000),
        false => json!("1900000000"),
    };
    assert_eq!(read[2][0]["expires_at"], expires_at);
    assert_eq!(read[2][0]["type"], "oauth");
    if A::SCHEMA.expires_at_32_bit_on(db.conn.get_database_backend()) {
        // Past 2038 a 32-bit `integer` cannot hold the expiry: refused,
        // nothing written.
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
        assert_eq!(db.count_rows(accounts).await, 1);
    }

    let theirs = authjs.run(json!([
        { "op": "createUser", "args": [{ "email": "grace@example.com", "emailVerified": { "$date": "2030-01-02T03:04:05.678Z" } }] },
        { "op": "linkAccount", "args": [{ "userId": "$0.id", "type": "oidc", "provider": "google",
            "providerAccountId": "g-1", "id_token": "eyJ.theirs", "expires_at": 1900000001,
            "scope": "openid email" }] },
        { "op": "createSession", "args": [{ "sessionToken": "9f0e1d2c-4444-4aaa-8bbb-0123456789ab",
            "userId": "$0.id", "expires": { "$date": "2099-01-01T00:00:00Z" } }] },
    ]));
    let grace = id_of::<A>(&theirs[0]["id"]);
    let found = store
        .get_user_by_account("google", "g-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, grace);
    assert_eq!(
        found.email_verified,
        Some(instant(&json!("2030-01-02T03:04:05.678Z")))
    );
    let accounts_of = store.user_accounts(grace.clone()).await.unwrap();
    let google = &accounts_of[0].linked;
    assert_eq!(google.kind, "oidc");
    assert_eq!(
        google.tokens.id_token.as_ref().map(Secret::expose),
        Some("eyJ.theirs")
    );
    assert_eq!(google.tokens.expires_at, Some(1_900_000_001));
    assert_eq!(google.tokens.scope.as_deref(), Some("openid email"));
    // Where the app's tables have WebAuthn authenticators, Grace has one.
    let tables = db.table_names().await;
    let passkeys = A::SCHEMA
        .authenticators
        .is_some_and(|table| tables.iter().any(|t| t == table));
    if passkeys {
        authjs.run(json!([
            { "op": "createAuthenticator", "args": [{ "credentialID": "Y3JlZA==", "userId": grace,
                "providerAccountId": "Y3JlZA==", "credentialPublicKey": "cGs=", "counter": 0,
                "credentialDeviceType": "singleDevice", "credentialBackedUp": false,
                "transports": "usb,nfc" }] },
        ]));
    }

    // A user deleted by authstore goes with everything of theirs, as the
    // adapter's deleteUser takes it.
    store.delete_user(grace.clone()).await.unwrap();
    let read = authjs.run(json!([
        { "op": "getUser", "args": [grace] },
        { "op": "getUserByAccount", "args": [{ "provider": "google", "providerAccountId": "g-1" }] },
        { "op": "getSessionAndUser", "args": ["9f0e1d2c-4444-4aaa-8bbb-0123456789ab"] },
    ]));
    assert_eq!(read, vec![Value::Null, Value::Null, Value::Null]);
    assert_eq!(db.count_rows(A::SCHEMA.sessions).await, 0);
    if passkeys {
        let left = authjs.run(json!([{ "op": "listAuthenticatorsByUserId", "args": [grace] }]));
        assert_eq!(left[0], json!([]));
    }

    // One deleted by the adapter is gone for authstore.
    authjs.run(json!([{ "op": "deleteUser", "args": [user] }]));
    assert_eq!(store.get_user(user).await.unwrap(), None);
    assert_eq!(
        store.get_user_by_account("github", "1234").await.unwrap(),
        None
    );
    db.destroy().await;
}

async fn links<A: AuthJsAdapter>(adapter: A, on: On) {
    let Some((db, authjs, store)) = shared(adapter, on, "interop_links").await else {
        return;
    };
    // Auth.js's email sign-in sends a link; authstore takes its token once.
    let sent = authjs.run(json!([{ "op": "sendLink", "args": ["Ada@Example.com "] }]));
    assert_eq!(sent[0]["identifier"], "ada@example.com", "{:?}", sent[0]);
    let token = sent[0]["token"].as_str().unwrap();
    let used = store
        .use_verification_token("ada@example.com", token)
        .await
        .unwrap();
    assert_eq!(
        used.map(|used| used.identifier).as_deref(),
        Some("ada@example.com")
    );
    assert!(
        store
            .use_verification_token("ada@example.com", token)
            .await
            .unwrap()
            .is_none()
    );
    // Another link of Auth.js's signs the person in by authstore: a user
    // made as the adapter's writer makes one, a session the adapter reads.
    let sent = authjs.run(json!([{ "op": "sendLink", "args": ["ada@example.com"] }]));
    let (user, session) = store
        .sign_in_with_link("ada@example.com", sent[0]["token"].as_str().unwrap())
        .await
        .unwrap()
        .expect("Auth.js's link signs in");
    assert!(
        made_as_the_adapter_makes::<A>(&user.id.to_string()),
        "{}",
        user.id
    );
    let read = authjs.run(json!([
        { "op": "getSessionAndUser", "args": [session.session_token.expose()] },
    ]));
    assert_eq!(read[0]["user"]["id"], json!(user.id));

    // authstore's link signs the person in through Auth.js's callback,
    // once; the session it starts is one authstore reads.
    let (_, token) = store
        .create_verification_token("grace@example.com")
        .await
        .unwrap();
    let callback = authjs
        .run(json!([{ "op": "emailCallback", "args": [token.expose(), "grace@example.com"] }]));
    assert_eq!(callback[0]["status"], 302, "{:?}", callback[0]);
    let set = callback[0]["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find_map(|cookie| cookie.strip_prefix(&format!("{COOKIE}=")))
        .expect("Auth.js set its session cookie");
    let session_token = set.split(';').next().unwrap();
    let found = store
        .get_session_and_user(session_token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.email.as_deref(), Some("grace@example.com"));
    assert!(found.user.email_verified.is_some());
    let again = authjs
        .run(json!([{ "op": "emailCallback", "args": [token.expose(), "grace@example.com"] }]));
    assert!(
        again[0]["location"]
            .as_str()
            .unwrap_or_default()
            .contains("error=Verification"),
        "{:?}",
        again[0]
    );

    // An expired link is refused by authstore, and spent all the same.
    let (_, late) = at(&store, Utc::now() - TimeDelta::days(2))
        .create_verification_token("ada@example.com")
        .await
        .unwrap();
    assert!(
        store
            .use_verification_token("ada@example.com", late.expose())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(db.count_rows(A::SCHEMA.verification).await, 0);
    db.destroy().await;
}

/// The basic cases of Auth.js's own adapter test suite
/// ([`authjs::the_adapter_suites_basic_cases`]).
async fn adapter_suite<A: AuthJsAdapter>(adapter: A, on: On) {
    let Some((db, authjs, store)) = shared(adapter, on, "interop_suite").await else {
        return;
    };
    authjs::the_adapter_suites_basic_cases(&authjs, &store).await;
    db.destroy().await;
}

/// next-auth 4.24's own session route (its `AuthHandler`) on the adapter:
/// it renews and deletes at the instants authstore does.
async fn next_auth_4<A: AuthJsAdapter>(adapter: A, on: On) {
    let Some((db, authjs, store)) = shared(adapter, on, "interop_v4").await else {
        return;
    };
    authjs::next_auth_4_draws_the_same_boundaries(&authjs, &store).await;
    db.destroy().await;
}

/// next-auth 4.24's own email sign-in on the adapter (its `AuthHandler`:
/// CSRF token, the POST, the callback): its link signs the person in by
/// authstore, and authstore's link through its callback, whose
/// `next-auth.session-token` authstore then reads.
async fn next_auth_4_links<A: AuthJsAdapter>(adapter: A, on: On) {
    let Some((db, authjs, store)) = shared(adapter, on, "interop_v4_links").await else {
        return;
    };
    // A POST whose CSRF token is not its cookie's sends nothing.
    let forged = authjs.run(json!([{ "op": "sendLink4", "args": ["ada@example.com", "forged"] }]));
    assert!(forged[0]["token"].is_null(), "{:?}", forged[0]);
    assert!(
        forged[0]["redirect"]
            .as_str()
            .unwrap_or_default()
            .contains("csrf=true"),
        "{:?}",
        forged[0]
    );
    assert_eq!(db.count_rows(A::SCHEMA.verification).await, 0);
    let sent = authjs.run(json!([{ "op": "sendLink4", "args": ["Ada@Example.com"] }]));
    assert_eq!(sent[0]["identifier"], "ada@example.com", "{:?}", sent[0]);
    assert!(
        sent[0]["redirect"]
            .as_str()
            .unwrap_or_default()
            .contains("verify-request"),
        "{:?}",
        sent[0]
    );
    let (user, session) = store
        .sign_in_with_link("ada@example.com", sent[0]["token"].as_str().unwrap())
        .await
        .unwrap()
        .expect("next-auth 4's link signs in");
    assert!(user.email_verified.is_some());
    assert_eq!(
        adapter_expiry(&authjs, session.session_token.expose()),
        Some(session.expires)
    );

    let (_, token) = store
        .create_verification_token("grace@example.com")
        .await
        .unwrap();
    let callback = authjs
        .run(json!([{ "op": "emailCallback4", "args": [token.expose(), "grace@example.com"] }]));
    let cookie = callback[0]["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|cookie| cookie["name"] == "next-auth.session-token")
        .unwrap_or_else(|| panic!("next-auth 4 set its session cookie: {:?}", callback[0]));
    let found = store
        .get_session_and_user(cookie["value"].as_str().unwrap())
        .await
        .unwrap()
        .expect("authstore reads next-auth 4's session");
    assert_eq!(found.user.email.as_deref(), Some("grace@example.com"));
    assert!(made_as_the_adapter_makes::<A>(&found.user.id.to_string()));
    assert_eq!(
        db.count_rows(A::SCHEMA.verification).await,
        0,
        "both links spent"
    );
    db.destroy().await;
}

/// WebAuthn authenticators, both ways: the credential and its key in
/// standard base64 as Auth.js writes them (`+` and `/`, padded), after the
/// `webauthn` account Auth.js signs the passkey in through; counters moved
/// up by either side, never down by authstore. Refused with nothing
/// written: a duplicate credential, a credential another user's account
/// names, none at all, an account named otherwise, a counter the `integer`
/// cannot hold. Where the app's tables keep no passkeys
/// (`@auth/pg-adapter`; next-auth 4's Prisma models as its docs gave them),
/// every call is a typed refusal.
async fn passkeys<A: AuthJsAdapter>(adapter: A, on: On) {
    let Some((db, authjs, store)) = shared(adapter, on, "interop_passkeys").await else {
        return;
    };
    let user = ada(&store).await;
    let passkey =
        |user_id: &A::Id, credential_id: &[u8], provider_account_id: &str| AuthJsAuthenticator {
            user_id: user_id.clone(),
            credential_id: credential_id.to_vec(),
            provider_account_id: provider_account_id.to_owned(),
            credential_public_key: vec![0xa5, 1, 2, 3, 0xfe, 0xff],
            counter: 0,
            credential_device_type: "multiDevice".to_owned(),
            credential_backed_up: true,
            transports: Some("internal,hybrid".to_owned()),
        };
    let passkey_account = |user_id: &A::Id, credential: &str| NewAuthJsAccount {
        kind: "webauthn".to_owned(),
        ..NewAuthJsAccount::oauth(user_id.clone(), "passkey", credential)
    };
    use authstore::entity::descriptor::AuthJsAdapterKind;
    if matches!(
        A::SCHEMA.adapter,
        AuthJsAdapterKind::Pg | AuthJsAdapterKind::PrismaV4
    ) {
        let refused = store
            .create_authenticator(passkey(&user, b"cred", "Y3JlZA=="))
            .await;
        assert!(
            matches!(refused, Err(Error::Config(ConfigError::NoAuthenticators))),
            "{refused:?}"
        );
        let refused = store.get_authenticator(b"cred").await;
        assert!(
            matches!(refused, Err(Error::Config(ConfigError::NoAuthenticators))),
            "{refused:?}"
        );
        db.destroy().await;
        return;
    }
    let table = A::SCHEMA
        .authenticators
        .expect("the adapter keeps passkeys");
    // No account names the credential yet: nobody Auth.js could sign in.
    let alone = store
        .create_authenticator(passkey(&user, &[0xfb, 0xff, 0x01], "+/8B"))
        .await;
    assert!(
        matches!(&alone, Err(Error::Validation(errors)) if errors.field_errors().contains_key("provider_account_id")),
        "{alone:?}"
    );
    store
        .link_account(passkey_account(&user, "+/8B"))
        .await
        .unwrap();
    let ours = store
        .create_authenticator(passkey(&user, &[0xfb, 0xff, 0x01], "+/8B"))
        .await
        .unwrap();
    assert_eq!(ours.credential_id_base64(), "+/8B");
    let read = authjs.run(json!([
        { "op": "getAuthenticator", "args": ["+/8B"] },
        { "op": "getAccount", "args": ["+/8B", "passkey"] },
    ]));
    assert_eq!(read[0]["credentialID"], "+/8B");
    assert_eq!(read[0]["credentialPublicKey"], "pQECA/7/");
    assert_eq!(read[0]["userId"], json!(user));
    assert_eq!(
        (
            &read[0]["counter"],
            &read[0]["credentialBackedUp"],
            &read[0]["transports"]
        ),
        (&json!(0), &json!(true), &json!("internal,hybrid"))
    );
    assert_eq!(
        read[1]["userId"],
        json!(user),
        "whom Auth.js signs the passkey in as"
    );

    authjs.run(json!([
        { "op": "linkAccount", "args": [{ "userId": user, "type": "webauthn", "provider": "passkey",
            "providerAccountId": "AAEC/w==" }] },
        { "op": "createAuthenticator", "args": [{ "credentialID": "AAEC/w==", "userId": user,
            "providerAccountId": "AAEC/w==", "credentialPublicKey": "pQECAw==", "counter": 5,
            "credentialDeviceType": "singleDevice", "credentialBackedUp": false,
            "transports": null }] },
    ]));
    let theirs = store
        .get_authenticator(&[0, 1, 2, 0xff])
        .await
        .unwrap()
        .expect("the adapter's passkey");
    assert_eq!(
        (
            theirs.credential_public_key.as_slice(),
            theirs.counter,
            &theirs.transports
        ),
        (&[0xa5, 1, 2, 3][..], 5, &None)
    );
    let listed = store.list_authenticators(user.clone()).await.unwrap();
    assert_eq!(listed, [ours, theirs]);

    // Counters go up, moved by either side; never down, nor to the same.
    store
        .update_authenticator_counter(&[0, 1, 2, 0xff], 6)
        .await
        .unwrap();
    authjs.run(json!([{ "op": "updateAuthenticatorCounter", "args": ["+/8B", 9] }]));
    let read = authjs.run(json!([{ "op": "getAuthenticator", "args": ["AAEC/w=="] }]));
    assert_eq!(read[0]["counter"], 6);
    for replayed in [9, 8] {
        let refused = store
            .update_authenticator_counter(&[0xfb, 0xff, 0x01], replayed)
            .await;
        assert!(
            matches!(&refused, Err(Error::Validation(errors)) if errors.field_errors().contains_key("counter")),
            "{replayed}: {refused:?}"
        );
    }
    let ours = store
        .get_authenticator(&[0xfb, 0xff, 0x01])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ours.counter, 9);

    // Refused, with nothing written.
    let twice = store
        .create_authenticator(passkey(&user, &[0xfb, 0xff, 0x01], "+/8B"))
        .await;
    assert!(
        matches!(twice, Err(Error::Conflict(Conflict::Credential))),
        "{twice:?}"
    );
    // Bob's account names a credential; Ada cannot hold it.
    let bob = store
        .create_user(NewUser {
            email: Some("bob@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .id;
    store
        .link_account(passkey_account(&bob, "Ym9i"))
        .await
        .unwrap();
    let taken = store
        .create_authenticator(passkey(&user, b"bob", "Ym9i"))
        .await;
    assert!(
        matches!(taken, Err(Error::Conflict(Conflict::Account))),
        "{taken:?}"
    );
    // An account named otherwise than the credential.
    let misnamed = store
        .create_authenticator(passkey(&bob, b"bob", "+/8B"))
        .await;
    assert!(
        matches!(&misnamed, Err(Error::Validation(errors)) if errors.field_errors().contains_key("provider_account_id")),
        "{misnamed:?}"
    );
    let too_far = AuthJsAuthenticator {
        counter: 1 << 31,
        ..passkey(&bob, b"bob", "Ym9i")
    };
    let refused = store.create_authenticator(too_far).await;
    assert!(
        matches!(&refused, Err(Error::Validation(errors)) if errors.field_errors().contains_key("counter")),
        "{refused:?}"
    );
    let refused = store
        .update_authenticator_counter(&[0xfb, 0xff, 0x01], 1 << 31)
        .await;
    assert!(matches!(refused, Err(Error::Validation(_))), "{refused:?}");
    assert_eq!(db.count_rows(table).await, 2);
    assert_eq!(
        store
            .get_authenticator(&[0xfb, 0xff, 0x01])
            .await
            .unwrap()
            .unwrap()
            .counter,
        9
    );
    let unknown = store.update_authenticator_counter(b"none", 1).await;
    assert!(matches!(unknown, Err(Error::NotFound)), "{unknown:?}");
    // An authenticator that keeps no counter stays at 0.
    let bobs = store
        .create_authenticator(passkey(&bob, b"bob", "Ym9i"))
        .await
        .unwrap();
    assert_eq!(
        store
            .update_authenticator_counter(b"bob", 0)
            .await
            .unwrap()
            .counter,
        bobs.counter
    );
    db.destroy().await;
}

// `authjs-pg`'s own: its serial ids, and what its schema lets an app write.

#[tokio::test]
async fn authstore_keeps_one_user_per_mailbox_and_per_provider_account() {
    let Some((db, authjs, store)) = shared_pg("authjs_interop_unique").await else {
        return;
    };
    // The app wrote an address in another case: still the same mailbox.
    authjs.run(json!([{ "op": "createUser", "args": [{ "email": "Ada@Example.com" }] }]));
    let again = NewUser {
        email: Some("ada@example.com".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.create_user(again).await,
        Err(Error::Conflict(_))
    ));
    // Auth.js keeps a domain as typed: the app's row in punycode is the
    // mailbox authstore spells in Unicode. No second user is made for it,
    // it is found in either spelling, and its owner signs in by link.
    let theirs = authjs.run(json!([
        { "op": "createUser", "args": [{ "email": "zoe@xn--caf-dma.example" }] },
    ]));
    let zoe_id = theirs[0]["id"].as_i64().unwrap() as i32;
    let zoe = NewUser {
        email: Some("zoe@café.example".into()),
        ..Default::default()
    };
    let taken = store.create_user(zoe).await;
    assert!(
        matches!(taken, Err(Error::Conflict(Conflict::Email))),
        "{taken:?}"
    );
    for spelling in ["zoe@café.example", "zoe@xn--caf-dma.example"] {
        let found = store.get_user_by_email(spelling).await.unwrap();
        assert_eq!(found.map(|user| user.id), Some(zoe_id), "{spelling}");
    }
    let (_, link) = store
        .create_verification_token("zoe@xn--caf-dma.example")
        .await
        .unwrap();
    let (user, _) = store
        .sign_in_with_link("zoe@xn--caf-dma.example", link.expose())
        .await
        .unwrap()
        .expect("the mailbox's owner signs in");
    assert_eq!((user.id, user.email_verified.is_some()), (zoe_id, true));
    // Found as the adapter finds it: the row holding the canonical form
    // exactly, which this one does not.
    assert_eq!(
        store.get_user_by_email("ADA@example.com").await.unwrap(),
        None
    );
    let theirs = authjs.run(json!([{ "op": "getUserByEmail", "args": ["Ada@Example.com"] }]));
    let id = theirs[0]["id"].as_i64().unwrap() as i32;
    let found = store.get_user(id).await.unwrap().unwrap();
    let linked = store
        .link_account(NewAuthJsAccount::oauth(found.id, "github", "1"))
        .await
        .unwrap();
    let twice = store
        .link_account(NewAuthJsAccount::oauth(found.id, "github", "1"))
        .await;
    assert!(matches!(twice, Err(Error::Conflict(_))), "{twice:?}");
    assert_eq!(linked.linked.user_id, found.id);
    // Nobody to link to, nobody to start a session for: nothing written.
    let orphan = store
        .link_account(NewAuthJsAccount::oauth(found.id + 100, "github", "2"))
        .await;
    assert!(matches!(orphan, Err(Error::UnknownUser)), "{orphan:?}");
    assert!(matches!(
        store.create_session(found.id + 100).await,
        Err(Error::UnknownUser)
    ));
    assert_eq!(db.count_rows("accounts").await, 1);
    assert_eq!(
        db.count_rows("sessions").await,
        1,
        "only Zoe's, from her link"
    );
    // A type the major does not write is refused, and nothing is written.
    let v4_only = NewAuthJsAccount {
        kind: "credentials".into(),
        ..NewAuthJsAccount::oauth(found.id, "creds", "3")
    };
    assert!(matches!(
        store.link_account(v4_only.clone()).await,
        Err(Error::Validation(_))
    ));
    let v4 = store.clone();
    let v4 = AuthJsStore::new(
        v4.connection().clone(),
        v4.config().clone().next_auth_major(NextAuthMajor::V4),
    );
    v4.link_account(v4_only).await.unwrap();
    db.destroy().await;
}

#[tokio::test]
async fn a_link_signs_in_only_whom_authjs_would() {
    let Some((db, authjs, store)) = shared_pg("authjs_interop_link_refusals").await else {
        return;
    };
    let links = async |address: &str| db_links(&db, address).await;
    // Another address's token, an unknown one, a spent one: nobody.
    let (_, ada) = store
        .create_verification_token("ada@example.com")
        .await
        .unwrap();
    assert!(
        store
            .sign_in_with_link("eve@example.com", ada.expose())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .sign_in_with_link("ada@example.com", "0".repeat(64).as_str())
            .await
            .unwrap()
            .is_none()
    );
    let (user, _) = store
        .sign_in_with_link("ADA@example.com ", ada.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.email.as_deref(), Some("ada@example.com"));
    assert!(user.email_verified.is_some());
    assert!(
        store
            .sign_in_with_link("ada@example.com", ada.expose())
            .await
            .unwrap()
            .is_none(),
        "spent"
    );
    // Expired: refused, and spent.
    let (_, late) = at(&store, Utc::now() - TimeDelta::days(2))
        .create_verification_token("ada@example.com")
        .await
        .unwrap();
    assert!(
        store
            .sign_in_with_link("ada@example.com", late.expose())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(links("ada@example.com").await, 0);

    // The app made `Grace@Example.com`; a link for grace@example.com is not
    // taken to be hers (Auth.js would make a second user; authstore keeps
    // one per mailbox and refuses), and the link stays unspent.
    authjs.run(json!([{ "op": "createUser", "args": [{ "email": "Grace@Example.com" }] }]));
    let (_, grace) = store
        .create_verification_token("grace@example.com")
        .await
        .unwrap();
    let refused = store
        .sign_in_with_link("grace@example.com", grace.expose())
        .await;
    assert!(matches!(refused, Err(Error::Conflict(_))), "{refused:?}");
    assert_eq!(links("grace@example.com").await, 1);
    assert_eq!(db.count_rows("users").await, 2);
    assert_eq!(db.count_rows("sessions").await, 1, "only ada's");
    // And the lookup by address finds only the exact row, as the adapter's.
    assert_eq!(
        store.get_user_by_email("grace@example.com").await.unwrap(),
        None
    );
    db.destroy().await;
}

async fn db_links(db: &TestDb, address: &str) -> usize {
    let sql =
        format!("SELECT token AS name FROM verification_token WHERE identifier = '{address}'");
    db.strings(&sql).await.len()
}

/// authstore's reading of the session cookie against Auth.js's own
/// (`@auth/core`'s copy of the `cookie` package and its `SessionStore`,
/// which joins chunks): the shapes Auth.js writes are read alike, and of
/// every other header authstore reads either nothing or what Auth.js reads.
#[test]
fn the_cookie_is_read_as_authjs_reads_it() {
    if !interop::authjs_installed() {
        return;
    }
    const WRITTEN: [&str; 8] = [
        "authjs.session-token=tok",
        "a=1; authjs.session-token=tok; b=2",
        "authjs.session-token.0=to; authjs.session-token.1=k",
        "authjs.session-token.1=k; x=y; authjs.session-token.0=to",
        "authjs.session-token.0=t; authjs.session-token.1=o; authjs.session-token.2=k",
        "  authjs.session-token = tok ; x=y",
        "authjs.session-token=t%3Dk",
        "authjs.session-token=; authjs.session-token.0=tok",
    ];
    const ODD: [&str; 16] = [
        "authjs.session-token=tok; authjs.session-token=other",
        "authjs.session-token=real; authjs.session-token\u{a0}=x",
        "authjs.session-token\u{a0}=x; authjs.session-token=real",
        "authjs.session-token=\u{a0}; authjs.session-token=real",
        "authjs.session-token=real; authjs.session-token\u{85}=x",
        "authjs.session-token=whole; authjs.session-token.0=stale",
        "authjs.session-token=; authjs.session-token=planted",
        "\u{85}authjs.session-token=planted",
        "authjs.session-token=tok\u{a0}",
        "\u{a0}authjs.session-token=tok",
        "authjs.session-tokenX=planted",
        "authjs.session-token.1=b",
        "authjs.session-token.0=a; authjs.session-token.2=c",
        "authjs.session-token.01=a",
        "authjs.session-token=\"tok\"",
        "authjs.session-token=a%zz",
    ];
    let ops: Vec<Value> = WRITTEN
        .iter()
        .chain(ODD.iter())
        .map(|header| json!({ "op": "readCookie", "args": [header] }))
        .collect();
    let theirs = NextAuth::new("authjs/authjs.mjs", "postgres://unused").run(json!(ops));
    for (n, header) in WRITTEN.iter().chain(ODD.iter()).enumerate() {
        let mut headers = axum::http::HeaderMap::new();
        // The header's characters as the bytes a browser sent (Latin-1).
        let bytes: Vec<u8> = header.chars().map(|c| c as u32 as u8).collect();
        headers.insert(
            "cookie",
            axum::http::HeaderValue::from_bytes(&bytes).unwrap(),
        );
        let ours = authstore::web::cookies::read_cookie(
            &headers,
            COOKIE,
            authstore::web::RepeatedCookie::Chunked,
        )
        .map(|sent| sent.value);
        let js = theirs[n].as_str().unwrap();
        if n < WRITTEN.len() {
            assert_eq!(ours.as_deref(), Some(js), "{header:?}");
        } else {
            assert!(
                ours.is_none() || ours.as_deref() == Some(js),
                "{header:?}: ours {ours:?}, Auth.js {js:?}"
            );
        }
    }
}

/// An app on `@auth/pg-adapter` with JWT sessions (its Credentials provider
/// needs them): `JwtSessions::with_users` gives handlers the user row of a
/// token `@auth/core` wrote, and none for a `sub` no row has.
#[tokio::test]
async fn a_jwt_session_is_given_its_user_row() {
    use authstore::web::SignedIn;
    use authstore::web::authjs_jwt::{AuthJsJwt, JwtClaims, JwtSessions, JwtUser};
    use axum::{Router, routing::get};

    let Some((db, _, store)) = shared_pg("authjs_jwt_user").await else {
        return;
    };
    let ada = ada(&store).await;
    let jwt = AuthJsJwt::new(NextAuthMajor::V5, [SECRET]).unwrap();
    let sessions = JwtSessions::new(jwt, "http://localhost:3000")
        .unwrap()
        .with_users(store.clone());
    let app = Router::new()
        .route(
            "/me",
            get(|SignedIn { session, .. }: SignedIn<JwtUser>| async move {
                format!(
                    "{} {}",
                    session.user.id,
                    session.user.email.unwrap_or_default()
                )
            }),
        )
        .route(
            "/claims",
            get(|SignedIn { session, .. }: SignedIn<JwtClaims>| async move {
                session.sub().unwrap_or_default().to_owned()
            }),
        )
        .layer(sessions.layer());
    let js = NextAuth::new("authjs/jwt.mjs", "");
    let made = js.run(json!([
        { "op": "encode", "args": [5, { "sub": ada.to_string(), "email": "someone-else@example.com" }] },
        { "op": "encode", "args": [5, { "sub": "999999" }] },
        { "op": "encode", "args": [5, { "sub": format!("0{ada}") }] },
    ]));
    let cookie = |at: usize| vec![("cookie", format!("{COOKIE}={}", made[at].as_str().unwrap()))];

    // The row, not the token's own claims, says who the user is.
    let me = oneshot::send(&app, "GET", "/me", &cookie(0)).await;
    assert_eq!(
        (me.status.as_u16(), me.body),
        (200, format!("{ada} ada@example.com"))
    );
    assert!(
        me.set_cookie[0].starts_with(&format!("{COOKIE}=")),
        "renewed"
    );
    // No row for the `sub` (none, or only one that reads like it): no user,
    // while the token alone still reads.
    for at in [1, 2] {
        let me = oneshot::send(&app, "GET", "/me", &cookie(at)).await;
        assert_eq!(me.status.as_u16(), 401, "token {at}");
        let claims = oneshot::send(&app, "GET", "/claims", &cookie(at)).await;
        assert_eq!(claims.status.as_u16(), 200, "token {at}");
    }
    // A user the app deleted.
    store.delete_user(ada).await.unwrap();
    let me = oneshot::send(&app, "GET", "/me", &cookie(0)).await;
    assert_eq!(me.status.as_u16(), 401);
    db.destroy().await;
}
