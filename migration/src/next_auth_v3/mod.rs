//! Profile `next-auth-v3` (seed 000): next-auth v3's TypeORM schema, plus
//! authstore's foreign keys and index, and exact comparison on MySQL.

use sea_orm_migration::prelude::*;

mod m20261122_000001_authstore_schema;
mod m20261122_000002_authstore_exact_comparison;

/// This profile's migrations, oldest first, for a host app to put in its
/// own [`MigratorTrait::migrations`] list.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261122_000001_authstore_schema::Migration),
        Box::new(m20261122_000002_authstore_exact_comparison::Migration),
    ]
}

/// A migrator that runs this profile's migrations alone.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        migrations()
    }
}
