//! The shell every store shares, whatever its profile: where it runs (its
//! connection, or a caller's transaction), its clock, its session cache, its
//! read replicas and what a revocation waits for. The stores put their own
//! config and rules on top; nothing here knows a table.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseExecutor};

use crate::cache::{self, Cached, Change, SessionCache, SessionCacheConfig};
use crate::durability::{Revocation, SyncStandby, begin_revocation};
use crate::replicas::Replicas;
use crate::rules::error::Error;
use crate::topology::Topology;
use authstore_entity::Profile;
use sea_orm::{DbErr, TransactionSession, TransactionTrait};

/// Where "now" comes from. Tests pass a clock they control, so expiry is
/// tested without sleeping.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A store's connection, clock and session cache (entries of type `E`).
///
/// `Db` is the store's own [`DatabaseConnection`], or, for a store scoped to
/// a caller's transaction with `on`, a borrowed [`DatabaseExecutor`].
pub(crate) struct Core<Db, E: Cached> {
    pub(crate) db: Db,
    clock: Clock,
    /// Shared by the store's clones and scopes.
    cache: cache::Shared<E>,
    /// Shared by the store's clones and scopes.
    topology: Arc<Topology<E>>,
    /// Whether session lookups may be served from the cache or a replica:
    /// not inside a caller's transaction, whose view is its own.
    reads_cache: bool,
}

// By hand: deriving would demand `E: Clone`, and `E` sits behind an `Arc`.
impl<Db: Clone, E: Cached> Clone for Core<Db, E> {
    fn clone(&self) -> Self {
        Core {
            db: self.db.clone(),
            clock: self.clock.clone(),
            cache: self.cache.clone(),
            topology: self.topology.clone(),
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
            topology: Arc::new(Topology {
                replicas: std::sync::OnceLock::new(),
                standby: SyncStandby::default(),
            }),
            reads_cache: true,
        }
    }

    /// Session lookups from now on read `replicas` where they may (see
    /// `replicas.rs`), polled in the background from a tokio runtime.
    #[cfg(feature = "postgres-replicas")]
    pub(crate) fn set_replicas(
        &self,
        replicas: Vec<sea_orm::DatabaseConnection>,
        config: crate::replicas::ReplicaConfig,
    ) -> Result<(), Error> {
        let config = config.check()?;
        if self.topology.replicas.get().is_some() {
            return Err(crate::rules::error::ConfigError::ReplicasAlreadySet.into());
        }
        let replicas = Arc::new(Replicas::new(replicas, config));
        crate::replicas::start(self.db.clone(), &replicas)?;
        self.topology
            .replicas
            .set(replicas)
            .map_err(|_| crate::rules::error::ConfigError::ReplicasAlreadySet)?;
        Ok(())
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
            topology: self.topology.clone(),
            reads_cache: false,
        }
    }

    /// The same store on another connection of its own (not a caller's
    /// transaction: lookups keep the cache and replicas).
    pub(crate) fn with_db<D>(&self, db: D) -> Core<D, E> {
        Core {
            db,
            clock: self.clock.clone(),
            cache: self.cache.clone(),
            topology: self.topology.clone(),
            reads_cache: self.reads_cache,
        }
    }

    /// See the stores' `listen_for_session_changes`.
    #[cfg(feature = "postgres-listen")]
    pub(crate) fn listen(&self) -> Result<tokio::task::JoinHandle<()>, Error> {
        crate::listen::start(&self.db, &self.db, &self.cache, &self.topology)
    }

    /// See the stores' `listen_for_session_changes_on`.
    #[cfg(feature = "postgres-listen")]
    pub(crate) async fn listen_on(
        &self,
        direct: &DatabaseConnection,
    ) -> Result<tokio::task::JoinHandle<()>, Error> {
        let task = crate::listen::start(direct, &self.db, &self.cache, &self.topology)?;
        crate::listen::proven(&self.cache, task).await
    }
}

impl<Db: ConnectionTrait, E: Cached> Core<Db, E> {
    /// Where session lookups were answered, with replicas on.
    #[cfg(feature = "postgres-replicas")]
    pub(crate) fn replica_stats(&self) -> Option<crate::replicas::ReplicaStats> {
        self.topology
            .replicas
            .get()
            .map(|replicas| replicas.stats())
    }

    /// Replaces the clock, for tests of expiry and renewal.
    pub(crate) fn set_clock(&mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) {
        self.clock = Arc::new(clock);
    }

    /// Now, as the clock says it, to the nanosecond; each store rounds it to
    /// what its columns keep.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The session cache, for tests that look inside it.
    #[cfg(test)]
    pub(crate) fn cache(&self) -> Option<&SessionCache<E>> {
        self.cache.as_deref()
    }

