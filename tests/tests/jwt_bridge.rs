//! The JWT bridge of a carry-over from an Auth.js app on JWT sessions
//! (`WebSessions::carrying_over_jwt_from`): the users of an `authjs-pg`
//! database carried into better-auth on PostgreSQL, and a browser holding
//! only the app's JWT cookie, written by the real `@auth/core` 0.41.3
//! (`tests/interop/authjs/jwt.mjs`). A carried user gets a better-auth
//! session and cookie and loses the JWT cookie; anybody else, and every
//! expired, tampered or other major's token, starts nothing.

use authstore::authjs::{AuthJsConfig, AuthJsStore, NextAuthMajor};
use authstore::better_auth::carry_over::{CarryOver, Source};
use authstore::better_auth::{BetterAuthConfig, BetterAuthStore, ValidSession};
use authstore::web::authjs_jwt::AuthJsJwt;
use authstore::web::{SignedIn, WebSessions};
use authstore::{ConfigError, Error, NewUser, Profile};
use authstore_migration::ProfileMigrations;
use authstore_tests::interop::{self, NextAuth, SECRET};
use authstore_tests::{Backend, TestDb};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use sea_orm::ConnectionTrait;
use serde_json::json;

#[path = "support/oneshot.rs"]
mod oneshot;
use oneshot::send;

const JWT_COOKIE: &str = "authjs.session-token";
const NEW_COOKIE: &str = "better-auth.session_token";

async fn me(SignedIn { session, .. }: SignedIn<ValidSession>) -> String {
    session.user.email
}

/// The status, the body and the `Set-Cookie` headers of one GET /me.
async fn get_me(app: &Router, cookie: &str) -> (StatusCode, String, Vec<String>) {
    let response = send(app, "GET", "/me", &[("cookie", cookie.to_owned())]).await;
    (response.status, response.body, response.set_cookie)
}

