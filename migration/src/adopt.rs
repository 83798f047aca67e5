//! Adopting a database another system created: the parts every profile
//! shares. A profile's migration finds its tables already there, checks
//! them against its own table definitions (the expected columns are read
//! from the very statements that would create them, so the two cannot
//! disagree), then adds only what it is missing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::column;

/// What a profile's adoption checks: its name for messages, and the tables
/// its migration creates on PostgreSQL.
pub(crate) struct Expected<'a> {
    /// "next-auth v3's TypeORM schema".
    pub(crate) described_as: &'a str,
    pub(crate) tables: &'a [TableCreateStatement],
}

impl Expected<'_> {
    /// Each table with its columns and their PostgreSQL `data_type`.
    fn columns(&self) -> Vec<(String, Vec<(String, &'static str)>)> {
        self.tables
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

    /// Whether the tables are already there. Some but not all of them is an
    /// error: that database is neither empty nor the system's.
    pub(crate) async fn found(&self, manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
        let expected = self.columns();
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
                "found only some of the tables of {} ({}); expected none (a new database) or all {} (adoption)",
                self.described_as,
                present.join(", "),
                expected.len()
            ))),
        }
    }

    /// Every column is there, with the seed's type on PostgreSQL.
    pub(crate) async fn check_columns(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let mut problems = Vec::new();
        for (table, expected) in self.columns() {
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
            self.described_as,
            problems.join("; ")
        )))
    }
}

/// `(column, data_type)` of a table in the current schema; empty if absent.
pub(crate) async fn columns(
    manager: &SchemaManager<'_>,
    table: &str,
) -> Result<Vec<(String, String)>, DbErr> {
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

pub(crate) async fn has_constraint(manager: &SchemaManager<'_>, name: &str) -> Result<bool, DbErr> {
    let sql = format!(
        "SELECT constraint_name FROM information_schema.table_constraints \
         WHERE constraint_type = 'FOREIGN KEY' AND constraint_name = '{name}' AND table_schema = {}",
        current_schema(manager)
    );
    Ok(!query(manager, &sql).await?.is_empty())
}

pub(crate) async fn has_index(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<bool, DbErr> {
    let sql = match manager.get_database_backend() {
        DatabaseBackend::Sqlite => format!(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' AND name = '{name}'"
        ),
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

pub(crate) async fn query(
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