    /// The core on its own connection, borrowed: what the lifecycle and the
    /// table methods run on.
    pub(crate) fn here(&self) -> CoreRef<'_, Db, E> {
        self.here_on(&self.db, true)
    }

    /// The core borrowed onto `db`; lookups there may be served from the
    /// cache and replicas only if `reads_cache` and the core itself may.
    pub(crate) fn here_on<'a, C>(&'a self, db: &'a C, reads_cache: bool) -> CoreRef<'a, C, E> {
        CoreRef {
            db,
            clock: &self.clock,
            cache: self.cache.as_deref(),
            topology: &self.topology,
            reads_cache: reads_cache && self.reads_cache,
        }
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

/// A store's core, borrowed onto one connection (the store's own, or a
/// caller's transaction): what every session and user method needs.
pub(crate) struct CoreRef<'a, C, E: Cached> {
    pub(crate) db: &'a C,
    clock: &'a Clock,
    /// The session cache, if on: evicted by every change made here.
    cache: Option<&'a SessionCache<E>>,
    /// The replicas and the standby.
    topology: &'a Topology<E>,
    /// Whether session lookups here may be served from the cache or a
    /// replica (not in a caller's transaction, whose view is its own).
    reads_cache: bool,
}

// Manual impls: deriving would demand `C: Clone` and `E: Clone`, and both
// are only borrowed.
impl<C, E: Cached> Clone for CoreRef<'_, C, E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C, E: Cached> Copy for CoreRef<'_, C, E> {}

impl<'a, C, E: Cached> CoreRef<'a, C, E> {
    /// The same core on another connection, such as a transaction begun
    /// on this one: lookups there read the database, never the cache.
    pub(crate) fn on<'b, D>(&self, db: &'b D) -> CoreRef<'b, D, E>
    where
        'a: 'b,
    {
        CoreRef {
            db,
            clock: self.clock,
            cache: self.cache,
            topology: self.topology,
            reads_cache: false,
        }
    }

    /// Now, as the clock says it, to the nanosecond.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The session cache, for lookups that may be served from it.
    pub(crate) fn cache_for_reads(&self) -> Option<&'a SessionCache<E>> {
        self.cache.filter(|_| self.reads_cache)
    }

    /// The replicas, for lookups that may be served from them.
    pub(crate) fn replicas_for_reads(&self) -> Option<&'a Replicas<E>> {
        self.topology
            .replicas
            .get()
            .map(|replicas| &**replicas)
            .filter(|_| self.reads_cache)
    }

    /// Records a change to sessions or users made here, whatever its
    /// outcome ([`Topology::changed`]).
    pub(crate) fn changed(&self, change: Change<'_, E::UserId>) {
        self.topology.changed(self.cache, change);
    }
}

impl<'a, C: ConnectionTrait + TransactionTrait, E: Cached> CoreRef<'a, C, E> {
    /// Where a revocation's statements run, so that it survives a failover
    /// ([`crate::durability`]); end it with [`Revocation::finish`], then
    /// record the change.
    pub(crate) async fn revocation(&self) -> Result<Revocation<'a, C>, DbErr> {
        Revocation::begin(self.db, &self.topology.standby).await
    }

    /// Begins deleting a user with what hangs off them: one transaction,
    /// which a synchronous standby applies before it commits. End it with
    /// [`CoreRef::finish_user_deletion`].
    pub(crate) async fn begin_user_deletion(&self) -> Result<C::Transaction, DbErr> {
        begin_revocation(self.db, &self.topology.standby).await
    }

    /// Commits the deletion of user `id` if `found` (the user's row was
    /// deleted), rolls it back with [`Error::NotFound`] if not; the change
    /// is recorded either way.
    pub(crate) async fn finish_user_deletion(
        &self,
        txn: C::Transaction,
        id: E::UserId,
        found: bool,
    ) -> Result<(), Error> {
        let finished = match found {
            true => txn.commit().await,
            false => txn.rollback().await,
        };
        self.changed(Change::User(id));
        finished?;
        found.then_some(()).ok_or(Error::NotFound)
    }
}

