//! Profile `lucia-v3`: Lucia v3's `auth_user` and `user_session` tables,
//! shared with a Lucia app, through the calls a Lucia user knows.
//!
//! ```
//! use authstore::lucia_v3::LuciaStore;
//! use authstore_migration::{Profile, ProfileMigrations};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! Profile::LuciaV3.up(&db).await?;
//! let lucia = LuciaStore::new(db, Default::default());
//!
//! let user = lucia.create_user(None).await?; // an id in Lucia's shape
//! let session = lucia.create_session(&user.id).await?; // its id goes in the `auth_session` cookie
//! let valid = lucia.validate_session(session.id.expose()).await?.expect("a live session");
//! assert_eq!(valid.user.id, user.id);
//! assert!(!valid.session.fresh); // fresh: the expiry moved, re-send the cookie
//! lucia.invalidate_session(session.id.expose()).await?;
//! # Ok(()) }
//! ```
//!
//! The rules are Lucia 3.2's: a session lives
//! [`LuciaConfig::session_expires_in`] (30 days); validating it in its second
//! half moves the expiry to now + that and reports it `fresh`
//! ([`crate::HalfLifeExpiry`]); an expired session, or one whose user is
//! gone, is deleted when read. Session ids are 25 bytes from the OS RNG as 40
//! characters of lowercase base32, as Lucia 3.2 makes them; ids Lucia
//! 3.0/3.1 made (40 characters of `[0-9a-z]`) validate too, since ids are
//! only looked up.
//!
//! Attribute columns an app added to either table (nullable, or NOT NULL with
//! a default) are the app's: authstore names its own columns in every
//! statement, so it never reads, overwrites or drops them. Read them with
//! your own SeaORM entity.

mod storage;

use authstore_entity::Profile;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseExecutor, DbBackend, TransactionSession,
    TransactionTrait,
};

use crate::backend::PURGE_BATCH;
use crate::cache::{self, Change, SessionCacheConfig};
use crate::core::Core;
use crate::durability::begin_revocation;
use crate::replicas::read_session;
use crate::rules;
use crate::rules::error::{ConfigError, Conflict, Error, on_write};
use crate::rules::expiry::{Decision, ExpiryPolicy, HalfLifeExpiry};
use crate::rules::text;
use crate::rules::token::{self, Secret};
use storage::Storage;

/// A Lucia user: its id. Attribute columns are the app's to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LuciaUser {
    /// The user's id (`auth_user.id`).
    pub id: String,
}

/// A Lucia session. Its id is the cookie value, a [`Secret`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LuciaSession {
    /// The session id: the `auth_session` cookie's value.
    pub id: Secret,
    /// The user the session belongs to.
    pub user_id: String,
    /// When the session ends, unless a validation in its second half
    /// renews it first.
    pub expires_at: DateTime<Utc>,
    /// The expiry was just set (created, or renewed by this validation):
    /// send the cookie again.
    pub fresh: bool,
}

/// What [`LuciaStore::validate_session`] finds for a live session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidSession {
    /// The session, renewed if this validation was in its second half.
    pub session: LuciaSession,
    /// Its user.
    pub user: LuciaUser,
}

impl cache::Cached for ValidSession {
    type UserId = String;

    fn token_mut(&mut self) -> &mut Secret {
        &mut self.session.id
    }

    fn per_call_flag(&mut self) -> &mut bool {
        &mut self.session.fresh
    }

    fn user_id(&self) -> &String {
        &self.user.id
    }
}

/// How long Lucia sessions live, and whether validations are cached.
///
/// ```
/// use authstore::lucia_v3::LuciaConfig;
/// use chrono::TimeDelta;
/// let config = LuciaConfig::default()
///     .session_expires_in(TimeDelta::days(7))?
///     .session_cache(100_000, TimeDelta::seconds(30))?;
/// assert_eq!(config.session_cache_bounds().map(|c| c.max_entries), Some(100_000));
/// # Ok::<(), authstore::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LuciaConfig {
    expiry: HalfLifeExpiry,
    session_cache: Option<SessionCacheConfig>,
}

impl Default for LuciaConfig {
    /// Lucia's default: 30 days.
    fn default() -> Self {
        LuciaConfig {
            expiry: HalfLifeExpiry {
                expires_in: TimeDelta::days(30),
            },
            session_cache: None,
        }
    }
}

