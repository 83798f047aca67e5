//! authstore against a hand-written sqlx floor, on PostgreSQL.
//!
//!     cargo bench -p authstore-tests --bench hot_path                 # 100k users, 1M sessions
//!     cargo bench -p authstore-tests --bench hot_path -- --with-10m   # also the 10M-session scale point
//!     cargo bench -p authstore-tests --bench hot_path -- --smoke      # tiny data, seconds (CI)
//!
//! Options: --users N --sessions N --accounts N --seconds S (per measurement), --rounds N,
//! --only TEXT (only operations whose name contains TEXT; skips scale, purge and plans),
//! --no-replica (skip the replica and failover rows, which need `scripts/scale-out.sh replica` and root),
//! --chart PATH (the session cache chart, SVG, written by the benchmark from the `tests` folder: give an
//! absolute path; BENCHMARKS.md's is docs/session-cache.svg). `--only cache` runs the session cache
//! rows and its revocation delay alone; `--only better-auth`, better-auth's cache rows and its
//! revocation delay.
//! The replica rows read the main cluster's streaming replica (`AUTHSTORE_TEST_REPLICA_URL`, default
//! postgres://postgres@127.0.0.1:5433); the revocation rows make a throwaway primary with a
//! synchronous standby on 5450/5451 (`scripts/scale-out.sh pair`).
//! The server is `AUTHSTORE_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432); the
//! run makes its own database, `authstore_bench_<pid>` (two runs at once do not collide), and drops it
//! at the end (`.ci/run` sweeps any a failed run left).
//!
//! Every operation runs on authstore and on the floor with the same pool size and data, in
//! alternating rounds (A B B A …) so machine noise hits both. The floor is what a careful
//! hand-written sqlx implementation of the same semantics does: prepared statements, one round
//! trip where one suffices.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use authstore::better_auth::{BetterAuthConfig, BetterAuthStore};
use authstore::entity::{sessions, users};
use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore::{AuthStore, Config, ReplicaConfig};
use authstore_migration::{Migrator, MigratorTrait};
use authstore_tests::sha256_hex;
use chrono::{DateTime, TimeDelta, Utc};
use hdrhistogram::Histogram;
use sea_orm::{ConnectOptions, Database, DatabaseBackend, MockDatabase};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Postgres, Row};

const SECRET: &str = "benchmark-secret";
const BATCH: i64 = authstore::PURGE_BATCH as i64;

struct Args {
    users: u64,
    sessions: u64,
    accounts: u64,
    seconds: f64,
    concurrency: Vec<usize>,
    rounds: usize,
    with_10m: bool,
    smoke: bool,
    /// Only operations whose label contains this (for profiling one).
    only: Option<String>,
    /// Write the session cache chart (SVG) here.
    chart: Option<String>,
    /// Measure lookups from the replica and revocations on a synchronous
    /// pair too.
    replica: bool,
}

fn args() -> Args {
    let argv: Vec<String> = std::env::args().collect();
    let smoke = argv.iter().any(|a| a == "--smoke");
    let value = |name: &str| {
        argv.iter()
            .position(|a| a == name)
            .and_then(|i| argv.get(i + 1))
            .cloned()
    };
    let number = |name: &str, default: u64| {
        value(name)
            .map(|v| v.parse().expect(name))
            .unwrap_or(default)
    };
    Args {
        users: number("--users", if smoke { 200 } else { 100_000 }),
        sessions: number("--sessions", if smoke { 2_000 } else { 1_000_000 }),
        accounts: number("--accounts", if smoke { 200 } else { 100_000 }),
        seconds: value("--seconds")
            .map(|v| v.parse().unwrap())
            .unwrap_or(if smoke { 0.1 } else { 2.0 }),
        concurrency: if smoke { vec![1, 4] } else { vec![1, 8, 32] },
        rounds: number("--rounds", if smoke { 1 } else { 2 }) as usize,
        with_10m: argv.iter().any(|a| a == "--with-10m"),
        smoke,
        only: value("--only"),
        chart: value("--chart"),
        replica: !argv.iter().any(|a| a == "--no-replica"),
    }
}

/// Session `n`'s token, as the seed SQL computes it.
fn session_token(n: u64) -> String {
    sha256_hex(&format!("s{n}"))
}

fn expired(n: u64) -> bool {
    n.is_multiple_of(10)
}

// ---------------------------------------------------------------- seeding

async fn seed(pool: &PgPool, table: &str, from: u64, to: u64) {
    // Chunks of 200k keep each statement's memory modest on a small machine.
    let mut start = from;
    while start <= to {
        let end = (start + 199_999).min(to);
        let sql = match table {
            "users" => format!(
                "INSERT INTO users (id, name, email, created_at, updated_at) SELECT g, 'User ' || g, 'user' || g || '@example.com', now(), now() FROM generate_series({start}, {end}) g"
            ),
            "accounts" => format!(
                "INSERT INTO accounts (compound_id, user_id, provider_type, provider_id, provider_account_id, access_token, created_at, updated_at) \
                 SELECT encode(sha256(('github:gh' || g)::bytea), 'hex'), 1 + g % (SELECT count(*) FROM users), 'oauth', 'github', 'gh' || g, 'gho_' || g, now(), now() FROM generate_series({start}, {end}) g"
            ),
            _ => format!(
                "INSERT INTO sessions (id, user_id, expires, session_token, access_token, created_at, updated_at) \
                 SELECT g, 1 + g % (SELECT count(*) FROM users), CASE WHEN g % 10 = 0 THEN now() - interval '1 day' ELSE now() + interval '30 days' END, \
                 encode(sha256(('s' || g)::bytea), 'hex'), encode(sha256(('a' || g)::bytea), 'hex'), now(), now() FROM generate_series({start}, {end}) g"
            ),
        };
        sqlx::query(AssertSqlSafe(sql))
            .execute(pool)
            .await
            .expect("seed");
        start = end + 1;
    }
    // Rows were inserted with explicit ids: move the serial sequence past them.
    let resync = format!(
        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
    );
    sqlx::query(AssertSqlSafe(resync))
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(AssertSqlSafe(format!("ANALYZE {table}")))
        .execute(pool)
        .await
        .unwrap();
}

// ---------------------------------------------------------------- measuring

struct Stats {
    ops: u64,
    elapsed: Duration,
    /// This process's CPU time (user and system) while it ran: the
    /// client's share of each op, which the server's does not include.
    client_cpu: Duration,
    /// Each op's latency in microseconds.
    latencies_us: Histogram<u64>,
}

/// A histogram of latencies in microseconds, to 3 significant figures,
/// growing to fit what it records.
fn latency_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant figures is a valid precision")
}

/// Records `us` in a growing histogram. (Its `saturating_record` does not
/// grow it: it clamps every value above the current range, 2 ms at first,
/// down to that range's top.)
fn record(histogram: &mut Histogram<u64>, us: u64) {
    histogram
        .record(us)
        .expect("a growing histogram records any value");
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            ops: 0,
            elapsed: Duration::ZERO,
            client_cpu: Duration::ZERO,
            latencies_us: latency_histogram(),
        }
    }
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        self.ops += other.ops;
        self.elapsed += other.elapsed;
        self.client_cpu += other.client_cpu;
        self.latencies_us
            .add(&other.latencies_us)
            .expect("histograms of one precision add up");
    }
    /// Client CPU per op, in microseconds.
    fn client_cpu_us(&self) -> f64 {
        self.client_cpu.as_secs_f64() * 1e6 / self.ops.max(1) as f64
    }
    fn per_second(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    /// The latency at quantile `p`, in ms (0 with no ops).
    fn percentile(&self, p: f64) -> f64 {
        self.latencies_us.value_at_quantile(p) as f64 / 1000.0
    }
}

