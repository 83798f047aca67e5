//! Profile `authjs-prisma`: the PostgreSQL tables of `@auth/prisma-adapter`
//! 2.11's documented schema (the models `User`, `Account`, `Session`,
//! `VerificationToken` and `Authenticator`, as the Auth.js docs give them),
//! as Prisma maps them: each model's name as its table, `TEXT`,
//! `TIMESTAMP(3)` without time zone, `INTEGER`, and Prisma's constraint
//! names (`User_pkey`, `User_email_key`, `Account_userId_fkey`, …).
//! `prisma migrate` needs an engine that cannot be installed here, so the
//! tables are compared with the DDL that mapping gives
//! (`tests/fixtures/authjs-prisma-schema.sql`), not with Prisma's own run.
//!
//! Ids are CUIDs and `updatedAt` has no default: Prisma's client writes
//! both, and so does authstore. Adopting an app's database changes none of
//! its tables; the migration adds non-unique indexes (a user's sessions and
//! accounts) and the session cache's triggers, and rolling it back removes
//! those and never the tables. PostgreSQL only (the MySQL and SQLite
//! variants of the docs' schema are other tables).
//!
//! Adoption also takes the shape next-auth 4's docs gave the same models
//! (`AUTHJS_PRISMA_V4`: a CUID `id` on `Account` and `Session`, an optional
//! address, no row clocks, `Authenticator` only where the app added it for
//! Auth.js v5's passkeys), told by `Account.id`; it is checked as that
//! shape and never laid down.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::Profile;
use crate::authjs_text_tables::{account_columns, authenticator_columns, verification_columns};
use crate::column::timestamp_ms;
use crate::notify::{LongExpired, SessionNotify, Watched};
use crate::tables::{CreateTables, Down, EarlierShape};
use authstore_entity::descriptor::{AUTHJS_PRISMA, AUTHJS_PRISMA_V4, AuthJsSchema};

const USERS: &str = AUTHJS_PRISMA.users;
const ACCOUNTS: &str = AUTHJS_PRISMA.accounts;
const SESSIONS: &str = AUTHJS_PRISMA.sessions;
const VERIFICATION: &str = AUTHJS_PRISMA.verification;
const AUTHENTICATORS: &str = match AUTHJS_PRISMA.authenticators {
    Some(table) => table,
    None => panic!("the Prisma adapter has an authenticator table"),
};
const USER_ID: &str = AuthJsSchema::USER_ID;
const PROVIDER_ACCOUNT_ID: &str = AuthJsSchema::PROVIDER_ACCOUNT_ID;

