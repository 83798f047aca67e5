//! The session cache's ear on PostgreSQL: a dedicated connection LISTENs on
//! the channels the migration's triggers publish to, and evicts what they
//! name. Whenever that connection is not listening (before it first is,
//! after it drops, while it reconnects) the cache is flushed and bypassed,
//! so a change it could not hear about is never served.

use std::sync::Weak;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgListener, PgPool};

use crate::cache::{SESSIONS_CHANNEL, SessionCache, USERS_CHANNEL};

const FIRST_RETRY: Duration = Duration::from_millis(50);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// Listens until every store sharing `cache` is gone, reconnecting with
/// backoff.
pub(crate) async fn run(cache: Weak<SessionCache>, pool: PgPool) {
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
async fn listen(cache: &Weak<SessionCache>, pool: &PgPool) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener
        .listen_all([SESSIONS_CHANNEL, USERS_CHANNEL])
        .await?;
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
