//! Migrations for authstore: next-auth v3's schema on PostgreSQL,
//! MySQL/MariaDB and SQLite.
//!
//! Run them on their own with [`Migrator`]:
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
mod column;
mod m20261122_000001_authstore_schema;
mod m20261122_000002_authstore_exact_comparison;

/// authstore's migrations, oldest first, for a host app to put in its own
/// [`MigratorTrait::migrations`] list.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261122_000001_authstore_schema::Migration),
        Box::new(m20261122_000002_authstore_exact_comparison::Migration),
    ]
}

/// A migrator that runs authstore's migrations alone.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        migrations()
    }
}
