//! The opt-in session cache, on every profile ([`crate::ConfigBuilder::session_cache`],
//! [`crate::lucia_v3::LuciaConfig::session_cache`],
//! [`crate::lucia_v1::LuciaV1Config::session_cache`]): what a store's
//! session lookup found, kept in memory for at most the configured
//! staleness, so most requests skip the database.
//!
//! - **Keys** are SHA-256 of the token as the sessions table stores it (the
//!   token itself, or its hash under `TokenStorage::Hashed`; a Lucia session
//!   id), so the cache never holds a session token: not as a key, and not in
//!   an entry, whose token is emptied (a hit puts the caller's back).
//! - **What is never served:** an entry older than the staleness bound, an
//!   entry whose session has expired or is due for renewal (those go to the
//!   database, which renews once for every process), and anything this
//!   process changed or deleted (sign-out, revoke, user update or deletion
//!   evict at once).
//! - **Other writers** (other processes, the JS app, plain SQL) are seen on
//!   PostgreSQL through the database's own notifications when the store
//!   listens (`listen_for_session_changes`, feature `postgres-listen`):
//!   triggers publish every changed session and user, and the listener
//!   evicts them. When the listening connection drops, the cache is flushed
//!   and bypassed from the moment the listener notices until it listens
//!   again (a change made before it noticed can be served until then; a
//!   silently dead connection is caught by the listener's heartbeat within
//!   about 7 s, see `listen.rs`). Without a
//!   listener, and on MySQL/MariaDB and SQLite, other writers' changes are
//!   seen within the staleness bound.
//! - **A lookup racing an eviction** does not cache what it read: every
//!   eviction moves a generation counter, and a lookup stores its result
//!   only if the counter did not move while it read.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::TimeDelta;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use crate::rules::error::{ConfigError, Error};
use crate::rules::token::Secret;
use authstore_entity::NotifyChannels;
use authstore_entity::Profile;

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

impl SessionCacheConfig {
    /// The bounds as a setter was given them, not yet checked (a negative
    /// staleness becomes zero, which [`SessionCacheConfig::check`] refuses).
    pub(crate) fn requested(max_entries: u64, max_staleness: TimeDelta) -> Self {
        SessionCacheConfig {
            max_entries,
            max_staleness: max_staleness.to_std().unwrap_or_default(),
        }
    }

    /// The bounds a setter was given, checked.
    pub(crate) fn new(max_entries: u64, max_staleness: TimeDelta) -> Result<Self, ConfigError> {
        SessionCacheConfig::requested(max_entries, max_staleness).check()
    }

    /// Both bounds must be positive: [`ConfigError::NotPositive`] on
    /// `session_cache` otherwise.
    pub(crate) fn check(self) -> Result<Self, ConfigError> {
        if self.max_entries == 0 || self.max_staleness.is_zero() {
            return Err(ConfigError::NotPositive("session_cache"));
        }
        Ok(self)
    }
}

/// The cache key of a session: SHA-256 of the token's stored form.
pub(crate) type Key = [u8; 32];

pub(crate) fn key(stored_token: &str) -> Key {
    Sha256::digest(stored_token.as_bytes()).into()
}

/// A change to what session lookups return, made by this process or heard
/// of: the cache evicts it, and read replicas that have not replayed it stop
/// answering for it.
// The listener (feature `postgres-listen`) hears changes by key, or
// unreadable ones.
#[cfg_attr(not(feature = "postgres-listen"), allow(dead_code))]
pub(crate) enum Change<'a, U> {
    /// One session, by its token as the sessions table stores it.
    Session(&'a str),
    /// One session, by its cache key (as the listener hears it).
    SessionKey(Key),
    /// A user, and with it every session of theirs.
    User(U),
    /// Anything (a notification that could not be read).
    Everything,
}

