//! [`AuthStore`], the next-auth profiles' store, and [`Scope`], the same
//! store on one connection or transaction: where the four tables are handed
//! out.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use super::Ctx;
use super::accounts::Accounts;
use super::config::Config;
#[cfg(doc)]
use super::config::ConfigBuilder;
use super::model::SessionAndUser;
use super::sessions::Sessions;
use super::users::Users;
use super::verification::Verification;
use crate::core::Core;
#[cfg(all(doc, feature = "postgres-replicas"))]
use crate::replicas::ReplicaConfig;
#[cfg(doc)]
use crate::rules::error::ConfigError;

/// The entry point: a connection, a [`Config`] and a clock.
///
/// Cloning is cheap (the connection is a pool handle). See the
/// [crate docs](crate) for a complete example.
#[derive(Clone)]
pub struct AuthStore {
    pub(crate) core: Core<DatabaseConnection, SessionAndUser>,
    config: Arc<Config>,
}

impl AuthStore {
    /// A store on `db` with the system clock.
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        AuthStore {
            core: Core::new(db, config.session_cache(), config.profile()),
            config: Arc::new(config),
        }
    }

    /// Replaces the clock, for tests of expiry and renewal.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// use chrono::{TimeZone, Utc};
    /// let frozen = store.with_clock(|| Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap());
    /// # let user = frozen.users().create(authstore::NewUser::default()).await?;
    /// let session = frozen.sessions().create(user.id).await?;
    /// assert_eq!(session.expires, Utc.with_ymd_and_hms(2030, 1, 31, 0, 0, 0).unwrap());
    /// # Ok(()) });
    /// ```
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.core.set_clock(clock);
        self
    }

    /// The connection the store was built with.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.core.db
    }

    /// The store's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Scopes the store to another connection, typically your own
    /// transaction, so authstore's writes commit or roll back with yours.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// use sea_orm::TransactionTrait;
    /// let txn = store.connection().begin().await?;
    /// let user = store.on(&txn).users().create(authstore::NewUser::default()).await?;
    /// txn.rollback().await?;
    /// assert!(store.users().get(user.id).await?.is_none());
    /// # Ok(()) });
    /// ```
    ///
    /// Session lookups in such a scope read the database, never the session
    /// cache (what a transaction sees is its own); its changes still evict.
    pub fn on<'a, C: ConnectionTrait + TransactionTrait>(&'a self, db: &'a C) -> Scope<'a, C> {
        self.scope(db, false)
    }

    fn scope<'a, C>(&'a self, db: &'a C, reads_cache: bool) -> Scope<'a, C> {
        Scope {
            ctx: Ctx {
                core: self.core.here_on(db, reads_cache),
                config: &self.config,
            },
        }
    }

    /// The store through PgBouncer in transaction pooling mode (before
    /// 1.21): every statement in a transaction of its own. Unlike
    /// [`AuthStore::on`], lookups here use the session cache and replicas,
    /// as on the store's own connection. See [`TransactionPooled`](crate::pooler::TransactionPooled).
    pub fn through_pooler<'a>(
        &'a self,
        pooled: &'a crate::pooler::TransactionPooled,
    ) -> Scope<'a, crate::pooler::TransactionPooled> {
        self.scope(pooled, true)
    }

    /// The store itself: on its connection, with the session cache.
    pub(crate) fn own(&self) -> Scope<'_, DatabaseConnection> {
        self.scope(&self.core.db, true)
    }

    /// The `users` table on the store's connection.
    pub fn users(&self) -> Users<'_, DatabaseConnection> {
        self.own().users()
    }

    /// The `accounts` table on the store's connection.
    pub fn accounts(&self) -> Accounts<'_, DatabaseConnection> {
        self.own().accounts()
    }

    /// The `sessions` table on the store's connection.
    pub fn sessions(&self) -> Sessions<'_, DatabaseConnection> {
        self.own().sessions()
    }

    /// The `verification_requests` table on the store's connection.
    pub fn verification(&self) -> Verification<'_, DatabaseConnection> {
        self.own().verification()
    }
}

