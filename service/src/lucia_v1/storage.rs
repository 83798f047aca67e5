//! lucia-auth v1's rows: `auth_user`, `auth_key` and `auth_session`. Times
//! are `BIGINT` milliseconds since the epoch on every backend, as Lucia v1
//! keeps them; statements name only Lucia's own columns (and the attribute
//! columns a caller names), so an app's other columns are never touched.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};

use super::{Attribute, Session, SessionState, User};
use crate::backend::{self, BuiltOnce};
use crate::rules::expiry::ActiveIdlePeriods;
use crate::rules::token::Secret;
use authstore_entity::descriptor::{LUCIA_V1, StoredTime};

const USERS: &str = LUCIA_V1.users;
const KEYS: &str = LUCIA_V1.keys;
pub(super) const SESSIONS: &str = LUCIA_V1.sessions;
const ACTIVE_EXPIRES: &str = LUCIA_V1.active_expires;
const IDLE_EXPIRES: &str = LUCIA_V1.idle_expires;
const HASHED_PASSWORD: &str = LUCIA_V1.hashed_password;
const PRIMARY_KEY: &str = LUCIA_V1.primary_key;
const SESSION_COLUMNS: [&str; 4] = ["id", "user_id", ACTIVE_EXPIRES, IDLE_EXPIRES];
const KEY_COLUMNS: [&str; 5] = ["id", "user_id", PRIMARY_KEY, HASHED_PASSWORD, "expires"];

/// The per-request lookup, built once per backend.
static LOOKUP: BuiltOnce = BuiltOnce::new();

/// An `auth_key` row as stored. Not `Debug`: it holds the password hash.
pub(super) struct KeyRow {
    pub(super) id: String,
    pub(super) user_id: String,
    pub(super) primary_key: bool,
    pub(super) hashed_password: Option<String>,
    pub(super) expires: Option<DateTime<Utc>>,
}

pub(super) struct Storage<'a, C> {
    pub(super) db: &'a C,
}

fn millis(at: DateTime<Utc>) -> SimpleExpr {
    backend::time_value(StoredTime::UnixMillis, at)
}

fn instant(row: &QueryResult, column: &str) -> Result<DateTime<Utc>, DbErr> {
    backend::read_time(StoredTime::UnixMillis, row, column)
}

fn periods(row: &QueryResult) -> Result<ActiveIdlePeriods, DbErr> {
    Ok(ActiveIdlePeriods {
        active_until: instant(row, ACTIVE_EXPIRES)?,
        idle_until: instant(row, IDLE_EXPIRES)?,
    })
}

/// A session row as of `now`; `None` if it is dead.
fn session_from(
    row: &QueryResult,
    state: impl FnOnce(&ActiveIdlePeriods) -> Option<SessionState>,
) -> Result<Option<Session>, DbErr> {
    let periods = periods(row)?;
    let Some(state) = state(&periods) else {
        return Ok(None);
    };
    let id = Secret::from(row.try_get::<String>("", "id")?);
    Ok(Some(Session::stored(
        id,
        row.try_get("", "user_id")?,
        &periods,
        state,
    )))
}

fn key_from(row: &QueryResult) -> Result<KeyRow, DbErr> {
    Ok(KeyRow {
        id: row.try_get("", "id")?,
        user_id: row.try_get("", "user_id")?,
        primary_key: row.try_get("", PRIMARY_KEY)?,
        hashed_password: row.try_get("", HASHED_PASSWORD)?,
        expires: backend::read_optional_time(StoredTime::UnixMillis, row, "expires")?,
    })
}

