//! How errors look on the wire: `{"error": code, "message": …}` with the
//! right status, and the bad fields for a 400. A 500 says nothing more.

use authstore::Conflict;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The fallback for unknown paths: a JSON 404.
pub async fn no_route() -> ApiError {
    ApiError::NoRoute
}

/// The fallback for a known path with the wrong method: a JSON 405.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// An error a handler returns.
#[derive(Debug)]
pub enum ApiError {
    /// No session cookie, or one for an unknown or expired session.
    Unauthorized,
    /// The sign-in link was wrong, used or expired.
    InvalidLink,
    /// An email and password sign-in was refused, for whatever reason (the
    /// reason is logged, not sent: it would tell who has an account).
    InvalidCredentials,
    /// Something the caller named does not exist (or is not theirs).
    NotFound,
    /// No route has this path.
    NoRoute,
    /// The route exists, but not for this method.
    MethodNotAllowed,
    /// A per-client or global request limit of the example
    /// ([`crate::limits`]): wait this many seconds.
    TooManyRequests {
        /// Whole seconds, at least one.
        retry_after_secs: u64,
    },
    /// axum refused the request before a handler ran (bad JSON, wrong
    /// content type, body too large, bad path or query): its status, and
    /// its explanation, which names the problem but never a stored value.
    Rejected(StatusCode, String),
    /// What the library answered; its status depends on the error.
    Store(authstore::Error),
}

impl From<authstore::Error> for ApiError {
    fn from(err: authstore::Error) -> Self {
        ApiError::Store(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use authstore::Error as E;
        let (status, code, message, fields) = match &self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "sign in first".to_string(),
                None,
            ),
            ApiError::InvalidLink => (
                StatusCode::UNAUTHORIZED,
                "invalid_link",
                "the sign-in link is invalid or expired".into(),
                None,
            ),
            ApiError::InvalidCredentials | ApiError::Store(E::SignInRefused(_)) => (
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong email or password".into(),
                None,
            ),
            ApiError::NotFound | ApiError::Store(E::NotFound) => {
                (StatusCode::NOT_FOUND, "not_found", "not found".into(), None)
            }
            ApiError::NoRoute => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint".into(),
                None,
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take this method".into(),
                None,
            ),
            ApiError::Rejected(status, explanation) => {
                let code = match *status {
                    StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                    StatusCode::UNPROCESSABLE_ENTITY => "unprocessable_entity",
                    _ => "bad_request",
                };
                (*status, code, explanation.clone(), None)
            }
            ApiError::Store(E::Validation(errors)) => {
                let fields: serde_json::Map<String, serde_json::Value> = errors
                    .field_errors()
                    .iter()
                    .map(|(field, errs)| {
                        let codes: Vec<String> = errs.iter().map(|e| e.code.to_string()).collect();
                        (field.to_string(), json!(codes))
                    })
                    .collect();
                (
                    StatusCode::BAD_REQUEST,
                    "invalid_input",
                    self_message(&self),
                    Some(fields),
                )
            }
            ApiError::Store(E::RateLimited { retry_at } | E::SignInThrottled { retry_at }) => {
                let wait = (*retry_at - chrono::Utc::now()).num_milliseconds();
                let seconds = u64::try_from((wait + 999) / 1000).unwrap_or(0);
                return too_many_requests(seconds, self_message(&self), Some(*retry_at));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                return too_many_requests(*retry_after_secs, "too many requests".into(), None);
            }
            // What an unauthenticated caller may learn is decided in
            // SECURITY.md ("Account enumeration"): that an address cannot be
            // used to sign up, or an account linked, and never to whom it
            // belongs; the library's own wording stays out of it.
            ApiError::Store(E::Conflict(Conflict::KeyId | Conflict::Email)) => (
                StatusCode::CONFLICT,
                "conflict",
                "this address cannot be used to sign up".into(),
                None,
            ),
            ApiError::Store(E::Conflict(Conflict::Account)) => (
                StatusCode::CONFLICT,
                "conflict",
                "this account cannot be linked".into(),
                None,
            ),
            ApiError::Store(E::Conflict(_)) => {
                (StatusCode::CONFLICT, "conflict", self_message(&self), None)
            }
            ApiError::Store(E::UnknownUser) => (
                StatusCode::NOT_FOUND,
                "unknown_user",
                "unknown user".into(),
                None,
            ),
            ApiError::Store(other) => {
                // Logged for the operator; the client learns nothing more.
                // `?` escapes the driver's text, so no value it quotes can
                // forge a log line.
                let source = std::error::Error::source(other).map(|s| s.to_string());
                tracing::error!(error = %other, ?source, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".into(),
                    None,
                )
            }
        };
        let mut body = json!({ "error": code, "message": message });
        if let Some(fields) = fields {
            body["fields"] = serde_json::Value::Object(fields);
        }
        (status, Json(body)).into_response()
    }
}

/// 429 with `Retry-After` in whole seconds (at least one), and the
/// instant itself when the library gave one (already whole seconds).
fn too_many_requests(
    retry_after_secs: u64,
    message: String,
    retry_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Response {
    let seconds = retry_after_secs.max(1);
    let mut body = json!({
        "error": "too_many_requests",
        "message": message,
        "retry_after": seconds,
    });
    if let Some(retry_at) = retry_at {
        body["retry_at"] = json!(retry_at);
    }
    let retry_after = [(axum::http::header::RETRY_AFTER, seconds.to_string())];
    (StatusCode::TOO_MANY_REQUESTS, retry_after, Json(body)).into_response()
}

fn self_message(err: &ApiError) -> String {
    match err {
        ApiError::Store(inner) => inner.to_string(),
        _ => String::new(),
    }
}