/// A store of a profile family of its own (Lucia v3, lucia-auth v1,
/// better-auth): its type, with what every such store has the same way:
/// its constructor, the same store on another connection (a caller's
/// transaction, or PgBouncer in transaction mode), its clock, connection
/// and config, its `Debug`, replicas and the listener. Written once here;
/// each family invokes it with its store's docs and name, its config and
/// its profile, and an example for `on` (whose doctest needs a database of
/// the profile). Each such family names the type its lookups return
/// `ValidSession`, its storage adapter `Storage` (a struct of one field,
/// `db`) and its session rows `Rows` (whose `expiry` is the config's); the
/// macro uses those names where it is invoked. A family that serves
/// several schemas of one data model (Auth.js's adapters) names the
/// schema as a type parameter, `Store<A: Bound = Default>`: `Storage` and
/// `Rows` then take it too, in a field `adapter`, and `ValidSession` takes
/// the schema's `Bound::Id`.
macro_rules! profile_store {
    (
        $(#[$attr:meta])*
        $store:ident $(<$a:ident: $bound:path = $default:ty>)? ($config:ident, $profile:expr),
        on_example = $on_example:literal $(,)?
    ) => {
        $(#[$attr])*
        ///
        #[doc = concat!("`Db` is the store's own connection; [`", stringify!($store), "::on`]")]
        /// gives the same store on your own transaction.
        #[derive(Clone)]
        pub struct $store<Db = sea_orm::DatabaseConnection $(, $a: $bound = $default)?> {
            pub(crate) core: $crate::core::Core<Db, ValidSession$(<<$a as $bound>::Id>)?>,
            config: $config,
            $(adapter: std::marker::PhantomData<$a>,)?
        }

        impl $store {
            /// A store on `db` with the system clock.
            pub fn new(db: sea_orm::DatabaseConnection, config: $config) -> Self {
                Self::build(db, config)
            }
        }

        $(
            impl<$a: $bound> $store<sea_orm::DatabaseConnection, $a> {
                /// A store of `adapter`'s tables on `db`, with the system
                /// clock ([`new`](Self::new) is the default adapter's).
                pub fn with_adapter(
                    adapter: $a,
                    db: sea_orm::DatabaseConnection,
                    config: $config,
                ) -> Self {
                    let _ = adapter;
                    Self::build(db, config)
                }
            }
        )?

        impl$(<$a: $bound>)? $store<sea_orm::DatabaseConnection $(, $a)?> {
            fn build(db: sea_orm::DatabaseConnection, config: $config) -> Self {
                $store {
                    core: $crate::core::Core::new(db, config.session_cache_bounds(), $profile),
                    config,
                    $(adapter: std::marker::PhantomData::<$a>,)?
                }
            }

            /// The same store through PgBouncer in transaction pooling mode
            /// (before 1.21): every statement in a transaction of its own,
            /// with the session cache and replicas as on the store's own
            /// connection. See
            /// [`TransactionPooled`](crate::pooler::TransactionPooled).
            pub fn through_pooler(
                &self,
                pooled: $crate::pooler::TransactionPooled,
            ) -> $store<$crate::pooler::TransactionPooled $(, $a)?> {
                $store {
                    core: self.core.with_db(pooled),
                    config: self.config.clone(),
                    $(adapter: std::marker::PhantomData::<$a>,)?
                }
            }

            /// The same store on another connection, typically your own
            /// transaction, so its writes commit or roll back with yours
            /// (its own transactions become savepoints inside yours).
            ///
            #[doc = $on_example]
            ///
            /// Validations there read the database, never the session
            /// cache; the changes made there still evict from it.
            pub fn on<'a>(
                &self,
                db: impl Into<sea_orm::DatabaseExecutor<'a>>,
            ) -> $store<sea_orm::DatabaseExecutor<'a> $(, $a)?> {
                $store {
                    core: self.core.on(db),
                    config: self.config.clone(),
                    $(adapter: std::marker::PhantomData::<$a>,)?
                }
            }
        }

        impl<Db: sea_orm::ConnectionTrait + sea_orm::TransactionTrait $(, $a: $bound)?> $store<Db $(, $a)?> {
            /// Replaces the clock, for tests of expiry and renewal.
            pub fn with_clock(
                mut self,
                clock: impl Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync + 'static,
            ) -> Self {
                self.core.set_clock(clock);
                self
            }

            /// The connection the store runs on.
            pub fn connection(&self) -> &Db {
                &self.core.db
            }

            /// The store's configuration.
            pub fn config(&self) -> &$config {
                &self.config
            }

            /// The family's tables on the store's connection.
            fn storage(&self) -> Storage<'_, Db $(, $a)?> {
                Storage {
                    db: &self.core.db,
                    $(adapter: std::marker::PhantomData::<$a>,)?
                }
            }

            /// The session lifecycle, at this call's now (as the store's
            /// columns keep it).
            fn sessions(&self) -> $crate::lifecycle::Lifecycle<'_, Db, Rows$(<$a>)?> {
                $crate::lifecycle::Lifecycle {
                    core: self.core.here(),
                    rows: Rows {
                        expiry: self.config.expiry,
                        $(adapter: std::marker::PhantomData::<$a>,)?
                    },
                    now: self.now(),
                }
            }
        }

        impl<Db: sea_orm::ConnectionTrait $(, $a: $bound)?> std::fmt::Debug for $store<Db $(, $a)?> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.core.debug(f, stringify!($store), &self.config)
            }
        }

        #[cfg(feature = "postgres-replicas")]
        impl$(<$a: $bound>)? $store<sea_orm::DatabaseConnection $(, $a)?> {
            /// Serves session lookups from PostgreSQL streaming replicas
            /// where that cannot show an outdated answer; see
            /// [`AuthStore::with_replicas`](crate::AuthStore::with_replicas).
            /// Feature `postgres-replicas`.
            pub fn with_replicas(
                self,
                replicas: Vec<sea_orm::DatabaseConnection>,
                config: $crate::replicas::ReplicaConfig,
            ) -> Result<Self, $crate::Error> {
                self.core.set_replicas(replicas, config)?;
                Ok(self)
            }

            /// Where session lookups were answered since the replicas were
            /// set: `None` without replicas.
            pub fn replica_stats(&self) -> Option<$crate::replicas::ReplicaStats> {
                self.core.replica_stats()
            }
        }

        #[cfg(feature = "postgres-listen")]
        impl$(<$a: $bound>)? $store<sea_orm::DatabaseConnection $(, $a)?> {
            /// [`listen_for_session_changes`](Self::listen_for_session_changes)
            /// on a direct connection of its own; see
            /// [`AuthStore::listen_for_session_changes_on`](crate::AuthStore::listen_for_session_changes_on).
            pub async fn listen_for_session_changes_on(
                &self,
                direct: &sea_orm::DatabaseConnection,
            ) -> Result<tokio::task::JoinHandle<()>, $crate::Error> {
                self.core.listen_on(direct).await
            }

            /// Starts hearing about every change to a session or user from
            /// PostgreSQL, so the session cache
            #[doc = concat!("([`", stringify!($config), "::session_cache`])")]
            /// drops what any writer changed (another process, the JS app,
            /// plain SQL) within milliseconds instead of its staleness
            /// bound. Needs this profile's `session_notify` migration, a
            /// tokio runtime and a real PostgreSQL connection; see
            /// [`AuthStore::listen_for_session_changes`](crate::AuthStore::listen_for_session_changes)
            /// for what happens when the connection drops. Feature
            /// `postgres-listen`.
            ///
            /// [`ConfigError::NoSessionCache`](crate::ConfigError::NoSessionCache)
            /// without a cache;
            /// [`ConfigError::NotPostgres`](crate::ConfigError::NotPostgres)
            /// on another backend.
            pub fn listen_for_session_changes(
                &self,
            ) -> Result<tokio::task::JoinHandle<()>, $crate::Error> {
                self.core.listen()
            }
        }
    };
}
pub(crate) use profile_store;

