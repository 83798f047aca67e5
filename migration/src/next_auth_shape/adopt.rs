//! Adopting a database that next-auth created: its four tables with data, no
//! foreign keys, and no sea-orm migration history.
//!
//! The schema migration calls this instead of creating tables. It checks that
//! the tables are the shape's (every column present, with the seed's type on
//! PostgreSQL), refuses if rows would break our foreign keys, and then adds
//! only what is missing: the two foreign keys and the `sessions_user_id`
//! index. It never changes or deletes a row. sea-orm-migration then records
//! the migration as applied, as after a normal `up`.
//!
//! On PostgreSQL the whole migration runs in one transaction, so a refusal
//! leaves nothing behind. SQLite cannot add a foreign key to an existing
//! table, so adoption there is refused.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use super::{Shape, foreign_keys, sessions_user_id_index};
use crate::adopt::{Expected, has_constraint, has_index, query};

/// The shape's tables as adoption checks them.
fn expected<'a>(shape: &'a Shape, tables: &'a [TableCreateStatement]) -> Expected<'a> {
    Expected {
        described_as: shape.schema.described_as,
        tables,
        optional: &[],
        nulls_checked: false,
    }
}

/// Whether next-auth's tables are already there.
pub(crate) async fn found_tables(
    shape: &Shape,
    manager: &SchemaManager<'_>,
) -> Result<bool, DbErr> {
    let tables = shape.tables(DatabaseBackend::Postgres);
    expected(shape, &tables).found(manager).await
}

pub(crate) async fn adopt(shape: &Shape, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    if backend == DatabaseBackend::Sqlite {
        return Err(DbErr::Migration(
            "adopting an existing next-auth database is supported on PostgreSQL and MySQL, not SQLite \
             (SQLite cannot add foreign keys to existing tables)"
                .into(),
        ));
    }
    let tables = shape.tables(DatabaseBackend::Postgres);
    expected(shape, &tables).check_columns(manager).await?;
    refuse_orphans(manager).await?;
    for (name, foreign_key) in foreign_keys() {
        if !has_constraint(manager, name).await? {
            manager.create_foreign_key(foreign_key).await?;
        }
    }
    let index = sessions_user_id_index();
    if !has_index(manager, "sessions", "sessions_user_id").await? {
        manager.create_index(index).await?;
    }
    Ok(())
}

/// Rows whose user is gone would make `ADD FOREIGN KEY` fail. Name them and
/// stop: deleting someone's data is the operator's decision, not ours.
async fn refuse_orphans(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut orphans = Vec::new();
    for table in ["accounts", "sessions"] {
        let sql = format!(
            "SELECT id FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id) ORDER BY id"
        );
        let rows = query(manager, &sql).await?;
        let ids: Vec<String> = rows
            .iter()
            .map(|row| row.try_get::<i32>("", "id").map(|id| id.to_string()))
            .collect::<Result<_, _>>()?;
        if !ids.is_empty() {
            orphans.push(format!(
                "{table} rows with id {} (user_id points to no user)",
                ids.join(", ")
            ));
        }
    }
    if orphans.is_empty() {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "cannot add foreign keys while orphan rows exist: {}. Delete or reassign them, then run the migration again; \
         nothing was changed",
        orphans.join("; ")
    )))
}
