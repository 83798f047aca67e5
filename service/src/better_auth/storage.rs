//! better-auth's rows. Every statement names its columns (camelCase, as
//! better-auth's Kysely adapter writes them), and every time goes through
//! [`Storage::time`] and [`Storage::read_time`], so each backend keeps it as
//! better-auth does (the profile's schema facts,
//! `authstore_entity::better_auth::BETTER_AUTH`, say how).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement, Value};

use super::{
    Account, LinkedAccount, Session, SessionMeta, UpdateAgeExpiry, User, ValidSession, Verification,
};
use crate::backend::{self, BuiltOnce};
use crate::lifecycle::{SessionRows, SessionsTable};
use crate::rules::error::Error;
use crate::rules::token::Secret;
use authstore_entity::better_auth::{BETTER_AUTH, BetterAuthTime, column as col};

const USERS: &str = BETTER_AUTH.users;
const SESSIONS: &str = BETTER_AUTH.sessions;
const ACCOUNTS: &str = BETTER_AUTH.accounts;
const VERIFICATION: &str = BETTER_AUTH.verification;

/// A user's columns, in the order `insert_user` writes them (the
/// carry-over writes them in this order too).
pub(super) const USER_COLUMNS: [&str; 7] = [
    "id",
    "name",
    "email",
    col::EMAIL_VERIFIED,
    "image",
    col::CREATED_AT,
    col::UPDATED_AT,
];
/// A session's columns; the carry-over writes the first six (an old
/// system knows no client address or agent).
pub(super) const SESSION_COLUMNS: [&str; 8] = [
    "id",
    "token",
    col::USER_ID,
    col::EXPIRES_AT,
    col::CREATED_AT,
    col::UPDATED_AT,
    col::IP_ADDRESS,
    col::USER_AGENT,
];
/// What identifies an account row: its id, the provider's pair, the user.
pub(super) const ACCOUNT_KEY: [&str; 4] = ["id", col::ACCOUNT_ID, col::PROVIDER_ID, col::USER_ID];
/// Every row's clocks, which better-auth's adapter writes itself.
pub(super) const CLOCKS: [&str; 2] = [col::CREATED_AT, col::UPDATED_AT];
const ACCOUNT_COLUMNS: [&str; 10] = [
    ACCOUNT_KEY[0],
    ACCOUNT_KEY[1],
    ACCOUNT_KEY[2],
    ACCOUNT_KEY[3],
    col::ACCESS_TOKEN,
    col::REFRESH_TOKEN,
    col::ID_TOKEN,
    col::ACCESS_TOKEN_EXPIRES_AT,
    col::REFRESH_TOKEN_EXPIRES_AT,
    col::SCOPE,
];

/// A verification row's columns, in the order `insert_verification`
/// writes them; a read needs all but the last.
const VERIFICATION_COLUMNS: [&str; 6] = [
    "id",
    "identifier",
    "value",
    col::EXPIRES_AT,
    col::CREATED_AT,
    col::UPDATED_AT,
];

/// The per-request lookup, built once per backend.
static LOOKUP: BuiltOnce = BuiltOnce::new();

pub(super) struct Storage<'a, C> {
    pub(super) db: &'a C,
}

