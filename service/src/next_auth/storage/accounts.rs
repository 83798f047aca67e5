//! `accounts` rows.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use super::{ACCOUNTS, Storage, select};
use crate::next_auth::model::{Account, NewAccount, OAuthTokens};
use crate::rules::token::{self, Secret};
use authstore_entity::descriptor::NextAuthSchema;

impl<C: ConnectionTrait> Storage<'_, C> {
    fn account_from(&self, row: &QueryResult) -> Result<Account, DbErr> {
        let [
            _,
            _,
            _,
            provider_type,
            provider_id,
            _,
            _,
            _,
            _,
            created,
            updated,
        ] = self.schema.account_columns();
        let secret = |column| -> Result<Option<Secret>, DbErr> {
            Ok(row.try_get::<Option<String>>("", column)?.map(Secret::from))
        };
        Ok(Account {
            id: row.try_get("", "id")?,
            compound_id: row.try_get("", NextAuthSchema::COMPOUND_ID)?,
            user_id: row.try_get("", "user_id")?,
            provider_type: row.try_get("", provider_type)?,
            provider_id: row.try_get("", provider_id)?,
            provider_account_id: row.try_get("", NextAuthSchema::PROVIDER_ACCOUNT_ID)?,
            refresh_token: secret(NextAuthSchema::REFRESH_TOKEN)?,
            access_token: secret(NextAuthSchema::ACCESS_TOKEN)?,
            access_token_expires: self.read_optional_time(
                row,
                "",
                NextAuthSchema::ACCESS_TOKEN_EXPIRES,
            )?,
            created_at: self.read_time(row, "", created)?,
            updated_at: self.read_time(row, "", updated)?,
        })
    }

    /// Exactly this provider account: the unique (indexed) `compound_id`,
    /// and its own columns, which the hash alone does not pin down.
    fn this_account(&self, provider_id: &str, provider_account_id: &str) -> Condition {
        Condition::all()
            .add(
                Expr::col(NextAuthSchema::COMPOUND_ID)
                    .eq(token::compound_id(provider_id, provider_account_id)),
            )
            .add(Expr::col(self.schema.names.provider_id).eq(provider_id))
            .add(Expr::col(NextAuthSchema::PROVIDER_ACCOUNT_ID).eq(provider_account_id))
    }

    pub(crate) async fn insert_account(
        &self,
        account: NewAccount,
        now: DateTime<Utc>,
    ) -> Result<Account, DbErr> {
        let columns = self.schema.account_columns();
        let compound_id = token::compound_id(&account.provider_id, &account.provider_account_id);
        let insert = Query::insert()
            .into_table(ACCOUNTS)
            .columns(columns[1..].iter().copied())
            .values_panic([
                compound_id.into(),
                account.user_id.into(),
                account.provider_type.into(),
                account.provider_id.into(),
                account.provider_account_id.into(),
                account.refresh_token.map(|t| t.expose().to_owned()).into(),
                account.access_token.map(|t| t.expose().to_owned()).into(),
                self.optional_time(account.access_token_expires),
                self.time(now),
                self.time(now),
            ])
            .to_owned();
        let row = self.insert_returning(ACCOUNTS, &columns, insert).await?;
        self.account_from(&row)
    }

    /// Deletes exactly this provider account; whether it was there.
    pub(crate) async fn delete_account(
        &self,
        provider_id: &str,
        provider_account_id: &str,
    ) -> Result<bool, DbErr> {
        let delete = Query::delete()
            .from_table(ACCOUNTS)
            .cond_where(self.this_account(provider_id, provider_account_id))
            .to_owned();
        Ok(self.db.execute(&delete).await?.rows_affected() > 0)
    }

    /// A user's accounts, oldest first.
    pub(crate) async fn user_accounts(&self, user_id: i32) -> Result<Vec<Account>, DbErr> {
        let mut select = select(ACCOUNTS, &self.schema.account_columns());
        select
            .and_where(Expr::col("user_id").eq(user_id))
            .order_by("id", Order::Asc);
        let rows = self.db.query_all(&select).await?;
        rows.iter().map(|row| self.account_from(row)).collect()
    }

    /// Writes every OAuth token column of exactly this account and reads it
    /// back; `None` if it is not linked.
    pub(crate) async fn update_account_tokens(
        &self,
        provider_id: &str,
        provider_account_id: &str,
        tokens: OAuthTokens,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, DbErr> {
        let this = self.this_account(provider_id, provider_account_id);
        let update = Query::update()
            .table(ACCOUNTS)
            .values([
                (
                    NextAuthSchema::REFRESH_TOKEN,
                    tokens.refresh_token.map(|t| t.expose().to_owned()).into(),
                ),
                (
                    NextAuthSchema::ACCESS_TOKEN,
                    tokens.access_token.map(|t| t.expose().to_owned()).into(),
                ),
                (
                    NextAuthSchema::ACCESS_TOKEN_EXPIRES,
                    self.optional_time(tokens.access_token_expires),
                ),
                (self.schema.names.updated, self.time(now)),
            ])
            .cond_where(this.clone())
            .to_owned();
        if self.db.execute(&update).await?.rows_affected() == 0 {
            return Ok(None);
        }
        let mut select = select(ACCOUNTS, &self.schema.account_columns());
        select.cond_where(this);
        match self.db.query_one(&select).await? {
            Some(row) => Ok(Some(self.account_from(&row)?)),
            None => Ok(None),
        }
    }
}
