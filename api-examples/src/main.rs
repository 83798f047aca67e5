//! `cargo run -p authstore-examples [-- --dev-outbox]`
//!
//! Environment: `PORT` (default 3000), `DATABASE_URL` (default a SQLite file
//! `authstore.sqlite` in the working directory), `AUTHSTORE_SECRET` (default:
//! a random secret per run), `AUTHSTORE_DEV_OUTBOX=1` (same as
//! `--dev-outbox`), `AUTHSTORE_SECURE_COOKIES=1`, `RUST_LOG`.

use std::io::IsTerminal;

use authstore::{AuthStore, Config};
use authstore_examples::{AppState, Outbox, app};
use authstore_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "sqlite://authstore.sqlite?mode=rwc".to_string());
    let dev_outbox =
        std::env::args().any(|arg| arg == "--dev-outbox") || env_flag("AUTHSTORE_DEV_OUTBOX");

    let secret = match std::env::var("AUTHSTORE_SECRET") {
        Ok(secret) => secret,
        Err(_) => {
            tracing::warn!(
                "AUTHSTORE_SECRET is not set: using a random secret, so sign-in links die with this process"
            );
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)?;
            hex::encode(bytes)
        }
    };

    let mut options = ConnectOptions::new(&database_url);
    options.sqlx_logging(false);
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    tracing::info!(database = %redact(&database_url), "database migrated");

    let state = AppState {
        store: AuthStore::new(db, Config::new(secret)?),
        base_url: format!("http://127.0.0.1:{port}"),
        secure_cookies: env_flag("AUTHSTORE_SECURE_COOKIES"),
        outbox: dev_outbox.then(Outbox::default),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!(address = %listener.local_addr()?, dev_outbox, "authstore example listening");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            tokio::signal::ctrl_c().await.ok();
            tracing::info!("shutting down");
        })
        .await?;
    Ok(())
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
}

/// Hides a password in the database URL before it is logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if url[scheme + 3..at].contains(':') => {
            let user_end = scheme + 3 + url[scheme + 3..at].find(':').unwrap_or(0);
            format!("{}:***{}", &url[..user_end], &url[at..])
        }
        _ => url.to_string(),
    }
}
