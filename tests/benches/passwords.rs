//! What checking a lucia-auth v1 password costs (scrypt, N = 16384, r = 16,
//! p = 1: 16 MiB of memory per call by design), next to lucia-auth 0.x's
//! r = 8 format.
//!
//!     cargo bench -p authstore-tests --bench passwords            # 20 calls each
//!     cargo bench -p authstore-tests --bench passwords -- --smoke # 1 call each (CI)

use std::time::Instant;

use authstore::lucia_v1::{PasswordCheck, hash_password, verify_password};

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
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/lucia-v1-passwords.json")).unwrap();
    let legacy = fixture["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| !v["hash"].as_str().unwrap().starts_with("s2:"))
        .unwrap();
    let (legacy_password, legacy_hash) = (
        legacy["password"].as_str().unwrap(),
        legacy["hash"].as_str().unwrap(),
    );

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
            verify_password(legacy_password, legacy_hash),
            PasswordCheck::Valid
        );
    });
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
