//! Profile `better-auth`: the tables better-auth 1.7.25's own migration
//! (`getMigrations(options).runMigrations()`) makes, on each backend, column
//! for column and index for index, so a better-auth app and authstore share
//! the database either way round:
//!
//! | column kind | PostgreSQL | MySQL / MariaDB | SQLite |
//! |---|---|---|---|
//! | ids, `userId` | `text` | `varchar(36)` | `text` |
//! | `name`, `email`, `token`, `identifier` | `text` | `varchar(255)` | `text` |
//! | times | `timestamptz` | `timestamp(3)` | `date` (ISO-8601 text) |
//! | `emailVerified` | `boolean` | `tinyint(1)` | `integer` |
//!
//! `createdAt` (and the user's and verification's `updatedAt`) default to
//! the current time on PostgreSQL and MySQL, as better-auth declares them;
//! `session.updatedAt` and `account.updatedAt` have no default, and SQLite
//! none at all. There is no unique key on `(providerId, accountId)`: a
//! better-auth database may hold the same OAuth account twice.
//!
//! Over a database better-auth migrated itself the migration adopts the
//! tables: it checks the columns and changes nothing of them. It adds one
//! table of authstore's own, `authstore_carried`, the carry-over's record. Its history is kept
//! in a table of its own, `seaql_migrations_better_auth`, so the profile can
//! be laid down beside an older profile's tables in one database, the
//! carry-over's target (`carry-over` in this crate's command line).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::Profile;
use crate::adopt::has_index;
use crate::column::text_id;
use crate::notify::{LongExpired, SessionNotify, Watched};
use crate::tables::{CreateTables, Down};
use authstore_entity::better_auth::{BETTER_AUTH, column as col};
use authstore_entity::own_tables::{CARRIED, CARRIED_SOURCES};

const USERS: &str = BETTER_AUTH.users;
const SESSIONS: &str = BETTER_AUTH.sessions;
const ACCOUNTS: &str = BETTER_AUTH.accounts;
const VERIFICATION: &str = BETTER_AUTH.verification;

/// better-auth's indexes, as (table, column); each is named
/// `{table}_{column}_idx`, as better-auth names them.
const INDEXES: [(&str, &str); 3] = [
    (SESSIONS, col::USER_ID),
    (ACCOUNTS, col::USER_ID),
    (VERIFICATION, "identifier"),
];

/// This profile's migrations, oldest first; their names are its own.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CreateTables {
            name: "m20261203_000601_authstore_better_auth_schema",
            described_as: "better-auth's tables",
            tables,
            down: Down::Tables,
            only_on: &[],
            indexes: &[],
            unique_indexes: &[],
            optional_tables: &[],
            earlier_shape: None,
            nulls_checked: false,
        }),
        Box::new(Indexes),
        Box::new(Carried),
        Box::new(Provenance),
        // The session cache's triggers (PostgreSQL only), on better-auth's
        // own tables; better-auth never sees them. The lookup returns the
        // user's columns, so any change of a user matters.
        Box::new(SessionNotify {
            name: "m20261207_000605_authstore_better_auth_session_notify",
            watched: Watched {
                functions: "authstore_better_auth",
                channels: Profile::BetterAuth.notify_channels(),
                sessions: SESSIONS,
                token: "token",
                long_expired: LongExpired::Instant(col::EXPIRES_AT),
                users: USERS,
                user_events: "UPDATE OR DELETE",
            },
        }),
    ]
}

crate::profile_migrator!(history = "seaql_migrations_better_auth");

/// What a column holds, which decides its type on each backend.
#[derive(Clone, Copy)]
enum Kind {
    /// A row id or a reference to one.
    Id,
    /// A short string better-auth gives `varchar(255)` on MySQL.
    Short,
    /// Free text.
    Text,
    /// `emailVerified`.
    Flag,
    /// An instant.
    Time,
}

