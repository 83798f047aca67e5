//! Profile `next-auth-v2-beta` (seed 002): next-auth 2.0.0-beta.67 to
//! beta.78's built-in TypeORM models, as its `synchronize` creates them on
//! PostgreSQL: `created`/`updated` row clocks, `timestamp without time zone`
//! (wall-clock times) with `now()` defaults, `varchar` without a length, the
//! verification column `identifer` (sic), unique constraints named by
//! TypeORM; plus authstore's foreign keys and index, and exact comparison on
//! MySQL.
//!
//! The seed document marks every column NOT NULL; that is a bug of the script
//! that wrote it. The models make `users.name`, `email`, `email_verified`,
//! `image` and `accounts.refresh_token`, `access_token`,
//! `access_token_expires` nullable, and so does this migration.

use sea_orm_migration::prelude::*;

use crate::next_auth_shape::{self, NEXT_AUTH_V2_BETA};

/// This profile's migrations, oldest first; their names are its own.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    next_auth_shape::migrations(
        &NEXT_AUTH_V2_BETA,
        [
            "m20261122_000201_authstore_v2_beta_schema",
            "m20261122_000202_authstore_v2_beta_exact_comparison",
            "m20261123_000203_authstore_v2_beta_session_notify",
        ],
    )
}

crate::profile_migrator!();
