//! The adapter's rows: `users`, `accounts`, `sessions` and
//! `verification_token`, named as the profile's descriptor
//! (`authstore_entity::descriptor::AUTHJS_PG`) names them. Times are
//! `timestamptz`; the profile is PostgreSQL's, as its adapter, so a write
//! that answers its row does so with `RETURNING`.

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement};

use super::{
    AuthJsAccount, AuthJsSession, AuthJsTokens, AuthJsUser, AuthJsVerificationToken,
    NewAuthJsAccount, ValidSession,
};
use crate::backend::BuiltOnce;
use crate::lifecycle::{SessionRows, SessionsTable};
use crate::next_auth::{NewUser, UserPatch};
use crate::rules::error::Error;
use crate::rules::expiry::UpdateAgeExpiry;
use crate::rules::token::Secret;
use authstore_entity::descriptor::{AUTHJS_PG, AuthJsSchema};

pub(super) const USERS: &str = AUTHJS_PG.users;
pub(super) const ACCOUNTS: &str = AUTHJS_PG.accounts;
const SESSIONS: &str = AUTHJS_PG.sessions;
const VERIFICATION: &str = AUTHJS_PG.verification;
const USER_ID: &str = AuthJsSchema::USER_ID;
const SESSION_TOKEN: &str = AuthJsSchema::SESSION_TOKEN;
const PROVIDER_ACCOUNT_ID: &str = AuthJsSchema::PROVIDER_ACCOUNT_ID;

const USER_COLUMNS: [&str; 5] = ["id", "name", "email", AuthJsSchema::EMAIL_VERIFIED, "image"];
const SESSION_COLUMNS: [&str; 3] = [USER_ID, "expires", SESSION_TOKEN];
const ACCOUNT_COLUMNS: [&str; 12] = [
    "id",
    USER_ID,
    AuthJsSchema::TYPE,
    AuthJsSchema::PROVIDER,
    PROVIDER_ACCOUNT_ID,
    AuthJsSchema::ACCESS_TOKEN,
    AuthJsSchema::REFRESH_TOKEN,
    AuthJsSchema::ID_TOKEN,
    AuthJsSchema::EXPIRES_AT,
    AuthJsSchema::TOKEN_TYPE,
    AuthJsSchema::SCOPE,
    AuthJsSchema::SESSION_STATE,
];

/// The per-request lookup, built once (this profile's own cache).
static LOOKUP: BuiltOnce = BuiltOnce::new();

pub(super) struct Storage<'a, C> {
    pub(super) db: &'a C,
}

/// `at` as a `timestamptz` parameter.
fn time(at: DateTime<Utc>) -> Expr {
    Expr::val(at.fixed_offset())
}

fn read_time(row: &QueryResult, pre: &str, column: &str) -> Result<Option<DateTime<Utc>>, DbErr> {
    let at: Option<DateTime<FixedOffset>> = row.try_get(pre, column)?;
    Ok(at.map(|at| at.to_utc()))
}

fn user_from(row: &QueryResult, pre: &str) -> Result<AuthJsUser, DbErr> {
    Ok(AuthJsUser {
        id: row.try_get(pre, "id")?,
        name: row.try_get(pre, "name")?,
        email: row.try_get(pre, "email")?,
        email_verified: read_time(row, pre, AuthJsSchema::EMAIL_VERIFIED)?,
        image: row.try_get(pre, "image")?,
    })
}

fn session_from(row: &QueryResult, pre: &str) -> Result<AuthJsSession, DbErr> {
    Ok(AuthJsSession {
        session_token: Secret::from(row.try_get::<String>(pre, SESSION_TOKEN)?),
        user_id: row.try_get(pre, USER_ID)?,
        expires: read_time(row, pre, "expires")?
            .ok_or_else(|| DbErr::Type("sessions.expires is NULL".into()))?,
        fresh: false,
    })
}

