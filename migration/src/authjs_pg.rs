//! Profile `authjs-pg`: the tables of `@auth/pg-adapter` 1.11's
//! `schema.sql`, which next-auth 4.24 and Auth.js v5 apps on PostgreSQL
//! share, column for column (`serial` ids, `varchar(255)` and `text`,
//! `timestamptz`, `expires_at` a `bigint` of epoch seconds), in the order the
//! file creates them.
//!
//! The file declares no unique and no foreign key, and adopting a database
//! that has some (an older `schema.sql` had them) changes nothing: authstore
//! keeps one user to a mailbox and to a provider account by its own writes,
//! under a lock, instead (and its session tokens are random UUIDs). The
//! migration adds only non-unique indexes, so that a session lookup, a
//! user by address and a user's sessions and accounts are no table scans,
//! and the session cache's triggers: nothing an app's write can trip over.
//! Rolling it back removes those and never the tables, which hold the app's
//! users whoever laid them down. PostgreSQL only, as the adapter.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::Profile;
use crate::column::{serial, string};
use crate::notify::{LongExpired, SessionNotify, Watched};
use crate::tables::{CreateTables, Down};
use authstore_entity::descriptor::{AUTHJS_PG, AuthJsSchema};

const USERS: &str = AUTHJS_PG.users;
const ACCOUNTS: &str = AUTHJS_PG.accounts;
const SESSIONS: &str = AUTHJS_PG.sessions;
const VERIFICATION: &str = AUTHJS_PG.verification;
const USER_ID: &str = AuthJsSchema::USER_ID;

/// This profile's migrations, oldest first (the adapter's tables, then the
/// session cache's triggers).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CreateTables {
            name: "m20261207_000701_authstore_authjs_pg_schema",
            described_as: "@auth/pg-adapter's tables",
            tables,
            down: Down::OurIndexes,
            only_on: &[DatabaseBackend::Postgres],
            indexes: &[
                (SESSIONS, AuthJsSchema::SESSION_TOKEN),
                (SESSIONS, USER_ID),
                (ACCOUNTS, USER_ID),
                (USERS, "email"),
                (ACCOUNTS, AuthJsSchema::PROVIDER_ACCOUNT_ID),
            ],
            unique_indexes: &[],
            optional_tables: &[],
            earlier_shape: None,
            nulls_checked: true,
        }),
        Box::new(SessionNotify {
            name: "m20261207_000702_authstore_authjs_pg_session_notify",
            watched: Watched {
                functions: "authstore_authjs_pg",
                channels: Profile::AuthJsPg.notify_channels(),
                sessions: SESSIONS,
                token: AuthJsSchema::SESSION_TOKEN,
                long_expired: LongExpired::Instant("expires"),
                users: USERS,
                // A lookup returns the user's columns.
                user_events: "UPDATE OR DELETE",
            },
        }),
    ]
}

crate::profile_migrator!();

/// `varchar(255)`.
fn short_text(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    string(backend, name, Some(255))
}

/// The four tables as `schema.sql` creates them; none points at another.
fn tables(backend: DatabaseBackend) -> Vec<TableCreateStatement> {
    let id = || serial(backend, "id").primary_key().to_owned();
    let instant = |name: &'static str| ColumnDef::new(name).timestamp_with_time_zone().to_owned();
    let text = |name: &'static str| ColumnDef::new(name).text().to_owned();
    vec![
        Table::create()
            .table(VERIFICATION)
            .col(text("identifier").not_null())
            .col(instant("expires").not_null())
            .col(text("token").not_null())
            .primary_key(Index::create().col("identifier").col("token"))
            .to_owned(),
        Table::create()
            .table(ACCOUNTS)
            .col(id())
            .col(ColumnDef::new(USER_ID).integer().not_null())
            .col(short_text(backend, AuthJsSchema::TYPE).not_null())
            .col(short_text(backend, AuthJsSchema::PROVIDER).not_null())
            .col(short_text(backend, AuthJsSchema::PROVIDER_ACCOUNT_ID).not_null())
            .col(text(AuthJsSchema::REFRESH_TOKEN))
            .col(text(AuthJsSchema::ACCESS_TOKEN))
            .col(ColumnDef::new(AuthJsSchema::EXPIRES_AT).big_integer())
            .col(text(AuthJsSchema::ID_TOKEN))
            .col(text(AuthJsSchema::SCOPE))
            .col(text(AuthJsSchema::SESSION_STATE))
            .col(text(AuthJsSchema::TOKEN_TYPE))
            .to_owned(),
        Table::create()
            .table(SESSIONS)
            .col(id())
            .col(ColumnDef::new(USER_ID).integer().not_null())
            .col(instant("expires").not_null())
            .col(short_text(backend, AuthJsSchema::SESSION_TOKEN).not_null())
            .to_owned(),
        Table::create()
            .table(USERS)
            .col(id())
            .col(short_text(backend, "name"))
            .col(short_text(backend, "email"))
            .col(instant(AuthJsSchema::EMAIL_VERIFIED))
            .col(text("image"))
            .to_owned(),
    ]
}
