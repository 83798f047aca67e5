//! The shell every store shares, whatever its profile: where it runs (its
//! connection, or a caller's transaction), its clock and its session cache.
//! The stores put their own config and rules on top; nothing here knows a
//! table.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseExecutor};

use chrono::SubsecRound;

use crate::cache::{self, Cached, SessionCache, SessionCacheConfig};
use crate::config::Config;
use crate::model::SessionAndUser;
use crate::next_auth;
use authstore_entity::Profile;

/// Where "now" comes from. Tests pass a clock they control, so expiry is
/// tested without sleeping.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A store's connection, clock and session cache (entries of type `E`).
///
/// `Db` is the store's own [`DatabaseConnection`], or, for a store scoped to
/// a caller's transaction with `on`, a borrowed [`DatabaseExecutor`].
pub(crate) struct Core<Db, E> {
    pub(crate) db: Db,
    clock: Clock,
    /// Shared by the store's clones and scopes.
    cache: cache::Shared<E>,
    /// Whether session lookups may be served from the cache: not inside a
    /// caller's transaction, whose view is its own.
    reads_cache: bool,
}

// By hand: deriving would demand `E: Clone`, and `E` sits behind an `Arc`.
impl<Db: Clone, E> Clone for Core<Db, E> {
    fn clone(&self) -> Self {
        Core {
            db: self.db.clone(),
            clock: self.clock.clone(),
            cache: self.cache.clone(),
            reads_cache: self.reads_cache,
        }
    }
}

impl<E: Cached> Core<DatabaseConnection, E> {
    /// A store's core on `db`, with the system clock and, if `cache` says
    /// so, a session cache hearing `profile`'s channels.
    pub(crate) fn new(
        db: DatabaseConnection,
        cache: Option<SessionCacheConfig>,
        profile: Profile,
    ) -> Self {
        Core {
            db,
            clock: Arc::new(Utc::now),
            cache: cache::shared(cache, profile),
            reads_cache: true,
        }
    }

    /// The same clock and cache on `db`, typically a caller's transaction:
    /// lookups there read the database, never the cache, and changes made
    /// there still evict.
    pub(crate) fn on<'a>(
        &self,
        db: impl Into<DatabaseExecutor<'a>>,
    ) -> Core<DatabaseExecutor<'a>, E> {
        Core {
            db: db.into(),
            clock: self.clock.clone(),
            cache: self.cache.clone(),
            reads_cache: false,
        }
    }

    /// See the stores' `listen_for_session_changes`.
    #[cfg(feature = "postgres-listen")]
    pub(crate) fn listen(&self) -> Result<tokio::task::JoinHandle<()>, crate::rules::error::Error> {
        crate::listen::start(&self.db, &self.cache)
    }
}

impl<Db: ConnectionTrait, E> Core<Db, E> {
    /// Replaces the clock, for tests of expiry and renewal.
    pub(crate) fn set_clock(&mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) {
        self.clock = Arc::new(clock);
    }

    /// The clock, for contexts that borrow it.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Now, as the clock says it, to the nanosecond; each store rounds it to
    /// what its columns keep.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The session cache, for evictions: present whenever it is on.
    pub(crate) fn cache(&self) -> Option<&SessionCache<E>> {
        self.cache.as_deref()
    }

    /// The session cache, for lookups that may be served from it.
    pub(crate) fn cache_for_reads(&self) -> Option<&SessionCache<E>> {
        self.cache().filter(|_| self.reads_cache)
    }

    /// Whether lookups may be served from the cache here.
    pub(crate) fn reads_cache(&self) -> bool {
        self.reads_cache
    }

    /// A store's `Debug`: its name, backend and config, never a secret.
    pub(crate) fn debug(
        &self,
        f: &mut std::fmt::Formatter<'_>,
        store: &str,
        config: &dyn std::fmt::Debug,
    ) -> std::fmt::Result {
        f.debug_struct(store)
            .field("backend", &self.db.get_database_backend())
            .field("config", config)
            .finish()
    }
}

/// What every table's methods need: where to run, the rules, and the time.
pub(crate) struct Ctx<'a, C> {
    pub(crate) db: &'a C,
    pub(crate) config: &'a Config,
    pub(crate) clock: &'a Clock,
    /// The session cache, if on: evicted by every change made here.
    pub(crate) cache: Option<&'a cache::SessionCache<SessionAndUser>>,
    /// Whether session lookups here may be served from the cache (not in a
    /// caller's transaction).
    pub(crate) reads_cache: bool,
}

// Manual impls: deriving would demand `C: Clone`, and `C` is only borrowed.
impl<C> Clone for Ctx<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C> Copy for Ctx<'_, C> {}

impl<'a, C> Ctx<'a, C> {
    /// The same rules and clock on another connection, such as a
    /// transaction begun on this one.
    pub(crate) fn on<'b, D>(&self, db: &'b D) -> Ctx<'b, D>
    where
        'a: 'b,
    {
        Ctx {
            db,
            config: self.config,
            clock: self.clock,
            cache: self.cache,
            reads_cache: false,
        }
    }

    /// The session cache, for lookups that may be served from it.
    pub(crate) fn cache_for_reads(&self) -> Option<&'a cache::SessionCache<SessionAndUser>> {
        self.cache.filter(|_| self.reads_cache)
    }

    /// Applies `forget` to the session cache ([`cache::forget`]).
    pub(crate) fn forget(&self, forget: impl FnOnce(&cache::SessionCache<SessionAndUser>)) {
        cache::forget(self.cache, forget);
    }

    /// Now, in UTC, to the microsecond: the finest precision PostgreSQL and
    /// MySQL keep, so a time computed here equals the same time read back.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)().trunc_subsecs(6)
    }

    /// The configured profile's tables on this connection.
    pub(crate) fn storage(&self) -> next_auth::Storage<'a, C> {
        next_auth::Storage {
            db: self.db,
            schema: next_auth::Schema::of(self.config.profile())
                .expect("Config::build admits next-auth profiles only"),
            zone: self.config.wall_clock_zone(),
        }
    }
}
