//! `sessions` rows.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement};

use super::{SESSIONS, Schema, Storage, USERS, select, select_prefixed};
use crate::backend::{self, Reread};
use crate::lifecycle::{SessionRows, SessionsTable};
use crate::next_auth::model::{Session, SessionAndUser, User};
use crate::rules::error::Error;
use crate::rules::expiry::SlidingExpiry;
use crate::rules::token::{Secret, TokenStorage};
use authstore_entity::descriptor::NextAuthSchema;

/// The stored forms of a new session's tokens.
pub(crate) struct StoredTokens {
    pub(crate) session_token: String,
    pub(crate) access_token: String,
}

impl<C: ConnectionTrait> Storage<'_, C> {
    /// The session in `row`, whose columns are named `{pre}{column}`. Its
    /// tokens are the stored forms.
    fn session_from(&self, row: &QueryResult, pre: &str) -> Result<Session, DbErr> {
        let [_, _, _, _, _, created, updated] = self.schema.session_columns();
        Ok(Session {
            id: row.try_get(pre, "id")?,
            user_id: row.try_get(pre, "user_id")?,
            expires: self.read_time(row, pre, "expires")?,
            session_token: Secret::from(row.try_get::<String>(pre, NextAuthSchema::SESSION_TOKEN)?),
            access_token: Secret::from(row.try_get::<String>(pre, NextAuthSchema::ACCESS_TOKEN)?),
            created_at: self.read_time(row, pre, created)?,
            updated_at: self.read_time(row, pre, updated)?,
        })
    }

    pub(crate) async fn insert_session(
        &self,
        user_id: i32,
        expires: DateTime<Utc>,
        tokens: StoredTokens,
        now: DateTime<Utc>,
    ) -> Result<Session, DbErr> {
        let columns = self.schema.session_columns();
        let insert = Query::insert()
            .into_table(SESSIONS)
            .columns(columns[1..].iter().copied())
            .values_panic([
                user_id.into(),
                self.time(expires),
                tokens.session_token.into(),
                tokens.access_token.into(),
                self.time(now),
                self.time(now),
            ])
            .to_owned();
        let row = self.insert_returning(SESSIONS, &columns, insert).await?;
        self.session_from(&row, "")
    }

    /// The session with this stored token and its user: one `SELECT … JOIN`
    /// (sessions as `A_*`, users as `B_*`), built once per backend.
    pub(crate) async fn session_and_user(
        &self,
        stored_token: String,
    ) -> Result<Option<(Session, User)>, DbErr> {
        let backend = self.db.get_database_backend();
        let schema = self.schema;
        let sql = schema.lookup.sql(backend, || {
            let mut select = Query::select();
            select_prefixed(&mut select, SESSIONS, &schema.session_columns(), "A_");
            select_prefixed(&mut select, USERS, &schema.user_columns(), "B_");
            select
                .from(SESSIONS)
                .inner_join(
                    USERS,
                    Expr::col((SESSIONS, "user_id")).equals((USERS, "id")),
                )
                .and_where(Expr::col((SESSIONS, NextAuthSchema::SESSION_TOKEN)).eq(""));
            backend.build(&select).sql
        });
        let lookup = Statement::from_sql_and_values(backend, sql, [stored_token.into()]);
        let Some(row) = self.db.query_one_raw(lookup).await? else {
            return Ok(None);
        };
        Ok(Some((
            self.session_from(&row, "A_")?,
            self.user_from(&row, "B_")?,
        )))
    }

    /// Moves the session `id`'s expiry to `expires` if that is later than
    /// the stored one; whether this call changed the row.
    pub(crate) async fn extend_session(
        &self,
        id: i32,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let update = Query::update()
            .table(SESSIONS)
            .values([
                ("expires", self.time(expires)),
                (self.schema.names.updated, self.time(now)),
            ])
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("expires").lt(self.time(expires)))
            .to_owned();
        Ok(self.db.execute(&update).await?.rows_affected() > 0)
    }

    /// Moves the live session with this stored token to `expires`, never
    /// backwards, and returns it: one `UPDATE … RETURNING` (MySQL: an update
    /// and a read). `None` only if no live session has that token.
    pub(crate) async fn renew_session(
        &self,
        stored_token: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, DbErr> {
        let live = Condition::all()
            .add(Expr::col(NextAuthSchema::SESSION_TOKEN).eq(stored_token))
            .add(Expr::col("expires").gt(self.time(now)));
        let columns = self.schema.session_columns();
        let update = Query::update()
            .table(SESSIONS)
            .values([
                ("expires", self.time(expires)),
                (self.schema.names.updated, self.time(now)),
            ])
            .cond_where(live.clone())
            .and_where(Expr::col("expires").lt(self.time(expires)))
            .to_owned();
        // Not updated by us (no live session, or a concurrent renewal already
        // moved it at least this far): the reread answers what is there.
        let mut reread = select(SESSIONS, &columns);
        reread.cond_where(live);
        match backend::write_returning(self.db, update, &columns, Reread::Current(reread)).await? {
            Some(row) => Ok(Some(self.session_from(&row, "")?)),
            None => Ok(None),
        }
    }

    /// Deletes the sessions matching `filter`; how many.
    async fn delete_sessions(&self, filter: Condition) -> Result<u64, DbErr> {
        backend::delete_where(self.db, SESSIONS, filter).await
    }

    pub(crate) async fn delete_user_session(&self, user_id: i32, id: i32) -> Result<u64, DbErr> {
        let filter = Condition::all()
            .add(Expr::col("id").eq(id))
            .add(Expr::col("user_id").eq(user_id));
        self.delete_sessions(filter).await
    }

    /// The sessions over at `now`: next-auth ends one at its `expires`.
    pub(crate) fn expired(&self, now: DateTime<Utc>) -> Condition {
        Condition::all().add(Expr::col("expires").lte(self.time(now)))
    }

    /// A user's sessions expiring after `now`, newest first.
    pub(crate) async fn live_sessions(
        &self,
        user_id: i32,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, DbErr> {
        let mut select = select(SESSIONS, &self.schema.session_columns());
        select
            .and_where(Expr::col("user_id").eq(user_id))
            .and_where(Expr::col("expires").gt(self.time(now)))
            .order_by("id", Order::Desc);
        let rows = self.db.query_all(&select).await?;
        rows.iter().map(|row| self.session_from(row, "")).collect()
    }
}

/// The next-auth family's session rows, as the lifecycle sees them: the
/// profile's schema, its sliding expiry, and the tokens' stored form.
pub(crate) struct Rows {
    pub(crate) schema: &'static Schema,
    pub(crate) zone: Tz,
    pub(crate) expiry: SlidingExpiry,
    pub(crate) token_storage: TokenStorage,
}

impl Rows {
    fn on<'a, C>(&self, db: &'a C) -> Storage<'a, C> {
        Storage {
            db,
            schema: self.schema,
            zone: self.zone,
        }
    }
}