impl LuciaConfig {
    /// Sets Lucia's `sessionExpiresIn`; it must be longer than two seconds
    /// (the half-life rule needs whole seconds on MySQL and SQLite).
    pub fn session_expires_in(mut self, expires_in: TimeDelta) -> Result<Self, Error> {
        if expires_in <= TimeDelta::seconds(2) {
            return Err(ConfigError::NotPositive("session_expires_in").into());
        }
        self.expiry.expires_in = expires_in;
        Ok(self)
    }

    /// The session lifetime.
    pub fn expires_in(&self) -> TimeDelta {
        self.expiry.expires_in
    }

    /// Keeps what [`LuciaStore::validate_session`] finds in memory: at most
    /// `max_entries` sessions, each served for at most `max_staleness`
    /// before the database is asked again. Off by default; both bounds must
    /// be positive. The guarantees are those of the next-auth profiles'
    /// cache (the guide, docs/session-cache.md); on PostgreSQL, other writers'
    /// changes are heard with [`LuciaStore::listen_for_session_changes`].
    pub fn session_cache(
        mut self,
        max_entries: u64,
        max_staleness: TimeDelta,
    ) -> Result<Self, Error> {
        self.session_cache = Some(SessionCacheConfig::new(max_entries, max_staleness)?);
        Ok(self)
    }

    /// The session cache's bounds, if it is on.
    pub fn session_cache_bounds(&self) -> Option<SessionCacheConfig> {
        self.session_cache
    }
}

/// The store of a `lucia-v3` database: a connection, a [`LuciaConfig`] and a
/// clock. Cloning is cheap.
///
/// `Db` is the store's own connection; [`LuciaStore::on`] gives the same
/// store on your own transaction.
#[derive(Clone)]
pub struct LuciaStore<Db = DatabaseConnection> {
    pub(crate) core: Core<Db, ValidSession>,
    config: LuciaConfig,
}

impl<Db: ConnectionTrait> std::fmt::Debug for LuciaStore<Db> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.core.debug(f, "LuciaStore", &self.config)
    }
}

impl LuciaStore {
    /// A store on `db` with the system clock.
    pub fn new(db: DatabaseConnection, config: LuciaConfig) -> Self {
        LuciaStore {
            core: Core::new(db, config.session_cache, Profile::LuciaV3),
            config,
        }
    }

    /// The same store through PgBouncer in transaction pooling mode
    /// (before 1.21): every statement in a transaction of its own, with the
    /// session cache and replicas as on the store's own connection. See
    /// [`TransactionPooled`](crate::pooler::TransactionPooled).
    pub fn through_pooler(
        &self,
        pooled: crate::pooler::TransactionPooled,
    ) -> LuciaStore<crate::pooler::TransactionPooled> {
        LuciaStore {
            core: self.core.with_db(pooled),
            config: self.config,
        }
    }

    /// The same store on another connection, typically your own
    /// transaction, so its writes commit or roll back with yours.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::lucia_v3_example(async |lucia| {
    /// use sea_orm::TransactionTrait;
    /// let txn = lucia.connection().begin().await?;
    /// let user = lucia.on(&txn).create_user(None).await?;
    /// txn.rollback().await?;
    /// assert_eq!(lucia.get_user(&user.id).await?, None);
    /// # Ok(()) });
    /// ```
    ///
    /// Validations there read the database, never the session cache; the
    /// changes made there still evict from it.
    pub fn on<'a>(&self, db: impl Into<DatabaseExecutor<'a>>) -> LuciaStore<DatabaseExecutor<'a>> {
        LuciaStore {
            core: self.core.on(db),
            config: self.config,
        }
    }
}

