//! Exact comparison of emails, identifiers and tokens on MySQL/MariaDB, for
//! next-auth v3's schema: see [`crate::next_auth_shape::exact`]. PostgreSQL
//! and SQLite: nothing to do.

use sea_orm_migration::prelude::*;

use crate::next_auth_shape::{NEXT_AUTH_V3, exact};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exact::set_collation(&NEXT_AUTH_V3, manager, Some(exact::EXACT)).await
    }

    /// Back to each table's default collation.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exact::set_collation(&NEXT_AUTH_V3, manager, None).await
    }
}
