//! The sign-in attempt limit (`LuciaV1Config::sign_in_attempt_limit`), on
//! every backend: failures counted per key across stores (as across
//! processes), the same for a key that does not exist, refused without
//! writing once they run out, even with the right password; forgiven by a
//! success for the key but not for the client; never passed by concurrent
//! guessers; empty and oversized passwords refused like wrong ones.

use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store, NewKey, NewUser, PASSWORD_MAX_BYTES};
use authstore::{ATTEMPTS_TABLE, AttemptLimit, Error, Profile, Refusal};
use authstore_migration::ProfileMigrations;
use authstore_tests::{Backend, TestClock, TestDb, backend_tests};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use sea_orm::ConnectionTrait;

backend_tests!(
    failures_are_counted_per_key_across_stores,
    a_success_forgives_the_key_but_not_the_client,
    concurrent_guesses_never_pass_the_limit,
    concurrent_successes_and_failures_never_fail,
    passwords_that_cannot_be_right_are_refused_like_wrong_ones,
);

const WINDOW: TimeDelta = TimeDelta::minutes(15);

async fn store(db: &TestDb, clock: &TestClock, per_key: u32, per_client: u32) -> LuciaV1Store {
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    let limit = AttemptLimit::new(per_key, per_client, WINDOW).unwrap();
    let config = LuciaV1Config::default().sign_in_attempt_limit(Some(limit));
    let clock = clock.clone();
    LuciaV1Store::new(db.conn.clone(), config).with_clock(move || clock.now())
}

async fn sign_up(lucia: &LuciaV1Store, address: &str, password: &str) {
    let key = NewKey {
        provider_id: "email",
        provider_user_id: address,
        password: Some(password),
    };
    let user = NewUser {
        primary_key: Some(key),
        ..Default::default()
    };
    lucia.create_user(user).await.unwrap();
}

fn throttled(result: Result<impl std::fmt::Debug, Error>) -> DateTime<Utc> {
    match result {
        Err(Error::SignInThrottled { retry_at }) => retry_at,
        other => panic!("not throttled: {other:?}"),
    }
}

fn refused(result: Result<impl std::fmt::Debug, Error>) -> Refusal {
    match result {
        Err(Error::SignInRefused(why)) => why,
        other => panic!("not refused: {other:?}"),
    }
}

async fn failures_are_counted_per_key_across_stores(db: &TestDb) {
    let clock = TestClock::new();
    let one = store(db, &clock, 3, 100).await;
    let other = store(db, &clock, 3, 100).await;
    sign_up(&one, "ada@example.com", "correct horse").await;
    let first_failure = clock.now();
    for (n, lucia) in [&one, &other, &one].into_iter().enumerate() {
        let guess = format!("guess {n}");
        let result = lucia
            .use_key("email", "ada@example.com", Some(&guess))
            .await;
        assert_eq!(refused(result), Refusal::WrongPassword);
        clock.advance(TimeDelta::milliseconds(1_234));
    }
    // The fourth is refused before any password work, even the right one,
    // by either store, and nothing is written.
    let rows = db.count_rows(ATTEMPTS_TABLE).await;
    let right = other.use_key("email", "ada@example.com", Some("correct horse"));
    let retry_at = throttled(right.await);
    assert_eq!(db.count_rows(ATTEMPTS_TABLE).await, rows);
    assert_eq!(retry_at, retry_at.trunc_subsecs(0), "whole seconds");
    assert!(
        retry_at >= first_failure + WINDOW
            && retry_at < first_failure + WINDOW + TimeDelta::seconds(1)
    );

    // A key nobody has is counted the same way: the answers do not tell.
    for _ in 0..3 {
        let result = one
            .use_key("email", "nobody@example.com", Some("guess"))
            .await;
        assert_eq!(refused(result), Refusal::UnknownKey);
    }
    throttled(
        one.use_key("email", "nobody@example.com", Some("guess"))
            .await,
    );

    // Once the first failure leaves the window, one more try is allowed.
    clock.advance(retry_at - clock.now());
    one.use_key("email", "ada@example.com", Some("correct horse"))
        .await
        .expect("the right password, once the window moved on");
}

async fn a_success_forgives_the_key_but_not_the_client(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock, 3, 4).await;
    sign_up(&lucia, "ada@example.com", "ada's password").await;
    sign_up(&lucia, "eve@example.com", "eve's password").await;
    let from = |client: &'static str, address: &'static str, password: &'static str| {
        let lucia = lucia.clone();
        async move {
            lucia
                .use_key_from(client, "email", address, Some(password))
                .await
        }
    };
    let attacker = "203.0.113.9";
    for _ in 0..2 {
        refused(from(attacker, "ada@example.com", "guess").await);
    }
    // The attacker signs in to an account of their own: that key's count is
    // cleared, the address's is not.
    from(attacker, "eve@example.com", "eve's password")
        .await
        .unwrap();
    refused(from(attacker, "grace@example.com", "guess").await);
    refused(from(attacker, "alan@example.com", "guess").await);
    // Four failures from this address, over three keys: the fifth is
    // refused whatever the key, the right password included.
    throttled(from(attacker, "eve@example.com", "eve's password").await);
    // Another address is not affected, and Ada's own success forgives her
    // key's two failures.
    from("198.51.100.7", "ada@example.com", "ada's password")
        .await
        .unwrap();
    for _ in 0..3 {
        refused(from("198.51.100.7", "ada@example.com", "typo").await);
    }
    throttled(from("198.51.100.7", "ada@example.com", "ada's password").await);
}