/// Runs `op` from `concurrency` tasks until `duration` has passed or an op
/// reports that its supply is used up (returns false).
async fn measure<F, Fut>(concurrency: usize, duration: Duration, op: F) -> Stats
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let started = Instant::now();
    let cpu_before = process_cpu();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let op = op.clone();
        tasks.spawn(async move {
            let mut rng =
                0x9E37_79B9_7F4A_7C15u64 ^ (worker as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407);
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let t0 = Instant::now();
                if !op(rng).await {
                    break;
                }
                latencies.push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
            }
            latencies
        });
    }
    let mut stats = Stats::default();
    for latencies in tasks.join_all().await {
        stats.ops += latencies.len() as u64;
        for us in latencies {
            record(&mut stats.latencies_us, u64::from(us));
        }
    }
    stats.elapsed = started.elapsed();
    stats.client_cpu = process_cpu().saturating_sub(cpu_before);
    stats
}

/// This process's CPU time so far (user and system), from /proc: to 10 ms,
/// enough over a measurement of seconds.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime, fields 14 and 15 of the line (11 and 12 here), in
    // clock ticks of 1/100 s.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Hands out one-shot items (expired tokens, tokens due for renewal) once each.
struct Supply {
    items: Vec<u64>,
    next: AtomicUsize,
}

impl Supply {
    fn new(items: Vec<u64>) -> Arc<Supply> {
        Arc::new(Supply {
            items,
            next: AtomicUsize::new(0),
        })
    }
    fn take(&self) -> Option<u64> {
        self.items
            .get(self.next.fetch_add(1, Ordering::Relaxed))
            .copied()
    }
}

struct Row2 {
    label: String,
    concurrency: usize,
    ours: Stats,
    floor: Stats,
}

fn print_header() {
    println!(
        "| operation | conc. | authstore ops/s | p50 ms | p99 ms | sqlx ops/s | p50 ms | p99 ms | ratio | client CPU µs/op (authstore / sqlx) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
}

fn print_row(row: &mut Row2) {
    let (ours, floor) = (row.ours.per_second(), row.floor.per_second());
    println!(
        "| {} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} / {:.0} |",
        row.label,
        row.concurrency,
        ours,
        row.ours.percentile(0.50),
        row.ours.percentile(0.99),
        floor,
        row.floor.percentile(0.50),
        row.floor.percentile(0.99),
        ours / floor.max(1e-9),
        row.ours.client_cpu_us(),
        row.floor.client_cpu_us()
    );
}

// ---------------------------------------------------------------- the floor

const FLOOR_LOOKUP: &str = "SELECT s.id, s.user_id, s.expires, s.session_token, s.access_token, s.created_at, s.updated_at, \
     u.id AS uid, u.name, u.email, u.email_verified, u.image, u.created_at AS ucreated, u.updated_at AS uupdated \
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.session_token = $1 LIMIT 1";

/// What a lookup decodes: the session and its user, all columns.
#[allow(dead_code)]
struct FloorSession {
    id: i32,
    user_id: i32,
    expires: DateTime<Utc>,
    session_token: String,
    access_token: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    user: users::Model,
}

async fn floor_lookup(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Option<FloorSession> {
    let row = sqlx::query(FLOOR_LOOKUP)
        .bind(token)
        .fetch_optional(pool)
        .await
        .unwrap()?;
    let mut session = FloorSession {
        id: row.get(0),
        user_id: row.get(1),
        expires: row.get(2),
        session_token: row.get(3),
        access_token: row.get(4),
        created_at: row.get(5),
        updated_at: row.get(6),
        user: users::Model {
            id: row.get(7),
            name: row.get(8),
            email: row.get(9),
            email_verified: row.get(10),
            image: row.get(11),
            created_at: row.get(12),
            updated_at: row.get(13),
        },
    };
    if session.expires <= now {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session.id)
            .execute(pool)
            .await
            .unwrap();
        return None;
    }
    if now > session.expires - TimeDelta::days(30) + TimeDelta::days(1) {
        let expires = now + TimeDelta::days(30);
        sqlx::query(
            "UPDATE sessions SET expires = $1, updated_at = $2 WHERE id = $3 AND expires < $1",
        )
        .bind(expires)
        .bind(now)
        .bind(session.id)
        .execute(pool)
        .await
        .unwrap();
        session.expires = expires;
    }
    Some(session)
}

const FLOOR_LUCIA: &str = "SELECT s.id, s.expires_at, s.user_id, u.id AS found_user_id \
     FROM user_session s LEFT JOIN auth_user u ON u.id = s.user_id WHERE s.id = $1";

/// Lucia v3's validateSession by hand: one lookup, then Lucia's rules (delete
/// if expired or orphaned, renew in the second half).
async fn floor_lucia_validate(
    pool: &PgPool,
    id: &str,
    now: DateTime<Utc>,
) -> Option<(String, String, DateTime<Utc>)> {
    let row = sqlx::query(FLOOR_LUCIA)
        .bind(id)
        .fetch_optional(pool)
        .await
        .unwrap()?;
    let (session_id, mut expires_at, user): (String, DateTime<Utc>, Option<String>) =
        (row.get(0), row.get(1), row.get(3));
    let expires_in = TimeDelta::days(30);
    if user.is_none() || expires_at <= now {
        sqlx::query("DELETE FROM user_session WHERE id = $1")
            .bind(&session_id)
            .execute(pool)
            .await
            .unwrap();
        return None;
    }
    if now >= expires_at - expires_in / 2 {
        expires_at = now + expires_in;
        sqlx::query("UPDATE user_session SET expires_at = $1 WHERE id = $2")
            .bind(expires_at)
            .bind(&session_id)
            .execute(pool)
            .await
            .unwrap();
    }
    Some((session_id, user?, expires_at))
}

/// Lucia v3 tables beside next-auth's: `users` users, `sessions` sessions
/// that live 29 more days (the first half: validating writes nothing), with
/// 40-character ids.
async fn seed_lucia(pool: &PgPool, users: u64, sessions: u64) {
    sqlx::query("INSERT INTO auth_user SELECT 'u' || g FROM generate_series(1, $1) g")
        .bind(users as i64)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO user_session SELECT lpad(g::text, 40, '0'), now() + interval '29 days', \
         'u' || (g % $2 + 1) FROM generate_series(1, $1) g",
    )
    .bind(sessions as i64)
    .bind(users as i64)
    .execute(pool)
    .await
    .unwrap();
    for table in ["auth_user", "user_session"] {
        sqlx::query(AssertSqlSafe(format!("ANALYZE {table}")))
            .execute(pool)
            .await
            .unwrap();
    }
}

fn lucia_id(n: u64) -> String {
    format!("{n:040}")
}

const FLOOR_BETTER_AUTH: &str = "SELECT s.id, s.token, s.\"userId\", s.\"expiresAt\", \
     s.\"createdAt\", s.\"updatedAt\", s.\"ipAddress\", s.\"userAgent\", u.id AS user_id, u.name, \
     u.email, u.\"emailVerified\", u.image, u.\"createdAt\" AS user_created, \
     u.\"updatedAt\" AS user_updated \
     FROM session s JOIN \"user\" u ON u.id = s.\"userId\" WHERE s.token = $1";

/// better-auth's getSession by hand: one lookup with the user's columns,
/// then better-auth's rules (delete once past `expiresAt`, renew once
/// `expiresAt - expiresIn + updateAge` is reached, and only a live row).
async fn floor_better_auth_validate(
    pool: &PgPool,
    token: &str,
    now: DateTime<Utc>,
) -> Option<(String, String, DateTime<Utc>)> {
    let row = sqlx::query(FLOOR_BETTER_AUTH)
        .bind(token)
        .fetch_optional(pool)
        .await
        .unwrap()?;
    let (user, mut expires_at): (String, DateTime<Utc>) = (row.get("user_id"), row.get(3));
    let (expires_in, update_age) = (TimeDelta::days(7), TimeDelta::days(1));
    if expires_at < now {
        sqlx::query("DELETE FROM session WHERE token = $1 AND \"expiresAt\" < $2")
            .bind(token)
            .bind(now)
            .execute(pool)
            .await
            .unwrap();
        return None;
    }
    if expires_at - expires_in + update_age <= now {
        expires_at = now + expires_in;
        sqlx::query(
            "UPDATE session SET \"expiresAt\" = $1, \"updatedAt\" = $2 \
             WHERE token = $3 AND \"expiresAt\" >= $2",
        )
        .bind(expires_at)
        .bind(now)
        .bind(token)
        .execute(pool)
        .await
        .unwrap();
    }
    Some((row.get(0), user, expires_at))
}

