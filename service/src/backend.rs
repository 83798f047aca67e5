//! What differs between PostgreSQL, MySQL/MariaDB and SQLite, in one place.

use std::sync::OnceLock;

use authstore_entity::descriptor::StoredTime;
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::sea_query::{
    Condition, DeleteStatement, Expr, ExprTrait, InsertStatement, IntoIden, Query, SelectStatement,
    UpdateStatement,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, StatementBuilder};
use validator::ValidationError;

use crate::rules;
use crate::rules::error::Error;

/// The instants a timestamp column can hold on `backend`, inclusive.
///
/// MySQL's `timestamp(6)`, the type next-auth's MySQL schema uses and a
/// shared database must keep, holds 1970-01-01 00:00:01 to
/// 2038-01-19 03:14:07.999999 UTC; outside it the server answers error 1292.
/// PostgreSQL's `timestamptz` and SQLite's text hold every time chrono can
/// represent.
pub(crate) fn time_range(backend: DbBackend) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    match backend {
        DbBackend::MySql => Some((
            Utc.timestamp_opt(1, 0).unwrap(),
            Utc.timestamp_opt(i32::MAX.into(), 999_999_000).unwrap(),
        )),
        _ => None,
    }
}

/// [`Error::Validation`] on `field` if `at` is a time the backend's columns
/// cannot hold, checked before any statement so it is never a database
/// error.
pub(crate) fn check_time(
    backend: DbBackend,
    field: &'static str,
    at: Option<DateTime<Utc>>,
) -> Result<(), Error> {
    let (Some(at), Some((first, last))) = (at, time_range(backend)) else {
        return Ok(());
    };
    if (first..=last).contains(&at) {
        return Ok(());
    }
    let mut error = ValidationError::new("time_out_of_range");
    error.add_param("min".into(), &first);
    error.add_param("max".into(), &last);
    Err(rules::invalid(field, error))
}

/// `at` as a column stored as `stored` takes it (the profile's descriptor
/// says how each column is stored on each backend).
pub(crate) fn time_value(stored: StoredTime, at: DateTime<Utc>) -> Expr {
    match stored {
        StoredTime::Instant => Expr::val(at.fixed_offset()),
        StoredTime::UtcDateTime => Expr::val(at.naive_utc()),
        StoredTime::UnixSeconds => Expr::val(at.timestamp()),
        StoredTime::UnixMillis => Expr::val(at.timestamp_millis()),
    }
}

/// The instant in `row`'s `column`, stored as `stored`.
pub(crate) fn read_time(
    stored: StoredTime,
    row: &QueryResult,
    column: &str,
) -> Result<DateTime<Utc>, DbErr> {
    read_optional_time(stored, row, column)?.ok_or_else(|| DbErr::Type(format!("{column} is NULL")))
}

/// The instant in `row`'s nullable `column`, stored as `stored`.
pub(crate) fn read_optional_time(
    stored: StoredTime,
    row: &QueryResult,
    column: &str,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    stored.read(row, column)
}

/// A statement's SQL, built once per backend and reused. Hot-path queries
/// keep their placeholders fixed and bind new values per call, so they skip
/// SeaQuery's builder on every request; measured in BENCHMARKS.md.
pub(crate) struct BuiltOnce([OnceLock<String>; 3]);

impl BuiltOnce {
    pub(crate) const fn new() -> Self {
        BuiltOnce([const { OnceLock::new() }; 3])
    }

    /// The SQL for `backend`, from `build` the first time.
    pub(crate) fn sql(&self, backend: DbBackend, build: impl FnOnce() -> String) -> String {
        let slot = match backend {
            DbBackend::Postgres => 0,
            DbBackend::MySql => 1,
            DbBackend::Sqlite => 2,
            // A backend SeaORM adds later: correct, just not cached.
            _ => return build(),
        };
        self.0[slot].get_or_init(build).clone()
    }
}

/// Runs `insert` (one row) and returns the new row's auto-increment `id`:
/// from `RETURNING` where the backend has it, else from the driver's last
/// insert id (MySQL).
pub(crate) async fn insert_returning_id(
    db: &impl ConnectionTrait,
    mut insert: InsertStatement,
    id: &'static str,
) -> Result<i64, DbErr> {
    if !db.support_returning() {
        return Ok(db.execute(&insert).await?.last_insert_id() as i64);
    }
    insert.returning_col(id);
    let row = db
        .query_one(&insert)
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    row.try_get("", id)
}

