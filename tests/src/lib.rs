//! The harness behind authstore's cross-backend tests.
//!
//! One test body runs once per backend: [`backend_tests!`] turns
//! `async fn name(db: &TestDb)` into the tests `name::sqlite`,
//! `name::postgres` and `name::mysql`, so the test list itself says which
//! backend each result is for. Every run gets a database of its own, created
//! for it and dropped after it passes, so tests never share state.
//!
//! Server URLs come from `AUTHSTORE_TEST_POSTGRES_URL` and
//! `AUTHSTORE_TEST_MYSQL_URL` (defaults in `.cargo/config.toml`). SQLite
//! always runs. A server backend whose URL is empty or unreachable is skipped
//! with a line on stderr, except when `CI` is set: then it fails the test,
//! because CI must never pass by testing less.

use std::io::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub mod authjs;
pub mod interop;
pub mod scale_out;

use authstore::entity::Descriptor;
use authstore::entity::descriptor::NextAuthSchema;
use authstore_migration::{Profile, ProfileMigrations};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

pub use sea_orm;

/// The default collation of every MySQL test database: it ignores case and
/// accents, the way most MySQL and MariaDB servers' defaults do.
pub const INSENSITIVE_COLLATION: &str = "utf8mb4_general_ci";

/// A backend the suite runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A file per test; always there.
    Sqlite,
    /// `AUTHSTORE_TEST_POSTGRES_URL`.
    Postgres,
    /// MySQL or MariaDB, `AUTHSTORE_TEST_MYSQL_URL`.
    MySql,
}

impl Backend {
    /// The name test output uses.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    }

    fn url_var(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("AUTHSTORE_TEST_POSTGRES_URL"),
            Backend::MySql => Some("AUTHSTORE_TEST_MYSQL_URL"),
        }
    }
}

/// A fresh, empty database of one backend, owned by one test.
pub struct TestDb {
    /// Which server (or SQLite).
    pub backend: Backend,
    /// A pool on the test's database.
    pub conn: DatabaseConnection,
    /// The database's name, unique to this test run.
    pub name: String,
    /// The URL of this database, for code that opens its own pool.
    pub url: String,
    /// The schema profile the test lays down ([`profile_tests!`] sets it;
    /// otherwise the default, `next-auth-v3`).
    pub profile: Profile,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    DropDatabase { server_url: String },
}

impl TestDb {
    /// Creates the database, or returns `None` if the backend is skipped.
    pub async fn create(backend: Backend, test_name: &str) -> Option<TestDb> {
        let name = unique_name(test_name);
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.sqlite"));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let conn = connect(&url).await.expect("open SQLite file");
                announce(backend, "running (embedded)");
                Some(TestDb {
                    backend,
                    conn,
                    name,
                    url,
                    profile: Profile::default(),
                    cleanup: Cleanup::SqliteFile(path),
                })
            }
            Backend::Postgres | Backend::MySql => {
                let server_url = server_url(backend)?;
                // PostgreSQL needs a database to connect to; MySQL does not.
                let admin_url = match backend {
                    Backend::Postgres => format!("{server_url}/postgres"),
                    _ => server_url.clone(),
                };
                let admin = match connect_admin(backend, &admin_url).await {
                    Ok(conn) => conn,
                    Err(why) => {
                        unreachable_server(backend, &why);
                        return None;
                    }
                };
                // MySQL databases get a case- and accent-insensitive default
                // collation, whatever the server's default: authstore must
                // compare exactly even there (`alice@exämple.com` must not
                // find `alice@example.com`).
                let create = match backend {
                    Backend::MySql => format!(
                        "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE {INSENSITIVE_COLLATION}"
                    ),
                    _ => format!("CREATE DATABASE {name}"),
                };
                admin
                    .execute_unprepared(&create)
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let url = format!("{server_url}/{name}");
                let conn = connect(&url)
                    .await
                    .expect("connect to the new test database");
                announce(backend, &format!("running against {}", redact(&server_url)));
                Some(TestDb {
                    backend,
                    conn,
                    name,
                    url,
                    profile: Profile::default(),
                    cleanup: Cleanup::DropDatabase { server_url },
                })
            }
        }
    }

    /// SeaORM's name for the backend.
    pub fn db_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Drops the database. Called after the test body returns; a failed test
    /// leaves its database behind for inspection (`.ci/run` sweeps them).
    pub async fn destroy(self) {
        self.conn.close().await.ok();
        match self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    std::fs::remove_file(file).ok();
                }
            }
            Cleanup::DropDatabase { server_url } => {
                let admin_url = match self.backend {
                    Backend::Postgres => format!("{server_url}/postgres"),
                    _ => server_url,
                };
                let admin = connect(&admin_url)
                    .await
                    .expect("reconnect to drop the test database");
                let force = if self.backend == Backend::Postgres {
                    " WITH (FORCE)"
                } else {
                    ""
                };
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {}{force}", self.name))
                    .await
                    .expect("drop the test database");
                admin.close().await.ok();
            }
        }
    }
}

