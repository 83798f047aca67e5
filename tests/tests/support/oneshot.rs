//! One request through an in-process router, for the tests that drive the
//! web layer without a socket (`#[path]`-included by each).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

/// `method path` with `headers`, answered by `app`.
pub async fn send(app: &Router, method: &str, path: &str, headers: &[(&str, String)]) -> Response {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let set_cookie: Vec<String> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    Response {
        status,
        set_cookie,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// What came back: the status, every `Set-Cookie` and the body.
pub struct Response {
    pub status: StatusCode,
    pub set_cookie: Vec<String>,
    pub body: String,
}
