//! The session layer, one for every kind of session: around each request
//! it applies the cross-site rule, lets whatever resolves sessions
//! ([`ResolvesSessions`]: a store's [`WebSessions`](super::WebSessions), an
//! Auth.js app's [`JwtSessions`](super::authjs_jwt::JwtSessions)) record
//! the request's session for the [`SignedIn`] extractor, and sends the
//! cookies a renewal asks for, unless the handler set its own.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::Cookie;
use tower_layer::Layer;
use tower_service::Service;

use crate::rules::error::{ConfigError, Error};
use crate::rules::token::Secret;

/// The origins whose pages may send writes (see
/// [`from_trusted_site`](super::from_trusted_site)).
#[derive(Clone, Debug)]
pub struct Origins {
    /// The public URL's (`https://app.example.com`).
    pub(crate) public: String,
    /// Others the service was told to trust.
    pub(crate) trusted: Vec<String>,
}

impl Origins {
    /// Trusts `origins` too; [`ConfigError::TrustedOrigin`] for anything
    /// but an http(s) origin.
    pub(crate) fn trust<'a>(
        &mut self,
        origins: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), Error> {
        for given in origins {
            let origin =
                origin_of(given).ok_or_else(|| ConfigError::TrustedOrigin(given.to_owned()))?;
            if !self.trusted.contains(&origin) {
                self.trusted.push(origin);
            }
        }
        Ok(())
    }
}

/// What [`SessionLayer`](super::SessionLayer) does around each
/// request; [`WebSessions`](super::WebSessions) (a store's sessions)
/// and [`JwtSessions`](super::authjs_jwt::JwtSessions) (an Auth.js
/// app's JWT cookie) do it, and nothing outside authstore can.
pub trait ResolvesSessions: Clone + Send + Sync + 'static {
    /// The origins whose pages may send writes.
    fn origins(&self) -> &Origins;

    /// Records the request's session for the extractors; answers the
    /// cookies to send with the response (a renewal), which give way to
    /// any cookie of the session's the handler sets.
    fn resolve(
        &self,
        request: &mut Request<Body>,
    ) -> impl Future<Output = Vec<Cookie<'static>>> + Send;

    /// The session cookie's name (for Auth.js, also the start of its
    /// chunks' names).
    fn cookie_name(&self) -> &str;
}

/// The tower layer of [`WebSessions::layer`](super::WebSessions::layer)
/// and [`JwtSessions::layer`](super::authjs_jwt::JwtSessions::layer).
#[derive(Clone)]
pub struct SessionLayer<W> {
    web: W,
}

impl<W> SessionLayer<W> {
    /// The layer around `web`'s sessions.
    pub(crate) fn new(web: W) -> Self {
        SessionLayer { web }
    }
}

impl<I, W: Clone> Layer<I> for SessionLayer<W> {
    type Service = SessionService<I, W>;

    fn layer(&self, inner: I) -> Self::Service {
        SessionService {
            inner,
            web: self.web.clone(),
        }
    }
}

/// The service [`SessionLayer`] wraps around a router.
#[derive(Clone)]
pub struct SessionService<I, W> {
    inner: I,
    web: W,
}

impl<I, W> Service<Request<Body>> for SessionService<I, W>
where
    I: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    I::Future: Send,
    W: ResolvesSessions,
{
    type Response = Response;
    type Error = I::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, I::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        // The clone that was polled ready serves this request.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let web = self.web.clone();
        Box::pin(async move {
            let safe = matches!(
                *request.method(),
                Method::GET | Method::HEAD | Method::OPTIONS
            );
            let Origins { public, trusted } = web.origins();
            if !safe && !from_trusted_site(public, trusted, request.headers()) {
                return Ok(refused(
                    StatusCode::FORBIDDEN,
                    r#"{"error":"forbidden","message":"requests from another site are refused"}"#,
                ));
            }
            let renewal = web.resolve(&mut request).await;
            let mut response = inner.call(request).await?;
            reissue(&mut response, web.cookie_name(), renewal);
            Ok(response)
        })
    }
}

/// Adds `cookies` to `response`, but none the handler set itself (a
/// sign-in or sign-out wins over a renewal): none of the name of one it
/// set, and once it set any cookie of the session's `family` (the session
/// cookie and its chunks), none of that family.
fn reissue(response: &mut Response, family: &str, cookies: Vec<Cookie<'static>>) {
    let set_by_handler: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| Some(value.to_str().ok()?.split_once('=')?.0.trim().to_owned()))
        .collect();
    // The session cookie and its chunks (`name.0`, `name.1`, …), not every
    // cookie whose name merely starts like it.
    let in_family = |name: &str| {
        name.strip_prefix(family).is_some_and(|rest| {
            rest.is_empty()
                || rest.strip_prefix('.').is_some_and(|index| {
                    !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit())
                })
        })
    };
    let family_set = set_by_handler.iter().any(|name| in_family(name));
    for cookie in cookies {
        let name = cookie.name();
        let handled =
            set_by_handler.iter().any(|set| set == name) || (family_set && in_family(name));
        if !handled && let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
}

