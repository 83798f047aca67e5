//! What the Auth.js interop tests share, whichever adapter: one database
//! shared with Auth.js and the adapter under Node
//! (`tests/interop/authjs/authjs.mjs`) and the store on it, Auth.js's own
//! session route, and the shape of the ids both sides make.

use authstore::authjs::{AuthJsAdapter, AuthJsConfig, AuthJsStore};
use authstore::entity::descriptor::AuthJsIds;
use authstore::{NewUser, Profile};
use authstore_migration::ProfileMigrations;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use crate::interop::{self, MAX_AGE, NextAuth, SECRET, UPDATE_AGE};
use crate::{Backend, TestDb};

/// The v5 session cookie, over http.
pub const COOKIE: &str = "authjs.session-token";

/// A store of adapter `A`'s tables.
pub type Store<A> = AuthJsStore<DatabaseConnection, A>;

/// A database migrated for `adapter`'s profile, with Auth.js and that
/// adapter on it (authjs.mjs's `js_adapter`; `None` for pg) and the store,
/// at the interop tests' lengths and secret. `None` when the JS side is not
/// installed (outside CI).
pub async fn shared<A: AuthJsAdapter>(
    adapter: A,
    js_adapter: Option<&'static str>,
    test: &str,
) -> Option<(TestDb, NextAuth, Store<A>)> {
    if !interop::authjs_installed() {
        return None;
    }
    let db = TestDb::create(Backend::Postgres, test).await?;
    let profile: Profile = A::PROFILE;
    profile.up(&db.conn).await.unwrap();
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
