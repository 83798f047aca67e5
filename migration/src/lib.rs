//! Migrations for authstore, one set per schema [`Profile`]
//! ([`next_auth_v3`], the default, and [`next_auth_v4_beta`]), on
//! PostgreSQL, MySQL/MariaDB and SQLite.
//!
//! Run the default profile's on their own with [`Migrator`]:
//!
//! ```no_run
//! use authstore_migration::{Migrator, MigratorTrait};
//! # async fn run(db: &sea_orm_migration::sea_orm::DatabaseConnection) -> Result<(), sea_orm_migration::DbErr> {
//! Migrator::up(db, None).await?;
//! # Ok(()) }
//! ```
//!
//! # Embedding in a host app's migrator
//!
//! An app with its own `Migrator` lists authstore's migrations first and its
//! own after them. Both then share one `seaql_migrations` table and one
//! `up`/`down` history; authstore's entries are prefixed `..._authstore_`.
//!
//! ```
//! use sea_orm_migration::prelude::*;
//!
//! pub struct AppMigrator;
//!
//! #[async_trait::async_trait]
//! impl MigratorTrait for AppMigrator {
//!     fn migrations() -> Vec<Box<dyn MigrationTrait>> {
//!         let mut all = authstore_migration::migrations();
//!         // all.push(Box::new(m20270101_000001_create_posts::Migration));
//!         all
//!     }
//! }
//! ```
//!
//! Keep authstore's migrations before the app's own: sea-orm-migration
//! applies them in list order, and later authstore releases only ever append.

pub use sea_orm_migration::prelude::*;

mod column;
mod next_auth_shape;
pub mod next_auth_v3;
pub mod next_auth_v4_beta;

/// The default profile's migrations and migrator (`next-auth-v3`).
pub use next_auth_v3::{Migrator, migrations};

/// A schema profile: which JS auth system's schema a database speaks. The
/// same names are used everywhere (`AUTHSTORE_PROFILE`, the regeneration
/// script, the README).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// next-auth v3's TypeORM schema (seed 000).
    #[default]
    NextAuthV3,
    /// next-auth's v4-beta TypeORM docs schema (seed 001).
    NextAuthV4Beta,
}

impl Profile {
    /// Every profile this release speaks.
    pub const ALL: [Profile; 2] = [Profile::NextAuthV3, Profile::NextAuthV4Beta];

    /// The profile's name, e.g. `next-auth-v3`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::NextAuthV3 => "next-auth-v3",
            Profile::NextAuthV4Beta => "next-auth-v4-beta",
        }
    }

    /// The profile called `name`.
    ///
    /// ```
    /// use authstore_migration::Profile;
    /// assert_eq!(Profile::from_name("next-auth-v3"), Ok(Profile::NextAuthV3));
    /// assert!(Profile::from_name("next-auth-v9").unwrap_err().contains("next-auth-v3"));
    /// ```
    pub fn from_name(name: &str) -> Result<Profile, String> {
        Profile::ALL
            .into_iter()
            .find(|profile| profile.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown profile {name:?}; known profiles: {}",
                    known.join(", ")
                )
            })
    }

    /// The profile named by `AUTHSTORE_PROFILE`, or the default when it is
    /// unset.
    pub fn from_env() -> Result<Profile, String> {
        match std::env::var("AUTHSTORE_PROFILE") {
            Ok(name) => Profile::from_name(name.trim()),
            Err(_) => Ok(Profile::default()),
        }
    }

    /// The profile's migrations, oldest first.
    pub fn migrations(self) -> Vec<Box<dyn MigrationTrait>> {
        match self {
            Profile::NextAuthV3 => next_auth_v3::migrations(),
            Profile::NextAuthV4Beta => next_auth_v4_beta::migrations(),
        }
    }

    /// Applies the profile's pending migrations, as its `Migrator::up` does.
    pub async fn up(
        self,
        db: &sea_orm_migration::sea_orm::DatabaseConnection,
    ) -> Result<(), DbErr> {
        match self {
            Profile::NextAuthV3 => next_auth_v3::Migrator::up(db, None).await,
            Profile::NextAuthV4Beta => next_auth_v4_beta::Migrator::up(db, None).await,
        }
    }
}

#[cfg(feature = "cli")]
impl Profile {
    /// Runs sea-orm-migration's command line on this profile's migrator.
    pub async fn run_cli(self) {
        match self {
            Profile::NextAuthV3 => cli::run_cli(next_auth_v3::Migrator).await,
            Profile::NextAuthV4Beta => cli::run_cli(next_auth_v4_beta::Migrator).await,
        }
    }
}
