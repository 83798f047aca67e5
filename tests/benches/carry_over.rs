//! How long a carry-over takes: next-auth v3 users, each with one live
//! session, carried into better-auth's tables in the same PostgreSQL
//! database (`authstore::better_auth::carry_over`), then carried again with
//! nothing changed (what every run before the cutover costs).
//!
//!     cargo bench -p authstore-tests --bench carry_over                         # 1,000,000 users and sessions
//!     cargo bench -p authstore-tests --bench carry_over -- --users 100000 --batch 2000
//!     cargo bench -p authstore-tests --bench carry_over -- --smoke              # 2,000 (CI)
//!     cargo bench -p authstore-tests --bench carry_over -- --users 0 --passwords 2000
//!
//! `--passwords N` (default 200; 20 with `--smoke`) also measures what the
//! check of each lucia-auth v1 hash against the empty password costs: N
//! lucia-auth v1 users with a password carried, first and again, beside the
//! same N users without one (the floor: the same run minus the checks and
//! the credential rows).
//!
//! The source rows are written by SQL (`generate_series`), as a next-auth
//! app would have left them. The server is `AUTHSTORE_TEST_POSTGRES_URL`
//! (default postgres://postgres@127.0.0.1:5432); the run makes its own
//! database and drops it.

use std::time::Instant;

use authstore::better_auth::carry_over::{CarryOver, Source};
use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::{Backend, TestDb};
use sea_orm::ConnectionTrait;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|at| args.get(at + 1))
            .map(|v| {
                v.parse::<u64>()
                    .unwrap_or_else(|_| panic!("{name} takes a number"))
            })
    };
    let smoke = args.iter().any(|a| a == "--smoke");
    let users = value("--users").unwrap_or(if smoke { 2_000 } else { 1_000_000 });
    let batch = value("--batch").unwrap_or(1_000);
    let passwords = value("--passwords").unwrap_or(if smoke { 20 } else { 200 });
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            if users > 0 {
                run(users, batch).await;
            }
            if passwords > 0 {
                password_checks(passwords, batch).await;
            }
        });
}

async fn run(users: u64, batch: u64) {
    let db = TestDb::create(Backend::Postgres, "bench_carry_over")
        .await
        .expect("the benchmark needs PostgreSQL");
    Profile::NextAuthV3.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let filled = Instant::now();
    db.conn
        .execute_unprepared(&format!(
            "INSERT INTO users (id, name, email, created_at, updated_at)
               SELECT g, 'user ' || g, 'user' || g || '@example.com', now(), now()
               FROM generate_series(1, {users}) g;
             INSERT INTO sessions (id, user_id, expires, session_token, access_token, created_at, updated_at)
               SELECT g, g, now() + interval '30 days', md5(g::text) || md5((g + 1)::text), md5(g::text), now(), now()
               FROM generate_series(1, {users}) g;
             ANALYZE users; ANALYZE sessions;"
        ))
        .await
        .unwrap();
    println!(
        "# carry-over: next-auth v3 → better-auth, {users} users with {users} live sessions, batches of {batch} users (PostgreSQL, one database)\n"
    );
    println!(
        "source written by SQL in {:.1} s\n",
        filled.elapsed().as_secs_f64()
    );
    println!("| run | seconds | users/s | rows/s (users + sessions) |\n|---|---:|---:|---:|");
    for run in ["first (everything new)", "again (nothing changed)"] {
        let started = Instant::now();
        let report = CarryOver::new(Source::NextAuth(Profile::NextAuthV3))
            .batch(batch)
            .unwrap()
            .run(&db.conn, &db.conn, |_| {})
            .await
            .unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(
            (report.users, report.sessions),
            (users, users),
            "{report:?}"
        );
        assert!(report.left_behind.is_empty());
        println!(
            "| {run} | {seconds:.1} | {:.0} | {:.0} |",
            users as f64 / seconds,
            (2 * users) as f64 / seconds
        );
    }
    assert_eq!(db.count_rows("session").await as u64, users);
    db.destroy().await;
}

/// The empty-password check's cost: lucia-auth v1 users with and without a
/// password, carried first (every hash checked) and again (none: the
/// target holds them already).
async fn password_checks(users: u64, batch: u64) {
    let stored = authstore::lucia_v1::hash_password("correct horse battery staple");
    println!(
        "\n# lucia-auth v1 → better-auth, {users} users, each hash checked against the empty password on the first run\n"
    );
    println!("| users | run | seconds | users/s |\n|---|---|---:|---:|");
    let mut first = [0.0; 2];
    for (index, with_password) in [false, true].into_iter().enumerate() {
        let db = TestDb::create(Backend::Postgres, "bench_carry_over_passwords")
            .await
            .expect("the benchmark needs PostgreSQL");
        Profile::LuciaV1.up(&db.conn).await.unwrap();
        Profile::BetterAuth.up(&db.conn).await.unwrap();
        let hash = if with_password {
            format!("'{stored}'")
        } else {
            "NULL".into()
        };
        db.conn
            .execute_unprepared(&format!(
                "INSERT INTO auth_user (id) SELECT 'user' || g FROM generate_series(1, {users}) g;
                 INSERT INTO auth_key (id, user_id, primary_key, hashed_password)
                   SELECT 'email:user' || g || '@example.com', 'user' || g, true, {hash}
                   FROM generate_series(1, {users}) g;"
            ))
            .await
            .unwrap();
        let kind = if with_password {
            "with a password"
        } else {
            "without (floor)"
        };
        for run in ["first", "again"] {
            let started = Instant::now();
            let report = CarryOver::new(Source::LuciaV1)
                .batch(batch)
                .unwrap()
                .run(&db.conn, &db.conn, |_| {})
                .await
                .unwrap();
            let seconds = started.elapsed().as_secs_f64();
            assert_eq!(report.users, users, "{report:?}");
            assert_eq!(report.passwords, if with_password { users } else { 0 });
            if run == "first" {
                first[index] = seconds;
            }
            println!(
                "| {kind} | {run} | {seconds:.2} | {:.0} |",
                users as f64 / seconds
            );
        }
        db.destroy().await;
    }
    println!(
        "\nper checked hash: {:.1} ms of wall time on this machine ({} cores), the floor subtracted",
        (first[1] - first[0]) * 1000.0 / users as f64,
        std::thread::available_parallelism().map_or(1, usize::from)
    );
}
