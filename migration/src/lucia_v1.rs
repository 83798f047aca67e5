//! Profile `lucia-v1` (seed 003): lucia-auth v1's tables as its PostgreSQL
//! adapter (`@lucia-auth/adapter-postgresql` 1.0.x) documents them:
//! `auth_user`, `auth_session` (active and idle expiries as milliseconds
//! since the epoch) and `auth_key` (`"{provider}:{provider user id}"` keys,
//! with the password hash), plus authstore's indexes on the two `user_id`
//! columns.
//!
//! On MySQL/MariaDB the ids are `varchar(255)` compared byte for byte
//! (`utf8mb4_bin`), as MySQL cannot key a `text` column; the other types are
//! the same on every backend. An existing Lucia v1 database is adopted: the
//! columns are checked, the indexes added, no row changed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::adopt::{Expected, has_index};
use crate::column::text_id;

const USERS: &str = "auth_user";
const SESSIONS: &str = "auth_session";
const KEYS: &str = "auth_key";

/// This profile's migrations, oldest first; their names are its own.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateTables)]
}

/// A migrator that runs this profile's migrations alone.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        migrations()
    }
}

struct CreateTables;

impl MigrationName for CreateTables {
    fn name(&self) -> &str {
        "m20261122_000301_authstore_lucia_v1_schema"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = tables(DatabaseBackend::Postgres);
        let expected = Expected {
            described_as: "lucia-auth v1's tables",
            tables: &tables,
        };
        if expected.found(manager).await? {
            expected.check_columns(manager).await?;
            for (table, index) in user_id_indexes() {
                let name = index
                    .get_index_spec()
                    .get_name()
                    .unwrap_or_default()
                    .to_owned();
                if !has_index(manager, table, &name).await? {
                    manager.create_index(index).await?;
                }
            }
            return Ok(());
        }
        for table in self::tables(manager.get_database_backend()) {
            manager.create_table(table).await?;
        }
        for (_, index) in user_id_indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [KEYS, SESSIONS, USERS] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The three tables on `backend`, users first (the others point to it).
fn tables(backend: DatabaseBackend) -> [TableCreateStatement; 3] {
    let millis = |name: &'static str| ColumnDef::new(name).big_integer().to_owned();
    let to_user = |table: &'static str| {
        // Unnamed, as the seed's inline REFERENCES (PostgreSQL names it
        // `<table>_user_id_fkey`); no cascade, as in the seed.
        ForeignKey::create()
            .from(table, "user_id")
            .to(USERS, "id")
            .to_owned()
    };
    [
        Table::create()
            .table(USERS)
            .col(text_id(backend, "id").primary_key())
            .to_owned(),
        Table::create()
            .table(SESSIONS)
            .col(text_id(backend, "id").primary_key())
            .col(text_id(backend, "user_id"))
            .col(millis("active_expires").not_null())
            .col(millis("idle_expires").not_null())
            .foreign_key(&mut to_user(SESSIONS))
            .to_owned(),
        Table::create()
            .table(KEYS)
            .col(text_id(backend, "id").primary_key())
            .col(text_id(backend, "user_id"))
            .col(ColumnDef::new("primary_key").boolean().not_null())
            .col(ColumnDef::new("hashed_password").text().null())
            .col(millis("expires").null())
            .foreign_key(&mut to_user(KEYS))
            .to_owned(),
    ]
}

/// Our indexes on the `user_id` columns ("sign out everywhere", a user's
/// keys), by table.
fn user_id_indexes() -> [(&'static str, IndexCreateStatement); 2] {
    [SESSIONS, KEYS].map(|table| {
        let index = Index::create()
            .name(format!("{table}_user_id"))
            .table(table)
            .col("user_id")
            .to_owned();
        (table, index)
    })
}
