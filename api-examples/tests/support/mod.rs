//! What several of the example's HTTP tests share: the example server with
//! its sign-in link settings on an ephemeral port, and reading cookies.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use authstore::{AuthStore, Config};
use authstore_examples::limits::Limits;
use authstore_examples::{AppState, Outbox, Timeouts, app, link_policy};
use authstore_migration::{Migrator, MigratorTrait};
use authstore_tests::TestDb;

/// The example app with the example's link settings, serving on
/// 127.0.0.1 at an ephemeral port, on a migrated `db`.
pub struct Example {
    pub base: String,
    pub outbox: Outbox,
}

impl Example {
    pub async fn start(db: &TestDb, secret: &str) -> Example {
        Migrator::up(&db.conn, None).await.unwrap();
        let config = link_policy(Config::builder(secret)).build().unwrap();
        let outbox = Outbox::default();
        let sent_to = outbox.clone();
        let conn = db.conn.clone();
        let base = serve_example(move |base| {
            let store = AuthStore::new(conn, config);
            app(AppState::new(store, base, Some(sent_to), Limits::default()).unwrap())
        })
        .await;
        Example { base, outbox }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Asks for a sign-in link for `email` over the JSON API.
    pub async fn request_link(&self, client: &reqwest::Client, email: &str) -> reqwest::Response {
        let body = serde_json::json!({ "email": email });
        let request = client.post(self.url("/auth/email")).json(&body);
        request.send().await.unwrap()
    }

    /// The URL of the last sign-in email.
    pub fn last_link(&self) -> String {
        self.outbox.all().last().unwrap()["url"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Serves the router `make` builds for its base URL as the example's
/// `main` does (its timeouts, the client's address for the limits), on
/// 127.0.0.1 at an ephemeral port; the base URL.
pub async fn serve_example(make: impl FnOnce(String) -> axum::Router) -> String {
    serve_example_with(Timeouts::default(), make).await
}

/// [`serve_example`] with other timeouts.
pub async fn serve_example_with(
    timeouts: Timeouts,
    make: impl FnOnce(String) -> axum::Router,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = make(base.clone());
    tokio::spawn(async move {
        authstore_examples::serve(listener, router, timeouts, std::future::pending())
            .await
            .unwrap()
    });
    base
}

/// Whether the response sets cookie `name` to a value (not clears it).
pub fn sets_cookie(response: &reqwest::Response, name: &str) -> bool {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with(&format!("{name}=")) && !v.starts_with(&format!("{name}=;")))
}

/// The value the response sets cookie `name` to, if it sets it.
pub fn set_cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .map(str::to_owned)
}

/// A free port on the loopback interface (the listener is dropped at once).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
