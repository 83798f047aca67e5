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

#![deny(missing_docs)]

mod attempts;
mod backend;
pub mod better_auth;
mod cache;
mod core;
mod durability;
pub mod guide;
mod lifecycle;
#[cfg(feature = "postgres-listen")]
mod listen;
pub mod lucia_v1;
pub mod lucia_v3;
mod next_auth;
mod pooler;
mod replicas;
mod rules;
mod topology;
#[cfg(feature = "axum")]
pub mod web;

/// The generated SeaORM entities, for queries of your own.
pub use authstore_entity as entity;
/// The schema profiles, by name; choose one with [`ConfigBuilder::profile`].
pub use authstore_entity::Profile;
/// A time zone from the IANA database, for [`ConfigBuilder::wall_clock_zone`].
pub use chrono_tz::Tz;

pub use attempts::{ATTEMPTS_TABLE, AttemptLimit};
pub use backend::PURGE_BATCH;
pub use cache::SessionCacheConfig;
pub use core::Clock;
pub use next_auth::{
    Account, Accounts, AuthStore, Config, ConfigBuilder, EmailSignIn, NewAccount, NewUser,
    OAuthTokens, Scope, Session, SessionAndUser, Sessions, User, UserPatch, Users, Verification,
    VerificationRequest,
};
pub use pooler::TransactionPooled;
#[cfg(feature = "postgres-replicas")]
pub use replicas::check_replica;
#[cfg(feature = "postgres-replicas")]
pub use replicas::{ReplicaConfig, ReplicaStats};
pub use rules::email::canonical_email;
pub use rules::error::{CarryOverRefusal, ConfigError, Conflict, Error, Refusal};
pub use rules::expiry::{
    ActiveIdleExpiry, ActiveIdlePeriods, Decision, ExpiryPolicy, HalfLifeExpiry, SlidingExpiry,
};
pub use rules::issuance::IssuanceLimit;
pub use rules::token::{Secret, TokenStorage};
