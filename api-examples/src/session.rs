//! The session seam: one middleware resolves the cookie for every request,
//! and one extractor hands the result to handlers.

use authstore::SessionAndUser;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{DateTime, Utc};

use crate::error::ApiError;
use crate::{AppState, SESSION_COOKIE};

/// The signed-in user's session; a handler that takes it answers 401 when
/// there is none.
#[derive(Clone)]
pub struct CurrentSession(pub SessionAndUser);

impl<S: Send + Sync> FromRequestParts<S> for CurrentSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentSession>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

/// Looks the cookie up (one query; a write only when the session is due for
/// renewal) and, when the lookup renewed the session, sends the cookie again
/// with its new expiry unless the handler set the cookie itself.
pub async fn resolve(
    State(state): State<AppState>,
    jar: CookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    let mut renewed = None;
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        match state
            .store
            .sessions()
            .get_session_and_user(cookie.value())
            .await
        {
            Ok(Some(found)) => {
                if found.renewed {
                    renewed = Some(session_cookie(
                        &state,
                        found.session.session_token.expose(),
                        found.session.expires,
                    ));
                }
                request.extensions_mut().insert(CurrentSession(found));
            }
            Ok(None) => {}
            // A failing lookup is answered as "not signed in"; the store error
            // is logged without the token.
            Err(err) => tracing::warn!(error = %err, "session lookup failed"),
        }
    }
    let mut response = next.run(request).await;
    if let Some(cookie) = renewed {
        let already_set = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|value| {
                value
                    .to_str()
                    .is_ok_and(|v| v.starts_with(&format!("{SESSION_COOKIE}=")))
            });
        if !already_set && let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The session cookie: HttpOnly, SameSite=Lax, Path=/, expiring with the
/// session, and Secure when configured.
pub fn session_cookie(state: &AppState, token: &str, expires: DateTime<Utc>) -> Cookie<'static> {
    cookie(SESSION_COOKIE, token, expires, state.secure_cookies)
}

/// A session cookie named `name` (next-auth's or Lucia's), with the
/// attributes every session cookie of the example has.
pub fn cookie(
    name: &'static str,
    value: &str,
    expires: DateTime<Utc>,
    secure: bool,
) -> Cookie<'static> {
    let expires = time::OffsetDateTime::from_unix_timestamp(expires.timestamp())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Cookie::build((name, value.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .expires(expires)
        .build()
}

/// A cookie that deletes the session cookie in the browser.
pub fn cleared_cookie() -> Cookie<'static> {
    cleared(SESSION_COOKIE)
}

/// A cookie that deletes the cookie `name` in the browser: empty, with
/// `Max-Age=0` and an `Expires` in the past, on the path it was set for.
pub fn cleared(name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build((name, "")).path("/").build();
    cookie.make_removal();
    cookie
}
