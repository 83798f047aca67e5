//! What every request of every profile passes before a handler runs: the
//! body limit ([`protect`]), and who is asking ([`ClientAddress`]).
//! Cross-site writes are refused by authstore's session layer
//! (`authstore::web`), which every router of the example wears.

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::extract::{BODY_LIMIT, refuse_oversized_bodies};

/// Wraps a profile's router in the rule every route shares: bodies over
/// [`BODY_LIMIT`] are refused before they are read.
pub fn protect(router: Router) -> Router {
    router
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(refuse_oversized_bodies))
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