fn account_from(row: &QueryResult) -> Result<AuthJsAccount, DbErr> {
    let secret = |column: &str| -> Result<Option<Secret>, DbErr> {
        Ok(row.try_get::<Option<String>>("", column)?.map(Secret::from))
    };
    Ok(AuthJsAccount {
        id: row.try_get("", "id")?,
        linked: NewAuthJsAccount {
            user_id: row.try_get("", USER_ID)?,
            kind: row.try_get("", AuthJsSchema::TYPE)?,
            provider: row.try_get("", AuthJsSchema::PROVIDER)?,
            provider_account_id: row.try_get("", PROVIDER_ACCOUNT_ID)?,
            tokens: AuthJsTokens {
                access_token: secret(AuthJsSchema::ACCESS_TOKEN)?,
                refresh_token: secret(AuthJsSchema::REFRESH_TOKEN)?,
                id_token: secret(AuthJsSchema::ID_TOKEN)?,
                expires_at: row.try_get("", AuthJsSchema::EXPIRES_AT)?,
                token_type: row.try_get("", AuthJsSchema::TOKEN_TYPE)?,
                scope: row.try_get("", AuthJsSchema::SCOPE)?,
                session_state: row.try_get("", AuthJsSchema::SESSION_STATE)?,
            },
        },
    })
}

/// `SELECT` of the users' columns, to be filtered.
fn select_users() -> SelectStatement {
    Query::select()
        .columns(USER_COLUMNS.map(|column| (USERS, column)))
        .from(USERS)
        .to_owned()
}

