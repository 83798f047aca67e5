//! The example beside a next-auth 4.24 or Auth.js v5 app on the JWT
//! strategy (`AUTHSTORE_SESSION_STRATEGY=jwt`): no database, the session
//! is the app's encrypted cookie (`authjs.session-token`, or next-auth 4's
//! `next-auth.session-token` with `AUTHSTORE_NEXT_AUTH_MAJOR=4`;
//! `__Secure-` prefixed over https), read with the app's secret
//! (`AUTHSTORE_SECRET`) and renewed on every request, as the app renews it.
//!
//! The endpoints: the current session (`GET /auth/session`) and sign-out
//! (`POST /auth/signout`), which clears the cookie in this browser. A JWT
//! cannot be revoked: a copy of the cookie stays valid until it expires.

use authstore::web::SignedIn;
use authstore::web::authjs_jwt::{JwtClaims, JwtSessions};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde_json::{Value, json};

use crate::error;

/// The whole API beside an Auth.js app on the JWT strategy.
pub fn authjs_jwt_app(sessions: JwtSessions) -> Router {
    let routes = Router::new()
        .route("/auth/session", get(current_session))
        .route("/auth/signout", post(sign_out))
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(sessions.layer())
        .with_state(sessions);
    crate::guard::protect(routes)
}

/// The current session in the shape of Auth.js's `/api/auth/session`
/// (`user` with `name`, `email`, `image`; `expires`), plus the token's
/// `sub` and every claim.
async fn current_session(SignedIn { session, .. }: SignedIn<JwtClaims>) -> Json<Value> {
    Json(json!({
        "user": { "name": session.name(), "email": session.email(), "image": session.picture() },
        "expires": session.exp(),
        "sub": session.sub(),
        "claims": session.claims(),
    }))
}

/// Clears the session cookie (and its chunks) in this browser: 204.
async fn sign_out(
    axum::extract::State(sessions): axum::extract::State<JwtSessions>,
    headers: HeaderMap,
    _: SignedIn<JwtClaims>,
) -> (StatusCode, CookieJar) {
    let jar = sessions
        .sign_out(&headers)
        .into_iter()
        .fold(CookieJar::new(), CookieJar::add);
    (StatusCode::NO_CONTENT, jar)
}
