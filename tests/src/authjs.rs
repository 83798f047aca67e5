//! What the Auth.js interop tests share, whichever adapter: one database
//! shared with Auth.js and the adapter under Node
//! (`tests/interop/authjs/authjs.mjs`) and the store on it, Auth.js's own
//! session route, and the shape of the ids both sides make.

use authstore::authjs::{AuthJsAdapter, AuthJsConfig, AuthJsStore, AuthJsTokens, NewAuthJsAccount};
use authstore::entity::descriptor::{AuthJsAdapterKind, AuthJsIds, AuthJsSchema};
use authstore::{Error, NewUser, Profile, Secret, UserPatch};
use authstore_migration::ProfileMigrations;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

use crate::interop::{self, MAX_AGE, NextAuth, SECRET, UPDATE_AGE, instant, ms};
use crate::{Backend, TestDb};

/// The v5 session cookie, over http.
pub const COOKIE: &str = "authjs.session-token";

/// The tables Prisma makes from next-auth 4's docs' models, which profile
/// `authjs-prisma` adopts and [`PrismaV4Adapter`](authstore::authjs::PrismaV4Adapter) serves.
pub const PRISMA_V4_SCHEMA: &str = include_str!("../fixtures/authjs-prisma-v4-schema.sql");

/// A store of adapter `A`'s tables.
pub type Store<A> = AuthJsStore<DatabaseConnection, A>;

/// A database on `backend` migrated for `adapter`'s profile (adopting the tables the
/// app made, where the adapter serves an earlier shape of them), with Auth.js and that
/// adapter on it (authjs.mjs's `js_adapter`; `None` for pg) and the store,
/// at the interop tests' lengths and secret. `None` when the JS side is not
/// installed (outside CI).
pub async fn shared<A: AuthJsAdapter>(
    adapter: A,
    js_adapter: Option<&'static str>,
    backend: Backend,
    test: &str,
) -> Option<(TestDb, NextAuth, Store<A>)> {
    if !interop::authjs_installed() {
        return None;
    }
    let db = TestDb::create(backend, test).await?;
    migrated_as(&db, A::PROFILE, A::SCHEMA).await;
    let config = AuthJsConfig::default()
        .max_age(TimeDelta::seconds(MAX_AGE), TimeDelta::seconds(UPDATE_AGE))
        .unwrap()
        .secret(SECRET)
        .unwrap();
    let store = AuthJsStore::with_adapter(adapter, db.conn.clone(), config);
    let mut authjs = NextAuth::new("authjs/authjs.mjs", &db.url);
    authjs.adapter = js_adapter;
    Some((db, authjs, store))
}

/// `profile`'s migration run on `db`, which holds `schema`'s tables: laid
/// down by the migration, or, for an earlier shape the profile adopts
/// (next-auth 4's Prisma models), made first as the app made them.
pub async fn migrated_as(db: &TestDb, profile: Profile, schema: &AuthJsSchema) {
    if schema.adapter == AuthJsAdapterKind::PrismaV4 {
        db.conn.execute_unprepared(PRISMA_V4_SCHEMA).await.unwrap();
    }
    profile.up(&db.conn).await.unwrap();
}

/// The store with its clock stopped at `now`.
pub fn at<A: AuthJsAdapter>(store: &Store<A>, now: DateTime<Utc>) -> Store<A> {
    store.clone().with_clock(move || now)
}

/// Auth.js's session route, at `now`, for a browser sending `token`.
pub fn session_route(authjs: &NextAuth, token: &str, now: DateTime<Utc>) -> Value {
    let cookie = format!("{COOKIE}={token}");
    let settings = json!({ "now": now.timestamp_millis() });
    let out = authjs.run_with(settings, json!([{ "op": "session", "args": [cookie] }]));
    out[0].clone()
}

/// Ada, made by the store; her id.
pub async fn ada<A: AuthJsAdapter>(store: &Store<A>) -> A::Id {
    let ada = NewUser {
        name: Some("Ada".into()),
        email: Some("ada@example.com".into()),
        ..Default::default()
    };
    store.create_user(ada).await.unwrap().id
}

/// Whether `id` has the shape of the ids adapter `A`'s writer makes: a
/// UUID v4 ([`uuid_v4`]), or a CUID (`c` and 24 lowercase base-36
/// characters, as Prisma's `cuid()`).
pub fn made_as_the_adapter_makes<A: AuthJsAdapter>(id: &str) -> bool {
    match A::SCHEMA.user_ids {
        AuthJsIds::Uuid => uuid_v4(id),
        AuthJsIds::Cuid => {
            id.len() == 25
                && id.starts_with('c')
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        }
        AuthJsIds::Serial => id.parse::<i32>().is_ok(),
    }
}

