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
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use super::{Shape, foreign_keys, sessions_user_id_index};
use crate::column;

/// The shape's tables: each column with its PostgreSQL `data_type`, read from
/// the definitions the migration creates the tables with, so the two can
/// never disagree.
fn expected_tables(shape: &Shape) -> Vec<(String, Vec<(String, &'static str)>)> {
    shape
        .tables(DatabaseBackend::Postgres)
        .iter()
        .map(|table| {
            let name = match table.get_table_name() {
                Some(TableRef::Table(TableName(_, name), _)) => name.to_string(),
                other => unreachable!("the migration names every table: {other:?}"),
            };
            let columns = table
                .get_columns()
                .iter()
                .map(|column| {
                    let data_type = column::postgres_data_type(column.get_column_type());
                    (column.get_column_name(), data_type)
                })
                .collect();
            (name, columns)
        })
        .collect()
}

/// Whether next-auth's tables are already there. Some but not all of them is
/// an error: that database is neither empty nor next-auth's.
pub(crate) async fn found_tables(
    shape: &Shape,
    manager: &SchemaManager<'_>,
) -> Result<bool, DbErr> {
    let expected = expected_tables(shape);
    let mut present = Vec::new();
    for (table, _) in &expected {
        if !columns(manager, table).await?.is_empty() {
            present.push(table.as_str());
        }
    }
    match present.len() {
        0 => Ok(false),
        n if n == expected.len() => Ok(true),
        _ => Err(DbErr::Migration(format!(
            "found only some of next-auth's tables ({}); expected none (a new database) or all four (adoption)",
            present.join(", ")
        ))),
    }
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
    check_columns(shape, manager).await?;
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

/// Every column of the shape is there, with the seed's type on PostgreSQL.
async fn check_columns(shape: &Shape, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut problems = Vec::new();
    for (table, expected) in expected_tables(shape) {
        let actual = columns(manager, &table).await?;
        for (column, data_type) in expected {
            match actual.iter().find(|(name, _)| *name == column) {
                None => problems.push(format!("{table}.{column} is missing")),
                Some((_, found))
                    if manager.get_database_backend() == DatabaseBackend::Postgres
                        && found != data_type =>
                {
                    problems.push(format!("{table}.{column} is {found}, expected {data_type}"))
                }
                Some(_) => {}
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "the existing tables are not {}: {}",
        shape.described_as,
        problems.join("; ")
    )))
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

/// `(column, data_type)` of a table in the current schema; empty if absent.
async fn columns(manager: &SchemaManager<'_>, table: &str) -> Result<Vec<(String, String)>, DbErr> {
    let backend = manager.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Sqlite => format!(
            "SELECT name AS column_name, type AS data_type FROM pragma_table_info('{table}')"
        ),
        DatabaseBackend::MySql => format!(
            "SELECT column_name AS column_name, data_type AS data_type FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = '{table}'"
        ),
        _ => format!(
            "SELECT column_name::text AS column_name, data_type::text AS data_type FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '{table}'"
        ),
    };
    query(manager, &sql)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<String>("", "column_name")?,
                row.try_get::<String>("", "data_type")?,
            ))
        })
        .collect()
}

async fn has_constraint(manager: &SchemaManager<'_>, name: &str) -> Result<bool, DbErr> {
    let sql = format!(
        "SELECT constraint_name FROM information_schema.table_constraints \
         WHERE constraint_type = 'FOREIGN KEY' AND constraint_name = '{name}' AND table_schema = {}",
        current_schema(manager)
    );
    Ok(!query(manager, &sql).await?.is_empty())
}

async fn has_index(manager: &SchemaManager<'_>, table: &str, name: &str) -> Result<bool, DbErr> {
    let sql = match manager.get_database_backend() {
        DatabaseBackend::MySql => format!(
            "SELECT index_name FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = '{table}' AND index_name = '{name}'"
        ),
        _ => format!(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname = '{name}'"
        ),
    };
    Ok(!query(manager, &sql).await?.is_empty())
}

fn current_schema(manager: &SchemaManager<'_>) -> &'static str {
    match manager.get_database_backend() {
        DatabaseBackend::MySql => "DATABASE()",
        _ => "current_schema()",
    }
}

async fn query(
    manager: &SchemaManager<'_>,
    sql: &str,
) -> Result<Vec<sea_orm_migration::sea_orm::QueryResult>, DbErr> {
    let db = manager.get_connection();
    db.query_all_raw(Statement::from_string(
        manager.get_database_backend(),
        sql.to_owned(),
    ))
    .await
}