#[tokio::test]
async fn a_carried_users_jwt_cookie_becomes_a_better_auth_session_and_nothing_else_does() {
    if !interop::authjs_installed() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "jwt_bridge").await else {
        return;
    };
    Profile::AuthJsPg.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let authjs = AuthJsStore::new(db.conn.clone(), AuthJsConfig::default());
    let user = async |email: &str| {
        let new = NewUser {
            email: Some(email.to_owned()),
            ..Default::default()
        };
        authjs.create_user(new).await.unwrap().id.to_string()
    };
    let (ada, gone) = (
        user("ada@example.com").await,
        user("gone@example.com").await,
    );
    let source = Source::of(Profile::AuthJsPg, None, None).unwrap();
    CarryOver::new(source)
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap();
    // After the run: in the app, never carried.
    let late = user("late@example.com").await;
    // Carried, then deleted in the app.
    authjs.delete_user(gone.parse().unwrap()).await.unwrap();
    // A better-auth user of late's id that the carry-over did not make (an
    // app that numbers its own users): still not carried.
    let own = format!(
        r#"INSERT INTO "user" (id, name, email, "emailVerified", "createdAt", "updatedAt")
           VALUES ('{late}', 'Mallory', 'mallory@example.com', false, now(), now())"#
    );
    db.conn.execute_unprepared(&own).await.unwrap();

    let config = BetterAuthConfig::default()
        .secret("better-auth-secret-of-the-jwt-bridge")
        .unwrap();
    let store = BetterAuthStore::new(db.conn.clone(), config);
    let jwt = AuthJsJwt::new(NextAuthMajor::V5, [SECRET]).unwrap();
    let sessions = WebSessions::new(store.clone(), "http://localhost:3000")
        .unwrap()
        .carrying_over_jwt_from(Profile::AuthJsPg, jwt)
        .unwrap();
    let app = Router::new().route("/me", get(me)).layer(sessions.layer());

    let js = NextAuth::new("authjs/jwt.mjs", "");
    let settings = json!({ "secret": SECRET });
    let made = js.run_with(
        settings,
        json!([
            { "op": "encode", "args": [5, { "sub": ada, "email": "ada@example.com" }] },
            { "op": "encode", "args": [5, { "sub": late }] },
            { "op": "encode", "args": [5, { "sub": gone }] },
            { "op": "encode", "args": [5, { "sub": ada }, -60] },
            { "op": "encode", "args": [4, { "sub": ada }] },
            { "op": "encode", "args": [5, { "sub": format!(" {ada}") }] },
        ]),
    );
    let token = |at: usize| made[at].as_str().unwrap().to_owned();

    // Ada's token: a better-auth session, its cookie, the JWT cookie cleared.
    let (status, body, cookies) = get_me(&app, &format!("{JWT_COOKIE}={}", token(0))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ada@example.com"));
    let new_cookie = cookies
        .iter()
        .find(|c| c.starts_with(&format!("{NEW_COOKIE}=")))
        .expect("better-auth's cookie");
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with(&format!("{JWT_COOKIE}=;"))),
        "{cookies:?}"
    );
    let pair = new_cookie.split(';').next().unwrap().to_owned();
    let (status, body, _) = get_me(&app, &pair).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ada@example.com"));
    assert_eq!(db.count_rows("session").await, 1);

    // Nobody else: not carried, carried but gone from the app, expired,
    // the other major's, a `sub` that only looks like Ada's, tampered.
    let tampered = token(0).replacen('.', ".A", 3);
    for (what, value) in [
        ("not carried", token(1)),
        ("gone from the app", token(2)),
        ("expired", token(3)),
        ("next-auth 4's", token(4)),
        ("a look-alike sub", token(5)),
        ("tampered", tampered),
    ] {
        let (status, _, cookies) = get_me(&app, &format!("{JWT_COOKIE}={value}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert!(cookies.is_empty(), "{what}: {cookies:?}");
    }
    assert_eq!(
        db.count_rows("session").await,
        1,
        "no session was started for them"
    );

    // A better-auth cookie, even a bad one, is the store's own: no bridge.
    // Nor beside a look-alike another site can plant to hide the real one
    // (its name ends in the bytes of `à`, read as Latin-1 `Ã` and a no-break
    // space, which one JS parser trims and another keeps).
    let before = db.count_rows("session").await;
    for cookies in [
        format!("{NEW_COOKIE}=junk; {JWT_COOKIE}={}", token(0)),
        format!("{NEW_COOKIE}\u{e0}=1; {JWT_COOKIE}={}", token(0)),
    ] {
        let (status, _, set) = get_me(&app, &cookies).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{cookies}");
        assert!(set.is_empty(), "{cookies}: {set:?}");
    }
    assert_eq!(db.count_rows("session").await, before);

    // Only an Auth.js app keeps JWT sessions; Drizzle's tables, named as
    // better-auth's, cannot be in its database, where a bridge would find
    // better-auth's own `user` rows under the old app's name.
    for old in [Profile::LuciaV3, Profile::AuthJsDrizzle] {
        let jwt = AuthJsJwt::new(NextAuthMajor::V5, [SECRET]).unwrap();
        let refused = WebSessions::new(store.clone(), "http://localhost:3000")
            .unwrap()
            .carrying_over_jwt_from(old, jwt);
        assert!(
            matches!(&refused, Err(Error::Config(ConfigError::JwtBridge(p))) if *p == old),
            "{old}"
        );
    }
    db.destroy().await;
}

/// Two old systems whose tables share one database are two sources: the
/// second carry-over is refused as another source unless told, and a JWT of
/// the Auth.js app never reaches the user carried from the other system
/// under the same id.
#[tokio::test]
async fn another_system_in_the_same_database_is_another_source() {
    use authstore::CarryOverRefusal;
    use authstore::lucia_v1::{self, LuciaV1Config, LuciaV1Store, NewKey};

    if !interop::authjs_installed() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "jwt_bridge_two_sources").await else {
        return;
    };
    // authstore's migrations keep one profile to a database; the app laid
    // its own tables down beside lucia-auth's (the adapter's schema.sql).
    for profile in [Profile::LuciaV1, Profile::BetterAuth] {
        profile.up(&db.conn).await.unwrap();
    }
    let schema = include_str!("../fixtures/authjs-pg-schema.sql");
    db.conn.execute_unprepared(schema).await.unwrap();
    let lucia = LuciaV1Store::new(db.conn.clone(), LuciaV1Config::default());
    let mallory = lucia_v1::NewUser {
        id: Some("1"),
        primary_key: Some(NewKey {
            provider_id: "email",
            provider_user_id: "mallory@example.com",
            password: Some("hunter22"),
        }),
        ..Default::default()
    };
    lucia.create_user(mallory).await.unwrap();
    let authjs = AuthJsStore::new(db.conn.clone(), AuthJsConfig::default());
    let ada = NewUser {
        email: Some("ada@example.com".into()),
        ..Default::default()
    };
    assert_eq!(authjs.create_user(ada).await.unwrap().id, 1);

    let lucia_source = Source::of(Profile::LuciaV1, None, None).unwrap();
    CarryOver::new(lucia_source)
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap();
    let authjs_source = Source::of(Profile::AuthJsPg, None, None).unwrap();
    let second = CarryOver::new(authjs_source)
        .run(&db.conn, &db.conn, |_| {})
        .await;
    assert!(
        matches!(
            second,
            Err(Error::CarryOverRefused(
                CarryOverRefusal::AnotherSource { .. }
            ))
        ),
        "{second:?}"
    );

    let config = BetterAuthConfig::default()
        .secret("better-auth-secret-of-the-jwt-bridge")
        .unwrap();
    let jwt = AuthJsJwt::new(NextAuthMajor::V5, [SECRET]).unwrap();
    let sessions = WebSessions::new(
        BetterAuthStore::new(db.conn.clone(), config),
        "http://localhost:3000",
    )
    .unwrap()
    .carrying_over_jwt_from(Profile::AuthJsPg, jwt)
    .unwrap();
    let app = Router::new().route("/me", get(me)).layer(sessions.layer());
    let js = NextAuth::new("authjs/jwt.mjs", "");
    let made = js.run_with(
        json!({ "secret": SECRET }),
        json!([{ "op": "encode", "args": [5, { "sub": "1" }] }]),
    );
    let (status, _, cookies) =
        get_me(&app, &format!("{JWT_COOKIE}={}", made[0].as_str().unwrap())).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "Ada's token is not Mallory's account"
    );
    assert!(cookies.is_empty());
    assert_eq!(db.count_rows("session").await, 0);
    db.destroy().await;
}
