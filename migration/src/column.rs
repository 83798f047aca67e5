//! The column types that differ between backends, in one place.
//!
//! next-auth v3's TypeORM adapter typed the same schema differently per
//! database, and a database shared with it must keep those types:
//!
//! | column kind | PostgreSQL    | MySQL / MariaDB                       | SQLite                    |
//! |-------------|---------------|---------------------------------------|---------------------------|
//! | id          | `serial`      | `int AUTO_INCREMENT`                  | `integer AUTOINCREMENT`   |
//! | timestamp   | `timestamptz` | `timestamp(6)`                        | `datetime`                |
//! | row clock   | `DEFAULT CURRENT_TIMESTAMP` | `DEFAULT CURRENT_TIMESTAMP(6)` | `DEFAULT CURRENT_TIMESTAMP` |
//!
//! SeaQuery's portable helpers do not give these: `pk_auto` is an IDENTITY
//! column on PostgreSQL (the seed uses SERIAL), `timestamp_with_time_zone` is
//! plain `timestamp` on MySQL (no fractional seconds) and a `*_text` type name
//! on SQLite.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// An auto-incrementing integer primary key, as `SERIAL` is on PostgreSQL.
pub fn id(backend: DatabaseBackend, name: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(name);
    match backend {
        // `serial` is `integer DEFAULT nextval('<table>_<col>_seq')`, which is
        // what the seed's `information_schema` shows; IDENTITY would differ.
        DatabaseBackend::Postgres => def.custom("serial"),
        _ => def.integer().auto_increment(),
    };
    def.not_null().primary_key();
    def
}

/// A point in time, stored in UTC. Nullable unless the caller adds `not_null`.
pub fn timestamp(backend: DatabaseBackend, name: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(name);
    match backend {
        DatabaseBackend::Postgres => def.timestamp_with_time_zone(),
        // Microseconds, as next-auth's MySQL schema; plain `timestamp` would
        // truncate to whole seconds.
        DatabaseBackend::MySql => def.custom("timestamp(6)"),
        DatabaseBackend::Sqlite => def.custom("datetime"),
        // DatabaseBackend is non-exhaustive; any future backend gets the
        // portable type rather than a compile error.
        _ => def.timestamp_with_time_zone(),
    };
    def
}

/// `created_at` / `updated_at`: NOT NULL and filled by the database when an
/// insert leaves them out, as next-auth's own inserts do.
pub fn row_clock(backend: DatabaseBackend, name: impl IntoIden) -> ColumnDef {
    let now = match backend {
        // MySQL rejects a default less precise than the column.
        DatabaseBackend::MySql => Expr::cust("CURRENT_TIMESTAMP(6)"),
        _ => Expr::current_timestamp(),
    };
    let mut def = timestamp(backend, name);
    def.not_null().default(now);
    def
}

/// The `information_schema.columns.data_type` PostgreSQL reports for a
/// column built by this module or by SeaQuery's plain types, for checking an
/// existing database against the migration's own definitions.
pub(crate) fn postgres_data_type(column_type: Option<&ColumnType>) -> &'static str {
    match column_type {
        Some(ColumnType::Custom(name)) if name.to_string() == "serial" => "integer",
        Some(ColumnType::Integer) => "integer",
        Some(ColumnType::String(_)) => "character varying",
        Some(ColumnType::Text) => "text",
        Some(ColumnType::TimestampWithTimeZone) => "timestamp with time zone",
        other => unreachable!("no PostgreSQL data_type known for {other:?}"),
    }
}