/// Runs `body` on a fresh database of `backend`; used by [`backend_tests!`].
pub async fn run(backend: Backend, test_name: &str, body: impl AsyncFnOnce(&TestDb)) {
    run_profile(Profile::default(), backend, test_name, body).await
}

/// Runs `body` on a fresh database of `backend` that will speak `profile`;
/// used by [`profile_tests!`].
pub async fn run_profile(
    profile: Profile,
    backend: Backend,
    test_name: &str,
    body: impl AsyncFnOnce(&TestDb),
) {
    let Some(mut db) = TestDb::create(backend, test_name).await else {
        return;
    };
    db.profile = profile;
    body(&db).await;
    db.destroy().await;
}

impl TestDb {
    /// Lays down the test's profile schema.
    pub async fn migrate(&self) {
        self.profile.up(&self.conn).await.expect("migrate");
    }

    /// A store config for the test's profile.
    pub fn config(&self, secret: &str) -> authstore::ConfigBuilder {
        authstore::Config::builder(secret).profile(self.profile)
    }

    /// The names of the foreign keys in the database's schema, sorted
    /// (PostgreSQL).
    pub async fn foreign_keys(&self) -> Vec<String> {
        self.strings(
            "SELECT constraint_name::text AS name FROM information_schema.table_constraints \
             WHERE constraint_type = 'FOREIGN KEY' AND table_schema = current_schema() ORDER BY 1",
        )
        .await
    }

    /// Every row of the profile's four tables, as text, for before/after
    /// comparison (PostgreSQL).
    pub async fn table_snapshot(&self) -> Vec<String> {
        let mut rows = Vec::new();
        for table in self.next_auth().tables_children_first() {
            rows.extend(
                self.strings(&format!(
                    "SELECT '{table}:' || t::text AS name FROM {table} t ORDER BY id"
                ))
                .await,
            );
        }
        rows
    }

    /// The profile's verification table.
    pub fn verification_table(&self) -> &'static str {
        self.next_auth().verification
    }

    /// The names of a next-auth profile's schema (the profile's descriptor).
    pub fn next_auth(&self) -> &'static NextAuthSchema {
        match self.profile.descriptor() {
            Descriptor::NextAuth(schema) => schema,
            _ => unreachable!("{} is not a next-auth profile", self.profile),
        }
    }
}

/// Generates one `#[tokio::test]` per backend for each named test body.
///
/// ```ignore
/// async fn round_trip(db: &TestDb) { /* ... */ }
/// backend_tests!(round_trip);
/// // -> round_trip::sqlite, round_trip::postgres, round_trip::mysql
/// ```
#[macro_export]
macro_rules! backend_tests {
    ($($body:ident),+ $(,)?) => {$(
        mod $body {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run($crate::Backend::Sqlite, stringify!($body), super::$body).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run($crate::Backend::Postgres, stringify!($body), super::$body).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                $crate::run($crate::Backend::MySql, stringify!($body), super::$body).await
            }
        }
    )+};
}

/// PostgreSQL introspection for the schema tests: every column's properties,
/// every constraint and every index of the `public` schema, leaving out
/// sea-orm-migration's table and authstore's own (`authstore_…`), which
/// no JS system's schema has. Each row comes back as `name`.
pub mod pg_schema {
    /// Every column: table, name, position, type, length, nullability, default.
    pub const COLUMNS: &str = "
        SELECT concat_ws(' | ', table_name, column_name, ordinal_position, data_type,
                         coalesce(character_maximum_length::text, '-'), is_nullable,
                         coalesce(column_default, '-')) AS name
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> 'seaql_migrations'
          AND table_name NOT LIKE 'authstore\\_%'
        ORDER BY table_name, ordinal_position";

    /// Every constraint with its definition.
    pub const CONSTRAINTS: &str = "
        SELECT conname || ' ' || pg_get_constraintdef(oid) AS name FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND conname NOT LIKE 'seaql_migrations%'
          AND conname NOT LIKE 'authstore\\_%'
        ORDER BY 1";

