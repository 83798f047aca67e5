//! The endpoints. Each handler takes its input, calls authstore, and shapes
//! the JSON; the rules themselves live in the library.
//!
//! Cross-site request forgery: every state-changing endpoint is a POST or
//! DELETE, and every such request from another site is refused before it
//! gets here (authstore's session layer); the session cookie is
//! `SameSite=Lax` too.

use authstore::web::{CookieLife, SignedIn};
use authstore::{Account, NewAccount, Secret, Session, SessionAndUser, User};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{JsonBody, Path};
use crate::guard::ClientAddress;
use crate::{AppState, Outbox};

/// The signed-in session, from authstore's session layer (401 without one).
type CurrentSession = SignedIn<SessionAndUser>;

/// The JSON endpoints (the HTML pages are `crate::pages::router`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/email", post(request_sign_in_link))
        .route("/auth/email/callback", post(email_callback))
        .route("/auth/session", get(current_session))
        .route("/auth/signout", post(sign_out))
        .route("/auth/signout/everywhere", post(sign_out_everywhere))
        .route("/me", delete(delete_me))
        .route("/me/sessions", get(my_sessions))
        .route("/me/sessions/{id}", delete(revoke_session))
        .route("/me/accounts", get(my_accounts).post(link_account))
        .route(
            "/me/accounts/{provider_id}/{provider_account_id}",
            delete(unlink_account),
        )
        .route("/dev/outbox", get(outbox))
}

/// `{"email"}`: where to send a sign-in link.
#[derive(Deserialize)]
pub(crate) struct EmailBody {
    pub(crate) email: String,
}

/// Creates a verification request and "sends" the link: to the log and, if
/// enabled, the dev outbox. The link opens the confirmation page
/// (`pages`), which uses nothing until the person confirms. Counted
/// against the client's and everyone's link limits first
/// ([`crate::limits`]); the library limits each address.
pub(crate) async fn send_link(
    state: &AppState,
    client: ClientAddress,
    email: &str,
) -> Result<authstore::VerificationRequest, ApiError> {
    state.limits.links.check(client)?;
    let (request, token) = state.store().verification().create(email).await?;
    // Emails carry `+` and `@`: the query is encoded by form_urlencoded.
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", &request.identifier)
        .append_pair("token", token.expose())
        .finish();
    let url = format!("{}/auth/email/confirm?{query}", state.base_url);
    Outbox::deliver(
        state.outbox.as_ref(),
        &request.identifier,
        &url,
        request.expires,
    );
    Ok(request)
}

/// `POST /auth/email` `{"email"}`: sends a sign-in link (202).
async fn request_sign_in_link(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<EmailBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request = send_link(&state, client, &body.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "sent": true, "expires": request.expires })),
    ))
}

/// `{"email", "token"}`: a sign-in link's address and token.
#[derive(Deserialize)]
pub(crate) struct CallbackBody {
    pub(crate) email: String,
    pub(crate) token: String,
}

/// For API clients: `POST /auth/email/callback` `{"email", "token"}` uses
/// the link, finds or creates the user and starts a session in one
/// transaction (see `AuthStore::sign_in_with_link`), and sets the session
/// cookie. A POST, never a GET: a GET that used the link is what mail
/// scanners break (people use the confirmation page, `pages`).
async fn email_callback(
    State(state): State<AppState>,
    jar: CookieJar,
    JsonBody(body): JsonBody<CallbackBody>,
) -> Result<(CookieJar, Json<Value>), ApiError> {
    let signed_in = state
        .store()
        .sign_in_with_link(&body.email, &body.token)
        .await?
        .ok_or(ApiError::InvalidLink)?;
    let (user, session) = (signed_in.user, signed_in.session);
    let life = CookieLife::Until(session.expires);
    let jar = jar.add(state.sessions.session_cookie(&session.session_token, life));
    Ok((jar, Json(session_json(&user, &session))))
}

/// The current session, shaped like next-auth's session JSON.
async fn current_session(
    SignedIn {
        session: current, ..
    }: CurrentSession,
) -> Json<Value> {
    Json(session_json(&current.user, &current.session))
}

