//! The session cache's ear on PostgreSQL: a dedicated connection LISTENs on
//! the channels the migration's triggers publish to, and evicts what they
//! name. Whenever that connection is not listening (before it first is,
//! after it drops, while it reconnects) the cache is flushed and bypassed,
//! so a change it could not hear about is never served.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::task::JoinHandle;

use crate::cache::{Cached, SessionCache, Shared};
use crate::rules::error::{ConfigError, Error};

const FIRST_RETRY: Duration = Duration::from_millis(50);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// Starts listening for a store on `db` with `cache`: what every store's
/// `listen_for_session_changes` does. From now on the cache is used only
/// while the listener listens.
///
/// [`ConfigError::NoSessionCache`] without a cache;
/// [`ConfigError::NotPostgres`] on another backend.
pub(crate) fn start<E: Cached>(
    db: &DatabaseConnection,
    cache: &Shared<E>,
) -> Result<JoinHandle<()>, Error> {
    let Some(cache) = cache else {
        return Err(ConfigError::NoSessionCache.into());
    };
    if db.get_database_backend() != DbBackend::Postgres {
        return Err(ConfigError::NotPostgres.into());
    }
    let pool = db.get_postgres_connection_pool().clone();
    cache.set_listening(false);
    Ok(tokio::spawn(run(Arc::downgrade(cache), pool)))
}

/// Listens until every store sharing `cache` is gone, reconnecting with
/// backoff.
async fn run<E: Cached>(cache: Weak<SessionCache<E>>, pool: PgPool) {
    let mut retry = FIRST_RETRY;
    loop {
        let outcome = listen(&cache, &pool).await;
        // Whatever happened, nothing is heard from now until the next
        // LISTEN: flush and bypass at once, before any wait.
        let Some(live) = cache.upgrade() else {
            return;
        };
        live.set_listening(false);
        drop(live);
        match outcome {
            Ok(()) => retry = FIRST_RETRY,
            Err(why) => {
                tracing::warn!(error = %why, ?retry, "session cache: not listening; bypassing the cache");
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(LAST_RETRY);
            }
        }
    }
}

/// One listening connection, until it drops (`Ok`) or fails (`Err`).
async fn listen<E: Cached>(
    cache: &Weak<SessionCache<E>>,
    pool: &PgPool,
) -> Result<(), sea_orm::sqlx::Error> {
    let Some(channels) = cache.upgrade().map(|live| live.channels()) else {
        return Ok(());
    };
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all(channels).await?;
    match cache.upgrade() {
        Some(live) => live.set_listening(true),
        None => return Ok(()),
    }
    tracing::debug!("session cache: listening for changes");
    // `try_recv` answers `None` when the connection was lost (it would
    // reconnect on the next call, but what was sent meanwhile is lost): start
    // over from a flushed cache instead.
    while let Some(notification) = listener.try_recv().await? {
        let Some(live) = cache.upgrade() else {
            return Ok(());
        };
        live.notified(notification.channel(), notification.payload());
    }
    Ok(())
}