/// better-auth's tables beside the others: `users` users, `sessions`
/// sessions started an hour ago (due for renewal only after a day:
/// validating writes nothing), with 32-character tokens.
async fn seed_better_auth(pool: &PgPool, users: u64, sessions: u64) {
    sqlx::query(
        "INSERT INTO \"user\" (id, name, email, \"emailVerified\", \"createdAt\", \"updatedAt\") \
         SELECT 'b' || g, 'User ' || g, 'b' || g || '@example.com', false, now(), now() \
         FROM generate_series(1, $1) g",
    )
    .bind(users as i64)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO session (id, token, \"userId\", \"expiresAt\", \"createdAt\", \"updatedAt\") \
         SELECT 's' || g, lpad(g::text, 32, '0'), 'b' || (g % $2 + 1), \
         now() + interval '7 days' - interval '1 hour', now() - interval '1 hour', \
         now() - interval '1 hour' FROM generate_series(1, $1) g",
    )
    .bind(sessions as i64)
    .bind(users as i64)
    .execute(pool)
    .await
    .unwrap();
    for table in ["\"user\"", "session"] {
        sqlx::query(AssertSqlSafe(format!("ANALYZE {table}")))
            .execute(pool)
            .await
            .unwrap();
    }
}

fn better_auth_token(n: u64) -> String {
    format!("{n:032}")
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    hex::encode(bytes)
}

// ---------------------------------------------------------------- the run

#[tokio::main]
async fn main() {
    let args = args();
    let bench = Bench::set_up(&args).await;
    let duration = Duration::from_secs_f64(args.seconds);
    bench.print_title(&args).await;

    let seed_started = Instant::now();
    seed(&bench.floor, "users", 1, args.users).await;
    seed(&bench.floor, "accounts", 1, args.accounts).await;
    // Scale: hit latency at 10k sessions first, then at the full size.
    let small = 10_000.min(args.sessions);
    seed(&bench.floor, "sessions", 1, small).await;
    let mut scale = vec![scale_point(&bench.store, &bench.floor, small, duration).await];
    seed(&bench.floor, "sessions", small + 1, args.sessions).await;
    println!(
        "seeded {} users, {} accounts, {} sessions ({}% expired) in {:.1} s\n",
        args.users,
        args.accounts,
        args.sessions,
        10,
        seed_started.elapsed().as_secs_f64()
    );
    scale.push(scale_point(&bench.store, &bench.floor, args.sessions, duration).await);
    seed_lucia(&bench.floor, args.users, args.sessions).await;
    seed_better_auth(&bench.floor, args.users, args.sessions).await;

    if let Some(replica) = &bench.replica {
        caught_up(&bench.floor, &replica.floor).await;
    }
    let work = Arc::new(Workload::new(&args));
    print_header();
    let mut table = Table {
        args: &args,
        duration,
        rows: Vec::new(),
    };
    for &c in &args.concurrency {
        lucia_rows(&mut table, c, &bench, &args).await;
        better_auth_rows(&mut table, c, &bench, &args).await;
        lookup_rows(&mut table, c, &bench, &work).await;
        renewal_rows(&mut table, c, &bench, &work).await;
        write_rows(&mut table, c, &bench, &args).await;
        replica_rows(&mut table, c, &bench, &work).await;
    }
    if let Some(replica) = &bench.replica {
        print_replica_share(replica);
    }
    if args.replica
        && args
            .only
            .as_ref()
            .is_none_or(|only| REVOCATION_LABEL.contains(only.as_str()))
    {
        revocation_rows(&mut table, &args).await;
    }
    let rows = table.rows;

    if args
        .only
        .as_ref()
        .is_none_or(|only| "session cache revocation".contains(only.as_str()))
    {
        revocation_delay(&bench.cached, &bench.store, &bench.floor, &bench.url, &args).await;
    }
    if args
        .only
        .as_ref()
        .is_none_or(|only| BETTER_AUTH_CACHED_LABEL.contains(only.as_str()))
    {
        better_auth_revocation_delay(&bench, &args).await;
    }
    if let Some(path) = &args.chart {
        chart(path, &rows);
    }
    if args.with_10m {
        seed(&bench.floor, "sessions", args.sessions + 1, 10_000_000).await;
        scale.push(scale_point(&bench.store, &bench.floor, 10_000_000, duration).await);
    }
    print_scale(&scale);
    if args.only.is_none() {
        purge(&bench.store, &bench.floor, &args).await;
        explain(&bench.floor).await;
    }
    bench.tear_down().await;
    if !args.smoke {
        println!("\n(rows measured: {})", rows.len());
    }
}

/// The run's own database, both sides' pools, and the stores measured.
struct Bench {
    admin: PgPool,
    name: String,
    url: String,
    db: sea_orm::DatabaseConnection,
    /// The hand-written sqlx side.
    floor: PgPool,
    store: AuthStore,
    /// The same store with the session cache on, hearing every change from
    /// PostgreSQL (its own listening connection).
    cached: AuthStore,
    lucia: LuciaStore,
    lucia_cached: LuciaStore,
    better_auth: BetterAuthStore,
    /// better-auth's store with the session cache on, hearing every change
    /// from PostgreSQL.
    better_auth_cached: BetterAuthStore,
    /// The store reading the main cluster's replica, and the floor there.
    replica: Option<ReplicaSide>,
}

struct ReplicaSide {
    store: AuthStore,
    floor: PgPool,
}

impl Bench {
    async fn set_up(args: &Args) -> Bench {
        let server = std::env::var("AUTHSTORE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let admin = PgPool::connect(&format!("{server}/postgres"))
            .await
            .expect("PostgreSQL is required");
        let name = format!("authstore_bench_{}", std::process::id());
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .unwrap();
        let url = format!("{server}/{name}");

        let pool_size = *args.concurrency.iter().max().unwrap() as u32;
        let mut options = ConnectOptions::new(&url);
        options
            .max_connections(pool_size)
            .min_connections(pool_size)
            .sqlx_logging(false);
        let db = Database::connect(options).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let floor = PgPoolOptions::new()
            .max_connections(pool_size)
            .min_connections(pool_size)
            .connect(&url)
            .await
            .unwrap();
        let store = AuthStore::new(db.clone(), Config::new(SECRET).unwrap());
        let cached_config = Config::builder(SECRET)
            .session_cache(CACHE_ENTRIES, TimeDelta::seconds(30))
            .build()
            .unwrap();
        let cached = AuthStore::new(db.clone(), cached_config);
        // The listeners hold a connection each for as long as they listen:
        // on the store's own pool they would leave authstore's side fewer
        // connections than the floor's at the top concurrency.
        let listening = Database::connect(&url).await.unwrap();
        cached
            .listen_for_session_changes_on(&listening)
            .await
            .unwrap();
        // Lucia v3's tables beside next-auth's. One database keeps one
        // profile's migration history, so its migration runs here without
        // the history (a second set of pools would exceed PostgreSQL's 100
        // connections). Its triggers and channels are its own, so the two
        // caches hear their own profile's changes only.
        for migration in authstore_migration::lucia_v3::migrations() {
            migration
                .up(&sea_orm_migration::SchemaManager::new(&db))
                .await
                .unwrap();
        }
        let lucia = LuciaStore::new(db.clone(), LuciaConfig::default());
        let lucia_config = LuciaConfig::default()
            .session_cache(CACHE_ENTRIES, TimeDelta::seconds(30))
            .unwrap();
        let lucia_cached = LuciaStore::new(db.clone(), lucia_config);
        lucia_cached
            .listen_for_session_changes_on(&listening)
            .await
            .unwrap();
        // better-auth's tables beside the others: its migration history is
        // a table of its own, so its migrator runs here as it is.
        authstore_migration::better_auth::Migrator::up(&db, None)
            .await
            .unwrap();
        let better_auth = BetterAuthStore::new(db.clone(), BetterAuthConfig::default());
        let better_auth_config = BetterAuthConfig::default()
            .session_cache(CACHE_ENTRIES, TimeDelta::seconds(30))
            .unwrap();
        let better_auth_cached = BetterAuthStore::new(db.clone(), better_auth_config);
        better_auth_cached
            .listen_for_session_changes_on(&listening)
            .await
            .unwrap();
        let replica = match args.replica {
            true => Some(ReplicaSide::connect(&db, &name, pool_size).await),
            false => None,
        };
        Bench {
            admin,
            name,
            url,
            db,
            floor,
            store,
            cached,
            lucia,
            lucia_cached,
            better_auth,
            better_auth_cached,
            replica,
        }
    }

    async fn print_title(&self, args: &Args) {
        let version: String = sqlx::query_scalar("SELECT version()")
            .fetch_one(&self.floor)
            .await
            .unwrap();
        println!("# authstore hot path vs a hand-written sqlx floor\n");
        println!(
            "{}; {} CPUs; pool {} each side; {} s per measurement, {} rounds, A/B interleaved\n",
            version.split(" on ").next().unwrap_or(&version),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            args.concurrency.iter().max().unwrap(),
            args.seconds,
            args.rounds
        );
    }

    /// Closes every pool and drops the run's database.
    async fn tear_down(self) {
        drop((self.store, self.cached, self.lucia, self.lucia_cached));
        drop((self.better_auth, self.better_auth_cached));
        if let Some(replica) = self.replica {
            drop(replica.store);
            replica.floor.close().await;
        }
        self.db.close().await.ok();
        self.floor.close().await;
        sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE {} WITH (FORCE)",
            self.name
        )))
        .execute(&self.admin)
        .await
        .unwrap();
    }
}

