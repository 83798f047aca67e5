//! Exact comparison of emails, identifiers and tokens on MySQL/MariaDB.
//!
//! A MySQL table takes the database's default collation, and the usual
//! defaults (`utf8mb4_general_ci`, `utf8mb4_unicode_ci`, `utf8mb4_0900_ai_ci`)
//! ignore case and accents: `alice@exämple.com` would then equal
//! `alice@example.com`, and a sign-in link requested for the look-alike would
//! open Alice's account. The exact-comparison migrations give every column
//! that authstore looks rows up by the binary collation [`EXACT`], so they
//! compare byte for byte, as PostgreSQL and SQLite compare them already.
//!
//! Only the collation changes: each column keeps the type and nullability it
//! has (read from `information_schema`), so a database next-auth created and
//! authstore adopted is fixed the same way. MySQL rebuilds the table to do
//! it, which takes a lock proportional to its size.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use super::Shape;

/// The collation that compares bytes.
pub(crate) const EXACT: &str = "utf8mb4_bin";

/// Sets `collation` (or, with `None`, each table's default) on the columns
/// `shape` compares. A no-op on PostgreSQL and SQLite.
pub(crate) async fn set_collation(
    shape: &Shape,
    manager: &SchemaManager<'_>,
    collation: Option<&str>,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::MySql {
        return Ok(());
    }
    let db = manager.get_connection();
    for (table, columns) in shape.compared_columns() {
        let mut changes = Vec::new();
        for column in columns {
            let (column_type, nullable) = column_definition(manager, table, column).await?;
            let collate = match collation {
                Some(collation) => format!(" CHARACTER SET utf8mb4 COLLATE {collation}"),
                None => String::new(),
            };
            let null = if nullable { "NULL" } else { "NOT NULL" };
            changes.push(format!("MODIFY `{column}` {column_type}{collate} {null}"));
        }
        db.execute_unprepared(&format!("ALTER TABLE `{table}` {}", changes.join(", ")))
            .await?;
    }
    Ok(())
}

/// The column's full type (`varchar(255)`, `text`) and whether it is nullable.
async fn column_definition(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<(String, bool), DbErr> {
    let query = Statement::from_sql_and_values(
        DatabaseBackend::MySql,
        "SELECT column_type AS column_type, is_nullable AS is_nullable \
         FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?",
        [table.into(), column.into()],
    );
    let row = manager
        .get_connection()
        .query_one_raw(query)
        .await?
        .ok_or_else(|| DbErr::Migration(format!("column {table}.{column} is missing")))?;
    let column_type: String = row.try_get("", "column_type")?;
    let nullable: String = row.try_get("", "is_nullable")?;
    Ok((column_type, nullable == "YES"))
}
