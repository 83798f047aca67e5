//! The migration of a profile whose schema is a few tables and indexes (the
//! Lucia profiles, `better-auth`, `authjs-pg`): create them, or adopt them
//! when the other system made them, checking the columns and adding only the
//! missing indexes, with no row changed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::adopt::{Expected, columns, has_index};

/// A profile's tables and our indexes on them, as one migration.
pub(crate) struct CreateTables {
    /// The migration's name, recorded in `seaql_migrations`; never changes.
    pub(crate) name: &'static str,
    /// The system, for messages: "Lucia v3's tables".
    pub(crate) described_as: &'static str,
    /// The tables on a backend, each before the tables that point to it.
    pub(crate) tables: fn(DatabaseBackend) -> Vec<TableCreateStatement>,
    /// Our indexes, as (table, column); each is named `{table}_{column}`.
    pub(crate) indexes: &'static [(&'static str, &'static str)],
    /// The system's own unique indexes made apart from its tables (as
    /// Prisma makes `@unique`), as (name, table, column): laid down with
    /// the tables, never added to an adopted database.
    pub(crate) unique_indexes: &'static [(&'static str, &'static str, &'static str)],
    /// Tables an app may have left out: laid down with the rest, neither
    /// made nor required when adopting (an Auth.js app without passkeys
    /// may have no authenticator table).
    pub(crate) optional_tables: &'static [&'static str],
    /// The tables as an earlier version of the system's docs gave them,
    /// which apps made then still hold: adopted too, never laid down.
    pub(crate) earlier_shape: Option<EarlierShape>,
    /// Whether adoption checks NULLs too ([`Expected::nulls_checked`]).
    pub(crate) nulls_checked: bool,
    /// The backends the system's schema exists for, where it is not on
    /// every one (`@auth/pg-adapter`'s is PostgreSQL's only): on any other
    /// the migration refuses before it writes anything. Empty: every
    /// backend.
    pub(crate) only_on: &'static [DatabaseBackend],
    /// What rolling the migration back removes.
    pub(crate) down: Down,
}

/// An earlier shape of a system's tables ([`CreateTables`]'
/// `earlier_shape`), under the same table names.
pub(crate) struct EarlierShape {
    /// For messages: "…'s schema as next-auth 4's docs gave it".
    pub(crate) described_as: &'static str,
    /// Its tables on PostgreSQL, as adoption checks them.
    pub(crate) tables: fn() -> Vec<TableCreateStatement>,
    /// A `(table, column)` this shape has and the current one has not: how
    /// a database tells which it holds.
    pub(crate) told_by: (&'static str, &'static str),
    /// Tables an app may have left out, as [`CreateTables`]' own.
    pub(crate) optional_tables: &'static [&'static str],
}

/// What [`CreateTables`]' `down` removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Down {
    /// The tables (and so everything in them).
    Tables,
    /// Only our indexes: the tables are the app's, whoever laid them down
    /// (an Auth.js app's users live there), so a rollback of authstore
    /// never takes them.
    OurIndexes,
}

impl CreateTables {
    fn index(table: &'static str, column: &'static str) -> IndexCreateStatement {
        Index::create()
            .name(format!("{table}_{column}"))
            .table(table)
            .col(column)
            .to_owned()
    }

    /// Whether the database's `table` has `column`.
    async fn holds(
        manager: &SchemaManager<'_>,
        (table, column): (&str, &str),
    ) -> Result<bool, DbErr> {
        let columns = columns(manager, table).await?;
        Ok(columns.iter().any(|found| found.name == column))
    }
}

crate::named_by_field!(CreateTables);

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        if !self.only_on.is_empty() && !self.only_on.contains(&backend) {
            return Err(DbErr::Migration(format!(
                "{} exist only on {:?}; this database is {backend:?}",
                self.described_as, self.only_on
            )));
        }
        // The tables as they are on PostgreSQL; where NULLs are checked, as
        // they are on this backend (SQLite's types are checked too).
        let reference = match self.nulls_checked {
            true => (self.tables)(backend),
            false => (self.tables)(DatabaseBackend::Postgres),
        };
        let expected = Expected {
            described_as: self.described_as,
            tables: &reference,
            optional: self.optional_tables,
            nulls_checked: self.nulls_checked,
        };
        let adopting = expected.found(manager).await?;
        if adopting {
            match &self.earlier_shape {
                Some(earlier) if Self::holds(manager, earlier.told_by).await? => {
                    let tables = (earlier.tables)();
                    let expected = Expected {
                        described_as: earlier.described_as,
                        tables: &tables,
                        optional: earlier.optional_tables,
                        nulls_checked: self.nulls_checked,
                    };
                    expected.check_columns(manager).await?;
                }
                _ => expected.check_columns(manager).await?,
            }
        } else {
            for table in (self.tables)(backend) {
                manager.create_table(table).await?;
            }
            for &(name, table, column) in self.unique_indexes {
                let index = Index::create()
                    .name(name)
                    .table(table)
                    .col(column)
                    .unique()
                    .to_owned();
                manager.create_index(index).await?;
            }
        }
        for &(table, column) in self.indexes {
            if !adopting || !has_index(manager, table, &format!("{table}_{column}")).await? {
                manager.create_index(Self::index(table, column)).await?;
            }
        }
        Ok(())
    }

    /// Drops the tables, those pointing to others first, or only our
    /// indexes ([`Down`]).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if self.down == Down::OurIndexes {
            for &(table, column) in self.indexes {
                let index = Index::drop()
                    .name(format!("{table}_{column}"))
                    .table(table)
                    .if_exists()
                    .to_owned();
                manager.drop_index(index).await?;
            }
            return Ok(());
        }
        for table in (self.tables)(manager.get_database_backend()).iter().rev() {
            let name = table
                .get_table_name()
                .expect("every table is named")
                .clone();
            manager
                .drop_table(Table::drop().table(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