/// Which seeded sessions each operation draws: hits and misses at random
/// and reused; expired sessions and sessions due for renewal can be used
/// once, so each side gets its own supply.
struct Workload {
    hits: Arc<Vec<u64>>,
    due_ours: Arc<Supply>,
    due_floor: Arc<Supply>,
    dead_ours: Arc<Supply>,
    dead_floor: Arc<Supply>,
    /// When the live sessions are due for renewal.
    later: DateTime<Utc>,
}

impl Workload {
    fn new(args: &Args) -> Workload {
        let n = args.sessions;
        let dead: Vec<u64> = (1..=n).filter(|i| expired(*i)).collect();
        Workload {
            hits: Arc::new((1..n / 2).filter(|i| !expired(*i)).collect()),
            due_ours: Supply::new((n / 2..3 * n / 4).filter(|i| !expired(*i)).collect()),
            due_floor: Supply::new((3 * n / 4..=n).filter(|i| !expired(*i)).collect()),
            dead_ours: Supply::new(dead.iter().copied().filter(|i| (i / 10) % 2 == 0).collect()),
            dead_floor: Supply::new(dead.iter().copied().filter(|i| (i / 10) % 2 == 1).collect()),
            later: Utc::now() + TimeDelta::days(2),
        }
    }

    /// A hit's token, drawn by `r`.
    fn hit(&self, r: u64) -> String {
        session_token(self.hits[(r % self.hits.len() as u64) as usize])
    }

    /// A token from the hot set (see [`hot_or_any`]), drawn by `r`.
    fn hot(&self, r: u64) -> String {
        session_token(self.hits[hot_or_any(r, self.hits.len())])
    }
}

/// The comparison table: each row one operation at one concurrency, on
/// both sides in alternating rounds (A B B A …) so machine noise hits both.
struct Table<'a> {
    args: &'a Args,
    duration: Duration,
    rows: Vec<Row2>,
}

impl Table<'_> {
    async fn compare<O, OF, F, FF>(&mut self, label: &str, c: usize, ours: O, floor: F)
    where
        O: Fn(u64) -> OF + Clone + Send + Sync + 'static,
        OF: Future<Output = bool> + Send,
        F: Fn(u64) -> FF + Clone + Send + Sync + 'static,
        FF: Future<Output = bool> + Send,
    {
        let wanted = self.args.only.as_ref();
        if !wanted.is_none_or(|only| label.contains(only.as_str())) {
            return;
        }
        let mut row = Row2 {
            label: label.to_string(),
            concurrency: c,
            ours: Stats::default(),
            floor: Stats::default(),
        };
        for round in 0..self.args.rounds {
            if round % 2 == 0 {
                row.ours
                    .merge(measure(c, self.duration, ours.clone()).await);
                row.floor
                    .merge(measure(c, self.duration, floor.clone()).await);
            } else {
                row.floor
                    .merge(measure(c, self.duration, floor.clone()).await);
                row.ours
                    .merge(measure(c, self.duration, ours.clone()).await);
            }
        }
        print_row(&mut row);
        self.rows.push(row);
    }
}

/// Lucia v3's validation, cached and not, against the floor.
async fn lucia_rows(table: &mut Table<'_>, c: usize, bench: &Bench, args: &Args) {
    let sessions = args.sessions;
    let floor_validates = |pick: fn(u64, u64) -> u64| {
        let f = bench.floor.clone();
        move |r: u64| {
            let (f, id) = (f.clone(), lucia_id(pick(r, sessions)));
            async move {
                floor_lucia_validate(&f, &id, Utc::now())
                    .await
                    .expect("hit");
                true
            }
        }
    };
    let validates = |side: &LuciaStore, pick: fn(u64, u64) -> u64| {
        let side = side.clone();
        move |r: u64| {
            let (side, id) = (side.clone(), lucia_id(pick(r, sessions)));
            async move {
                side.validate_session(&id).await.unwrap().expect("hit");
                true
            }
        }
    };
    // The same hot-set workload as next-auth's cache rows.
    let hot: fn(u64, u64) -> u64 = |r, n| hot_or_any(r, n as usize) as u64 + 1;
    let any: fn(u64, u64) -> u64 = |r, n| r % n + 1;
    for (label, side) in [
        (LUCIA_CACHED_LABEL, &bench.lucia_cached),
        (LUCIA_UNCACHED_LABEL, &bench.lucia),
    ] {
        table
            .compare(label, c, validates(side, hot), floor_validates(hot))
            .await;
    }
    table
        .compare(
            "lucia-v3 validate_session (hit)",
            c,
            validates(&bench.lucia, any),
            floor_validates(any),
        )
        .await;
}

/// better-auth's validation, cached and not, against the floor.
async fn better_auth_rows(table: &mut Table<'_>, c: usize, bench: &Bench, args: &Args) {
    let sessions = args.sessions;
    let floor_validates = |pick: fn(u64, u64) -> u64| {
        let f = bench.floor.clone();
        move |r: u64| {
            let (f, token) = (f.clone(), better_auth_token(pick(r, sessions)));
            async move {
                let now = Utc::now();
                floor_better_auth_validate(&f, &token, now)
                    .await
                    .expect("hit");
                true
            }
        }
    };
    let validates = |side: &BetterAuthStore, pick: fn(u64, u64) -> u64| {
        let side = side.clone();
        move |r: u64| {
            let (side, token) = (side.clone(), better_auth_token(pick(r, sessions)));
            async move {
                side.validate_session(&token).await.unwrap().expect("hit");
                true
            }
        }
    };
    let hot: fn(u64, u64) -> u64 = |r, n| hot_or_any(r, n as usize) as u64 + 1;
    for (label, side) in [
        (BETTER_AUTH_CACHED_LABEL, &bench.better_auth_cached),
        (BETTER_AUTH_UNCACHED_LABEL, &bench.better_auth),
    ] {
        table
            .compare(label, c, validates(side, hot), floor_validates(hot))
            .await;
    }
}

