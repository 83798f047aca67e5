//! The opt-in session cache ([`crate::ConfigBuilder::session_cache`]): what
//! `get_session_and_user` found, kept in memory for at most the configured
//! staleness, so most requests skip the database.
//!
//! - **Keys** are SHA-256 of the token as the `sessions` table stores it
//!   (the token itself, or its hash under `TokenStorage::Hashed`), so the
//!   cache never holds a session token: not as a key, and not in an entry,
//!   whose `session_token` is emptied (a hit puts the caller's back).
//! - **What is never served:** an entry older than the staleness bound, an
//!   entry whose session has expired or is due for renewal (those go to the
//!   database, which renews once for every process), and anything this
//!   process changed or deleted (sign-out, revoke, user update or deletion
//!   evict at once).
//! - **Other writers** (other processes, the JS app, plain SQL) are seen on
//!   PostgreSQL through the database's own notifications when the store
//!   listens ([`crate::AuthStore::listen_for_session_changes`], feature
//!   `postgres-listen`): triggers publish every changed session and user,
//!   and the listener evicts them. When the listening connection drops, the
//!   cache is flushed and bypassed from the moment the listener notices
//!   until it listens again (a change made before it noticed can be served
//!   until then; a silently dead connection is bounded only by the
//!   staleness). Without a listener, and on
//!   MySQL/MariaDB and SQLite, other writers' changes are seen within the
//!   staleness bound.
//! - **A lookup racing an eviction** does not cache what it read: every
//!   eviction moves a generation counter, and a lookup stores its result
//!   only if the counter did not move while it read.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use sha2::{Digest, Sha256};

use crate::rules::token::Secret;
use crate::sessions::SessionAndUser;

/// The session cache's bounds.
///
/// ```
/// use authstore::Config;
/// use chrono::TimeDelta;
/// let config = Config::builder("secret").session_cache(100_000, TimeDelta::seconds(30)).build()?;
/// assert_eq!(config.session_cache().map(|c| c.max_entries), Some(100_000));
/// # Ok::<(), authstore::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionCacheConfig {
    /// How many sessions are kept at most (least recently used go first).
    pub max_entries: u64,
    /// How long an entry may be served without asking the database.
    pub max_staleness: Duration,
}

/// The cache key of a session: SHA-256 of the token's stored form.
pub(crate) type Key = [u8; 32];

pub(crate) fn key(stored_token: &str) -> Key {
    Sha256::digest(stored_token.as_bytes()).into()
}

/// The channels the triggers publish on (see the migration crate's
/// `session_notify` migration): a session's key in hex, or a user's id.
#[cfg(feature = "postgres-listen")]
pub(crate) const SESSIONS_CHANNEL: &str = "authstore_sessions";
#[cfg(feature = "postgres-listen")]
pub(crate) const USERS_CHANNEL: &str = "authstore_users";

pub(crate) struct SessionCache {
    entries: Cache<Key, SessionAndUser>,
    /// Moves on every eviction; see the module docs.
    generation: AtomicU64,
    /// A listener was started: the cache is trusted only while it listens.
    listener_started: AtomicBool,
    listening: AtomicBool,
}

impl SessionCache {
    pub(crate) fn new(config: SessionCacheConfig) -> Self {
        SessionCache {
            entries: Cache::builder()
                .max_capacity(config.max_entries)
                .time_to_live(config.max_staleness)
                .support_invalidation_closures()
                .build(),
            generation: AtomicU64::new(0),
            listener_started: AtomicBool::new(false),
            listening: AtomicBool::new(false),
        }
    }

