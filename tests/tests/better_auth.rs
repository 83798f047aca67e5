//! `BetterAuthStore` on every backend (SQLite included, where better-auth
//! keeps ISO-8601 text): bad input gets a typed error and writes nothing,
//! sessions live, renew and end at better-auth's boundaries, verification
//! values are taken once, and a deleted user leaves nothing behind.

use authstore::better_auth::{BetterAuthStore, LinkedAccount, NewUser, SessionMeta};
use authstore::{Conflict, Error, Profile, Refusal};
use authstore_migration::ProfileMigrations;
use authstore_tests::{TestClock, TestDb, backend_tests};
use chrono::{SubsecRound, TimeDelta};

backend_tests!(
    bad_input_is_refused_and_nothing_is_written,
    sessions_renew_and_end_at_better_auths_boundaries,
    verification_values_are_taken_once,
    a_deleted_user_leaves_nothing,
);

async fn store(db: &TestDb) -> (BetterAuthStore, TestClock) {
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let clock = TestClock::new();
    let reading = clock.clone();
    let store =
        BetterAuthStore::new(db.conn.clone(), Default::default()).with_clock(move || reading.now());
    (store, clock)
}

fn ada() -> NewUser {
    NewUser {
        name: "Ada".into(),
        email: "ada@example.com".into(),
        ..NewUser::default()
    }
}

async fn rows(db: &TestDb) -> [i64; 4] {
    let mut counts = [0; 4];
    for (count, table) in counts
        .iter_mut()
        .zip(["user", "account", "session", "verification"])
    {
        *count = db.count_rows(table).await;
    }
    counts
}

async fn bad_input_is_refused_and_nothing_is_written(db: &TestDb) {
    let (store, _) = store(db).await;
    let refused = |result: Result<_, Error>, field: &str| match result {
        Err(Error::Validation(errors)) => {
            assert!(errors.field_errors().contains_key(field), "{errors:?}")
        }
        other => panic!("{field}: {other:?}"),
    };
    refused(
        store
            .create_user(NewUser {
                email: "no address".into(),
                ..ada()
            })
            .await
            .map(drop),
        "email",
    );
    refused(
        store
            .create_user(NewUser {
                name: "Ada\u{0}".into(),
                ..ada()
            })
            .await
            .map(drop),
        "name",
    );
    refused(
        store.sign_up_with_password(ada(), "").await.map(drop),
        "password",
    );
    refused(
        store
            .sign_up_with_password(ada(), &"x".repeat(129))
            .await
            .map(drop),
        "password",
    );
    refused(
        store
            .create_verification("a\nb", "value", TimeDelta::minutes(5))
            .await
            .map(drop),
        "identifier",
    );
    assert_eq!(rows(db).await, [0; 4], "nothing written");

    let user = store
        .sign_up_with_password(ada(), "correct horse")
        .await
        .unwrap();
    assert!(matches!(
        store
            .sign_up_with_password(
                NewUser {
                    email: "ADA@example.com".into(),
                    ..ada()
                },
                "other"
            )
            .await,
        Err(Error::Conflict(Conflict::Email))
    ));
    assert_eq!(
        rows(db).await,
        [1, 1, 0, 0],
        "the second sign-up wrote nothing"
    );
    assert!(matches!(
        store
            .create_session("no-such-user", SessionMeta::default())
            .await,
        Err(Error::UnknownUser)
    ));
    for (email, password) in [
        ("nobody@example.com", "correct horse"),
        ("ada@example.com", "wrong"),
    ] {
        assert!(matches!(
            store
                .sign_in_with_password(email, password, SessionMeta::default())
                .await,
            Err(Error::SignInRefused(Refusal::WrongPassword))
        ));
    }
    let credential = LinkedAccount {
        provider_id: "credential".into(),
        account_id: user.id.clone(),
        ..Default::default()
    };
    refused(
        store.link_account(&user.id, credential).await.map(drop),
        "provider_id",
    );
    assert_eq!(rows(db).await, [1, 1, 0, 0]);
}

async fn sessions_renew_and_end_at_better_auths_boundaries(db: &TestDb) {
    let (store, clock) = store(db).await;
    let user = store.create_user(ada()).await.unwrap();
    let meta = SessionMeta {
        ip_address: Some("203.0.113.7".into()),
        user_agent: Some("test".into()),
    };
    let session = store.create_session(&user.id, meta.clone()).await.unwrap();
    assert_eq!(session.token.expose().len(), 32);
    assert_eq!(
        session.expires_at,
        clock.now().trunc_subsecs(3) + TimeDelta::days(7)
    );
    let token = session.token.expose();

    // A day less a millisecond on: live, not renewed.
    clock.advance(TimeDelta::days(1) - TimeDelta::milliseconds(1));
    let live = store.validate_session(token).await.unwrap().unwrap();
    assert!(!live.session.fresh);
    assert_eq!(live.session.meta, meta);
    // A day on: renewed to seven days from now, same token.
    clock.advance(TimeDelta::milliseconds(1));
    let renewed = store.validate_session(token).await.unwrap().unwrap();
    assert!(renewed.session.fresh);
    assert_eq!(
        renewed.session.expires_at,
        clock.now().trunc_subsecs(3) + TimeDelta::days(7)
    );
    assert_eq!(store.list_sessions(&user.id).await.unwrap().len(), 1);
    // A millisecond past its expiry: over, and deleted on read.
    clock.advance(TimeDelta::days(7) + TimeDelta::milliseconds(1));
    assert_eq!(store.validate_session(token).await.unwrap(), None);
    assert_eq!(db.count_rows("session").await, 0, "deleted on read");
    assert!(!store.revoke_session(token).await.unwrap());
}

async fn verification_values_are_taken_once(db: &TestDb) {
    let (store, clock) = store(db).await;
    store
        .create_verification("magic-link:abc", "old", TimeDelta::minutes(5))
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(1));
    store
        .create_verification("magic-link:abc", "new", TimeDelta::minutes(5))
        .await
        .unwrap();
    let taken = store
        .consume_verification("magic-link:abc")
        .await
        .unwrap()
        .expect("the newest");
    assert_eq!(taken.value.expose(), "new");
    assert_eq!(
        store.consume_verification("magic-link:abc").await.unwrap(),
        None,
        "once"
    );
    assert_eq!(
        db.count_rows("verification").await,
        0,
        "the older one went too"
    );

    store
        .create_verification("otp:ada", "123456", TimeDelta::minutes(5))
        .await
        .unwrap();
    clock.advance(TimeDelta::minutes(5) + TimeDelta::milliseconds(1));
    assert_eq!(
        store.consume_verification("otp:ada").await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(db.count_rows("verification").await, 0);
}

async fn a_deleted_user_leaves_nothing(db: &TestDb) {
    let (store, _) = store(db).await;
    let user = store
        .sign_up_with_password(ada(), "correct horse")
        .await
        .unwrap();
    let github = LinkedAccount {
        provider_id: "github".into(),
        account_id: "583231".into(),
        ..Default::default()
    };
    store.link_account(&user.id, github).await.unwrap();
    let session = store
        .create_session(&user.id, SessionMeta::default())
        .await
        .unwrap();
    store.delete_user(&user.id).await.unwrap();
    assert_eq!(rows(db).await, [0; 4]);
    assert_eq!(
        store
            .validate_session(session.token.expose())
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store.delete_user(&user.id).await,
        Err(Error::NotFound)
    ));
}