/// next-auth's per-request lookup: a hit, a miss, an expired session, and
/// the session cache on a hot set.
async fn lookup_rows(table: &mut Table<'_>, c: usize, bench: &Bench, work: &Arc<Workload>) {
    let looks_up = |store: &AuthStore, token: fn(&Workload, u64) -> String, expect_hit: bool| {
        let (store, work) = (store.clone(), work.clone());
        move |r: u64| {
            let store = store.clone();
            let t = token(&work, r);
            async move {
                let found = store.sessions().get_session_and_user(&t).await.unwrap();
                assert_eq!(found.is_some(), expect_hit);
                true
            }
        }
    };
    let floor_looks_up = |token: fn(&Workload, u64) -> String, expect_hit: bool| {
        let (f, work) = (bench.floor.clone(), work.clone());
        move |r: u64| {
            let f = f.clone();
            let t = token(&work, r);
            async move {
                let found = floor_lookup(&f, &t, Utc::now()).await;
                assert_eq!(found.is_some(), expect_hit);
                true
            }
        }
    };
    let miss: fn(&Workload, u64) -> String = |_, r| sha256_hex(&format!("miss{r}"));
    table
        .compare(
            "get_session_and_user (hit)",
            c,
            looks_up(&bench.store, Workload::hit, true),
            floor_looks_up(Workload::hit, true),
        )
        .await;
    table
        .compare(
            "get_session_and_user (miss)",
            c,
            looks_up(&bench.store, miss, false),
            floor_looks_up(miss, false),
        )
        .await;
    let expired_once = |store: Option<&AuthStore>, supply: &Arc<Supply>| {
        let (store, supply, f) = (store.cloned(), supply.clone(), bench.floor.clone());
        move |_| {
            let (store, supply, f) = (store.clone(), supply.clone(), f.clone());
            async move {
                let Some(i) = supply.take() else { return false };
                let token = session_token(i);
                let found = match store {
                    Some(store) => store
                        .sessions()
                        .get_session_and_user(&token)
                        .await
                        .unwrap()
                        .is_some(),
                    None => floor_lookup(&f, &token, Utc::now()).await.is_some(),
                };
                assert!(!found, "expired");
                true
            }
        }
    };
    table
        .compare(
            "get_session_and_user (expired: read + delete)",
            c,
            expired_once(Some(&bench.store), &work.dead_ours),
            expired_once(None, &work.dead_floor),
        )
        .await;
    // The session cache against the floor, on a workload with a hot set: 9
    // lookups in 10 go to the same 1,000 sessions, 1 in 10 to any live one.
    // The uncached store runs the same workload, for scale.
    for (label, side) in [
        (CACHED_LABEL, &bench.cached),
        (UNCACHED_LABEL, &bench.store),
    ] {
        table
            .compare(
                label,
                c,
                looks_up(side, Workload::hot, true),
                floor_looks_up(Workload::hot, true),
            )
            .await;
    }
}

/// Renewal: next-auth's sliding renewal inside the lookup, and a forced one.
async fn renewal_rows(table: &mut Table<'_>, c: usize, bench: &Bench, work: &Arc<Workload>) {
    let later = work.later;
    let renewing = bench.store.clone().with_clock(move || later);
    let renews_once = |store: Option<&AuthStore>, supply: &Arc<Supply>| {
        let (store, supply, f) = (store.cloned(), supply.clone(), bench.floor.clone());
        move |_| {
            let (store, supply, f) = (store.clone(), supply.clone(), f.clone());
            async move {
                let Some(i) = supply.take() else { return false };
                let token = session_token(i);
                match store {
                    Some(store) => {
                        let found = store.sessions().get_session_and_user(&token).await.unwrap();
                        assert!(found.expect("live").renewed);
                    }
                    None => {
                        floor_lookup(&f, &token, later).await.expect("live");
                    }
                }
                true
            }
        }
    };
    table
        .compare(
            "sliding renewal (read + update)",
            c,
            renews_once(Some(&renewing), &work.due_ours),
            renews_once(None, &work.due_floor),
        )
        .await;
    let (s, w) = (bench.store.clone(), work.clone());
    let (f, fw) = (bench.floor.clone(), work.clone());
    table
        .compare(
            "forced renewal",
            c,
            move |r: u64| {
                let (s, t) = (s.clone(), w.hit(r));
                async move {
                    s.sessions().renew(&t).await.unwrap();
                    true
                }
            },
            move |r: u64| {
                let (f, t) = (f.clone(), fw.hit(r));
                async move {
                    let now = Utc::now();
                    let row = sqlx::query("UPDATE sessions SET expires = $1, updated_at = $2 WHERE session_token = $3 AND expires > $2 RETURNING id, user_id, expires, session_token, access_token, created_at, updated_at")
                        .bind(now + TimeDelta::days(30)).bind(now).bind(&t).fetch_one(&f).await.unwrap();
                    let _: (i32, DateTime<Utc>) = (row.get(0), row.get(2));
                    true
                }
            },
        )
        .await;
}

/// The writes and the account lookup: a new session, a user by provider
/// account, and an email link made and used.
async fn write_rows(table: &mut Table<'_>, c: usize, bench: &Bench, args: &Args) {
    let (users_n, accounts_n) = (args.users, args.accounts);
    let (s, f) = (bench.store.clone(), bench.floor.clone());
    table
        .compare(
            "sessions.create",
            c,
            {
                let s = s.clone();
                move |r: u64| {
                    let s = s.clone();
                    async move {
                        s.sessions().create((1 + r % users_n) as i32).await.unwrap();
                        true
                    }
                }
            },
            {
                let f = f.clone();
                move |r: u64| {
                    let f = f.clone();
                    async move {
                        let now = Utc::now();
                        let row = sqlx::query("INSERT INTO sessions (user_id, expires, session_token, access_token, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id, user_id, expires, session_token, access_token, created_at, updated_at")
                            .bind((1 + r % users_n) as i32).bind(now + TimeDelta::days(30)).bind(random_hex()).bind(random_hex()).bind(now).fetch_one(&f).await.unwrap();
                        let _: i32 = row.get(0);
                        true
                    }
                }
            },
        )
        .await;
    table
        .compare(
            "users.get_by_account",
            c,
            {
                let s = s.clone();
                move |r: u64| {
                    let s = s.clone();
                    async move {
                        s.users()
                            .get_by_account("github", &format!("gh{}", 1 + r % accounts_n))
                            .await
                            .unwrap()
                            .expect("linked");
                        true
                    }
                }
            },
            {
                let f = f.clone();
                move |r: u64| {
                    let f = f.clone();
                    async move {
                        // The same semantics as authstore: the hash, then the
                        // account's own columns (the hash alone is ambiguous).
                        let account = format!("gh{}", 1 + r % accounts_n);
                        let compound = sha256_hex(&format!("github:{account}"));
                        let row = sqlx::query("SELECT u.id, u.name, u.email, u.email_verified, u.image, u.created_at, u.updated_at FROM users u JOIN accounts a ON a.user_id = u.id WHERE a.compound_id = $1 AND a.provider_id = $2 AND a.provider_account_id = $3 LIMIT 1")
                            .bind(compound).bind("github").bind(account).fetch_one(&f).await.unwrap();
                        let _ = users::Model {
                            id: row.get(0),
                            name: row.get(1),
                            email: row.get(2),
                            email_verified: row.get(3),
                            image: row.get(4),
                            created_at: row.get(5),
                            updated_at: row.get(6),
                        };
                        true
                    }
                }
            },
        )
        .await;
    table
        .compare(
            "verification create + consume",
            c,
            {
                let s = s.clone();
                move |r: u64| {
                    let s = s.clone();
                    async move {
                        let email = format!("v{r}@example.com");
                        let (_, t) = s.verification().create(&email).await.unwrap();
                        let used = s.verification().consume(&email, t.expose()).await.unwrap();
                        assert!(used.is_some());
                        true
                    }
                }
            },
            {
                let f = f.clone();
                move |r: u64| {
                    let f = f.clone();
                    async move {
                        let email = format!("v{r}@example.com");
                        let token = random_hex();
                        let hash = sha256_hex(&format!("{token}{SECRET}"));
                        let now = Utc::now();
                        sqlx::query("INSERT INTO verification_requests (identifier, token, expires, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id")
                            .bind(&email).bind(&hash).bind(now + TimeDelta::days(1)).bind(now).fetch_one(&f).await.unwrap();
                        let taken = sqlx::query("DELETE FROM verification_requests WHERE identifier = $1 AND token = $2 RETURNING id, identifier, expires, created_at, updated_at")
                            .bind(&email).bind(&hash).fetch_optional(&f).await.unwrap();
                        assert!(taken.is_some());
                        true
                    }
                }
            },
        )
        .await;
}

