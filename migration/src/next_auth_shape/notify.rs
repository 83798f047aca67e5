//! PostgreSQL triggers that tell authstore's session cache about every
//! changed or deleted session and user, whoever changes them (another
//! process, the JS app, plain SQL): `pg_notify` on `authstore_sessions` with
//! SHA-256 of the session's stored token in hex (never the token itself),
//! and on `authstore_users` with the user's id. The tables' columns are
//! untouched, so next-auth does not see them. On MySQL/MariaDB and SQLite
//! there is no such mechanism and the migration does nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub(crate) struct SessionNotify {
    pub(crate) name: &'static str,
}

impl MigrationName for SessionNotify {
    fn name(&self) -> &str {
        self.name
    }
}

/// Deleting a session that expired a day or more ago publishes nothing: an
/// expired session is never served from the cache anyway, and a purge of a
/// million old rows should not send a million notifications. (A day covers
/// any zone a wall-clock `expires` column may be in.)
const UP: &str = r#"
CREATE OR REPLACE FUNCTION authstore_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.expires < now() - interval '1 day' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('authstore_sessions',
                      encode(sha256(convert_to(OLD.session_token, 'UTF8')), 'hex'));
    RETURN NULL;
END $$;
CREATE TRIGGER authstore_session_changed AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION authstore_session_changed();
CREATE OR REPLACE FUNCTION authstore_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('authstore_users', OLD.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER authstore_user_changed AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION authstore_user_changed();
"#;

const DOWN: &str = r#"
DROP TRIGGER IF EXISTS authstore_session_changed ON sessions;
DROP FUNCTION IF EXISTS authstore_session_changed();
DROP TRIGGER IF EXISTS authstore_user_changed ON users;
DROP FUNCTION IF EXISTS authstore_user_changed();
"#;

#[async_trait::async_trait]
impl MigrationTrait for SessionNotify {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN).await
    }
}

async fn run(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(sql)
        .await
        .map(drop)
}