    /// Every index's definition.
    pub const INDEXES: &str = "
        SELECT indexdef AS name FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> 'seaql_migrations'
          AND tablename NOT LIKE 'authstore\\_%'
        ORDER BY 1";

    /// Asserts that `ours` holds `theirs`'s tables, `columns` columns in
    /// all, column for column and constraint for constraint, and their
    /// indexes with only `added` besides.
    pub async fn assert_same_tables(
        theirs: &super::TestDb,
        ours: &super::TestDb,
        columns: usize,
        added: &[&str],
    ) {
        let theirs_columns = theirs.strings(COLUMNS).await;
        assert_eq!(theirs_columns.len(), columns, "{theirs_columns:#?}");
        assert_eq!(ours.strings(COLUMNS).await, theirs_columns);
        assert_eq!(
            ours.strings(CONSTRAINTS).await,
            theirs.strings(CONSTRAINTS).await
        );
        let mut expected = theirs.strings(INDEXES).await;
        expected.extend(added.iter().map(|index| index.to_string()));
        expected.sort();
        let mut found = ours.strings(INDEXES).await;
        found.sort();
        assert_eq!(found, expected);
    }
}

/// Generates one `#[tokio::test]` per next-auth profile and backend for each
/// named test body; the body reads `db.profile`.
///
/// ```ignore
/// async fn round_trip(db: &TestDb) { db.migrate().await; /* ... */ }
/// profile_tests!(round_trip);
/// // -> round_trip::next_auth_v3::sqlite, …, round_trip::next_auth_v2_beta::mysql
/// ```
#[macro_export]
macro_rules! profile_tests {
    ($($body:ident),+ $(,)?) => {$(
        mod $body {
            $crate::profile_tests!(@profile $body, next_auth_v3, NextAuthV3);
            $crate::profile_tests!(@profile $body, next_auth_v4_beta, NextAuthV4Beta);
            $crate::profile_tests!(@profile $body, next_auth_v2_beta, NextAuthV2Beta);
        }
    )+};
    (@profile $body:ident, $module:ident, $profile:ident) => {
        mod $module {
            const PROFILE: authstore_migration::Profile = authstore_migration::Profile::$profile;
            const NAME: &str = concat!(stringify!($body), "_", stringify!($module));
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run_profile(PROFILE, $crate::Backend::Sqlite, NAME, super::super::$body).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run_profile(PROFILE, $crate::Backend::Postgres, NAME, super::super::$body).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                $crate::run_profile(PROFILE, $crate::Backend::MySql, NAME, super::super::$body).await
            }
        }
    };
}

/// Opens a small pool: tests run in parallel against servers with a
/// connection limit (PostgreSQL's default is 100).
pub async fn connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(5)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Connects to the server's admin database. A server found unreachable once
/// is not tried again by the same test binary, so skipping stays quick.
async fn connect_admin(backend: Backend, admin_url: &str) -> Result<DatabaseConnection, String> {
    static UNREACHABLE: Mutex<Vec<(Backend, String)>> = Mutex::new(Vec::new());
    let known = UNREACHABLE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|(b, _)| *b == backend)
        .cloned();
    if let Some((_, why)) = known {
        return Err(why);
    }
    let mut options = ConnectOptions::new(admin_url);
    options
        .max_connections(1)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    Database::connect(options).await.map_err(|err| {
        let why = format!("cannot connect: {err}");
        UNREACHABLE
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((backend, why.clone()));
        why
    })
}

/// `authstore_t_<test>_<pid>_<n>`: unique across parallel test binaries and
/// within one, and a plain identifier on every backend.
fn unique_name(test_name: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let short: String = test_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(30)
        .collect();
    format!("authstore_t_{short}_{}_{n}", std::process::id())
}

/// The server URL without a database path, or `None` when the backend is
/// switched off (CI treats that as a failure).
fn server_url(backend: Backend) -> Option<String> {
    let var = backend.url_var().expect("server backend");
    let raw = std::env::var(var).unwrap_or_default();
    if raw.trim().is_empty() {
        unreachable_server(backend, &format!("{var} is empty"));
        return None;
    }
    // Drop any database path the user included: each test makes its own.
    let authority_start = raw.find("://").map_or(0, |i| i + 3);
    let end = raw[authority_start..]
        .find('/')
        .map_or(raw.len(), |i| authority_start + i);
    Some(raw[..end].to_string())
}