/// The scale table: hit latency by table size.
fn print_scale(scale: &[ScalePoint]) {
    println!("\n## Scale: `get_session_and_user` hit latency by table size\n");
    println!("| sessions | authstore p50 ms (c=1) | sqlx p50 ms (c=1) | authstore ops/s (c=32) |");
    println!("|---:|---:|---:|---:|");
    for point in scale {
        println!(
            "| {} | {:.3} | {:.3} | {:.0} |",
            point.sessions, point.ours_p50, point.floor_p50, point.ours_c32
        );
    }
    if scale.len() >= 2 {
        println!(
            "\ngrowth of authstore's p50 from {} to {} sessions: {:.2}x",
            scale[0].sessions,
            scale[1].sessions,
            scale[1].ours_p50 / scale[0].ours_p50.max(1e-9)
        );
    }
}

struct ScalePoint {
    sessions: u64,
    ours_p50: f64,
    floor_p50: f64,
    ours_c32: f64,
}

// ---------------------------------------------------------------- the session cache

const CACHE_ENTRIES: u64 = 100_000;
const CACHED_LABEL: &str = "get_session_and_user, 90% hot (cached)";
const UNCACHED_LABEL: &str = "get_session_and_user, 90% hot (uncached)";
const LUCIA_CACHED_LABEL: &str = "lucia-v3 validate_session, 90% hot (cached)";
const LUCIA_UNCACHED_LABEL: &str = "lucia-v3 validate_session, 90% hot (uncached)";
const BETTER_AUTH_CACHED_LABEL: &str = "better-auth validate_session, 90% hot (cached)";
const BETTER_AUTH_UNCACHED_LABEL: &str = "better-auth validate_session, 90% hot (uncached)";
const HOT_SET: usize = 1_000;

/// An index into `len` live sessions: 9 draws in 10 from the first 1,000
/// (the hot set), 1 in 10 from all.
fn hot_or_any(r: u64, len: usize) -> usize {
    match r % 10 {
        0 => (r / 10) as usize % len,
        _ => (r / 10) as usize % HOT_SET.min(len),
    }
}

/// The revocation delays' table: p50, p99 and max in ms, and how many
/// lookups accepted a session after the cache's staleness bound.
fn print_delays(delays: &[f64], accepted_past_bound: usize) {
    let mut histogram = latency_histogram();
    for delay in delays {
        record(&mut histogram, (delay * 1000.0) as u64);
    }
    let at = |p: f64| histogram.value_at_quantile(p) as f64 / 1000.0;
    println!("| p50 ms | p99 ms | max ms | accepted after the 30 s bound |\n|---:|---:|---:|---:|");
    println!(
        "| {:.2} | {:.2} | {:.2} | {accepted_past_bound} |",
        at(0.5),
        at(0.99),
        histogram.max() as f64 / 1000.0
    );
}

/// How long after plain SQL (the better-auth app, an admin) deletes a
/// session the cached better-auth store stops accepting it, with its
/// listener on (staleness bound 30 s).
async fn better_auth_revocation_delay(bench: &Bench, args: &Args) {
    let trials = if args.smoke { 20 } else { 1_000 };
    let (store, cached) = (&bench.better_auth, &bench.better_auth_cached);
    let ada = authstore::better_auth::NewUser {
        name: "Ada".into(),
        email: "ada-revoked@example.com".into(),
        ..Default::default()
    };
    let user = store.create_user(ada).await.unwrap();
    let (mut delays, mut accepted_past_bound) = (Vec::with_capacity(trials), 0);
    let bound = Duration::from_secs(30);
    for _ in 0..trials {
        let session = store
            .create_session(&user.id, Default::default())
            .await
            .unwrap();
        let token = session.token.expose();
        for _ in 0..2 {
            // Twice: the second is served from memory.
            cached.validate_session(token).await.unwrap().expect("live");
        }
        let started = Instant::now();
        sqlx::query("DELETE FROM session WHERE token = $1")
            .bind(token)
            .execute(&bench.floor)
            .await
            .unwrap();
        while cached.validate_session(token).await.unwrap().is_some() {
            if started.elapsed() > bound {
                accepted_past_bound += 1;
            }
            tokio::task::yield_now().await;
        }
        delays.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!("\n## Session cache (better-auth): revocation delay\n");
    println!(
        "{trials} sign-outs by plain SQL (as the better-auth app deletes a session) while the \
         cached better-auth store validates in a loop: time from the DELETE's start until the \
         cached store refuses the session.\n"
    );
    print_delays(&delays, accepted_past_bound);
}

/// How long after another writer deletes a session the cached store stops
/// accepting it: the uncached `store` (another process) signs sessions out
/// while `cached` keeps validating them. Half-way through, the cached
/// store's listening connection is killed just before a deletion. Then a
/// few deletions by next-auth v3 itself, through its TypeORM adapter.
async fn revocation_delay(
    cached: &AuthStore,
    store: &AuthStore,
    floor: &PgPool,
    url: &str,
    args: &Args,
) {
    let trials = if args.smoke { 20 } else { 1_000 };
    let user = store
        .users()
        .create(authstore::NewUser::default())
        .await
        .unwrap();
    let mut delays = Vec::with_capacity(trials);
    let mut killed_delay = None;
    let mut accepted_past_bound = 0;
    let bound = Duration::from_secs(30);
    for trial in 0..trials {
        let session = store.sessions().create(user.id).await.unwrap();
        let token = session.session_token.expose();
        for _ in 0..2 {
            // Twice: the second is served from memory.
            cached
                .sessions()
                .get_session_and_user(token)
                .await
                .unwrap()
                .expect("live");
        }
        let kill = trial == trials / 2;
        if kill {
            sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'")
                .execute(floor)
                .await
                .unwrap();
        }
        let started = Instant::now();
        assert!(store.sessions().delete(token).await.unwrap());
        while cached
            .sessions()
            .get_session_and_user(token)
            .await
            .unwrap()
            .is_some()
        {
            if started.elapsed() > bound {
                accepted_past_bound += 1;
            }
            tokio::task::yield_now().await;
        }
        let delay = started.elapsed();
        if kill {
            killed_delay = Some(delay);
        } else {
            delays.push(delay.as_secs_f64() * 1000.0);
        }
    }
    println!("\n## Session cache: revocation delay\n");
    println!(
        "{} sign-outs by another store while the cached one validates in a loop: time from the \
         sign-out's start until the cached store refuses the session.\n",
        trials - 1
    );
    print_delays(&delays, accepted_past_bound);
    if let Some(delay) = killed_delay {
        println!(
            "\nWith the listening connection killed just before the sign-out: refused after {:.2} ms \
             (the drop flushed the cache; it then listened again).",
            delay.as_secs_f64() * 1000.0
        );
    }
    if !authstore_tests::interop::installed() {
        return;
    }
    let next_auth = authstore_tests::interop::NextAuth::new("nextauth.js", url);
    let mut after_node = Vec::new();
    for _ in 0..if args.smoke { 1 } else { 10 } {
        let session = store.sessions().create(user.id).await.unwrap();
        let token = session.session_token.expose();
        cached
            .sessions()
            .get_session_and_user(token)
            .await
            .unwrap()
            .expect("live");
        next_auth.run(serde_json::json!([{ "op": "deleteSession", "args": [token] }]));
        // From the moment next-auth's process has returned.
        let returned = Instant::now();
        while cached
            .sessions()
            .get_session_and_user(token)
            .await
            .unwrap()
            .is_some()
        {
            assert!(
                returned.elapsed() < bound,
                "next-auth's deletion never heard"
            );
            tokio::task::yield_now().await;
        }
        after_node.push(returned.elapsed().as_secs_f64() * 1000.0);
    }
    let worst = after_node.iter().copied().fold(0.0, f64::max);
    println!(
        "\nDeleted by next-auth 3.29.10 through its TypeORM adapter ({} times): refused at most {worst:.2} ms \
         after the next-auth process returned.",
        after_node.len()
    );
}

/// Throughput and p99 against concurrency, for the floor, the uncached store
/// and the cached one, as an SVG.
fn chart(path: &str, rows: &[Row2]) {
    use plotters::prelude::*;
    let series = |label: &str, pick: &dyn Fn(&Row2) -> &Stats| -> Vec<(f64, f64, f64)> {
        rows.iter()
            .filter(|row| row.label == label)
            .map(|row| {
                let stats = pick(row);
                (
                    row.concurrency as f64,
                    stats.per_second(),
                    stats.percentile(0.99),
                )
            })
            .collect()
    };
    let lines = [
        ("sqlx floor", series(CACHED_LABEL, &|row| &row.floor), RED),
        (
            "authstore, uncached",
            series(UNCACHED_LABEL, &|row| &row.ours),
            BLUE,
        ),
        (
            "authstore, cached",
            series(CACHED_LABEL, &|row| &row.ours),
            GREEN,
        ),
    ];
    let root = SVGBackend::new(path, (960, 420)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let (left, right) = root.split_horizontally(480);
    let max_c = lines
        .iter()
        .flat_map(|l| l.1.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    for (area, title, value) in [
        (&left, "lookups per second", 1usize),
        (&right, "p99 latency (ms)", 2usize),
    ] {
        let pick = |p: &(f64, f64, f64)| if value == 1 { p.1 } else { p.2 };
        let top = lines
            .iter()
            .flat_map(|l| l.1.iter().map(pick))
            .fold(0.0, f64::max)
            * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..max_c * 1.05, 0.0..top.max(1e-3))
            .unwrap();
        chart
            .configure_mesh()
            .x_desc("concurrent clients")
            .draw()
            .unwrap();
        for (name, points, color) in &lines {
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|p| (p.0, pick(p))),
                    color,
                ))
                .unwrap()
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|p| Circle::new((p.0, pick(p)), 3, color.filled())),
                )
                .unwrap();
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .unwrap();
    }
    root.present().unwrap();
    println!("\nchart written to {path}");
}

