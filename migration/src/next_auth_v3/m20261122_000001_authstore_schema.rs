//! next-auth v3's TypeORM schema (seed 000), plus two things it lacked.
//!
//! Tables, columns, types, nullability, defaults and index names match the
//! adapter's PostgreSQL schema exactly, so a Next.js app running next-auth v3
//! can share the database. On top of it, both allowed because next-auth never
//! notices them:
//! - foreign keys `accounts.user_id` and `sessions.user_id` → `users.id`
//!   with `ON DELETE CASCADE`, so deleting a user cannot leave orphans;
//! - the index `sessions_user_id`, so "sign out everywhere" and the cascade
//!   do not scan every session. (The seed's `user_id` index is on `accounts`;
//!   index names are per schema on PostgreSQL and SQLite, hence the prefix.)
//!
//! Foreign keys are declared inside `CREATE TABLE` because SQLite cannot add
//! one to an existing table.
//!
//! If all four tables already exist (a database next-auth created), `up`
//! adopts them instead: see [`super::adopt`].

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use super::adopt;
use crate::column::{id, row_clock, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A database next-auth already created is adopted, not re-created.
        if adopt::found_next_auth_tables(manager).await? {
            return adopt::adopt(manager).await;
        }
        for table in tables(manager.get_database_backend()) {
            manager.create_table(table).await?;
        }

        // The seed's indexes, with the seed's names.
        let indexes = [
            index("compound_id", Accounts::Table, Accounts::CompoundId)
                .unique()
                .to_owned(),
            index(
                "provider_account_id",
                Accounts::Table,
                Accounts::ProviderAccountId,
            ),
            index("provider_id", Accounts::Table, Accounts::ProviderId),
            index("user_id", Accounts::Table, Accounts::UserId),
            index("session_token", Sessions::Table, Sessions::SessionToken)
                .unique()
                .to_owned(),
            index("access_token", Sessions::Table, Sessions::AccessToken)
                .unique()
                .to_owned(),
            index("email", Users::Table, Users::Email)
                .unique()
                .to_owned(),
            index(
                "token",
                VerificationRequests::Table,
                VerificationRequests::Token,
            )
            .unique()
            .to_owned(),
            // Ours: see the module docs.
            sessions_user_id_index(),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first, so the foreign keys never block a drop. Indexes and
        // PostgreSQL's serial sequences go with their tables.
        for table in [
            Sessions::Table.into_iden(),
            Accounts::Table.into_iden(),
            VerificationRequests::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The four tables as this migration creates them on `db`, users first (the
/// others point to it). Adoption reads its expected columns from here too.
pub(crate) fn tables(db: DatabaseBackend) -> [TableCreateStatement; 4] {
    [
        Table::create()
            .table(Users::Table)
            .col(id(db, Users::Id))
            .col(ColumnDef::new(Users::Name).string_len(255).null())
            .col(ColumnDef::new(Users::Email).string_len(255).null())
            .col(timestamp(db, Users::EmailVerified).null())
            .col(ColumnDef::new(Users::Image).text().null())
            .col(row_clock(db, Users::CreatedAt))
            .col(row_clock(db, Users::UpdatedAt))
            .to_owned(),
        Table::create()
            .table(Accounts::Table)
            .col(id(db, Accounts::Id))
            .col(
                ColumnDef::new(Accounts::CompoundId)
                    .string_len(255)
                    .not_null(),
            )
            .col(ColumnDef::new(Accounts::UserId).integer().not_null())
            .col(
                ColumnDef::new(Accounts::ProviderType)
                    .string_len(255)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Accounts::ProviderId)
                    .string_len(255)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Accounts::ProviderAccountId)
                    .string_len(255)
                    .not_null(),
            )
            .col(ColumnDef::new(Accounts::RefreshToken).text().null())
            .col(ColumnDef::new(Accounts::AccessToken).text().null())
            .col(timestamp(db, Accounts::AccessTokenExpires).null())
            .col(row_clock(db, Accounts::CreatedAt))
            .col(row_clock(db, Accounts::UpdatedAt))
            .foreign_key(&mut foreign_keys()[0].1)
            .to_owned(),
        Table::create()
            .table(Sessions::Table)
            .col(id(db, Sessions::Id))
            .col(ColumnDef::new(Sessions::UserId).integer().not_null())
            .col(timestamp(db, Sessions::Expires).not_null())
            .col(
                ColumnDef::new(Sessions::SessionToken)
                    .string_len(255)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Sessions::AccessToken)
                    .string_len(255)
                    .not_null(),
            )
            .col(row_clock(db, Sessions::CreatedAt))
            .col(row_clock(db, Sessions::UpdatedAt))
            .foreign_key(&mut foreign_keys()[1].1)
            .to_owned(),
        Table::create()
            .table(VerificationRequests::Table)
            .col(id(db, VerificationRequests::Id))
            .col(
                ColumnDef::new(VerificationRequests::Identifier)
                    .string_len(255)
                    .not_null(),
            )
            .col(
                ColumnDef::new(VerificationRequests::Token)
                    .string_len(255)
                    .not_null(),
            )
            .col(timestamp(db, VerificationRequests::Expires).not_null())
            .col(row_clock(db, VerificationRequests::CreatedAt))
            .col(row_clock(db, VerificationRequests::UpdatedAt))
            .to_owned(),
    ]
}

/// Our index on `sessions.user_id`; also added when adopting.
pub(crate) fn sessions_user_id_index() -> IndexCreateStatement {
    index("sessions_user_id", Sessions::Table, Sessions::UserId)
}

/// Our foreign keys, by name; also added when adopting.
pub(crate) fn foreign_keys() -> [(&'static str, ForeignKeyCreateStatement); 2] {
    [
        (
            "fk_accounts_user_id",
            cascade_to_user("fk_accounts_user_id", Accounts::Table, Accounts::UserId),
        ),
        (
            "fk_sessions_user_id",
            cascade_to_user("fk_sessions_user_id", Sessions::Table, Sessions::UserId),
        ),
    ]
}

fn cascade_to_user(
    name: &str,
    table: impl IntoIden,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::NoAction)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, column: impl IntoIden) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(column)
        .to_owned()
}

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Name,
    Email,
    EmailVerified,
    Image,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Accounts {
    Table,
    Id,
    CompoundId,
    UserId,
    ProviderType,
    ProviderId,
    ProviderAccountId,
    RefreshToken,
    AccessToken,
    AccessTokenExpires,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Sessions {
    Table,
    Id,
    UserId,
    Expires,
    SessionToken,
    AccessToken,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum VerificationRequests {
    Table,
    Id,
    Identifier,
    Token,
    Expires,
    CreatedAt,
    UpdatedAt,
}
