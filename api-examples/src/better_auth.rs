//! The example on a `better-auth` database (`AUTHSTORE_PROFILE=better-auth`),
//! beside a better-auth app, during or after a move off an older system:
//! better-auth's signed `better-auth.session_token` cookie (signed with
//! `AUTHSTORE_SECRET`, which must be the app's `BETTER_AUTH_SECRET`), and,
//! with `AUTHSTORE_CARRY_OVER_FROM=<profile>`, the cookie bridge: a browser
//! still holding the old system's cookie for a carried session is given
//! better-auth's cookie, and the old one is expired.
//!
//! Sign-in and sign-up stay better-auth's own; the endpoints here are the
//! current session and sign-out.

use authstore::Profile;
use authstore::better_auth::{BetterAuthStore, ValidSession};
use authstore::web::{SignedIn, WebSessions};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde_json::{Value, json};

use crate::error::{self, ApiError};

/// The store in the web layer, bridged from the old system if there is one.
#[derive(Clone)]
pub struct BetterAuthState {
    /// The store with the public URL: the layer, the cookie, sign-out.
    pub sessions: WebSessions<BetterAuthStore>,
}

impl BetterAuthState {
    /// The state for a better-auth app at `base_url`, bridging `old`'s
    /// cookie when set. [`authstore::ConfigError::PublicUrl`] for a bad
    /// URL, [`authstore::ConfigError::EmptySecret`] for a store without its
    /// secret.
    pub fn new(
        store: BetterAuthStore,
        site: impl Into<crate::Site>,
        old: Option<Profile>,
    ) -> Result<Self, authstore::Error> {
        let sessions = site.into().sessions(store)?;
        let sessions = match old {
            Some(old) => sessions.carrying_over_from(old),
            None => sessions,
        };
        Ok(BetterAuthState { sessions })
    }
}

/// The whole API on a `better-auth` database.
pub fn better_auth_app(state: BetterAuthState) -> Router {
    let sessions = state.sessions.layer();
    let routes = Router::new()
        .route("/auth/session", get(current_session))
        .route("/auth/signout", post(sign_out))
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(sessions)
        .with_state(state);
    crate::guard::protect(routes)
}

/// The current session and its user, as better-auth's `getSession` shapes
/// them (the token is the cookie's, and never shown).
async fn current_session(SignedIn { session: valid, .. }: SignedIn<ValidSession>) -> Json<Value> {
    Json(json!({
        "user": { "id": valid.user.id, "email": valid.user.email, "name": valid.user.name },
        "session": { "expiresAt": valid.session.expires_at, "fresh": valid.session.fresh },
    }))
}

async fn sign_out(
    State(state): State<BetterAuthState>,
    jar: CookieJar,
    signed_in: SignedIn<ValidSession>,
) -> Result<(StatusCode, CookieJar), ApiError> {
    let removal = state.sessions.sign_out(&signed_in).await?;
    Ok((StatusCode::NO_CONTENT, jar.add(removal)))
}
