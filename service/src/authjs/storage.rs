//! The adapter's rows: users, accounts, sessions and verification tokens,
//! named as the profile's descriptor (`authstore_entity::descriptor`)
//! names them, with its kind of id and of time on the database's backend.
//! Every backend an Auth.js adapter's tables are served on (PostgreSQL,
//! SQLite 3.35 or later) answers a write's row with `RETURNING`.

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Condition, Expr, ExprTrait, Func, Order, Query, SelectStatement, UpdateStatement,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement};

use super::adapter::sealed;
use super::authenticator::{AuthJsAuthenticator, authenticator_from};
use super::{
    AuthJsAccount, AuthJsAdapter, AuthJsSession, AuthJsTokens, AuthJsUser, AuthJsVerificationToken,
    NewAuthJsAccount, ValidSession,
};
use crate::backend;
use crate::lifecycle::{SessionRows, SessionsTable};
use crate::next_auth::{NewUser, UserPatch};
use crate::rules::email;
use crate::rules::error::Error;
use crate::rules::expiry::UpdateAgeExpiry;
use crate::rules::token::Secret;
use authstore_entity::descriptor::{AuthJsIds, AuthJsSchema};

const USER_ID: &str = AuthJsSchema::USER_ID;
const SESSION_TOKEN: &str = AuthJsSchema::SESSION_TOKEN;
const PROVIDER_ACCOUNT_ID: &str = AuthJsSchema::PROVIDER_ACCOUNT_ID;

const USER_COLUMNS: [&str; 5] = ["id", "name", "email", AuthJsSchema::EMAIL_VERIFIED, "image"];
const SESSION_COLUMNS: [&str; 3] = [USER_ID, "expires", SESSION_TOKEN];
const ACCOUNT_COLUMNS: [&str; 11] = [
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

/// Whether the database holds `table` where the app's unqualified SQL finds
/// it: on PostgreSQL in the first schema of the `search_path` that has it
/// (which need not be `current_schema()`, the first that exists).
pub(super) async fn table_held<C: ConnectionTrait>(db: &C, table: &str) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        // SQLite resolves names whatever their case.
        DbBackend::Sqlite => {
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE"
        }
        _ => {
            "SELECT 1 FROM pg_class WHERE oid = to_regclass(quote_ident($1)) AND relkind IN ('r', 'p')"
        }
    };
    let held = Statement::from_sql_and_values(backend, sql, [table.into()]);
    Ok(db.query_one_raw(held).await?.is_some())
}

/// Whether `table`, found as [`table_held`] finds it, has `column`.
pub(super) async fn column_held<C: ConnectionTrait>(
    db: &C,
    table: &str,
    column: &str,
) -> Result<bool, DbErr> {
    let held = Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(quote_ident($1)) \
         AND attname = $2 AND attnum > 0 AND NOT attisdropped",
        [table.into(), column.into()],
    );
    Ok(db.query_one_raw(held).await?.is_some())
}

/// A passkey's credential id, the authenticator table's key.
const CREDENTIAL_ID: &str = AuthJsSchema::CREDENTIAL_ID;
const COUNTER: &str = AuthJsSchema::COUNTER;
const AUTHENTICATOR_COLUMNS: [&str; 8] = [
    CREDENTIAL_ID,
    USER_ID,
    PROVIDER_ACCOUNT_ID,
    AuthJsSchema::CREDENTIAL_PUBLIC_KEY,
    COUNTER,
    AuthJsSchema::CREDENTIAL_DEVICE_TYPE,
    AuthJsSchema::CREDENTIAL_BACKED_UP,
    AuthJsSchema::TRANSPORTS,
];

pub(super) struct Storage<'a, C, A> {
    pub(super) db: &'a C,
    pub(super) adapter: PhantomData<A>,
}

/// `at` as the schema stores an instant on `backend`.
fn time<A: AuthJsAdapter>(backend: DbBackend, at: DateTime<Utc>) -> Expr {
    backend::time_value(A::SCHEMA.times_on(backend), at)
}

fn read_time<A: AuthJsAdapter>(
    backend: DbBackend,
    row: &QueryResult,
    pre: &str,
    column: &str,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    backend::read_optional_time(A::SCHEMA.times_on(backend), row, &format!("{pre}{column}"))
}