/// `crypto.randomUUID()`'s shape: 36 characters, version 4, RFC 4122
/// variant, lowercase.
pub fn uuid_v4(id: &str) -> bool {
    let bytes = id.as_bytes();
    id.len() == 36
        && [8, 13, 18, 23].iter().all(|&at| bytes[at] == b'-')
        && bytes[14] == b'4'
        && matches!(bytes[19], b'8' | b'9' | b'a' | b'b')
        && id
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// next-auth 4.24's own session route (its `AuthHandler`, authjs.mjs's
/// `session4`) on `authjs`'s adapter renews and deletes at the instants
/// `store` does: a millisecond before a renewal is due, at it, at
/// `expires` and a millisecond after.
pub async fn next_auth_4_draws_the_same_boundaries<A: AuthJsAdapter>(
    authjs: &NextAuth,
    store: &Store<A>,
) {
    let user = ada(store).await;
    let start = ms(Utc::now());
    let (due, end) = (
        start + TimeDelta::seconds(UPDATE_AGE),
        start + TimeDelta::seconds(MAX_AGE),
    );
    let v4 = |token: &str, now: DateTime<Utc>| {
        let settings = json!({ "now": now.timestamp_millis() });
        authjs.run_with(settings, json!([{ "op": "session4", "args": [token] }]))[0].clone()
    };
    let expires = |token: &str| {
        let read = authjs.run(json!([{ "op": "getSessionAndUser", "args": [token] }]));
        read[0]["session"]["expires"]
            .as_str()
            .map(|at| instant(&json!(at)))
    };
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let session = at(store, start).create_session(user.clone()).await.unwrap();
        tokens.push(session.session_token.expose().to_owned());
    }
    // A millisecond before it is due: served, not renewed; at due: renewed.
    let read = v4(&tokens[0], due - TimeDelta::milliseconds(1));
    assert_eq!(read["body"]["user"]["email"], "ada@example.com", "{read}");
    assert_eq!(expires(&tokens[0]), Some(end));
    v4(&tokens[0], due);
    assert_eq!(expires(&tokens[0]), Some(due + TimeDelta::seconds(MAX_AGE)));
    // At `expires` served (and renewed); a millisecond later deleted.
    let read = v4(&tokens[1], end);
    assert_eq!(read["body"]["user"]["email"], "ada@example.com", "{read}");
    let read = v4(&tokens[2], end + TimeDelta::milliseconds(1));
    assert_eq!(read["body"], json!({}), "{read}");
    assert_eq!(expires(&tokens[2]), None, "deleted by next-auth 4");
    // authstore agrees on each instant.
    let session = at(store, start).create_session(user.clone()).await.unwrap();
    let token = session.session_token.expose();
    let before = at(store, due - TimeDelta::milliseconds(1))
        .get_session_and_user(token)
        .await
        .unwrap();
    assert!(!before.unwrap().session.fresh);
    let after = at(
        store,
        end + TimeDelta::seconds(UPDATE_AGE) + TimeDelta::milliseconds(1),
    );
    assert!(
        at(store, due)
            .get_session_and_user(token)
            .await
            .unwrap()
            .unwrap()
            .session
            .fresh
    );
    assert!(after.get_session_and_user(token).await.unwrap().is_none());
}

