//! The example on `better-auth` with the cookie bridge from an Auth.js app
//! (`AUTHSTORE_CARRY_OVER_FROM=authjs-pg`), its sessions written by the real
//! `@auth/pg-adapter` 1.11.3: a browser holding Auth.js's cookie for a
//! carried session gets better-auth's; a session the app signed out since
//! is refused at once; a sign-out through the bridge ends the app's too.

use authstore::authjs::NextAuthMajor;
use authstore::better_auth::carry_over::{CarryOver, Source};
use authstore::better_auth::{BetterAuthConfig, BetterAuthStore};
use authstore_examples::better_auth::{BetterAuthState, better_auth_app};
use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::interop::{self, NextAuth};
use authstore_tests::{Backend, TestDb};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

mod support;

const OLD_COOKIE: &str = "authjs.session-token";
const NEW_COOKIE: &str = "better-auth.session_token";

#[tokio::test]
async fn the_bridge_hands_a_carried_authjs_session_to_better_auth() {
    if !interop::authjs_installed() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "authjs_bridge").await else {
        return;
    };
    Profile::AuthJsPg.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let app = NextAuth::new("authjs/authjs.mjs", &db.url);
    let (kept, signed_out) = (
        "5e6f7a8b-0000-4000-8000-000000000001",
        "5e6f7a8b-0000-4000-8000-000000000002",
    );
    app.run(json!([
        { "op": "createUser", "args": [{ "email": "ada@example.com" }] },
        { "op": "createSession", "args": [{ "sessionToken": kept, "userId": "$0.id",
            "expires": { "$date": "2099-01-01T00:00:00Z" } }] },
        { "op": "createSession", "args": [{ "sessionToken": signed_out, "userId": "$0.id",
            "expires": { "$date": "2099-01-01T00:00:00Z" } }] },
    ]));
    let source = Source::of(Profile::AuthJsPg, None, None).unwrap();
    CarryOver::new(source)
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap();
    let config = BetterAuthConfig::default()
        .secret("better-auth-secret-of-the-authjs-bridge")
        .unwrap();
    let store = BetterAuthStore::new(db.conn.clone(), config.clone());
    let base = support::serve_example(move |base| {
        better_auth_app(BetterAuthState::new(store, &base, Some(Profile::AuthJsPg)).unwrap())
    })
    .await;
    let client = &Client::new();
    let session = |cookie: String| {
        client
            .get(format!("{base}/auth/session"))
            .header("cookie", cookie)
            .send()
    };

    // An app still on next-auth 4.24: its cookie's name, and only that.
    let v4_store = BetterAuthStore::new(db.conn.clone(), config.clone());
    let base_v4 = support::serve_example(move |base| {
        let mut state = BetterAuthState::new(v4_store, &base, Some(Profile::AuthJsPg)).unwrap();
        state.sessions = state.sessions.old_app_major(NextAuthMajor::V4);
        better_auth_app(state)
    })
    .await;
    let session_v4 = |cookie: String| {
        client
            .get(format!("{base_v4}/auth/session"))
            .header("cookie", cookie)
            .send()
    };
    let v5_name = session_v4(format!("{OLD_COOKIE}={kept}")).await.unwrap();
    assert_eq!(v5_name.status(), StatusCode::UNAUTHORIZED);
    let v4_name = session_v4(format!("next-auth.session-token={kept}"))
        .await
        .unwrap();
    assert_eq!(v4_name.status(), StatusCode::OK);
    assert!(support::sets_cookie(&v4_name, NEW_COOKIE));
    assert_eq!(
        support::set_cookie_value(&v4_name, "next-auth.session-token").as_deref(),
        Some(""),
        "the old cookie expired"
    );

    let bridged = session(format!("{OLD_COOKIE}={kept}")).await.unwrap();
    assert_eq!(bridged.status(), StatusCode::OK);
    assert!(support::sets_cookie(&bridged, NEW_COOKIE));
    let signed = support::set_cookie_value(&bridged, NEW_COOKIE).unwrap();
    let v4_name = session(format!("next-auth.session-token={kept}"))
        .await
        .unwrap();
    assert_eq!(v4_name.status(), StatusCode::UNAUTHORIZED, "v5 by default");

    // Signed out in the Auth.js app after the run: refused at once.
    app.run(json!([{ "op": "deleteSession", "args": [signed_out] }]));
    let stale = session(format!("{OLD_COOKIE}={signed_out}")).await.unwrap();
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);

    let out = client
        .post(format!("{base}/auth/signout"))
        .header("cookie", format!("{NEW_COOKIE}={signed}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let read = app.run(json!([{ "op": "getSessionAndUser", "args": [kept] }]));
    assert_eq!(
        read[0],
        Value::Null,
        "the app's session ended with the sign-out"
    );
    db.destroy().await;
}
