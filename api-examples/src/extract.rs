//! axum's extractors, answering a bad request in the API's JSON error shape
//! instead of axum's plain-text rejections.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The largest request body the API reads: room for a provider profile with
/// two OAuth tokens at authstore's 16 KiB limit each.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Refuses a body that declares more than [`BODY_LIMIT`] bytes before
/// reading any of it. (Bodies without a length are cut off at the same limit
/// by axum's `DefaultBodyLimit`, which [`crate::app`] sets.)
pub async fn refuse_oversized_bodies(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        let why = format!("the request body is larger than {BODY_LIMIT} bytes");
        return ApiError::Rejected(StatusCode::PAYLOAD_TOO_LARGE, why).into_response();
    }
    next.run(request).await
}

/// A JSON body; a malformed or mistyped body, a wrong content type and a
/// body over the size limit are JSON errors (400, 422, 415, 413).
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

/// Path parameters, as [`JsonBody`] (an id that is no `i32` is a 400).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::Rejected(rejection.status(), rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::Rejected(rejection.status(), rejection.body_text())
    }
}