/// The basic cases of Auth.js's own adapter test suite
/// (`packages/utils/adapter.ts`, `runBasicTests`), each done by `store`'s
/// call of the same name and checked through the real adapter's reads
/// (`authjs`, on the same tables).
pub async fn the_adapter_suites_basic_cases<A: AuthJsAdapter>(authjs: &NextAuth, store: &Store<A>) {
    // An id nobody has, of the adapter's type.
    let nobody = || -> A::Id { "999999".parse().ok().expect("an id") };
    let read = |op: &str, args: Value| authjs.run(json!([{ "op": op, "args": args }]))[0].clone();

    // createUser, getUser, getUserByEmail
    let user = store
        .create_user(NewUser {
            name: Some("Fill Murray".into()),
            email: Some("fill@murray.com".into()),
            image: Some("https://www.fillmurray.com/460/300".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        read("getUser", json!([user.id.clone()]))["email"],
        "fill@murray.com"
    );
    assert_eq!(store.get_user(nobody()).await.unwrap(), None);
    assert_eq!(
        store.get_user(user.id.clone()).await.unwrap().as_ref(),
        Some(&user)
    );
    assert_eq!(
        store.get_user_by_email("non-existent-email").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .get_user_by_email("fill@murray.com")
            .await
            .unwrap()
            .as_ref(),
        Some(&user)
    );

    // createSession, getSessionAndUser
    let session = store.create_session(user.id.clone()).await.unwrap();
    let token = session.session_token.expose();
    let theirs = read("getSessionAndUser", json!([token]));
    assert_eq!(theirs["session"]["userId"], json!(user.id));
    assert_eq!(instant(&theirs["session"]["expires"]), session.expires);
    assert!(
        store
            .get_session_and_user("invalid-token")
            .await
            .unwrap()
            .is_none()
    );
    let found = store.get_session_and_user(token).await.unwrap().unwrap();
    assert_eq!(
        (found.user, found.session.expires),
        (user.clone(), session.expires)
    );

    // updateUser
    let patch = UserPatch {
        name: Some(Some("Updated Name".into())),
        ..Default::default()
    };
    let updated = store.update_user(user.id.clone(), patch).await.unwrap();
    assert_eq!(updated.name.as_deref(), Some("Updated Name"));
    assert_eq!(
        read("getUser", json!([user.id.clone()]))["name"],
        "Updated Name"
    );
    let taken = UserPatch {
        email: Some(Some("Fill@Murray.com".into())),
        ..Default::default()
    };
    assert_eq!(
        store
            .update_user(user.id.clone(), taken)
            .await
            .unwrap()
            .email
            .as_deref(),
        Some("fill@murray.com")
    );
    let other = store
        .create_user(NewUser {
            email: Some("other@murray.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let clash = UserPatch {
        email: Some(Some("FILL@murray.com".into())),
        ..Default::default()
    };
    assert!(matches!(
        store.update_user(other.id.clone(), clash).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        store.update_user(nobody(), Default::default()).await,
        Err(Error::NotFound)
    ));

    // linkAccount, getUserByAccount, getAccount
    let tokens = AuthJsTokens {
        access_token: Some(Secret::from("access")),
        refresh_token: Some(Secret::from("refresh")),
        id_token: Some(Secret::from("id")),
        expires_at: Some(1_900_000_000),
        token_type: Some("Bearer".into()),
        scope: Some("user".into()),
        session_state: Some("state".into()),
    };
    let account = NewAuthJsAccount {
        tokens,
        ..NewAuthJsAccount::oauth(user.id.clone(), "github", "gh-1")
    };
    let linked = store.link_account(account.clone()).await.unwrap();
    assert_eq!(linked.linked, account);
    let rows = read(
        "query",
        json!([format!(r#"SELECT * FROM "{}""#, A::SCHEMA.accounts)]),
    );
    assert_eq!(rows[0]["refresh_token"], "refresh");
    assert_eq!(rows[0]["session_state"], "state");
    assert_eq!(
        store
            .get_user_by_account("invalid-provider", "invalid")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .get_user_by_account("github", "gh-1")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(user.id.clone())
    );
    assert_eq!(store.get_account("github", "invalid").await.unwrap(), None);
    assert_eq!(store.get_account("invalid", "gh-1").await.unwrap(), None);
    assert_eq!(
        store.get_account("github", "gh-1").await.unwrap(),
        Some(linked)
    );

    // deleteSession
    assert!(store.delete_session(token).await.unwrap());
    assert_eq!(read("getSessionAndUser", json!([token])), Value::Null);

    // createVerificationToken, useVerificationToken: once, and for its own
    // identifier only.
    let (_, link) = store
        .create_verification_token("info@example.com")
        .await
        .unwrap();
    assert!(
        store
            .use_verification_token("invalid@identifier.com", link.expose())
            .await
            .unwrap()
            .is_none()
    );
    let used = store
        .use_verification_token("info@example.com", link.expose())
        .await
        .unwrap();
    assert_eq!(
        used.map(|used| used.identifier).as_deref(),
        Some("info@example.com")
    );
    assert!(
        store
            .use_verification_token("info@example.com", link.expose())
            .await
            .unwrap()
            .is_none()
    );

    // unlinkAccount
    assert!(store.unlink_account("github", "gh-1").await.unwrap());
    assert_eq!(
        read(
            "getUserByAccount",
            json!([{ "provider": "github", "providerAccountId": "gh-1" }])
        ),
        Value::Null
    );

    // deleteUser: with their sessions and accounts.
    let again = store.create_session(user.id.clone()).await.unwrap();
    store
        .link_account(NewAuthJsAccount::oauth(user.id.clone(), "github", "gh-1"))
        .await
        .unwrap();
    store.delete_user(user.id.clone()).await.unwrap();
    assert_eq!(read("getUser", json!([user.id.clone()])), Value::Null);
    assert_eq!(
        read("getSessionAndUser", json!([again.session_token.expose()])),
        Value::Null
    );
    assert_eq!(
        read(
            "getUserByAccount",
            json!([{ "provider": "github", "providerAccountId": "gh-1" }])
        ),
        Value::Null
    );
    assert!(matches!(
        store.delete_user(user.id.clone()).await,
        Err(Error::NotFound)
    ));
}