async fn scale_point(
    store: &AuthStore,
    floor: &PgPool,
    sessions: u64,
    duration: Duration,
) -> ScalePoint {
    let pick = move |r: u64| {
        let i = 1 + r % (sessions / 2).max(1);
        session_token(if expired(i) { i + 1 } else { i })
    };
    let s = store.clone();
    let ours = measure(1, duration, move |r| {
        let (s, t) = (s.clone(), pick(r));
        async move {
            s.sessions()
                .get_session_and_user(&t)
                .await
                .unwrap()
                .expect("hit");
            true
        }
    })
    .await;
    let f = floor.clone();
    let theirs = measure(1, duration, move |r| {
        let (f, t) = (f.clone(), pick(r));
        async move {
            floor_lookup(&f, &t, Utc::now()).await.expect("hit");
            true
        }
    })
    .await;
    let s = store.clone();
    let wide = measure(32, duration, move |r| {
        let (s, t) = (s.clone(), pick(r));
        async move {
            s.sessions()
                .get_session_and_user(&t)
                .await
                .unwrap()
                .expect("hit");
            true
        }
    })
    .await;
    ScalePoint {
        sessions,
        ours_p50: ours.percentile(0.5),
        floor_p50: theirs.percentile(0.5),
        ours_c32: wide.per_second(),
    }
}

/// `purge_expired` on a large expired set: time against the floor's batched
/// delete, the worst wait of a concurrent reader, and the process's memory.
async fn purge(store: &AuthStore, floor: &PgPool, args: &Args) {
    let expired_rows = if args.smoke { 5_000 } else { 1_000_000 };
    let add_expired = |from: u64| {
        let floor = floor.clone();
        async move {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO sessions (user_id, expires, session_token, access_token) SELECT 1, now() - interval '1 day', 'purge' || g, 'purge-a' || g FROM generate_series({from}, {}) g",
                from + expired_rows - 1
            )))
            .execute(&floor)
            .await
            .unwrap();
        }
    };
    println!("\n## purge_expired on {expired_rows} expired sessions (batches of {BATCH})\n");
    let rss_before = rss_kib();

    // Each purge runs beside the same concurrent reader, so both pay for it.
    add_expired(0).await;
    let (deleted, ours, worst_read) =
        beside_a_reader(store, store.sessions().purge_expired()).await;
    let deleted = deleted.unwrap();

    add_expired(expired_rows).await;
    let floor_purge = async {
        let mut total = 0u64;
        loop {
            let n = sqlx::query::<Postgres>("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires <= $1 LIMIT $2)")
                .bind(Utc::now())
                .bind(BATCH)
                .execute(floor)
                .await
                .unwrap()
                .rows_affected();
            total += n;
            if n < BATCH as u64 {
                return total;
            }
        }
    };
    let (floor_deleted, theirs, floor_worst_read) = beside_a_reader(store, floor_purge).await;
    let batches = deleted.div_ceil(BATCH as u64).max(1);
    println!("| | deleted | total s | per batch ms |\n|---|---:|---:|---:|");
    println!(
        "| authstore | {deleted} | {:.2} | {:.2} |",
        ours.as_secs_f64(),
        ours.as_secs_f64() * 1000.0 / batches as f64
    );
    println!(
        "| sqlx floor | {floor_deleted} | {:.2} | {:.2} |",
        theirs.as_secs_f64(),
        theirs.as_secs_f64() * 1000.0 / batches as f64
    );
    println!(
        "\nratio (floor time / authstore time): {:.2}",
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
    println!(
        "worst concurrent session read during the purge: authstore {:.2} ms, floor {:.2} ms",
        worst_read.as_secs_f64() * 1000.0,
        floor_worst_read.as_secs_f64() * 1000.0
    );
    println!(
        "process RSS before / after: {rss_before} KiB / {} KiB (no rows are loaded into the app)",
        rss_kib()
    );
}

