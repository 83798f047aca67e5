//! PostgreSQL triggers that tell authstore's session cache about every
//! changed or deleted session and user, whoever changes them (another
//! process, the JS app, plain SQL): `pg_notify` on the profile's sessions
//! channel (`Profile::notify_channels`) with SHA-256 of the session's stored
//! token in hex (never the token itself), and on its users channel with the
//! user's id. Every profile has one such migration, naming its own tables. The tables' columns are untouched, so
//! the JS systems do not see them. On MySQL/MariaDB and SQLite there is no
//! such mechanism and the migration does nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::{NotifyChannels, Profile};
use authstore_entity::descriptor::NextAuthSchema;

/// A profile's tables, as the triggers watch them.
pub(crate) struct Watched {
    /// The trigger functions' prefix: functions are per schema, so two
    /// profiles' tables in one schema (next-auth's beside Lucia v3's) each
    /// keep their own.
    pub(crate) functions: &'static str,
    pub(crate) channels: NotifyChannels,
    /// The sessions table and the column holding its (stored) token, as
    /// the schema spells them (they are quoted: better-auth's `user` is a
    /// reserved word).
    pub(crate) sessions: &'static str,
    pub(crate) token: &'static str,
    /// When a session expired a day or more ago. Deleting one publishes
    /// nothing: an expired session is never served from the cache anyway,
    /// and a purge of a million old rows should not send a million
    /// notifications. (A day covers any zone a wall-clock expiry column may
    /// be in.)
    pub(crate) long_expired: LongExpired,
    /// The users table, and the user events that can change what a lookup
    /// returns: `UPDATE OR DELETE` where the lookup returns the user's
    /// columns, `UPDATE OF id OR DELETE` where it returns the id alone.
    pub(crate) users: &'static str,
    pub(crate) user_events: &'static str,
}

impl Watched {
    /// A Lucia profile's tables (`functions` its trigger functions'
    /// prefix): sessions keyed by `id`, and lookups that return the user's
    /// id alone, so only a change of id or a deletion of a user matters.
    pub(crate) const fn lucia(
        functions: &'static str,
        profile: Profile,
        (sessions, users): (&'static str, &'static str),
        long_expired: LongExpired,
    ) -> Watched {
        Watched {
            functions,
            channels: profile.notify_channels(),
            sessions,
            token: "id",
            long_expired,
            users,
            user_events: "UPDATE OF id OR DELETE",
        }
    }
}

/// next-auth's `sessions` and `users`, on every next-auth profile.
pub(crate) const NEXT_AUTH: Watched = Watched {
    functions: "authstore",
    channels: Profile::NextAuthV3.notify_channels(),
    sessions: NextAuthSchema::SESSIONS,
    token: NextAuthSchema::SESSION_TOKEN,
    long_expired: LongExpired::Instant("expires"),
    users: NextAuthSchema::USERS,
    user_events: "UPDATE OR DELETE",
};

/// A session's expiry column, by how it keeps the time.
pub(crate) enum LongExpired {
    /// A time (`timestamptz`, or a wall-clock `timestamp`).
    Instant(&'static str),
    /// A `timestamp` holding UTC (Drizzle's), compared with UTC's wall
    /// clock whatever the writer's `TimeZone`.
    UtcWallClock(&'static str),
    /// Milliseconds since the epoch (`bigint`).
    UnixMillis(&'static str),
}

impl LongExpired {
    /// The condition on `OLD`: expired a day or more ago.
    fn condition(&self) -> String {
        match self {
            LongExpired::Instant(column) => format!(r#"OLD."{column}" < now() - interval '1 day'"#),
            LongExpired::UtcWallClock(column) => {
                format!(r#"OLD."{column}" < (now() AT TIME ZONE 'UTC') - interval '1 day'"#)
            }
            LongExpired::UnixMillis(column) => {
                format!(r#"OLD."{column}" < (extract(epoch from now()) * 1000)::bigint - 86400000"#)
            }
        }
    }
}

pub(crate) struct SessionNotify {
    pub(crate) name: &'static str,
    pub(crate) watched: Watched,
}

crate::named_by_field!(SessionNotify);

impl Watched {
    fn up(&self) -> String {
        let Watched {
            functions,
            channels,
            sessions,
            token,
            long_expired,
            users,
            user_events,
        } = self;
        let long_expired = long_expired.condition();
        let NotifyChannels {
            sessions: sessions_channel,
            users: users_channel,
        } = channels;
        format!(
            r#"
CREATE OR REPLACE FUNCTION {functions}_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND {long_expired} THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('{sessions_channel}',
                      encode(sha256(convert_to(OLD."{token}", 'UTF8')), 'hex'));
    RETURN NULL;
END $$;
CREATE TRIGGER authstore_session_changed AFTER UPDATE OR DELETE ON "{sessions}"
    FOR EACH ROW EXECUTE FUNCTION {functions}_session_changed();
CREATE OR REPLACE FUNCTION {functions}_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{users_channel}', OLD.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER authstore_user_changed AFTER {user_events} ON "{users}"
    FOR EACH ROW EXECUTE FUNCTION {functions}_user_changed();
"#
        )
    }

    fn down(&self) -> String {
        let Watched {
            functions,
            sessions,
            users,
            ..
        } = self;
        format!(
            r#"
DROP TRIGGER IF EXISTS authstore_session_changed ON "{sessions}";
DROP FUNCTION IF EXISTS {functions}_session_changed();
DROP TRIGGER IF EXISTS authstore_user_changed ON "{users}";
DROP FUNCTION IF EXISTS {functions}_user_changed();
"#
        )
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SessionNotify {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &self.watched.up()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &self.watched.down()).await
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
