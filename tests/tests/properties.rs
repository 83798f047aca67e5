//! Valid input round-trips through each real database unchanged, apart from
//! the documented email normalisation: unicode names up to the 255-character
//! limit, padded mixed-case emails, long URLs. (The 10,000-case properties on
//! invalid input run on MockDatabase in `service/tests/properties.rs`.)

use std::sync::atomic::{AtomicUsize, Ordering};

use authstore::{AuthStore, Config, NewUser, UserPatch};
use authstore_migration::{Migrator, MigratorTrait};
use authstore_tests::{TestDb, backend_tests};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};

const CASES: u32 = 200;
const SEED: [u8; 32] = *b"authstore-roundtrip-fixed-seed!!";

backend_tests!(valid_users_round_trip);

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
    let config = RunnerConfig {
        cases: CASES,
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED));
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
