//! authstore is the auth-data layer for SeaORM 2 apps: users, OAuth
//! accounts, sessions and email verification requests, stored in the exact
//! schema of a next-auth version (a [`Profile`]: next-auth v3 by default,
//! its v4-beta docs schema, or next-auth 2.0 beta) so a Rust service can
//! share its database with the Next.js app that made it.
//!
//! ```
//! use authstore::{AuthStore, Config, NewAccount, NewUser};
//! use authstore_migration::{Migrator, MigratorTrait};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! Migrator::up(&db, None).await?;
//! let store = AuthStore::new(db, Config::new("the secret next-auth is given")?);
//!
//! // An OAuth sign-in: the user, their provider account, a session.
//! let user = store.users().create(NewUser { email: Some("ada@example.com".into()), ..Default::default() }).await?;
//! store.accounts().link(NewAccount {
//!     user_id: user.id,
//!     provider_type: "oauth".into(),
//!     provider_id: "github".into(),
//!     provider_account_id: "583231".into(),
//!     ..Default::default()
//! }).await?;
//! let session = store.sessions().create(user.id).await?;
//!
//! // Every later request: the cookie's token gives the session and user.
//! let current = store.sessions().get_session_and_user(session.session_token.expose()).await?;
//! assert_eq!(current.map(|found| found.user.id), Some(user.id));
//!
//! // Email sign-in: the plain token goes into the link, its hash into the DB.
//! let (_, token) = store.verification().create("ada@example.com").await?;
//! assert!(store.verification().consume("ada@example.com", token.expose()).await?.is_some());
//! # Ok(()) }
//! ```
//!
//! # Shape
//!
//! [`AuthStore`] holds a connection and a [`Config`]. Its methods are grouped
//! by table ([`Users`], [`Accounts`], [`Sessions`], [`Verification`]), each
//! with its own rules in its own module. To run them inside your own
//! transaction, scope the store to it with [`AuthStore::on`].
//!
//! Below the rules, one storage adapter reads and writes the rows of the
//! configured [`Profile`] ([`ConfigBuilder::profile`]); every method works the
//! same on every profile and returns the same types, with UTC times.
//!
//! Input is normalised and validated before any statement is sent; failures
//! are [`Error::Validation`] naming each field. Unique and foreign-key
//! violations become [`Error::Conflict`] and [`Error::UnknownUser`] on every
//! backend.
//!
//! # Secrets
//!
//! Tokens are [`Secret`]s, whose `Debug` and `Display` print `[redacted]`;
//! errors and tracing events never carry them. Verification tokens are stored
//! only as hex SHA-256 of `token + secret`. Session tokens are stored as
//! next-auth v3 stores them (plain), which sharing a database with it needs,
//! unless [`TokenStorage::Hashed`] is configured.
//!
//! # Backends
//!
//! The crate needs no database driver of its own: it works on any SeaORM
//! connection. Enable the driver in your own `sea-orm` dependency
//! (`sqlx-postgres`, `sqlx-mysql` or `sqlx-sqlite`). Everything is tested on
//! PostgreSQL, MariaDB and SQLite. On MySQL, which lacks `RETURNING`, a few
//! writes take one statement more (see each method).

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use crate::core::Core;

mod accounts;
mod attempts;
mod backend;
mod cache;
mod config;
mod core;
pub mod guide;
#[cfg(feature = "postgres-listen")]
mod listen;
pub mod lucia_v1;
pub mod lucia_v3;
mod next_auth;
mod rules;
mod sessions;
mod sign_in;
mod users;
mod verification;

/// The generated SeaORM entities, for queries of your own.
pub use authstore_entity as entity;
/// The schema profiles, by name; choose one with [`ConfigBuilder::profile`].
pub use authstore_entity::Profile;
/// A time zone from the IANA database, for [`ConfigBuilder::wall_clock_zone`].
pub use chrono_tz::Tz;

pub use accounts::{Account, Accounts, NewAccount, OAuthTokens};
pub use attempts::{ATTEMPTS_TABLE, AttemptLimit};
pub use cache::SessionCacheConfig;
pub use config::{Config, ConfigBuilder};
pub use rules::email::canonical_email;
pub use rules::error::{ConfigError, Conflict, Error, Refusal};
pub use rules::expiry::{
    ActiveIdleExpiry, ActiveIdlePeriods, Decision, ExpiryPolicy, HalfLifeExpiry, SlidingExpiry,
};
pub use rules::issuance::IssuanceLimit;
pub use rules::token::{Secret, TokenStorage};
pub use sessions::{PURGE_BATCH, Session, SessionAndUser, Sessions};
pub use sign_in::EmailSignIn;
pub use users::{NewUser, User, UserPatch, Users};
pub use verification::{Verification, VerificationRequest};

pub use crate::core::Clock;

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
                db,
                config: &self.config,
                clock: self.core.clock(),
                cache: self.core.cache(),
                reads_cache: reads_cache && self.core.reads_cache(),
            },
        }
    }

    /// The store itself: on its connection, with the session cache.
    fn own(&self) -> Scope<'_, DatabaseConnection> {
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

    /// Follows an email sign-in link in one transaction; see
    /// [`Scope::sign_in_with_link`].
    pub async fn sign_in_with_link(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<EmailSignIn>, Error> {
        self.own().sign_in_with_link(identifier, token).await
    }
}

#[cfg(feature = "postgres-listen")]
impl AuthStore {
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
    pub fn listen_for_session_changes(&self) -> Result<tokio::task::JoinHandle<()>, Error> {
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
    ctx: Ctx<'a, C>,
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

/// What every table's methods need: where to run, the rules, and the time.
pub(crate) struct Ctx<'a, C> {
    pub(crate) db: &'a C,
    pub(crate) config: &'a Config,
    clock: &'a Clock,
    /// The session cache, if on: evicted by every change made here.
    cache: Option<&'a cache::SessionCache<SessionAndUser>>,
    /// Whether session lookups here may be served from the cache (not in a
    /// caller's transaction).
    reads_cache: bool,
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