fn user_from<A: AuthJsAdapter>(
    backend: DbBackend,
    row: &QueryResult,
    pre: &str,
) -> Result<AuthJsUser<A::Id>, DbErr> {
    Ok(AuthJsUser {
        id: row.try_get(pre, "id")?,
        name: row.try_get(pre, "name")?,
        email: row.try_get(pre, "email")?,
        email_verified: read_time::<A>(backend, row, pre, AuthJsSchema::EMAIL_VERIFIED)?,
        image: row.try_get(pre, "image")?,
    })
}

fn session_from<A: AuthJsAdapter>(
    backend: DbBackend,
    row: &QueryResult,
    pre: &str,
) -> Result<AuthJsSession<A::Id>, DbErr> {
    Ok(AuthJsSession {
        session_token: Secret::from(row.try_get::<String>(pre, SESSION_TOKEN)?),
        user_id: row.try_get(pre, USER_ID)?,
        expires: read_time::<A>(backend, row, pre, "expires")?
            .ok_or_else(|| DbErr::Type("a session's expires is NULL".into()))?,
        fresh: false,
    })
}

fn account_from<A: AuthJsAdapter>(
    backend: DbBackend,
    row: &QueryResult,
) -> Result<AuthJsAccount<A::Id>, DbErr> {
    let secret = |column: &str| -> Result<Option<Secret>, DbErr> {
        Ok(row.try_get::<Option<String>>("", column)?.map(Secret::from))
    };
    let expires_at = match A::SCHEMA.expires_at_32_bit_on(backend) {
        true => row
            .try_get::<Option<i32>>("", AuthJsSchema::EXPIRES_AT)?
            .map(i64::from),
        false => row.try_get("", AuthJsSchema::EXPIRES_AT)?,
    };
    Ok(AuthJsAccount {
        linked: NewAuthJsAccount {
            user_id: row.try_get("", USER_ID)?,
            kind: row.try_get("", AuthJsSchema::TYPE)?,
            provider: row.try_get("", AuthJsSchema::PROVIDER)?,
            provider_account_id: row.try_get("", PROVIDER_ACCOUNT_ID)?,
            tokens: AuthJsTokens {
                access_token: secret(AuthJsSchema::ACCESS_TOKEN)?,
                refresh_token: secret(AuthJsSchema::REFRESH_TOKEN)?,
                id_token: secret(AuthJsSchema::ID_TOKEN)?,
                expires_at,
                token_type: row.try_get("", AuthJsSchema::TOKEN_TYPE)?,
                scope: row.try_get("", AuthJsSchema::SCOPE)?,
                session_state: row.try_get("", AuthJsSchema::SESSION_STATE)?,
            },
        },
    })
}

/// The times among the columns read: each is read through [`finite`].
const TIMES: [&str; 2] = [AuthJsSchema::EMAIL_VERIFIED, "expires"];

