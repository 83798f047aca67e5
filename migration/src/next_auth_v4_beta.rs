//! Profile `next-auth-v4-beta` (seed 001): the schema of next-auth's TypeORM
//! docs of August 2021 (the v4 beta refactor), which no package shipped but
//! teams ran with next-auth v4 beta. It is next-auth v3's shape with
//! `accounts.type` and `accounts.provider` for `provider_type` and
//! `provider_id`, the table `verification_tokens` for
//! `verification_requests`, and no index on the provider column; plus
//! authstore's foreign keys and index, and exact comparison on MySQL.

use sea_orm_migration::prelude::*;

use crate::next_auth_shape::{self, NEXT_AUTH_V4_BETA};

/// This profile's migrations, oldest first. Their names differ from every
/// other profile's, so a database migrated under one profile is never taken
/// for another's.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    next_auth_shape::migrations(
        &NEXT_AUTH_V4_BETA,
        [
            "m20261122_000101_authstore_v4_beta_schema",
            "m20261122_000102_authstore_v4_beta_exact_comparison",
            "m20261123_000103_authstore_v4_beta_session_notify",
        ],
    )
}

crate::profile_migrator!();
