//! `LuciaV1Store`'s rules beyond the adapter suite, on every backend:
//! sessions through their active, idle and dead states; single-use keys
//! (used once, also under concurrency; refused and deleted once expired);
//! every way a sign-in is refused; bad input refused with nothing written;
//! and no secret in `Debug` output or error messages.

use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store, NewKey, NewUser, SessionState};
use authstore::{Error, Profile, Refusal};
use authstore_migration::ProfileMigrations;
use authstore_tests::{TestClock, TestDb, backend_tests};
use chrono::TimeDelta;
use sea_orm::ConnectionTrait;

backend_tests!(
    sessions_go_from_active_to_idle_to_dead,
    renewal_and_creation_delete_the_users_dead_sessions,
    dead_sessions_are_purged_and_live_ones_kept,
    a_single_use_key_works_once_until_it_expires,
    concurrent_uses_of_a_single_use_key_let_exactly_one_in,
    sign_ins_are_refused_for_each_reason,
    an_old_format_hash_signs_in_and_asks_for_a_rehash,
    bad_input_is_refused_and_nothing_is_written,
    deleting_a_user_deletes_their_keys_and_sessions,
    writes_on_a_transaction_commit_or_roll_back_with_it,
);

const DAY: TimeDelta = TimeDelta::days(1);

async fn store(db: &TestDb, clock: &TestClock) -> LuciaV1Store {
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    let clock = clock.clone();
    LuciaV1Store::new(db.conn.clone(), LuciaV1Config::default()).with_clock(move || clock.now())
}

fn email<'a>(address: &'a str, password: Option<&'a str>) -> NewKey<'a> {
    NewKey {
        provider_id: "email",
        provider_user_id: address,
        password,
    }
}

async fn user(lucia: &LuciaV1Store, id: &str) {
    let new = NewUser {
        id: Some(id),
        ..Default::default()
    };
    lucia.create_user(new).await.unwrap();
}

async fn sessions_go_from_active_to_idle_to_dead(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    user(&lucia, "ada").await;
    let first = lucia.create_session("ada").await.unwrap();
    let id = first.id.expose();
    assert!(first.fresh);
    assert_eq!(first.active_expires, clock.now() + DAY);
    assert_eq!(first.idle_expires, clock.now() + DAY * 15);

    // Active up to and including active_expires: served as is, nothing written.
    clock.advance(DAY);
    let valid = lucia.validate_session(id).await.unwrap().expect("active");
    assert_eq!(valid.session.id.expose(), id);
    assert!(!valid.session.fresh);
    assert_eq!(db.count_rows("auth_session").await, 1);

    // One millisecond later it is idle: validating makes a new session.
    clock.advance(TimeDelta::milliseconds(1));
    assert_eq!(
        lucia.get_session(id).await.unwrap().unwrap().state,
        SessionState::Idle,
        "get_session reports the state and renews nothing"
    );
    let renewed = lucia
        .validate_session(id)
        .await
        .unwrap()
        .expect("idle is renewed");
    assert_ne!(renewed.session.id.expose(), id);
    assert!(renewed.session.fresh);
    assert_eq!(renewed.session.state, SessionState::Active);
    assert_eq!(renewed.session.active_expires, clock.now() + DAY);
    assert_eq!(renewed.user.id, "ada");
    // The old row stays until it dies, as in lucia-auth v1.
    assert_eq!(lucia.user_sessions("ada").await.unwrap().len(), 2);

    // Dead after idle_expires: refused and deleted; the new one lives on.
    clock.advance(DAY * 14);
    assert_eq!(lucia.validate_session(id).await.unwrap(), None);
    let left = lucia.user_sessions("ada").await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, renewed.session.id);
    assert_eq!(left[0].state, SessionState::Idle);
}

