//! The schema shape every next-auth schema authstore speaks shares: `users`,
//! `accounts`, `sessions` and a verification table, with the same columns in
//! the same order. next-auth v3 (seed 000), its v4-beta docs (seed 001) and
//! next-auth 2.0 beta (seed 002) differ only in a few names, the time type,
//! string lengths and index names, which [`Shape`] holds; everything else is
//! written once here and each profile's migrations call it with their shape.
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

use crate::column::{Times, id, serial, string};
use authstore_entity::descriptor::{self, NextAuthSchema};

const USERS: &str = NextAuthSchema::USERS;
const ACCOUNTS: &str = NextAuthSchema::ACCOUNTS;
const SESSIONS: &str = NextAuthSchema::SESSIONS;

pub(crate) mod adopt;
pub(crate) mod exact;

/// A next-auth profile's migrations, oldest first: its tables (created or
/// adopted), exact comparison on MySQL, and the session cache's triggers
/// on PostgreSQL. `names` are the three migrations' names, the profile's
/// own: they are what `seaql_migrations` records, and never change.
pub(crate) fn migrations(
    shape: &'static Shape,
    names: [&'static str; 3],
) -> Vec<Box<dyn MigrationTrait>> {
    let [schema, exact_comparison, session_notify] = names;
    vec![
        Box::new(CreateTables {
            name: schema,
            shape,
        }),
        Box::new(ExactComparison {
            name: exact_comparison,
            shape,
        }),
        Box::new(crate::notify::SessionNotify {
            name: session_notify,
            watched: crate::notify::NEXT_AUTH,
        }),
    ]
}

/// What differs between the schemas of this shape.
pub(crate) struct Shape {
    /// The names and time columns, shared with the storage adapter.
    pub(crate) schema: &'static NextAuthSchema,
    /// The length of the string columns on PostgreSQL: `varchar(255)`, or
    /// `varchar` without a length (v2 beta; 255 on MySQL, which needs one).
    pub(crate) string_len: Option<u32>,
    /// `users.image` is `text` (v3, v4 beta) or a string column (v2 beta).
    pub(crate) image_is_text: bool,
    /// The seed's indexes, with the seed's names.
    pub(crate) indexes: &'static [SeedIndex],
    /// The primary keys' constraint names on PostgreSQL, where the seed
    /// names them (TypeORM's `PK_…`): users, accounts, sessions,
    /// verification. `None`: PostgreSQL's `<table>_pkey`.
    pub(crate) primary_keys: Option<[&'static str; 4]>,
}

/// One of a seed's indexes: name, table, column, unique.
pub(crate) struct SeedIndex(
    pub(crate) &'static str,
    pub(crate) SeedTable,
    pub(crate) &'static str,
    pub(crate) bool,
);

/// The table of a [`SeedIndex`], by its role: the verification table's
/// name differs between the shapes.
#[derive(Clone, Copy)]
pub(crate) enum SeedTable {
    Users,
    Accounts,
    Sessions,
    Verification,
}

impl SeedTable {
    fn name(self, schema: &NextAuthSchema) -> &'static str {
        match self {
            SeedTable::Users => USERS,
            SeedTable::Accounts => ACCOUNTS,
            SeedTable::Sessions => SESSIONS,
            SeedTable::Verification => schema.verification,
        }
    }
}

/// next-auth v3's indexes (seed 000), each named after its column. The
/// provider column's comes first: the v4-beta docs' schema has all the
/// others, with the same names.
const NEXT_AUTH_V3_INDEXES: [SeedIndex; 8] = [
    SeedIndex("provider_id", SeedTable::Accounts, "provider_id", false),
    SeedIndex(
        NextAuthSchema::COMPOUND_ID,
        SeedTable::Accounts,
        NextAuthSchema::COMPOUND_ID,
        true,
    ),
    SeedIndex(
        NextAuthSchema::PROVIDER_ACCOUNT_ID,
        SeedTable::Accounts,
        NextAuthSchema::PROVIDER_ACCOUNT_ID,
        false,
    ),
    SeedIndex("user_id", SeedTable::Accounts, "user_id", false),
    SeedIndex(
        NextAuthSchema::SESSION_TOKEN,
        SeedTable::Sessions,
        NextAuthSchema::SESSION_TOKEN,
        true,
    ),
    SeedIndex(
        NextAuthSchema::ACCESS_TOKEN,
        SeedTable::Sessions,
        NextAuthSchema::ACCESS_TOKEN,
        true,
    ),
    SeedIndex("email", SeedTable::Users, "email", true),
    SeedIndex("token", SeedTable::Verification, "token", true),
];

/// next-auth v3's TypeORM schema (seed 000).
pub(crate) const NEXT_AUTH_V3: Shape = Shape {
    schema: &descriptor::NEXT_AUTH_V3,
    string_len: Some(255),
    image_is_text: true,
    indexes: &NEXT_AUTH_V3_INDEXES,
    primary_keys: None,
};

/// The schema of next-auth's TypeORM docs of August 2021 (seed 001): v3's
/// with other names, and no index on the provider column.
pub(crate) const NEXT_AUTH_V4_BETA: Shape = Shape {
    schema: &descriptor::NEXT_AUTH_V4_BETA,
    indexes: NEXT_AUTH_V3_INDEXES.split_first().expect("eight indexes").1,
    ..NEXT_AUTH_V3
};

/// next-auth 2.0 beta's built-in TypeORM models (seed 002, beta.67 to
/// beta.78). The primary keys and unique indexes carry the names TypeORM
/// gives those constraints (`PK_`/`UQ_` and 27 hex digits of SHA-1 of the
/// table and column names), the others the names the models give them.
pub(crate) const NEXT_AUTH_V2_BETA: Shape = Shape {
    schema: &descriptor::NEXT_AUTH_V2_BETA,
    string_len: None,
    image_is_text: false,
    indexes: &[
        SeedIndex(
            "UQ_95843cea26fc65b1a9d9b6e1d2b",
            SeedTable::Accounts,
            NextAuthSchema::COMPOUND_ID,
            true,
        ),
        SeedIndex(
            "providerAccountId",
            SeedTable::Accounts,
            NextAuthSchema::PROVIDER_ACCOUNT_ID,
            false,
        ),
        SeedIndex("providerId", SeedTable::Accounts, "provider_id", false),
        SeedIndex("userId", SeedTable::Accounts, "user_id", false),
        SeedIndex(
            "UQ_f10db2949bbea55b44f31108e1a",
            SeedTable::Sessions,
            NextAuthSchema::SESSION_TOKEN,
            true,
        ),
        SeedIndex(
            "UQ_b02a7acc05fe8194bed8433cf25",
            SeedTable::Sessions,
            NextAuthSchema::ACCESS_TOKEN,
            true,
        ),
        SeedIndex(
            "UQ_97672ac88f789774dd47f7c8be3",
            SeedTable::Users,
            "email",
            true,
        ),
        SeedIndex(
            "UQ_77287cef70a4627091ae6d19c4d",
            SeedTable::Verification,
            "token",
            true,
        ),
    ],
    primary_keys: Some([
        "PK_a3ffb1c0c8416b9fc6f907b7433",
        "PK_5a7a02c20412299d198e097a8fe",
        "PK_3238ef96f18b355b671619111bc",
        "PK_c5d405ea25e8abd5b0b096a4f6f",
    ]),
};

impl Shape {
    /// Instants, or wall-clock times in a configured zone (v2 beta).
    pub(crate) fn times(&self) -> Times {
        match self.schema.wall_clock_times {
            true => Times::WallClock,
            false => Times::Instants,
        }
    }

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
        for table in self.schema.tables_children_first() {
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
        let times = self.times();
        let names = self.schema;
        let required = |name: &'static str| string(db, name, self.string_len).not_null().to_owned();
        let optional = |name: &'static str| string(db, name, self.string_len).null().to_owned();
        let image = match self.image_is_text {
            true => ColumnDef::new(Users::Image).text().null().to_owned(),
            false => optional("image"),
        };
        let row_clocks = |table: TableCreateStatement| {
            let mut table = table;
            table
                .col(times.row_clock(db, names.created))
                .col(times.row_clock(db, names.updated));
            table
        };
        let primary_keys = self
            .primary_keys
            .filter(|_| db == DatabaseBackend::Postgres);
        // A table with its `id` column: a serial primary key, named as the
        // seed names it where it does.
        let table = |name: DynIden, which: usize| {
            let mut table = Table::create();
            table.table(name);
            match primary_keys {
                Some(names) => {
                    table
                        .col(serial(db, "id"))
                        .primary_key(Index::create().name(names[which]).col("id"));
                }
                None => {
                    table.col(id(db, "id"));
                }
            }
            table
        };
        let [mut accounts_fk, mut sessions_fk] = foreign_keys().map(|(_, fk)| fk);
        [
            row_clocks(
                table(USERS.into_iden(), 0)
                    .col(optional("name"))
                    .col(optional("email"))
                    .col(times.column(db, Users::EmailVerified).null())
                    .col(image)
                    .to_owned(),
            ),
            row_clocks(
                table(ACCOUNTS.into_iden(), 1)
                    .col(required(NextAuthSchema::COMPOUND_ID))
                    .col(ColumnDef::new(Accounts::UserId).integer().not_null())
                    .col(required(names.provider_type))
                    .col(required(names.provider_id))
                    .col(required(NextAuthSchema::PROVIDER_ACCOUNT_ID))
                    .col(ColumnDef::new(Accounts::RefreshToken).text().null())
                    .col(ColumnDef::new(Accounts::AccessToken).text().null())
                    .col(times.column(db, Accounts::AccessTokenExpires).null())
                    .to_owned(),
            )
            .foreign_key(&mut accounts_fk)
            .to_owned(),
            row_clocks(
                table(SESSIONS.into_iden(), 2)
                    .col(ColumnDef::new(Sessions::UserId).integer().not_null())
                    .col(times.column(db, Sessions::Expires).not_null())
                    .col(required(NextAuthSchema::SESSION_TOKEN))
                    .col(required(NextAuthSchema::ACCESS_TOKEN))
                    .to_owned(),
            )
            .foreign_key(&mut sessions_fk)
            .to_owned(),
            row_clocks(
                table(names.verification.into_iden(), 3)
                    .col(required(names.identifier))
                    .col(required("token"))
                    .col(times.column(db, Verification::Expires).not_null())
                    .to_owned(),
            ),
        ]
    }

    /// The seed's indexes, with the seed's names, and ours.
    fn indexes(&self) -> Vec<IndexCreateStatement> {
        let mut indexes: Vec<_> = self
            .indexes
            .iter()
            .map(|&SeedIndex(name, table, column, unique)| {
                let table = table.name(self.schema);
                let mut index = index(name, table.into_iden(), column.into_iden());
                if unique {
                    index.unique();
                }
                index
            })
            .collect();
        indexes.push(sessions_user_id_index());
        indexes
    }

    /// The columns lookups compare, per table (see [`exact`]).
    pub(crate) fn compared_columns(&self) -> [(&'static str, Vec<&'static str>); 4] {
        [
            (USERS, vec!["email"]),
            (
                ACCOUNTS,
                vec![
                    NextAuthSchema::COMPOUND_ID,
                    self.schema.provider_id,
                    NextAuthSchema::PROVIDER_ACCOUNT_ID,
                    NextAuthSchema::REFRESH_TOKEN,
                    NextAuthSchema::ACCESS_TOKEN,
                ],
            ),
            (
                SESSIONS,
                vec![NextAuthSchema::SESSION_TOKEN, NextAuthSchema::ACCESS_TOKEN],
            ),
            (
                self.schema.verification,
                vec![self.schema.identifier, "token"],
            ),
        ]
    }
}

/// The migration that creates a shape's tables, or adopts the ones next-auth
/// made. Each profile lists it under its own, never-changing name.
pub(crate) struct CreateTables {
    pub(crate) name: &'static str,
    pub(crate) shape: &'static Shape,
}

crate::named_by_field!(CreateTables);

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

crate::named_by_field!(ExactComparison);

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

/// Our index on `sessions.user_id`; also added when adopting.
pub(crate) fn sessions_user_id_index() -> IndexCreateStatement {
    index(
        "sessions_user_id",
        SESSIONS.into_iden(),
        Sessions::UserId.into_iden(),
    )
}

/// Our foreign keys, by name; also added when adopting.
pub(crate) fn foreign_keys() -> [(&'static str, ForeignKeyCreateStatement); 2] {
    [
        (
            "fk_accounts_user_id",
            cascade_to_user("fk_accounts_user_id", ACCOUNTS, Accounts::UserId),
        ),
        (
            "fk_sessions_user_id",
            cascade_to_user("fk_sessions_user_id", SESSIONS, Sessions::UserId),
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
        .to(USERS, Users::Id)
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
    Id,
    EmailVerified,
    Image,
}

#[derive(DeriveIden)]
enum Accounts {
    UserId,
    RefreshToken,
    AccessToken,
    AccessTokenExpires,
}

#[derive(DeriveIden)]
enum Sessions {
    UserId,
    Expires,
}

/// The verification table's columns; its name is the shape's.
#[derive(DeriveIden)]
enum Verification {
    Expires,
}
