//! The PostgreSQL topology of the scale-out tests and benchmark: the main
//! cluster's streaming replica (127.0.0.1:5433), PgBouncer in front of the
//! main cluster (127.0.0.1:6432), and throwaway primary/standby pairs, all
//! made by `scripts/scale-out.sh` (`.ci/run` makes the first two; the
//! failover tests make their own pairs). As with the database servers, a
//! topology that cannot be reached fails the test when `CI` is set, and is
//! skipped with a line on stderr otherwise, saying what to run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::{Backend, TestDb, connect};

/// A part of the topology is missing: fails under `CI`, else says so and
/// lets the test return (`None`).
fn missing<T>(what: &str, why: &str) -> Option<T> {
    let fix = format!("{what} is unavailable ({why}); `scripts/scale-out.sh` makes it (as root)");
    if std::env::var_os("CI").is_some() {
        panic!("{fix}");
    }
    eprintln!("scale-out: SKIPPED: {fix}");
    None
}

/// The main cluster's replica answers, as a replica.
async fn replica_reachable() -> Option<()> {
    let mut options = sea_orm::ConnectOptions::new(format!("{}/postgres", replica_server()));
    options
        .max_connections(1)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    let conn = match sea_orm::Database::connect(options).await {
        Ok(conn) => conn,
        Err(err) => return missing("the streaming replica on 5433", &err.to_string()),
    };
    let replaying = scalar_i64(&conn, "SELECT pg_is_in_recovery()::int::bigint").await;
    conn.close().await.ok();
    if replaying != 1 {
        return missing(
            "the streaming replica on 5433",
            "that server is not in recovery",
        );
    }
    Some(())
}

/// A pool through PgBouncer on `database` with `options` applied, if it
/// answers.
pub async fn through_pgbouncer(
    database: &str,
    options: impl FnOnce(&mut sea_orm::ConnectOptions),
) -> Option<DatabaseConnection> {
    let mut connect_options =
        sea_orm::ConnectOptions::new(format!("{}/{database}", pgbouncer_server()));
    connect_options
        .max_connections(8)
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5));
    options(&mut connect_options);
    match sea_orm::Database::connect(connect_options).await {
        Ok(conn) => Some(conn),
        Err(err) => missing("PgBouncer on 6432", &err.to_string()),
    }
}

/// The main cluster's streaming replica; `AUTHSTORE_TEST_REPLICA_URL`
/// overrides it (no database path).
pub fn replica_server() -> String {
    std::env::var("AUTHSTORE_TEST_REPLICA_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433".into())
}

/// PgBouncer in transaction pooling mode in front of the main cluster;
/// `AUTHSTORE_TEST_PGBOUNCER_URL` overrides it (no database path).
pub fn pgbouncer_server() -> String {
    std::env::var("AUTHSTORE_TEST_PGBOUNCER_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:6432".into())
}

/// A test database on the main cluster, and the same database on its
/// replica.
pub struct Replicated {
    /// The test's database on the main cluster.
    pub primary: TestDb,
    /// The same database on the replica.
    pub replica_url: String,
    /// The test's own connection to the replica (pausing, counting).
    pub replica: DatabaseConnection,
}

impl Replicated {
    /// A fresh database of `profile`, migrated, and replayed on the replica
    /// (`None`: PostgreSQL or the replica is unavailable outside CI).
    pub async fn create(test_name: &str, profile: authstore::Profile) -> Option<Replicated> {
        let mut primary = TestDb::create(Backend::Postgres, test_name).await?;
        if replica_reachable().await.is_none() {
            primary.destroy().await;
            return None;
        }
        primary.profile = profile;
        // On a pool of its own, closed after: its backends then report
        // their statistics (a migration scans tables) before a test counts.
        let migrating = connect(&primary.url).await.expect("connect to migrate");
        authstore_migration::ProfileMigrations::up(profile, &migrating)
            .await
            .expect("migrate");
        migrating.close().await.ok();
        let replica_url = format!("{}/{}", replica_server(), primary.name);
        let replica = wait_for(&replica_url).await;
        let replicated = Replicated {
            primary,
            replica_url,
            replica,
        };
        // A test that failed while the replay was paused left it so.
        replicated.resume().await;
        replicated.caught_up().await;
        Some(replicated)
    }

