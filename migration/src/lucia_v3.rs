//! Profile `lucia-v3` (seed 004): Lucia v3's tables as its PostgreSQL adapter
//! (`@lucia-auth/adapter-postgresql` 3.x) documents them, `auth_user` and
//! `user_session`, plus authstore's index on `user_session.user_id` (so
//! "sign out everywhere" and listing a user's sessions do not scan every
//! session).
//!
//! On the other backends the types are those of Lucia's own adapters there,
//! so a Lucia app on MySQL/MariaDB or SQLite can share the database:
//!
//! | column | PostgreSQL | MySQL / MariaDB | SQLite |
//! |---|---|---|---|
//! | ids | `text` | `varchar(255)`, compared byte for byte (`utf8mb4_bin`) | `text` |
//! | `expires_at` | `timestamptz` | `datetime` (UTC, whole seconds) | `integer` (Unix seconds) |
//!
//! Apps add their own attribute columns to both tables; the migration never
//! touches them. If both tables already exist (a database a Lucia app made)
//! it adopts them: it checks the columns it needs, adds only the index, and
//! changes no row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::Profile;
use crate::column::{stored_time, text_id};
use crate::notify::{LongExpired, SessionNotify, Watched};
use crate::tables::{CreateTables, Down};
use authstore_entity::descriptor::LUCIA_V3;

const USERS: &str = LUCIA_V3.users;
const SESSIONS: &str = LUCIA_V3.sessions;

/// This profile's migrations, oldest first (Lucia v3's tables, then the
/// session cache's triggers); their names are its own.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CreateTables {
            name: "m20261122_000401_authstore_lucia_v3_schema",
            described_as: "Lucia v3's tables",
            tables,
            down: Down::Tables,
            only_on: &[],
            indexes: &[(SESSIONS, "user_id")],
            unique_indexes: &[],
            optional_tables: &[],
            earlier_shape: None,
            nulls_checked: false,
        }),
        // The session cache's triggers (PostgreSQL only).
        Box::new(SessionNotify {
            name: "m20261123_000402_authstore_lucia_v3_session_notify",
            watched: Watched::lucia(
                "authstore_lucia_v3",
                Profile::LuciaV3,
                (SESSIONS, USERS),
                LongExpired::Instant(LUCIA_V3.expires_at),
            ),
        }),
    ]
}

crate::profile_migrator!();

/// The two tables on `backend`, users first (sessions point to it).
fn tables(backend: DatabaseBackend) -> Vec<TableCreateStatement> {
    let expires_at = stored_time(LUCIA_V3.expires_at, LUCIA_V3.expiry_on(backend))
        .not_null()
        .to_owned();
    vec![
        Table::create()
            .table(USERS)
            .col(text_id(backend, "id").primary_key())
            .to_owned(),
        Table::create()
            .table(SESSIONS)
            .col(text_id(backend, "id").primary_key())
            .col(expires_at)
            .col(text_id(backend, "user_id"))
            // Unnamed, as the seed's inline REFERENCES: PostgreSQL names it
            // `user_session_user_id_fkey`. No cascade, as in the seed.
            .foreign_key(
                ForeignKey::create()
                    .from(SESSIONS, "user_id")
                    .to(USERS, "id"),
            )
            .to_owned(),
    ]
}