#[cfg(feature = "postgres-replicas")]
impl AuthStore {
    /// Serves session lookups from PostgreSQL streaming replicas of the
    /// store's connection where that cannot show an outdated answer; every
    /// write still goes to the primary. Feature `postgres-replicas`; needs a
    /// tokio runtime, which runs the poller.
    ///
    /// - **Read-your-writes:** a lookup never reads a replica that has not
    ///   replayed a change this process made to that session or its user
    ///   (or, with the listener on, heard of).
    /// - **Bounded staleness:** a replica more than
    ///   [`ReplicaConfig::max_lag`] behind the primary, or unreachable, is
    ///   skipped until it catches up, so another writer's sign-out is seen
    ///   within the bound.
    /// - A token a replica does not know is looked up on the primary
    ///   before the answer is "no session".
    ///
    /// No query per lookup reaches the primary to decide this: the poller
    /// reads the primary's WAL position and each replica's replay position
    /// every [`ReplicaConfig::poll_every`]. See `docs/scale-out.md`.
    ///
    /// [`ConfigError::ReplicasNotPostgres`] unless the store and every
    /// replica are on PostgreSQL; [`ConfigError::NoRuntime`] outside a
    /// tokio runtime; [`ConfigError::PollNotWithinLag`] or
    /// [`ConfigError::NotPositive`] on `config`;
    /// [`ConfigError::ReplicasAlreadySet`] on a second call.
    pub fn with_replicas(
        self,
        replicas: Vec<DatabaseConnection>,
        config: crate::replicas::ReplicaConfig,
    ) -> Result<Self, crate::rules::error::Error> {
        self.core.set_replicas(replicas, config)?;
        Ok(self)
    }

    /// Where session lookups were answered since the replicas were set:
    /// `None` without replicas.
    pub fn replica_stats(&self) -> Option<crate::replicas::ReplicaStats> {
        self.core.replica_stats()
    }
}

#[cfg(feature = "postgres-listen")]
impl AuthStore {
    /// [`listen_for_session_changes`](Self::listen_for_session_changes) on
    /// a connection of its own, `direct`: for a store whose connection goes
    /// through a transaction pooler such as PgBouncer, where LISTEN cannot
    /// work. Returns once the listener has heard its first heartbeat (sent
    /// through the store's connection); [`ConfigError::ListenerDoesNotHear`]
    /// if it does not within 2 s, as on a pooled `direct` connection, so a
    /// listener never listens to nothing.
    ///
    /// [`ConfigError::NoSessionCache`] without a cache;
    /// [`ConfigError::NotPostgres`] on another backend.
    pub async fn listen_for_session_changes_on(
        &self,
        direct: &DatabaseConnection,
    ) -> Result<tokio::task::JoinHandle<()>, crate::rules::error::Error> {
        self.core.listen_on(direct).await
    }

    /// Starts hearing about every change to a session or user from
    /// PostgreSQL, so the session cache ([`ConfigBuilder::session_cache`])
    /// drops what any writer changed (another process, next-auth, plain SQL)
    /// within milliseconds instead of its staleness bound. Needs the
    /// migrations' triggers (every next-auth profile has them on
    /// PostgreSQL), a tokio runtime, and a real PostgreSQL connection (a
    /// `MockDatabase` panics here). Feature `postgres-listen`.
    ///
    /// From this call on, the cache is used only while the listening
    /// connection is up: when the listener notices it dropped, the cache is
    /// flushed and bypassed until it listens again. A heartbeat (one
    /// `pg_notify` through the store's pool every 5 s) catches a connection
    /// that dies without a word: when the listener does not hear it within
    /// 2 s, the cache is bypassed until it does. The task ends once every
    /// clone of the store is dropped, or when the returned handle is aborted.
    ///
    /// [`ConfigError::NoSessionCache`] without a cache;
    /// [`ConfigError::NotPostgres`] on another backend.
    pub fn listen_for_session_changes(
        &self,
    ) -> Result<tokio::task::JoinHandle<()>, crate::rules::error::Error> {
        self.core.listen()
    }
}

impl std::fmt::Debug for AuthStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.core.debug(f, "AuthStore", &self.config)
    }
}

/// The store scoped to one connection or transaction; see [`AuthStore::on`].
pub struct Scope<'a, C> {
    pub(crate) ctx: Ctx<'a, C>,
}

impl<'a, C: ConnectionTrait + TransactionTrait> Scope<'a, C> {
    /// The `users` table on this connection.
    pub fn users(&self) -> Users<'a, C> {
        Users { ctx: self.ctx }
    }

    /// The `accounts` table on this connection.
    pub fn accounts(&self) -> Accounts<'a, C> {
        Accounts { ctx: self.ctx }
    }

    /// The `sessions` table on this connection.
    pub fn sessions(&self) -> Sessions<'a, C> {
        Sessions { ctx: self.ctx }
    }

    /// The `verification_requests` table on this connection.
    pub fn verification(&self) -> Verification<'a, C> {
        Verification { ctx: self.ctx }
    }
}