impl<C: ConnectionTrait> Storage<'_, C> {
    async fn one_user(&self, select: SelectStatement) -> Result<Option<AuthJsUser>, DbErr> {
        match self.db.query_one(&select).await? {
            Some(row) => Ok(Some(user_from(&row, "")?)),
            None => Ok(None),
        }
    }

    pub(super) async fn insert_user(&self, user: &NewUser) -> Result<AuthJsUser, DbErr> {
        let insert = Query::insert()
            .into_table(USERS)
            .columns(USER_COLUMNS[1..].iter().copied())
            .values_panic([
                user.name.clone().into(),
                user.email.clone().into(),
                Expr::val(user.email_verified.map(|at| at.fixed_offset())),
                user.image.clone().into(),
            ])
            .returning(Query::returning().columns(USER_COLUMNS))
            .to_owned();
        let row = self.db.query_one(&insert).await?;
        user_from(&row.ok_or(DbErr::RecordNotInserted)?, "")
    }

    pub(super) async fn user(&self, id: i32) -> Result<Option<AuthJsUser>, DbErr> {
        let mut select = select_users();
        select.and_where(Expr::col((USERS, "id")).eq(id));
        self.one_user(select).await
    }

    /// The user whose address is exactly `canonical`, as the adapter's
    /// `getUserByEmail` finds one (of two such rows, the older).
    pub(super) async fn user_by_email(&self, canonical: &str) -> Result<Option<AuthJsUser>, DbErr> {
        let mut select = select_users();
        select
            .and_where(Expr::col((USERS, "email")).eq(canonical))
            .order_by((USERS, "id"), Order::Asc)
            .limit(1);
        self.one_user(select).await
    }

    /// Whether any user's address is `canonical` as PostgreSQL's `lower()`
    /// folds both (another case of it, or a character the database's
    /// locale folds alike): the mailbox is taken, and a new user for it
    /// is refused.
    pub(super) async fn mailbox_taken(&self, canonical: &str) -> Result<bool, DbErr> {
        let select = Query::select()
            .expr(Expr::val(1))
            .from(USERS)
            .and_where(
                Expr::expr(Func::lower(Expr::col("email"))).eq(Func::lower(Expr::val(canonical))),
            )
            .limit(1)
            .to_owned();
        Ok(self.db.query_one(&select).await?.is_some())
    }

    /// Whether a user other than `id` has the mailbox `canonical` (see
    /// [`Storage::mailbox_taken`]).
    pub(super) async fn mailbox_taken_by_another(
        &self,
        canonical: &str,
        id: i32,
    ) -> Result<bool, DbErr> {
        let select = Query::select()
            .expr(Expr::val(1))
            .from(USERS)
            .and_where(
                Expr::expr(Func::lower(Expr::col("email"))).eq(Func::lower(Expr::val(canonical))),
            )
            .and_where(Expr::col("id").ne(id))
            .limit(1)
            .to_owned();
        Ok(self.db.query_one(&select).await?.is_some())
    }

    /// Applies `patch` (validated) to the user `id`; `None` if there is none.
    pub(super) async fn update_user(
        &self,
        id: i32,
        patch: &UserPatch,
    ) -> Result<Option<AuthJsUser>, DbErr> {
        let mut update = Query::update();
        update.table(USERS).and_where(Expr::col("id").eq(id));
        if let Some(name) = &patch.name {
            update.value("name", name.clone());
        }
        if let Some(email) = &patch.email {
            update.value("email", email.clone());
        }
        if let Some(verified) = patch.email_verified {
            update.value(
                AuthJsSchema::EMAIL_VERIFIED,
                Expr::val(verified.map(|at| at.fixed_offset())),
            );
        }
        if let Some(image) = &patch.image {
            update.value("image", image.clone());
        }
        if update.get_values().is_empty() {
            return self.user(id).await;
        }
        update.returning(Query::returning().columns(USER_COLUMNS));
        match self.db.query_one(&update).await? {
            Some(row) => Ok(Some(user_from(&row, "")?)),
            None => Ok(None),
        }
    }

    /// The user of the oldest account linking this provider account.
    pub(super) async fn user_by_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<AuthJsUser>, DbErr> {
        let mut select = select_users();
        select
            .inner_join(
                ACCOUNTS,
                Expr::col((ACCOUNTS, USER_ID)).equals((USERS, "id")),
            )
            .and_where(Expr::col((ACCOUNTS, AuthJsSchema::PROVIDER)).eq(provider))
            .and_where(Expr::col((ACCOUNTS, PROVIDER_ACCOUNT_ID)).eq(provider_account_id))
            .order_by((ACCOUNTS, "id"), Order::Asc)
            .limit(1);
        self.one_user(select).await
    }

    /// Sets the user's `emailVerified` and answers the user.
    pub(super) async fn verify_email(
        &self,
        id: i32,
        at: DateTime<Utc>,
    ) -> Result<AuthJsUser, DbErr> {
        let update = Query::update()
            .table(USERS)
            .value(AuthJsSchema::EMAIL_VERIFIED, time(at))
            .and_where(Expr::col("id").eq(id))
            .returning(Query::returning().columns(USER_COLUMNS))
            .to_owned();
        let row = self.db.query_one(&update).await?;
        user_from(&row.ok_or(DbErr::RecordNotUpdated)?, "")
    }

    pub(super) async fn delete_user(&self, id: i32) -> Result<bool, DbErr> {
        let delete = Query::delete()
            .from_table(USERS)
            .and_where(Expr::col("id").eq(id))
            .to_owned();
        Ok(self.db.execute(&delete).await?.rows_affected() > 0)
    }

    pub(super) async fn delete_accounts_of(&self, user_id: i32) -> Result<u64, DbErr> {
        let delete = Query::delete()
            .from_table(ACCOUNTS)
            .and_where(Expr::col(USER_ID).eq(user_id))
            .to_owned();
        Ok(self.db.execute(&delete).await?.rows_affected())
    }

    /// `SELECT values WHERE EXISTS (the user)`: the insert source that
    /// writes nothing for a user who does not exist (the schema has no
    /// foreign key to refuse it).
    fn if_user_exists(user_id: i32, values: Vec<Expr>) -> SelectStatement {
        let user = Query::select()
            .expr(Expr::val(1))
            .from(USERS)
            .and_where(Expr::col("id").eq(user_id))
            .to_owned();
        Query::select()
            .exprs(values)
            .and_where(Expr::exists(user))
            .to_owned()
    }

    /// Inserts the account; `None` if its user does not exist.
    pub(super) async fn insert_account(
        &self,
        account: &NewAuthJsAccount,
    ) -> Result<Option<AuthJsAccount>, DbErr> {
        let secret = |token: &Option<Secret>| -> Expr {
            Expr::val(token.as_ref().map(|token| token.expose().to_owned()))
        };
        let tokens = &account.tokens;
        let values = vec![
            Expr::val(account.user_id),
            Expr::val(account.kind.as_str()),
            Expr::val(account.provider.as_str()),
            Expr::val(account.provider_account_id.as_str()),
            secret(&tokens.access_token),
            secret(&tokens.refresh_token),
            secret(&tokens.id_token),
            Expr::val(tokens.expires_at),
            Expr::val(tokens.token_type.clone()),
            Expr::val(tokens.scope.clone()),
            Expr::val(tokens.session_state.clone()),
        ];
        let insert = Query::insert()
            .into_table(ACCOUNTS)
            .columns(ACCOUNT_COLUMNS[1..].iter().copied())
            .select_from(Self::if_user_exists(account.user_id, values))
            .map_err(|err| DbErr::Custom(err.to_string()))?
            .returning(Query::returning().columns(ACCOUNT_COLUMNS))
            .to_owned();
        match self.db.query_one(&insert).await? {
            Some(row) => Ok(Some(account_from(&row)?)),
            None => Ok(None),
        }
    }

    pub(super) async fn delete_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<u64, DbErr> {
        let delete = Query::delete()
            .from_table(ACCOUNTS)
            .and_where(Expr::col(AuthJsSchema::PROVIDER).eq(provider))
            .and_where(Expr::col(PROVIDER_ACCOUNT_ID).eq(provider_account_id))
            .to_owned();
        Ok(self.db.execute(&delete).await?.rows_affected())
    }

    /// The oldest account linking this provider account.
    pub(super) async fn account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<AuthJsAccount>, DbErr> {
        let select = Query::select()
            .columns(ACCOUNT_COLUMNS)
            .from(ACCOUNTS)
            .and_where(Expr::col(AuthJsSchema::PROVIDER).eq(provider))
            .and_where(Expr::col(PROVIDER_ACCOUNT_ID).eq(provider_account_id))
            .order_by("id", Order::Asc)
            .limit(1)
            .to_owned();
        match self.db.query_one(&select).await? {
            Some(row) => Ok(Some(account_from(&row)?)),
            None => Ok(None),
        }
    }

    pub(super) async fn accounts_of(&self, user_id: i32) -> Result<Vec<AuthJsAccount>, DbErr> {
        let select = Query::select()
            .columns(ACCOUNT_COLUMNS)
            .from(ACCOUNTS)
            .and_where(Expr::col(USER_ID).eq(user_id))
            .order_by("id", Order::Asc)
            .to_owned();
        let rows = self.db.query_all(&select).await?;
        rows.iter().map(account_from).collect()
    }

    /// Inserts a session; whether its user exists (if not, nothing is
    /// written).
    pub(super) async fn insert_session(
        &self,
        token: &str,
        user_id: i32,
        expires: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let values = vec![Expr::val(user_id), time(expires), Expr::val(token)];
        let insert = Query::insert()
            .into_table(SESSIONS)
            .columns(SESSION_COLUMNS)
            .select_from(Self::if_user_exists(user_id, values))
            .map_err(|err| DbErr::Custom(err.to_string()))?
            .to_owned();
        Ok(self.db.execute(&insert).await?.rows_affected() > 0)
    }

    /// The session with this token and its user, if the user still exists:
    /// one `SELECT … LEFT JOIN` (sessions as `A_*`, users as `B_*`), built
    /// once. Of two rows with one token (the schema does not forbid it),
    /// the older, as the adapter reads the first it finds.
    async fn session_and_user(
        &self,
        token: &str,
    ) -> Result<Option<(AuthJsSession, Option<AuthJsUser>)>, DbErr> {
        let backend = self.db.get_database_backend();
        let sql = LOOKUP.sql(backend, || {
            let mut select = Query::select();
            for column in SESSION_COLUMNS {
                select.expr_as(Expr::col((SESSIONS, column)), format!("A_{column}"));
            }
            for column in USER_COLUMNS {
                select.expr_as(Expr::col((USERS, column)), format!("B_{column}"));
            }
            select
                .from(SESSIONS)
                .left_join(USERS, Expr::col((SESSIONS, USER_ID)).equals((USERS, "id")))
                .and_where(Expr::col((SESSIONS, SESSION_TOKEN)).eq(""))
                .order_by((SESSIONS, "id"), Order::Asc)
                .limit(1);
            backend.build(&select).sql
        });
        let lookup = Statement::from_sql_and_values(backend, sql, [token.into(), 1u64.into()]);
        let Some(row) = self.db.query_one_raw(lookup).await? else {
            return Ok(None);
        };
        let user = match row.try_get::<Option<i32>>("B_", "id")? {
            Some(_) => Some(user_from(&row, "B_")?),
            None => None,
        };
        Ok(Some((session_from(&row, "A_")?, user)))
    }

    /// Whether a session with this token is there.
    async fn session_exists(&self, token: &str) -> Result<bool, DbErr> {
        let select = Query::select()
            .expr(Expr::val(1))
            .from(SESSIONS)
            .and_where(Expr::col(SESSION_TOKEN).eq(token))
            .to_owned();
        Ok(self.db.query_one(&select).await?.is_some())
    }

    /// Moves the session's expiry to `expires` if that is later; whether
    /// this call moved it.
    async fn extend_session(&self, token: &str, expires: DateTime<Utc>) -> Result<bool, DbErr> {
        let update = Query::update()
            .table(SESSIONS)
            .value("expires", time(expires))
            .and_where(Expr::col(SESSION_TOKEN).eq(token))
            .and_where(Expr::col("expires").lt(time(expires)))
            .to_owned();
        Ok(self.db.execute(&update).await?.rows_affected() > 0)
    }

    pub(super) async fn insert_verification(
        &self,
        identifier: &str,
        hash: &str,
        expires: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let insert = Query::insert()
            .into_table(VERIFICATION)
            .columns(["identifier", "expires", "token"])
            .values_panic([identifier.into(), time(expires), hash.into()])
            .to_owned();
        self.db.execute(&insert).await.map(drop)
    }

    /// Deletes the token's rows and answers one: a token is used once.
    pub(super) async fn take_verification(
        &self,
        identifier: &str,
        hash: &str,
    ) -> Result<Option<AuthJsVerificationToken>, DbErr> {
        let delete = Query::delete()
            .from_table(VERIFICATION)
            .and_where(Expr::col("identifier").eq(identifier))
            .and_where(Expr::col("token").eq(hash))
            .returning(Query::returning().columns(["identifier", "expires"]))
            .to_owned();
        let rows = self.db.query_all(&delete).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        Ok(Some(AuthJsVerificationToken {
            identifier: row.try_get("", "identifier")?,
            expires: read_time(row, "", "expires")?
                .ok_or_else(|| DbErr::Type("verification_token.expires is NULL".into()))?,
        }))
    }
}

