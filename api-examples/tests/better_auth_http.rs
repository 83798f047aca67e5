//! The example on a `better-auth` database with the carry-over's cookie
//! bridge from next-auth v3 (`AUTHSTORE_CARRY_OVER_FROM=next-auth-v3`),
//! over HTTP on each backend: the old cookie of a carried session is
//! swapped for better-auth's; a token better-auth made itself, sent as the
//! old cookie, is never signed; a session the old app signed out is refused
//! at once; a sign-out through the bridge ends the old app's session too.

use authstore::better_auth::carry_over::{CarryOver, Source};
use authstore::better_auth::{BetterAuthConfig, BetterAuthStore};
use authstore::{AuthStore, NewUser};
use authstore_examples::better_auth::{BetterAuthState, better_auth_app};
use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::{TestDb, backend_tests};
use reqwest::{Client, StatusCode};

mod support;

backend_tests!(the_bridge_serves_only_carried_sessions_the_old_app_holds);

const OLD_COOKIE: &str = "next-auth.session-token";
const NEW_COOKIE: &str = "better-auth.session_token";

async fn the_bridge_serves_only_carried_sessions_the_old_app_holds(db: &TestDb) {
    Profile::NextAuthV3.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let old = AuthStore::new(db.conn.clone(), db.config("old-secret").build().unwrap());
    let ada = old
        .users()
        .create(NewUser {
            email: Some("ada@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let carried = old.sessions().create(ada.id).await.unwrap().session_token;
    let signed_out_in_old_app = old.sessions().create(ada.id).await.unwrap().session_token;
    CarryOver::new(Source::NextAuth(Profile::NextAuthV3))
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap();
    let config = BetterAuthConfig::default()
        .secret("better-auth-secret-of-the-bridge-test")
        .unwrap();
    let store = BetterAuthStore::new(db.conn.clone(), config);
    let native = store
        .create_session(&ada.id.to_string(), Default::default())
        .await
        .unwrap();
    let base = support::serve_example(move |base| {
        better_auth_app(BetterAuthState::new(store, &base, Some(Profile::NextAuthV3)).unwrap())
    })
    .await;
    let client = Client::new();
    let session = |cookie: String| {
        client
            .get(format!("{base}/auth/session"))
            .header("cookie", cookie)
            .send()
    };

    let bridged = session(format!("{OLD_COOKIE}={}", carried.expose()))
        .await
        .unwrap();
    assert_eq!(bridged.status(), StatusCode::OK);
    assert!(support::sets_cookie(&bridged, NEW_COOKIE));
    let signed = support::set_cookie_value(&bridged, NEW_COOKIE).unwrap();

    let oracle = session(format!("{OLD_COOKIE}={}", native.token.expose()))
        .await
        .unwrap();
    assert_eq!(oracle.status(), StatusCode::UNAUTHORIZED);
    assert!(oracle.headers().get("set-cookie").is_none());

    old.sessions()
        .delete(signed_out_in_old_app.expose())
        .await
        .unwrap();
    let stale = session(format!("{OLD_COOKIE}={}", signed_out_in_old_app.expose()))
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);

    let out = client
        .post(format!("{base}/auth/signout"))
        .header("cookie", format!("{NEW_COOKIE}={signed}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(
        old.sessions()
            .get_session_and_user(carried.expose())
            .await
            .unwrap()
            .is_none(),
        "the old app's session ended with the sign-out"
    );
    let after = session(format!("{NEW_COOKIE}={signed}")).await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}
