//! The example on a `lucia-v1` database (`AUTHSTORE_PROFILE=lucia-v1`):
//! email and password sign-up and sign-in over lucia-auth v1's key table,
//! with its `auth_session` cookie. A Lucia v1 app on the same database signs
//! the same people in with the same passwords.
//!
//! - `POST /auth/signup` `{"email", "password"}`: a user whose primary key
//!   is `email:{address}`, signed in at once (201).
//! - `POST /auth/signin` `{"email", "password"}`: the key and password give
//!   a new session (200); any refusal is one 401, `invalid_credentials`,
//!   which does not say whether the address has an account. A password
//!   stored in lucia-auth 0.x's weaker format is rehashed on the way. After
//!   10 failures for an address in 15 minutes, or 100 from one client
//!   address, sign-ins are refused with 429 and `Retry-After` without
//!   checking the password (the library's `AttemptLimit`).
//! - `GET /auth/session`: the current session; an idle one is replaced by a
//!   new session and the cookie re-sent (`fresh`).
//! - `GET /me/sessions`, and the shared sign-out, sign-out everywhere and
//!   `DELETE /me`.

use authstore::canonical_email;
use authstore::lucia_v1::{LuciaV1Store, NewKey, NewUser, Session, SessionState};
use authstore::web::{CookieLife, SignedIn};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::guard::ClientAddress;
use crate::lucia::{LuciaState, with_shared_routes};

/// The key provider for email and password sign-in.
const EMAIL: &str = "email";

type V1 = LuciaState<LuciaV1Store>;

/// The whole API on a `lucia-v1` database.
pub fn lucia_v1_app(state: V1) -> Router {
    let own = Router::new()
        .route("/auth/signup", post(sign_up))
        .route("/auth/signin", post(sign_in))
        .route("/auth/session", get(current_session))
        .route("/me/sessions", get(my_sessions));
    with_shared_routes(own, state)
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// The cookie for a session this request made; it lives as long as the
/// session can be renewed, as lucia-auth v1 writes it.
fn session_cookie(state: &V1, session: &Session) -> axum_extra::extract::cookie::Cookie<'static> {
    let life = CookieLife::Until(session.idle_expires);
    state.sessions.session_cookie(&session.id, life)
}

fn session_json(valid_user: &str, session: &Session) -> Value {
    json!({
        "user": { "id": valid_user },
        "active_expires": session.active_expires,
        "idle_expires": session.idle_expires,
        "fresh": session.fresh,
    })
}

async fn sign_up(
    State(state): State<V1>,
    client: ClientAddress,
    jar: CookieJar,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<(StatusCode, CookieJar, Json<Value>), ApiError> {
    state.limits.sign_ups.check(client)?;
    let email = canonical_email(&body.email)?;
    let key = NewKey {
        provider_id: EMAIL,
        provider_user_id: &email,
        password: Some(&body.password),
    };
    let new = NewUser {
        primary_key: Some(key),
        ..Default::default()
    };
    let user = state.lucia().create_user(new).await?;
    let session = state.lucia().create_session(&user.id).await?;
    let jar = jar.add(session_cookie(&state, &session));
    Ok((
        StatusCode::CREATED,
        jar,
        Json(session_json(&user.id, &session)),
    ))
}

async fn sign_in(
    State(state): State<V1>,
    client: ClientAddress,
    jar: CookieJar,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<(CookieJar, Json<Value>), ApiError> {
    // An address that cannot be canonical has no key: the same 401.
    let Ok(email) = canonical_email(&body.email) else {
        return Err(ApiError::InvalidCredentials);
    };
    // Failures count per key and, when the connection's address is known,
    // per client (the library's sign-in attempt limit): past the limit the
    // answer is 429 with Retry-After, whether or not the address has an
    // account, and no password is checked.
    let password = Some(body.password.as_str());
    let attempt = match client.limit_key() {
        Some(address) => {
            let address = address.to_string();
            state
                .lucia()
                .use_key_from(&address, EMAIL, &email, password)
                .await
        }
        None => state.lucia().use_key(EMAIL, &email, password).await,
    };
    let signed_in = match attempt {
        Ok(signed_in) => signed_in,
        Err(authstore::Error::SignInRefused(why)) => {
            tracing::info!(reason = %why, "sign-in refused");
            return Err(ApiError::InvalidCredentials);
        }
        Err(other) => return Err(other.into()),
    };
    if signed_in.password_needs_rehash {
        state
            .lucia()
            .update_key_password(EMAIL, &email, Some(&body.password))
            .await?;
    }
    let user_id = signed_in.key.user_id;
    let session = state.lucia().create_session(&user_id).await?;
    let jar = jar.add(session_cookie(&state, &session));
    Ok((jar, Json(session_json(&user_id, &session))))
}

/// The current session; an idle one was replaced, and the session layer
/// sends the new one's cookie.
async fn current_session(
    SignedIn { session: valid, .. }: SignedIn<authstore::lucia_v1::ValidSession>,
) -> Json<Value> {
    Json(session_json(&valid.user.id, &valid.session))
}

/// The user's live sessions: their periods, state, and which is this one
/// (the ids are other browsers' cookies, so they are never shown).
async fn my_sessions(
    State(state): State<V1>,
    SignedIn { session: valid, .. }: SignedIn<authstore::lucia_v1::ValidSession>,
) -> Result<Json<Value>, ApiError> {
    let sessions = state.lucia().user_sessions(&valid.user.id).await?;
    let listed: Vec<Value> = sessions
        .iter()
        .map(|s| {
            json!({
                "idle_expires": s.idle_expires,
                "idle": s.state == SessionState::Idle,
                "current": s.id == valid.session.id,
            })
        })
        .collect();
    Ok(Json(Value::from(listed)))
}
