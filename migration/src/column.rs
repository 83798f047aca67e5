//! The column types that differ between backends, in one place.
//!
//! next-auth v3's TypeORM adapter typed the same schema differently per
//! database, and a database shared with it must keep those types:
//!
//! | column kind | PostgreSQL    | MySQL / MariaDB                       | SQLite                    |
//! |-------------|---------------|---------------------------------------|---------------------------|
//! | id          | `serial`      | `int AUTO_INCREMENT`                  | `integer AUTOINCREMENT`   |
//! | instant     | `timestamptz` | `timestamp(6)`                        | `datetime`                |
//! | wall clock  | `timestamp`   | `datetime(6)`                         | `datetime`                |
//! | row clock   | `DEFAULT CURRENT_TIMESTAMP` (`now()` for wall clocks) | `DEFAULT CURRENT_TIMESTAMP(6)` | `DEFAULT CURRENT_TIMESTAMP` |
//! | string      | `varchar(n)` or `varchar` | `varchar(n)`, 255 without one | `varchar(n)` / `varchar` |
//!
//! Wall-clock columns (next-auth 2.0 beta's `timestamp without time zone`)
//! hold a local time with no zone; `datetime(6)` is MySQL's type for exactly
//! that, where `timestamp` would convert through the session's zone.
//!
//! SeaQuery's portable helpers do not give these: `pk_auto` is an IDENTITY
//! column on PostgreSQL (the seed uses SERIAL), `timestamp_with_time_zone` is
//! plain `timestamp` on MySQL (no fractional seconds) and a `*_text` type name
//! on SQLite.

use authstore_entity::descriptor::StoredTime;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// An auto-incrementing integer primary key, as `SERIAL` is on PostgreSQL.
pub fn id(backend: DatabaseBackend, name: impl IntoIden) -> ColumnDef {
    let mut def = serial(backend, name);
    def.primary_key();
    def
}

/// A 64-bit auto-incrementing primary key, for authstore's own tables
/// whose rows come and go (ids are never reused, so 32 bits could run out).
/// SQLite's `integer` is 64-bit, and AUTOINCREMENT needs exactly that type.
pub(crate) fn big_id(backend: DatabaseBackend, name: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(name);
    match backend {
        DatabaseBackend::Postgres => def.custom("bigserial"),
        DatabaseBackend::Sqlite => def.integer().auto_increment(),
        _ => def.big_integer().auto_increment(),
    };
    def.not_null().primary_key();
    def
}

/// An auto-incrementing integer, for a primary key the table declares by
/// name (PostgreSQL only: SQLite's AUTOINCREMENT needs the inline key).
pub(crate) fn serial(backend: DatabaseBackend, name: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(name);
    match backend {
        // `serial` is `integer DEFAULT nextval('<table>_<col>_seq')`, which is
        // what the seed's `information_schema` shows; IDENTITY would differ.
        DatabaseBackend::Postgres => def.custom("serial"),
        _ => def.integer().auto_increment(),
    };
    def.not_null();
    def
}

/// A column holding instants as `stored` says (see
/// [`StoredTime`]: the descriptor decides, this spells the type).
pub(crate) fn stored_time(name: &'static str, stored: StoredTime) -> ColumnDef {
    let mut def = ColumnDef::new(name);
    match stored {
        StoredTime::Instant => def.timestamp_with_time_zone(),
        StoredTime::UtcDateTime => def.custom("datetime"),
        StoredTime::UnixSeconds => def.integer(),
        StoredTime::UnixMillis => def.big_integer(),
    };
    def
}

/// How a schema keeps its times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Times {
    /// Instants: `timestamptz`, stored in UTC.
    Instants,
    /// Wall-clock times with no zone: `timestamp without time zone`.
    WallClock,
}

