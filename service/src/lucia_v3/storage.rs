//! Lucia v3's rows: `auth_user` and `user_session`, naming only Lucia's own
//! columns so an app's attribute columns are never touched.
//!
//! `expires_at` is kept as each Lucia adapter keeps it (the profile's
//! descriptor, `authstore_entity::descriptor::LUCIA_V3`, says how).

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult};

use super::{LuciaSession, LuciaUser, ValidSession};
use crate::backend::{self, BuiltOnce};
use crate::lifecycle::{SessionRows, SessionsTable};
use crate::rules::error::Error;
use crate::rules::expiry::HalfLifeExpiry;
use crate::rules::token::Secret;
use authstore_entity::descriptor::{LUCIA_V3, StoredTime};

const USERS: &str = LUCIA_V3.users;
const SESSIONS: &str = LUCIA_V3.sessions;
const EXPIRES_AT: &str = LUCIA_V3.expires_at;

/// The per-request lookup, built once per backend (this profile's own cache).
static LOOKUP: BuiltOnce = BuiltOnce::new();

pub(super) struct Storage<'a, C> {
    pub(super) db: &'a C,
}

impl<C: ConnectionTrait> Storage<'_, C> {
    /// How `expires_at` is stored on this backend.
    fn expiry(&self) -> StoredTime {
        LUCIA_V3.expiry_on(self.db.get_database_backend())
    }

    /// `at` as `expires_at` takes it on this backend.
    fn time(&self, at: DateTime<Utc>) -> Expr {
        backend::time_value(self.expiry(), at)
    }

    fn session_from(&self, row: &QueryResult) -> Result<LuciaSession, DbErr> {
        Ok(LuciaSession {
            id: Secret::from(row.try_get::<String>("", "id")?),
            user_id: row.try_get("", "user_id")?,
            expires_at: backend::read_time(self.expiry(), row, EXPIRES_AT)?,
            fresh: false,
        })
    }

    pub(super) async fn insert_user(&self, id: &str) -> Result<(), DbErr> {
        let insert = Query::insert()
            .into_table(USERS)
            .columns(["id"])
            .values_panic([id.into()])
            .to_owned();
        self.db.execute(&insert).await.map(drop)
    }

    pub(super) async fn user_exists(&self, id: &str) -> Result<bool, DbErr> {
        let select = Query::select()
            .column("id")
            .from(USERS)
            .and_where(Expr::col("id").eq(id))
            .to_owned();
        Ok(self.db.query_one(&select).await?.is_some())
    }

    pub(super) async fn delete_user(&self, id: &str) -> Result<bool, DbErr> {
        Ok(backend::delete_by(self.db, USERS, "id", id).await? > 0)
    }

    pub(super) async fn insert_session(
        &self,
        id: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let insert = Query::insert()
            .into_table(SESSIONS)
            .columns(["id", EXPIRES_AT, "user_id"])
            .values_panic([id.into(), self.time(expires_at), user_id.into()])
            .to_owned();
        self.db.execute(&insert).await.map(drop)
    }

    /// The session with this id and, if it still exists, its user: one
    /// `SELECT … LEFT JOIN`.
    pub(super) async fn session_and_user(
        &self,
        id: &str,
    ) -> Result<Option<(LuciaSession, Option<LuciaUser>)>, DbErr> {
        let (tables, columns) = ((SESSIONS, USERS), ["id", EXPIRES_AT, "user_id"]);
        let found = backend::session_with_user_id(self.db, &LOOKUP, tables, &columns, id);
        let Some((row, user_id)) = found.await? else {
            return Ok(None);
        };
        let user = user_id.map(|id| LuciaUser { id });
        Ok(Some((self.session_from(&row)?, user)))
    }

    pub(super) async fn update_expiration(
        &self,
        id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let update = Query::update()
            .table(SESSIONS)
            .value(EXPIRES_AT, self.time(expires_at))
            .and_where(Expr::col("id").eq(id))
            .to_owned();
        self.db.execute(&update).await.map(drop)
    }

    /// The sessions over at `now`: Lucia v3 ends one at its `expires_at`.
    pub(super) fn expired(&self, now: DateTime<Utc>) -> Condition {
        Condition::all().add(Expr::col(EXPIRES_AT).lte(self.time(now)))
    }

    pub(super) async fn live_sessions(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<LuciaSession>, DbErr> {
        let select = Query::select()
            .columns(["id", EXPIRES_AT, "user_id"])
            .from(SESSIONS)
            .and_where(Expr::col("user_id").eq(user_id))
            .and_where(Expr::col(EXPIRES_AT).gt(self.time(now)))
            .order_by(EXPIRES_AT, Order::Desc)
            .to_owned();
        let rows = self.db.query_all(&select).await?;
        rows.iter().map(|row| self.session_from(row)).collect()
    }
}

/// `at` as `expires_at` keeps it on `backend`: microseconds on PostgreSQL,
/// whole seconds on MySQL (`datetime`) and SQLite (Unix seconds), so a time
/// computed here equals the one read back.
pub(super) fn storable(backend: DbBackend, at: DateTime<Utc>) -> DateTime<Utc> {
    match backend {
        DbBackend::Postgres => at.trunc_subsecs(6),
        _ => at.trunc_subsecs(0),
    }
}

/// Lucia v3's session rows, as the lifecycle sees them: a session read
/// with its user, if the user still exists.
pub(super) struct Rows {
    pub(super) expiry: HalfLifeExpiry,
}

impl SessionRows for Rows {
    type Valid = ValidSession;
    type Row = (LuciaSession, Option<LuciaUser>);
    type Policy = HalfLifeExpiry;

    const SESSIONS: SessionsTable = SessionsTable {
        key: "id",
        table: SESSIONS,
        token: "id",
        user: "user_id",
        byte_exact: false,
    };

    fn policy(&self) -> &HalfLifeExpiry {
        &self.expiry
    }

    fn row_expiry((session, _): &Self::Row) -> &DateTime<Utc> {
        &session.expires_at
    }

    fn valid_expiry(valid: &ValidSession) -> DateTime<Utc> {
        valid.session.expires_at
    }

    fn user_of((session, _): &Self::Row) -> &String {
        &session.user_id
    }

    fn has_user((_, user): &Self::Row) -> bool {
        user.is_some()
    }

    async fn find<C: ConnectionTrait>(&self, db: &C, id: &str) -> Result<Option<Self::Row>, DbErr> {
        Storage { db }.session_and_user(id).await
    }

    fn live(&self, (session, user): Self::Row, _: &str) -> Option<ValidSession> {
        Some(ValidSession {
            session,
            user: user?,
        })
    }

    async fn renew<C: ConnectionTrait>(
        &self,
        db: &C,
        (mut session, user): Self::Row,
        id: &str,
        expires_at: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<Option<ValidSession>, Error> {
        let backend = db.get_database_backend();
        let expires_at = storable(backend, expires_at);
        backend::check_time(backend, "expires_at", Some(expires_at))?;
        Storage { db }.update_expiration(id, expires_at).await?;
        session.expires_at = expires_at;
        session.fresh = true;
        Ok(user.map(|user| ValidSession { session, user }))
    }

    fn expired<C: ConnectionTrait>(&self, db: &C, now: DateTime<Utc>) -> Condition {
        Storage { db }.expired(now)
    }
}
