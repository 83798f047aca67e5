//! Verification rows (`verification_requests`, or `verification_tokens` in
//! the v4-beta docs schema).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use super::{Storage, select};
use crate::backend;
use crate::verification::VerificationRequest;

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
            .into_table(self.schema.differences.verification)
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
            .insert_returning(self.schema.differences.verification, &columns, insert)
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
        let table = self.schema.differences.verification;
        let columns = self.schema.verification_columns();
        let matching = Condition::all()
            .add(Expr::col(self.schema.differences.identifier).eq(identifier))
            .add(Expr::col("token").eq(token_hash));
        let mut delete = Query::delete()
            .from_table(table)
            .cond_where(matching.clone())
            .to_owned();
        if self.db.support_returning() {
            delete.returning(super::returning(&columns));
            return match self.db.query_one(&delete).await? {
                Some(row) => Ok(Some(self.verification_from(&row)?)),
                None => Ok(None),
            };
        }
        let mut select = select(table, &columns);
        select.cond_where(matching);
        let Some(row) = self.db.query_one(&select).await? else {
            return Ok(None);
        };
        let found = self.verification_from(&row)?;
        let deleted = self.db.execute(&delete).await?.rows_affected();
        Ok((deleted > 0).then_some(found))
    }

    /// Deletes requests that expired by `now`, `batch` rows per statement.
    pub(crate) async fn purge_verification(
        &self,
        now: DateTime<Utc>,
        batch: u64,
    ) -> Result<u64, DbErr> {
        let expired = Condition::all().add(Expr::col("expires").lte(self.time(now)));
        backend::delete_in_batches(
            self.db,
            self.schema.differences.verification,
            "id",
            expired,
            batch,
        )
        .await
    }
}
