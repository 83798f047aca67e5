//! On each real database: valid input round-trips unchanged, apart from the
//! documented email canonicalisation (unicode names up to the 255-character
//! limit, padded mixed-case emails, long URLs); and hostile input (NUL and
//! other control characters, replacement characters, invisible characters,
//! 4-byte characters, SQL-looking text) is either stored or refused with a
//! typed error, never a database error, and a refusal writes no row. (The
//! 10,000-case properties run on MockDatabase in `service/tests/properties.rs`.)

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use authstore::{AuthStore, Config, Error, NewAccount, NewUser, Secret, UserPatch};
use authstore_migration::{Migrator, MigratorTrait};
use authstore_tests::{TestDb, backend_tests};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};

const CASES: u32 = 200;
const SEED: [u8; 32] = *b"authstore-roundtrip-fixed-seed!!";

/// A fixed seed, so a failure reproduces.
fn runner() -> TestRunner {
    let config = RunnerConfig {
        cases: CASES,
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED))
}

backend_tests!(
    valid_users_round_trip,
    hostile_input_is_stored_or_refused_never_a_database_error
);

async fn valid_users_round_trip(db: &TestDb) {
    Migrator::up(&db.conn, None).await.unwrap();
    let store = AuthStore::new(db.conn.clone(), Config::new("round-trip").unwrap());
    let unique = AtomicUsize::new(0);
    let inputs = (
        "\\PC{0,255}",
        "[ \t]{0,2}[a-zA-Z0-9_+-]{1,30}@[a-zA-Z0-9]{1,30}\\.[A-Za-z]{2,6}[ \t\n]{0,2}",
        "https?://[a-z0-9]{1,60}\\.example/[A-Za-z0-9/._~%-]{0,1900}",
        "\\PC{0,255}",
    );
    let mut runner = runner();
    let handle = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| {
        runner.run(&inputs, |(name, email, image, new_name)| {
            // A per-case prefix keeps emails unique across cases.
            let email = format!(
                "{}{}",
                unique.fetch_add(1, Ordering::Relaxed),
                email.trim_start()
            );
            handle.block_on(async {
                let input = NewUser {
                    name: Some(name.clone()),
                    email: Some(email.clone()),
                    image: Some(image.clone()),
                    email_verified: None,
                };
                let created = store
                    .users()
                    .create(input)
                    .await
                    .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
                let read = store.users().get(created.id).await.unwrap().unwrap();
                prop_assert_eq!(read.name.as_deref(), Some(name.as_str()));
                prop_assert_eq!(read.email.clone(), Some(email.trim().to_lowercase()));
                prop_assert_eq!(read.image.as_deref(), Some(image.as_str()));
                prop_assert_eq!(
                    store
                        .users()
                        .get_by_email(&email)
                        .await
                        .unwrap()
                        .map(|u| u.id),
                    Some(created.id)
                );

                let patch = UserPatch {
                    name: Some(Some(new_name.clone())),
                    ..Default::default()
                };
                let updated = store.users().update(created.id, patch).await.unwrap();
                prop_assert_eq!(updated.name.as_deref(), Some(new_name.as_str()));
                prop_assert_eq!(updated.image, read.image);
                Ok(())
            })
        })
    })
    .unwrap();
}

/// Strings an attacker or a confused client sends: each odd character alone,
/// inside a plausible value, or among arbitrary characters.
fn hostile() -> impl Strategy<Value = String> {
    let odd = prop::sample::select(vec![
        "\0",
        "\r\n",
        "\u{1b}[2J",
        "\u{7f}",
        "\u{85}",
        "\u{fffd}",
        "\u{feff}",
        "\u{200b}",
        "\u{ad}",
        "\u{202e}",
        "😀",
        "𝔘",
        "' OR 1=1 --",
        "\\",
        "%00",
    ]);
    prop_oneof![
        (odd.clone(), "[a-z]{0,8}").prop_map(|(odd, tail)| format!("ada{odd}{tail}@example.com")),
        (odd.clone(), "[a-z]{1,8}").prop_map(|(odd, head)| format!("{head}{odd}")),
        (odd, "\\PC{0,20}").prop_map(|(odd, rest)| format!("{rest}{odd}{rest}")),
        any::<String>(),
    ]
}