async fn concurrent_guesses_never_pass_the_limit(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock, 5, 1000).await;
    sign_up(&lucia, "ada@example.com", "correct horse").await;
    let guesses: Vec<_> = (0..24)
        .map(|n| {
            let lucia = lucia.clone();
            tokio::spawn(async move {
                let guess = format!("guess {n}");
                lucia
                    .use_key("email", "ada@example.com", Some(&guess))
                    .await
            })
        })
        .collect();
    let (mut checked, mut limited) = (0, 0);
    for guess in guesses {
        match guess.await.unwrap() {
            Err(Error::SignInRefused(Refusal::WrongPassword)) => checked += 1,
            Err(Error::SignInThrottled { .. }) => limited += 1,
            other => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(checked, 5, "passwords checked");
    assert_eq!(checked + limited, 24);
    // Only the failures are left in the table.
    assert_eq!(db.count_rows(ATTEMPTS_TABLE).await, checked as i64);
}

async fn passwords_that_cannot_be_right_are_refused_like_wrong_ones(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock, 10, 100).await;
    sign_up(&lucia, "ada@example.com", "correct horse").await;
    let huge = "x".repeat(PASSWORD_MAX_BYTES + 1);
    for password in ["", huge.as_str()] {
        let result = lucia
            .use_key("email", "ada@example.com", Some(password))
            .await;
        assert_eq!(refused(result), Refusal::WrongPassword);
        let result = lucia
            .use_key("email", "nobody@example.com", Some(password))
            .await;
        assert_eq!(refused(result), Refusal::UnknownKey);
    }
    // They count as failures like any other.
    assert_eq!(db.count_rows(ATTEMPTS_TABLE).await, 4);
}

/// Right and wrong passwords for one key at once, from several clients:
/// every answer is a sign-in or a refusal, never a database error. (On
/// MariaDB a success's clean-up outside the scope's lock deadlocked with a
/// concurrent reservation's locking read.)
async fn concurrent_successes_and_failures_never_fail(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock, 1000, 1000).await;
    sign_up(&lucia, "ada@example.com", "correct horse").await;
    for round in 0..3 {
        let attempts: Vec<_> = (0..16)
            .map(|n| {
                let lucia = lucia.clone();
                tokio::spawn(async move {
                    let password = if n % 2 == 0 { "correct horse" } else { "wrong" };
                    let client = format!("198.51.100.{}", n % 4);
                    lucia
                        .use_key_from(&client, "email", "ada@example.com", Some(password))
                        .await
                })
            })
            .collect();
        for (n, attempt) in attempts.into_iter().enumerate() {
            match (n % 2, attempt.await.unwrap()) {
                (0, Ok(_)) | (1, Err(Error::SignInRefused(Refusal::WrongPassword))) => {}
                (_, other) => panic!("round {round}, attempt {n}: {other:?}"),
            }
        }
    }
}

/// lucia-auth v1's MySQL tables as its MySQL adapter's docs create them,
/// at the database's default collation, which ignores case and accents.
const ADOPTED_MYSQL_LUCIA_V1: [&str; 3] = [
    "CREATE TABLE auth_user (id VARCHAR(15) NOT NULL PRIMARY KEY)",
    "CREATE TABLE auth_key (id VARCHAR(255) NOT NULL PRIMARY KEY, user_id VARCHAR(15) NOT NULL, \
     primary_key BOOLEAN NOT NULL, hashed_password VARCHAR(255), expires BIGINT, \
     FOREIGN KEY (user_id) REFERENCES auth_user(id))",
    "CREATE TABLE auth_session (id VARCHAR(127) NOT NULL PRIMARY KEY, user_id VARCHAR(15) NOT NULL, \
     active_expires BIGINT NOT NULL, idle_expires BIGINT NOT NULL, \
     FOREIGN KEY (user_id) REFERENCES auth_user(id))",
];

/// On an adopted MySQL/MariaDB lucia-auth v1 database every spelling that
/// reaches Ada's key (case, accents, trailing spaces) draws on one budget: guesses through
/// `ADA@…`, `ada@exámple…` and the rest count together, and once it is
/// spent the right password is refused through any of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spelling_of_a_key_shares_its_budget_on_an_insensitive_collation() {
    authstore_tests::run(Backend::MySql, "attempts_collation", async |db: &TestDb| {
        for statement in ADOPTED_MYSQL_LUCIA_V1 {
            db.conn.execute_unprepared(statement).await.unwrap();
        }
        let clock = TestClock::new();
        let lucia = store(db, &clock, 4, 100).await;
        sign_up(&lucia, "ada@example.com", "correct horse").await;
        let spellings = [
            "ADA@example.com",
            "ada@exámple.com",
            "ådá@example.com",
            "Ada@Example.COM",
        ];
        for spelling in spellings {
            let result = lucia.use_key("email", spelling, Some("guess")).await;
            assert_eq!(
                refused(result),
                Refusal::WrongPassword,
                "{spelling} reaches Ada's key"
            );
        }
        // Trailing spaces too: a PAD SPACE collation's `=` ignores them.
        let more = ["ada@example.com   ", "ada@example.com"];
        for spelling in spellings.into_iter().chain(more) {
            let right = lucia
                .use_key("email", spelling, Some("correct horse"))
                .await;
            throttled(right);
        }
        // Another key keeps its own budget.
        sign_up(&lucia, "grace@example.com", "pass phrase").await;
        lucia
            .use_key("email", "grace@example.com", Some("pass phrase"))
            .await
            .expect("another key is not throttled");
    })
    .await;
}
