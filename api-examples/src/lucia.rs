//! The example on a `lucia-v3` database (`AUTHSTORE_PROFILE=lucia-v3`):
//! Lucia's `auth_session` cookie, validated with [`LuciaStore`] on every
//! request. The endpoints both Lucia profiles share are generic over
//! [`LuciaSessions`]; `lucia_v1` adds that profile's own. Lucia v3 has no credentials of its own (passwords and OAuth are
//! the app's), so the endpoints are the ones its tables allow: sign-up as a
//! new user (signed in at once), the current session, the user's sessions,
//! sign-out, sign-out everywhere, and deleting the account.

use std::future::Future;

use authstore::Profile;
use authstore::lucia_v3::{LuciaStore, ValidSession};
use authstore::web::{CookieLife, SessionStore, SignedIn, WebSessions};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde_json::{Value, json};

use crate::error::{self, ApiError};
use crate::guard::ClientAddress;

/// Lucia's session cookie name (v1 and v3 alike, over http and https).
pub const LUCIA_COOKIE: &str = Profile::LuciaV3.descriptor().session_cookie(false);

/// Shared by every handler: a Lucia store (`LuciaStore` for lucia-v3,
/// `LuciaV1Store` for lucia-v1) in the web layer.
#[derive(Clone)]
pub struct LuciaState<S> {
    /// The store with the public URL: the session layer, the cookie, sign-out.
    pub sessions: WebSessions<S>,
    /// The server's public URL, without a trailing slash.
    pub base_url: String,
    /// Sign-ups per client and for everyone ([`crate::limits`]).
    pub limits: crate::limits::Limits,
}

impl<S: SessionStore> LuciaState<S> {
    /// The state of a Lucia app at `base_url`; an https URL makes the
    /// cookie `Secure`. [`authstore::ConfigError::PublicUrl`] if the URL is
    /// not one.
    pub fn new(
        lucia: S,
        site: impl Into<crate::Site>,
        limits: crate::limits::Limits,
    ) -> Result<Self, authstore::Error> {
        let site = site.into();
        Ok(LuciaState {
            sessions: site.sessions(lucia)?,
            base_url: site.base_url,
            limits,
        })
    }

    /// The store.
    pub fn lucia(&self) -> &S {
        self.sessions.store()
    }
}

/// What the endpoints both Lucia profiles share need from a store beyond
/// the web layer's lookup and sign-out: the ids of a session, and ending
/// every session and the user.
pub trait LuciaSessions: SessionStore {
    /// The session's id (the cookie) and its user's id.
    fn ids(valid: &Self::Session) -> (&str, &str);
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
            fn ids(valid: &$valid) -> (&str, &str) {
                (valid.session.id.expose(), &valid.user.id)
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
/// the JSON fallbacks, the session layer (which also refuses cross-site
/// writes), and the rules every route of every profile shares
/// ([`crate::guard::protect`]).
pub fn with_shared_routes<S: LuciaSessions>(
    own: Router<LuciaState<S>>,
    state: LuciaState<S>,
) -> Router {
    let sessions = state.sessions.layer();
    let routes = own
        .route("/auth/signout", post(sign_out::<S>))
        .route("/auth/signout/everywhere", post(sign_out_everywhere::<S>))
        .route("/me", delete(delete_me::<S>))
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(sessions)
        .with_state(state);
    crate::guard::protect(routes)
}

/// The whole API on a `lucia-v3` database.
pub fn lucia_app(state: LuciaState<LuciaStore>) -> Router {
    let own = Router::new()
        .route("/auth/signup", post(sign_up))
        .route("/auth/session", get(current_session))
        .route("/me/sessions", get(my_sessions));
    with_shared_routes(own, state)
}

/// A signed-in Lucia session, from the session layer.
type Signed<S> = SignedIn<<S as SessionStore>::Session>;

async fn sign_up(
    State(state): State<LuciaState<LuciaStore>>,
    client: ClientAddress,
    jar: CookieJar,
) -> Result<(StatusCode, CookieJar, Json<Value>), ApiError> {
    state.limits.sign_ups.check(client)?;
    let user = state.lucia().create_user(None).await?;
    let session = state.lucia().create_session(&user.id).await?;
    // Lucia v3 writes its cookie with the session length as Max-Age.
    let life = CookieLife::For(state.lucia().config().expires_in());
    let jar = jar.add(state.sessions.session_cookie(&session.id, life));
    let body = json!({ "user": { "id": user.id }, "expires_at": session.expires_at });
    Ok((StatusCode::CREATED, jar, Json(body)))
}

/// The current session; when validating renewed it (`fresh`), the session
/// layer sends the cookie again.
async fn current_session(SignedIn { session: valid, .. }: Signed<LuciaStore>) -> Json<Value> {
    let body = json!({
        "user": { "id": valid.user.id },
        "expires_at": valid.session.expires_at,
        "fresh": valid.session.fresh,
    });
    Json(body)
}

/// The user's live sessions: when each expires, and which is this one (the
/// ids are the cookies of other browsers, so they are never shown).
async fn my_sessions(
    State(state): State<LuciaState<LuciaStore>>,
    SignedIn { session: valid, .. }: Signed<LuciaStore>,
) -> Result<Json<Value>, ApiError> {
    let sessions = state.lucia().user_sessions(&valid.user.id).await?;
    let listed: Vec<Value> = sessions
        .iter()
        .map(|s| json!({ "expires_at": s.expires_at, "current": s.id == valid.session.id }))
        .collect();
    Ok(Json(Value::from(listed)))
}

async fn sign_out<S: LuciaSessions>(
    State(state): State<LuciaState<S>>,
    jar: CookieJar,
    signed_in: Signed<S>,
) -> Result<(StatusCode, CookieJar), ApiError> {
    let removal = state.sessions.sign_out(&signed_in).await?;
    Ok((StatusCode::NO_CONTENT, jar.add(removal)))
}

async fn sign_out_everywhere<S: LuciaSessions>(
    State(state): State<LuciaState<S>>,
    jar: CookieJar,
    SignedIn { session: valid, .. }: Signed<S>,
) -> Result<(CookieJar, Json<Value>), ApiError> {
    let ended = state.lucia().invalidate_user(S::ids(&valid).1).await?;
    Ok((
        jar.add(state.sessions.removal_cookie()),
        Json(json!({ "signed_out": ended })),
    ))
}

async fn delete_me<S: LuciaSessions>(
    State(state): State<LuciaState<S>>,
    jar: CookieJar,
    SignedIn { session: valid, .. }: Signed<S>,
) -> Result<(StatusCode, CookieJar), ApiError> {
    state.lucia().delete_user(S::ids(&valid).1).await?;
    Ok((
        StatusCode::NO_CONTENT,
        jar.add(state.sessions.removal_cookie()),
    ))
}