/// The app's public URL (the one the browser sees) as the web layer uses
/// it.
pub(crate) struct PublicUrl {
    /// Secure cookies, `__Secure-` names.
    pub(crate) https: bool,
    /// Its origin, trusting no other yet.
    pub(crate) origins: Origins,
}

impl PublicUrl {
    /// [`ConfigError::PublicUrl`] unless `given` is an absolute http(s)
    /// URL with a host.
    pub(crate) fn parse(given: &str) -> Result<Self, Error> {
        let url = url::Url::parse(given).map_err(|_| ConfigError::PublicUrl)?;
        let https = match url.scheme() {
            "https" if url.has_host() => true,
            "http" if url.has_host() => false,
            _ => return Err(ConfigError::PublicUrl.into()),
        };
        let origins = Origins {
            public: url.origin().ascii_serialization(),
            trusted: Vec::new(),
        };
        Ok(PublicUrl { https, origins })
    }
}

/// The signed-in session of a request, from the [`SessionLayer`]. As an
/// extractor it answers 401 when nobody is signed in; take
/// `Option<SignedIn<_>>` to serve both.
#[derive(Clone)]
pub struct SignedIn<T> {
    /// The session and its user.
    pub session: T,
    /// The token it was found by, for [`WebSessions::sign_out`](super::WebSessions::sign_out).
    pub(crate) token: Secret,
}

impl<T: std::fmt::Debug> std::fmt::Debug for SignedIn<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// What the layer found; absent when the layer is not installed.
#[derive(Clone)]
pub(crate) struct Resolved<T>(pub(crate) Option<SignedIn<T>>);

/// Why [`SignedIn`] was refused.
#[derive(Debug)]
pub enum NotSignedIn {
    /// No valid session: 401 `{"error":"unauthorized",…}`.
    Unauthorized,
    /// The route is not behind [`WebSessions::layer`](super::WebSessions::layer): a setup mistake,
    /// answered 500 rather than a misleading 401.
    NoLayer,
}

/// Whether a request comes from the site at `origin`: [`from_trusted_site`]
/// trusting no other origin.
pub fn from_this_site(origin: &str, headers: &HeaderMap) -> bool {
    from_trusted_site(origin, &[] as &[&str], headers)
}

/// Whether a request comes from the public origin `origin` or from a page
/// at one of `trusted` (serialized origins, `https://app.example.com`).
/// Browsers say where a request comes from in `Sec-Fetch-Site`:
/// `same-origin`, or `none` (the person typed or bookmarked the URL), is
/// admitted; from any other origin (`same-site`, `cross-site`) the
/// browser's `Origin` header must name one of `trusted`, compared whole.
/// A page under `Referrer-Policy: no-referrer` sends `Origin: null` even to
/// its own origin, which is why `Sec-Fetch-Site` decides first. Where it is
/// missing (older browsers) `Origin` must be `origin` or trusted. A request
/// with neither header comes from no browser (curl, a server), which no
/// other site can make a visitor send.
pub fn from_trusted_site(origin: &str, trusted: &[impl AsRef<str>], headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .map(|value: &HeaderValue| value.to_str().unwrap_or(""))
    };
    let is_trusted = |sent: &str| trusted.iter().any(|other| other.as_ref() == sent);
    match (header("sec-fetch-site"), header("origin")) {
        (Some("same-origin" | "none"), _) => true,
        (Some(_), sent) => sent.is_some_and(is_trusted),
        (None, None) => true,
        (None, Some(sent)) => sent == origin || is_trusted(sent),
    }
}

/// `given` as browsers serialize an origin, if it is exactly one: an
/// http(s) URL with a host and nothing past it but an optional `/`.
fn origin_of(given: &str) -> Option<String> {
    let url = url::Url::parse(given.trim()).ok()?;
    let bare = matches!(url.scheme(), "http" | "https")
        && url.has_host()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && !given.trim().ends_with('?')
        && !given.trim().ends_with('#');
    bare.then(|| url.origin().ascii_serialization())
}

/// A JSON refusal.
fn refused(status: StatusCode, body: &'static str) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body).into_response()
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            NotSignedIn::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                r#"{"error":"unauthorized","message":"sign in first"}"#,
            ),
            NotSignedIn::NoLayer => {
                tracing::error!("SignedIn extracted on a route without WebSessions::layer");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"error":"internal","message":"internal error"}"#,
                )
            }
        };
        refused(status, body)
    }
}

impl<T: Clone + Send + Sync + 'static, St: Send + Sync> FromRequestParts<St> for SignedIn<T> {
    type Rejection = NotSignedIn;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self, NotSignedIn> {
        match parts.extensions.get::<Resolved<T>>() {
            Some(Resolved(Some(signed_in))) => Ok(signed_in.clone()),
            Some(Resolved(None)) => Err(NotSignedIn::Unauthorized),
            None => Err(NotSignedIn::NoLayer),
        }
    }
}

impl<T: Clone + Send + Sync + 'static, St: Send + Sync> OptionalFromRequestParts<St>
    for SignedIn<T>
{
    type Rejection = NotSignedIn;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Option<Self>, NotSignedIn> {
        match parts.extensions.get::<Resolved<T>>() {
            Some(Resolved(found)) => Ok(found.clone()),
            None => Err(NotSignedIn::NoLayer),
        }
    }
}