async fn renewal_and_creation_delete_the_users_dead_sessions(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    user(&lucia, "ada").await;
    user(&lucia, "grace").await;
    lucia.create_session("ada").await.unwrap();
    lucia.create_session("grace").await.unwrap();
    clock.advance(DAY * 10);
    let idle = lucia.create_session("ada").await.unwrap();
    clock.advance(DAY * 6); // the first two are dead, `idle` is idle
    assert_eq!(
        db.count_rows("auth_session").await,
        3,
        "nothing deleted yet"
    );
    lucia
        .validate_session(idle.id.expose())
        .await
        .unwrap()
        .unwrap();
    // ada's dead session went; grace's dead one is grace's business.
    let owners = db
        .strings("SELECT user_id AS name FROM auth_session ORDER BY user_id")
        .await;
    assert_eq!(owners, ["ada", "ada", "grace"]);
    // Creating grace's new session deletes her dead one.
    lucia.create_session("grace").await.unwrap();
    assert_eq!(db.count_rows("auth_session").await, 3);
}

async fn dead_sessions_are_purged_and_live_ones_kept(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    user(&lucia, "ada").await;
    for _ in 0..3 {
        lucia.create_session("ada").await.unwrap();
    }
    clock.advance(DAY * 15 + TimeDelta::milliseconds(1));
    let live = lucia.create_session("ada").await.unwrap();
    // create_session already cleared ada's dead ones; seed more dead rows.
    db.conn
        .execute_unprepared(
            "INSERT INTO auth_user (id) VALUES ('grace');
             INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
               VALUES ('dead1', 'grace', 1, 2), ('dead2', 'grace', 1, 2)",
        )
        .await
        .unwrap();
    assert_eq!(lucia.delete_dead_sessions().await.unwrap(), 2);
    let left = db.strings("SELECT id AS name FROM auth_session").await;
    assert_eq!(left, [live.id.expose()]);
}

async fn a_single_use_key_works_once_until_it_expires(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    user(&lucia, "ada").await;
    let code = |provider_user_id| NewKey {
        provider_id: "otp",
        provider_user_id,
        password: Some("493021"),
    };
    let ten_minutes = TimeDelta::minutes(10);
    lucia
        .create_single_use_key("ada", code("a"), ten_minutes)
        .await
        .unwrap();
    // Usable at exactly its expiry, then gone.
    clock.advance(ten_minutes);
    let used = lucia.use_key("otp", "a", Some("493021")).await.unwrap();
    assert_eq!(used.key.user_id, "ada");
    assert_eq!(lucia.get_key("otp", "a").await.unwrap(), None);
    let again = lucia.use_key("otp", "a", Some("493021")).await.unwrap_err();
    assert!(
        matches!(again, Error::SignInRefused(Refusal::UnknownKey)),
        "{again:?}"
    );

    // A wrong code does not use it up.
    lucia
        .create_single_use_key("ada", code("b"), ten_minutes)
        .await
        .unwrap();
    let wrong = lucia.use_key("otp", "b", Some("000000")).await.unwrap_err();
    assert!(matches!(
        wrong,
        Error::SignInRefused(Refusal::WrongPassword)
    ));
    assert!(lucia.get_key("otp", "b").await.unwrap().is_some());

    // Expired: refused and deleted.
    clock.advance(ten_minutes + TimeDelta::milliseconds(1));
    let expired = lucia.use_key("otp", "b", Some("493021")).await.unwrap_err();
    assert!(
        matches!(expired, Error::SignInRefused(Refusal::ExpiredKey)),
        "{expired:?}"
    );
    assert_eq!(db.count_rows("auth_key").await, 0);
}

async fn concurrent_uses_of_a_single_use_key_let_exactly_one_in(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    user(&lucia, "ada").await;
    let link = NewKey {
        provider_id: "link",
        provider_user_id: "k1",
        password: None,
    };
    lucia
        .create_single_use_key("ada", link, TimeDelta::minutes(5))
        .await
        .unwrap();
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let lucia = lucia.clone();
            tokio::spawn(async move { lucia.use_key("link", "k1", None).await })
        })
        .collect();
    let mut won = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => won += 1,
            Err(Error::SignInRefused(Refusal::UnknownKey)) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(db.count_rows("auth_key").await, 0);
}

