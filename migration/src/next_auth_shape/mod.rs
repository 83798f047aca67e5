//! The schema shape next-auth v3 (seed 000) and next-auth's v4-beta docs
//! (seed 001) share: `users`, `accounts`, `sessions` and a verification table,
//! with the same types, defaults and most index names. They differ only in a
//! few names, which [`Shape`] holds; everything else is written once here and
//! each profile's migrations call it with their shape.
//!
//! On top of the seed, both allowed because next-auth never notices them:
//! - foreign keys `accounts.user_id` and `sessions.user_id` → `users.id`
//!   with `ON DELETE CASCADE`, so deleting a user cannot leave orphans;
//! - the index `sessions_user_id`, so "sign out everywhere" and the cascade
//!   do not scan every session. (The seed's `user_id` index is on `accounts`;
//!   index names are per schema on PostgreSQL and SQLite, hence the prefix.)
//!
//! Foreign keys are declared inside `CREATE TABLE` because SQLite cannot add
//! one to an existing table. If all four tables already exist (a database
//! next-auth created), [`Shape::create_or_adopt`] adopts them instead: see
//! [`adopt`].

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::column::{id, row_clock, timestamp};

pub(crate) mod adopt;
pub(crate) mod exact;

/// What differs between the schemas of this shape.
pub(crate) struct Shape {
    /// What the schema is, for messages: "next-auth v3's TypeORM schema".
    pub(crate) described_as: &'static str,
    /// `accounts.provider_type` (v3) or `accounts.type` (v4 beta).
    pub(crate) provider_type: &'static str,
    /// `accounts.provider_id` (v3) or `accounts.provider` (v4 beta).
    pub(crate) provider_id: &'static str,
    /// `verification_requests` (v3) or `verification_tokens` (v4 beta).
    pub(crate) verification_table: &'static str,
    /// v3 indexes `accounts.provider_id` (as `provider_id`); the v4-beta
    /// docs dropped that index.
    pub(crate) provider_id_index: bool,
}

/// next-auth v3's TypeORM schema (seed 000).
pub(crate) const NEXT_AUTH_V3: Shape = Shape {
    described_as: "next-auth v3's TypeORM schema",
    provider_type: "provider_type",
    provider_id: "provider_id",
    verification_table: "verification_requests",
    provider_id_index: true,
};

/// The schema of next-auth's TypeORM docs of August 2021 (seed 001).
pub(crate) const NEXT_AUTH_V4_BETA: Shape = Shape {
    described_as: "the next-auth v4-beta TypeORM docs schema",
    provider_type: "type",
    provider_id: "provider",
    verification_table: "verification_tokens",
    provider_id_index: false,
};

