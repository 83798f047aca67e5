//! An HTTP API on axum that embeds authstore: email sign-in with a
//! development outbox, a next-auth-compatible session cookie, sessions and
//! linked OAuth accounts. `main.rs` runs it; the end-to-end tests start the
//! same [`app`] on an ephemeral port.
//!
//! The path of a request: the [`session`] middleware turns the cookie into
//! the current session (one query) → a handler in [`routes`] calls one
//! authstore method → [`error::ApiError`] turns any `authstore::Error` into
//! a JSON status.

use std::sync::{Arc, Mutex};

use authstore::AuthStore;
use axum::Router;

pub mod error;
pub mod extract;
pub mod guard;
pub mod limits;
pub mod lucia;
pub mod lucia_v1;
pub mod pages;
pub mod routes;
pub mod serve;
pub mod session;

pub use serve::{Timeouts, serve};

/// next-auth v3's session cookie name (without `__Secure-`, which it adds
/// only on HTTPS). Using the same name lets the two share sessions.
pub const SESSION_COOKIE: &str = "next-auth.session-token";

/// The example's sign-in link settings: only the newest link per address
/// works, and an address gets at most 5 links per 15 minutes.
pub fn link_policy(config: authstore::ConfigBuilder) -> authstore::ConfigBuilder {
    config
        .newest_link_only(true)
        .link_issuance_limit(5, chrono::TimeDelta::minutes(15))
}

/// How the example opens its database. On SQLite: WAL mode, so readers do
/// not wait for the writer and a commit is one append (measured in
/// `benches/sqlite_writers.rs`), and a 5 s busy timeout, so a writer waits
/// its turn instead of failing.
pub fn connect_options(database_url: &str) -> sea_orm::ConnectOptions {
    use sea_orm::sqlx::sqlite::SqliteJournalMode;
    let mut options = sea_orm::ConnectOptions::new(database_url);
    options.sqlx_logging(false).map_sqlx_sqlite_opts(|sqlite| {
        sqlite
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5))
    });
    options
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: AuthStore,
    /// Where sign-in links point, without a trailing slash: the server's
    /// public URL (`AUTHSTORE_BASE_URL`), e.g. `https://auth.example.com`.
    pub base_url: String,
    /// Mark the session cookie `Secure` (set it behind HTTPS).
    pub secure_cookies: bool,
    /// The development outbox; `None` keeps `/dev/outbox` switched off.
    pub outbox: Option<Outbox>,
    /// Links per client and for everyone ([`limits`]).
    pub limits: limits::Limits,
}

/// Sign-in emails "sent" in development: logged, and kept for `/dev/outbox`.
#[derive(Clone, Default)]
pub struct Outbox(Arc<Mutex<Vec<serde_json::Value>>>);

impl Outbox {
    pub fn push(&self, email: serde_json::Value) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(email);
    }

    pub fn all(&self) -> Vec<serde_json::Value> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// The whole API, behind the rules every profile shares
/// ([`guard::protect`]).
pub fn app(state: AppState) -> Router {
    let base_url = state.base_url.clone();
    let routes = routes::router(state.clone())
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::resolve,
        ))
        .with_state(state);
    guard::protect(routes, &base_url)
}
