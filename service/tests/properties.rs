//! Property tests over every public input, on MockDatabase: 10,000 cases per
//! property from a fixed seed, mixing arbitrary unicode, control characters,
//! very long values, SQL-looking text and well-formed values.
//!
//! For each case: no panic; an input an independent oracle calls invalid is a
//! `Validation` error naming the field; a validation error sends no statement
//! (so writes no row); a valid input sends exactly one `INSERT` whose bound
//! values are the input, normalised only as documented. The same hostile
//! inputs run against the real backends in `tests/tests/properties.rs`.

use authstore::entity::{accounts, users, verification_requests};
use authstore::{AuthStore, Config, Error, NewAccount, NewUser};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{
    Config as RunnerConfig, RngAlgorithm, TestCaseError, TestRng, TestRunner,
};
use sea_orm::{DatabaseBackend, MockDatabase, Statement, Value};

const CASES: u32 = 10_000;
const SEED: [u8; 32] = *b"authstore-properties-fixed-seed!";

fn runner() -> TestRunner {
    let config = RunnerConfig {
        cases: CASES,
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED))
}

/// Strings of every kind an attacker or a bug could send.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 ._%+-]{0,40}",
        prop::collection::vec(any::<char>(), 200..300)
            .prop_map(|chars| chars.into_iter().collect()),
        "[a-z]{1,3}".prop_map(|s| s.repeat(100)),
        Just("' OR 1=1 --".to_owned()),
        Just("'); DROP TABLE users; --".to_owned()),
        Just("\u{0}\u{7}\r\n\t".to_owned()),
        // Replacement characters (what lone surrogates decode to), invisible
        // characters and 4-byte characters, inside otherwise valid values.
        prop::sample::select(vec![
            "\u{fffd}", "\u{feff}", "\u{200b}", "\u{ad}", "😀", "𝔘", "\0"
        ])
        .prop_map(|odd| format!("ada{odd}@example.com")),
        Just(String::new()),
    ]
}

fn email() -> impl Strategy<Value = String> {
    prop_oneof![
        text(),
        (
            "[ \t]{0,2}",
            "[a-zA-Z0-9._+-]{1,20}",
            "[a-zA-Z0-9-]{1,20}",
            "[ \t\n]{0,2}"
        )
            .prop_map(|(lead, local, domain, trail)| format!("{lead}{local}@{domain}.COM{trail}")),
        "[a-z]{60,70}@example\\.com",
        "[a-z]{10}@[a-z]{250}\\.com",
    ]
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        text(),
        "https?://[a-z]{1,20}\\.example/[a-z0-9/]{0,30}\\.png",
        "(ftp|javascript|data):[a-z/]{1,20}",
        "https://example\\.com/[a-z]{2050,2100}",
    ]
}

fn provider_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("oauth".to_owned()),
        Just("email".to_owned()),
        Just("credentials".to_owned()),
        text()
    ]
}

fn store(db: MockDatabase) -> AuthStore {
    let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    AuthStore::new(
        db.into_connection(),
        Config::new("property-secret").unwrap(),
    )
    .with_clock(move || now)
}

fn statements(store: &AuthStore) -> Vec<Statement> {
    let log = store.connection().clone().into_transaction_log();
    log.iter()
        .flat_map(|txn| txn.statements().to_vec())
        .collect()
}

fn bound_strings(statement: &Statement) -> Vec<String> {
    let values = statement
        .values
        .as_ref()
        .map(|v| v.0.clone())
        .unwrap_or_default();
    values
        .into_iter()
        .filter_map(|v| {
            if let Value::String(Some(s)) = v {
                Some(s)
            } else {
                None
            }
        })
        .collect()
}

