//! Migrations for authstore, one set per schema [`Profile`]
//! ([`next_auth_v3`], the default, [`next_auth_v4_beta`] and
//! [`next_auth_v2_beta`]; [`lucia_v3`], [`lucia_v1`]; [`better_auth`]), on
//! PostgreSQL, MySQL/MariaDB and SQLite; and [`authjs_pg`], [`authjs_drizzle`] and
//! [`authjs_prisma`], on PostgreSQL
//! as their adapters.
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

/// A profile module's `Migrator`: the profile's migrations alone, with
/// sea-orm-migration's history table, or the one named.
macro_rules! profile_migrator {
    ($(history = $table:literal)?) => {
        /// A migrator that runs this profile's migrations alone.
        $(#[doc = concat!("Its history is in `", $table, "`.")])?
        #[derive(Clone, Copy, Debug, Default)]
        pub struct Migrator;

        #[async_trait::async_trait]
        impl MigratorTrait for Migrator {
            fn migrations() -> Vec<Box<dyn MigrationTrait>> {
                migrations()
            }

            $(
                fn migration_table_name() -> DynIden {
                    $table.into_iden()
                }
            )?
        }
    };
}
pub(crate) use profile_migrator;

/// `MigrationName` for migrations that carry their name in a field
/// `name` (one struct serves several profiles, each with names of its own).
macro_rules! named_by_field {
    ($($migration:ty),+ $(,)?) => {
        $(
            impl MigrationName for $migration {
                fn name(&self) -> &str {
                    self.name
                }
            }
        )+
    };
}
pub(crate) use named_by_field;

mod adopt;
mod attempts;
pub mod authjs_drizzle;
pub mod authjs_pg;
pub mod authjs_prisma;
mod authjs_text_tables;
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

/// The registry of migration sets: each profile's module, one entry each.
fn migrator(profile: Profile) -> &'static dyn MigrationSet {
    match profile {
        Profile::NextAuthV3 => &next_auth_v3::Migrator,
        Profile::NextAuthV4Beta => &next_auth_v4_beta::Migrator,
        Profile::NextAuthV2Beta => &next_auth_v2_beta::Migrator,
        Profile::LuciaV3 => &lucia_v3::Migrator,
        Profile::LuciaV1 => &lucia_v1::Migrator,
        Profile::BetterAuth => &better_auth::Migrator,
        Profile::AuthJsPg => &authjs_pg::Migrator,
        Profile::AuthJsDrizzle => &authjs_drizzle::Migrator,
        Profile::AuthJsPrisma => &authjs_prisma::Migrator,
    }
}

type Running<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a profile's `Migrator` does, callable on a profile chosen at run
/// time (sea-orm-migration's `MigratorTrait` is static).
trait MigrationSet: Sync {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>>;
    fn up<'a>(
        &self,
        db: &'a sea_orm_migration::sea_orm::DatabaseConnection,
    ) -> Running<'a, Result<(), DbErr>>;
    fn down<'a>(
        &self,
        db: &'a sea_orm_migration::sea_orm::DatabaseConnection,
    ) -> Running<'a, Result<(), DbErr>>;
    #[cfg(feature = "cli")]
    fn run_cli(&self) -> Running<'static, ()>;
}

impl<M: MigratorTrait + Copy + Sync + Send + 'static> MigrationSet for M {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        M::migrations()
    }

    fn up<'a>(
        &self,
        db: &'a sea_orm_migration::sea_orm::DatabaseConnection,
    ) -> Running<'a, Result<(), DbErr>> {
        Box::pin(M::up(db, None))
    }

    fn down<'a>(
        &self,
        db: &'a sea_orm_migration::sea_orm::DatabaseConnection,
    ) -> Running<'a, Result<(), DbErr>> {
        Box::pin(M::down(db, None))
    }

    #[cfg(feature = "cli")]
    fn run_cli(&self) -> Running<'static, ()> {
        Box::pin(cli::run_cli(*self))
    }
}

impl ProfileMigrations for Profile {
    fn migrations(self) -> Vec<Box<dyn MigrationTrait>> {
        migrator(self).migrations()
    }

    async fn up(self, db: &sea_orm_migration::sea_orm::DatabaseConnection) -> Result<(), DbErr> {
        refuse_another_profile(self, db).await?;
        migrator(self).up(db).await
    }

    async fn down(self, db: &sea_orm_migration::sea_orm::DatabaseConnection) -> Result<(), DbErr> {
        refuse_another_profile(self, db).await?;
        migrator(self).down(db).await
    }

    #[cfg(feature = "cli")]
    async fn run_cli(self) {
        migrator(self).run_cli().await
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