/// One column: its name, kind, whether it is NOT NULL, whether it defaults
/// to the current time.
#[derive(Clone, Copy)]
struct Column(&'static str, Kind, Null, Preset);

#[derive(Clone, Copy, PartialEq)]
enum Null {
    Allowed,
    Refused,
}

#[derive(Clone, Copy, PartialEq)]
enum Preset {
    Nothing,
    CurrentTime,
}

use Kind::{Flag, Id, Short, Text, Time};
use Null::{Allowed, Refused};
use Preset::{CurrentTime, Nothing};

/// The row clocks every table ends with; `updated` says whether
/// `updatedAt` has a default.
const fn clocks(updated: Preset) -> [Column; 2] {
    [
        Column(col::CREATED_AT, Time, Refused, CurrentTime),
        Column(col::UPDATED_AT, Time, Refused, updated),
    ]
}

fn definition(backend: DatabaseBackend, column: &Column) -> ColumnDef {
    let Column(name, kind, null, default) = *column;
    let mut def = ColumnDef::new(name);
    let my_sql = backend == DatabaseBackend::MySql;
    match kind {
        Id if my_sql => def.string_len(36),
        Short if my_sql => def.string_len(255),
        Id | Short | Text => def.text(),
        Flag if backend == DatabaseBackend::Sqlite => def.custom("integer"),
        Flag => def.boolean(),
        Time => match backend {
            DatabaseBackend::MySql => def.custom("timestamp(3)"),
            DatabaseBackend::Sqlite => def.custom("date"),
            _ => def.timestamp_with_time_zone(),
        },
    };
    if null == Refused {
        def.not_null();
    }
    match (default, backend) {
        (Nothing, _) | (CurrentTime, DatabaseBackend::Sqlite) => {}
        (CurrentTime, DatabaseBackend::MySql) => {
            def.default(Expr::cust("CURRENT_TIMESTAMP(3)"));
        }
        (CurrentTime, _) => {
            def.default(Expr::cust("CURRENT_TIMESTAMP"));
        }
    }
    def
}

/// A table of `columns`, the first of them its primary key; `unique` names
/// the columns with a unique key of their own (better-auth's inline
/// `unique`, which PostgreSQL names `{table}_{column}_key` and MySQL after
/// the column), and every `userId` points to the user, cascading deletes.
fn table(
    backend: DatabaseBackend,
    name: &'static str,
    columns: &[Column],
    unique: &[&str],
) -> TableCreateStatement {
    let mut create = Table::create();
    create.table(name);
    for (position, column) in columns.iter().enumerate() {
        let mut def = definition(backend, column);
        if position == 0 {
            def.primary_key();
        }
        if unique.contains(&column.0) {
            def.unique_key();
        }
        create.col(def);
        if column.0 == col::USER_ID {
            // Unnamed, as better-auth's inline `references`.
            create.foreign_key(
                ForeignKey::create()
                    .from(name, col::USER_ID)
                    .to(USERS, "id")
                    .on_delete(ForeignKeyAction::Cascade),
            );
        }
    }
    create.to_owned()
}

/// The four tables on `backend`, users first (the others point to it).
fn tables(backend: DatabaseBackend) -> Vec<TableCreateStatement> {
    let plain = |name, kind, null| Column(name, kind, null, Nothing);
    let id = plain("id", Id, Refused);
    let user_id = plain(col::USER_ID, Id, Refused);
    let user = [
        id,
        plain("name", Short, Refused),
        plain("email", Short, Refused),
        plain(col::EMAIL_VERIFIED, Flag, Refused),
        plain("image", Text, Allowed),
    ];
    let session = [
        id,
        plain(col::EXPIRES_AT, Time, Refused),
        plain("token", Short, Refused),
    ];
    let session_after_clocks = [
        plain(col::IP_ADDRESS, Text, Allowed),
        plain(col::USER_AGENT, Text, Allowed),
        user_id,
    ];
    let account = [
        id,
        plain(col::ACCOUNT_ID, Text, Refused),
        plain(col::PROVIDER_ID, Text, Refused),
        user_id,
        plain(col::ACCESS_TOKEN, Text, Allowed),
        plain(col::REFRESH_TOKEN, Text, Allowed),
        plain(col::ID_TOKEN, Text, Allowed),
        plain(col::ACCESS_TOKEN_EXPIRES_AT, Time, Allowed),
        plain(col::REFRESH_TOKEN_EXPIRES_AT, Time, Allowed),
        plain(col::SCOPE, Text, Allowed),
        plain("password", Text, Allowed),
    ];
    let verification = [
        id,
        plain("identifier", Short, Refused),
        plain("value", Text, Refused),
        plain(col::EXPIRES_AT, Time, Refused),
    ];
    vec![
        table(
            backend,
            USERS,
            &[&user[..], &clocks(CurrentTime)].concat(),
            &["email"],
        ),
        table(
            backend,
            SESSIONS,
            &[&session[..], &clocks(Nothing), &session_after_clocks].concat(),
            &["token"],
        ),
        table(
            backend,
            ACCOUNTS,
            &[&account[..], &clocks(Nothing)].concat(),
            &[],
        ),
        table(
            backend,
            VERIFICATION,
            &[&verification[..], &clocks(CurrentTime)].concat(),
            &[],
        ),
    ]
}

/// better-auth's three indexes, each added unless a better-auth database
/// being adopted has it already.
struct Indexes;

impl MigrationName for Indexes {
    fn name(&self) -> &str {
        "m20261203_000602_authstore_better_auth_indexes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Indexes {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in INDEXES {
            let name = format!("{table}_{column}_idx");
            if !has_index(manager, table, &name).await? {
                manager
                    .create_index(
                        Index::create()
                            .name(name)
                            .table(table)
                            .col(column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in INDEXES {
            let name = format!("{table}_{column}_idx");
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// authstore's record of what a carry-over wrote
/// (`authstore_entity::own_tables::CARRIED`): `(kind, id)`, the source's id
/// of a carried user or session.
struct Carried;

impl MigrationName for Carried {
    fn name(&self) -> &str {
        "m20261203_000603_authstore_carried"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Carried {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CARRIED)
                    .if_not_exists()
                    .col(ColumnDef::new("kind").string_len(16).not_null())
                    // Byte for byte on MySQL too: Lucia ids differ by case.
                    .col(text_id(manager.get_database_backend(), "id"))
                    // `id` first: each run looks a batch's ids up with
                    // `id IN (…)`, which a key led by `kind` (two values)
                    // serves with a scan of every row of that kind.
                    .primary_key(Index::create().col("id").col("kind"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CARRIED).to_owned())
            .await
    }
}

/// Where each carried row came from, and when better-auth let a carried
/// session expire:
/// - `authstore_carried.source`: the digest of the source's identity (rows
///   carried before it existed get `''`, which the next run claims for its
///   source), so each run removes and updates only what its own source
///   carried;
/// - `authstore_carried_source` (`CARRIED_SOURCES`): each source's identity
///   as the operator will read it in an error;
/// - a trigger on better-auth's `session`: a carried session deleted after
///   its expiry (better-auth deletes one when it is read then) forgets its
///   record, so a later run carries it again while the old app keeps it
///   alive; a carried session deleted before its expiry (a sign-out) keeps
///   it, and stays ended. The trigger touches only authstore's table.
struct Provenance;

impl MigrationName for Provenance {
    fn name(&self) -> &str {
        "m20261207_000604_authstore_carried_provenance"
    }
}

/// The trigger's name, on every backend.
const EXPIRED_TRIGGER: &str = "authstore_carried_session_deleted";

#[async_trait::async_trait]
impl MigrationTrait for Provenance {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .alter_table(
                Table::alter()
                    .table(CARRIED)
                    .add_column(
                        ColumnDef::new("source")
                            .string_len(32)
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CARRIED_SOURCES)
                    .if_not_exists()
                    .col(ColumnDef::new("id").string_len(32).not_null().primary_key())
                    .col(ColumnDef::new("identity").string_len(255).not_null())
                    .col(ColumnDef::new("first_run_at").big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // `expiresAt` as each backend keeps it, against the current time
        // kept the same way (ISO-8601 text sorts as time on SQLite).
        let now = match backend {
            DatabaseBackend::MySql => "NOW(3)",
            DatabaseBackend::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            _ => "now()",
        };
        let q = |name: &str| match backend {
            DatabaseBackend::MySql => format!("`{name}`"),
            _ => format!("\"{name}\""),
        };
        let forget_sql = format!(
            "DELETE FROM {carried} WHERE {id} = OLD.{id} AND {kind} = 'session' \
             AND OLD.{expires} <= {now}",
            carried = q(CARRIED),
            id = q("id"),
            kind = q("kind"),
            expires = q(col::EXPIRES_AT),
        );
        let sessions = q(SESSIONS);
        match backend {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION {EXPIRED_TRIGGER}() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN {forget_sql}; RETURN NULL; END $$;\n\
                     CREATE TRIGGER {EXPIRED_TRIGGER} AFTER DELETE ON {sessions} \
                     FOR EACH ROW WHEN (OLD.\"id\" LIKE 'carried-%') \
                     EXECUTE FUNCTION {EXPIRED_TRIGGER}();"
                ))
                .await?;
            }
            DatabaseBackend::MySql => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {EXPIRED_TRIGGER} AFTER DELETE ON {sessions} \
                     FOR EACH ROW {forget_sql}"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {EXPIRED_TRIGGER} AFTER DELETE ON {sessions} \
                     FOR EACH ROW WHEN OLD.\"id\" LIKE 'carried-%' BEGIN {forget_sql}; END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        match backend {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS {EXPIRED_TRIGGER} ON \"{SESSIONS}\";\n\
                     DROP FUNCTION IF EXISTS {EXPIRED_TRIGGER}();"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {EXPIRED_TRIGGER}"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(CARRIED_SOURCES).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CARRIED)
                    .drop_column("source")
                    .to_owned(),
            )
            .await
    }
}
