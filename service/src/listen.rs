//! The session cache's ear on PostgreSQL: a dedicated connection LISTENs on
//! the channels the migration's triggers publish to, and evicts what they
//! name. Whenever that connection is not listening (before it first is,
//! after it drops, while it reconnects) the cache is flushed and bypassed,
//! so a change it could not hear about is never served.
//!
//! A connection can also die silently (a network partition without a reset):
//! nothing arrives, and nothing says so until TCP gives up, minutes later.
//! So a heartbeat checks that the connection still hears: every
//! [`HEARTBEAT_EVERY`] the store publishes a numbered heartbeat of its own
//! through its pool, and if the listener has not heard it within
//! [`HEARTBEAT_TIMEOUT`] the cache is flushed and bypassed until a heartbeat
//! comes through again. (Notifications arrive in commit order, so once a
//! heartbeat is heard, every change committed before it was sent has been
//! heard too.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::task::JoinHandle;

use crate::cache::{Cached, SessionCache, Shared};
use crate::rules::error::{ConfigError, Error};

const FIRST_RETRY: Duration = Duration::from_millis(50);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// How often the listening connection is checked, and how long a heartbeat
/// may take: a silently dead connection is noticed within their sum.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(2);
/// Every store's heartbeats share this channel; each knows its own by a
/// random tag.
const HEARTBEAT_CHANNEL: &str = "authstore_heartbeat";

/// One store's heartbeats: its tag, and the number of the last one heard.
struct Heartbeat {
    tag: String,
    heard: AtomicU64,
}

impl Heartbeat {
    fn payload(&self, number: u64) -> String {
        format!("{}:{number}", self.tag)
    }

    /// Records a heartbeat payload if it is this store's; returns whether.
    fn hear(&self, payload: &str) -> bool {
        let Some((tag, number)) = payload.split_once(':') else {
            return false;
        };
        match number.parse::<u64>() {
            Ok(number) if tag == self.tag => {
                self.heard.fetch_max(number, Ordering::AcqRel);
                true
            }
            _ => false,
        }
    }
}

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
    let heartbeat = Arc::new(Heartbeat {
        tag: crate::rules::token::alphanumeric(16),
        heard: AtomicU64::new(0),
    });
    let cache = Arc::downgrade(cache);
    Ok(tokio::spawn(async move {
        tokio::join!(
            run(cache.clone(), pool.clone(), heartbeat.clone()),
            check(cache, pool, heartbeat)
        );
    }))
}

/// Sends a heartbeat every [`HEARTBEAT_EVERY`] while the listener listens,
/// and flushes and bypasses the cache when it is not heard in time (or
/// cannot be sent), until every store sharing `cache` is gone.
async fn check<E: Cached>(cache: Weak<SessionCache<E>>, pool: PgPool, heartbeat: Arc<Heartbeat>) {
    let mut number = 0;
    loop {
        tokio::time::sleep(HEARTBEAT_EVERY).await;
        match cache.upgrade() {
            Some(live) if live.listening() => {}
            Some(_) => continue, // already bypassed; the listener resumes it
            None => return,
        }
        number += 1;
        let payload = heartbeat.payload(number);
        let sent = sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
            .bind(HEARTBEAT_CHANNEL)
            .bind(&payload)
            .execute(&pool);
        let heard = async {
            sent.await?;
            while heartbeat.heard.load(Ordering::Acquire) < number {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok::<(), sea_orm::sqlx::Error>(())
        };
        let outcome = tokio::time::timeout(HEARTBEAT_TIMEOUT, heard).await;
        let Some(live) = cache.upgrade() else {
            return;
        };
        if !matches!(outcome, Ok(Ok(()))) && live.listening() {
            tracing::warn!(
                timeout = ?HEARTBEAT_TIMEOUT,
                "session cache: a heartbeat was not heard; bypassing the cache until one is"
            );
            live.set_listening(false);
        }
    }
}

/// Listens until every store sharing `cache` is gone, reconnecting with
/// backoff.
async fn run<E: Cached>(cache: Weak<SessionCache<E>>, pool: PgPool, heartbeat: Arc<Heartbeat>) {
    let mut retry = FIRST_RETRY;
    loop {
        let outcome = listen(&cache, &pool, &heartbeat).await;
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
    heartbeat: &Heartbeat,
) -> Result<(), sea_orm::sqlx::Error> {
    let Some(channels) = cache.upgrade().map(|live| live.channels()) else {
        return Ok(());
    };
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all(channels).await?;
    listener.listen(HEARTBEAT_CHANNEL).await?;
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
        if notification.channel() != HEARTBEAT_CHANNEL {
            live.notified(notification.channel(), notification.payload());
        } else if heartbeat.hear(notification.payload()) && !live.listening() {
            // Bypassed by `check` for a late heartbeat; this connection
            // hears again.
            tracing::info!("session cache: a heartbeat came through; using the cache again");
            live.set_listening(true);
        }
    }
    Ok(())
}