    /// Whether entries may be served and stored now: always without a
    /// listener, and with one only while it listens.
    pub(crate) fn usable(&self) -> bool {
        !self.listener_started.load(Ordering::Acquire) || self.listening.load(Ordering::Acquire)
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The cached lookup for `key`, with the caller's token put back.
    pub(crate) fn get(&self, key: &Key, token: &str) -> Option<SessionAndUser> {
        let mut found = self.entries.get(key)?;
        found.session.session_token = Secret::from(token);
        found.renewed = false;
        Some(found)
    }

    /// Stores a lookup's result, without its token, unless an eviction
    /// happened since `generation` was read (then what was read may be stale).
    pub(crate) fn store(&self, key: Key, found: &SessionAndUser, generation: u64) {
        if !self.usable() || self.generation() != generation {
            return;
        }
        let mut entry = found.clone();
        entry.session.session_token = Secret::from(String::new());
        entry.renewed = false;
        self.entries.insert(key, entry);
        // An eviction that ran between the check and the insert must win.
        if self.generation() != generation {
            self.entries.invalidate(&key);
        }
    }

    fn moved(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn forget_key(&self, key: &Key) {
        self.moved();
        self.entries.invalidate(key);
    }

    pub(crate) fn forget_session(&self, session_id: i32) {
        self.moved();
        self.forget_where(move |entry| entry.session.id == session_id);
    }

    pub(crate) fn forget_user(&self, user_id: i32) {
        self.moved();
        self.forget_where(move |entry| entry.user.id == user_id);
    }

    fn forget_where(&self, matches: impl Fn(&SessionAndUser) -> bool + Send + Sync + 'static) {
        self.entries
            .invalidate_entries_if(move |_, entry| matches(entry))
            .expect("the cache is built with invalidation closures");
    }

    #[cfg(feature = "postgres-listen")]
    pub(crate) fn flush(&self) {
        self.moved();
        self.entries.invalidate_all();
    }

    /// A notification from the database's triggers.
    #[cfg(feature = "postgres-listen")]
    pub(crate) fn notified(&self, channel: &str, payload: &str) {
        match channel {
            SESSIONS_CHANNEL => match hex::decode(payload) {
                Ok(bytes) if bytes.len() == 32 => {
                    let mut key = [0u8; 32];
                    key.copy_from_slice(&bytes);
                    self.forget_key(&key);
                }
                _ => self.flush(),
            },
            USERS_CHANNEL => match payload.parse() {
                Ok(user_id) => self.forget_user(user_id),
                Err(_) => self.flush(),
            },
            _ => {}
        }
    }

    /// The listener's state: on the way down everything is flushed, so
    /// nothing read before the drop outlives it.
    #[cfg(feature = "postgres-listen")]
    pub(crate) fn set_listening(&self, listening: bool) {
        self.listener_started.store(true, Ordering::Release);
        if !listening {
            self.listening.store(false, Ordering::Release);
            self.flush();
        } else {
            self.flush();
            self.listening.store(true, Ordering::Release);
        }
    }

    #[cfg(test)]
    pub(crate) fn entries(&self) -> Vec<(Key, SessionAndUser)> {
        self.entries
            .iter()
            .map(|(key, entry)| (*key, entry))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use sea_orm::ConnectOptions;

    use crate::{AuthStore, Config, NewUser, TokenStorage};

    async fn store(storage: TokenStorage) -> AuthStore {
        use authstore_migration::MigratorTrait as _;
        let mut options = ConnectOptions::new("sqlite::memory:");
        options.max_connections(1).sqlx_logging(false);
        let db = sea_orm::Database::connect(options).await.unwrap();
        authstore_migration::Migrator::up(&db, None).await.unwrap();
        let config = Config::builder("cache-secret")
            .session_token_storage(storage)
            .session_cache(100, TimeDelta::seconds(30))
            .build()
            .unwrap();
        AuthStore::new(db, config)
    }

    /// The cache holds no token: keys are SHA-256 of the stored form, and
    /// entries' `session_token` is empty; a hit hands the caller's back.
    #[tokio::test]
    async fn entries_hold_no_session_token() {
        for storage in [TokenStorage::Plain, TokenStorage::Hashed] {
            let store = store(storage).await;
            let user = store.users().create(NewUser::default()).await.unwrap();
            let session = store.sessions().create(user.id).await.unwrap();
            let token = session.session_token.expose();
            let found = store.sessions().get_session_and_user(token).await.unwrap();
            assert!(found.is_some());
            let entries = store.cache.as_ref().unwrap().entries();
            assert_eq!(entries.len(), 1);
            let (key, entry) = &entries[0];
            assert_eq!(*key, super::key(&storage.stored_form(token)));
            assert_ne!(&key[..], token.as_bytes());
            assert_eq!(entry.session.session_token.expose(), "");
            let hit = store.sessions().get_session_and_user(token).await.unwrap();
            assert_eq!(hit.unwrap().session.session_token.expose(), token);
        }
    }
}
