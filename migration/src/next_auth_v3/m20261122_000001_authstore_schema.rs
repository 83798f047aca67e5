//! next-auth v3's TypeORM schema (seed 000), plus our foreign keys and
//! index: tables, columns, types, nullability, defaults and index names
//! match the adapter's PostgreSQL schema exactly, so a Next.js app running
//! next-auth v3 can share the database. The shape is written once in
//! [`crate::next_auth_shape`]; a database next-auth already created is
//! adopted, not re-created.

use sea_orm_migration::prelude::*;

use crate::next_auth_shape::NEXT_AUTH_V3;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        NEXT_AUTH_V3.create_or_adopt(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        NEXT_AUTH_V3.drop(manager).await
    }
}
