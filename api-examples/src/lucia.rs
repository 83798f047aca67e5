//! The example on a `lucia-v3` database (`AUTHSTORE_PROFILE=lucia-v3`):
//! Lucia's `auth_session` cookie, validated with [`LuciaStore`] on every
//! request. The endpoints both Lucia profiles share are generic over
//! [`LuciaSessions`]; `lucia_v1` adds that profile's own. Lucia v3 has no credentials of its own (passwords and OAuth are
//! the app's), so the endpoints are the ones its tables allow: sign-up as a
//! new user (signed in at once), the current session, the user's sessions,
//! sign-out, sign-out everywhere, and deleting the account.

use std::future::Future;

use authstore::lucia_v3::{LuciaStore, ValidSession};
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde_json::{Value, json};

use crate::error::{self, ApiError};
use crate::guard::ClientAddress;
use crate::session::{cleared, cookie};

/// Lucia's session cookie name (v1 and v3 alike).
pub const LUCIA_COOKIE: &str = "auth_session";

/// Shared by every handler: a Lucia store (`LuciaStore` for lucia-v3,
/// `LuciaV1Store` for lucia-v1).
#[derive(Clone)]
pub struct LuciaState<S> {
    /// The store every handler calls.
    pub lucia: S,
    /// Mark the cookie `Secure` (set it behind HTTPS).
    pub secure_cookies: bool,
    /// The server's public URL, without a trailing slash: the origin that
    /// state-changing requests must come from ([`crate::guard`]).
    pub base_url: String,
    /// Sign-ups per client and for everyone ([`crate::limits`]).
    pub limits: crate::limits::Limits,
}

/// What the endpoints both Lucia profiles share need from a store: the
/// session of a cookie, and ending sessions and users.
pub trait LuciaSessions: Clone + Send + Sync + 'static {
    /// A validated session with its user.
    type Valid: Send + 'static;
    /// The live session with this id, if any (`validate_session`).
    fn validate(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Self::Valid>, authstore::Error>> + Send;
    /// The session's id (the cookie) and its user's id.
    fn ids(valid: &Self::Valid) -> (&str, &str);
    /// Ends one session; whether it existed.
    fn invalidate(&self, id: &str) -> impl Future<Output = Result<bool, authstore::Error>> + Send;
    /// Ends every session of a user; how many.
    fn invalidate_user(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<u64, authstore::Error>> + Send;
    /// Deletes the user with their sessions (and keys).
    fn delete_user(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<(), authstore::Error>> + Send;
}

/// Both Lucia stores name these calls alike, and both `ValidSession`s hold
/// `session.id` and `user.id`.
macro_rules! lucia_sessions {
    ($store:ty, $valid:ty) => {
        impl LuciaSessions for $store {
            type Valid = $valid;
            fn validate(
                &self,
                id: &str,
            ) -> impl Future<Output = Result<Option<$valid>, authstore::Error>> + Send {
                self.validate_session(id)
            }
            fn ids(valid: &$valid) -> (&str, &str) {
                (valid.session.id.expose(), &valid.user.id)
            }
            fn invalidate(
                &self,
                id: &str,
            ) -> impl Future<Output = Result<bool, authstore::Error>> + Send {
                self.invalidate_session(id)
            }
            fn invalidate_user(
                &self,
                user_id: &str,
            ) -> impl Future<Output = Result<u64, authstore::Error>> + Send {
                self.invalidate_user_sessions(user_id)
            }
            fn delete_user(
                &self,
                user_id: &str,
            ) -> impl Future<Output = Result<(), authstore::Error>> + Send {
                <$store>::delete_user(self, user_id)
            }
        }
    };
}

lucia_sessions!(LuciaStore, ValidSession);
lucia_sessions!(
    authstore::lucia_v1::LuciaV1Store,
    authstore::lucia_v1::ValidSession
);

/// A Lucia profile's whole API: its own endpoints, and those every Lucia
/// profile has (sign-out, sign-out everywhere and deleting the account),
/// the JSON fallbacks, and the rules every route of every profile shares
/// ([`crate::guard::protect`]).
pub fn with_shared_routes<S: LuciaSessions>(
    own: Router<LuciaState<S>>,
    state: LuciaState<S>,
) -> Router {
    let base_url = state.base_url.clone();
    let routes = own
        .route("/auth/signout", post(sign_out::<S>))
        .route("/auth/signout/everywhere", post(sign_out_everywhere::<S>))
        .route("/me", delete(delete_me::<S>))
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state);
    crate::guard::protect(routes, &base_url)
}

/// The whole API on a `lucia-v3` database.
pub fn lucia_app(state: LuciaState<LuciaStore>) -> Router {
    let own = Router::new()
        .route("/auth/signup", post(sign_up))
        .route("/auth/session", get(current_session))
        .route("/me/sessions", get(my_sessions));
    with_shared_routes(own, state)
}

/// The validated session of the request's cookie; 401 without one. When
/// validation renewed it (`fresh`), the handler sends the cookie again.
pub struct Signed<S: LuciaSessions>(pub S::Valid);

impl<S: LuciaSessions> FromRequestParts<LuciaState<S>> for Signed<S> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &LuciaState<S>,
    ) -> Result<Self, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(id) = jar.get(LUCIA_COOKIE) else {
            return Err(ApiError::Unauthorized);
        };
        match state.lucia.validate(id.value()).await? {
            Some(valid) => Ok(Signed(valid)),
            None => Err(ApiError::Unauthorized),
        }
    }
}

