//! What every request of every profile passes before a handler runs: the
//! body limit and the cross-site guard ([`protect`]), and who is asking
//! ([`ClientAddress`]).

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::{BODY_LIMIT, refuse_oversized_bodies};

/// The server's own origin, as the public URL gives it.
#[derive(Clone)]
struct Origin(String);

/// Wraps a profile's router in the rules every route shares: bodies over
/// [`BODY_LIMIT`] are refused before they are read, and state-changing
/// requests from another site are refused ([`from_this_site`]).
pub fn protect(router: Router, base_url: &str) -> Router {
    router
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(refuse_oversized_bodies))
        .layer(axum::middleware::from_fn_with_state(
            Origin(base_url.to_owned()),
            refuse_cross_site,
        ))
}

/// Login CSRF and its kin: a page on another site that posts a form here
/// (an auto-submitting sign-up, say) would act with the visitor's browser,
/// and set or end the visitor's session. Every method but `GET`, `HEAD`
/// and `OPTIONS` must come from this site.
async fn refuse_cross_site(State(origin): State<Origin>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || from_this_site(&origin.0, request.headers()) {
        return next.run(request).await;
    }
    ApiError::Rejected(
        StatusCode::FORBIDDEN,
        "requests from another site are refused".into(),
    )
    .into_response()
}

/// Whether a request comes from this site. Browsers say so in
/// `Sec-Fetch-Site`, which must be `same-origin` (or `none`: the person
/// typed or bookmarked the URL). Under a `Referrer-Policy: no-referrer`
/// page, Chromium's `Origin` is `null` even for this site, so `Origin`
/// decides only where `Sec-Fetch-Site` is missing (older browsers): it must
/// then be this server's origin, never `null`. A request with neither
/// header comes from no browser (curl, a server, a mobile app), which no
/// other site can make a visitor send, and is let through.
pub fn from_this_site(base_url: &str, headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .map(|value: &HeaderValue| value.to_str().unwrap_or(""))
    };
    match (header("sec-fetch-site"), header("origin")) {
        (Some(site), _) => site == "same-origin" || site == "none",
        (None, None) => true,
        (None, Some(origin)) => {
            origin != "null"
                && base_url
                    .strip_prefix(origin)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        }
    }
}

/// The address the request came from, as the server saw the connection
/// (`None` when the server was started without it). Behind a reverse proxy
/// this is the proxy's address: take the client's from the proxy's header
/// there instead, trusting only your own proxy.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(ClientAddress(peer.map(|ConnectInfo(address)| address.ip())))
    }
}

impl ClientAddress {
    /// How limits key this client: an IPv4 address, or an IPv6 address's
    /// /64 prefix (one host usually holds a whole /64, so counting single
    /// IPv6 addresses would let it spread its requests over 2^64 of them).
    pub fn limit_key(&self) -> Option<IpAddr> {
        match self.0? {
            IpAddr::V4(v4) => Some(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Some(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Some(IpAddr::V6(prefix.into()))
                }
            },
        }
    }
}