async fn sign_ins_are_refused_for_each_reason(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    let new = NewUser {
        id: Some("ada"),
        primary_key: Some(email("ada@example.com", Some("correct horse"))),
        ..Default::default()
    };
    lucia.create_user(new).await.unwrap();
    let github = NewKey {
        provider_id: "github",
        provider_user_id: "583231",
        password: None,
    };
    lucia.create_key("ada", github).await.unwrap();
    let refusal = |result: Result<_, Error>| match result {
        Err(Error::SignInRefused(why)) => why,
        other => panic!("not a refusal: {other:?}"),
    };
    let use_key = |provider, user, password| lucia.use_key(provider, user, password);
    assert_eq!(
        refusal(use_key("email", "ada@example.com", Some("wrong")).await),
        Refusal::WrongPassword
    );
    assert_eq!(
        refusal(use_key("email", "ada@example.com", None).await),
        Refusal::WrongPassword,
        "a key with a password needs it"
    );
    assert_eq!(
        refusal(use_key("github", "583231", Some("anything")).await),
        Refusal::WrongPassword,
        "a password for a key without one is refused (lucia-auth v1 ignores it)"
    );
    assert_eq!(
        refusal(use_key("email", "nobody@example.com", Some("x")).await),
        Refusal::UnknownKey
    );
    assert_eq!(
        refusal(use_key("bad:provider", "x", Some("x")).await),
        Refusal::UnknownKey
    );
    let ok = use_key("email", "ada@example.com", Some("correct horse"))
        .await
        .unwrap();
    assert!(!ok.password_needs_rehash);
    assert!(use_key("github", "583231", None).await.is_ok());

    // A bcrypt hash from an older stack: outdated, as in lucia-auth v1.
    db.conn
        .execute_unprepared(
            "UPDATE auth_key SET hashed_password = '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy' WHERE id = 'email:ada@example.com'",
        )
        .await
        .unwrap();
    assert_eq!(
        refusal(use_key("email", "ada@example.com", Some("correct horse")).await),
        Refusal::OutdatedPassword
    );
}

async fn an_old_format_hash_signs_in_and_asks_for_a_rehash(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    // A hash lucia-auth 0.x made (salt:key, r = 8), from the vectors fixture.
    let (password, hash) = authstore_tests::lucia_legacy_password();
    let password = password.as_str();
    db.conn
        .execute_unprepared(&format!(
            "INSERT INTO auth_user (id) VALUES ('ada');
             INSERT INTO auth_key (id, user_id, primary_key, hashed_password, expires)
               VALUES ('email:ada@example.com', 'ada', TRUE, '{hash}', NULL)"
        ))
        .await
        .unwrap();
    let signed_in = lucia
        .use_key("email", "ada@example.com", Some(password))
        .await
        .unwrap();
    assert!(signed_in.password_needs_rehash);
    lucia
        .update_key_password("email", "ada@example.com", Some(password))
        .await
        .unwrap();
    let again = lucia
        .use_key("email", "ada@example.com", Some(password))
        .await
        .unwrap();
    assert!(!again.password_needs_rehash, "now in s2");
}

/// The fields a validation error names, comma-separated.
fn fields<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Validation(errors)) => {
            let mut fields: Vec<String> = errors
                .field_errors()
                .keys()
                .map(|k| k.to_string())
                .collect();
            fields.sort();
            fields.join(",")
        }
        other => panic!("not a validation error: {other:?}"),
    }
}

async fn bad_input_is_refused_and_nothing_is_written(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    let long_password = "p".repeat(4097);
    let new_user = |id, key| NewUser {
        id,
        primary_key: key,
        ..Default::default()
    };
    let cases: Vec<(NewUser<'_>, &str)> = vec![
        (new_user(Some("ada\n"), None), "id"),
        (new_user(Some(""), None), "id"),
        (
            new_user(None, Some(email("ada@example.com", Some("")))),
            "password",
        ),
        (
            new_user(None, Some(email("ada@example.com", Some(&long_password)))),
            "password",
        ),
        (
            new_user(
                None,
                Some(NewKey {
                    provider_id: "e:mail",
                    provider_user_id: "ada",
                    password: None,
                }),
            ),
            "provider_id",
        ),
        (new_user(None, Some(email("", None))), "provider_user_id"),
        (
            NewUser {
                attributes: vec![("id", "x".into())],
                ..Default::default()
            },
            "attributes",
        ),
    ];
    for (new, field) in cases {
        let shown = format!("{new:?}");
        assert_eq!(fields(lucia.create_user(new).await), field, "{shown}");
    }
    assert_eq!(db.count_rows("auth_user").await, 0);

    user(&lucia, "ada").await;
    let too_long = "x".repeat(250);
    let cases = [
        (
            lucia
                .create_key(
                    "ada",
                    NewKey {
                        provider_id: "email",
                        provider_user_id: &too_long,
                        password: None,
                    },
                )
                .await,
            "provider_user_id",
        ),
        (
            lucia
                .create_single_use_key("ada", email("ada@example.com", None), TimeDelta::zero())
                .await,
            "expires_in",
        ),
    ];
    for (result, field) in cases {
        assert_eq!(fields(result), field);
    }
    assert_eq!(db.count_rows("auth_key").await, 0);
    assert!(matches!(
        lucia
            .update_key_password("email", "ada@example.com", Some("x"))
            .await,
        Err(Error::NotFound)
    ));
}