/// How to read a written row back on a backend without `RETURNING`
/// (MySQL/MariaDB). The statements are the caller's; only whether and when
/// to run them is decided here.
pub(crate) enum Reread {
    /// The row the write changed, read after it: an update, whose row keeps
    /// its key. A write that changed nothing answers `None`.
    After(SelectStatement),
    /// The row as it stands after the write, changed by it or not: an
    /// update that may find the row already moved by a concurrent writer.
    Current(SelectStatement),
    /// The row as it stood before the write, answered only if the write
    /// then took it: a delete that claims a row, of which one caller wins.
    Before(SelectStatement),
    /// The row an insert into this table made, found by the auto-increment
    /// `id` the driver reports.
    Inserted(&'static str),
}

/// A statement that can answer the rows it wrote (`INSERT`, `UPDATE`,
/// `DELETE`).
pub(crate) trait Write: StatementBuilder {
    /// Adds `RETURNING columns`.
    fn returning_columns(&mut self, columns: &[&'static str]);
}

macro_rules! write_statement {
    ($($statement:ty),*) => {$(
        impl Write for $statement {
            fn returning_columns(&mut self, columns: &[&'static str]) {
                self.returning(Query::returning().columns(columns.iter().copied()));
            }
        }
    )*};
}
write_statement!(InsertStatement, UpdateStatement, DeleteStatement);

/// Runs `write`, which changes at most one row, and answers that row's
/// `columns`: in the same statement where the backend has `RETURNING`,
/// otherwise as `reread` says. `None`: no row to answer.
pub(crate) async fn write_returning(
    db: &impl ConnectionTrait,
    mut write: impl Write,
    columns: &[&'static str],
    reread: Reread,
) -> Result<Option<QueryResult>, DbErr> {
    if db.support_returning() {
        write.returning_columns(columns);
        let written = db.query_one(&write).await?;
        return match (written, reread) {
            (None, Reread::Current(select)) => db.query_one(&select).await,
            (written, _) => Ok(written),
        };
    }
    match reread {
        Reread::After(select) | Reread::Current(select) => {
            db.execute(&write).await?;
            db.query_one(&select).await
        }
        Reread::Before(select) => {
            let Some(row) = db.query_one(&select).await? else {
                return Ok(None);
            };
            let taken = db.execute(&write).await?.rows_affected() > 0;
            Ok(taken.then_some(row))
        }
        Reread::Inserted(table) => {
            let id = db.execute(&write).await?.last_insert_id();
            let select = Query::select()
                .columns(columns.iter().copied())
                .from(table)
                .and_where(Expr::col("id").eq(id))
                .to_owned();
            db.query_one(&select).await
        }
    }
}

/// Deletes every row of `table` matching `filter`; how many.
pub(crate) async fn delete_where(
    db: &impl ConnectionTrait,
    table: &'static str,
    filter: Condition,
) -> Result<u64, DbErr> {
    let delete = Query::delete()
        .from_table(table)
        .cond_where(filter)
        .to_owned();
    Ok(db.execute(&delete).await?.rows_affected())
}

/// Deletes every row of `table` whose `column` equals `value`; how many.
pub(crate) async fn delete_by(
    db: &impl ConnectionTrait,
    table: &'static str,
    column: &'static str,
    value: &str,
) -> Result<u64, DbErr> {
    delete_where(db, table, Condition::all().add(Expr::col(column).eq(value))).await
}

/// Rows deleted per statement by the `purge_expired` methods (every
/// store's purges go through [`delete_in_batches`] with it).
pub const PURGE_BATCH: u64 = 1000;

/// Deletes the rows matching `filter` in batches of at most `batch` rows per
/// statement, so a purge never locks a large table for long; returns the
/// total deleted.
///
/// MySQL has `DELETE … LIMIT` but rejects `LIMIT` in an `IN` subquery;
/// PostgreSQL has no `DELETE … LIMIT` and SQLite only in optional builds, so
/// those two take the subquery form.
pub(crate) async fn delete_in_batches(
    db: &impl ConnectionTrait,
    table: impl IntoIden,
    id: impl IntoIden,
    filter: Condition,
    batch: u64,
) -> Result<u64, DbErr> {
    let (table, id) = (table.into_iden(), id.into_iden());
    let mut delete = Query::delete();
    delete.from_table(table.clone());
    match db.get_database_backend() {
        DbBackend::MySql => {
            delete.cond_where(filter).limit(batch);
        }
        _ => {
            let ids = Query::select()
                .column(id.clone())
                .from(table)
                .cond_where(filter)
                .limit(batch)
                .to_owned();
            delete.and_where(Expr::col(id).in_subquery(ids));
        }
    }
    let mut total = 0;
    loop {
        let deleted = db.execute(&delete).await?.rows_affected();
        total += deleted;
        if deleted < batch {
            return Ok(total);
        }
    }
}

/// How many times [`retrying_deadlocks!`] runs a transaction in all.
const DEADLOCK_TRIES: u32 = 5;

/// Evaluates `$transaction` (an expression giving a future of a
/// `Result<_, Error>`) again when MySQL/MariaDB chose it as a deadlock's
/// victim (error 1213, SQLSTATE 40001): InnoDB has rolled it back, so
/// running it again is safe, and InnoDB's own advice. Locking reads over a
/// shared index can deadlock on the edges of their ranges even when every
/// caller holds a different key's lock ([`serialized`]); the other backends
/// never report this error. (A macro, not a function taking a closure: an
/// async closure's future cannot be shown `Send` here.)
macro_rules! retrying_deadlocks {
    ($transaction:expr) => {{
        let mut tries = 1;
        loop {
            match $transaction.await {
                Err($crate::rules::error::Error::Database(why))
                    if $crate::backend::run_again(&why, &mut tries) => {}
                done => break done,
            }
        }
    }};
}
pub(crate) use retrying_deadlocks;

/// Whether a transaction that failed with `err` should run again (a MySQL
/// deadlock, and tries left); counts the try.
pub(crate) fn run_again(err: &DbErr, tries: &mut u32) -> bool {
    if *tries >= DEADLOCK_TRIES || !is_deadlock(err) {
        return false;
    }
    tracing::debug!(tries = *tries, "deadlock: running the transaction again");
    *tries += 1;
    true
}

/// MySQL's deadlock error. The driver's error type is behind a feature this
/// crate leaves to the host app, so its text is read: sqlx writes
/// "1213 (40001): Deadlock found …".
fn is_deadlock(err: &DbErr) -> bool {
    err.to_string().contains("1213 (40001)")
}

/// How long a MySQL caller waits for another's per-key lock before failing.
const KEY_LOCK_WAIT_SECONDS: i64 = 10;

/// Runs `body` in a transaction that holds a lock on `key` (any string, such
/// as an identifier), so callers with the same key run one after another and
/// what `body` reads stays true until it commits: "count the recent rows,
/// then insert one" cannot be interleaved. `body`'s error rolls everything
/// back.
///
/// - PostgreSQL: `pg_advisory_xact_lock` on a 64-bit hash of the key,
///   released by the commit, after which its rows are visible.
/// - MySQL/MariaDB: a named lock (`GET_LOCK`), which belongs to the
///   connection, so it is released just before the commit. The reads in
///   `body` that decide must therefore be locking reads (`FOR UPDATE`),
///   which wait for the previous holder's uncommitted rows. The transaction
///   is READ COMMITTED, so those reads lock no gaps; they can still meet
///   another key's reader on the edge of their ranges, so a caller whose
///   body reads a table other keys share runs it in [`retrying_deadlocks!`].
/// - SQLite: a write statement first (a `DELETE` matching nothing in
///   `table`), which takes the database's one write lock until the commit.
pub(crate) async fn serialized<C, T>(
    db: &C,
    table: &'static str,
    key: &str,
    body: impl AsyncFnOnce(&C::Transaction) -> Result<T, Error>,
) -> Result<T, Error>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    use sea_orm::{Statement, TransactionSession};
    let backend = db.get_database_backend();
    let hash = rules::token::sha256_hex(&["authstore key lock:", key]);
    let name = format!("authstore:{}", &hash[..40]);
    // On MySQL, READ COMMITTED: its locking reads lock no gaps, while
    // REPEATABLE READ's lock the gaps next to the rows they match, which
    // other keys' rows border in a shared index. A locking read still waits
    // for the previous holder's uncommitted rows, which is what the lock
    // relies on.
    let txn = match backend {
        DbBackend::MySql => {
            db.begin_with_config(Some(sea_orm::IsolationLevel::ReadCommitted), None)
                .await?
        }
        _ => db.begin().await?,
    };
    match backend {
        DbBackend::Postgres => {
            let id = u64::from_str_radix(&hash[..16], 16).expect("hex") as i64;
            let lock = Statement::from_sql_and_values(
                backend,
                "SELECT pg_advisory_xact_lock($1)",
                [id.into()],
            );
            txn.execute_raw(lock).await?;
        }
        DbBackend::MySql => {
            let lock = Statement::from_sql_and_values(
                backend,
                "SELECT GET_LOCK(?, ?) AS locked",
                [name.as_str().into(), KEY_LOCK_WAIT_SECONDS.into()],
            );
            let row = txn.query_one_raw(lock).await?;
            let locked: Option<i64> = match row {
                Some(row) => row.try_get("", "locked")?,
                None => None,
            };
            if locked != Some(1) {
                txn.rollback().await?;
                return Err(Error::Database(DbErr::Custom(format!(
                    "waited {KEY_LOCK_WAIT_SECONDS} s for another request's lock"
                ))));
            }
        }
        _ => {
            let write = Query::delete()
                .from_table(table)
                .and_where(Expr::cust("1 = 0"))
                .to_owned();
            txn.execute(&write).await?;
        }
    }
    let result = body(&txn).await;
    if backend == DbBackend::MySql {
        let release = Statement::from_sql_and_values(
            backend,
            "SELECT RELEASE_LOCK(?) AS released",
            [name.as_str().into()],
        );
        let released = txn.query_one_raw(release).await;
        if let (Ok(_), Err(why)) = (&result, released) {
            txn.rollback().await?;
            return Err(why.into());
        }
    }
    match result {
        Ok(done) => {
            txn.commit().await?;
            Ok(done)
        }
        Err(why) => {
            txn.rollback().await?;
            Err(why)
        }
    }
}
