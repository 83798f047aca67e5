//! What checking a lucia-auth v1 password costs (scrypt, N = 16384, r = 16,
//! p = 1: 16 MiB of memory per call by design), next to lucia-auth 0.x's
//! r = 8 format; and what sign-ins do to other requests: the latency of
//! session validations (4 clients in a loop, on PostgreSQL) alone, while 8
//! sign-ins run through `LuciaV1Store::use_key` (scrypt on tokio's blocking
//! pool), and while 8 run scrypt on the async executor itself, which is what
//! the blocking pool avoids. The three run side by side in one process, in
//! alternating rounds. Then password guessing against one account by 8
//! concurrent guessers, without the sign-in attempt limit and with the
//! default one (`AttemptLimit`), also in alternating rounds.
//!
//!     cargo bench -p authstore-tests --bench passwords            # 20 calls each; 3 rounds of 3 s
//!     cargo bench -p authstore-tests --bench passwords -- --smoke # 1 call each; 1 round of 0.3 s (CI)
//!
//! The server is `AUTHSTORE_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432); the
//! run makes its own database and drops it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use authstore::AttemptLimit;
use authstore::lucia_v1::{
    LuciaV1Config, LuciaV1Store, NewKey, NewUser, PASSWORD_MAX_BYTES, PasswordCheck, hash_password,
    verify_password,
};
use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::{Backend, TestDb};
use hdrhistogram::Histogram;

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let calls = if smoke { 1 } else { 20 };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!("# lucia-auth v1 passwords: {calls} calls each, one thread, {cores} CPUs\n");
    println!("| call | mean ms | min ms | max ms |\n|---|---:|---:|---:|");

    let stored = hash_password("correct horse battery staple");
    // lucia-auth 0.x's format, from the vectors lucia-auth 1.8.0's scrypt made.
    let (legacy_password, legacy_hash) = authstore_tests::lucia_legacy_password();

    measure("hash_password (s2, r = 16)", calls, || {
        hash_password("correct horse battery staple");
    });
    measure("verify_password, right (s2, r = 16)", calls, || {
        assert_eq!(
            verify_password("correct horse battery staple", &stored),
            PasswordCheck::Valid
        );
    });
    measure("verify_password, wrong (s2, r = 16)", calls, || {
        assert_eq!(verify_password("wrong", &stored), PasswordCheck::Invalid);
    });
    measure("verify_password (legacy salt:key, r = 8)", calls, || {
        assert_eq!(
            verify_password(&legacy_password, &legacy_hash),
            PasswordCheck::NeedsRehash
        );
    });

    let (rounds, seconds) = if smoke { (1, 0.3) } else { (3, 3.0) };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.max(2))
        .enable_all()
        .build()
        .unwrap()
        .block_on(validations_under_sign_ins(
            rounds,
            Duration::from_secs_f64(seconds),
        ));
}

/// What runs beside the validating clients.
#[derive(Clone, Copy, PartialEq)]
enum Load {
    Nothing,
    /// 8 clients signing in through the store: scrypt on the blocking pool.
    SignInsOffExecutor,
    /// 8 tasks running scrypt on the executor's own threads.
    ScryptOnExecutor,
}

impl Load {
    fn label(self) -> &'static str {
        match self {
            Load::Nothing => "validations alone",
            Load::SignInsOffExecutor => "+ 8 sign-ins (use_key: scrypt on the blocking pool)",
            Load::ScryptOnExecutor => "+ 8 scrypt checks on the executor (what use_key avoids)",
        }
    }
}

const CLIENTS: usize = 4;
const SIGN_INS: usize = 8;