/// The cookie for a session that was just set or renewed.
fn session_cookie(
    state: &LuciaState<LuciaStore>,
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
    State(state): State<LuciaState<LuciaStore>>,
    client: ClientAddress,
    jar: CookieJar,
) -> Result<(StatusCode, CookieJar, Json<Value>), ApiError> {
    state.limits.sign_ups.check(client)?;
    let user = state.lucia.create_user(None).await?;
    let session = state.lucia.create_session(&user.id).await?;
    let jar = jar.add(session_cookie(&state, &session));
    let body = json!({ "user": { "id": user.id }, "expires_at": session.expires_at });
    Ok((StatusCode::CREATED, jar, Json(body)))
}

async fn current_session(
    State(state): State<LuciaState<LuciaStore>>,
    jar: CookieJar,
    Signed(valid): Signed<LuciaStore>,
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
    State(state): State<LuciaState<LuciaStore>>,
    Signed(valid): Signed<LuciaStore>,
) -> Result<Json<Value>, ApiError> {
    let sessions = state.lucia.user_sessions(&valid.user.id).await?;
    let listed: Vec<Value> = sessions
        .iter()
        .map(|s| json!({ "expires_at": s.expires_at, "current": s.id == valid.session.id }))
        .collect();
    Ok(Json(Value::from(listed)))
}

async fn sign_out<S: LuciaSessions>(
    State(state): State<LuciaState<S>>,
    jar: CookieJar,
    Signed(valid): Signed<S>,
) -> Result<(StatusCode, CookieJar), ApiError> {
    state.lucia.invalidate(S::ids(&valid).0).await?;
    Ok((StatusCode::NO_CONTENT, jar.add(cleared(LUCIA_COOKIE))))
}

async fn sign_out_everywhere<S: LuciaSessions>(
    State(state): State<LuciaState<S>>,
    jar: CookieJar,
    Signed(valid): Signed<S>,
) -> Result<(CookieJar, Json<Value>), ApiError> {
    let ended = state.lucia.invalidate_user(S::ids(&valid).1).await?;
    Ok((
        jar.add(cleared(LUCIA_COOKIE)),
        Json(json!({ "signed_out": ended })),
    ))
}

async fn delete_me<S: LuciaSessions>(
    State(state): State<LuciaState<S>>,
    jar: CookieJar,
    Signed(valid): Signed<S>,
) -> Result<(StatusCode, CookieJar), ApiError> {
    state.lucia.delete_user(S::ids(&valid).1).await?;
    Ok((StatusCode::NO_CONTENT, jar.add(cleared(LUCIA_COOKIE))))
}