/// A config's session cache setting, the same on every profile family's
/// config (a field `session_cache: Option<SessionCacheConfig>`); `$store`
/// names the store whose `$lookup` (`validate_session` unless named) it
/// caches.
macro_rules! session_cache_setting {
    ($store:ident) => {
        $crate::core::session_cache_setting!($store, validate_session);
    };
    ($store:ident, $lookup:ident) => {
        #[doc = concat!("Keeps what [`", stringify!($store), "::", stringify!($lookup), "`] finds")]
        /// in memory: at most `max_entries` sessions, each served for at
        /// most `max_staleness` after it was read, before the database is
        /// asked again. Off by default; both bounds must be positive
        /// ([`ConfigError::NotPositive`](crate::ConfigError::NotPositive)
        /// otherwise). A session due for renewal always goes to the
        /// database. A sign-out through the store (any clone) is seen at
        /// once; one by another writer (the JS app, plain SQL) within
        /// `max_staleness`, or within milliseconds with
        #[doc = concat!("[`", stringify!($store), "::listen_for_session_changes`]")]
        /// on PostgreSQL. The guarantees are those of the session cache
        /// guide (docs/session-cache.md).
        pub fn session_cache(
            mut self,
            max_entries: u64,
            max_staleness: chrono::TimeDelta,
        ) -> Result<Self, $crate::Error> {
            self.session_cache = Some($crate::cache::SessionCacheConfig::new(
                max_entries,
                max_staleness,
            )?);
            Ok(self)
        }

        /// The session cache's bounds, if it is on.
        pub fn session_cache_bounds(&self) -> Option<$crate::cache::SessionCacheConfig> {
            self.session_cache
        }
    };
}
pub(crate) use session_cache_setting;