async fn validations_under_sign_ins(rounds: usize, seconds: Duration) {
    let db = TestDb::create(Backend::Postgres, "bench_passwords")
        .await
        .expect("the benchmark needs PostgreSQL (AUTHSTORE_TEST_POSTGRES_URL)");
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    // These measure what a password check costs: no attempt limit, which
    // would refuse the repeated sign-ins (guessing is measured below).
    let unlimited = LuciaV1Config::default().sign_in_attempt_limit(None);
    let lucia = LuciaV1Store::new(db.conn.clone(), unlimited);
    let email = NewKey {
        provider_id: "email",
        provider_user_id: "ada@example.com",
        password: Some("correct horse"),
    };
    let new = NewUser {
        primary_key: Some(email),
        ..Default::default()
    };
    let user = lucia.create_user(new).await.unwrap();
    let stored = hash_password("correct horse");
    let mut sessions = Vec::new();
    for _ in 0..CLIENTS {
        sessions.push(lucia.create_session(&user.id).await.unwrap().id);
    }

    refusal_timing(&lucia, if rounds == 1 { 1 } else { 20 }).await;

    let loads = [
        Load::Nothing,
        Load::SignInsOffExecutor,
        Load::ScryptOnExecutor,
    ];
    let mut latencies: Vec<Vec<f64>> = vec![Vec::new(); loads.len()];
    let mut elapsed = vec![0f64; loads.len()];
    for round in 0..rounds {
        // Alternate the order (A B C, C B A, …) so drift hits every load alike.
        let mut order: Vec<usize> = (0..loads.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let started = Instant::now();
            let measured = run_load(&lucia, &sessions, &stored, loads[i], seconds).await;
            // Not `seconds`: with scrypt on the executor the run overruns.
            elapsed[i] += started.elapsed().as_secs_f64();
            latencies[i].extend(measured);
        }
    }
    println!(
        "\n# session validations by {CLIENTS} clients while sign-ins run: {rounds} rounds of {:.1} s per load\n",
        seconds.as_secs_f64()
    );
    println!("| load | validations/s | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|");
    for (i, load) in loads.iter().enumerate() {
        // Microseconds, to 3 significant figures.
        let mut histogram = Histogram::<u64>::new(3).expect("a valid precision");
        for ms in &latencies[i] {
            // `record` grows the histogram; `saturating_record` would clamp.
            histogram
                .record((ms * 1000.0) as u64)
                .expect("a growing histogram records any value");
        }
        let at = |p: f64| histogram.value_at_quantile(p) as f64 / 1000.0;
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.1} |",
            load.label(),
            latencies[i].len() as f64 / elapsed[i],
            at(0.5),
            at(0.99),
            histogram.max() as f64 / 1000.0,
        );
    }
    guessing(&db.conn, rounds, seconds).await;
    db.destroy().await;
}

/// Concurrent guessers in the guessing runs.
const GUESSERS: usize = 8;

/// Password guessing against one account: `GUESSERS` clients send wrong
/// passwords as fast as they are answered, without the attempt limit and
/// with the default one, in alternating rounds, each round on an account of
/// its own (so every limited round starts from a clean count). Reports the
/// passwords actually checked per second (a guess the attacker learns
/// something from) and the refusals per second, with their mean latency.
async fn guessing(conn: &sea_orm::DatabaseConnection, rounds: usize, seconds: Duration) {
    let settings = [
        ("no limit", None),
        (
            "default AttemptLimit (10 per key per 15 min)",
            Some(AttemptLimit::default()),
        ),
    ];
    let mut totals = [(0usize, 0usize, 0f64, 0f64); 2];
    for round in 0..rounds {
        let mut order = [0, 1];
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let config = LuciaV1Config::default().sign_in_attempt_limit(settings[i].1);
            let lucia = LuciaV1Store::new(conn.clone(), config);
            let address = format!("guessed-{round}-{i}@example.com");
            let key = NewKey {
                provider_id: "email",
                provider_user_id: &address,
                password: Some("the real password"),
            };
            let user = NewUser {
                primary_key: Some(key),
                ..Default::default()
            };
            lucia.create_user(user).await.unwrap();
            let started = Instant::now();
            let (checked, refused, refusal_ms) = guess(&lucia, &address, seconds).await;
            let total = &mut totals[i];
            total.0 += checked;
            total.1 += refused;
            total.2 += refusal_ms;
            total.3 += started.elapsed().as_secs_f64();
        }
    }
    println!(
        "\n# password guessing against one account: {GUESSERS} guessers, {rounds} rounds of {:.1} s per setting\n",
        seconds.as_secs_f64()
    );
    println!(
        "| attempt limit | passwords checked | checked/s | refused/s | mean ms per refusal |\n|---|---:|---:|---:|---:|"
    );
    for (i, (label, _)) in settings.iter().enumerate() {
        let (checked, refused, refusal_ms, elapsed) = totals[i];
        let per_refusal = match refused {
            0 => "-".to_owned(),
            n => format!("{:.2}", refusal_ms / n as f64),
        };
        println!(
            "| {label} | {checked} | {:.1} | {:.0} | {per_refusal} |",
            checked as f64 / elapsed,
            refused as f64 / elapsed,
        );
    }
}

