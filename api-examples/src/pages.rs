//! The sign-in link as a person meets it: a page that asks before anything
//! is used, so a mail scanner that fetches every link in an email (Outlook
//! Safe Links and the like) uses up nothing.
//!
//! - `GET /auth/email/confirm?email&token` (and `HEAD`): checks the link
//!   (`Verification::check`, nothing written) and shows "Sign in as …?" with
//!   a button, or a page saying the link no longer works, with a form to
//!   send a new one.
//! - `POST /auth/email/confirm` (the button; form-encoded `email`, `token`):
//!   uses the link, signs in, sets the cookie, and redirects (303) to
//!   `/signed-in`.
//! - `POST /auth/email/new` (form-encoded `email`): sends a new link.
//! - `GET /signed-in`: who is signed in.
//!
//! Every page escapes what it shows, and is sent with `Cache-Control:
//! no-store` (the page holds a live token) and `Referrer-Policy:
//! no-referrer` (its URL holds the token; no Referer header may carry it
//! off), a CSP that allows no scripts and forms only to this origin. Form
//! posts from another site are refused by the guard every route passes
//! ([`crate::guard`]): someone else's link submitted from their site would
//! sign the visitor in as them.

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use html_escape::{encode_double_quoted_attribute as attribute, encode_text as text};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::guard::ClientAddress;
use crate::routes::send_link;
use authstore::SessionAndUser;
use authstore::web::{CookieLife, SignedIn};

/// The HTML pages a person meets through a sign-in link.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/email/confirm", get(confirmation).post(confirm))
        .route("/auth/email/new", post(new_link))
        .route("/signed-in", get(signed_in))
}

#[derive(Deserialize)]
struct Link {
    email: String,
    token: String,
}

#[derive(Deserialize)]
struct NewLink {
    email: String,
}

/// An HTML page with the headers every page here carries.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title></head>\
         <body><main>{body}</main></body></html>\n",
        text(title)
    );
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    ];
    (status, headers, html).into_response()
}

/// The page for a link that does not work (used, expired, replaced by a
/// newer one, or never issued), with a form to send a new one. It does not
/// say which: a used link and a forged one look alike to anyone holding it.
fn link_gone(email: &str) -> Response {
    let body = format!(
        "<h1>This sign-in link no longer works</h1>\
         <p>It was used already, it expired, or a newer link was sent.</p>\
         <form method=\"post\" action=\"/auth/email/new\">\
         <label>Email <input type=\"email\" name=\"email\" value=\"{}\" required></label> \
         <button type=\"submit\">Send me a new link</button></form>",
        attribute(email)
    );
    page(StatusCode::GONE, "Sign-in link expired", &body)
}

/// The link as a GET (or HEAD) sees it: checked, never used.
async fn confirmation(
    State(state): State<AppState>,
    query: Result<Query<Link>, QueryRejection>,
) -> Response {
    let Ok(Query(link)) = query else {
        return link_gone("");
    };
    match state
        .store()
        .verification()
        .check(&link.email, &link.token)
        .await
    {
        Ok(true) => {
            let body = format!(
                "<h1>Sign in as {}?</h1>\
                 <form method=\"post\" action=\"/auth/email/confirm\">\
                 <input type=\"hidden\" name=\"email\" value=\"{}\">\
                 <input type=\"hidden\" name=\"token\" value=\"{}\">\
                 <button type=\"submit\" id=\"confirm\">Sign in</button></form>",
                text(&link.email),
                attribute(&link.email),
                attribute(&link.token)
            );
            page(StatusCode::OK, "Confirm sign-in", &body)
        }
        Ok(false) => link_gone(&link.email),
        Err(err) => failure(err),
    }
}

/// The button: uses the link and signs in.
async fn confirm(
    State(state): State<AppState>,
    jar: CookieJar,
    form: Result<Form<Link>, FormRejection>,
) -> Response {
    let Ok(Form(link)) = form else {
        return link_gone("");
    };
    match state
        .store()
        .sign_in_with_link(&link.email, &link.token)
        .await
    {
        Ok(Some(signed_in)) => {
            let session = signed_in.session;
            let life = CookieLife::Until(session.expires);
            let cookie = state.sessions.session_cookie(&session.session_token, life);
            let mut response = (jar.add(cookie), Redirect::to("/signed-in")).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            response
        }
        Ok(None) => link_gone(&link.email),
        Err(err) => failure(err),
    }
}

/// "Send me a new link".
async fn new_link(
    State(state): State<AppState>,
    client: ClientAddress,
    form: Result<Form<NewLink>, FormRejection>,
) -> Response {
    let email = form.map(|Form(form)| form.email).unwrap_or_default();
    match send_link(&state, client, &email).await {
        Ok(_) => page(
            StatusCode::ACCEPTED,
            "Check your email",
            &format!(
                "<h1>Check your email</h1><p>A new sign-in link is on its way to {}.</p>",
                text(&email)
            ),
        ),
        Err(ApiError::Store(authstore::Error::Validation(_))) => page(
            StatusCode::BAD_REQUEST,
            "Not an email address",
            "<h1>That is not an email address</h1>",
        ),
        Err(ApiError::Store(authstore::Error::RateLimited { retry_at })) => page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many links",
            &format!(
                "<h1>Too many sign-in links</h1><p>Please try again after {} UTC.</p>",
                text(&retry_at.format("%H:%M").to_string())
            ),
        ),
        Err(ApiError::TooManyRequests { .. }) => page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many links",
            "<h1>Too many sign-in links</h1><p>Please try again later.</p>",
        ),
        Err(ApiError::Store(err)) => failure(err),
        Err(other) => other.into_response(),
    }
}

async fn signed_in(current: Option<SignedIn<SessionAndUser>>) -> Response {
    let Some(SignedIn {
        session: current, ..
    }) = current
    else {
        return page(
            StatusCode::UNAUTHORIZED,
            "Not signed in",
            "<h1>You are not signed in</h1>",
        );
    };
    let email = current.user.email.unwrap_or_default();
    page(
        StatusCode::OK,
        "Signed in",
        &format!(
            "<h1 id=\"signed-in\">Signed in as {}</h1><p>Your session lasts until {} UTC.</p>",
            text(&email),
            current.session.expires.format("%Y-%m-%d %H:%M")
        ),
    )
}

/// A database failure: logged, and a page that says nothing more.
fn failure(err: authstore::Error) -> Response {
    tracing::error!(error = %err, "sign-in page failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "<h1>Something went wrong</h1><p>Please try again.</p>",
    )
}