/// The type a Lucia, better-auth or Auth.js store's session lookup
/// returns: a session (`$session`, whose token is its field `$token` and
/// whose `fresh` flag says what this call did: renewed it, or, if
/// `fresh_replaces`, replaced it with a new one) with its user (whose `id`
/// is a `$user_id`, text unless named), kept in the cache as [`Cached`].
macro_rules! valid_session {
    (
        $(#[$attr:meta])*
        $name:ident { session: $session:ty, user: $user:ty },
        token: $token:ident,
        fresh_replaces: $fresh_replaces:literal
    ) => {
        $crate::cache::valid_session!(
            $(#[$attr])*
            $name { session: $session, user: $user },
            token: $token,
            fresh_replaces: $fresh_replaces,
            user_id: String
        );
    };
    // Generic over its id (`Id: Bound = Default`, where the family serves
    // several schemas): then `user_id` is `Id`.
    (
        $(#[$attr:meta])*
        $name:ident $(<$id:ident: $bound:path = $default:ty>)? { session: $session:ty, user: $user:ty },
        token: $token:ident,
        fresh_replaces: $fresh_replaces:literal,
        user_id: $user_id:ty
    ) => {
        $(#[$attr])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name $(<$id = $default>)? {
            /// The session: renewed (`fresh`) if this validation was due
            /// to, as the profile's expiry rule says.
            pub session: $session,
            /// Its user.
            pub user: $user,
        }

        impl $(<$id: $bound>)? $crate::cache::Cached for $name $(<$id>)? {
            type UserId = $user_id;

            fn token_mut(&mut self) -> &mut $crate::Secret {
                &mut self.session.$token
            }

            fn per_call_flag(&mut self) -> &mut bool {
                &mut self.session.fresh
            }

            fn user_id(&self) -> &$user_id {
                &self.user.id
            }

            /// Where a `fresh` session replaced the one looked up
            /// (`fresh_replaces`: lucia-auth v1), it is not kept under the
            /// old token (the next request, with the new cookie, keeps it).
            fn keepable(&self) -> bool {
                !($fresh_replaces && self.session.fresh)
            }
        }
    };
}
pub(crate) use valid_session;

/// What a store's session lookup returns (a session and its user), as the
/// cache keeps it.
pub(crate) trait Cached: Clone + Send + Sync + 'static {
    /// The users' id type, parsed from the users trigger's payload.
    type UserId: FromStr + PartialEq + Eq + std::hash::Hash + Clone + Send + Sync + 'static;

    /// The session's token: emptied in entries, the caller's on a hit.
    fn token_mut(&mut self) -> &mut Secret;

    /// The flag that reports what this one call did (renewed, fresh).
    fn per_call_flag(&mut self) -> &mut bool;

    fn user_id(&self) -> &Self::UserId;

    /// Whether the result may be kept under the looked-up token.
    fn keepable(&self) -> bool {
        true
    }

    /// What to keep of a lookup's result: no token, no per-call flag.
    fn entry(&self) -> Option<Self> {
        if !self.keepable() {
            return None;
        }
        let mut entry = self.clone();
        *entry.token_mut() = Secret::from(String::new());
        *entry.per_call_flag() = false;
        Some(entry)
    }

    /// A kept entry handed out for a request: the caller's token put back.
    fn served(mut self, token: &str) -> Self {
        *self.token_mut() = Secret::from(token);
        self
    }
}

/// A store's cache, shared by its clones.
pub(crate) type Shared<E> = Option<Arc<SessionCache<E>>>;

/// The cache of a store of `profile`, if `config` turns it on.
pub(crate) fn shared<E: Cached>(config: Option<SessionCacheConfig>, profile: Profile) -> Shared<E> {
    config.map(|bounds| Arc::new(SessionCache::new(bounds, profile.notify_channels())))
}

/// A session lookup through the cache, when there is one and it may be
/// used: a hit that `live` accepts is served from memory; anything else is
/// `look_up` in the database, whose result is kept for the next request.
///
/// `stored_token` is the token as the sessions table keeps it (the key's
/// source), `token` the caller's.
pub(crate) async fn through<E: Cached>(
    cache: Option<&SessionCache<E>>,
    stored_token: &str,
    token: &str,
    live: impl FnOnce(&E) -> bool,
    look_up: impl AsyncFnOnce() -> Result<Option<E>, Error>,
) -> Result<Option<E>, Error> {
    let Some(cache) = cache.filter(|cache| cache.usable()) else {
        return look_up().await;
    };
    let key = key(stored_token);
    if let Some(hit) = cache.entries.get(&key) {
        if live(&hit) {
            return Ok(Some(hit.served(token)));
        }
        // Expired, or due for renewal: the database decides, once for every
        // process.
        cache.forget_key(&key);
    }
    let generation = cache.generation();
    let found = look_up().await?;
    if let Some(entry) = found.as_ref().and_then(Cached::entry) {
        cache.store(key, entry, generation);
    }
    Ok(found)
}

pub(crate) struct SessionCache<E> {
    entries: Cache<Key, E>,
    /// Moves on every eviction; see the module docs.
    generation: AtomicU64,
    /// A listener was started: the cache is trusted only while it listens.
    listener_started: AtomicBool,
    listening: AtomicBool,
    /// Where the profile's triggers publish (the listener's channels).
    #[cfg_attr(not(feature = "postgres-listen"), allow(dead_code))]
    channels: NotifyChannels,
}

impl<E: Cached> SessionCache<E> {
    fn new(config: SessionCacheConfig, channels: NotifyChannels) -> Self {
        SessionCache {
            entries: Cache::builder()
                .max_capacity(config.max_entries)
                .time_to_live(config.max_staleness)
                .support_invalidation_closures()
                .build(),
            generation: AtomicU64::new(0),
            listener_started: AtomicBool::new(false),
            listening: AtomicBool::new(false),
            channels,
        }
    }

    /// Whether entries may be served and stored now: always without a
    /// listener, and with one only while it listens.
    fn usable(&self) -> bool {
        !self.listener_started.load(Ordering::Acquire) || self.listening.load(Ordering::Acquire)
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `entry`, unless an eviction happened since `generation` was
    /// read (then what was read may be stale).
    fn store(&self, key: Key, entry: E, generation: u64) {
        if !self.usable() || self.generation() != generation {
            return;
        }
        self.entries.insert(key, entry);
        // An eviction that ran between the check and the insert must win.
        if self.generation() != generation {
            self.entries.invalidate(&key);
        }
    }

    fn moved(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Evicts what `change` touched: after every change to sessions or
    /// users, whatever its outcome, so this process never serves what it
    /// changed.
    pub(crate) fn forget(&self, change: &Change<'_, E::UserId>) {
        match change {
            Change::Session(stored_token) => self.forget_key(&key(stored_token)),
            Change::SessionKey(key) => self.forget_key(key),
            Change::User(user_id) => {
                let user_id = user_id.clone();
                self.forget_where(move |entry| *entry.user_id() == user_id);
            }
            Change::Everything => self.flush(),
        }
    }

    fn forget_key(&self, key: &Key) {
        self.moved();
        self.entries.invalidate(key);
    }

    fn forget_where(&self, matches: impl Fn(&E) -> bool + Send + Sync + 'static) {
        self.moved();
        self.entries
            .invalidate_entries_if(move |_, entry| matches(entry))
            .expect("the cache is built with invalidation closures");
    }

    fn flush(&self) {
        self.moved();
        self.entries.invalidate_all();
    }

    /// What a notification from the database's triggers says changed
    /// (`None`: not one of this profile's channels). A payload that cannot
    /// be read is taken as everything: nothing it might name is served.
    #[cfg(feature = "postgres-listen")]
    pub(crate) fn heard(&self, channel: &str, payload: &str) -> Option<Change<'static, E::UserId>> {
        if channel == self.channels.sessions {
            Some(match hex::decode(payload).map(Key::try_from) {
                Ok(Ok(key)) => Change::SessionKey(key),
                _ => Change::Everything,
            })
        } else if channel == self.channels.users {
            Some(match payload.parse::<E::UserId>() {
                Ok(user_id) => Change::User(user_id),
                Err(_) => Change::Everything,
            })
        } else {
            None
        }
    }

    /// Whether the listener has marked itself listening (and no failed
    /// heartbeat has marked it deaf since).
    #[cfg(feature = "postgres-listen")]
    pub(crate) fn listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// The channels to listen on.
    #[cfg(feature = "postgres-listen")]
    pub(crate) fn channels(&self) -> [&'static str; 2] {
        [self.channels.sessions, self.channels.users]
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
    pub(crate) fn entries(&self) -> Vec<(Key, E)> {
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
            let entries = store.core.cache().unwrap().entries();
            assert_eq!(entries.len(), 1);
            let (key, entry) = &entries[0];
            assert_eq!(*key, super::key(&storage.stored_form(token)));
            assert_ne!(&key[..], token.as_bytes());
            assert_eq!(entry.session.session_token.expose(), "");
            let hit = store.sessions().get_session_and_user(token).await.unwrap();
            assert_eq!(hit.unwrap().session.session_token.expose(), token);
        }
    }

    /// The same on the Lucia profiles, whose session id is the token.
    #[tokio::test]
    async fn lucia_entries_hold_no_session_id() {
        use authstore_migration::{Profile, ProfileMigrations};

        use crate::lucia_v1::{LuciaV1Config, LuciaV1Store};
        use crate::lucia_v3::{LuciaConfig, LuciaStore};

        /// Validates a new session twice on `lucia`: the entry holds no id,
        /// the hit hands the caller's back.
        macro_rules! check {
            ($lucia:expr, $new_user:expr) => {{
                let lucia = $lucia;
                let user = lucia.create_user($new_user).await.unwrap();
                let session = lucia.create_session(&user.id).await.unwrap();
                let id = session.id.expose();
                assert!(lucia.validate_session(id).await.unwrap().is_some());
                let entries = lucia.core.cache().unwrap().entries();
                assert_eq!(entries.len(), 1);
                assert_eq!(entries[0].0, super::key(id));
                assert_eq!(entries[0].1.session.id.expose(), "");
                let hit = lucia.validate_session(id).await.unwrap().unwrap();
                assert_eq!(hit.session.id.expose(), id);
            }};
        }
        let (entries, staleness) = (100, TimeDelta::seconds(30));
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        Profile::LuciaV3.up(&db).await.unwrap();
        let config = LuciaConfig::default().session_cache(entries, staleness);
        check!(LuciaStore::new(db, config.unwrap()), None);
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        Profile::LuciaV1.up(&db).await.unwrap();
        let config = LuciaV1Config::default().session_cache(entries, staleness);
        check!(LuciaV1Store::new(db, config.unwrap()), Default::default());
    }
}
