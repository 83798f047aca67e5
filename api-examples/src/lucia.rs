//! The example on a `lucia-v3` database (`AUTHSTORE_PROFILE=lucia-v3`):
//! Lucia's `auth_session` cookie, validated with [`LuciaStore`] on every
//! request. Lucia v3 has no credentials of its own (passwords and OAuth are
//! the app's), so the endpoints are the ones its tables allow: sign-up as a
//! new user (signed in at once), the current session, the user's sessions,
//! sign-out, sign-out everywhere, and deleting the account.

use authstore::lucia_v3::{LuciaStore, ValidSession};
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde_json::{Value, json};

use crate::error::{self, ApiError};
use crate::session::{cleared, cookie};

/// Lucia's session cookie name.
pub const LUCIA_COOKIE: &str = "auth_session";

/// Shared by every handler.
#[derive(Clone)]
pub struct LuciaState {
    pub lucia: LuciaStore,
    /// Mark the cookie `Secure` (set it behind HTTPS).
    pub secure_cookies: bool,
}

/// The whole API on a Lucia database.
pub fn lucia_app(state: LuciaState) -> Router {
    Router::new()
        .route("/auth/signup", post(sign_up))
        .route("/auth/session", get(current_session))
        .route("/auth/signout", post(sign_out))
        .route("/auth/signout/everywhere", post(sign_out_everywhere))
        .route("/me", delete(delete_me))
        .route("/me/sessions", get(my_sessions))
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
}

/// The validated session of the request's cookie; 401 without one. When
/// validation renewed it (`fresh`), the handler sends the cookie again.
struct Signed(ValidSession);

impl FromRequestParts<LuciaState> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &LuciaState) -> Result<Self, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(id) = jar.get(LUCIA_COOKIE) else {
            return Err(ApiError::Unauthorized);
        };
        match state.lucia.validate_session(id.value()).await? {
            Some(valid) => Ok(Signed(valid)),
            None => Err(ApiError::Unauthorized),
        }
    }
}

/// The cookie for a session that was just set or renewed.
fn session_cookie(
    state: &LuciaState,
    valid: &authstore::lucia_v3::LuciaSession,
) -> axum_extra::extract::cookie::Cookie<'static> {
    cookie(
        LUCIA_COOKIE,
        valid.id.expose(),
        valid.expires_at,
        state.secure_cookies,
    )
}

async fn sign_up(
    State(state): State<LuciaState>,
    jar: CookieJar,
) -> Result<(StatusCode, CookieJar, Json<Value>), ApiError> {
    let user = state.lucia.create_user(None).await?;
    let session = state.lucia.create_session(&user.id).await?;
    let jar = jar.add(session_cookie(&state, &session));
    let body = json!({ "user": { "id": user.id }, "expires_at": session.expires_at });
    Ok((StatusCode::CREATED, jar, Json(body)))
}

async fn current_session(
    State(state): State<LuciaState>,
    jar: CookieJar,
    Signed(valid): Signed,
) -> (CookieJar, Json<Value>) {
    let jar = match valid.session.fresh {
        true => jar.add(session_cookie(&state, &valid.session)),
        false => jar,
    };
    let body = json!({
        "user": { "id": valid.user.id },
        "expires_at": valid.session.expires_at,
        "fresh": valid.session.fresh,
    });
    (jar, Json(body))
}

/// The user's live sessions: when each expires, and which is this one (the
/// ids are the cookies of other browsers, so they are never shown).
async fn my_sessions(
    State(state): State<LuciaState>,
    Signed(valid): Signed,
) -> Result<Json<Value>, ApiError> {
    let sessions = state.lucia.user_sessions(&valid.user.id).await?;
    let listed: Vec<Value> = sessions
        .iter()
        .map(|s| json!({ "expires_at": s.expires_at, "current": s.id == valid.session.id }))
        .collect();
    Ok(Json(Value::from(listed)))
}

async fn sign_out(
    State(state): State<LuciaState>,
    jar: CookieJar,
    Signed(valid): Signed,
) -> Result<(StatusCode, CookieJar), ApiError> {
    state
        .lucia
        .invalidate_session(valid.session.id.expose())
        .await?;
    Ok((StatusCode::NO_CONTENT, jar.add(cleared(LUCIA_COOKIE))))
}

async fn sign_out_everywhere(
    State(state): State<LuciaState>,
    jar: CookieJar,
    Signed(valid): Signed,
) -> Result<(CookieJar, Json<Value>), ApiError> {
    let ended = state.lucia.invalidate_user_sessions(&valid.user.id).await?;
    Ok((
        jar.add(cleared(LUCIA_COOKIE)),
        Json(json!({ "signed_out": ended })),
    ))
}

async fn delete_me(
    State(state): State<LuciaState>,
    jar: CookieJar,
    Signed(valid): Signed,
) -> Result<(StatusCode, CookieJar), ApiError> {
    state.lucia.delete_user(&valid.user.id).await?;
    Ok((StatusCode::NO_CONTENT, jar.add(cleared(LUCIA_COOKIE))))
}