/// This profile's migrations, oldest first (the adapter's tables, then the
/// session cache's triggers).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CreateTables {
            name: "m20261207_000901_authstore_authjs_prisma_schema",
            described_as: AUTHJS_PRISMA.described_as,
            tables,
            down: Down::OurIndexes,
            only_on: &[DatabaseBackend::Postgres],
            indexes: &[(SESSIONS, USER_ID), (ACCOUNTS, USER_ID)],
            unique_indexes: &[
                ("User_email_key", USERS, "email"),
                (
                    "Session_sessionToken_key",
                    SESSIONS,
                    AuthJsSchema::SESSION_TOKEN,
                ),
                (
                    "Authenticator_credentialID_key",
                    AUTHENTICATORS,
                    AuthJsSchema::CREDENTIAL_ID,
                ),
            ],
            optional_tables: &[AUTHENTICATORS],
            earlier_shape: Some(EarlierShape {
                described_as: AUTHJS_PRISMA_V4.described_as,
                tables: next_auth_4_tables,
                told_by: (ACCOUNTS, "id"),
                optional_tables: &[AUTHENTICATORS],
            }),
            nulls_checked: true,
        }),
        Box::new(SessionNotify {
            name: "m20261207_000902_authstore_authjs_prisma_session_notify",
            watched: Watched {
                functions: "authstore_authjs_prisma",
                channels: Profile::AuthJsPrisma.notify_channels(),
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

/// `"{table}_userId_fkey"`: `userId` → `User.id`, deleted and updated with
/// the user, as Prisma names and makes a relation with `onDelete: Cascade`.
fn user_key(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("{table}_{USER_ID}_fkey"))
        .from(table, USER_ID)
        .to(USERS, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

/// The primary key `"{table}_pkey"` over `columns`.
fn primary(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut key = Index::create();
    key.name(format!("{table}_pkey"));
    for column in columns {
        key.col(*column);
    }
    key
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().to_owned()
}

/// `DateTime` is `TIMESTAMP(3)`.
fn time(name: &'static str) -> ColumnDef {
    timestamp_ms(name)
}

fn boolean(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).boolean().to_owned()
}

/// The five tables as Prisma maps the models, each before the tables that
/// point to it.
fn tables(_: DatabaseBackend) -> Vec<TableCreateStatement> {
    let created = || {
        time(AuthJsSchema::CREATED_AT)
            .not_null()
            .default(Expr::current_timestamp())
            .to_owned()
    };
    let updated = || time(AuthJsSchema::UPDATED_AT).not_null().to_owned();
    vec![
        Table::create()
            .table(USERS)
            .col(text("id").not_null())
            .col(text("name"))
            .col(text("email").not_null())
            .col(time(AuthJsSchema::EMAIL_VERIFIED))
            .col(text("image"))
            .col(created())
            .col(updated())
            .primary_key(&mut primary(USERS, &["id"]))
            .to_owned(),
        account_columns(Table::create().table(ACCOUNTS))
            .col(created())
            .col(updated())
            .primary_key(&mut primary(
                ACCOUNTS,
                &[AuthJsSchema::PROVIDER, PROVIDER_ACCOUNT_ID],
            ))
            .foreign_key(&mut user_key(ACCOUNTS))
            .to_owned(),
        Table::create()
            .table(SESSIONS)
            .col(text(AuthJsSchema::SESSION_TOKEN).not_null())
            .col(text(USER_ID).not_null())
            .col(time("expires").not_null())
            .col(created())
            .col(updated())
            .foreign_key(&mut user_key(SESSIONS))
            .to_owned(),
        verification_columns(Table::create().table(VERIFICATION), time)
            .primary_key(&mut primary(VERIFICATION, &["identifier", "token"]))
            .to_owned(),
        authenticator_columns(Table::create().table(AUTHENTICATORS), boolean)
            .primary_key(&mut primary(
                AUTHENTICATORS,
                &[USER_ID, AuthJsSchema::CREDENTIAL_ID],
            ))
            .foreign_key(&mut user_key(AUTHENTICATORS))
            .to_owned(),
    ]
}

/// The four tables of next-auth 4's docs' models, as adoption checks them
/// (their unique indexes are the app's, and not looked at), and the
/// `Authenticator` an app that moved on to Auth.js v5's passkeys added.
fn next_auth_4_tables() -> Vec<TableCreateStatement> {
    let id = || text("id").not_null().to_owned();
    vec![
        Table::create()
            .table(USERS)
            .col(id())
            .col(text("name"))
            // Optional in the docs; many apps made it required, which
            // Auth.js's own `createUser` without an address then fails on
            // as authstore's does.
            .col(text("email").not_null())
            .col(time(AuthJsSchema::EMAIL_VERIFIED))
            .col(text("image"))
            .primary_key(&mut primary(USERS, &["id"]))
            .to_owned(),
        account_columns(Table::create().table(ACCOUNTS).col(id()))
            .primary_key(&mut primary(ACCOUNTS, &["id"]))
            .to_owned(),
        Table::create()
            .table(SESSIONS)
            .col(id())
            .col(text(AuthJsSchema::SESSION_TOKEN).not_null())
            .col(text(USER_ID).not_null())
            .col(time("expires").not_null())
            .primary_key(&mut primary(SESSIONS, &["id"]))
            .to_owned(),
        verification_columns(Table::create().table(VERIFICATION), time).to_owned(),
        authenticator_columns(Table::create().table(AUTHENTICATORS), boolean)
            .primary_key(&mut primary(
                AUTHENTICATORS,
                &[USER_ID, AuthJsSchema::CREDENTIAL_ID],
            ))
            .to_owned(),
    ]
}
