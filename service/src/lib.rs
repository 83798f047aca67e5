//! authstore is the auth-data layer for SeaORM 2 apps: users, OAuth
//! accounts, sessions and email verification (and, for lucia-auth v1, keys
//! with passwords), stored in the exact schema of a JS auth system, so a
//! Rust service can share a live database, and its signed-in users, with the
//! app that made it.
//!
//! | profile ([`Profile`]) | JS system | store |
//! |---|---|---|
//! | `next-auth-v3` (default), `next-auth-v4-beta`, `next-auth-v2-beta` | next-auth v3, its v4-beta docs, 2.0 beta | [`AuthStore`] |
//! | `lucia-v3` | Lucia 3 | [`lucia_v3::LuciaStore`] |
//! | `lucia-v1` | lucia-auth 1 (keys, passwords) | [`lucia_v1::LuciaV1Store`] |
//! | `better-auth` | better-auth 1.7, where the others' users move ([`better_auth::carry_over`]) | [`better_auth::BetterAuthStore`] |
//! | `authjs-pg` | next-auth 4.24 and Auth.js v5 with `@auth/pg-adapter` (PostgreSQL) | [`authjs::AuthJsStore`] |
//! | `authjs-drizzle` | next-auth 4.24 and Auth.js v5 with `@auth/drizzle-adapter`'s default tables (PostgreSQL, SQLite) | [`authjs::AuthJsStore`]`<_, `[`authjs::DrizzleAdapter`]`>` |
//! | `authjs-prisma` | next-auth 4.24 and Auth.js v5 with `@auth/prisma-adapter`'s documented schema (PostgreSQL), in today's docs' shape or next-auth 4's ([`authjs::schema_found`]) | [`authjs::AuthJsStore`]`<_, `[`authjs::PrismaAdapter`]`>` or `<_, `[`authjs::PrismaV4Adapter`]`>` |
//!
//! Each store speaks its system's calls, with its rules; the profiles, what
//! each is tested against, and the guides are in [`guide`]. A next-auth
//! database, start to finish:
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
//! with its own rules. The other stores keep their system's names
//! (`validate_session`, `invalidate_session`, `revoke_session`, …). Every
//! store's session follows one lifecycle: looked up (through the session
//! cache and replicas, where on), renewed or deleted by its system's expiry
//! rule ([`ExpiryPolicy`]), revoked durably. To run a store's methods inside
//! your own transaction, scope it with its `on` ([`AuthStore::on`]).
//!
//! Input is normalised and validated before any statement is sent; failures
//! are [`Error::Validation`] naming each field. Unique and foreign-key
//! violations become [`Error::Conflict`] and [`Error::UnknownUser`] on every
//! backend. Times are UTC.
//!
//! # Features
//!
//! - `axum`: [`web`], the session layer for an axum service beside the JS
//!   app: its session cookie read, renewed and cleared as the app does it,
//!   extractors, cross-site writes refused; and next-auth 4's and Auth.js
//!   v5's encrypted JWT session cookie ([`web::authjs_jwt`], no database),
//!   whose JWE crate links the system's OpenSSL.
//! - `postgres-listen`: the session cache ([`ConfigBuilder::session_cache`]
//!   and each store's config) hears every writer's changes through
//!   PostgreSQL's LISTEN/NOTIFY (`listen_for_session_changes`).
//! - `postgres-replicas`: session lookups from streaming replicas
//!   ([`AuthStore::with_replicas`], [`check_replica`]).
//! - `mock`: SeaORM's `MockDatabase`, for unit tests of code built on
//!   authstore.
//!
//! # Secrets
//!
//! Tokens are [`Secret`]s, whose `Debug` and `Display` print `[redacted]`;
//! errors and tracing events never carry them. Verification tokens are stored
//! only as hex SHA-256 of `token + secret`. Session tokens are stored as the
//! JS system stores them (plain), which sharing a database with it needs; on
//! the next-auth profiles, [`TokenStorage::Hashed`] stores their hashes
//! instead.
//!
//! # Backends
//!
//! The crate needs no database driver of its own: it works on any SeaORM
//! connection. Enable the driver in your own `sea-orm` dependency
//! (`sqlx-postgres`, `sqlx-mysql` or `sqlx-sqlite`). Everything is tested on
//! PostgreSQL, MariaDB and SQLite. On MySQL, which lacks `RETURNING`, a few
//! writes take one statement more (see each method). Times are `chrono`
//! types ([`chrono::TimeDelta`], [`chrono::DateTime`]); durations in
//! configs are `TimeDelta`s. authstore re-exports the `chrono` it speaks as
//! [`authstore::chrono`](crate::chrono).

#![deny(missing_docs)]
// On docs.rs (which builds with `--cfg docsrs` on nightly) every item behind
// a feature carries a badge naming it.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod attempts;
pub mod authjs;
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
/// The `chrono` authstore's API speaks (`TimeDelta` in configs, `DateTime<Utc>`
/// in models), for apps that do not depend on it themselves.
pub use chrono;
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
    UpdateAgeExpiry,
};
pub use rules::issuance::IssuanceLimit;
pub use rules::token::{Secret, TokenStorage};