impl<Db: ConnectionTrait + TransactionTrait> LuciaStore<Db> {
    /// Replaces the clock, for tests of expiry and renewal.
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.core.set_clock(clock);
        self
    }

    /// The connection the store runs on.
    pub fn connection(&self) -> &Db {
        &self.core.db
    }

    /// The store's configuration.
    pub fn config(&self) -> &LuciaConfig {
        &self.config
    }

    fn storage(&self) -> Storage<'_, Db> {
        Storage { db: &self.core.db }
    }

    /// Now, as the backend's `expires_at` keeps it: microseconds on
    /// PostgreSQL, whole seconds on MySQL (`datetime`) and SQLite (Unix
    /// seconds), so a time computed here equals the one read back.
    fn now(&self) -> DateTime<Utc> {
        self.storable(self.core.now())
    }

    fn storable(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        match self.core.db.get_database_backend() {
            DbBackend::Postgres => at.trunc_subsecs(6),
            _ => at.trunc_subsecs(0),
        }
    }

    /// Creates a user with `id`, or with a new id in Lucia's shape (16
    /// characters of `[a-z2-7]`) when `None`. An id that is taken is
    /// [`Error::Conflict`]`(`[`Conflict::UserId`]`)`; one that is empty,
    /// longer than 255 characters or holds control characters is
    /// [`Error::Validation`] on `id`.
    pub async fn create_user(&self, id: Option<&str>) -> Result<LuciaUser, Error> {
        let id = match id {
            Some(id) => {
                text::app_id(id).map_err(|why| rules::invalid("id", why))?;
                id.to_owned()
            }
            None => token::lucia_user_id(),
        };
        self.storage()
            .insert_user(&id)
            .await
            .map_err(on_write(Conflict::UserId))?;
        Ok(LuciaUser { id })
    }

    /// The user with this id, if any.
    pub async fn get_user(&self, id: &str) -> Result<Option<LuciaUser>, Error> {
        if text::app_id(id).is_err() {
            return Ok(None);
        }
        Ok(self
            .storage()
            .user_exists(id)
            .await?
            .then(|| LuciaUser { id: id.to_owned() }))
    }

    /// Deletes the user and their sessions in one transaction.
    /// [`Error::NotFound`] if there is no such user; then nothing changes.
    pub async fn delete_user(&self, id: &str) -> Result<(), Error> {
        if text::app_id(id).is_err() {
            return Err(Error::NotFound);
        }
        let deleted = self.delete_user_and_sessions(id).await;
        self.core.changed(Change::User(id.to_owned()));
        deleted
    }

    async fn delete_user_and_sessions(&self, id: &str) -> Result<(), Error> {
        let txn = begin_revocation(&self.core.db, &self.core.topology().standby).await?;
        let storage = Storage { db: &txn };
        storage.delete_user_sessions(id).await?;
        if !storage.delete_user(id).await? {
            txn.rollback().await?;
            return Err(Error::NotFound);
        }
        txn.commit().await?;
        Ok(())
    }

    /// Starts a session for a user: a new id and `expires_at` = now +
    /// `session_expires_in`; one `INSERT`. [`Error::UnknownUser`] if the
    /// user does not exist.
    pub async fn create_session(&self, user_id: &str) -> Result<LuciaSession, Error> {
        if text::app_id(user_id).is_err() {
            return Err(Error::UnknownUser);
        }
        let expires_at = self.storable(self.config.expiry.starting_at(self.now()));
        crate::backend::check_time(
            self.core.db.get_database_backend(),
            "expires_at",
            Some(expires_at),
        )?;
        let id = token::lucia_session_id();
        self.storage()
            .insert_session(id.expose(), user_id, expires_at)
            .await
            .map_err(on_write(Conflict::Token))?;
        Ok(LuciaSession {
            id,
            user_id: user_id.to_owned(),
            expires_at,
            fresh: true,
        })
    }

    /// The session for a cookie's id and its user, or `None`: Lucia's
    /// `validateSession`. One `SELECT … LEFT JOIN`; a write only to renew
    /// (in the session's second half: `fresh` is then true) or to delete an
    /// expired session or one whose user is gone. With the session cache
    /// on, a live session in its first half is served from memory.
    pub async fn validate_session(&self, id: &str) -> Result<Option<ValidSession>, Error> {
        if !text::plausible_token(id) {
            return Ok(None);
        }
        let now = self.now();
        let expiry = self.config.expiry;
        cache::through(
            self.core.cache_for_reads(),
            id,
            id,
            |hit| expiry.decide(now, &hit.session.expires_at) == Decision::Live,
            async || self.look_up(id, now).await,
        )
        .await
    }

    /// The validation itself, in the database.
    async fn look_up(&self, id: &str, now: DateTime<Utc>) -> Result<Option<ValidSession>, Error> {
        let storage = self.storage();
        let found = read_session(
            self.core.replicas_for_reads(),
            id,
            async |replica| Storage { db: replica }.session_and_user(id).await,
            async || storage.session_and_user(id).await,
            |(session, _)| &session.user_id,
            |(session, user)| {
                user.is_some()
                    && self.config.expiry.decide(now, &session.expires_at) == Decision::Live
            },
        )
        .await?;
        let Some((mut session, user)) = found else {
            return Ok(None);
        };
        let Some(user) = user else {
            storage.delete_session(id).await?;
            return Ok(None);
        };
        match self.config.expiry.decide(now, &session.expires_at) {
            Decision::Live => {}
            Decision::Expired => {
                storage.delete_expired_session(id, now).await?;
                return Ok(None);
            }
            Decision::Renew(expires_at) => {
                let expires_at = self.storable(expires_at);
                crate::backend::check_time(
                    self.core.db.get_database_backend(),
                    "expires_at",
                    Some(expires_at),
                )?;
                let renewed = storage.update_expiration(id, expires_at).await;
                self.core.changed(Change::Session(id));
                renewed?;
                session.expires_at = expires_at;
                session.fresh = true;
            }
        }
        Ok(Some(ValidSession { session, user }))
    }

    /// Ends one session. Returns whether it existed.
    pub async fn invalidate_session(&self, id: &str) -> Result<bool, Error> {
        if !text::plausible_token(id) {
            return Ok(false);
        }
        let db = self.core.revocation().await?;
        let deleted = Storage { db: &db }.delete_session(id).await;
        let deleted = db.finish(deleted).await;
        self.core.changed(Change::Session(id));
        Ok(deleted? > 0)
    }

    /// Ends every session of a user. Returns how many.
    pub async fn invalidate_user_sessions(&self, user_id: &str) -> Result<u64, Error> {
        if text::app_id(user_id).is_err() {
            return Ok(0);
        }
        let db = self.core.revocation().await?;
        let deleted = Storage { db: &db }.delete_user_sessions(user_id).await;
        let deleted = db.finish(deleted).await;
        self.core.changed(Change::User(user_id.to_owned()));
        Ok(deleted?)
    }

    /// A user's live sessions (expired ones are left out, not deleted, as
    /// Lucia's `getUserSessions`).
    pub async fn user_sessions(&self, user_id: &str) -> Result<Vec<LuciaSession>, Error> {
        if text::app_id(user_id).is_err() {
            return Ok(Vec::new());
        }
        Ok(self.storage().live_sessions(user_id, self.now()).await?)
    }

    /// Deletes expired sessions in batches of [`PURGE_BATCH`]. Returns how
    /// many.
    pub async fn delete_expired_sessions(&self) -> Result<u64, Error> {
        Ok(self
            .storage()
            .purge_sessions(self.now(), PURGE_BATCH)
            .await?)
    }
}