/// The adapter's session rows, as the lifecycle sees them: found with
/// their user, under Auth.js's `maxAge` / `updateAge` rule.
pub(super) struct Rows {
    pub(super) expiry: UpdateAgeExpiry,
}

impl SessionRows for Rows {
    type Valid = ValidSession;
    type Row = (AuthJsSession, Option<AuthJsUser>);
    type Policy = UpdateAgeExpiry;

    const SESSIONS: SessionsTable = SessionsTable {
        table: SESSIONS,
        token: SESSION_TOKEN,
        user: USER_ID,
        byte_exact: false,
    };

    fn policy(&self) -> &UpdateAgeExpiry {
        &self.expiry
    }

    fn row_expiry((session, _): &Self::Row) -> &DateTime<Utc> {
        &session.expires
    }

    fn valid_expiry(valid: &ValidSession) -> DateTime<Utc> {
        valid.session.expires
    }

    fn user_of((session, _): &Self::Row) -> &i32 {
        &session.user_id
    }

    /// A session whose user is gone is no session (the adapter's lookup
    /// answers `null` for it).
    fn has_user((_, user): &Self::Row) -> bool {
        user.is_some()
    }

    async fn find<C: ConnectionTrait>(
        &self,
        db: &C,
        token: &str,
    ) -> Result<Option<Self::Row>, DbErr> {
        Storage { db }.session_and_user(token).await
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
        token: &str,
        expires: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<Option<ValidSession>, Error> {
        let storage = Storage { db };
        // Not moved: a concurrent read renewed it first (the row then holds
        // about this expiry, and the cookie is set again all the same), or
        // a sign-out deleted it meanwhile, and then there is no session.
        if !storage.extend_session(token, expires).await? && !storage.session_exists(token).await? {
            return Ok(None);
        }
        session.expires = expires;
        session.fresh = true;
        Ok(user.map(|user| ValidSession { session, user }))
    }

    /// Over once `expires` is past (Auth.js: `expires < Date.now()`).
    fn expired<C: ConnectionTrait>(&self, _: &C, now: DateTime<Utc>) -> Condition {
        Condition::all().add(Expr::col("expires").lt(time(now)))
    }
}
