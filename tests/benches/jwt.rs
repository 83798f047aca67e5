//! What reading an Auth.js JWT session cookie costs on one core, beside the
//! database session the same app would otherwise look up: per read, for
//! each major, `AuthJsJwt::decode` (header, key choice, decryption, claims
//! checks) next to the floor of the same work, josekit's bare decryption
//! with the key already derived; and `AuthJsStore::get_session_and_user` on
//! PostgreSQL (one connection, one client, the session not due for
//! renewal). The rows run side by side in alternating rounds in one
//! process, on one thread.
//!
//!     cargo bench -p authstore-tests --bench jwt            # 5 rounds of 1 s per row
//!     cargo bench -p authstore-tests --bench jwt -- --smoke # 1 round of 0.05 s (CI)
//!
//! The server is `AUTHSTORE_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432); the
//! run makes its own database and drops it.

use std::time::{Duration, Instant};

use authstore::NewUser;
use authstore::authjs::{AuthJsConfig, AuthJsStore, NextAuthMajor};
use authstore::web::authjs_jwt::{AuthJsJwt, JwtClaims};
use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::{Backend, TestDb};
use chrono::Utc;
use hkdf::Hkdf;
use josekit::jwe::{self, Dir};
use serde_json::json;
use sha2::Sha256;

const SECRET: &str = "a benchmark's AUTH_SECRET";

/// The floor: the major's key derived once as the app derives it, then
/// only the decryption of the compact JWE.
fn floor(major: NextAuthMajor) -> impl Fn(&str) -> bool {
    let (salt, info, length) = match major {
        NextAuthMajor::V4 => ("", "NextAuth.js Generated Encryption Key".to_owned(), 32),
        NextAuthMajor::V5 => (
            "authjs.session-token",
            "Auth.js Generated Encryption Key (authjs.session-token)".to_owned(),
            64,
        ),
    };
    let mut key = vec![0u8; length];
    Hkdf::<Sha256>::new(Some(salt.as_bytes()), SECRET.as_bytes())
        .expand(info.as_bytes(), &mut key)
        .unwrap();
    let decrypter = Dir.decrypter_from_bytes(&key).unwrap();
    move |token| jwe::deserialize_compact(token, &decrypter).is_ok()
}

/// Reads per second of `read` over `window`, on this thread.
fn rate(window: Duration, mut read: impl FnMut() -> bool) -> f64 {
    let started = Instant::now();
    let mut reads = 0u64;
    while started.elapsed() < window {
        assert!(read(), "every read finds the session");
        reads += 1;
    }
    reads as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let (rounds, window) = if smoke {
        (1, Duration::from_millis(50))
    } else {
        (5, Duration::from_secs(1))
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = runtime
        .block_on(TestDb::create(Backend::Postgres, "bench_jwt"))
        .expect("PostgreSQL for the database row");
    runtime.block_on(Profile::AuthJsPg.up(&db.conn)).unwrap();
    let store = AuthJsStore::new(db.conn.clone(), AuthJsConfig::default());
    let token = runtime.block_on(async {
        let ada = NewUser {
            email: Some("ada@example.com".into()),
            ..Default::default()
        };
        let user = store.create_user(ada).await.unwrap();
        store.create_session(user.id).await.unwrap().session_token
    });

    let claims = JwtClaims::new(json!({
        "sub": "1", "name": "Ada", "email": "ada@example.com", "picture": null
    }))
    .unwrap();
    let majors = [NextAuthMajor::V5, NextAuthMajor::V4];
    let codecs: Vec<(AuthJsJwt, String)> = majors
        .iter()
        .map(|&major| {
            let jwt = AuthJsJwt::new(major, [SECRET]).unwrap();
            let token = jwt.encode(&claims, Utc::now()).expose().to_owned();
            (jwt, token)
        })
        .collect();
    let floors: Vec<_> = majors.iter().map(|&major| floor(major)).collect();

    let names = [
        "v5 `AuthJsJwt::decode` (A256CBC-HS512)",
        "v5 floor: decryption only",
        "v4 `AuthJsJwt::decode` (A256GCM)",
        "v4 floor: decryption only",
        "database session: `get_session_and_user` (PostgreSQL)",
    ];
    let mut rates = vec![Vec::new(); names.len()];
    for _ in 0..rounds {
        for (at, ((jwt, jwt_token), floor)) in codecs.iter().zip(&floors).enumerate() {
            rates[2 * at].push(rate(window, || jwt.decode(jwt_token, Utc::now()).is_ok()));
            rates[2 * at + 1].push(rate(window, || floor(jwt_token)));
        }
        rates[4].push(rate(window, || {
            let found = runtime.block_on(store.get_session_and_user(token.expose()));
            found.unwrap().is_some()
        }));
    }
    let median = |values: &[f64]| {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    };
    let database = median(&rates[4]);
    println!("# Reading a session on one core: {rounds} rounds of {window:?} per row, median\n");
    println!("| read | per second | × the database session |\n|---|---:|---:|");
    for (name, values) in names.iter().zip(&rates) {
        let per_second = median(values);
        println!(
            "| {name} | {per_second:.0} | {:.1} |",
            per_second / database
        );
    }
    runtime.block_on(db.destroy());
}