impl Times {
    /// A time column. Nullable unless the caller adds `not_null`.
    pub(crate) fn column(self, backend: DatabaseBackend, name: impl IntoIden) -> ColumnDef {
        let mut def = ColumnDef::new(name);
        match (self, backend) {
            (Times::Instants, DatabaseBackend::MySql) => {
                // Microseconds, as next-auth's MySQL schema; plain `timestamp`
                // would truncate to whole seconds.
                def.custom("timestamp(6)")
            }
            (Times::WallClock, DatabaseBackend::MySql) => def.custom("datetime(6)"),
            (_, DatabaseBackend::Sqlite) => def.custom("datetime"),
            (Times::WallClock, _) => def.timestamp(),
            // DatabaseBackend is non-exhaustive; any future backend gets the
            // portable type rather than a compile error.
            (Times::Instants, _) => def.timestamp_with_time_zone(),
        };
        def
    }

    /// A row clock (`created_at`, `updated`…): NOT NULL and filled by the
    /// database when an insert leaves it out, as next-auth's own inserts do.
    pub(crate) fn row_clock(self, backend: DatabaseBackend, name: impl IntoIden) -> ColumnDef {
        let now = match (self, backend) {
            // MySQL rejects a default less precise than the column.
            (_, DatabaseBackend::MySql) => Expr::cust("CURRENT_TIMESTAMP(6)"),
            // What TypeORM's `CreateDateColumn` declares; PostgreSQL keeps it
            // as written, and the seed shows it.
            (Times::WallClock, DatabaseBackend::Postgres) => Expr::cust("now()"),
            _ => Expr::current_timestamp(),
        };
        let mut def = self.column(backend, name);
        def.not_null().default(now);
        def
    }
}

/// A string column of `len` characters, or of no declared length where the
/// backend allows it (MySQL needs one: 255).
pub(crate) fn string(backend: DatabaseBackend, name: impl IntoIden, len: Option<u32>) -> ColumnDef {
    let mut def = ColumnDef::new(name);
    match (len, backend) {
        (Some(len), _) => def.string_len(len),
        (None, DatabaseBackend::MySql) => def.string_len(255),
        (None, _) => def.string(),
    };
    def
}

/// A text id (Lucia's user, session and key ids), NOT NULL. MySQL cannot
/// key a `text` column, so it is `varchar(255)` there, with the binary
/// collation: ids are secrets and names, compared byte for byte.
pub(crate) fn text_id(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    let mut def = ColumnDef::new(name);
    match backend {
        // The collation belongs to the type, before NOT NULL.
        DatabaseBackend::MySql => {
            def.custom("varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        }
        _ => def.text(),
    };
    def.not_null();
    def
}

/// `TIMESTAMP(3)`: a time without zone to the millisecond, as Prisma maps
/// a `DateTime` on PostgreSQL.
pub(crate) const TIMESTAMP_MS: &str = "TIMESTAMP(3)";

/// A [`TIMESTAMP_MS`] column.
pub(crate) fn timestamp_ms(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).custom(TIMESTAMP_MS).to_owned()
}

/// The `information_schema.columns.data_type` PostgreSQL reports for a
/// column built by this module or by SeaQuery's plain types, for checking an
/// existing database against the migration's own definitions.
/// The affinity SQLite gives a column of `column_type`, as authstore
/// declares it there.
pub(crate) fn sqlite_affinity(column_type: Option<&ColumnType>) -> &'static str {
    match column_type {
        Some(ColumnType::Integer | ColumnType::BigInteger) => "INTEGER",
        Some(ColumnType::String(_) | ColumnType::Text) => "TEXT",
        _ => "NUMERIC",
    }
}

pub(crate) fn postgres_data_type(column_type: Option<&ColumnType>) -> &'static str {
    match column_type {
        Some(ColumnType::Custom(name)) if name.to_string() == "serial" => "integer",
        Some(ColumnType::Custom(name)) if name.to_string() == TIMESTAMP_MS => {
            "timestamp without time zone"
        }
        Some(ColumnType::Integer) => "integer",
        Some(ColumnType::String(_)) => "character varying",
        Some(ColumnType::Text) => "text",
        Some(ColumnType::BigInteger) => "bigint",
        Some(ColumnType::Boolean) => "boolean",
        Some(ColumnType::TimestampWithTimeZone) => "timestamp with time zone",
        Some(ColumnType::Timestamp) => "timestamp without time zone",
        other => unreachable!("no PostgreSQL data_type known for {other:?}"),
    }
}