    /// Waits until the replica has replayed everything the primary has
    /// written so far.
    pub async fn caught_up(&self) {
        caught_up(&self.primary.conn, &self.replica).await;
    }

    /// Stops the replica's replay: it keeps answering, with what it has.
    pub async fn pause(&self) {
        self.replica
            .execute_unprepared("SELECT pg_wal_replay_pause()")
            .await
            .expect("pause the replica's replay");
    }

    /// Lets the replica replay again.
    pub async fn resume(&self) {
        self.replica
            .execute_unprepared("SELECT pg_wal_replay_resume()")
            .await
            .expect("resume the replica's replay");
    }

    /// Rows of `sql` (one `bigint` column) on the replica.
    pub async fn on_replica(&self, sql: &str) -> i64 {
        scalar_i64(&self.replica, sql).await
    }

    /// Resumes the replica and drops the database.
    pub async fn destroy(self) {
        self.resume().await;
        self.replica.close().await.ok();
        self.primary.destroy().await;
    }
}

const PRIMARY_LSN: &str = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint";
const REPLAYED_LSN: &str = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint";

/// Waits until `replica` has replayed everything `primary` has written so
/// far.
pub async fn caught_up(primary: &DatabaseConnection, replica: &DatabaseConnection) {
    let target = scalar_i64(primary, PRIMARY_LSN).await;
    let started = Instant::now();
    loop {
        if scalar_i64(replica, REPLAYED_LSN).await >= target {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the replica did not catch up within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Connects to a database on a replica once it has replayed its creation.
pub async fn wait_for(url: &str) -> DatabaseConnection {
    let started = Instant::now();
    loop {
        match connect(url).await {
            Ok(conn) => return conn,
            Err(err) if started.elapsed() > Duration::from_secs(30) => panic!(
                "{} unreachable after 30 s ({err}); make it with `scripts/scale-out.sh replica`",
                redacted(url)
            ),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

fn redacted(url: &str) -> &str {
    url.rsplit('@').next().unwrap_or(url)
}

/// The one `bigint` (or NULL as -1) that `sql` selects.
pub async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
        .expect("one row");
    row.try_get_by_index::<Option<i64>>(0)
        .expect("a bigint")
        .unwrap_or(-1)
}

/// A throwaway primary on `port` and its standby on `port + 1`, made by
/// `scripts/scale-out.sh pair` (synchronous or asynchronous) and dropped
/// with the value.
pub struct Pair {
    name: String,
    /// The primary's `postgres` database.
    pub primary_url: String,
    /// The standby's `postgres` database.
    pub standby_url: String,
}

impl Pair {
    /// Makes the pair afresh (an earlier one of that name is dropped).
    /// (`None`: it could not be made outside CI, e.g. not as root.)
    pub fn create(name: &str, port: u16, synchronous: bool) -> Option<Pair> {
        let mode = if synchronous { "sync" } else { "async" };
        if let Err(why) = script(&["pair", name, &port.to_string(), mode]) {
            return missing(&format!("a throwaway cluster pair on {port}"), &why);
        }
        Some(Pair {
            name: name.into(),
            primary_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            standby_url: format!("postgres://postgres@127.0.0.1:{}/postgres", port + 1),
        })
    }

    /// `pg_ctlcluster` on one of the pair's clusters (`primary` or
    /// `standby`): `stop`, `start`, `promote`.
    pub fn ctl(&self, which: &str, action: &str, extra: &[&str]) {
        let cluster = format!("{}_{which}", self.name);
        let mut command = std::process::Command::new("pg_ctlcluster");
        command.args(["--skip-systemctl-redirect", "15", &cluster, action]);
        command.args(extra);
        let status = command.status().expect("run pg_ctlcluster");
        assert!(status.success(), "pg_ctlcluster {cluster} {action} failed");
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        if let Err(why) = script(&["drop-pair", &self.name]) {
            eprintln!("dropping the pair {}: {why}", self.name);
        }
    }
}

/// Runs `scripts/scale-out.sh` with `args`; its output when it fails.
fn script(args: &[&str]) -> Result<(), String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/scale-out.sh");
    let output = std::process::Command::new("bash")
        .arg(&path)
        .args(args)
        .output()
        .map_err(|err| format!("cannot run {}: {err}", path.display()))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "scripts/scale-out.sh {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}