/// Awaits `work` while another task keeps reading a live session; returns
/// the work's result, how long it took, and the reader's worst wait.
async fn beside_a_reader<T>(
    store: &AuthStore,
    work: impl Future<Output = T>,
) -> (T, Duration, Duration) {
    let reader_store = store.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader_stop = stop.clone();
    let live = session_token(1);
    let reader = tokio::spawn(async move {
        let mut worst = Duration::ZERO;
        while !reader_stop.load(Ordering::Relaxed) {
            let t0 = Instant::now();
            let found = reader_store
                .sessions()
                .get_session_and_user(&live)
                .await
                .unwrap();
            assert!(found.is_some(), "the live session stays");
            worst = worst.max(t0.elapsed());
        }
        worst
    });
    let t0 = Instant::now();
    let result = work.await;
    let took = t0.elapsed();
    stop.store(true, Ordering::Relaxed);
    (result, took, reader.await.unwrap())
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// EXPLAIN ANALYZE of the exact statements authstore sends (captured from
/// MockDatabase) with a real token.
async fn explain(floor: &PgPool) {
    let store = AuthStore::new(
        MockDatabase::new(DatabaseBackend::Postgres)
            .append_query_results([Vec::<(sessions::Model, users::Model)>::new()])
            .append_query_results([Vec::<users::Model>::new()])
            .into_connection(),
        Config::new(SECRET).unwrap(),
    );
    let token = session_token(1);
    store.sessions().get_session_and_user(&token).await.unwrap();
    store.users().get_by_account("github", "gh1").await.unwrap();
    let log = store.connection().clone().into_transaction_log();
    for statement in log.iter().flat_map(|t| t.statements().to_vec()) {
        println!("\n```\n{}\n", statement.sql);
        let explain = format!(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {}",
            statement.sql
        );
        // The statement's own values, bound as authstore bound them.
        let mut query = sqlx::query(AssertSqlSafe(explain));
        for value in statement.values.map(|v| v.0).unwrap_or_default() {
            query = match value {
                sea_orm::Value::String(Some(text)) => query.bind(text),
                sea_orm::Value::BigInt(Some(n)) => query.bind(n),
                sea_orm::Value::BigUnsigned(Some(n)) => query.bind(n as i64),
                other => panic!("no bind for {other:?}"),
            };
        }
        for row in query.fetch_all(floor).await.unwrap() {
            println!("{}", row.get::<String, _>(0));
        }
        println!("```");
    }
}

// ---------------------------------------------------------------- scale-out

impl ReplicaSide {
    /// The bench database on the replica (once it has replayed its
    /// creation), a store of its own (replicas are shared by a store's
    /// clones) on the primary `db` reading it, and the floor's pool there.
    async fn connect(db: &sea_orm::DatabaseConnection, name: &str, pool_size: u32) -> ReplicaSide {
        let server = authstore_tests::scale_out::replica_server();
        let url = format!("{server}/{name}");
        let started = Instant::now();
        let floor = loop {
            match PgPoolOptions::new()
                .max_connections(pool_size)
                .min_connections(pool_size)
                .connect(&url)
                .await
            {
                Ok(pool) => break pool,
                Err(err) if started.elapsed() > Duration::from_secs(30) => {
                    panic!(
                        "the replica ({server}) is unreachable: {err}; run scripts/scale-out.sh replica, or pass --no-replica"
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        let mut options = ConnectOptions::new(&url);
        options
            .max_connections(pool_size)
            .min_connections(pool_size)
            .sqlx_logging(false);
        let replica = Database::connect(options).await.unwrap();
        let store = AuthStore::new(db.clone(), Config::new(SECRET).unwrap())
            .with_replicas(vec![replica], ReplicaConfig::default())
            .unwrap();
        ReplicaSide { store, floor }
    }
}

/// Waits until the replica has replayed everything written so far (the
/// seeding), then a little more for the store's poller to see it.
async fn caught_up(primary: &PgPool, replica: &PgPool) {
    let target: i64 =
        sqlx::query_scalar("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")
            .fetch_one(primary)
            .await
            .unwrap();
    loop {
        let replayed: i64 =
            sqlx::query_scalar("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint")
                .fetch_one(replica)
                .await
                .unwrap();
        if replayed >= target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(ReplicaConfig::default().poll_every * 5).await;
}

/// Uncached lookups from the replica: against the floor on the replica
/// (the same query there), and against authstore on the primary.
async fn replica_rows(table: &mut Table<'_>, c: usize, bench: &Bench, work: &Arc<Workload>) {
    let Some(replica) = &bench.replica else {
        return;
    };
    let looks_up = |store: &AuthStore| {
        let (store, work) = (store.clone(), work.clone());
        move |r: u64| {
            let store = store.clone();
            let t = work.hit(r);
            async move {
                assert!(
                    store
                        .sessions()
                        .get_session_and_user(&t)
                        .await
                        .unwrap()
                        .is_some()
                );
                true
            }
        }
    };
    let floor = {
        let (f, work) = (replica.floor.clone(), work.clone());
        move |r: u64| {
            let f = f.clone();
            let t = work.hit(r);
            async move {
                assert!(floor_lookup(&f, &t, Utc::now()).await.is_some());
                true
            }
        }
    };
    table
        .compare(REPLICA_LABEL, c, looks_up(&replica.store), floor)
        .await;
    table
        .compare(
            REPLICA_VS_PRIMARY_LABEL,
            c,
            looks_up(&replica.store),
            looks_up(&bench.store),
        )
        .await;
}

/// The revocation rows' labels begin with this (`--only` matches on it).
const REVOCATION_LABEL: &str = "revocation (sign-out) with remote_apply; \"floor\" = the DELETE with the server's synchronous_commit = on";

const REPLICA_LABEL: &str = "get_session_and_user (hit) from a replica, floor on the replica";
const REPLICA_VS_PRIMARY_LABEL: &str =
    "get_session_and_user (hit) from a replica, \"floor\" = authstore on the primary";

/// Where the replica store's lookups were answered over the whole run.
fn print_replica_share(replica: &ReplicaSide) {
    let stats = replica.store.replica_stats().unwrap();
    let on_primary =
        stats.primary_no_replica + stats.primary_rechecked + stats.primary_replica_failed;
    let total = stats.replica + on_primary;
    println!(
        "\nlookups through the replica store: {} answered by the replica, {} on the primary ({:.4} primary queries per lookup; {:?}); \
         the poller adds {} queries/s to the primary whatever the load\n",
        stats.replica,
        on_primary,
        on_primary as f64 / total.max(1) as f64,
        stats,
        (1.0 / ReplicaConfig::default().poll_every.as_secs_f64()).round()
    );
}

/// Sign-out latency on a primary with a synchronous standby: authstore's
/// revocation (`remote_apply`, waits for the standby to apply it) against
/// the same `DELETE` by hand with the server's setting (`on`: the standby's
/// disk) and with `synchronous_commit = local` (the standby not waited for).
async fn revocation_rows(table: &mut Table<'_>, args: &Args) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/scale-out.sh");
    let status = std::process::Command::new("bash")
        .args([script, "pair", "authstore_bench", "5450", "sync"])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "scripts/scale-out.sh pair failed (root is needed), or pass --no-replica"
    );
    let url = "postgres://postgres@127.0.0.1:5450/postgres";
    let db = Database::connect(url).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let store = AuthStore::new(db.clone(), Config::new(SECRET).unwrap());
    let user = store.users().create(Default::default()).await.unwrap();
    let floor = PgPoolOptions::new()
        .max_connections(8)
        .connect(url)
        .await
        .unwrap();
    let local = PgPoolOptions::new()
        .max_connections(8)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::Executor::execute(&mut *conn, "SET synchronous_commit = local").await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .unwrap();
    // Each side signs out sessions made for it beforehand, one per op.
    let per_side = if args.smoke { 200 } else { 4_000 };
    let sessions = |n: usize| {
        let store = store.clone();
        async move {
            let mut tokens = Vec::with_capacity(n);
            for _ in 0..n {
                let session = store.sessions().create(user.id).await.unwrap();
                tokens.push(session.session_token.expose().to_owned());
            }
            Arc::new(std::sync::Mutex::new(tokens))
        }
    };
    let signs_out = |tokens: Arc<std::sync::Mutex<Vec<String>>>| {
        let store = store.clone();
        move |_: u64| {
            let (store, token) = (store.clone(), tokens.lock().unwrap().pop());
            async move {
                let Some(token) = token else { return false };
                assert!(store.sessions().delete(&token).await.unwrap());
                true
            }
        }
    };
    let deletes = |pool: &PgPool, tokens: Arc<std::sync::Mutex<Vec<String>>>| {
        let pool = pool.clone();
        move |_: u64| {
            let (pool, token) = (pool.clone(), tokens.lock().unwrap().pop());
            async move {
                let Some(token) = token else { return false };
                let deleted = sqlx::query("DELETE FROM sessions WHERE session_token = $1")
                    .bind(token)
                    .execute(&pool)
                    .await
                    .unwrap();
                assert_eq!(deleted.rows_affected(), 1);
                true
            }
        }
    };
    for (label, pool) in [
        (REVOCATION_LABEL, &floor),
        (
            "revocation (sign-out) with remote_apply; \"floor\" = the DELETE with synchronous_commit = local",
            &local,
        ),
    ] {
        // Enough sessions for every round of both sides.
        let rounds = table.args.rounds;
        let ours = sessions(per_side * rounds).await;
        let theirs = sessions(per_side * rounds).await;
        table
            .compare(label, 1, signs_out(ours), deletes(pool, theirs))
            .await;
    }
    drop(store);
    db.close().await.ok();
    floor.close().await;
    local.close().await;
    std::process::Command::new("bash")
        .args([script, "drop-pair", "authstore_bench"])
        .status()
        .unwrap();
}