/// Everything but a typed refusal or success fails the case.
fn typed<T>(result: Result<T, Error>) -> Result<Option<T>, TestCaseError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::Validation(_) | Error::Conflict(_) | Error::NotFound) => Ok(None),
        Err(other) => Err(TestCaseError::fail(format!("untyped failure: {other:?}"))),
    }
}

async fn hostile_input_is_stored_or_refused_never_a_database_error(db: &TestDb) {
    Migrator::up(&db.conn, None).await.unwrap();
    let store = AuthStore::new(db.conn.clone(), Config::new("hostile").unwrap());
    let owner = store.users().create(NewUser::default()).await.unwrap();
    let session = store.sessions().create(owner.id).await.unwrap();
    let mut runner = runner();
    let handle = tokio::runtime::Handle::current();
    let rows = async |table: &str| db.count_rows(table).await;
    let (calls, refusals) = (AtomicUsize::new(0), AtomicUsize::new(0));
    // Counts a call, and a refusal if it was one.
    let tally = |refused: bool| {
        calls.fetch_add(1, Ordering::Relaxed);
        if refused {
            refusals.fetch_add(1, Ordering::Relaxed);
        }
        refused
    };
    tokio::task::block_in_place(|| {
        runner.run(&(hostile(), hostile()), |(a, b)| {
            handle.block_on(async {
                let users_before = rows("users").await;
                let user = NewUser {
                    name: Some(a.clone()),
                    email: Some(b.clone()),
                    image: Some(format!("https://example.com/{a}")),
                    email_verified: None,
                };
                if tally(typed(store.users().create(user).await)?.is_none()) {
                    prop_assert_eq!(rows("users").await, users_before);
                }

                let accounts_before = rows("accounts").await;
                let account = NewAccount {
                    user_id: owner.id,
                    provider_type: "oauth".into(),
                    provider_id: a.clone(),
                    provider_account_id: b.clone(),
                    access_token: Some(Secret::from(a.clone())),
                    refresh_token: Some(Secret::from(b.clone())),
                    access_token_expires: None,
                };
                if tally(typed(store.accounts().link(account).await)?.is_none()) {
                    prop_assert_eq!(rows("accounts").await, accounts_before);
                }

                let requests_before = rows("verification_requests").await;
                if tally(typed(store.verification().create(&a).await)?.is_none()) {
                    prop_assert_eq!(rows("verification_requests").await, requests_before);
                }
                prop_assert!(
                    typed(store.verification().consume(&a, &b).await)?
                        .flatten()
                        .is_none()
                );
                typed(store.users().get_by_email(&a).await)?;
                typed(store.users().get_by_account(&a, &b).await)?;
                typed(store.accounts().unlink(&b, &a).await)?;
                prop_assert!(
                    typed(store.sessions().get_session_and_user(&a).await)?
                        .flatten()
                        .is_none()
                );
                prop_assert_eq!(typed(store.sessions().delete(&a).await)?, Some(false));
                Ok(())
            })
        })
    })
    .unwrap();
    let _ = writeln!(
        std::io::stderr(),
        "figures: {}: {CASES} hostile cases, 11 calls each: 0 database errors; of {} writes {} refused, each writing 0 rows",
        db.backend.name(),
        calls.into_inner(),
        refusals.into_inner()
    );
    // The session made before the run was never touched.
    let token = session.session_token.expose();
    assert!(
        store
            .sessions()
            .get_session_and_user(token)
            .await
            .unwrap()
            .is_some()
    );
}