#[cfg(feature = "postgres-replicas")]
impl LuciaStore {
    /// Serves session lookups from PostgreSQL streaming replicas where
    /// that cannot show an outdated answer; see
    /// [`AuthStore::with_replicas`](crate::AuthStore::with_replicas).
    /// Feature `postgres-replicas`.
    pub fn with_replicas(
        self,
        replicas: Vec<DatabaseConnection>,
        config: crate::replicas::ReplicaConfig,
    ) -> Result<Self, Error> {
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
impl LuciaStore {
    /// [`listen_for_session_changes`](Self::listen_for_session_changes) on
    /// a direct connection of its own; see
    /// [`AuthStore::listen_for_session_changes_on`](crate::AuthStore::listen_for_session_changes_on).
    pub async fn listen_for_session_changes_on(
        &self,
        direct: &DatabaseConnection,
    ) -> Result<tokio::task::JoinHandle<()>, Error> {
        self.core.listen_on(direct).await
    }

    /// Starts hearing about every change to a session or user from
    /// PostgreSQL, so the session cache ([`LuciaConfig::session_cache`])
    /// drops what any writer changed (another process, the Lucia app, plain
    /// SQL) within milliseconds instead of its staleness bound. Needs this
    /// profile's `session_notify` migration, a tokio runtime and a real
    /// PostgreSQL connection; see [`crate::AuthStore::listen_for_session_changes`]
    /// for what happens when the connection drops. Feature `postgres-listen`.
    ///
    /// [`ConfigError::NoSessionCache`] without a cache;
    /// [`ConfigError::NotPostgres`] on another backend.
    pub fn listen_for_session_changes(&self) -> Result<tokio::task::JoinHandle<()>, Error> {
        self.core.listen()
    }
}
