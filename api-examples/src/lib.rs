//! An HTTP API on axum that embeds authstore: email sign-in with a
//! development outbox, a next-auth-compatible session cookie, sessions and
//! linked OAuth accounts. `main.rs` runs it; the end-to-end tests start the
//! same [`app`] on an ephemeral port.
//!
//! The path of a request: authstore's session layer (`authstore::web`)
//! turns the cookie into the current session (one query) → a handler in
//! [`routes`] calls one authstore method → [`error::ApiError`] turns any
//! `authstore::Error` into a JSON status. The example has no cookie code of
//! its own: names, attributes, renewal and removal are the layer's.

use std::sync::{Arc, Mutex};

use authstore::web::{SessionStore, WebSessions};
use authstore::{AuthStore, Profile};
use axum::Router;

pub mod authjs;
pub mod authjs_jwt;
pub mod better_auth;
pub mod error;
pub mod extract;
pub mod guard;
pub mod limits;
pub mod lucia;
pub mod lucia_v1;
pub mod pages;
pub mod routes;
pub mod serve;

pub use serve::{Timeouts, serve};

/// next-auth's session cookie name over http (over https it is the
/// `__Secure-` one); the session layer reads and writes the one the public
/// URL calls for.
pub const SESSION_COOKIE: &str = Profile::NextAuthV3.descriptor().session_cookie(false);

/// Where the example is served, as the browser sees it: the public URL
/// (`AUTHSTORE_BASE_URL`) and the other origins whose pages may send it
/// writes (`AUTHSTORE_TRUSTED_ORIGINS`: the app's origin when this server
/// runs on a sibling, `api.example.com` beside `app.example.com`).
#[derive(Clone, Debug)]
pub struct Site {
    /// The public URL, without a trailing slash.
    pub base_url: String,
    /// Origins trusted besides the public URL's
    /// (`WebSessions::trusting_origins`).
    pub trusted_origins: Vec<String>,
}

impl Site {
    /// The session layer's state for `store` on this site.
    /// [`authstore::ConfigError::PublicUrl`] or
    /// [`authstore::ConfigError::TrustedOrigin`] for a URL that is none.
    pub fn sessions<S: SessionStore>(&self, store: S) -> Result<WebSessions<S>, authstore::Error> {
        WebSessions::new(store, &self.base_url)?
            .trusting_origins(self.trusted_origins.iter().map(String::as_str))
    }
}

/// A site at `base_url` that trusts no other origin.
impl From<String> for Site {
    fn from(base_url: String) -> Self {
        Site {
            base_url,
            trusted_origins: Vec::new(),
        }
    }
}

/// A site at `base_url` that trusts no other origin.
impl From<&str> for Site {
    fn from(base_url: &str) -> Self {
        Site::from(base_url.to_owned())
    }
}

/// A site at `base_url` that trusts no other origin.
impl From<&String> for Site {
    fn from(base_url: &String) -> Self {
        Site::from(base_url.clone())
    }
}

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
///
/// A password in the URL is taken out of it and handed to the driver's
/// own options: sea-orm's connect span (at TRACE and DEBUG) prints the
/// options with their URL, and so would print the password.
pub fn connect_options(database_url: &str) -> sea_orm::ConnectOptions {
    use sea_orm::sqlx::sqlite::SqliteJournalMode;
    let (url, password) = without_password(database_url);
    let mut options = sea_orm::ConnectOptions::new(url);
    options.sqlx_logging(false).map_sqlx_sqlite_opts(|sqlite| {
        sqlite
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5))
    });
    if let Some(password) = password {
        let for_postgres = password.clone();
        options
            .map_sqlx_postgres_opts(move |postgres| postgres.password(&for_postgres))
            .map_sqlx_mysql_opts(move |mysql| mysql.password(&password));
    }
    options
}

/// The database URL with its password replaced by `***`, for messages and
/// logs. A URL that does not parse is not shown at all.
pub fn redacted(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut url) => {
            if url.password().is_some() {
                url.set_password(Some("***")).ok();
            }
            url.to_string()
        }
        Err(_) => "(a database URL that does not parse)".to_owned(),
    }
}

/// The URL without its password, and the password (percent-decoded).
fn without_password(database_url: &str) -> (String, Option<String>) {
    let Ok(mut url) = url::Url::parse(database_url) else {
        return (database_url.to_owned(), None);
    };
    let Some(password) = url.password() else {
        return (database_url.to_owned(), None);
    };
    let password = percent_encoding::percent_decode_str(password)
        .decode_utf8_lossy()
        .into_owned();
    url.set_password(None).ok();
    (url.to_string(), Some(password))
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The store with the public URL: the session layer, the cookie and
    /// sign-out (`authstore::web`).
    pub sessions: WebSessions<AuthStore>,
    /// Where sign-in links point, without a trailing slash: the server's
    /// public URL (`AUTHSTORE_BASE_URL`), e.g. `https://auth.example.com`;
    /// https makes the cookie `__Secure-next-auth.session-token`, `Secure`.
    pub base_url: String,
    /// The development outbox; `None` keeps `/dev/outbox` switched off.
    pub outbox: Option<Outbox>,
    /// Links per client and for everyone ([`limits`]).
    pub limits: limits::Limits,
}

impl AppState {
    /// The state of the API at `base_url`.
    /// [`authstore::ConfigError::PublicUrl`] if the URL is not one.
    pub fn new(
        store: AuthStore,
        site: impl Into<Site>,
        outbox: Option<Outbox>,
        limits: limits::Limits,
    ) -> Result<Self, authstore::Error> {
        let site = site.into();
        Ok(AppState {
            sessions: site.sessions(store)?,
            base_url: site.base_url,
            outbox,
            limits,
        })
    }

    /// The store every handler calls.
    pub fn store(&self) -> &AuthStore {
        self.sessions.store()
    }
}

/// Sign-in emails "sent" in development: logged, and kept for `/dev/outbox`.
#[derive(Clone, Default)]
pub struct Outbox(Arc<Mutex<Vec<serde_json::Value>>>);

impl Outbox {
    /// Keeps a sent email.
    pub fn push(&self, email: serde_json::Value) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(email);
    }

    /// "Sends" a sign-in link to `to`: logged and kept in `outbox` when
    /// there is one (development only: the link is a credential, so it is
    /// printed only then), else only said to be queued.
    pub fn deliver(
        outbox: Option<&Outbox>,
        to: &str,
        url: &str,
        expires: chrono::DateTime<chrono::Utc>,
    ) {
        match outbox {
            Some(outbox) => {
                tracing::info!(%to, %url, "dev outbox: sign-in email");
                outbox.push(serde_json::json!({ "to": to, "url": url, "expires": expires }));
            }
            None => tracing::info!(%to, "sign-in email queued (enable the dev outbox to see it)"),
        }
    }

    /// Every email sent so far, oldest first.
    pub fn all(&self) -> Vec<serde_json::Value> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// The whole API, behind the session layer (which also refuses cross-site
/// writes) and the rules every profile shares ([`guard::protect`]).
pub fn app(state: AppState) -> Router {
    let sessions = state.sessions.layer();
    let routes = routes::router()
        .merge(pages::router())
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(sessions)
        .with_state(state);
    guard::protect(routes)
}