/// `GUESSERS` clients guessing `address`'s password for `seconds`: how many
/// guesses were checked, how many refused unchecked, and the refusals'
/// total latency in ms.
async fn guess(lucia: &LuciaV1Store, address: &str, seconds: Duration) -> (usize, usize, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let guessers: Vec<_> = (0..GUESSERS)
        .map(|guesser| {
            let (lucia, stop, address) = (lucia.clone(), stop.clone(), address.to_owned());
            tokio::spawn(async move {
                let (mut checked, mut refused, mut refusal_ms) = (0, 0, 0f64);
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let guess = format!("guess {guesser} {n}");
                    let started = Instant::now();
                    match lucia.use_key("email", &address, Some(&guess)).await {
                        Err(authstore::Error::SignInRefused(_)) => checked += 1,
                        Err(authstore::Error::SignInThrottled { .. }) => {
                            refused += 1;
                            refusal_ms += started.elapsed().as_secs_f64() * 1000.0;
                        }
                        other => panic!("a guess was answered {other:?}"),
                    }
                }
                (checked, refused, refusal_ms)
            })
        })
        .collect();
    tokio::time::sleep(seconds).await;
    stop.store(true, Ordering::Relaxed);
    let mut sums = (0, 0, 0f64);
    for guesser in guessers {
        let (checked, refused, ms) = guesser.await.unwrap();
        sums = (sums.0 + checked, sums.1 + refused, sums.2 + ms);
    }
    sums
}

/// Refused sign-ins, alternating: a wrong password, an unknown address
/// (checked against a decoy hash), an empty password and one over the
/// length limit (each checked as a short decoy). All cost one scrypt, so
/// timing does not tell which addresses have accounts, and a megabyte of
/// password costs what a short one does.
async fn refusal_timing(lucia: &LuciaV1Store, calls: usize) {
    let huge = "x".repeat(PASSWORD_MAX_BYTES * 256);
    let cases = [
        ("wrong password", "ada@example.com", "wrong"),
        ("unknown address", "nobody@example.com", "wrong"),
        ("empty password", "ada@example.com", ""),
        ("1 MiB password", "ada@example.com", huge.as_str()),
    ];
    let mut ms = [0f64; 4];
    for _ in 0..calls {
        for (i, (_, address, password)) in cases.iter().enumerate() {
            let started = Instant::now();
            let refused = lucia.use_key("email", address, Some(password)).await;
            ms[i] += started.elapsed().as_secs_f64() * 1000.0;
            assert!(matches!(refused, Err(authstore::Error::SignInRefused(_))));
        }
    }
    println!(
        "\n# refused sign-ins (use_key), {calls} of each, alternating\n\n\
         | refusal | mean ms | / wrong password |\n|---|---:|---:|"
    );
    let wrong = ms[0] / calls as f64;
    for (i, (label, _, _)) in cases.iter().enumerate() {
        let mean = ms[i] / calls as f64;
        println!("| {label} | {mean:.1} | {:.2} |", mean / wrong);
    }
}

/// Runs the validating clients for `seconds` beside `load`; each
/// validation's latency in ms.
async fn run_load(
    lucia: &LuciaV1Store,
    sessions: &[authstore::Secret],
    stored: &str,
    load: Load,
    seconds: Duration,
) -> Vec<f64> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut background = Vec::new();
    for _ in 0..SIGN_INS {
        let (lucia, stop, stored) = (lucia.clone(), stop.clone(), stored.to_owned());
        background.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match load {
                    Load::Nothing => return,
                    Load::SignInsOffExecutor => {
                        lucia
                            .use_key("email", "ada@example.com", Some("correct horse"))
                            .await
                            .unwrap();
                    }
                    Load::ScryptOnExecutor => {
                        assert_eq!(
                            verify_password("correct horse", &stored),
                            PasswordCheck::Valid
                        );
                        tokio::task::yield_now().await;
                    }
                }
            }
        }));
    }
    let clients: Vec<_> = sessions
        .iter()
        .map(|id| {
            let (lucia, stop, id) = (lucia.clone(), stop.clone(), id.clone());
            tokio::spawn(async move {
                let mut times = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let valid = lucia.validate_session(id.expose()).await.unwrap();
                    times.push(started.elapsed().as_secs_f64() * 1000.0);
                    assert!(valid.is_some());
                }
                times
            })
        })
        .collect();
    tokio::time::sleep(seconds).await;
    stop.store(true, Ordering::Relaxed);
    let mut times = Vec::new();
    for client in clients {
        times.extend(client.await.unwrap());
    }
    for task in background {
        task.await.unwrap();
    }
    times
}

fn measure(label: &str, calls: usize, mut call: impl FnMut()) {
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        call();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let (min, max) = times
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), t| (lo.min(*t), hi.max(*t)));
    println!("| {label} | {mean:.1} | {min:.1} | {max:.1} |");
}