fn invalid_fields(result: &Result<impl std::fmt::Debug, Error>) -> Vec<String> {
    match result {
        Err(Error::Validation(errors)) => errors
            .field_errors()
            .keys()
            .map(|k| k.to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Runs one case's future to completion on a small runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn user_row() -> users::Model {
    let at = Utc
        .with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
        .unwrap()
        .fixed_offset();
    users::Model {
        id: 1,
        name: None,
        email: None,
        email_verified: None,
        image: None,
        created_at: at,
        updated_at: at,
    }
}

#[test]
fn creating_users() {
    let inputs = (
        prop::option::of(text()),
        prop::option::of(email()),
        prop::option::of(url()),
    );
    runner()
        .run(&inputs, |(name, email, image)| {
            let store = store(
                MockDatabase::new(DatabaseBackend::Postgres)
                    .append_query_results([vec![user_row()]]),
            );
            let input = NewUser {
                name: name.clone(),
                email: email.clone(),
                image: image.clone(),
                email_verified: None,
            };
            let result = block_on(store.users().create(input));
            let bad = invalid_fields(&result);
            let sent = statements(&store);

            // The oracle: rules stated independently of the implementation.
            let normalised = email.as_deref().map(|e| e.trim().to_lowercase());
            if let Some(email) = &normalised
                && email.chars().any(char::is_control)
            {
                prop_assert!(
                    bad.contains(&"email".to_owned()),
                    "email {email:?} accepted"
                );
            }
            if let Some(name) = &name
                && (name.chars().count() > 255 || name.chars().any(char::is_control))
            {
                prop_assert!(bad.contains(&"name".to_owned()), "name {name:?} accepted");
            }
            if let Some(email) = &normalised
                && (email.chars().count() > 255 || !email.contains('@'))
            {
                prop_assert!(
                    bad.contains(&"email".to_owned()),
                    "email {email:?} accepted"
                );
            }
            if let Some(image) = &image {
                let http = image.starts_with("http://") || image.starts_with("https://");
                if image.chars().count() > 2048 || !http || image.chars().any(char::is_control) {
                    prop_assert!(
                        bad.contains(&"image".to_owned()),
                        "image {image:?} accepted"
                    );
                }
            }

            match result {
                Err(Error::Validation(_)) => {
                    prop_assert!(sent.is_empty(), "a rejected input sent {sent:?}")
                }
                Ok(_) => {
                    prop_assert_eq!(sent.len(), 1);
                    prop_assert!(sent[0].sql.starts_with(r#"INSERT INTO "users""#));
                    let bound = bound_strings(&sent[0]);
                    // An ASCII address is stored trimmed and lowercased, as
                    // next-auth stores it; others in their canonical form.
                    let normalised = normalised.filter(|email| email.is_ascii());
                    for expected in [name, normalised, image].into_iter().flatten() {
                        prop_assert!(
                            bound.contains(&expected),
                            "{expected:?} not stored as given: {bound:?}"
                        );
                    }
                }
                Err(other) => {
                    return Err(TestCaseError::fail(format!("unexpected error {other:?}")));
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn linking_accounts() {
    let inputs = (provider_type(), text(), text());
    runner()
        .run(
            &inputs,
            |(provider_type, provider_id, provider_account_id)| {
                let at = Utc
                    .with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
                    .unwrap()
                    .fixed_offset();
                let row = accounts::Model {
                    id: 1,
                    compound_id: String::new(),
                    user_id: 1,
                    provider_type: String::new(),
                    provider_id: String::new(),
                    provider_account_id: String::new(),
                    refresh_token: None,
                    access_token: None,
                    access_token_expires: None,
                    created_at: at,
                    updated_at: at,
                };
                let store = store(
                    MockDatabase::new(DatabaseBackend::Postgres).append_query_results([vec![row]]),
                );
                let input = NewAccount {
                    user_id: 1,
                    provider_type: provider_type.clone(),
                    provider_id: provider_id.clone(),
                    provider_account_id: provider_account_id.clone(),
                    ..Default::default()
                };
                let result = block_on(store.accounts().link(input));
                let mut bad = invalid_fields(&result);
                bad.sort();
                let mut expected_bad = Vec::new();
                let length_ok = |s: &str| {
                    (1..=255).contains(&s.chars().count()) && !s.chars().any(char::is_control)
                };
                if !length_ok(&provider_account_id) {
                    expected_bad.push("provider_account_id".to_owned());
                }
                if !length_ok(&provider_id) {
                    expected_bad.push("provider_id".to_owned());
                }
                if !["oauth", "email", "credentials"].contains(&provider_type.as_str()) {
                    expected_bad.push("provider_type".to_owned());
                }
                prop_assert_eq!(&bad, &expected_bad);

                let sent = statements(&store);
                if expected_bad.is_empty() {
                    prop_assert_eq!(sent.len(), 1);
                    let bound = bound_strings(&sent[0]);
                    let compound_id = {
                        use sha2::Digest;
                        hex::encode(sha2::Sha256::digest(format!(
                            "{provider_id}:{provider_account_id}"
                        )))
                    };
                    for expected in [provider_type, provider_id, provider_account_id, compound_id] {
                        prop_assert!(
                            bound.contains(&expected),
                            "{expected:?} not stored as given"
                        );
                    }
                } else {
                    prop_assert!(sent.is_empty());
                }
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn verification_identifiers() {
    runner()
        .run(&(email(), text()), |(identifier, token)| {
            let at = Utc
                .with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
                .unwrap()
                .fixed_offset();
            let row = verification_requests::Model {
                id: 1,
                identifier: String::new(),
                token: String::new(),
                expires: at,
                created_at: at,
                updated_at: at,
            };
            // The identifier must be an address with a canonical form: at
            // least an `@`, no control characters, at most 255 characters.
            let normalised = identifier.trim().to_lowercase();
            let impossible = !normalised.contains('@')
                || normalised.chars().any(char::is_control)
                || normalised.chars().count() > 255;

            let store = store(
                MockDatabase::new(DatabaseBackend::Postgres).append_query_results([vec![row]]),
            );
            let created = block_on(store.verification().create(&identifier));
            let sent = statements(&store);
            if impossible {
                prop_assert!(created.is_err(), "{identifier:?} accepted");
            }
            let valid = created.is_ok();
            if valid {
                prop_assert_eq!(sent.len(), 1);
                let bound = bound_strings(&sent[0]);
                if normalised.is_ascii() {
                    prop_assert!(bound.contains(&normalised));
                }
                let plain = created.unwrap().1;
                prop_assert!(
                    !bound.iter().any(|v| v == plain.expose()),
                    "the plain token is never stored"
                );
            } else {
                prop_assert_eq!(invalid_fields(&created), vec!["identifier".to_owned()]);
                prop_assert!(sent.is_empty());
            }

            // Consuming with any identifier and token finds nothing, and an
            // identifier that could not be created sends no statement.
            let store = self::store(
                MockDatabase::new(DatabaseBackend::Postgres)
                    .append_query_results([Vec::<verification_requests::Model>::new()]),
            );
            let consumed = block_on(store.verification().consume(&identifier, &token));
            prop_assert_eq!(consumed.unwrap(), None);
            if !valid {
                prop_assert!(statements(&store).is_empty());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn lookups_never_panic_or_fail_on_any_string() {
    runner()
        .run(&(text(), text()), |(a, b)| {
            let empty = MockDatabase::new(DatabaseBackend::Postgres)
                .append_query_results([Vec::<users::Model>::new()])
                .append_query_results([Vec::<users::Model>::new()])
                .append_query_results([
                    Vec::<(authstore::entity::sessions::Model, users::Model)>::new(),
                ]);
            let store = store(empty);
            prop_assert_eq!(block_on(store.users().get_by_email(&a)).unwrap(), None);
            prop_assert_eq!(
                block_on(store.users().get_by_account(&a, &b)).unwrap(),
                None
            );
            prop_assert_eq!(
                block_on(store.sessions().get_session_and_user(&a)).unwrap(),
                None
            );
            Ok(())
        })
        .unwrap();
}
