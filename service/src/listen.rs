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
use crate::topology::Topology;

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

/// Starts listening on `listener_db` for a store on `store_db` (which sends
/// the heartbeats) with `cache`: what every store's
/// `listen_for_session_changes` does. From now on the cache is used only
/// while the listener listens.
///
/// [`ConfigError::NoSessionCache`] without a cache;
/// [`ConfigError::NotPostgres`] on another backend.
pub(crate) fn start<E: Cached>(
    listener_db: &DatabaseConnection,
    store_db: &DatabaseConnection,
    cache: &Shared<E>,
    topology: &Arc<Topology<E>>,
) -> Result<JoinHandle<()>, Error> {
    let Some(cache) = cache else {
        return Err(ConfigError::NoSessionCache.into());
    };
    if listener_db.get_database_backend() != DbBackend::Postgres
        || store_db.get_database_backend() != DbBackend::Postgres
    {
        return Err(ConfigError::NotPostgres.into());
    }
    let listener_pool = listener_db.get_postgres_connection_pool().clone();
    let pool = store_db.get_postgres_connection_pool().clone();
    let topology = topology.clone();
    cache.set_listening(false);
    let heartbeat = Arc::new(Heartbeat {
        tag: crate::rules::token::alphanumeric(16),
        heard: AtomicU64::new(0),
    });
    let cache = Arc::downgrade(cache);
    Ok(tokio::spawn(async move {
        tokio::join!(
            run(
                cache.clone(),
                listener_pool,
                pool.clone(),
                heartbeat.clone(),
                topology
            ),
            check(cache, pool, heartbeat)
        );
    }))
}

/// Waits until a listener just started hears its first heartbeat:
/// [`ConfigError::ListenerDoesNotHear`] if it does not within
/// [`HEARTBEAT_TIMEOUT`] (the task is then stopped).
pub(crate) async fn proven<E: Cached>(
    cache: &Shared<E>,
    task: JoinHandle<()>,
) -> Result<JoinHandle<()>, Error> {
    let Some(cache) = cache else {
        return Err(ConfigError::NoSessionCache.into());
    };
    let heard = async {
        while !cache.listening() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    match tokio::time::timeout(HEARTBEAT_TIMEOUT, heard).await {
        Ok(()) => Ok(task),
        Err(_) => {
            task.abort();
            Err(ConfigError::ListenerDoesNotHear(HEARTBEAT_TIMEOUT).into())
        }
    }
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
        let sent = send(&pool, &payload);
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

/// Listens on `listener_pool` until every store sharing `cache` is gone,
/// reconnecting with backoff.
async fn run<E: Cached>(
    cache: Weak<SessionCache<E>>,
    listener_pool: PgPool,
    pool: PgPool,
    heartbeat: Arc<Heartbeat>,
    topology: Arc<Topology<E>>,
) {
    let mut retry = FIRST_RETRY;
    loop {
        let outcome = listen(&cache, &listener_pool, &pool, &heartbeat, &topology).await;
        // Whatever happened, nothing is heard from now until the next
        // LISTEN: flush and bypass at once, before any wait.
        let Some(live) = cache.upgrade() else {
            return;
        };
        live.set_listening(false);
        drop(live);
        match outcome {
            Ok(()) => retry = FIRST_RETRY,
            Err(Deaf::NotHeard) => {
                tracing::error!(
                    ?retry,
                    "session cache: the listening connection does not hear notifications (is it \
                     through a transaction pooler such as PgBouncer? LISTEN needs a direct \
                     connection); bypassing the cache"
                );
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(LAST_RETRY);
            }
            Err(Deaf::Failed(why)) => {
                tracing::warn!(error = %why, ?retry, "session cache: not listening; bypassing the cache");
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(LAST_RETRY);
            }
        }
    }
}

/// Sends a heartbeat through the store's pool, in the simple query
/// protocol: one message, no prepared statement, so it goes through a
/// transaction pooler too. The payload is a tag of `[A-Za-z0-9]` and a
/// number, nothing to escape.
async fn send(pool: &PgPool, payload: &str) -> Result<(), sea_orm::sqlx::Error> {
    debug_assert!(
        payload
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b':')
    );
    let sql = format!("SELECT pg_notify('{HEARTBEAT_CHANNEL}', '{payload}')");
    sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql))
        .execute(pool)
        .await?;
    Ok(())
}

/// Why a listening connection stopped.
enum Deaf {
    /// It failed.
    Failed(sea_orm::sqlx::Error),
    /// It never heard its first heartbeat.
    NotHeard,
}

impl From<sea_orm::sqlx::Error> for Deaf {
    fn from(err: sea_orm::sqlx::Error) -> Self {
        Deaf::Failed(err)
    }
}

/// One listening connection, until it drops (`Ok`) or fails (`Err`). The
/// cache is trusted from its first heartbeat heard, sent at once.
async fn listen<E: Cached>(
    cache: &Weak<SessionCache<E>>,
    listener_pool: &PgPool,
    pool: &PgPool,
    heartbeat: &Heartbeat,
    topology: &Topology<E>,
) -> Result<(), Deaf> {
    let Some(channels) = cache.upgrade().map(|live| live.channels()) else {
        return Ok(());
    };
    let mut listener = PgListener::connect_with(listener_pool).await?;
    listener.listen_all(channels).await?;
    listener.listen(HEARTBEAT_CHANNEL).await?;
    let first = heartbeat.heard.load(Ordering::Acquire);
    send(pool, &heartbeat.payload(first)).await?;
    let deadline = tokio::time::Instant::now() + HEARTBEAT_TIMEOUT;
    // `try_recv` answers `None` when the connection was lost (it would
    // reconnect on the next call, but what was sent meanwhile is lost): start
    // over from a flushed cache instead.
    let mut proven = false;
    loop {
        let next = if proven {
            listener.try_recv().await?
        } else {
            match tokio::time::timeout_at(deadline, listener.try_recv()).await {
                Ok(next) => next?,
                Err(_) => return Err(Deaf::NotHeard),
            }
        };
        let Some(notification) = next else {
            return Ok(());
        };
        let Some(live) = cache.upgrade() else {
            return Ok(());
        };
        if notification.channel() != HEARTBEAT_CHANNEL {
            if let Some(change) = live.heard(notification.channel(), notification.payload()) {
                topology.changed(Some(&live), change);
            }
        } else if heartbeat.hear(notification.payload()) && !live.listening() {
            // The first heartbeat on this connection, or one after `check`
            // bypassed the cache for a late one: this connection hears.
            tracing::debug!("session cache: listening for changes");
            proven = true;
            live.set_listening(true);
        }
    }
}
