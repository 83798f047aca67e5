//! Migrations for authstore, one set per schema [`Profile`]
//! ([`next_auth_v3`], the default, [`next_auth_v4_beta`] and
//! [`next_auth_v2_beta`]; [`lucia_v3`], [`lucia_v1`]; [`better_auth`]), on
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

mod adopt;
mod attempts;
pub mod better_auth;
mod column;
pub mod lucia_v1;
pub mod lucia_v3;
mod next_auth_shape;
pub mod next_auth_v2_beta;
pub mod next_auth_v3;
pub mod next_auth_v4_beta;
mod notify;
mod tables;

/// The default profile's migrations and migrator (`next-auth-v3`).
pub use next_auth_v3::{Migrator, migrations};

/// The schema profiles, by name (shared with the `authstore` crate).
pub use authstore_entity::{NotifyChannels, Profile};

/// What each [`Profile`] migrates: its migrations, its migrator, its CLI.
///
/// ```
/// use authstore_migration::{Profile, ProfileMigrations};
/// assert_eq!(Profile::NextAuthV2Beta.migrations().len(), 3);
/// ```
pub trait ProfileMigrations {
    /// The profile's migrations, oldest first.
    fn migrations(self) -> Vec<Box<dyn MigrationTrait>>;

    /// Applies the profile's pending migrations, as its `Migrator::up` does.
    fn up(
        self,
        db: &sea_orm_migration::sea_orm::DatabaseConnection,
    ) -> impl Future<Output = Result<(), DbErr>> + Send;

    /// Rolls back every applied migration of the profile, as its
    /// `Migrator::down(db, None)` does.
    fn down(
        self,
        db: &sea_orm_migration::sea_orm::DatabaseConnection,
    ) -> impl Future<Output = Result<(), DbErr>> + Send;

    /// Runs sea-orm-migration's command line on this profile's migrator.
    #[cfg(feature = "cli")]
    fn run_cli(self) -> impl Future<Output = ()> + Send;
}

impl ProfileMigrations for Profile {
    fn migrations(self) -> Vec<Box<dyn MigrationTrait>> {
        match self {
            Profile::NextAuthV4Beta => next_auth_v4_beta::migrations(),
            Profile::NextAuthV2Beta => next_auth_v2_beta::migrations(),
            Profile::NextAuthV3 => next_auth_v3::migrations(),
            Profile::LuciaV3 => lucia_v3::migrations(),
            Profile::LuciaV1 => lucia_v1::migrations(),
            Profile::BetterAuth => better_auth::migrations(),
        }
    }

    async fn up(self, db: &sea_orm_migration::sea_orm::DatabaseConnection) -> Result<(), DbErr> {
        refuse_another_profile(self, db).await?;
        match self {
            Profile::NextAuthV4Beta => next_auth_v4_beta::Migrator::up(db, None).await,
            Profile::NextAuthV2Beta => next_auth_v2_beta::Migrator::up(db, None).await,
            Profile::NextAuthV3 => next_auth_v3::Migrator::up(db, None).await,
            Profile::LuciaV3 => lucia_v3::Migrator::up(db, None).await,
            Profile::LuciaV1 => lucia_v1::Migrator::up(db, None).await,
            Profile::BetterAuth => better_auth::Migrator::up(db, None).await,
        }
    }

    async fn down(self, db: &sea_orm_migration::sea_orm::DatabaseConnection) -> Result<(), DbErr> {
        refuse_another_profile(self, db).await?;
        match self {
            Profile::NextAuthV4Beta => next_auth_v4_beta::Migrator::down(db, None).await,
            Profile::NextAuthV2Beta => next_auth_v2_beta::Migrator::down(db, None).await,
            Profile::NextAuthV3 => next_auth_v3::Migrator::down(db, None).await,
            Profile::LuciaV3 => lucia_v3::Migrator::down(db, None).await,
            Profile::LuciaV1 => lucia_v1::Migrator::down(db, None).await,
            Profile::BetterAuth => better_auth::Migrator::down(db, None).await,
        }
    }

    #[cfg(feature = "cli")]
    async fn run_cli(self) {
        match self {
            Profile::NextAuthV4Beta => cli::run_cli(next_auth_v4_beta::Migrator).await,
            Profile::NextAuthV2Beta => cli::run_cli(next_auth_v2_beta::Migrator).await,
            Profile::NextAuthV3 => cli::run_cli(next_auth_v3::Migrator).await,
            Profile::LuciaV3 => cli::run_cli(lucia_v3::Migrator).await,
            Profile::LuciaV1 => cli::run_cli(lucia_v1::Migrator).await,
            Profile::BetterAuth => cli::run_cli(better_auth::Migrator).await,
        }
    }
}

/// One clear error when `db`'s migration history names another profile's
/// migration, instead of sea-orm-migration's "Migration file … is missing"
/// for each of them: a database holds one profile. A history naming
/// migrations of no profile (a host app's own) is left to sea-orm-migration.
async fn refuse_another_profile(
    profile: Profile,
    db: &sea_orm_migration::sea_orm::DatabaseConnection,
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
    if profile == Profile::BetterAuth {
        // Its history has a table of its own: it may sit beside another
        // profile's tables, as a carry-over's target.
        return Ok(());
    }
    // `SchemaManager::has_table` needs the backend's schema-discovery
    // feature, which a host app may leave off; the adoption check's
    // introspection works everywhere.
    if adopt::columns(&SchemaManager::new(db), "seaql_migrations")
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let history = Statement::from_string(
        db.get_database_backend(),
        "SELECT version FROM seaql_migrations",
    );
    let names = |p: Profile| -> Vec<String> {
        p.migrations().iter().map(|m| m.name().to_owned()).collect()
    };
    let ours = names(profile);
    for row in db.query_all_raw(history).await? {
        let applied: String = row.try_get("", "version")?;
        if ours.contains(&applied) {
            continue;
        }
        if let Some(other) = Profile::ALL
            .into_iter()
            .find(|other| names(*other).contains(&applied))
        {
            return Err(DbErr::Custom(format!(
                "this database holds profile {}'s schema (its migration {applied} is applied), \
                 so profile {} cannot be migrated here: a database holds one profile, so give \
                 {} a database of its own, or set AUTHSTORE_PROFILE={}",
                other.name(),
                profile.name(),
                profile.name(),
                other.name(),
            )));
        }
    }
    Ok(())
}
