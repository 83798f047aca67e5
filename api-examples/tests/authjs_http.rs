//! The example on an `authjs-pg`, an `authjs-drizzle` and an
//! `authjs-prisma` database, beside Auth.js (`@auth/core` 0.41.3 with
//! `@auth/pg-adapter` 1.11.3, `@auth/drizzle-adapter` 1.11.3 or
//! `@auth/prisma-adapter` 2.11.3, run under Node) over HTTP: a session the
//! adapter made is recognised by its cookie, whole or in
//! Auth.js's chunks, under the cookie name of the configured next-auth
//! major only; a session the example starts with its email sign-in is one
//! the adapter finds; a sign-out on either side ends it for both.

use authstore::authjs::{
    AuthJsAdapter, AuthJsConfig, AuthJsStore, DrizzleAdapter, NextAuthMajor, PgAdapter,
    PrismaAdapter, PrismaV4Adapter,
};
use authstore_examples::Outbox;
use authstore_examples::authjs::{AuthJsState, authjs_app};
use authstore_examples::limits::{Limits, RequestLimit};
use authstore_tests::authjs::migrated_as;
use authstore_tests::interop::{self, NextAuth, SECRET};
use authstore_tests::{Backend, TestDb};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::num::NonZeroU32;

mod support;

fn limits() -> Limits {
    let many = NonZeroU32::new(1000).unwrap();
    Limits {
        links: RequestLimit::new(many, many),
        sign_ups: RequestLimit::new(many, many),
    }
}

#[tokio::test]
async fn the_example_and_the_pg_adapter_share_sessions_both_ways() {
    share_sessions_both_ways(PgAdapter, None, Backend::Postgres).await;
}

#[tokio::test]
async fn the_example_and_the_drizzle_adapter_share_sessions_both_ways() {
    share_sessions_both_ways(DrizzleAdapter, Some("drizzle"), Backend::Postgres).await;
}

#[tokio::test]
async fn the_example_and_the_prisma_adapter_share_sessions_both_ways() {
    share_sessions_both_ways(PrismaAdapter, Some("prisma"), Backend::Postgres).await;
}

/// On the Drizzle adapter's SQLite tables.
#[tokio::test]
async fn the_example_and_the_drizzle_adapter_share_sessions_on_sqlite() {
    share_sessions_both_ways(DrizzleAdapter, Some("drizzle"), Backend::Sqlite).await;
}

/// On the tables of next-auth 4's docs' Prisma models.
#[tokio::test]
async fn the_example_and_the_prisma_adapter_share_next_auth_4s_tables_both_ways() {
    share_sessions_both_ways(PrismaV4Adapter, Some("prismaV4"), Backend::Postgres).await;
}

/// The example on `adapter`'s tables on `backend`, beside the JS adapter of
/// that name (authjs.mjs's `adapter` setting).
async fn share_sessions_both_ways<A: AuthJsAdapter>(
    adapter: A,
    js_adapter: Option<&'static str>,
    backend: Backend,
) {
    if !interop::authjs_installed() {
        return;
    }
    let name = format!("authjs_http_{:?}_{}", A::SCHEMA.adapter, backend.name()).to_lowercase();
    let Some(db) = TestDb::create(backend, &name).await else {
        return;
    };
    migrated_as(&db, A::PROFILE, A::SCHEMA).await;
    let mut authjs = NextAuth::new("authjs/authjs.mjs", &db.url);
    authjs.adapter = js_adapter;
    let made = authjs.run(json!([
        { "op": "createUser", "args": [{ "name": "Ada", "email": "ada@example.com" }] },
        { "op": "createSession", "args": [{ "sessionToken": "3b1f0c9e-5555-4aaa-8bbb-0123456789ab",
            "userId": "$0.id", "expires": { "$date": "2099-01-01T00:00:00Z" } }] },
    ]));
    assert_eq!(
        made[1]["sessionToken"],
        "3b1f0c9e-5555-4aaa-8bbb-0123456789ab"
    );
    let outbox = Outbox::default();
    let store = |major| {
        let config = AuthJsConfig::default()
            .secret(SECRET)
            .unwrap()
            .next_auth_major(major);
        AuthJsStore::with_adapter(adapter, db.conn.clone(), config)
    };
    let (v5, v4) = (store(NextAuthMajor::V5), store(NextAuthMajor::V4));
    let for_app = outbox.clone();
    let base = support::serve_example(move |base| {
        authjs_app(AuthJsState::new(v5, &base, Some(for_app), limits()).unwrap())
    })
    .await;
    let base_v4 = support::serve_example(move |base| {
        authjs_app(AuthJsState::new(v4, &base, None, limits()).unwrap())
    })
    .await;
    let client = Client::new();
    let session = async |base: &str, cookie: &str| {
        let response = client
            .get(format!("{base}/auth/session"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json::<Value>().await.unwrap_or_default())
    };

    // The adapter's session, by the v5 cookie, whole or chunked.
    let (status, body) = session(
        &base,
        "authjs.session-token=3b1f0c9e-5555-4aaa-8bbb-0123456789ab",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(
        body["user"]["id"], made[0]["id"],
        "the adapter's id, of its type"
    );
    let chunked =
        "authjs.session-token.1=-0123456789ab; authjs.session-token.0=3b1f0c9e-5555-4aaa-8bbb";
    assert_eq!(session(&base, chunked).await.0, StatusCode::OK);
    // next-auth 4's cookie is not the v5 app's, and the other way round.
    let v4_cookie = "next-auth.session-token=3b1f0c9e-5555-4aaa-8bbb-0123456789ab";
    assert_eq!(session(&base, v4_cookie).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(session(&base_v4, v4_cookie).await.0, StatusCode::OK);
    let v5_cookie = "authjs.session-token=3b1f0c9e-5555-4aaa-8bbb-0123456789ab";
    assert_eq!(
        session(&base_v4, v5_cookie).await.0,
        StatusCode::UNAUTHORIZED
    );

    // The example's email sign-in starts a session the adapter finds.
    let sent = client
        .post(format!("{base}/auth/email"))
        .json(&json!({ "email": "grace@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    let email = outbox.all().pop().unwrap();
    let link = url::Url::parse(email["url"].as_str().unwrap()).unwrap();
    assert_eq!(
        link.path(),
        "/api/auth/callback/email",
        "the app's own callback"
    );
    let (_, link_token) = link.query_pairs().find(|(key, _)| key == "token").unwrap();
    let signed_in = client
        .post(format!("{base}/auth/email/callback"))
        .json(&json!({ "email": "grace@example.com", "token": link_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    assert!(support::sets_cookie(&signed_in, "authjs.session-token"));
    let token = support::set_cookie_value(&signed_in, "authjs.session-token").unwrap();
    let found = authjs.run(json!([{ "op": "getSessionAndUser", "args": [token] }]));
    assert_eq!(found[0]["user"]["email"], "grace@example.com");
    assert!(
        email["url"]
            .as_str()
            .unwrap()
            .contains("/api/auth/callback/email?token=")
    );

    // Signed out by the example: gone for the adapter. By the adapter:
    // refused by the example.
    let out = client
        .post(format!("{base}/auth/signout"))
        .header("cookie", format!("authjs.session-token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let found = authjs.run(json!([{ "op": "getSessionAndUser", "args": [token] }]));
    assert_eq!(found[0], Value::Null);
    authjs
        .run(json!([{ "op": "deleteSession", "args": ["3b1f0c9e-5555-4aaa-8bbb-0123456789ab"] }]));
    assert_eq!(session(&base, v5_cookie).await.0, StatusCode::UNAUTHORIZED);
    db.destroy().await;
}
