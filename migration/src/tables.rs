//! The migration of a profile whose schema is a few tables and indexes (the
//! Lucia profiles, `better-auth`, `authjs-pg`): create them, or adopt them
//! when the other system made them, checking the columns and adding only the
//! missing indexes, with no row changed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::adopt::{Expected, has_index};

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
    /// The one backend the system's schema exists for, if it has one
    /// (`@auth/pg-adapter`'s is PostgreSQL's): on any other the migration
    /// refuses before it writes anything.
    pub(crate) only_on: Option<DatabaseBackend>,
    /// What rolling the migration back removes.
    pub(crate) down: Down,
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
}

crate::named_by_field!(CreateTables);

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        if let Some(only) = self.only_on.filter(|only| *only != backend) {
            return Err(DbErr::Migration(format!(
                "{} exist only on {only:?}; this database is {backend:?}",
                self.described_as
            )));
        }
        let reference = (self.tables)(DatabaseBackend::Postgres);
        let expected = Expected {
            described_as: self.described_as,
            tables: &reference,
        };
        let adopting = expected.found(manager).await?;
        if adopting {
            expected.check_columns(manager).await?;
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
