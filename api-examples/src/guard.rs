//! What every request of every profile passes before a handler runs: the
//! body limit ([`protect`]), and who is asking ([`ClientAddress`]).
//! Cross-site writes are refused by authstore's session layer
//! (`authstore::web`), which every router of the example wears.

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::extract::{BODY_LIMIT, refuse_oversized_bodies};

/// Wraps a profile's router in the rule every route shares: bodies over
/// [`BODY_LIMIT`] are refused before they are read.
pub fn protect(router: Router) -> Router {
    router
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(refuse_oversized_bodies))
}

/// The address the request came from (`None` when the server was started
/// without connection info): the connection's, or behind your own reverse
/// proxies ([`TrustedProxies`], an extension on the router) the address
/// they forwarded for.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Ok(ClientAddress(None));
        };
        let client = match parts.extensions.get::<TrustedProxies>() {
            Some(proxies) => proxies.client(peer.ip(), &parts.headers),
            None => peer.ip(),
        };
        Ok(ClientAddress(Some(client)))
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed
/// (`AUTHSTORE_TRUSTED_PROXIES`: addresses or CIDR blocks, comma-separated;
/// none by default). Anyone can send the header, so only the hops your own
/// proxies appended count: the client is the rightmost address that is not
/// one of them.
///
/// Without it, behind a proxy every request comes from the proxy's address,
/// and the limits keyed by address (links, sign-ups, failed sign-ins per
/// client) are shared by everyone: one client's 100 wrong passwords would
/// refuse every other client's sign-in for the window.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// `list`, comma-separated: `10.0.0.1`, `10.0.0.0/8`, `::1`,
    /// `fd00::/8`. An entry that is neither names itself in the error.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut proxies = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let net = match entry.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => match entry.parse::<IpAddr>() {
                    Ok(address) => IpNet::from(address),
                    Err(_) => {
                        return Err(format!(
                            "{entry:?} is neither an IP address nor a CIDR block (10.0.0.0/8)"
                        ));
                    }
                },
            };
            proxies.push(net);
        }
        Ok(TrustedProxies(proxies))
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client of a request that reached this server from `peer`: `peer`
    /// itself unless it is a trusted proxy; then, walking the
    /// `X-Forwarded-For` hops from the right, the first that is not
    /// trusted (an address, with or without a port). A hop that is no
    /// address ends the walk at the last trusted one (a proxy that forwards
    /// garbage is the client then).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Some(address) = hop_address(hop) else {
                break;
            };
            client = canonical(address);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// The address of one `X-Forwarded-For` hop: an address, or one with the
/// port some proxies append (`203.0.113.9:41234`, `[2001:db8::1]:41234`).
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|at| at.ip()))
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) as IPv4, so either
/// spelling matches the same rules.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn forwarded(hops: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for hop in hops {
            headers.append("x-forwarded-for", HeaderValue::from_str(hop).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_hops_appended_by_trusted_proxies_count() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7").unwrap();
        // From the proxy: the hop it appended, not what the client wrote.
        let spoofed = forwarded(&["1.1.1.1, 203.0.113.9"]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &spoofed), ip("203.0.113.9"));
        // Through two trusted proxies, over two headers.
        let chained = forwarded(&["1.1.1.1, 203.0.113.9", "192.0.2.7"]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &chained), ip("203.0.113.9"));
        // Straight from the client: its header is not believed.
        assert_eq!(
            proxies.client(ip("203.0.113.50"), &spoofed),
            ip("203.0.113.50")
        );
        // An IPv4 proxy written as IPv6 is the same proxy.
        assert_eq!(
            proxies.client(ip("::ffff:10.1.2.3"), &spoofed),
            ip("203.0.113.9")
        );
        // Hops with the port a proxy appended.
        let ported = forwarded(&["203.0.113.9:41234, [2001:db8::1]:443"]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &ported), ip("2001:db8::1"));
        // A proxy that forwarded garbage is the client.
        let garbage = forwarded(&["203.0.113.9, not-an-address"]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &garbage), ip("10.1.2.3"));
        // Nothing trusted by default.
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.1.2.3"), &spoofed), ip("10.1.2.3"));
    }

    #[test]
    fn a_bad_entry_is_named() {
        let why = TrustedProxies::parse("10.0.0.1, proxy.local").unwrap_err();
        assert!(why.contains("\"proxy.local\""), "{why}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
    }
}