/// `column` of `table` as a read takes it, in SQL: an infinite time is
/// read as `NULL` ([`backend::finite_time`]), so a row someone wrote by
/// hand is refused with an error (a session must have its expiry), never a
/// panic.
fn finite_sql(backend: DbBackend, table: &str, column: &str) -> String {
    let qualified = format!(r#""{table}"."{column}""#);
    match TIMES.contains(&column) {
        true => backend::finite_time(backend, &qualified),
        false => qualified,
    }
}

/// [`finite_sql`] as an expression.
fn finite(backend: DbBackend, table: &str, column: &str) -> Expr {
    Expr::cust(finite_sql(backend, table, column))
}

/// The user's columns, for a `RETURNING`, each named as the column.
fn returned_user(backend: DbBackend, users: &str) -> Vec<Expr> {
    USER_COLUMNS
        .iter()
        .map(|column| {
            let read = finite_sql(backend, users, column);
            Expr::cust(format!(r#"{read} AS "{column}""#))
        })
        .collect()
}

/// The row clocks a write of a new row sets where the schema keeps them
/// ([`AuthJsSchema::row_clocks`]): UTC's wall clock now, to the
/// millisecond as the column keeps it, as Prisma's client writes
/// `@default(now())` and `@updatedAt`.
fn new_row_clocks<A: AuthJsAdapter>() -> Vec<(&'static str, Expr)> {
    match A::SCHEMA.row_clocks {
        true => vec![
            (AuthJsSchema::CREATED_AT, utc_now()),
            (AuthJsSchema::UPDATED_AT, utc_now()),
        ],
        false => Vec::new(),
    }
}

/// What a change to a row sets besides ([`new_row_clocks`]).
fn changed_row_clock<A: AuthJsAdapter>(update: &mut UpdateStatement) {
    if A::SCHEMA.row_clocks {
        update.value(AuthJsSchema::UPDATED_AT, utc_now());
    }
}

/// The database's now on UTC's wall clock, for a `timestamp` column.
fn utc_now() -> Expr {
    Expr::cust("(now() AT TIME ZONE 'UTC')")
}

/// `columns` and `values` with the new row's clocks after them.
fn with_new_row_clocks<A: AuthJsAdapter>(
    columns: &[&'static str],
    mut values: Vec<Expr>,
) -> (Vec<&'static str>, Vec<Expr>) {
    let mut columns = columns.to_vec();
    for (column, value) in new_row_clocks::<A>() {
        columns.push(column);
        values.push(value);
    }
    (columns, values)
}

/// `columns` and `values` of a new account or session, with its own `id`
/// in front where the schema gives it one its writer makes (a CUID on
/// next-auth 4's Prisma schema, as Prisma's client's `@default(cuid())`),
/// and the row clocks after them.
fn new_account_or_session<A: AuthJsAdapter>(
    columns: &[&'static str],
    values: Vec<Expr>,
) -> (Vec<&'static str>, Vec<Expr>) {
    let (mut columns, mut values) = with_new_row_clocks::<A>(columns, values);
    if let Some(id) = A::SCHEMA.row_ids.and_then(<String as sealed::Key>::made) {
        columns.insert(0, "id");
        values.insert(0, Expr::val(id));
    }
    (columns, values)
}

/// Of several rows, the oldest first: by id where the table numbers its
/// rows, else in the table's physical order ([`backend::physical_order`]), which is
/// the order the adapter's own unordered `SELECT` reads them in, and
/// insertion order for rows never updated (where the documented keys are
/// missing, a table may hold two rows for one provider account).
fn oldest_first<A: AuthJsAdapter>(
    backend: DbBackend,
    select: &mut SelectStatement,
    table: &'static str,
) {
    let key = match A::SCHEMA.row_ids {
        Some(AuthJsIds::Serial) => "id",
        _ => backend::physical_order(backend),
    };
    select.order_by((table, key), Order::Asc);
}

/// `SELECT` of the users' columns, to be filtered.
fn select_users<A: AuthJsAdapter>(backend: DbBackend) -> SelectStatement {
    let users = A::SCHEMA.users;
    let mut select = Query::select();
    for column in USER_COLUMNS {
        select.expr_as(finite(backend, users, column), column);
    }
    select.from(users).to_owned()
}

impl<'a, C: ConnectionTrait, A: AuthJsAdapter> Storage<'a, C, A> {
    fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// The adapter's tables on `db`.
    pub(super) fn on(db: &'a C) -> Self {
        Storage {
            db,
            adapter: PhantomData,
        }
    }

    const USERS: &'static str = A::SCHEMA.users;
    const ACCOUNTS: &'static str = A::SCHEMA.accounts;
    const SESSIONS: &'static str = A::SCHEMA.sessions;
    const VERIFICATION: &'static str = A::SCHEMA.verification;

    async fn one_user(&self, select: SelectStatement) -> Result<Option<AuthJsUser<A::Id>>, DbErr> {
        match self.db.query_one(&select).await? {
            Some(row) => Ok(Some(user_from::<A>(self.backend(), &row, "")?)),
            None => Ok(None),
        }
    }

    /// Inserts the user, with the id the writer makes where the schema
    /// wants one.
    pub(super) async fn insert_user(&self, user: &NewUser) -> Result<AuthJsUser<A::Id>, DbErr> {
        let id = A::new_user_id();
        let columns = match id {
            Some(_) => &USER_COLUMNS[..],
            None => &USER_COLUMNS[1..],
        };
        let mut values: Vec<Expr> = id.map(Expr::val).into_iter().collect();
        values.extend([
            user.name.clone().into(),
            user.email.clone().into(),
            backend::optional_time_value(A::SCHEMA.times_on(self.backend()), user.email_verified),
            user.image.clone().into(),
        ]);
        let (columns, values) = with_new_row_clocks::<A>(columns, values);
        let insert = Query::insert()
            .into_table(Self::USERS)
            .columns(columns)
            .values_panic(values)
            .returning(Query::returning().exprs(returned_user(self.backend(), Self::USERS)))
            .to_owned();
        let row = self.db.query_one(&insert).await?;
        user_from::<A>(self.backend(), &row.ok_or(DbErr::RecordNotInserted)?, "")
    }

    pub(super) async fn user(&self, id: &A::Id) -> Result<Option<AuthJsUser<A::Id>>, DbErr> {
        let mut select = select_users::<A>(self.backend());
        select.and_where(Expr::col((Self::USERS, "id")).eq(id.clone()));
        self.one_user(select).await
    }

    /// The user whose address is exactly `canonical`, as the adapter's
    /// `getUserByEmail` finds one (of two such rows, the older), or else
    /// exactly its domain's ASCII (punycode) spelling, which Auth.js keeps
    /// when that is what the person typed ([`email::spellings`]).
    pub(super) async fn user_by_email(
        &self,
        canonical: &str,
    ) -> Result<Option<AuthJsUser<A::Id>>, DbErr> {
        let email = Expr::col((Self::USERS, "email"));
        let mut select = select_users::<A>(self.backend());
        select
            .and_where(email.clone().is_in(email::spellings(canonical)))
            // The canonical spelling first.
            .order_by_expr(email.ne(canonical), Order::Asc)
            .order_by((Self::USERS, "id"), Order::Asc)
            .limit(1);
        self.one_user(select).await
    }

    /// Whether any user's address is `canonical` once lowercased (another
    /// case of it, or a character PostgreSQL's locale folds alike), in
    /// either spelling of its domain: Auth.js keeps the domain as it was
    /// typed, so an app's row may hold the ASCII (punycode) spelling of a
    /// domain authstore writes in Unicode. The mailbox is then taken, and a
    /// new user for it is refused.
    pub(super) async fn mailbox_taken(&self, canonical: &str) -> Result<bool, DbErr> {
        Ok(!self.mailbox_holders(canonical).await?.is_empty())
    }

    /// Whether a user other than `id` has the mailbox `canonical` (see
    /// [`Storage::mailbox_taken`]).
    pub(super) async fn mailbox_taken_by_another(
        &self,
        canonical: &str,
        id: &A::Id,
    ) -> Result<bool, DbErr> {
        let holders = self.mailbox_holders(canonical).await?;
        Ok(holders.iter().any(|holder| holder != id))
    }

    /// The users holding the mailbox `canonical` ([`Storage::mailbox_taken`]).
    /// SQLite's `lower()` folds ASCII letters only: there the rows holding
    /// any other character are also read, and lowercased here.
    async fn mailbox_holders(&self, canonical: &str) -> Result<Vec<A::Id>, DbErr> {
        let spellings = email::spellings(canonical);
        let lowered: Vec<Expr> = spellings
            .iter()
            .map(|spelling| Func::lower(Expr::val(spelling.as_str())).into())
            .collect();
        let folded = Expr::expr(Func::lower(Expr::col("email"))).is_in(lowered);
        let sqlite = self.backend() == DbBackend::Sqlite;
        let mut found = Condition::any().add(folded);
        if sqlite {
            found = found.add(Expr::cust(r#""email" GLOB '*[^ -~]*'"#));
        }
        let select = Query::select()
            .columns(["id", "email"])
            .from(Self::USERS)
            .cond_where(found)
            .to_owned();
        let mut holders = Vec::new();
        for row in self.db.query_all(&select).await? {
            let address: Option<String> = row.try_get("", "email")?;
            let holds = address
                .is_some_and(|address| !sqlite || spellings.contains(&address.to_lowercase()));
            if holds {
                holders.push(row.try_get("", "id")?);
            }
        }
        Ok(holders)
    }

    /// Applies `patch` (validated) to the user `id`; `None` if there is none.
    pub(super) async fn update_user(
        &self,
        id: &A::Id,
        patch: &UserPatch,
    ) -> Result<Option<AuthJsUser<A::Id>>, DbErr> {
        let mut update = Query::update();
        update
            .table(Self::USERS)
            .and_where(Expr::col("id").eq(id.clone()));
        if let Some(name) = &patch.name {
            update.value("name", name.clone());
        }
        if let Some(email) = &patch.email {
            update.value("email", email.clone());
        }
        if let Some(verified) = patch.email_verified {
            update.value(
                AuthJsSchema::EMAIL_VERIFIED,
                backend::optional_time_value(A::SCHEMA.times_on(self.backend()), verified),
            );
        }
        if let Some(image) = &patch.image {
            update.value("image", image.clone());
        }
        if update.get_values().is_empty() {
            return self.user(id).await;
        }
        changed_row_clock::<A>(&mut update);
        update.returning(Query::returning().exprs(returned_user(self.backend(), Self::USERS)));
        match self.db.query_one(&update).await? {
            Some(row) => Ok(Some(user_from::<A>(self.backend(), &row, "")?)),
            None => Ok(None),
        }
    }

    /// The user of the oldest account linking this provider account.
    pub(super) async fn user_by_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<AuthJsUser<A::Id>>, DbErr> {
        let mut select = select_users::<A>(self.backend());
        select
            .inner_join(
                Self::ACCOUNTS,
                Expr::col((Self::ACCOUNTS, USER_ID)).equals((Self::USERS, "id")),
            )
            .and_where(Expr::col((Self::ACCOUNTS, AuthJsSchema::PROVIDER)).eq(provider))
            .and_where(Expr::col((Self::ACCOUNTS, PROVIDER_ACCOUNT_ID)).eq(provider_account_id));
        oldest_first::<A>(self.backend(), &mut select, Self::ACCOUNTS);
        select.limit(1);
        self.one_user(select).await
    }

    /// Sets the user's `emailVerified` and answers the user.
    pub(super) async fn verify_email(
        &self,
        id: &A::Id,
        at: DateTime<Utc>,
    ) -> Result<AuthJsUser<A::Id>, DbErr> {
        let mut update = Query::update()
            .table(Self::USERS)
            .value(AuthJsSchema::EMAIL_VERIFIED, time::<A>(self.backend(), at))
            .and_where(Expr::col("id").eq(id.clone()))
            .returning(Query::returning().exprs(returned_user(self.backend(), Self::USERS)))
            .to_owned();
        changed_row_clock::<A>(&mut update);
        let row = self.db.query_one(&update).await?;
        user_from::<A>(self.backend(), &row.ok_or(DbErr::RecordNotUpdated)?, "")
    }

    pub(super) async fn delete_user(&self, id: &A::Id) -> Result<bool, DbErr> {
        let delete = Query::delete()
            .from_table(Self::USERS)
            .and_where(Expr::col("id").eq(id.clone()))
            .to_owned();
        Ok(self.db.execute(&delete).await?.rows_affected() > 0)
    }

    /// Deletes the user's WebAuthn authenticators, where the schema has
    /// them and the database holds the table (an app without passkeys may
    /// have left it out). The adapters' foreign keys would cascade, but a
    /// Prisma app on `relationMode = "prisma"` has none: its client
    /// deletes them itself, and so does this.
    pub(super) async fn delete_authenticators_of(&self, user_id: &A::Id) -> Result<u64, DbErr> {
        let Some(table) = A::SCHEMA.authenticators else {
            return Ok(0);
        };
        if !table_held(self.db, table).await? {
            return Ok(0);
        }
        let delete = Query::delete()
            .from_table(table)
            .and_where(Expr::col(USER_ID).eq(user_id.clone()))
            .to_owned();
        Ok(self.db.execute(&delete).await?.rows_affected())
    }

    pub(super) async fn delete_accounts_of(&self, user_id: &A::Id) -> Result<u64, DbErr> {
        let delete = Query::delete()
            .from_table(Self::ACCOUNTS)
            .and_where(Expr::col(USER_ID).eq(user_id.clone()))
            .to_owned();
        Ok(self.db.execute(&delete).await?.rows_affected())
    }

    /// The passkey whose credential id (base64) this is, from `table`.
    pub(super) async fn authenticator(
        &self,
        table: &'static str,
        credential_id: &str,
    ) -> Result<Option<AuthJsAuthenticator<A::Id>>, DbErr> {
        let select = Query::select()
            .columns(AUTHENTICATOR_COLUMNS)
            .from(table)
            .and_where(Expr::col(CREDENTIAL_ID).eq(credential_id))
            .limit(1)
            .to_owned();
        match self.db.query_one(&select).await? {
            Some(row) => Ok(Some(authenticator_from(&row)?)),
            None => Ok(None),
        }
    }

    /// The users whose `webauthn` accounts are named after this credential
    /// (base64): whom Auth.js would sign the passkey in as.
    pub(super) async fn passkey_account_holders(
        &self,
        credential_id: &str,
    ) -> Result<Vec<A::Id>, DbErr> {
        let select = Query::select()
            .column(USER_ID)
            .from(Self::ACCOUNTS)
            .and_where(Expr::col(PROVIDER_ACCOUNT_ID).eq(credential_id))
            .and_where(Expr::col(AuthJsSchema::TYPE).eq("webauthn"))
            .to_owned();
        let rows = self.db.query_all(&select).await?;
        rows.iter().map(|row| row.try_get("", USER_ID)).collect()
    }

    /// The user's passkeys in `table`, in the table's order.
    pub(super) async fn authenticators_of(
        &self,
        table: &'static str,
        user_id: &A::Id,
    ) -> Result<Vec<AuthJsAuthenticator<A::Id>>, DbErr> {
        let mut select = Query::select()
            .columns(AUTHENTICATOR_COLUMNS)
            .from(table)
            .and_where(Expr::col(USER_ID).eq(user_id.clone()))
            .to_owned();
        select.order_by((table, backend::physical_order(self.backend())), Order::Asc);
        let rows = self.db.query_all(&select).await?;
        rows.iter().map(authenticator_from).collect()
    }

    /// Inserts the passkey into `table`; `None` if its user does not exist.
    pub(super) async fn insert_authenticator(
        &self,
        table: &'static str,
        passkey: &AuthJsAuthenticator<A::Id>,
    ) -> Result<Option<AuthJsAuthenticator<A::Id>>, DbErr> {
        let values = vec![
            Expr::val(passkey.credential_id_base64()),
            Expr::val(passkey.user_id.clone()),
            Expr::val(passkey.provider_account_id.as_str()),
            Expr::val(data_encoding::BASE64.encode(&passkey.credential_public_key)),
            // Checked to fit before.
            Expr::val(i32::try_from(passkey.counter).unwrap_or(i32::MAX)),
            Expr::val(passkey.credential_device_type.as_str()),
            Expr::val(passkey.credential_backed_up),
            Expr::val(passkey.transports.clone()),
        ];
        let insert = Query::insert()
            .into_table(table)
            .columns(AUTHENTICATOR_COLUMNS)
            .select_from(Self::if_user_exists(&passkey.user_id, values))
            .map_err(|err| DbErr::Custom(err.to_string()))?
            .returning(Query::returning().columns(AUTHENTICATOR_COLUMNS))
            .to_owned();
        match self.db.query_one(&insert).await? {
            Some(row) => Ok(Some(authenticator_from(&row)?)),
            None => Ok(None),
        }
    }

    /// Sets the counter of the passkey with this credential id (base64)
    /// where it goes up, or stays 0 (an authenticator that keeps no
    /// counter); the passkey, `None` if there is none or the counter would
    /// not go up.
    pub(super) async fn set_authenticator_counter(
        &self,
        table: &'static str,
        credential_id: &str,
        counter: i32,
    ) -> Result<Option<AuthJsAuthenticator<A::Id>>, DbErr> {
        let update = Query::update()
            .table(table)
            .value(COUNTER, counter)
            .and_where(Expr::col(CREDENTIAL_ID).eq(credential_id))
            .cond_where(
                Condition::any()
                    .add(Expr::col(COUNTER).lt(counter))
                    .add(Expr::col(COUNTER).eq(0).and(Expr::val(counter).eq(0))),
            )
            .returning(Query::returning().columns(AUTHENTICATOR_COLUMNS))
            .to_owned();
        match self.db.query_one(&update).await? {
            Some(row) => Ok(Some(authenticator_from(&row)?)),
            None => Ok(None),
        }
    }

    /// `SELECT values WHERE EXISTS (the user)`: the insert source that
    /// writes nothing for a user who does not exist (the schema has no
    /// foreign key to refuse it).
    fn if_user_exists(user_id: &A::Id, values: Vec<Expr>) -> SelectStatement {
        let user = Query::select()
            .expr(Expr::val(1))
            .from(Self::USERS)
            .and_where(Expr::col("id").eq(user_id.clone()))
            .to_owned();
        Query::select()
            .exprs(values)
            .and_where(Expr::exists(user))
            .to_owned()
    }

    /// Inserts the account; `None` if its user does not exist.
    pub(super) async fn insert_account(
        &self,
        account: &NewAuthJsAccount<A::Id>,
    ) -> Result<Option<AuthJsAccount<A::Id>>, DbErr> {
        let secret = |token: &Option<Secret>| -> Expr {
            Expr::val(token.as_ref().map(|token| token.expose().to_owned()))
        };
        let tokens = &account.tokens;
        let values = vec![
            Expr::val(account.user_id.clone()),
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
        let (columns, values) = new_account_or_session::<A>(&ACCOUNT_COLUMNS, values);
        let insert = Query::insert()
            .into_table(Self::ACCOUNTS)
            .columns(columns)
            .select_from(Self::if_user_exists(&account.user_id, values))
            .map_err(|err| DbErr::Custom(err.to_string()))?
            .returning(Query::returning().columns(ACCOUNT_COLUMNS))
            .to_owned();
        match self.db.query_one(&insert).await? {
            Some(row) => Ok(Some(account_from::<A>(self.backend(), &row)?)),
            None => Ok(None),
        }
    }

    pub(super) async fn delete_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<u64, DbErr> {
        let delete = Query::delete()
            .from_table(Self::ACCOUNTS)
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
    ) -> Result<Option<AuthJsAccount<A::Id>>, DbErr> {
        let mut select = Query::select()
            .columns(ACCOUNT_COLUMNS)
            .from(Self::ACCOUNTS)
            .and_where(Expr::col(AuthJsSchema::PROVIDER).eq(provider))
            .and_where(Expr::col(PROVIDER_ACCOUNT_ID).eq(provider_account_id))
            .to_owned();
        oldest_first::<A>(self.backend(), &mut select, Self::ACCOUNTS);
        select.limit(1);
        match self.db.query_one(&select).await? {
            Some(row) => Ok(Some(account_from::<A>(self.backend(), &row)?)),
            None => Ok(None),
        }
    }

    pub(super) async fn accounts_of(
        &self,
        user_id: &A::Id,
    ) -> Result<Vec<AuthJsAccount<A::Id>>, DbErr> {
        let mut select = Query::select()
            .columns(ACCOUNT_COLUMNS)
            .from(Self::ACCOUNTS)
            .and_where(Expr::col(USER_ID).eq(user_id.clone()))
            .to_owned();
        oldest_first::<A>(self.backend(), &mut select, Self::ACCOUNTS);
        let rows = self.db.query_all(&select).await?;
        rows.iter()
            .map(|row| account_from::<A>(self.backend(), row))
            .collect()
    }

    /// Inserts a session; whether its user exists (if not, nothing is
    /// written).
    pub(super) async fn insert_session(
        &self,
        token: &str,
        user_id: &A::Id,
        expires: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let values = vec![
            Expr::val(user_id.clone()),
            time::<A>(self.backend(), expires),
            Expr::val(token),
        ];
        let (columns, values) = new_account_or_session::<A>(&SESSION_COLUMNS, values);
        let insert = Query::insert()
            .into_table(Self::SESSIONS)
            .columns(columns)
            .select_from(Self::if_user_exists(user_id, values))
            .map_err(|err| DbErr::Custom(err.to_string()))?
            .to_owned();
        Ok(self.db.execute(&insert).await?.rows_affected() > 0)
    }

    /// The session with this token and its user, if the user still exists:
    /// one `SELECT … LEFT JOIN` (sessions as `A_*`, users as `B_*`), built
    /// once. Of two rows with one token (the schema does not forbid it),
    /// the older, as the adapter reads the first it finds.
    async fn session_and_user(&self, token: &str) -> Result<Option<SessionRow<A>>, DbErr> {
        let backend = self.db.get_database_backend();
        let sql = A::lookup().sql(backend, || {
            let mut select = Query::select();
            for column in SESSION_COLUMNS {
                select.expr_as(
                    finite(backend, Self::SESSIONS, column),
                    format!("A_{column}"),
                );
            }
            for column in USER_COLUMNS {
                select.expr_as(finite(backend, Self::USERS, column), format!("B_{column}"));
            }
            select
                .from(Self::SESSIONS)
                .left_join(
                    Self::USERS,
                    Expr::col((Self::SESSIONS, USER_ID)).equals((Self::USERS, "id")),
                )
                .and_where(Expr::col((Self::SESSIONS, SESSION_TOKEN)).eq(""));
            oldest_first::<A>(self.backend(), &mut select, Self::SESSIONS);
            select.limit(1);
            backend.build(&select).sql
        });
        let lookup = Statement::from_sql_and_values(backend, sql, [token.into(), 1u64.into()]);
        let Some(row) = self.db.query_one_raw(lookup).await? else {
            return Ok(None);
        };
        let user = match row.try_get::<Option<A::Id>>("B_", "id")? {
            Some(_) => Some(user_from::<A>(self.backend(), &row, "B_")?),
            None => None,
        };
        Ok(Some((session_from::<A>(self.backend(), &row, "A_")?, user)))
    }

    /// Whether a session with this token is there.
    async fn session_exists(&self, token: &str) -> Result<bool, DbErr> {
        let select = Query::select()
            .expr(Expr::val(1))
            .from(Self::SESSIONS)
            .and_where(Expr::col(SESSION_TOKEN).eq(token))
            .to_owned();
        Ok(self.db.query_one(&select).await?.is_some())
    }

    /// Moves the session's expiry to `expires` if that is later; whether
    /// this call moved it.
    async fn extend_session(&self, token: &str, expires: DateTime<Utc>) -> Result<bool, DbErr> {
        let mut update = Query::update()
            .table(Self::SESSIONS)
            .value("expires", time::<A>(self.backend(), expires))
            .and_where(Expr::col(SESSION_TOKEN).eq(token))
            .and_where(Expr::col("expires").lt(time::<A>(self.backend(), expires)))
            .to_owned();
        changed_row_clock::<A>(&mut update);
        Ok(self.db.execute(&update).await?.rows_affected() > 0)
    }

    pub(super) async fn insert_verification(
        &self,
        identifier: &str,
        hash: &str,
        expires: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let insert = Query::insert()
            .into_table(Self::VERIFICATION)
            .columns(["identifier", "expires", "token"])
            .values_panic([
                identifier.into(),
                time::<A>(self.backend(), expires),
                hash.into(),
            ])
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
            .from_table(Self::VERIFICATION)
            .and_where(Expr::col("identifier").eq(identifier))
            .and_where(Expr::col("token").eq(hash))
            .returning(Query::returning().exprs([
                Expr::col("identifier"),
                Expr::cust(format!(
                    r#"{} AS "expires""#,
                    finite_sql(self.backend(), Self::VERIFICATION, "expires")
                )),
            ]))
            .to_owned();
        let rows = self.db.query_all(&delete).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        Ok(Some(AuthJsVerificationToken {
            identifier: row.try_get("", "identifier")?,
            expires: read_time::<A>(self.backend(), row, "", "expires")?
                .ok_or_else(|| DbErr::Type("a verification token's expires is NULL".into()))?,
        }))
    }
}

/// A session row as one lookup reads it, with its user unless the user
/// is gone.
type SessionRow<A> = (
    AuthJsSession<<A as AuthJsAdapter>::Id>,
    Option<AuthJsUser<<A as AuthJsAdapter>::Id>>,
);

/// The adapter's session rows, as the lifecycle sees them: found with
/// their user, under Auth.js's `maxAge` / `updateAge` rule.
pub(super) struct Rows<A> {
    pub(super) expiry: UpdateAgeExpiry,
    pub(super) adapter: PhantomData<A>,
}

impl<A: AuthJsAdapter> SessionRows for Rows<A> {
    type Valid = ValidSession<A::Id>;
    type Row = SessionRow<A>;
    type Policy = UpdateAgeExpiry;

    const SESSIONS: SessionsTable = SessionsTable {
        table: A::SCHEMA.sessions,
        key: match A::SCHEMA.row_ids {
            Some(_) => "id",
            None => SESSION_TOKEN,
        },
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

    fn valid_expiry(valid: &Self::Valid) -> DateTime<Utc> {
        valid.session.expires
    }

    fn user_of((session, _): &Self::Row) -> &A::Id {
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
        Storage::<C, A>::on(db).session_and_user(token).await
    }

    fn live(&self, (session, user): Self::Row, _: &str) -> Option<Self::Valid> {
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
    ) -> Result<Option<Self::Valid>, Error> {
        let storage = Storage::<C, A>::on(db);
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
    fn expired<C: ConnectionTrait>(&self, db: &C, now: DateTime<Utc>) -> Condition {
        let at = time::<A>(db.get_database_backend(), now);
        Condition::all().add(Expr::col("expires").lt(at))
    }
}
