//! What differs between PostgreSQL, MySQL/MariaDB and SQLite, in one place.

use std::sync::OnceLock;

use authstore_entity::descriptor::StoredTime;
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::sea_query::{
    Condition, DeleteStatement, Expr, ExprTrait, InsertStatement, IntoIden, Query, SelectStatement,
    UpdateStatement,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, StatementBuilder};
use validator::ValidationError;

use crate::rules;
use crate::rules::error::Error;

/// The instants a timestamp column can hold on `backend`, inclusive.
///
/// MySQL's `timestamp(6)`, the type next-auth's MySQL schema uses and a
/// shared database must keep, holds 1970-01-01 00:00:01 to
/// 2038-01-19 03:14:07.999999 UTC; outside it the server answers error 1292.
/// PostgreSQL's `timestamptz` starts at 4714-11-24 BC (Julian day 0) and
/// ends past the last time chrono can represent; SQLite's text holds every
/// such time.
pub(crate) fn time_range(backend: DbBackend) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    match backend {
        DbBackend::MySql => Some((
            Utc.timestamp_opt(1, 0).unwrap(),
            Utc.timestamp_opt(i32::MAX.into(), 999_999_000).unwrap(),
        )),
        DbBackend::Postgres => Some((
            Utc.with_ymd_and_hms(-4713, 11, 24, 0, 0, 0).unwrap(),
            DateTime::<Utc>::MAX_UTC,
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

/// `at`, or a `NULL` of the column's type, as a column stored as
/// `stored` takes it.
pub(crate) fn optional_time_value(stored: StoredTime, at: Option<DateTime<Utc>>) -> Expr {
    match (at, stored) {
        (Some(at), _) => time_value(stored, at),
        (None, StoredTime::Instant) => Expr::val(None::<DateTime<chrono::FixedOffset>>),
        (None, StoredTime::UtcDateTime) => Expr::val(None::<chrono::NaiveDateTime>),
        (None, StoredTime::UnixSeconds | StoredTime::UnixMillis) => Expr::val(None::<i64>),
    }
}

/// The column naming a row's place in its table, for tables with no key of
/// their own: PostgreSQL's `ctid`, SQLite's `rowid` (MySQL has none).
pub(crate) fn physical_order(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => "rowid",
        _ => "ctid",
    }
}

/// SQL reading the time `column` (quoted, and qualified if need be) as
/// `NULL` where it is no time authstore can read: PostgreSQL's `infinity`,
/// which no JS `Date` holds and sqlx's chrono decoding panics on; on SQLite,
/// whose times here are integers, a value of another type (text another
/// driver wrote), which the column's affinity does not stop.
pub(crate) fn finite_time(backend: DbBackend, column: &str) -> String {
    let column = match column.starts_with('"') {
        true => column.to_owned(),
        false => format!(r#""{column}""#),
    };
    match backend {
        DbBackend::Postgres => format!("CASE WHEN isfinite({column}) THEN {column} END"),
        DbBackend::Sqlite => format!("CASE WHEN typeof({column}) = 'integer' THEN {column} END"),
        _ => column,
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

/// The Lucia profiles' per-request lookup: the row of `sessions` whose
/// `id` is `id` (its `columns`), with the id of its user if the user still
/// exists (`None` for an orphan, which Lucia deletes): one `SELECT … LEFT
/// JOIN users`, its SQL built once per backend in `built`.
pub(crate) async fn session_with_user_id(
    db: &impl ConnectionTrait,
    built: &BuiltOnce,
    (sessions, users): (&'static str, &'static str),
    columns: &[&'static str],
    id: &str,
) -> Result<Option<(QueryResult, Option<String>)>, DbErr> {
    let backend = db.get_database_backend();
    let sql = built.sql(backend, || {
        let select = Query::select()
            .columns(columns.iter().map(|&column| (sessions, column)))
            .expr_as(Expr::col((users, "id")), "found_user_id")
            .from(sessions)
            .left_join(
                users,
                Expr::col((users, "id")).equals((sessions, "user_id")),
            )
            .and_where(Expr::col((sessions, "id")).eq(""))
            .to_owned();
        backend.build(&select).sql
    });
    let lookup = Statement::from_sql_and_values(backend, sql, [id.into()]);
    let Some(row) = db.query_one_raw(lookup).await? else {
        return Ok(None);
    };
    let user_id = row.try_get("", "found_user_id")?;
    Ok(Some((row, user_id)))
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
/// store's purges delete in batches of this size).
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

/// `column = value`, compared byte for byte on every backend. PostgreSQL and
/// SQLite compare text so already; a MySQL/MariaDB column keeps its
/// collation (better-auth's tables take the server's default, case- and
/// accent-insensitive), so there the collation's match, which its index
/// serves, is narrowed to the identical bytes.
/// How many times [`exact_eq`] binds its value on `backend`: a statement
/// built once for several values binds each that many times.
pub(crate) const fn exact_eq_binds(backend: DbBackend) -> usize {
    match backend {
        DbBackend::MySql => 2,
        _ => 1,
    }
}

pub(crate) fn exact_eq(
    backend: DbBackend,
    column: (&'static str, &'static str),
    value: &str,
) -> Condition {
    let equal = Expr::col(column).eq(value);
    match backend {
        DbBackend::MySql => Condition::all().add(equal).add(Expr::cust_with_values(
            format!(
                "CAST(`{}`.`{}` AS BINARY) = CAST(? AS BINARY)",
                column.0, column.1
            ),
            [value],
        )),
        _ => Condition::all().add(equal),
    }
}

/// Parameters one statement may bind on `backend`: 65,535 on PostgreSQL
/// and MySQL, 32,766 on SQLite (its default since 3.32).
pub(crate) const fn bind_limit(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => 32_766,
        _ => 65_535,
    }
}

/// How a column compares strings, so code outside the database can tell
/// which values the database takes for one: two values are one exactly
/// when their [`Collation::keys`] are equal.
pub(crate) struct Collation {
    /// MySQL/MariaDB: the column's character set and collation. `None`
    /// elsewhere: PostgreSQL's and SQLite's default text comparison is
    /// byte for byte.
    my_sql: Option<(String, String)>,
}

impl Collation {
    /// How `table.column` compares; on MySQL the column's collation, or the
    /// database's default for a table not made yet (what it will get).
    pub(crate) async fn of(
        db: &impl ConnectionTrait,
        table: &str,
        column: &str,
    ) -> Result<Collation, DbErr> {
        use sea_orm::Statement;
        let backend = db.get_database_backend();
        if backend != DbBackend::MySql {
            return Ok(Collation { my_sql: None });
        }
        let column_sql = Statement::from_sql_and_values(
            backend,
            "SELECT CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation \
             FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?",
            [table.into(), column.into()],
        );
        let row = match db.query_one_raw(column_sql).await? {
            Some(row) => row,
            None => db
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT @@character_set_database AS charset, @@collation_database AS collation",
                ))
                .await?
                .ok_or_else(|| DbErr::Custom("no default collation".into()))?,
        };
        let charset: String = row.try_get("", "charset")?;
        let collation: String = row.try_get("", "collation")?;
        // Both are spliced into SQL below: names only.
        let name =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !name(&charset) || !name(&collation) {
            return Err(DbErr::Custom(format!(
                "unexpected collation {charset:?}/{collation:?}"
            )));
        }
        Ok(Collation {
            my_sql: Some((charset, collation)),
        })
    }

    /// Whether values compare byte for byte (PostgreSQL, SQLite): each is
    /// then its own key.
    pub(crate) fn compares_bytes(&self) -> bool {
        self.my_sql.is_none()
    }

    /// Each value's key: equal keys, one value to the database. On MySQL the
    /// collation's own sort key (`WEIGHT_STRING`), asked of the server in
    /// statements of 500 values, of the value without its trailing spaces:
    /// a PAD SPACE collation (MariaDB's defaults) matches `'a'` and `'a  '`
    /// with `=` though their weights differ. (Under a NO PAD collation that
    /// puts two values `=` tells apart under one key: one more collision,
    /// never one missed.)
    pub(crate) async fn keys(
        &self,
        db: &impl ConnectionTrait,
        values: &[&str],
    ) -> Result<Vec<Vec<u8>>, DbErr> {
        use sea_orm::Statement;
        let Some((charset, collation)) = &self.my_sql else {
            return Ok(values.iter().map(|v| v.as_bytes().to_vec()).collect());
        };
        let mut keys = Vec::with_capacity(values.len());
        for chunk in values.chunks(500) {
            let sql = (0..chunk.len())
                .map(|i| {
                    format!(
                        "SELECT {i} AS i, WEIGHT_STRING(CONVERT(TRIM(TRAILING ' ' FROM ?) USING {charset}) COLLATE {collation}) AS k"
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            let statement = Statement::from_sql_and_values(
                DbBackend::MySql,
                format!("SELECT i, k FROM ({sql}) AS v ORDER BY i"),
                chunk.iter().map(|v| (*v).into()),
            );
            for row in db.query_all_raw(statement).await? {
                keys.push(row.try_get::<Vec<u8>>("", "k")?);
            }
        }
        Ok(keys)
    }
}

/// The identity of the database `db` is connected to, for a person to read
/// and for a run to recognise it again: the server's own id where it has
/// one and the database's name, never a URL or a password. PostgreSQL:
/// the cluster's system identifier (or, where the role may not read it,
/// the server's address and port); MySQL: the server's UUID; MariaDB,
/// which has none: its host, port and data directory; SQLite: the file.
pub(crate) async fn identity(db: &impl ConnectionTrait) -> Result<String, DbErr> {
    use sea_orm::Statement;
    let backend = db.get_database_backend();
    let one = |sql: &str| Statement::from_string(backend, sql.to_owned());
    let text = |row: &QueryResult, column: &str| -> Result<String, DbErr> {
        Ok(row
            .try_get::<Option<String>>("", column)?
            .unwrap_or_default())
    };
    match backend {
        DbBackend::Postgres => {
            let system = db
                .query_one_raw(one(
                    "SELECT system_identifier::text AS server, current_database() AS db \
                     FROM pg_control_system()",
                ))
                .await;
            let (kind, row) = match system {
                Ok(Some(row)) => ("system", row),
                _ => (
                    "server",
                    db.query_one_raw(one(
                        "SELECT coalesce(host(inet_server_addr()), 'local') || ':' || \
                         coalesce(inet_server_port()::text, '') AS server, current_database() AS db",
                    ))
                    .await?
                    .ok_or_else(|| DbErr::Custom("no identity".into()))?,
                ),
            };
            Ok(format!(
                "PostgreSQL {kind} {}, database {:?}",
                text(&row, "server")?,
                text(&row, "db")?
            ))
        }
        DbBackend::MySql => {
            if let Ok(Some(row)) = db
                .query_one_raw(one("SELECT @@server_uuid AS server, DATABASE() AS db"))
                .await
            {
                return Ok(format!(
                    "MySQL server {}, database {:?}",
                    text(&row, "server")?,
                    text(&row, "db")?
                ));
            }
            let row = db
                .query_one_raw(one(
                    "SELECT CONCAT(@@hostname, ':', @@port, ' ', @@datadir) AS server, DATABASE() AS db",
                ))
                .await?
                .ok_or_else(|| DbErr::Custom("no identity".into()))?;
            Ok(format!(
                "MariaDB server {}, database {:?}",
                text(&row, "server")?,
                text(&row, "db")?
            ))
        }
        _ => match sqlite_file(db).await? {
            Some(file) => Ok(format!("SQLite file {file:?}")),
            None => Ok("SQLite in-memory database".into()),
        },
    }
}

/// The file of a SQLite database, `None` in memory.
async fn sqlite_file(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    use sea_orm::Statement;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA database_list",
        ))
        .await?;
    for row in rows {
        let name: String = row.try_get("", "name")?;
        if name == "main" {
            let file: Option<String> = row.try_get("", "file")?;
            return Ok(file.filter(|f| !f.is_empty()));
        }
    }
    Ok(None)
}

/// A lock one holder at a time has on a database, for work that must not
/// run twice at once; it ends with [`Exclusive::release`], or with the
/// process. PostgreSQL: a transaction-scoped advisory lock; MySQL: a named
/// lock (`GET_LOCK`) on one connection; both in a transaction that pins the
/// connection. SQLite: an OS lock on a file beside the database (none for a
/// database in memory, which no other process can reach).
pub(crate) struct Exclusive {
    held: Held,
}

enum Held {
    Transaction(sea_orm::DatabaseTransaction, Option<String>),
    File(#[allow(dead_code)] std::fs::File),
    Nothing,
}

impl Exclusive {
    /// Takes the lock `name` on `db`, or `None` if another holder has it.
    pub(crate) async fn try_take(
        db: &sea_orm::DatabaseConnection,
        name: &str,
    ) -> Result<Option<Exclusive>, DbErr> {
        use sea_orm::{Statement, TransactionTrait};
        let backend = db.get_database_backend();
        let hash = rules::token::sha256_hex(&["authstore exclusive:", name]);
        match backend {
            DbBackend::Postgres | DbBackend::MySql => {
                let txn = db.begin().await?;
                let (sql, key): (&str, sea_orm::Value) = if backend == DbBackend::Postgres {
                    let id = u64::from_str_radix(&hash[..16], 16).expect("hex") as i64;
                    (
                        "SELECT pg_try_advisory_xact_lock($1)::int::int8 AS locked",
                        id.into(),
                    )
                } else {
                    (
                        "SELECT GET_LOCK(?, 0) AS locked",
                        format!("authstore:{}", &hash[..40]).into(),
                    )
                };
                let row = txn
                    .query_one_raw(Statement::from_sql_and_values(backend, sql, [key.clone()]))
                    .await?;
                let locked: Option<i64> = match row {
                    Some(row) => row.try_get::<Option<i64>>("", "locked")?,
                    None => None,
                };
                if locked != Some(1) {
                    txn.rollback().await?;
                    return Ok(None);
                }
                let my_sql_name = match key {
                    sea_orm::Value::String(Some(name)) => Some(name),
                    _ => None,
                };
                Ok(Some(Exclusive {
                    held: Held::Transaction(txn, my_sql_name),
                }))
            }
            _ => {
                let Some(file) = sqlite_file(db).await? else {
                    return Ok(Some(Exclusive {
                        held: Held::Nothing,
                    }));
                };
                let path = format!("{file}-authstore-{}.lock", &hash[..12]);
                let lock = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|err| {
                        DbErr::Custom(format!("the lock file beside the database: {err}"))
                    })?;
                match lock.try_lock() {
                    Ok(()) => Ok(Some(Exclusive {
                        held: Held::File(lock),
                    })),
                    Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                    Err(std::fs::TryLockError::Error(err)) => Err(DbErr::Custom(format!(
                        "the lock file beside the database: {err}"
                    ))),
                }
            }
        }
    }

    /// Gives the lock up.
    pub(crate) async fn release(self) -> Result<(), DbErr> {
        use sea_orm::Statement;
        match self.held {
            Held::Transaction(txn, Some(name)) => {
                txn.query_one_raw(Statement::from_sql_and_values(
                    DbBackend::MySql,
                    "SELECT RELEASE_LOCK(?) AS released",
                    [name.into()],
                ))
                .await?;
                txn.commit().await
            }
            Held::Transaction(txn, None) => txn.commit().await,
            Held::File(_) | Held::Nothing => Ok(()),
        }
    }
}
