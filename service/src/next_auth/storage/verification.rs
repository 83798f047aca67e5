//! Verification rows (`verification_requests`, or `verification_tokens` in
//! the v4-beta docs schema).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use super::{Storage, select};
use crate::backend::{self, Reread};
use crate::next_auth::model::VerificationRequest;

impl<C: ConnectionTrait> Storage<'_, C> {
    fn verification_from(&self, row: &QueryResult) -> Result<VerificationRequest, DbErr> {
        let [_, identifier, _, _, created, updated] = self.schema.verification_columns();
        Ok(VerificationRequest {
            id: row.try_get("", "id")?,
            identifier: row.try_get("", identifier)?,
            expires: self.read_time(row, "", "expires")?,
            created_at: self.read_time(row, "", created)?,
            updated_at: self.read_time(row, "", updated)?,
        })
    }

    pub(crate) async fn insert_verification(
        &self,
        identifier: String,
        token_hash: String,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<VerificationRequest, DbErr> {
        let columns = self.schema.verification_columns();
        let insert = Query::insert()
            .into_table(self.schema.names.verification)
            .columns(columns[1..].iter().copied())
            .values_panic([
                identifier.into(),
                token_hash.into(),
                self.time(expires),
                self.time(now),
                self.time(now),
            ])
            .to_owned();
        let row = self
            .insert_returning(self.schema.names.verification, &columns, insert)
            .await?;
        self.verification_from(&row)
    }

    /// Deletes the request with this identifier and token hash and returns
    /// it, such that of any number of concurrent callers at most one gets it.
    ///
    /// With `RETURNING` (PostgreSQL, SQLite ≥ 3.35) that is a single
    /// `DELETE … RETURNING`. MySQL has none, so the row is read and then
    /// deleted with the same filter: only the caller whose `DELETE` removed
    /// it claims it.
    pub(crate) async fn take_verification(
        &self,
        identifier: String,
        token_hash: String,
    ) -> Result<Option<VerificationRequest>, DbErr> {
        let table = self.schema.names.verification;
        let columns = self.schema.verification_columns();
        let matching = Condition::all()
            .add(Expr::col(self.schema.names.identifier).eq(identifier))
            .add(Expr::col("token").eq(token_hash));
        let delete = Query::delete()
            .from_table(table)
            .cond_where(matching.clone())
            .to_owned();
        let mut claimed = select(table, &columns);
        claimed.cond_where(matching);
        match backend::write_returning(self.db, delete, &columns, Reread::Before(claimed)).await? {
            Some(row) => Ok(Some(self.verification_from(&row)?)),
            None => Ok(None),
        }
    }

    /// This schema's verification table.
    pub(crate) fn verification_table(&self) -> &'static str {
        self.schema.names.verification
    }

    fn of_identifier(&self, identifier: &str) -> Condition {
        Condition::all().add(Expr::col(self.schema.names.identifier).eq(identifier))
    }

    /// Whether a live request has this identifier and token hash: one
    /// statement on the unique `token` index, nothing written.
    pub(crate) async fn verification_is_live(
        &self,
        identifier: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let select = Query::select()
            .expr(Expr::val(1))
            .from(self.schema.names.verification)
            .cond_where(self.of_identifier(identifier))
            .and_where(Expr::col("token").eq(token_hash))
            .and_where(Expr::col("expires").gt(self.time(now)))
            .to_owned();
        Ok(self.db.query_one(&select).await?.is_some())
    }

    /// When the identifier's requests created after `since` were created,
    /// oldest first. On MySQL a locking read, so that under
    /// [`crate::backend::serialized`] it waits for the previous holder's
    /// uncommitted rows.
    pub(crate) async fn verification_times_since(
        &self,
        identifier: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, DbErr> {
        let created = self.schema.names.created;
        let mut select = Query::select();
        select
            .column(created)
            .from(self.schema.names.verification)
            .cond_where(self.of_identifier(identifier))
            .and_where(Expr::col(created).gt(self.time(since)))
            .order_by(created, sea_orm::Order::Asc);
        if self.db.get_database_backend() == sea_orm::DbBackend::MySql {
            select.lock(sea_orm::sea_query::LockType::Update);
        }
        let rows = self.db.query_all(&select).await?;
        rows.iter()
            .map(|row| self.read_time(row, "", created))
            .collect()
    }

    /// Ends the identifier's live requests, so only the one about to be
    /// issued works: those created at or before `keep_since` are deleted,
    /// and the later ones (still counted by an issuance limit) are kept but
    /// expired, their `expires` set to their creation time.
    pub(crate) async fn supersede_verifications(
        &self,
        identifier: &str,
        keep_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let table = self.schema.names.verification;
        let created = self.schema.names.created;
        let old = self
            .of_identifier(identifier)
            .add(Expr::col(created).lte(self.time(keep_since)));
        backend::delete_where(self.db, table, old).await?;
        let expire = Query::update()
            .table(table)
            .value("expires", Expr::col(created))
            .cond_where(self.of_identifier(identifier))
            .and_where(Expr::col("expires").gt(self.time(now)))
            .to_owned();
        self.db.execute(&expire).await.map(drop)
    }

    /// Deletes requests that expired by `now` and were created at or before
    /// `created_by` (later ones still count toward an issuance limit),
    /// `batch` rows per statement.
    pub(crate) async fn purge_verification(
        &self,
        now: DateTime<Utc>,
        created_by: DateTime<Utc>,
        batch: u64,
    ) -> Result<u64, DbErr> {
        let expired = Condition::all()
            .add(Expr::col("expires").lte(self.time(now)))
            .add(Expr::col(self.schema.names.created).lte(self.time(created_by)));
        backend::delete_in_batches(
            self.db,
            self.schema.names.verification,
            "id",
            expired,
            batch,
        )
        .await
    }
}
