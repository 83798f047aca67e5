//! `users` rows.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockType, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement, Value};

use super::{ACCOUNTS, SESSIONS, Storage, USERS, select, select_prefixed};
use crate::backend::{self, Reread};
use crate::next_auth::model::{NewUser, User, UserPatch};
use authstore_entity::descriptor::NextAuthSchema;

impl<C: ConnectionTrait> Storage<'_, C> {
    /// The user in `row`, whose columns are named `{pre}{column}`.
    pub(crate) fn user_from(&self, row: &QueryResult, pre: &str) -> Result<User, DbErr> {
        let [_, _, _, _, _, created, updated] = self.schema.user_columns();
        Ok(User {
            id: row.try_get(pre, "id")?,
            name: row.try_get(pre, "name")?,
            email: row.try_get(pre, "email")?,
            email_verified: self.read_optional_time(row, pre, NextAuthSchema::EMAIL_VERIFIED)?,
            image: row.try_get(pre, "image")?,
            created_at: self.read_time(row, pre, created)?,
            updated_at: self.read_time(row, pre, updated)?,
        })
    }

    pub(crate) async fn insert_user(
        &self,
        user: NewUser,
        now: DateTime<Utc>,
    ) -> Result<User, DbErr> {
        let columns = self.schema.user_columns();
        let insert = Query::insert()
            .into_table(USERS)
            .columns(columns[1..].iter().copied())
            .values_panic([
                user.name.into(),
                user.email.into(),
                self.optional_time(user.email_verified),
                user.image.into(),
                self.time(now),
                self.time(now),
            ])
            .to_owned();
        let row = self.insert_returning(USERS, &columns, insert).await?;
        self.user_from(&row, "")
    }

    pub(crate) async fn user(&self, id: i32) -> Result<Option<User>, DbErr> {
        let mut select = select(USERS, &self.schema.user_columns());
        select.and_where(Expr::col("id").eq(id));
        self.one_user(select).await
    }

    /// The user with exactly this stored email; with `lock`, read with a
    /// shared lock, which sees the latest committed row.
    pub(crate) async fn user_by_email(
        &self,
        email: &str,
        lock: bool,
    ) -> Result<Option<User>, DbErr> {
        let mut select = select(USERS, &self.schema.user_columns());
        select.and_where(Expr::col("email").eq(email));
        if lock {
            select.lock(LockType::Share);
        }
        self.one_user(select).await
    }

    /// The user whose account has this `compound_id` and exactly these
    /// provider columns: one `SELECT … JOIN`, whose SQL is built once per
    /// backend (`$1` compound id, `$2`, `$3` the account's columns).
    pub(crate) async fn user_by_account(
        &self,
        compound_id: String,
        provider_id: &str,
        provider_account_id: &str,
    ) -> Result<Option<User>, DbErr> {
        let backend = self.db.get_database_backend();
        let schema = self.schema;
        let sql = schema.by_account.sql(backend, || {
            let mut select = Query::select();
            select_prefixed(&mut select, USERS, &schema.user_columns(), "");
            select
                .from(USERS)
                .inner_join(
                    ACCOUNTS,
                    Expr::col((ACCOUNTS, "user_id")).equals((USERS, "id")),
                )
                .and_where(Expr::col((ACCOUNTS, NextAuthSchema::COMPOUND_ID)).eq(""))
                .and_where(Expr::col((ACCOUNTS, schema.names.provider_id)).eq(""))
                .and_where(Expr::col((ACCOUNTS, NextAuthSchema::PROVIDER_ACCOUNT_ID)).eq(""));
            backend.build(&select).sql
        });
        let values: [Value; 3] = [
            compound_id.into(),
            provider_id.into(),
            provider_account_id.into(),
        ];
        let lookup = Statement::from_sql_and_values(backend, sql, values);
        match self.db.query_one_raw(lookup).await? {
            Some(row) => Ok(Some(self.user_from(&row, "")?)),
            None => Ok(None),
        }
    }

    /// Applies `patch` and sets the `updated` clock; `None` if there is no
    /// such user.
    pub(crate) async fn update_user(
        &self,
        id: i32,
        patch: UserPatch,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, DbErr> {
        let mut values: Vec<(&'static str, Expr)> =
            vec![(self.schema.names.updated, self.time(now))];
        if let Some(name) = patch.name {
            values.push(("name", name.into()));
        }
        if let Some(email) = patch.email {
            values.push(("email", email.into()));
        }
        if let Some(verified) = patch.email_verified {
            values.push((NextAuthSchema::EMAIL_VERIFIED, self.optional_time(verified)));
        }
        if let Some(image) = patch.image {
            values.push(("image", image.into()));
        }
        let columns = self.schema.user_columns();
        let mut update = Query::update();
        update
            .table(USERS)
            .values(values)
            .and_where(Expr::col("id").eq(id));
        let mut reread = select(USERS, &columns);
        reread.and_where(Expr::col("id").eq(id));
        match backend::write_returning(self.db, update, &columns, Reread::After(reread)).await? {
            Some(row) => Ok(Some(self.user_from(&row, "")?)),
            None => Ok(None),
        }
    }

    /// Deletes the user's sessions, accounts and the user; whether the user
    /// existed. The caller runs it in a transaction.
    pub(crate) async fn delete_user(&self, id: i32) -> Result<bool, DbErr> {
        for child in [SESSIONS, ACCOUNTS] {
            let delete = Query::delete()
                .from_table(child)
                .and_where(Expr::col("user_id").eq(id))
                .to_owned();
            self.db.execute(&delete).await?;
        }
        let delete = Query::delete()
            .from_table(USERS)
            .and_where(Expr::col("id").eq(id))
            .to_owned();
        Ok(self.db.execute(&delete).await?.rows_affected() > 0)
    }

    async fn one_user(
        &self,
        select: sea_orm::sea_query::SelectStatement,
    ) -> Result<Option<User>, DbErr> {
        match self.db.query_one(&select).await? {
            Some(row) => Ok(Some(self.user_from(&row, "")?)),
            None => Ok(None),
        }
    }
}
