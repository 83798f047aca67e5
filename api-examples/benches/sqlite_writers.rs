//! The example's SQLite settings under write contention: 16 tasks signing
//! in by email at once (each sign-in writes a link, then uses it, finds or
//! creates the user and starts a session in one transaction), with SQLite's
//! default rollback journal against the example's WAL mode, side by side.
//!
//!     cargo bench -p authstore-examples --bench sqlite_writers
//!     cargo bench -p authstore-examples --bench sqlite_writers -- --smoke   # CI: seconds
//!
//! Both runs use a fresh file, the same pool and the same 5 s busy timeout;
//! only the journal mode differs. Printed per mode: sign-ins per second,
//! p50/p99 latency of one sign-in, and failed sign-ins.

use std::time::{Duration, Instant};

use authstore::{AuthStore, Config};
use authstore_examples::connect_options;
use authstore_migration::{Migrator, MigratorTrait};
use sea_orm::Database;
use sea_orm::sqlx::sqlite::SqliteJournalMode;

const WRITERS: usize = 16;

#[tokio::main]
async fn main() {
    let smoke = std::env::args().any(|arg| arg == "--smoke");
    let per_writer = if smoke { 5 } else { 60 };
    let rounds = if smoke { 1 } else { 3 };
    println!("{WRITERS} concurrent writers, {per_writer} sign-ins each, {rounds} rounds per mode");
    println!("| journal | round | sign-ins/s | p50 ms | p99 ms | failed |");
    println!("|---|---|---|---|---|---|");
    let mut totals = [0.0f64; 2];
    for round in 1..=rounds {
        // Alternating order, so drift on the machine hits both modes.
        let modes = if round % 2 == 1 {
            [SqliteJournalMode::Delete, SqliteJournalMode::Wal]
        } else {
            [SqliteJournalMode::Wal, SqliteJournalMode::Delete]
        };
        for mode in modes {
            let (rate, p50, p99, failed) = run(mode, per_writer).await;
            totals[usize::from(mode == SqliteJournalMode::Wal)] += rate;
            println!("| {mode:?} | {round} | {rate:.0} | {p50:.1} | {p99:.1} | {failed} |");
        }
    }
    println!(
        "WAL / rollback journal throughput, mean over rounds: {:.2}x",
        totals[1] / totals[0]
    );
}

async fn run(mode: SqliteJournalMode, per_writer: usize) -> (f64, f64, f64, usize) {
    let path = std::env::temp_dir().join(format!(
        "authstore-bench-{mode:?}-{}.sqlite",
        std::process::id()
    ));
    remove(&path);
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut options = connect_options(&url);
    options.map_sqlx_sqlite_opts(move |sqlite| {
        sqlite
            .journal_mode(mode)
            .busy_timeout(Duration::from_secs(5))
    });
    let db = Database::connect(options).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let store = AuthStore::new(db, Config::new("bench").unwrap());

    let started = Instant::now();
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let store = store.clone();
        writers.spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0;
            for n in 0..per_writer {
                let email = format!("w{writer}n{n}@example.com");
                let one = Instant::now();
                let signed_in = async {
                    let (_, token) = store.verification().create(&email).await?;
                    store.sign_in_with_link(&email, token.expose()).await
                };
                match signed_in.await {
                    Ok(Some(_)) => latencies.push(one.elapsed()),
                    _ => failed += 1,
                }
            }
            (latencies, failed)
        });
    }
    let mut latencies = Vec::new();
    let mut failed = 0;
    for (mine, my_failed) in writers.join_all().await {
        latencies.extend(mine);
        failed += my_failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    store.connection().clone().close().await.ok();
    remove(&path);
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    (latencies.len() as f64 / elapsed, at(0.5), at(0.99), failed)
}

fn remove(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        std::fs::remove_file(file).ok();
    }
}