fn unreachable_server(backend: Backend, why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is required in CI but unavailable: {why}",
            backend.name()
        );
    }
    announce(backend, &format!("SKIPPED ({why})"));
}

/// Hides the password, if any, before a URL reaches the test log.
fn redact(url: &str) -> String {
    let Some(authority) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    match (url[authority..].find(':'), url.rfind('@')) {
        (Some(colon), Some(at)) if authority + colon < at => {
            format!("{}:***{}", &url[..authority + colon], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Writes one line per backend per test binary to the real stderr, which the
/// test runner does not capture, so the log shows which backends ran.
fn announce(backend: Backend, status: &str) {
    static SEEN: Mutex<Vec<(Backend, bool)>> = Mutex::new(Vec::new());
    let skipped = status.starts_with("SKIPPED");
    let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if seen.contains(&(backend, skipped)) {
        return;
    }
    seen.push((backend, skipped));
    let binary = std::env::args().next().unwrap_or_default();
    let binary = std::path::Path::new(&binary)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let _ = writeln!(
        std::io::stderr(),
        "[authstore-tests] {binary}: {}: {status}",
        backend.name()
    );
}

/// Schema introspection shared by the migration tests.
impl TestDb {
    /// The tables in this database, sorted, without the migration ledger.
    pub async fn table_names(&self) -> Vec<String> {
        let sql = match self.backend {
            Backend::Postgres => {
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
            }
            Backend::MySql => {
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()"
            }
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
        };
        let mut names = self.strings(sql).await;
        names.retain(|name| name != "seaql_migrations");
        names.sort();
        names
    }

    /// How many rows `table` holds.
    pub async fn count_rows(&self, table: &str) -> i64 {
        // Quoted: better-auth's `user` is a reserved word.
        let table = match self.backend {
            Backend::MySql => format!("`{table}`"),
            _ => format!("\"{table}\""),
        };
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let row = self
            .conn
            .query_one_raw(sea_orm::Statement::from_string(self.db_backend(), sql))
            .await
            .expect("count query")
            .expect("a count row");
        row.try_get::<i64>("", "n").expect("an integer count")
    }

    /// Waits until `count` connections of this (PostgreSQL) database have run
    /// a `LISTEN`: the session caches' listeners are up.
    pub async fn wait_for_listeners(&self, count: usize) {
        let query = format!(
            "SELECT pid::text AS name FROM pg_stat_activity WHERE datname = '{}' AND query LIKE 'LISTEN%'",
            self.name
        );
        let started = std::time::Instant::now();
        while self.strings(&query).await.len() < count {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "no listener"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // LISTEN has run; give the listener a moment to mark itself up.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    /// Runs a query whose single column `name` is text.
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        let rows = self
            .conn
            .query_all_raw(sea_orm::Statement::from_string(self.db_backend(), sql))
            .await
            .expect("introspection query");
        rows.iter()
            .map(|row| row.try_get::<String>("", "name").expect("a `name` column"))
            .collect()
    }
}

/// A clock that stands still until the test moves it, for
/// `AuthStore::with_clock`: expiry is tested without sleeping.
#[derive(Clone)]
pub struct TestClock(std::sync::Arc<Mutex<chrono::DateTime<chrono::Utc>>>);

impl TestClock {
    /// Starts at 2030-06-01 12:00:00 UTC.
    pub fn new() -> Self {
        use chrono::TimeZone as _;
        TestClock(std::sync::Arc::new(Mutex::new(
            chrono::Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap(),
        )))
    }

    /// The clock's time.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.0.lock().unwrap()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Default for TestClock {
    fn default() -> Self {
        Self::new()
    }
}

/// A password and the hash lucia-auth 0.x's format gives it (`salt:key`,
/// scrypt r = 8), from the vectors lucia-auth 1.8.0 made
/// (`tests/fixtures/lucia-v1-passwords.json`).
pub fn lucia_legacy_password() -> (String, String) {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/lucia-v1-passwords.json")).unwrap();
    let legacy = fixture["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| !v["hash"].as_str().unwrap().starts_with("s2:"))
        .expect("a vector in the 0.x format");
    let field = |name: &str| legacy[name].as_str().unwrap().to_owned();
    (field("password"), field("hash"))
}

/// Lowercase hex SHA-256, computed here independently of the library, for
/// checking what it stores.
pub fn sha256_hex(input: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(input.as_bytes()))
}