impl Shape {
    /// Creates the tables and indexes, or adopts the ones next-auth made.
    pub(crate) async fn create_or_adopt(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        if adopt::found_tables(self, manager).await? {
            return adopt::adopt(self, manager).await;
        }
        for table in self.tables(manager.get_database_backend()) {
            manager.create_table(table).await?;
        }
        for index in self.indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    /// Drops the four tables, children first so the foreign keys never
    /// block a drop. Indexes and PostgreSQL's serial sequences go with them.
    pub(crate) async fn drop(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        for table in [
            Sessions::Table.into_iden(),
            Accounts::Table.into_iden(),
            Alias::new(self.verification_table).into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }

    /// The four tables as the migration creates them on `db`, users first
    /// (the others point to it). Adoption reads its expected columns from
    /// here too.
    pub(crate) fn tables(&self, db: DatabaseBackend) -> [TableCreateStatement; 4] {
        let verification = Alias::new(self.verification_table);
        let [mut accounts_fk, mut sessions_fk] = foreign_keys().map(|(_, fk)| fk);
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
                .col(varchar(Accounts::CompoundId))
                .col(ColumnDef::new(Accounts::UserId).integer().not_null())
                .col(varchar(Alias::new(self.provider_type)))
                .col(varchar(Alias::new(self.provider_id)))
                .col(varchar(Accounts::ProviderAccountId))
                .col(ColumnDef::new(Accounts::RefreshToken).text().null())
                .col(ColumnDef::new(Accounts::AccessToken).text().null())
                .col(timestamp(db, Accounts::AccessTokenExpires).null())
                .col(row_clock(db, Accounts::CreatedAt))
                .col(row_clock(db, Accounts::UpdatedAt))
                .foreign_key(&mut accounts_fk)
                .to_owned(),
            Table::create()
                .table(Sessions::Table)
                .col(id(db, Sessions::Id))
                .col(ColumnDef::new(Sessions::UserId).integer().not_null())
                .col(timestamp(db, Sessions::Expires).not_null())
                .col(varchar(Sessions::SessionToken))
                .col(varchar(Sessions::AccessToken))
                .col(row_clock(db, Sessions::CreatedAt))
                .col(row_clock(db, Sessions::UpdatedAt))
                .foreign_key(&mut sessions_fk)
                .to_owned(),
            Table::create()
                .table(verification.clone())
                .col(id(db, Verification::Id))
                .col(varchar(Verification::Identifier))
                .col(varchar(Verification::Token))
                .col(timestamp(db, Verification::Expires).not_null())
                .col(row_clock(db, Verification::CreatedAt))
                .col(row_clock(db, Verification::UpdatedAt))
                .to_owned(),
        ]
    }

    /// The seed's indexes, with the seed's names, and ours.
    fn indexes(&self) -> Vec<IndexCreateStatement> {
        let unique = |name, table, column| index(name, table, column).unique().to_owned();
        let verification = Alias::new(self.verification_table).into_iden();
        let mut indexes = vec![
            unique(
                "compound_id",
                Accounts::Table.into_iden(),
                Accounts::CompoundId.into_iden(),
            ),
            index(
                "provider_account_id",
                Accounts::Table.into_iden(),
                Accounts::ProviderAccountId.into_iden(),
            ),
        ];
        if self.provider_id_index {
            indexes.push(index(
                "provider_id",
                Accounts::Table.into_iden(),
                Alias::new(self.provider_id).into_iden(),
            ));
        }
        indexes.extend([
            index(
                "user_id",
                Accounts::Table.into_iden(),
                Accounts::UserId.into_iden(),
            ),
            unique(
                "session_token",
                Sessions::Table.into_iden(),
                Sessions::SessionToken.into_iden(),
            ),
            unique(
                "access_token",
                Sessions::Table.into_iden(),
                Sessions::AccessToken.into_iden(),
            ),
            unique("email", Users::Table.into_iden(), Users::Email.into_iden()),
            unique("token", verification, Verification::Token.into_iden()),
            sessions_user_id_index(),
        ]);
        indexes
    }

    /// The columns lookups compare, per table (see [`exact`]).
    pub(crate) fn compared_columns(&self) -> [(&'static str, Vec<&'static str>); 4] {
        [
            ("users", vec!["email"]),
            (
                "accounts",
                vec![
                    "compound_id",
                    self.provider_id,
                    "provider_account_id",
                    "refresh_token",
                    "access_token",
                ],
            ),
            ("sessions", vec!["session_token", "access_token"]),
            (self.verification_table, vec!["identifier", "token"]),
        ]
    }
}

/// The migration that creates a shape's tables, or adopts the ones next-auth
/// made. Each profile lists it under its own, never-changing name.
pub(crate) struct CreateTables {
    pub(crate) name: &'static str,
    pub(crate) shape: &'static Shape,
}

impl MigrationName for CreateTables {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.shape.create_or_adopt(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.shape.drop(manager).await
    }
}

/// The migration that makes a shape's compared columns exact on MySQL (see
/// [`exact`]); nothing on PostgreSQL and SQLite.
pub(crate) struct ExactComparison {
    pub(crate) name: &'static str,
    pub(crate) shape: &'static Shape,
}

impl MigrationName for ExactComparison {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ExactComparison {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exact::set_collation(self.shape, manager, Some(exact::EXACT)).await
    }

    /// Back to each table's default collation.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exact::set_collation(self.shape, manager, None).await
    }
}

/// `VARCHAR(255) NOT NULL`, the seed's type for every required string.
fn varchar(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string_len(255).not_null().to_owned()
}

/// Our index on `sessions.user_id`; also added when adopting.
pub(crate) fn sessions_user_id_index() -> IndexCreateStatement {
    index(
        "sessions_user_id",
        Sessions::Table.into_iden(),
        Sessions::UserId.into_iden(),
    )
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

fn index(name: &str, table: DynIden, column: DynIden) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(column)
        .to_owned()
}

#[derive(DeriveIden)]
enum Users {
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
enum Accounts {
    Table,
    Id,
    CompoundId,
    UserId,
    ProviderAccountId,
    RefreshToken,
    AccessToken,
    AccessTokenExpires,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    Expires,
    SessionToken,
    AccessToken,
    CreatedAt,
    UpdatedAt,
}

/// The verification table's columns; its name is the shape's.
#[derive(DeriveIden)]
enum Verification {
    Id,
    Identifier,
    Token,
    Expires,
    CreatedAt,
    UpdatedAt,
}