async fn sign_out(
    State(state): State<AppState>,
    jar: CookieJar,
    signed_in: CurrentSession,
) -> Result<(CookieJar, StatusCode), ApiError> {
    let removal = state.sessions.sign_out(&signed_in).await?;
    Ok((jar.add(removal), StatusCode::NO_CONTENT))
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    jar: CookieJar,
    SignedIn {
        session: current, ..
    }: CurrentSession,
) -> Result<(CookieJar, Json<Value>), ApiError> {
    let ended = state.store().sessions().delete_all(current.user.id).await?;
    Ok((
        jar.add(state.sessions.removal_cookie()),
        Json(json!({ "ended": ended })),
    ))
}

async fn delete_me(
    State(state): State<AppState>,
    jar: CookieJar,
    SignedIn {
        session: current, ..
    }: CurrentSession,
) -> Result<(CookieJar, StatusCode), ApiError> {
    state.store().users().delete(current.user.id).await?;
    Ok((
        jar.add(state.sessions.removal_cookie()),
        StatusCode::NO_CONTENT,
    ))
}

/// My live sessions: ids and times only, never tokens.
async fn my_sessions(
    State(state): State<AppState>,
    SignedIn {
        session: current, ..
    }: CurrentSession,
) -> Result<Json<Value>, ApiError> {
    let sessions = state.store().sessions().list(current.user.id).await?;
    let listed: Vec<Value> = sessions
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "expires": s.expires,
                "created_at": s.created_at,
                "current": s.id == current.session.id,
            })
        })
        .collect();
    Ok(Json(json!({ "sessions": listed })))
}

async fn revoke_session(
    State(state): State<AppState>,
    SignedIn {
        session: current, ..
    }: CurrentSession,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    state.store().sessions().revoke(current.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn my_accounts(
    State(state): State<AppState>,
    SignedIn {
        session: current, ..
    }: CurrentSession,
) -> Result<Json<Value>, ApiError> {
    let accounts = state.store().accounts().list(current.user.id).await?;
    Ok(Json(
        json!({ "accounts": accounts.iter().map(account_json).collect::<Vec<_>>() }),
    ))
}

/// What an OAuth callback would hand over after the provider's redirect.
#[derive(Deserialize)]
struct ProviderProfile {
    provider_type: String,
    provider_id: String,
    provider_account_id: String,
    refresh_token: Option<String>,
    access_token: Option<String>,
    access_token_expires: Option<DateTime<Utc>>,
}

async fn link_account(
    State(state): State<AppState>,
    SignedIn {
        session: current, ..
    }: CurrentSession,
    JsonBody(profile): JsonBody<ProviderProfile>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let account = state
        .store()
        .accounts()
        .link(NewAccount {
            user_id: current.user.id,
            provider_type: profile.provider_type,
            provider_id: profile.provider_id,
            provider_account_id: profile.provider_account_id,
            refresh_token: profile.refresh_token.map(Secret::from),
            access_token: profile.access_token.map(Secret::from),
            access_token_expires: profile.access_token_expires,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(account_json(&account))))
}

async fn unlink_account(
    State(state): State<AppState>,
    SignedIn {
        session: current, ..
    }: CurrentSession,
    Path((provider_id, provider_account_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    // Only my own accounts: someone else's answers exactly like a missing one.
    let owner = state
        .store()
        .users()
        .get_by_account(&provider_id, &provider_account_id)
        .await?;
    if owner.map(|u| u.id) != Some(current.user.id) {
        return Err(ApiError::NotFound);
    }
    state
        .store()
        .accounts()
        .unlink(&provider_id, &provider_account_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn outbox(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let outbox = state.outbox.as_ref().ok_or(ApiError::NotFound)?;
    Ok(Json(json!({ "emails": outbox.all() })))
}

/// next-auth's session JSON: `user.name`, `user.email`, `user.image`, `expires`.
fn session_json(user: &User, session: &Session) -> Value {
    json!({
        "user": { "name": user.name, "email": user.email, "image": user.image },
        "expires": session.expires,
    })
}

/// An account without its OAuth tokens, which stay server-side.
fn account_json(account: &Account) -> Value {
    json!({
        "provider_type": account.provider_type,
        "provider_id": account.provider_id,
        "provider_account_id": account.provider_account_id,
        "access_token_expires": account.access_token_expires,
        "created_at": account.created_at,
    })
}
