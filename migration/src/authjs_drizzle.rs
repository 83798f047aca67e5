//! Profile `authjs-drizzle`: the default PostgreSQL tables of
//! `@auth/drizzle-adapter` 1.11 (its `defineTables`), as `drizzle-kit`
//! generates them from that schema: column for column, with its constraint
//! names (`user_email_unique`, `account_provider_providerAccountId_pk`,
//! `account_userId_user_id_fk`, …), so a database either side laid down is
//! the same database (`tests/tests/authjs_drizzle_schema.rs` compares the
//! two).
//!
//! Adopting a database the app made changes nothing of its tables, and
//! needs none of the composite primary keys: the adapter's docs once wrapped
//! them so that Drizzle silently made none, and such databases are in use.
//! authstore keeps one account per provider account by its own writes,
//! under a lock, either way. The migration adds non-unique indexes (a user's
//! sessions and accounts, an account by its provider id) and the session
//! cache's triggers; rolling it back removes those and never the tables.
//! On PostgreSQL and SQLite (the adapter's `lib/sqlite.js` tables, times in
//! `integer` milliseconds); its MySQL tables are not served yet.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::Profile;
use crate::authjs_text_tables::{account_columns, authenticator_columns, verification_columns};
use crate::notify::{LongExpired, SessionNotify, Watched};
use crate::tables::{CreateTables, Down};
use authstore_entity::descriptor::{AUTHJS_DRIZZLE, AuthJsSchema};

const USERS: &str = AUTHJS_DRIZZLE.users;
const ACCOUNTS: &str = AUTHJS_DRIZZLE.accounts;
const SESSIONS: &str = AUTHJS_DRIZZLE.sessions;
const VERIFICATION: &str = AUTHJS_DRIZZLE.verification;
const AUTHENTICATORS: &str = match AUTHJS_DRIZZLE.authenticators {
    Some(table) => table,
    None => panic!("the Drizzle adapter has an authenticator table"),
};
const USER_ID: &str = AuthJsSchema::USER_ID;
const PROVIDER_ACCOUNT_ID: &str = AuthJsSchema::PROVIDER_ACCOUNT_ID;

/// This profile's migrations, oldest first (the adapter's tables, then the
/// session cache's triggers).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CreateTables {
            name: "m20261207_000801_authstore_authjs_drizzle_schema",
            described_as: AUTHJS_DRIZZLE.described_as,
            tables,
            down: Down::OurIndexes,
            only_on: &[DatabaseBackend::Postgres, DatabaseBackend::Sqlite],
            indexes: &[
                (SESSIONS, USER_ID),
                (ACCOUNTS, USER_ID),
                (ACCOUNTS, PROVIDER_ACCOUNT_ID),
            ],
            unique_indexes: &[],
            optional_tables: &[AUTHENTICATORS],
            earlier_shape: None,
            nulls_checked: true,
        }),
        Box::new(SessionNotify {
            name: "m20261207_000802_authstore_authjs_drizzle_session_notify",
            watched: Watched {
                functions: "authstore_authjs_drizzle",
                channels: Profile::AuthJsDrizzle.notify_channels(),
                sessions: SESSIONS,
                token: AuthJsSchema::SESSION_TOKEN,
                long_expired: LongExpired::UtcWallClock("expires"),
                users: USERS,
                // A lookup returns the user's columns.
                user_events: "UPDATE OR DELETE",
            },
        }),
    ]
}

crate::profile_migrator!();

/// `"{table}_userId_user_id_fk"`: `userId` → `user.id`, deleted with the
/// user, named as drizzle-kit names it.
fn user_key(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("{table}_{USER_ID}_{USERS}_id_fk"))
        .from(table, USER_ID)
        .to(USERS, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::NoAction)
        .to_owned()
}

/// The composite primary key `"{table}_{a}_{b}_pk"`, named as drizzle-kit
/// names it.
fn pair_key(table: &'static str, a: &'static str, b: &'static str) -> IndexCreateStatement {
    Index::create()
        .name(format!("{table}_{a}_{b}_pk"))
        .col(a)
        .col(b)
        .to_owned()
}

/// A column of a kind, by its name.
type Column = fn(&'static str) -> ColumnDef;

/// The five tables as drizzle-kit creates them, each before the tables
/// that point to it: on PostgreSQL from the adapter's `lib/pg.js`, on
/// SQLite from its `lib/sqlite.js`, whose times are `integer` milliseconds
/// and whose flag is an `integer` (SQLite names no unique constraint, so
/// the two unique keys there are unnamed ones rather than drizzle-kit's
/// named unique indexes, keeping the same rows apart).
fn tables(backend: DatabaseBackend) -> Vec<TableCreateStatement> {
    let text = |name: &'static str| ColumnDef::new(name).text().to_owned();
    let integer: Column = |name| ColumnDef::new(name).integer().to_owned();
    let (time, flag): (Column, Column) = match backend {
        DatabaseBackend::Sqlite => (integer, integer),
        _ => (
            |name| ColumnDef::new(name).timestamp().to_owned(),
            |name| ColumnDef::new(name).boolean().to_owned(),
        ),
    };
    vec![
        Table::create()
            .table(USERS)
            .col(text("id").not_null().primary_key())
            .col(text("name"))
            .col(text("email"))
            .col(time(AuthJsSchema::EMAIL_VERIFIED))
            .col(text("image"))
            .index(
                Index::create()
                    .name(format!("{USERS}_email_unique"))
                    .unique()
                    .col("email"),
            )
            .to_owned(),
        account_columns(Table::create().table(ACCOUNTS))
            .primary_key(&mut pair_key(
                ACCOUNTS,
                AuthJsSchema::PROVIDER,
                PROVIDER_ACCOUNT_ID,
            ))
            .foreign_key(&mut user_key(ACCOUNTS))
            .to_owned(),
        Table::create()
            .table(SESSIONS)
            .col(text(AuthJsSchema::SESSION_TOKEN).not_null().primary_key())
            .col(text(USER_ID).not_null())
            .col(time("expires").not_null())
            .foreign_key(&mut user_key(SESSIONS))
            .to_owned(),
        verification_columns(Table::create().table(VERIFICATION), time)
            .primary_key(&mut pair_key(VERIFICATION, "identifier", "token"))
            .to_owned(),
        authenticator_columns(Table::create().table(AUTHENTICATORS), flag)
            .primary_key(&mut pair_key(
                AUTHENTICATORS,
                USER_ID,
                AuthJsSchema::CREDENTIAL_ID,
            ))
            .index(
                Index::create()
                    .name(format!("{AUTHENTICATORS}_credentialID_unique"))
                    .unique()
                    .col(AuthJsSchema::CREDENTIAL_ID),
            )
            .foreign_key(&mut user_key(AUTHENTICATORS))
            .to_owned(),
    ]
}