impl<C: ConnectionTrait> Storage<'_, C> {
    /// `table.column = value`, byte for byte on every backend: on MySQL
    /// better-auth's columns keep the server's collation, under which
    /// `ada@exámple.com` would find `ada@example.com` and a Lucia id `abc`
    /// the user `ABC`.
    fn exact(&self, table: &'static str, column: &'static str, value: &str) -> Condition {
        backend::exact_eq(self.db.get_database_backend(), (table, column), value)
    }

    fn times(&self) -> BetterAuthTime {
        BETTER_AUTH.time_on(self.db.get_database_backend())
    }

    /// `at` as a better-auth time column takes it on this backend.
    fn time(&self, at: DateTime<Utc>) -> SimpleExpr {
        self.optional_time(Some(at))
    }

    fn optional_time(&self, at: Option<DateTime<Utc>>) -> SimpleExpr {
        Expr::val(self.times().value(at))
    }

    fn read_time(&self, row: &QueryResult, column: &str) -> Result<Option<DateTime<Utc>>, DbErr> {
        self.times().read(row, column)
    }

    fn required_time(&self, row: &QueryResult, column: &str) -> Result<DateTime<Utc>, DbErr> {
        self.read_time(row, column)?
            .ok_or_else(|| DbErr::Type(format!("{column} is NULL")))
    }

    fn user_from(&self, row: &QueryResult, prefix: &str) -> Result<User, DbErr> {
        let column = |name: &str| format!("{prefix}{name}");
        Ok(User {
            id: row.try_get("", &column("id"))?,
            name: row.try_get("", &column("name"))?,
            email: row.try_get("", &column("email"))?,
            email_verified: row.try_get("", &column(col::EMAIL_VERIFIED))?,
            image: row.try_get("", &column("image"))?,
            created_at: self.required_time(row, &column(col::CREATED_AT))?,
            updated_at: self.required_time(row, &column(col::UPDATED_AT))?,
        })
    }

    fn session_from(&self, row: &QueryResult) -> Result<Session, DbErr> {
        Ok(Session {
            id: row.try_get("", "id")?,
            token: Secret::from(row.try_get::<String>("", "token")?),
            user_id: row.try_get("", col::USER_ID)?,
            expires_at: self.required_time(row, col::EXPIRES_AT)?,
            created_at: self.required_time(row, col::CREATED_AT)?,
            updated_at: self.required_time(row, col::UPDATED_AT)?,
            meta: SessionMeta {
                ip_address: row.try_get("", col::IP_ADDRESS)?,
                user_agent: row.try_get("", col::USER_AGENT)?,
            },
            fresh: false,
        })
    }

    fn account_from(&self, row: &QueryResult) -> Result<Account, DbErr> {
        let secret = |column: &str| -> Result<Option<Secret>, DbErr> {
            Ok(row.try_get::<Option<String>>("", column)?.map(Secret::from))
        };
        Ok(Account {
            id: row.try_get("", "id")?,
            user_id: row.try_get("", col::USER_ID)?,
            linked: LinkedAccount {
                provider_id: row.try_get("", col::PROVIDER_ID)?,
                account_id: row.try_get("", col::ACCOUNT_ID)?,
                access_token: secret(col::ACCESS_TOKEN)?,
                refresh_token: secret(col::REFRESH_TOKEN)?,
                id_token: secret(col::ID_TOKEN)?,
                access_token_expires_at: self.read_time(row, col::ACCESS_TOKEN_EXPIRES_AT)?,
                refresh_token_expires_at: self.read_time(row, col::REFRESH_TOKEN_EXPIRES_AT)?,
                scope: row.try_get("", col::SCOPE)?,
            },
        })
    }

    pub(super) async fn insert_user(&self, user: &User) -> Result<(), DbErr> {
        let insert = Query::insert()
            .into_table(USERS)
            .columns(USER_COLUMNS)
            .values_panic([
                user.id.as_str().into(),
                user.name.as_str().into(),
                user.email.as_str().into(),
                user.email_verified.into(),
                user.image.clone().into(),
                self.time(user.created_at),
                self.time(user.updated_at),
            ])
            .to_owned();
        self.db.execute(&insert).await.map(drop)
    }

    pub(super) async fn user_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<User>, DbErr> {
        let select = Query::select()
            .columns(USER_COLUMNS)
            .from(USERS)
            .cond_where(self.exact(USERS, column, value))
            .to_owned();
        self.db
            .query_one(&select)
            .await?
            .map(|row| self.user_from(&row, ""))
            .transpose()
    }

    pub(super) async fn delete_user(&self, id: &str) -> Result<bool, DbErr> {
        Ok(backend::delete_where(self.db, USERS, self.exact(USERS, "id", id)).await? > 0)
    }

    pub(super) async fn insert_session(&self, session: &Session) -> Result<(), DbErr> {
        let insert = Query::insert()
            .into_table(SESSIONS)
            .columns(SESSION_COLUMNS)
            .values_panic([
                session.id.as_str().into(),
                session.token.expose().into(),
                session.user_id.as_str().into(),
                self.time(session.expires_at),
                self.time(session.created_at),
                self.time(session.updated_at),
                session.meta.ip_address.clone().into(),
                session.meta.user_agent.clone().into(),
            ])
            .to_owned();
        self.db.execute(&insert).await.map(drop)
    }

    /// The session with this token and its user: one `SELECT … JOIN` (the
    /// foreign key cascades, so a session always has its user).
    pub(super) async fn session_and_user(
        &self,
        token: &str,
    ) -> Result<Option<(Session, User)>, DbErr> {
        let backend = self.db.get_database_backend();
        let sql = LOOKUP.sql(backend, || {
            let mut select = Query::select();
            for column in SESSION_COLUMNS {
                select.column((SESSIONS, column));
            }
            for column in USER_COLUMNS {
                select.expr_as(Expr::col((USERS, column)), format!("user_{column}"));
            }
            select
                .from(SESSIONS)
                .inner_join(
                    USERS,
                    Expr::col((USERS, "id")).equals((SESSIONS, col::USER_ID)),
                )
                .cond_where(self.exact(SESSIONS, "token", ""));
            backend.build(&select).sql
        });
        let binds = vec![Value::from(token); backend::exact_eq_binds(backend)];
        let lookup = Statement::from_sql_and_values(backend, sql, binds);
        let Some(row) = self.db.query_one_raw(lookup).await? else {
            return Ok(None);
        };
        Ok(Some((
            self.session_from(&row)?,
            self.user_from(&row, "user_")?,
        )))
    }

    pub(super) async fn renew_session(
        &self,
        token: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, DbErr> {
        let update = Query::update()
            .table(SESSIONS)
            .value(col::EXPIRES_AT, self.time(expires_at))
            .value(col::UPDATED_AT, self.time(now))
            .cond_where(self.exact(SESSIONS, "token", token))
            // Not expired, by better-auth's rule: over only after `expiresAt`.
            .and_where(Expr::col(col::EXPIRES_AT).gte(self.time(now)))
            .to_owned();
        Ok(self.db.execute(&update).await?.rows_affected())
    }

    /// The sessions over at `now`: better-auth's rule ends one only after
    /// its `expiresAt`.
    pub(super) fn expired(&self, now: DateTime<Utc>) -> Condition {
        Condition::all().add(Expr::col(col::EXPIRES_AT).lt(self.time(now)))
    }

    pub(super) async fn delete_user_accounts(&self, user_id: &str) -> Result<u64, DbErr> {
        backend::delete_where(
            self.db,
            ACCOUNTS,
            self.exact(ACCOUNTS, col::USER_ID, user_id),
        )
        .await
    }

    /// A user's sessions that have not expired, newest first.
    pub(super) async fn live_sessions(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, DbErr> {
        let select = Query::select()
            .columns(SESSION_COLUMNS)
            .from(SESSIONS)
            .cond_where(self.exact(SESSIONS, col::USER_ID, user_id))
            // Not expired, by better-auth's rule: over only after `expiresAt`.
            .and_where(Expr::col(col::EXPIRES_AT).gte(self.time(now)))
            .order_by(col::CREATED_AT, Order::Desc)
            .to_owned();
        let rows = self.db.query_all(&select).await?;
        rows.iter().map(|row| self.session_from(row)).collect()
    }

    pub(super) async fn insert_account(
        &self,
        id: &str,
        user_id: &str,
        linked: &LinkedAccount,
        password: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let token = |secret: &Option<Secret>| -> SimpleExpr {
            secret.as_ref().map(|s| s.expose().to_owned()).into()
        };
        let insert = Query::insert()
            .into_table(ACCOUNTS)
            .columns(ACCOUNT_COLUMNS.into_iter().chain([
                "password",
                col::CREATED_AT,
                col::UPDATED_AT,
            ]))
            .values_panic([
                id.into(),
                linked.account_id.as_str().into(),
                linked.provider_id.as_str().into(),
                user_id.into(),
                token(&linked.access_token),
                token(&linked.refresh_token),
                token(&linked.id_token),
                self.optional_time(linked.access_token_expires_at),
                self.optional_time(linked.refresh_token_expires_at),
                linked.scope.clone().into(),
                password.map(str::to_owned).into(),
                self.time(now),
                self.time(now),
            ])
            .to_owned();
        self.db.execute(&insert).await.map(drop)
    }

    /// The account of `provider_id` with `account_id`, the oldest if
    /// better-auth linked it twice (it has no unique key there).
    pub(super) async fn account(
        &self,
        provider_id: &str,
        account_id: &str,
    ) -> Result<Option<Account>, DbErr> {
        let select = Query::select()
            .columns(ACCOUNT_COLUMNS)
            .from(ACCOUNTS)
            .cond_where(self.exact(ACCOUNTS, col::PROVIDER_ID, provider_id))
            .cond_where(self.exact(ACCOUNTS, col::ACCOUNT_ID, account_id))
            .order_by(col::CREATED_AT, Order::Asc)
            .limit(1)
            .to_owned();
        self.db
            .query_one(&select)
            .await?
            .map(|row| self.account_from(&row))
            .transpose()
    }

    pub(super) async fn user_accounts(&self, user_id: &str) -> Result<Vec<Account>, DbErr> {
        let select = Query::select()
            .columns(ACCOUNT_COLUMNS)
            .from(ACCOUNTS)
            .cond_where(self.exact(ACCOUNTS, col::USER_ID, user_id))
            .order_by(col::CREATED_AT, Order::Asc)
            .to_owned();
        let rows = self.db.query_all(&select).await?;
        rows.iter().map(|row| self.account_from(row)).collect()
    }

    /// The user's credential account's id and stored password, if any.
    pub(super) async fn password_of(
        &self,
        user_id: &str,
    ) -> Result<Option<(String, Option<String>)>, DbErr> {
        let select = Query::select()
            .columns(["id", "password"])
            .from(ACCOUNTS)
            .and_where(Expr::col(col::PROVIDER_ID).eq(BETTER_AUTH.credential_provider))
            .cond_where(self.exact(ACCOUNTS, col::USER_ID, user_id))
            .order_by(col::CREATED_AT, Order::Asc)
            .limit(1)
            .to_owned();
        let Some(row) = self.db.query_one(&select).await? else {
            return Ok(None);
        };
        Ok(Some((row.try_get("", "id")?, row.try_get("", "password")?)))
    }

    pub(super) async fn set_password(
        &self,
        account_id: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let update = Query::update()
            .table(ACCOUNTS)
            .value("password", hash)
            .value(col::UPDATED_AT, self.time(now))
            .and_where(Expr::col("id").eq(account_id))
            .to_owned();
        self.db.execute(&update).await.map(drop)
    }

    pub(super) async fn insert_verification(&self, row: &Verification) -> Result<(), DbErr> {
        let insert = Query::insert()
            .into_table(VERIFICATION)
            .columns(VERIFICATION_COLUMNS)
            .values_panic([
                row.id.as_str().into(),
                row.identifier.as_str().into(),
                row.value.expose().into(),
                self.time(row.expires_at),
                self.time(row.created_at),
                self.time(row.created_at),
            ])
            .to_owned();
        self.db.execute(&insert).await.map(drop)
    }

    /// The newest value for `identifier`, as better-auth's
    /// `findVerificationValue` picks it.
    pub(super) async fn newest_verification(
        &self,
        identifier: &str,
    ) -> Result<Option<Verification>, DbErr> {
        let select = Query::select()
            .columns(VERIFICATION_COLUMNS[..5].iter().copied())
            .from(VERIFICATION)
            .cond_where(self.exact(VERIFICATION, "identifier", identifier))
            .order_by(col::CREATED_AT, Order::Desc)
            .limit(1)
            .to_owned();
        let Some(row) = self.db.query_one(&select).await? else {
            return Ok(None);
        };
        Ok(Some(Verification {
            id: row.try_get("", "id")?,
            identifier: row.try_get("", "identifier")?,
            value: Secret::from(row.try_get::<String>("", "value")?),
            expires_at: self.required_time(&row, col::EXPIRES_AT)?,
            created_at: self.required_time(&row, col::CREATED_AT)?,
        }))
    }

    pub(super) async fn delete_verifications(&self, identifier: &str) -> Result<u64, DbErr> {
        backend::delete_where(
            self.db,
            VERIFICATION,
            self.exact(VERIFICATION, "identifier", identifier),
        )
        .await
    }
}

/// better-auth's session rows, as the lifecycle sees them: a session read
/// with its user (the foreign key cascades: never an orphan).
pub(super) struct Rows {
    pub(super) expiry: UpdateAgeExpiry,
}

impl SessionRows for Rows {
    type Valid = ValidSession;
    type Row = (Session, User);
    type Policy = UpdateAgeExpiry;

    const SESSIONS: SessionsTable = SessionsTable {
        key: "id",
        table: SESSIONS,
        token: "token",
        user: col::USER_ID,
        byte_exact: true,
    };

    fn policy(&self) -> &UpdateAgeExpiry {
        &self.expiry
    }

    fn row_expiry((session, _): &(Session, User)) -> &DateTime<Utc> {
        &session.expires_at
    }

    fn valid_expiry(valid: &ValidSession) -> DateTime<Utc> {
        valid.session.expires_at
    }

    fn user_of((session, _): &(Session, User)) -> &String {
        &session.user_id
    }

    async fn find<C: ConnectionTrait>(
        &self,
        db: &C,
        token: &str,
    ) -> Result<Option<(Session, User)>, DbErr> {
        Storage { db }.session_and_user(token).await
    }

    fn live(&self, (session, user): (Session, User), _: &str) -> Option<ValidSession> {
        Some(ValidSession { session, user })
    }

    async fn renew<C: ConnectionTrait>(
        &self,
        db: &C,
        (mut session, user): (Session, User),
        token: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<ValidSession>, Error> {
        backend::check_time(db.get_database_backend(), "expires_at", Some(expires_at))?;
        let renewed = Storage { db }.renew_session(token, expires_at, now).await?;
        if renewed == 0 {
            return Ok(None);
        }
        session.expires_at = expires_at;
        session.updated_at = now;
        session.fresh = true;
        Ok(Some(ValidSession { session, user }))
    }

    fn expired<C: ConnectionTrait>(&self, db: &C, now: DateTime<Utc>) -> Condition {
        Storage { db }.expired(now)
    }
}
