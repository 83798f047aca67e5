//! Adopting a database another system created: the parts every profile
//! shares. A profile's migration finds its tables already there, checks
//! them against its own table definitions (the expected columns are read
//! from the very statements that would create them, so the two cannot
//! disagree), then adds only what it is missing.
//!
//! Where authstore's writes name only the profile's columns (the Auth.js
//! adapters' tables, [`Expected::nulls_checked`]), a table that merely holds
//! them is not enough: a column authstore never writes must take a default
//! or NULL, and a column authstore may leave empty must take NULL, or its
//! first write would fail on the database's constraint instead of being
//! refused here, before any row is written.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::column;

/// What a profile's adoption checks: its name for messages, and the tables
/// its migration creates on PostgreSQL.
pub(crate) struct Expected<'a> {
    /// "next-auth v3's TypeORM schema".
    pub(crate) described_as: &'a str,
    pub(crate) tables: &'a [TableCreateStatement],
    /// Tables an app may have left out (the Auth.js adapters' WebAuthn
    /// `authenticator`, which only a passkey sign-in uses): absent, they
    /// are not made; present, they are checked.
    pub(crate) optional: &'a [&'a str],
    /// Whether NULLs are checked too: true where every write of
    /// authstore's names only the declared columns. Not where the app's
    /// own columns are written as the app gives them (Lucia's user
    /// attributes), nor for the systems whose apps add fields of their own
    /// to tables authstore only reads from or writes the system's columns
    /// of (next-auth's TypeORM schemas, better-auth's `additionalFields`):
    /// adopting those stays as it was.
    pub(crate) nulls_checked: bool,
}

/// A column as the profile's migration declares it.
struct ExpectedColumn {
    name: String,
    /// Its PostgreSQL `data_type`.
    data_type: &'static str,
    /// Its SQLite type affinity.
    affinity: &'static str,
    /// Whether the profile may leave it NULL.
    nullable: bool,
}