impl SessionRows for Rows {
    type Valid = SessionAndUser;
    type Row = (Session, User);
    type Policy = SlidingExpiry;

    const SESSIONS: SessionsTable = SessionsTable {
        key: "id",
        table: SESSIONS,
        token: NextAuthSchema::SESSION_TOKEN,
        user: "user_id",
        byte_exact: false,
    };

    fn policy(&self) -> &SlidingExpiry {
        &self.expiry
    }

    fn stored(&self, token: &str) -> String {
        self.token_storage.stored_form(token)
    }

    fn row_expiry((session, _): &(Session, User)) -> &DateTime<Utc> {
        &session.expires
    }

    fn valid_expiry(valid: &SessionAndUser) -> DateTime<Utc> {
        valid.session.expires
    }

    fn user_of((session, _): &(Session, User)) -> &i32 {
        &session.user_id
    }

    async fn find<C: ConnectionTrait>(
        &self,
        db: &C,
        stored: &str,
    ) -> Result<Option<(Session, User)>, DbErr> {
        self.on(db).session_and_user(stored.to_owned()).await
    }

    fn live(&self, (mut session, user): (Session, User), token: &str) -> Option<SessionAndUser> {
        session.session_token = Secret::from(token);
        Some(SessionAndUser {
            session,
            user,
            renewed: false,
        })
    }

    async fn renew<C: ConnectionTrait>(
        &self,
        db: &C,
        (mut session, user): (Session, User),
        token: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionAndUser>, Error> {
        backend::check_time(db.get_database_backend(), "expires", Some(expires))?;
        // If a concurrent read renewed it first, the row already holds
        // (about) this expiry; report `renewed` only for our own write.
        let renewed = self.on(db).extend_session(session.id, expires, now).await?;
        session.session_token = Secret::from(token);
        session.expires = expires;
        session.updated_at = now;
        Ok(Some(SessionAndUser {
            session,
            user,
            renewed,
        }))
    }

    fn expired<C: ConnectionTrait>(&self, db: &C, now: DateTime<Utc>) -> Condition {
        self.on(db).expired(now)
    }

    /// next-auth v3 and v4 beta delete an expired session when they read
    /// it; next-auth 2.0 beta keeps the row, for `purge_expired`.
    fn deletes_expired_on_read(&self) -> bool {
        self.schema.deletes_expired_on_read()
    }
}
