//! Serving a router on a socket, with time limits for slow clients: a
//! connection that trickles in half a header, or holds a connection open
//! without sending a request, is closed instead of held forever.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// How long the server waits for a slow client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// From the moment the server waits for a request (a new connection,
    /// or a kept-alive one after its last response) until the request's
    /// whole head has arrived; past it, the connection is closed. So it is
    /// also the idle timeout of a kept-alive connection.
    pub header_read: Duration,
    /// How long reading a request's body may take; past it, the request
    /// fails with 408.
    pub body_read: Duration,
}

impl Default for Timeouts {
    /// 10 s for a header (a real client sends one in milliseconds) and 30 s
    /// for a body (the largest is 64 KiB).
    fn default() -> Self {
        Timeouts {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting and lets requests in flight finish (for up to the body
/// timeout). Handlers see the client's address as `ConnectInfo`
/// ([`crate::guard::ClientAddress`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = listener.into_std()?;
    let mut server = axum_server::from_tcp(listener)?
        .http1_only()
        .first_request_timeout(timeouts.header_read);
    server
        .http_builder()
        .http1()
        .header_read_timeout(timeouts.header_read);
    let handle = axum_server::Handle::new();
    let stopping = handle.clone();
    let grace = timeouts.body_read;
    tokio::spawn(async move {
        shutdown.await;
        stopping.graceful_shutdown(Some(grace));
    });
    let app = router.layer(RequestBodyTimeoutLayer::new(timeouts.body_read));
    server
        .handle(handle)
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await
}