async fn deleting_a_user_deletes_their_keys_and_sessions(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    let new = NewUser {
        id: Some("ada"),
        primary_key: Some(email("ada@example.com", None)),
        ..Default::default()
    };
    lucia.create_user(new).await.unwrap();
    user(&lucia, "grace").await;
    let session = lucia.create_session("ada").await.unwrap();
    lucia.create_session("grace").await.unwrap();
    lucia.delete_user("ada").await.unwrap();
    assert_eq!(
        lucia.validate_session(session.id.expose()).await.unwrap(),
        None
    );
    assert_eq!(db.count_rows("auth_key").await, 0);
    assert_eq!(db.count_rows("auth_session").await, 1);
    assert!(matches!(
        lucia.delete_user("ada").await,
        Err(Error::NotFound)
    ));
}

/// Session ids, passwords and password hashes never appear in `Debug`
/// output or error messages.
#[tokio::test]
async fn secrets_stay_out_of_debug_output_and_errors() {
    let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
    Profile::LuciaV1.up(&db).await.unwrap();
    let lucia = LuciaV1Store::new(db, LuciaV1Config::default());
    let key = email("ada@example.com", Some("hunter2-secret"));
    assert!(!format!("{key:?}").contains("hunter2"));
    let new = NewUser {
        primary_key: Some(key),
        ..Default::default()
    };
    assert!(!format!("{new:?}").contains("hunter2"));
    let user = lucia.create_user(new).await.unwrap();
    let session = lucia.create_session(&user.id).await.unwrap();
    let shown = format!("{session:?} {:?}", lucia.user_keys(&user.id).await.unwrap());
    assert!(!shown.contains(session.id.expose()), "{shown}");
    assert!(!shown.contains("s2:"), "{shown}");
    let err = lucia
        .use_key("email", "ada@example.com", Some("hunter2-wrong"))
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

/// `on(&txn)`: a user with a password key and a session, made inside the
/// caller's transaction (the store's own transaction becomes a savepoint),
/// undone by its rollback and kept by its commit.
async fn writes_on_a_transaction_commit_or_roll_back_with_it(db: &TestDb) {
    use sea_orm::TransactionTrait;
    let lucia = store(db, &TestClock::new()).await;
    let new_user = || NewUser {
        primary_key: Some(email("ada@example.com", Some("correct horse"))),
        ..NewUser::default()
    };

    let txn = db.conn.begin().await.unwrap();
    let user = lucia.on(&txn).create_user(new_user()).await.unwrap();
    let session = lucia.on(&txn).create_session(&user.id).await.unwrap();
    let inside = lucia.on(&txn).validate_session(session.id.expose()).await;
    assert_eq!(
        inside.unwrap().map(|valid| valid.user.id),
        Some(user.id.clone())
    );
    txn.rollback().await.unwrap();
    assert!(
        lucia.get_user(&user.id).await.unwrap().is_none(),
        "rolled back"
    );
    assert!(
        lucia
            .validate_session(session.id.expose())
            .await
            .unwrap()
            .is_none()
    );

    let txn = db.conn.begin().await.unwrap();
    let user = lucia.on(&txn).create_user(new_user()).await.unwrap();
    txn.commit().await.unwrap();
    assert!(
        lucia.get_user(&user.id).await.unwrap().is_some(),
        "committed"
    );
}
