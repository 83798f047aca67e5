//! A connection that works through PgBouncer in transaction pooling mode
//! before its protocol-level prepared statements (PgBouncer 1.18 to 1.20,
//! Debian 12's is 1.18).
//!
//! SeaORM runs every statement as a named server-side prepared statement
//! (sqlx's extended protocol: Parse, then Sync, then Bind and Execute). In
//! transaction pooling mode PgBouncer hands the server connection back to
//! its pool at the end of each transaction, and outside an explicit one a
//! lone Sync ends it: the Bind may reach another server connection, where
//! the statement "does not exist", and two clients' statements of the same
//! name meet on one server ("already exists"). Three settings together make
//! every statement work:
//!
//! 1. each statement in a transaction of its own: [`TransactionPooled`];
//! 2. no statement reused across transactions: sqlx's statement cache off
//!    (`ConnectOptions::map_sqlx_postgres_opts(|o| o.statement_cache_capacity(0))`);
//! 3. no statement left behind on a server connection for the next client:
//!    PgBouncer's `server_reset_query = DEALLOCATE ALL` with
//!    `server_reset_query_always = 1`.
//!
//! LISTEN cannot work through such a pooler at all: the listener takes a
//! direct connection (`listen_for_session_changes_on`).

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, IsolationLevel, QueryResult, Statement, TransactionError, TransactionOptions,
    TransactionTrait,
};

/// A connection pool through PgBouncer in transaction pooling mode (before
/// 1.21): each statement runs in a transaction of its own, so sqlx's
/// prepare and execute reach the same server connection. Transactions you
/// begin on it are ordinary ones.
///
/// Build the pool with sqlx's statement cache off, and give PgBouncer
/// `server_reset_query = DEALLOCATE ALL` and `server_reset_query_always = 1`;
/// see `docs/scale-out.md`. Each statement costs two round trips more (its
/// `BEGIN` and `COMMIT`).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use authstore::{AuthStore, Config, TransactionPooled};
/// let mut options = sea_orm::ConnectOptions::new("postgres://app@127.0.0.1:6432/app");
/// options.map_sqlx_postgres_opts(|o| o.statement_cache_capacity(0));
/// let pooled = TransactionPooled::new(sea_orm::Database::connect(options).await?);
/// let store = AuthStore::new(pooled.connection().clone(), Config::new("secret")?);
/// let user = store.through_pooler(&pooled).users().create(Default::default()).await?;
/// # let _ = user; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TransactionPooled(DatabaseConnection);

impl TransactionPooled {
    /// Wraps a pool whose URL points at the pooler.
    pub fn new(db: DatabaseConnection) -> Self {
        TransactionPooled(db)
    }

    /// The pool itself (for a store's own connection; its statements there
    /// run without the wrapping).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.0
    }

    /// Runs one statement in a transaction of its own.
    async fn alone<T>(
        &self,
        statement: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, DbErr>,
    ) -> Result<T, DbErr> {
        let txn = self.0.begin().await?;
        let outcome = statement(&txn).await?;
        txn.commit().await?;
        Ok(outcome)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for TransactionPooled {
    fn get_database_backend(&self) -> DbBackend {
        self.0.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.alone(async |txn| txn.execute_raw(stmt).await).await
    }

    // The simple query protocol: one message, no prepared statement.
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.0.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.alone(async |txn| txn.query_one_raw(stmt).await).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.alone(async |txn| txn.query_all_raw(stmt).await).await
    }

    fn is_mock_connection(&self) -> bool {
        self.0.is_mock_connection()
    }
}

/// What a transaction's callback returns (SeaORM's signature).
type Callback<'c, T, E> = std::pin::Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>;

#[async_trait::async_trait]
impl TransactionTrait for TransactionPooled {
    type Transaction = DatabaseTransaction;

    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.0.begin().await
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.0.begin_with_config(isolation_level, access_mode).await
    }

    async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.0.begin_with_options(options).await
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> Callback<'c, T, E> + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.0.transaction(callback).await
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> Callback<'c, T, E> + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.0
            .transaction_with_config(callback, isolation_level, access_mode)
            .await
    }
}
