//! The example on an Auth.js database (`AUTHSTORE_PROFILE=authjs-pg` or
//! `authjs-drizzle`), beside a next-auth 4.24 or Auth.js v5 app that keeps
//! its sessions through `@auth/pg-adapter` or `@auth/drizzle-adapter`: its
//! session cookie (`authjs.session-token`,
//! or next-auth 4's `next-auth.session-token` with
//! `AUTHSTORE_NEXT_AUTH_MAJOR=4`; `__Secure-` prefixed over https) names
//! a session row, which both sides read, renew and delete alike.
//!
//! The endpoints: an email sign-in whose links the app's own callback
//! accepts too (`POST /auth/email`, `POST /auth/email/callback`), the
//! current session, sign-out, and the dev outbox.

use authstore::authjs::{
    AuthJsAdapter, AuthJsSession, AuthJsStore, AuthJsUser, PgAdapter, ValidSession,
};
use authstore::web::{CookieLife, SignedIn, WebSessions};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde_json::{Value, json};

use crate::Outbox;
use crate::error::{self, ApiError};
use crate::extract::JsonBody;
use crate::guard::ClientAddress;
use crate::limits::Limits;
use crate::routes::{CallbackBody, EmailBody};

/// Shared by every handler; `A` is the app's adapter.
#[derive(Clone)]
pub struct AuthJsState<A: AuthJsAdapter = PgAdapter> {
    /// The store with the public URL: the layer, the cookie, sign-out.
    pub sessions: WebSessions<AuthJsStore<sea_orm::DatabaseConnection, A>>,
    /// Where sign-in links point, without a trailing slash.
    pub base_url: String,
    /// The development outbox; `None` keeps `/dev/outbox` switched off.
    pub outbox: Option<Outbox>,
    /// Links per client and for everyone.
    pub limits: Limits,
}

impl<A: AuthJsAdapter> AuthJsState<A> {
    /// The state for an Auth.js app at the site's URL.
    /// [`authstore::ConfigError::PublicUrl`] for a bad URL.
    pub fn new(
        store: AuthJsStore<sea_orm::DatabaseConnection, A>,
        site: impl Into<crate::Site>,
        outbox: Option<Outbox>,
        limits: Limits,
    ) -> Result<Self, authstore::Error> {
        let site = site.into();
        Ok(AuthJsState {
            sessions: site.sessions(store)?,
            base_url: site.base_url,
            outbox,
            limits,
        })
    }
}

/// The whole API on an Auth.js database.
pub fn authjs_app<A: AuthJsAdapter>(state: AuthJsState<A>) -> Router {
    let sessions = state.sessions.layer();
    let routes = Router::new()
        .route("/auth/email", post(send_link::<A>))
        .route("/auth/email/callback", post(email_callback::<A>))
        .route("/auth/session", get(current_session::<A>))
        .route("/auth/signout", post(sign_out::<A>))
        .route("/dev/outbox", get(outbox::<A>))
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(sessions)
        .with_state(state);
    crate::guard::protect(routes)
}

/// `POST /auth/email` `{"email"}`: a sign-in link, to the dev outbox (202).
/// Its URL is the app's own email callback (`/api/auth/callback/email`),
/// which takes authstore's tokens as its own.
async fn send_link<A: AuthJsAdapter>(
    State(state): State<AuthJsState<A>>,
    client: ClientAddress,
    JsonBody(body): JsonBody<EmailBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    state.limits.links.check(client)?;
    let store = state.sessions.store();
    let (request, token) = store.create_verification_token(&body.email).await?;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token.expose())
        .append_pair("email", &request.identifier)
        .finish();
    let url = format!("{}/api/auth/callback/email?{query}", state.base_url);
    Outbox::deliver(
        state.outbox.as_ref(),
        &request.identifier,
        &url,
        request.expires,
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "sent": true, "expires": request.expires })),
    ))
}

/// `POST /auth/email/callback` `{"email", "token"}`: uses the link, as the
/// app's callback would, and sets the session cookie.
async fn email_callback<A: AuthJsAdapter>(
    State(state): State<AuthJsState<A>>,
    jar: CookieJar,
    JsonBody(body): JsonBody<CallbackBody>,
) -> Result<(CookieJar, Json<Value>), ApiError> {
    let store = state.sessions.store();
    let (user, session) = store
        .sign_in_with_link(&body.email, &body.token)
        .await?
        .ok_or(ApiError::InvalidLink)?;
    let life = CookieLife::Until(session.expires);
    let jar = jar.add(state.sessions.session_cookie(&session.session_token, life));
    Ok((jar, Json(session_json(&user, &session))))
}

/// The current session, in the shape of Auth.js's `/api/auth/session`,
/// plus the user's id.
async fn current_session<A: AuthJsAdapter>(
    SignedIn { session: valid, .. }: SignedIn<ValidSession<A::Id>>,
) -> Json<Value> {
    Json(session_json(&valid.user, &valid.session))
}

async fn sign_out<A: AuthJsAdapter>(
    State(state): State<AuthJsState<A>>,
    jar: CookieJar,
    signed_in: SignedIn<ValidSession<A::Id>>,
) -> Result<(StatusCode, CookieJar), ApiError> {
    let removal = state.sessions.sign_out(&signed_in).await?;
    Ok((StatusCode::NO_CONTENT, jar.add(removal)))
}

async fn outbox<A: AuthJsAdapter>(
    State(state): State<AuthJsState<A>>,
) -> Result<Json<Value>, ApiError> {
    let outbox = state.outbox.as_ref().ok_or(ApiError::NotFound)?;
    Ok(Json(json!({ "emails": outbox.all() })))
}

fn session_json<Id: serde::Serialize>(user: &AuthJsUser<Id>, session: &AuthJsSession<Id>) -> Value {
    json!({
        "user": { "id": user.id, "name": user.name, "email": user.email, "image": user.image },
        "expires": session.expires,
    })
}
