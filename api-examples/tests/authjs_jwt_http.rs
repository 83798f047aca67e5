//! The example beside an Auth.js app on the JWT strategy, over HTTP: a
//! cookie the real `encode` wrote (`@auth/core` 0.41.3, next-auth 4.24.15,
//! run under Node) is recognised under the configured major's cookie name
//! only, renewed with a token the package's `decode` reads, and cleared on
//! sign-out; a forged, expired or other major's cookie is not a session.

use authstore::authjs::NextAuthMajor;
use authstore::web::authjs_jwt::{AuthJsJwt, JwtSessions};
use authstore_examples::authjs_jwt::authjs_jwt_app;
use authstore_tests::interop::{self, NextAuth, SECRET};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

mod support;

async fn serve(major: NextAuthMajor) -> String {
    support::serve_example(move |base| {
        let jwt = AuthJsJwt::new(major, [SECRET]).unwrap();
        authjs_jwt_app(JwtSessions::new(jwt, &base).unwrap())
    })
    .await
}

#[tokio::test]
async fn the_apps_jwt_cookie_is_a_session_renewed_and_ended_as_the_app_does() {
    if !interop::authjs_installed() {
        return;
    }
    let js = NextAuth::new("authjs/jwt.mjs", "");
    let client = Client::new();
    for (major, m, cookie, other) in [
        (
            NextAuthMajor::V5,
            5,
            "authjs.session-token",
            "next-auth.session-token",
        ),
        (
            NextAuthMajor::V4,
            4,
            "next-auth.session-token",
            "authjs.session-token",
        ),
    ] {
        let base = serve(major).await;
        let claims =
            json!({ "sub": "42", "name": "Ada", "email": "ada@example.com", "plan": "pro" });
        let made = js.run(json!([
            { "op": "encode", "args": [m, claims] },
            { "op": "encode", "args": [m, claims, -60] },
        ]));
        let (token, expired) = (made[0].as_str().unwrap(), made[1].as_str().unwrap());
        let get = async |cookie: String| {
            client
                .get(format!("{base}/auth/session"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
        };

        let response = get(format!("{cookie}={token}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{major:?}");
        let renewed = support::set_cookie_value(&response, cookie).expect("a renewed cookie");
        assert_ne!(renewed, token);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["user"]["email"], "ada@example.com");
        assert_eq!(body["sub"], "42");
        assert_eq!(body["claims"]["plan"], "pro");
        let read = js.run(json!([{ "op": "decode", "args": [m, renewed] }]));
        assert_eq!(
            read[0]["plan"], "pro",
            "{major:?}: the package reads the renewal"
        );

        // Not sessions: the other major's name, an expired or a tampered
        // token, none.
        for refused in [
            format!("{other}={token}"),
            format!("{cookie}={expired}"),
            format!("{cookie}={}", token.replacen('.', ".x", 1)),
            String::new(),
        ] {
            let response = get(refused.clone()).await;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{major:?}: {refused}"
            );
            assert!(support::set_cookie_value(&response, cookie).is_none());
        }

        // Sign-out clears the cookie (and chunks the browser sent).
        let response = client
            .post(format!("{base}/auth/signout"))
            .header("cookie", format!("{cookie}={token}; {cookie}.1=stale"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "a stale chunk beside the whole cookie is no session"
        );
        let response = client
            .post(format!("{base}/auth/signout"))
            .header("cookie", format!("{cookie}={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{major:?}");
        assert_eq!(
            support::set_cookie_value(&response, cookie).as_deref(),
            Some("")
        );
        let cleared: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
        assert_eq!(
            cleared.len(),
            1,
            "only the removal, no renewal: {cleared:?}"
        );

        // A write from another site is refused before the session is read.
        let response = client
            .post(format!("{base}/auth/signout"))
            .header("cookie", format!("{cookie}={token}"))
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
}