impl<C: ConnectionTrait> Storage<'_, C> {
    pub(super) async fn insert_user(
        &self,
        id: &str,
        attributes: &[Attribute],
    ) -> Result<(), DbErr> {
        let mut columns = vec!["id"];
        let mut values: Vec<Expr> = vec![id.into()];
        for (column, value) in attributes {
            columns.push(column);
            values.push(Expr::val(value.clone()));
        }
        let insert = Query::insert()
            .into_table(USERS)
            .columns(columns)
            .values_panic(values)
            .to_owned();
        self.db.execute(&insert).await.map(drop)
    }

    pub(super) async fn user(&self, id: &str) -> Result<Option<User>, DbErr> {
        let select = Query::select()
            .column("id")
            .from(USERS)
            .and_where(Expr::col("id").eq(id))
            .to_owned();
        let row = self.db.query_one(&select).await?;
        row.map(|row| {
            Ok(User {
                id: row.try_get("", "id")?,
            })
        })
        .transpose()
    }

    /// Sets the attribute columns; whether the user exists.
    pub(super) async fn update_user(
        &self,
        id: &str,
        attributes: &[Attribute],
    ) -> Result<bool, DbErr> {
        let mut update = Query::update();
        update.table(USERS).and_where(Expr::col("id").eq(id));
        for (column, value) in attributes {
            update.value(*column, Expr::val(value.clone()));
        }
        Ok(self.db.execute(&update).await?.rows_affected() > 0)
    }

    pub(super) async fn delete_user(&self, id: &str) -> Result<bool, DbErr> {
        Ok(backend::delete_by(self.db, USERS, "id", id).await? > 0)
    }

    pub(super) async fn insert_key(&self, key: &KeyRow) -> Result<(), DbErr> {
        let insert = Query::insert()
            .into_table(KEYS)
            .columns(KEY_COLUMNS)
            .values_panic([
                key.id.as_str().into(),
                key.user_id.as_str().into(),
                key.primary_key.into(),
                Expr::val(Value::from(key.hashed_password.clone())),
                Expr::val(Value::from(key.expires.map(|at| at.timestamp_millis()))),
            ])
            .to_owned();
        self.db.execute(&insert).await.map(drop)
    }

    /// The key id `id` as the keys table compares it: every spelling that
    /// finds one key (on an adopted MySQL table, whose insensitive
    /// collation matches `EMAIL:Ada@…` and `email:ada@…` alike) gives the
    /// same value, so the sign-in attempt limit counts them as one key.
    /// PostgreSQL and SQLite compare bytes: the id itself.
    pub(super) async fn key_as_compared(&self, id: &str) -> Result<String, DbErr> {
        let collation = backend::Collation::of(self.db, KEYS, "id").await?;
        if collation.compares_bytes() {
            return Ok(id.to_owned());
        }
        let key = collation.keys(self.db, &[id]).await?;
        Ok(format!("collation key {}", hex::encode(key.concat())))
    }

    pub(super) async fn key(&self, id: &str) -> Result<Option<KeyRow>, DbErr> {
        let select = Query::select()
            .columns(KEY_COLUMNS)
            .from(KEYS)
            .and_where(Expr::col("id").eq(id))
            .to_owned();
        self.db
            .query_one(&select)
            .await?
            .as_ref()
            .map(key_from)
            .transpose()
    }

    pub(super) async fn user_keys(&self, user_id: &str) -> Result<Vec<KeyRow>, DbErr> {
        let select = Query::select()
            .columns(KEY_COLUMNS)
            .from(KEYS)
            .and_where(Expr::col("user_id").eq(user_id))
            .order_by("id", Order::Asc)
            .to_owned();
        self.db
            .query_all(&select)
            .await?
            .iter()
            .map(key_from)
            .collect()
    }

    /// Whether the key exists.
    pub(super) async fn set_key_password(
        &self,
        id: &str,
        hashed: Option<String>,
    ) -> Result<bool, DbErr> {
        let update = Query::update()
            .table(KEYS)
            .value(HASHED_PASSWORD, Expr::val(Value::from(hashed)))
            .and_where(Expr::col("id").eq(id))
            .to_owned();
        Ok(self.db.execute(&update).await?.rows_affected() > 0)
    }

    /// Deletes the key unless it is a primary key; whether one was deleted.
    /// Single-use keys are used up through here, so of two concurrent uses
    /// exactly one sees `true`.
    pub(super) async fn delete_non_primary_key(&self, id: &str) -> Result<bool, DbErr> {
        let filter = Condition::all()
            .add(Expr::col("id").eq(id))
            .add(Expr::col(PRIMARY_KEY).eq(false));
        Ok(backend::delete_where(self.db, KEYS, filter).await? > 0)
    }

    pub(super) async fn delete_user_keys(&self, user_id: &str) -> Result<u64, DbErr> {
        backend::delete_by(self.db, KEYS, "user_id", user_id).await
    }

    pub(super) async fn insert_session(
        &self,
        id: &str,
        user_id: &str,
        periods: &ActiveIdlePeriods,
    ) -> Result<(), DbErr> {
        let insert = Query::insert()
            .into_table(SESSIONS)
            .columns(SESSION_COLUMNS)
            .values_panic([
                id.into(),
                user_id.into(),
                millis(periods.active_until),
                millis(periods.idle_until),
            ])
            .to_owned();
        self.db.execute(&insert).await.map(drop)
    }

    /// The session with this id and, if it still exists, its user: one
    /// `SELECT … LEFT JOIN`, whatever state the session is in (the caller
    /// decides). `None` if there is no such session.
    pub(super) async fn session_and_user(
        &self,
        id: &str,
    ) -> Result<Option<(ActiveIdlePeriods, String, Option<User>)>, DbErr> {
        let tables = (SESSIONS, USERS);
        let found = backend::session_with_user_id(self.db, &LOOKUP, tables, &SESSION_COLUMNS, id);
        let Some((row, user_id)) = found.await? else {
            return Ok(None);
        };
        let periods = periods(&row)?;
        let user = user_id.map(|id| User { id });
        Ok(Some((periods, row.try_get("", "user_id")?, user)))
    }

    /// A user's sessions that `state` keeps (it answers `None` for dead
    /// ones), newest first.
    pub(super) async fn user_sessions(
        &self,
        user_id: &str,
        state: impl Fn(&ActiveIdlePeriods) -> Option<SessionState>,
    ) -> Result<Vec<Session>, DbErr> {
        let select = Query::select()
            .columns(SESSION_COLUMNS)
            .from(SESSIONS)
            .and_where(Expr::col("user_id").eq(user_id))
            .order_by(IDLE_EXPIRES, Order::Desc)
            .to_owned();
        let rows = self.db.query_all(&select).await?;
        let mut sessions = Vec::with_capacity(rows.len());
        for row in &rows {
            sessions.extend(session_from(row, &state)?);
        }
        Ok(sessions)
    }

    /// The sessions dead at `now`: past their idle period.
    pub(super) fn dead(&self, now: DateTime<Utc>) -> Condition {
        Condition::all().add(Expr::col(IDLE_EXPIRES).lt(millis(now)))
    }

    /// Deletes a user's dead sessions (dead: `idle_expires` < now).
    pub(super) async fn delete_dead_user_sessions(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, DbErr> {
        let dead = Condition::all()
            .add(Expr::col("user_id").eq(user_id))
            .add(self.dead(now));
        backend::delete_where(self.db, SESSIONS, dead).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::error::{Conflict, Error, on_write};
    use authstore_migration::{Profile, ProfileMigrations};

    /// The store makes session ids itself, so only a collision could repeat
    /// one; the insert then reports `Conflict::Token`, as `create_session`
    /// maps it.
    #[tokio::test]
    async fn a_repeated_session_id_is_a_token_conflict() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        Profile::LuciaV1.up(&db).await.unwrap();
        let storage = Storage { db: &db };
        storage.insert_user("ada", &[]).await.unwrap();
        let periods = ActiveIdlePeriods {
            active_until: Utc::now(),
            idle_until: Utc::now(),
        };
        let id = "a".repeat(40);
        storage.insert_session(&id, "ada", &periods).await.unwrap();
        let again = storage.insert_session(&id, "ada", &periods).await;
        let err = again.map_err(on_write(Conflict::Token)).unwrap_err();
        assert!(matches!(err, Error::Conflict(Conflict::Token)), "{err:?}");
    }
}
