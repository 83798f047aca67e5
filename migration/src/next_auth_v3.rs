//! Profile `next-auth-v3` (seed 000): next-auth v3's TypeORM schema
//! (tables, columns, types, nullability, defaults and index names exactly as
//! its adapter makes them on PostgreSQL), plus authstore's foreign keys and
//! index, and exact comparison on MySQL. The shape is written once in
//! `next_auth_shape`, shared with `next-auth-v4-beta`.

use sea_orm_migration::prelude::*;

use crate::next_auth_shape::{self, NEXT_AUTH_V3};

/// This profile's migrations, oldest first, for a host app to put in its
/// own [`MigratorTrait::migrations`] list. Their names never change: they
/// are what `seaql_migrations` records.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    next_auth_shape::migrations(
        &NEXT_AUTH_V3,
        [
            "m20261122_000001_authstore_schema",
            "m20261122_000002_authstore_exact_comparison",
            "m20261123_000003_authstore_session_notify",
        ],
    )
}

crate::profile_migrator!();
