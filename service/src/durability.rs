//! Revocations that survive a failover: on PostgreSQL with a synchronous
//! standby configured (`synchronous_standby_names`), a sign-out, a
//! revocation, a user's deletion or a password change commits with
//! `synchronous_commit = remote_apply` for its own transaction, so it
//! returns only once the standby has applied it, and promoting the standby
//! can never bring a revoked session back. Every other write keeps the
//! server's setting.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, Statement, TransactionSession,
    TransactionTrait,
};

/// How long the server's answer to "is a synchronous standby configured?"
/// is trusted: a standby added or removed is noticed within it.
const RECHECK_EVERY: Duration = Duration::from_secs(10);

/// Whether the primary has a synchronous standby, asked at most every
/// [`RECHECK_EVERY`]. Shared by a store's clones and scopes.
#[derive(Default)]
pub(crate) struct SyncStandby {
    known: Mutex<Option<(Instant, bool)>>,
}

impl SyncStandby {
    async fn configured(&self, db: &impl ConnectionTrait) -> Result<bool, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres || db.is_mock_connection() {
            return Ok(false);
        }
        if let Some((at, configured)) = *self.lock()
            && at.elapsed() < RECHECK_EVERY
        {
            return Ok(configured);
        }
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT current_setting('synchronous_standby_names') <> ''",
            ))
            .await?;
        let configured = match row {
            Some(row) => row.try_get_by_index::<bool>(0)?,
            None => false,
        };
        *self.lock() = Some((Instant::now(), configured));
        Ok(configured)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, bool)>> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Begins a transaction on `db` for a revocation of several statements: it
/// commits only once a synchronous standby has applied it, if one is
/// configured.
pub(crate) async fn begin_revocation<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    standby: &SyncStandby,
) -> Result<C::Transaction, DbErr> {
    // Asked of `db` itself, before the transaction: a mock connection says
    // it is one, a transaction on it does not.
    let wait = standby.configured(db).await?;
    let txn = db.begin().await?;
    if wait {
        txn.execute_unprepared(REMOTE_APPLY).await?;
    }
    Ok(txn)
}

const REMOTE_APPLY: &str = "SET LOCAL synchronous_commit = remote_apply";

/// Where a revocation's statements run: straight on the connection, or,
/// when a synchronous standby is configured, in a transaction of its own
/// that waits for the standby to apply it. [`Revocation::finish`] commits.
pub(crate) enum Revocation<'a, C: TransactionTrait> {
    Direct(&'a C),
    AppliedOnStandby(C::Transaction),
}

impl<'a, C: ConnectionTrait + TransactionTrait> Revocation<'a, C> {
    pub(crate) async fn begin(db: &'a C, standby: &SyncStandby) -> Result<Self, DbErr> {
        if !standby.configured(db).await? {
            return Ok(Revocation::Direct(db));
        }
        let txn = db.begin().await?;
        txn.execute_unprepared(REMOTE_APPLY).await?;
        Ok(Revocation::AppliedOnStandby(txn))
    }

    /// Ends the revocation with the `outcome` of its writes: commits (and
    /// waits for the standby) when they succeeded, rolls back when not.
    pub(crate) async fn finish<T>(self, outcome: Result<T, DbErr>) -> Result<T, DbErr> {
        match (self, outcome) {
            (Revocation::AppliedOnStandby(txn), Ok(done)) => {
                txn.commit().await?;
                Ok(done)
            }
            // Dropping the transaction rolls it back.
            (_, outcome) => outcome,
        }
    }
}

#[async_trait::async_trait]
impl<C: ConnectionTrait + TransactionTrait> ConnectionTrait for Revocation<'_, C> {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Revocation::Direct(db) => db.get_database_backend(),
            Revocation::AppliedOnStandby(txn) => txn.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Revocation::Direct(db) => db.execute_raw(stmt).await,
            Revocation::AppliedOnStandby(txn) => txn.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Revocation::Direct(db) => db.execute_unprepared(sql).await,
            Revocation::AppliedOnStandby(txn) => txn.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Revocation::Direct(db) => db.query_one_raw(stmt).await,
            Revocation::AppliedOnStandby(txn) => txn.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Revocation::Direct(db) => db.query_all_raw(stmt).await,
            Revocation::AppliedOnStandby(txn) => txn.query_all_raw(stmt).await,
        }
    }

    fn is_mock_connection(&self) -> bool {
        match self {
            Revocation::Direct(db) => db.is_mock_connection(),
            Revocation::AppliedOnStandby(txn) => txn.is_mock_connection(),
        }
    }
}