impl Expected<'_> {
    /// Each table with its columns.
    fn columns(&self) -> Vec<(String, Vec<ExpectedColumn>)> {
        self.tables
            .iter()
            .map(|table| {
                let name = match table.get_table_name() {
                    Some(TableRef::Table(TableName(_, name), _)) => name.to_string(),
                    other => unreachable!("the migration names every table: {other:?}"),
                };
                let keyed: Vec<String> = table
                    .get_indexes()
                    .iter()
                    .filter(|index| index.is_primary_key())
                    .flat_map(|index| index.get_index_spec().get_column_names())
                    .collect();
                let columns = table
                    .get_columns()
                    .iter()
                    .map(|column| {
                        let spec = column.get_column_spec();
                        let name = column.get_column_name();
                        ExpectedColumn {
                            data_type: column::postgres_data_type(column.get_column_type()),
                            affinity: column::sqlite_affinity(column.get_column_type()),
                            nullable: spec.nullable != Some(false)
                                && !spec.primary_key
                                && !keyed.contains(&name),
                            name,
                        }
                    })
                    .collect();
                (name, columns)
            })
            .collect()
    }

    /// Whether the tables are already there. Some but not all of them (the
    /// optional ones aside) is an error: that database is neither empty
    /// nor the system's.
    pub(crate) async fn found(&self, manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
        let expected = self.columns();
        let required = |table: &str| !self.optional.contains(&table);
        let mut present = Vec::new();
        for (table, _) in expected.iter().filter(|(table, _)| required(table)) {
            if !columns(manager, table).await?.is_empty() {
                present.push(table.as_str());
            }
        }
        let all = expected.iter().filter(|(table, _)| required(table)).count();
        match present.len() {
            0 => Ok(false),
            n if n == all => Ok(true),
            _ => Err(DbErr::Migration(format!(
                "found only some of the tables of {} ({}); expected none (a new database) or all {all} (adoption)",
                self.described_as,
                present.join(", "),
            ))),
        }
    }

    /// Every column is there, with the seed's type on PostgreSQL; no
    /// column authstore does not write is required, and none it may leave
    /// empty refuses NULL. An absent optional table is no problem.
    pub(crate) async fn check_columns(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        // Where NULLs are checked, SQLite's declared types are too, by the
        // affinity they give a column (times the adapter keeps as integers
        // must not be text), and rows must have a `rowid`.
        let sqlite =
            manager.get_database_backend() == DatabaseBackend::Sqlite && self.nulls_checked;
        let mut problems = Vec::new();
        for (table, expected) in self.columns() {
            let actual = columns(manager, &table).await?;
            if actual.is_empty() && self.optional.contains(&table.as_str()) {
                continue;
            }
            if sqlite && without_rowid(manager, &table).await? {
                problems.push(format!(
                    "{table} is WITHOUT ROWID; authstore tells its rows apart by rowid"
                ));
            }
            for column in &expected {
                let name = &column.name;
                match actual.iter().find(|found| found.name == *name) {
                    None => problems.push(format!("{table}.{name} is missing")),
                    Some(found) if postgres && found.data_type != column.data_type => problems
                        .push(format!(
                            "{table}.{name} is {}, expected {}",
                            found.data_type, column.data_type
                        )),
                    Some(found) if sqlite && affinity(&found.data_type) != column.affinity => {
                        problems.push(format!(
                            "{table}.{name} is {}, expected a type of {} affinity",
                            found.data_type, column.affinity
                        ))
                    }
                    Some(found) if self.nulls_checked && found.required && column.nullable => {
                        problems.push(format!(
                            "{table}.{name} is NOT NULL without a default, expected to take NULL"
                        ))
                    }
                    Some(_) => {}
                }
            }
            for found in &actual {
                let declared = expected.iter().any(|column| column.name == found.name);
                if self.nulls_checked && found.required && !declared {
                    problems.push(format!(
                        "{table}.{} is NOT NULL without a default, and authstore never writes it",
                        found.name
                    ));
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

/// The affinity SQLite gives a column declared `declared` (its rules, in
/// order: INT, then CHAR, CLOB or TEXT, then BLOB or none, then REAL, FLOA
/// or DOUB, else NUMERIC).
fn affinity(declared: &str) -> &'static str {
    let declared = declared.to_ascii_uppercase();
    let has = |part: &str| declared.contains(part);
    if has("INT") {
        "INTEGER"
    } else if has("CHAR") || has("CLOB") || has("TEXT") {
        "TEXT"
    } else if has("BLOB") || declared.is_empty() {
        "BLOB"
    } else if has("REAL") || has("FLOA") || has("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

/// Whether the SQLite table is `WITHOUT ROWID`.
async fn without_rowid(manager: &SchemaManager<'_>, table: &str) -> Result<bool, DbErr> {
    let sql = format!("SELECT name FROM pragma_table_list WHERE name = '{table}' AND wr = 1");
    Ok(!query(manager, &sql).await?.is_empty())
}

/// A column of a table the database holds.
pub(crate) struct FoundColumn {
    pub(crate) name: String,
    /// The backend's name for its type.
    data_type: String,
    /// NOT NULL with no default, no generated value and no auto-numbering:
    /// every insert must name it.
    required: bool,
}

/// The columns of a table in the current schema; empty if absent.
pub(crate) async fn columns(
    manager: &SchemaManager<'_>,
    table: &str,
) -> Result<Vec<FoundColumn>, DbErr> {
    let backend = manager.get_database_backend();
    let sql = match backend {
        // A lone `INTEGER PRIMARY KEY` is the rowid: SQLite numbers it. A
        // `DEFAULT NULL` is no default for a NOT NULL column.
        DatabaseBackend::Sqlite => format!(
            "SELECT name AS column_name, type AS data_type, \
             CASE WHEN \"notnull\" = 1 AND (dflt_value IS NULL OR upper(dflt_value) = 'NULL') \
             AND NOT (pk = 1 AND upper(type) = 'INTEGER' \
               AND (SELECT count(*) FROM pragma_table_info('{table}') WHERE pk > 0) = 1) \
             THEN 'YES' ELSE 'NO' END AS required FROM pragma_table_info('{table}')"
        ),
        DatabaseBackend::MySql => format!(
            "SELECT column_name AS column_name, data_type AS data_type, \
             CASE WHEN is_nullable = 'NO' AND column_default IS NULL \
             AND extra NOT LIKE '%auto_increment%' AND extra NOT LIKE '%GENERATED%' \
             THEN 'YES' ELSE 'NO' END AS required FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = '{table}'"
        ),
        _ => format!(
            "SELECT column_name::text AS column_name, data_type::text AS data_type, \
             CASE WHEN is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' \
             AND is_generated = 'NEVER' THEN 'YES' ELSE 'NO' END AS required \
             FROM information_schema.columns \
             WHERE table_schema = {} AND table_name = '{table}'",
            schema_of(table)
        ),
    };
    query(manager, &sql)
        .await?
        .iter()
        .map(|row| {
            Ok(FoundColumn {
                name: row.try_get("", "column_name")?,
                data_type: row.try_get("", "data_type")?,
                required: row.try_get::<String>("", "required")? == "YES",
            })
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
            "SELECT indexname FROM pg_indexes WHERE schemaname = {} AND indexname = '{name}'",
            schema_of(table)
        ),
    };
    Ok(!query(manager, &sql).await?.is_empty())
}

/// PostgreSQL: the schema of `table` as the app's unqualified SQL finds
/// it, the first of the `search_path` that has it, which need not be
/// `current_schema()` (the first that exists: an empty schema named after
/// the role, say), in SQL; `NULL` where none has it.
fn schema_of(table: &str) -> String {
    format!(
        "(SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.oid = to_regclass(quote_ident('{table}')))"
    )
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
