//! Profile `lucia-v1` (seed 003): lucia-auth v1's tables as its PostgreSQL
//! adapter (`@lucia-auth/adapter-postgresql` 1.0.x) documents them:
//! `auth_user`, `auth_session` (active and idle expiries as milliseconds
//! since the epoch) and `auth_key` (`"{provider}:{provider user id}"` keys,
//! with the password hash), plus authstore's indexes on the two `user_id`
//! columns.
//!
//! On MySQL/MariaDB the ids are `varchar(255)` compared byte for byte
//! (`utf8mb4_bin`), as MySQL cannot key a `text` column; the other types are
//! the same on every backend. An existing Lucia v1 database is adopted: the
//! columns are checked, the indexes added, no row changed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::Profile;
use crate::attempts::SignInAttempts;
use crate::column::{stored_time, text_id};
use crate::notify::{LongExpired, SessionNotify, Watched};
use crate::tables::{CreateTables, Down};
use authstore_entity::descriptor::{LUCIA_V1, StoredTime};

const USERS: &str = LUCIA_V1.users;
const SESSIONS: &str = LUCIA_V1.sessions;
const KEYS: &str = LUCIA_V1.keys;

/// This profile's migrations, oldest first (lucia-auth v1's tables, the
/// session cache's triggers, the sign-in attempt limit's table); their
/// names are its own.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CreateTables {
            name: "m20261122_000301_authstore_lucia_v1_schema",
            described_as: "lucia-auth v1's tables",
            tables,
            // "Sign out everywhere" and a user's keys.
            down: Down::Tables,
            only_on: &[],
            indexes: &[(SESSIONS, "user_id"), (KEYS, "user_id")],
            unique_indexes: &[],
            optional_tables: &[],
            earlier_shape: None,
            nulls_checked: false,
        }),
        // The session cache's triggers (PostgreSQL only); keys play no part
        // in a lookup.
        Box::new(SessionNotify {
            name: "m20261123_000302_authstore_lucia_v1_session_notify",
            watched: Watched::lucia(
                "authstore_lucia_v1",
                Profile::LuciaV1,
                (SESSIONS, USERS),
                LongExpired::UnixMillis(LUCIA_V1.idle_expires),
            ),
        }),
        // The sign-in attempt limit's own table.
        Box::new(SignInAttempts {
            name: "m20261203_000303_authstore_lucia_v1_sign_in_attempts",
        }),
    ]
}

crate::profile_migrator!();

/// The three tables on `backend`, users first (the others point to it).
fn tables(backend: DatabaseBackend) -> Vec<TableCreateStatement> {
    let millis = |name: &'static str| stored_time(name, StoredTime::UnixMillis);
    let to_user = |table: &'static str| {
        // Unnamed, as the seed's inline REFERENCES (PostgreSQL names it
        // `<table>_user_id_fkey`); no cascade, as in the seed.
        ForeignKey::create()
            .from(table, "user_id")
            .to(USERS, "id")
            .to_owned()
    };
    vec![
        Table::create()
            .table(USERS)
            .col(text_id(backend, "id").primary_key())
            .to_owned(),
        Table::create()
            .table(SESSIONS)
            .col(text_id(backend, "id").primary_key())
            .col(text_id(backend, "user_id"))
            .col(millis(LUCIA_V1.active_expires).not_null())
            .col(millis(LUCIA_V1.idle_expires).not_null())
            .foreign_key(&mut to_user(SESSIONS))
            .to_owned(),
        Table::create()
            .table(KEYS)
            .col(text_id(backend, "id").primary_key())
            .col(text_id(backend, "user_id"))
            .col(ColumnDef::new(LUCIA_V1.primary_key).boolean().not_null())
            .col(ColumnDef::new(LUCIA_V1.hashed_password).text().null())
            .col(millis("expires").null())
            .foreign_key(&mut to_user(KEYS))
            .to_owned(),
    ]
}
