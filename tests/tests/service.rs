//! authstore's behaviour on every profile and backend: one test body each,
//! run for each next-auth schema profile on SQLite, PostgreSQL and MariaDB.
//! Time comes from a clock the test moves, so expiry and renewal are tested
//! without sleeping. The bodies check stored rows through the store or by
//! table name, never through one profile's entities.

use authstore::{
    AuthStore, Config, Conflict, Error, NewAccount, NewUser, OAuthTokens, Secret, UserPatch,
};
use authstore::{Profile, Session};
use authstore_tests::{Backend, TestClock, TestDb, profile_tests, sha256_hex};
use chrono::TimeDelta;
use sea_orm::{ConnectionTrait, TransactionTrait};

const SECRET: &str = "cross-backend-test-secret";

async fn store(db: &TestDb) -> (AuthStore, TestClock) {
    db.migrate().await;
    let clock = TestClock::new();
    let reading = clock.clone();
    let store = AuthStore::new(db.conn.clone(), db.config(SECRET).build().unwrap())
        .with_clock(move || reading.now());
    (store, clock)
}

fn email(address: &str) -> NewUser {
    NewUser {
        email: Some(address.into()),
        ..Default::default()
    }
}

fn github(user_id: i32, account: &str) -> NewAccount {
    NewAccount {
        user_id,
        provider_type: "oauth".into(),
        provider_id: "github".into(),
        provider_account_id: account.into(),
        refresh_token: Some(Secret::from("refresh-1")),
        access_token: Some(Secret::from("access-1")),
        access_token_expires: None,
    }
}

fn field_names(err: &Error) -> Vec<String> {
    let Error::Validation(errors) = err else {
        panic!("expected a validation error, got {err:?}")
    };
    let mut names: Vec<String> = errors
        .field_errors()
        .keys()
        .map(|k| k.to_string())
        .collect();
    names.sort();
    names
}

profile_tests!(
    users_create_get_update,
    invalid_users_are_rejected_before_any_write,
    deleting_a_user_removes_their_sessions_and_accounts,
    accounts_link_unlink_and_rotate_tokens,
    sessions_expire_and_slide_like_next_auth,
    sign_out_and_purge,
    verification_tokens_are_hashed_and_single_use,
    concurrent_consumes_let_exactly_one_through,
    writes_join_the_callers_transaction,
);

async fn users_create_get_update(db: &TestDb) {
    let (store, clock) = store(db).await;
    let users = store.users();

    let ada = users.create(email("  Ada@Example.COM ")).await.unwrap();
    assert_eq!(
        ada.email.as_deref(),
        Some("ada@example.com"),
        "emails are trimmed and lowercased"
    );
    assert_eq!(ada.created_at, clock.now());

    let again = users.create(email("ADA@example.com")).await.unwrap_err();
    assert!(
        matches!(again, Error::Conflict(Conflict::Email)),
        "got {again:?}"
    );

    assert_eq!(users.get(ada.id).await.unwrap(), Some(ada.clone()));
    assert_eq!(users.get(ada.id + 1000).await.unwrap(), None);
    assert_eq!(
        users
            .get_by_email("ADA@EXAMPLE.com\t")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(ada.id)
    );
    assert_eq!(
        users.get_by_email("nobody@example.com").await.unwrap(),
        None
    );

    clock.advance(TimeDelta::minutes(5));
    let verified_at = clock.now();
    let patch = UserPatch {
        name: Some(Some("Ada Lovelace".into())),
        email_verified: Some(Some(verified_at)),
        image: Some(Some("https://example.com/ada.png".into())),
        ..Default::default()
    };
    let updated = users.update(ada.id, patch).await.unwrap();
    assert_eq!(updated.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        updated.email.as_deref(),
        Some("ada@example.com"),
        "fields left out of the patch are kept"
    );
    assert_eq!(
        updated.email_verified.map(|t| t.to_utc()),
        Some(verified_at)
    );
    assert_eq!(updated.updated_at, verified_at, "updated_at is refreshed");
    assert_eq!(updated.created_at, ada.created_at);

    let cleared = users
        .update(
            ada.id,
            UserPatch {
                image: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.image, None);
    assert_eq!(cleared.name.as_deref(), Some("Ada Lovelace"));

    let bob = users.create(email("bob@example.com")).await.unwrap();
    let taken = users.update(
        bob.id,
        UserPatch {
            email: Some(Some("ADA@example.com".into())),
            ..Default::default()
        },
    );
    assert!(matches!(taken.await, Err(Error::Conflict(Conflict::Email))));
    let missing = users
        .update(
            999_999,
            UserPatch {
                name: Some(None),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(missing, Err(Error::NotFound)), "got {missing:?}");
}

async fn invalid_users_are_rejected_before_any_write(db: &TestDb) {
    let (store, _) = store(db).await;
    let users = store.users();

    let long_email = format!("{}@example.com", "a".repeat(250));
    let cases: Vec<(NewUser, Vec<&str>)> = vec![
        (email("not an email"), vec!["email"]),
        (email(&long_email), vec!["email"]),
        (
            NewUser {
                name: Some("x".repeat(256)),
                ..Default::default()
            },
            vec!["name"],
        ),
        (
            NewUser {
                name: Some("Ada\u{0}".into()),
                ..Default::default()
            },
            vec!["name"],
        ),
        (
            NewUser {
                image: Some("ftp://example.com/a.png".into()),
                ..Default::default()
            },
            vec!["image"],
        ),
        (
            NewUser {
                image: Some("/relative.png".into()),
                ..Default::default()
            },
            vec!["image"],
        ),
        (
            NewUser {
                image: Some(format!("https://example.com/{}", "a".repeat(2048))),
                ..Default::default()
            },
            vec!["image"],
        ),
        (
            NewUser {
                name: Some("\n".into()),
                email: Some("@".into()),
                image: Some("x".into()),
                ..Default::default()
            },
            vec!["email", "image", "name"],
        ),
    ];
    for (input, bad_fields) in cases {
        let err = users.create(input).await.unwrap_err();
        assert_eq!(field_names(&err), bad_fields);
    }
    // The limit is 255 characters, not bytes: 255 multi-byte characters pass.
    let only = users
        .create(NewUser {
            name: Some("é".repeat(255)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        db.count_rows("users").await,
        1,
        "only the valid user was written"
    );

    let user = users.get_by_email("").await.unwrap();
    assert_eq!(user, None);
    let bad_patch = UserPatch {
        email: Some(Some("nope".into())),
        ..Default::default()
    };
    assert_eq!(
        field_names(&users.update(only.id, bad_patch).await.unwrap_err()),
        ["email"]
    );
    assert_eq!(
        users.get(only.id).await.unwrap(),
        Some(only),
        "a rejected patch writes nothing"
    );
}

async fn deleting_a_user_removes_their_sessions_and_accounts(db: &TestDb) {
    let (store, _) = store(db).await;
    let ada = store
        .users()
        .create(email("ada@example.com"))
        .await
        .unwrap();
    let bob = store
        .users()
        .create(email("bob@example.com"))
        .await
        .unwrap();
    for (user, account) in [(ada.id, "1"), (bob.id, "2")] {
        store.accounts().link(github(user, account)).await.unwrap();
        store.sessions().create(user).await.unwrap();
        store.sessions().create(user).await.unwrap();
    }

    store.users().delete(ada.id).await.unwrap();
    assert_eq!(store.users().get(ada.id).await.unwrap(), None);
    assert_eq!(store.accounts().list(ada.id).await.unwrap(), vec![]);
    assert_eq!(store.sessions().list(ada.id).await.unwrap(), vec![]);
    assert_eq!(
        store.users().get_by_account("github", "1").await.unwrap(),
        None
    );
    assert_eq!(
        store.accounts().list(bob.id).await.unwrap().len(),
        1,
        "other users are untouched"
    );
    assert_eq!(store.sessions().list(bob.id).await.unwrap().len(), 2);

    assert!(matches!(
        store.users().delete(ada.id).await,
        Err(Error::NotFound)
    ));
    assert_eq!(db.count_rows("users").await, 1);
}

async fn accounts_link_unlink_and_rotate_tokens(db: &TestDb) {
    let (store, clock) = store(db).await;
    let ada = store
        .users()
        .create(email("ada@example.com"))
        .await
        .unwrap();

    let linked = store
        .accounts()
        .link(github(ada.id, "583231"))
        .await
        .unwrap();
    // sha256("github:583231"), computed outside Rust.
    assert_eq!(
        linked.compound_id,
        "4fcc682b4c8e565797dc73dfa62205f731c9a68fbda71ec1f9f86f5fe6051b9f"
    );
    assert_eq!(linked.refresh_token, Some(Secret::from("refresh-1")));
    assert_eq!(
        store
            .users()
            .get_by_account("github", "583231")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(ada.id)
    );
    assert_eq!(
        store
            .users()
            .get_by_account("gitlab", "583231")
            .await
            .unwrap(),
        None
    );

    let twice = store
        .accounts()
        .link(github(ada.id, "583231"))
        .await
        .unwrap_err();
    assert!(
        matches!(twice, Error::Conflict(Conflict::Account)),
        "got {twice:?}"
    );
    let orphan = store
        .accounts()
        .link(github(ada.id + 1000, "other"))
        .await
        .unwrap_err();
    assert!(matches!(orphan, Error::UnknownUser), "got {orphan:?}");
    let bad = NewAccount {
        provider_type: "saml".into(),
        provider_id: String::new(),
        ..github(ada.id, "x")
    };
    assert_eq!(
        field_names(&store.accounts().link(bad).await.unwrap_err()),
        ["provider_id", "provider_type"]
    );
    let long = NewAccount {
        provider_account_id: "9".repeat(256),
        ..github(ada.id, "")
    };
    assert_eq!(
        field_names(&store.accounts().link(long).await.unwrap_err()),
        ["provider_account_id"]
    );
    assert_eq!(
        db.count_rows("accounts").await,
        1,
        "rejected links write nothing"
    );

    store
        .accounts()
        .link(NewAccount {
            provider_id: "google".into(),
            ..github(ada.id, "g-1")
        })
        .await
        .unwrap();
    let listed: Vec<String> = store
        .accounts()
        .list(ada.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.provider_id)
        .collect();
    assert_eq!(listed, ["github", "google"]);

    clock.advance(TimeDelta::hours(1));
    let expires = clock.now() + TimeDelta::hours(8);
    let rotated = OAuthTokens {
        refresh_token: None,
        access_token: Some(Secret::from("access-2")),
        access_token_expires: Some(expires),
    };
    let account = store
        .accounts()
        .update_tokens("github", "583231", rotated)
        .await
        .unwrap();
    assert_eq!(account.refresh_token, None);
    assert_eq!(account.access_token, Some(Secret::from("access-2")));
    assert_eq!(account.access_token_expires, Some(expires));
    assert_eq!(account.updated_at, clock.now());
    let missing = store
        .accounts()
        .update_tokens("github", "nobody", OAuthTokens::default())
        .await;
    assert!(matches!(missing, Err(Error::NotFound)));

    store.accounts().unlink("github", "583231").await.unwrap();
    assert_eq!(
        store
            .users()
            .get_by_account("github", "583231")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store.accounts().unlink("github", "583231").await,
        Err(Error::NotFound)
    ));
    assert_eq!(store.accounts().list(ada.id).await.unwrap().len(), 1);
}

/// A live session as stored, read back through the store.
async fn stored_session(store: &AuthStore, session: &Session) -> Session {
    let live = store.sessions().list(session.user_id).await.unwrap();
    live.into_iter()
        .find(|stored| stored.id == session.id)
        .expect("the session is stored and live")
}

async fn sessions_expire_and_slide_like_next_auth(db: &TestDb) {
    let (store, clock) = store(db).await;
    let ada = store
        .users()
        .create(email("ada@example.com"))
        .await
        .unwrap();
    let max_age = TimeDelta::days(30);

    let session = store.sessions().create(ada.id).await.unwrap();
    assert_eq!(session.expires, clock.now() + max_age);
    assert_ne!(session.session_token, session.access_token);
    let orphan = store.sessions().create(ada.id + 1000).await.unwrap_err();
    assert!(matches!(orphan, Error::UnknownUser), "got {orphan:?}");
    let token = session.session_token.expose().to_owned();

    // Within update_age (24 h) of the last renewal: found, nothing written.
    clock.advance(TimeDelta::hours(23));
    let found = store
        .sessions()
        .get_session_and_user(&token)
        .await
        .unwrap()
        .unwrap();
    assert!(!found.renewed);
    assert_eq!(found.user, ada);
    assert_eq!(found.session.expires, session.expires);
    assert_eq!(
        stored_session(&store, &session).await.updated_at,
        session.updated_at,
        "no write"
    );

    // Past it: the expiry slides to now + max_age, once.
    clock.advance(TimeDelta::hours(1) + TimeDelta::seconds(1));
    let slid = store
        .sessions()
        .get_session_and_user(&token)
        .await
        .unwrap()
        .unwrap();
    assert!(slid.renewed);
    assert_eq!(slid.session.expires, clock.now() + max_age);
    assert_eq!(
        stored_session(&store, &session).await.expires,
        clock.now() + max_age
    );
    let next = store
        .sessions()
        .get_session_and_user(&token)
        .await
        .unwrap()
        .unwrap();
    assert!(!next.renewed, "renewed at most once per update_age");

    // A forced renewal moves it regardless of age.
    clock.advance(TimeDelta::minutes(10));
    let forced = store.sessions().renew(&token).await.unwrap();
    assert_eq!(forced.expires, clock.now() + max_age);
    assert!(matches!(
        store.sessions().renew("unknown").await,
        Err(Error::NotFound)
    ));

    // Expired: never returned. next-auth v3 and v4 beta delete it on that
    // read; next-auth 2.0 beta leaves the row for a purge.
    clock.advance(max_age);
    assert_eq!(
        store.sessions().get_session_and_user(&token).await.unwrap(),
        None
    );
    let kept = i64::from(db.profile == Profile::NextAuthV2Beta);
    assert_eq!(
        db.count_rows("sessions").await,
        kept,
        "reading an expired session deletes it, except on next-auth 2.0 beta"
    );
    assert!(matches!(
        store.sessions().renew(&token).await,
        Err(Error::NotFound)
    ));

    for junk in ["", "x", &"a".repeat(256), "' OR 1=1 --"] {
        assert_eq!(
            store.sessions().get_session_and_user(junk).await.unwrap(),
            None
        );
    }
}

async fn sign_out_and_purge(db: &TestDb) {
    let (store, clock) = store(db).await;
    let ada = store
        .users()
        .create(email("ada@example.com"))
        .await
        .unwrap();
    let bob = store
        .users()
        .create(email("bob@example.com"))
        .await
        .unwrap();
    let first = store.sessions().create(ada.id).await.unwrap();
    clock.advance(TimeDelta::seconds(1));
    let second = store.sessions().create(ada.id).await.unwrap();
    let bobs = store.sessions().create(bob.id).await.unwrap();

    let listed: Vec<i32> = store
        .sessions()
        .list(ada.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, [second.id, first.id], "newest first");

    assert!(
        store
            .sessions()
            .delete(first.session_token.expose())
            .await
            .unwrap()
    );
    assert!(
        !store
            .sessions()
            .delete(first.session_token.expose())
            .await
            .unwrap(),
        "already gone"
    );
    store.sessions().create(ada.id).await.unwrap();
    assert_eq!(store.sessions().delete_all(ada.id).await.unwrap(), 2);
    assert_eq!(
        store
            .sessions()
            .get_session_and_user(second.session_token.expose())
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .sessions()
            .get_session_and_user(bobs.session_token.expose())
            .await
            .unwrap()
            .is_some()
    );

    // More expired rows than one purge batch holds, beside live ones.
    let expired_count = authstore::PURGE_BATCH as usize * 2 + 50;
    // Written as another system would, by column name (the row clocks take
    // their defaults), with an expiry long past in every time type.
    let rows: Vec<String> = (0..expired_count)
        .map(|i| {
            format!(
                "({}, '2001-01-01 00:00:00', 'expired-session-{i}', 'expired-access-{i}')",
                bob.id
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        db.conn
            .execute_unprepared(&format!(
                "INSERT INTO sessions (user_id, expires, session_token, access_token) VALUES {}",
                chunk.join(", ")
            ))
            .await
            .unwrap();
    }
    assert_eq!(
        store.sessions().purge_expired().await.unwrap(),
        expired_count as u64
    );
    assert_eq!(
        db.count_rows("sessions").await,
        1,
        "only bob's live session is left"
    );
    assert_eq!(store.sessions().purge_expired().await.unwrap(), 0);
}

async fn verification_tokens_are_hashed_and_single_use(db: &TestDb) {
    let (store, clock) = store(db).await;
    let verification = store.verification();

    let (request, token) = verification.create(" Ada@Example.com ").await.unwrap();
    assert_eq!(request.identifier, "ada@example.com");
    assert_eq!(request.expires, clock.now() + TimeDelta::hours(24));
    let stored = db
        .strings(&format!(
            "SELECT token AS name FROM {} WHERE id = {}",
            db.verification_table(),
            request.id
        ))
        .await;
    assert_eq!(
        stored,
        [sha256_hex(&format!("{}{SECRET}", token.expose()))],
        "stored as sha256(token + secret)"
    );

    assert_eq!(
        verification
            .consume("ada@example.com", "wrong-token")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        verification
            .consume("bob@example.com", token.expose())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.count_rows(db.verification_table()).await,
        1,
        "misses delete nothing"
    );

    let used = verification
        .consume("ADA@example.com", token.expose())
        .await
        .unwrap();
    assert_eq!(
        used.map(|r| r.id),
        Some(request.id),
        "identifiers are normalised on consume too"
    );
    assert_eq!(
        verification
            .consume("ada@example.com", token.expose())
            .await
            .unwrap(),
        None,
        "single use"
    );

    let (_, late_token) = verification.create("ada@example.com").await.unwrap();
    clock.advance(TimeDelta::hours(24));
    assert_eq!(
        verification
            .consume("ada@example.com", late_token.expose())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.count_rows(db.verification_table()).await,
        0,
        "an expired match is deleted"
    );

    for bad in ["", "   ", &"a".repeat(256)] {
        assert_eq!(
            field_names(&verification.create(bad).await.unwrap_err()),
            ["identifier"]
        );
        // A link that could never have been issued is simply not found.
        assert_eq!(verification.consume(bad, "t").await.unwrap(), None);
    }

    verification.create("old@example.com").await.unwrap();
    verification.create("old2@example.com").await.unwrap();
    clock.advance(TimeDelta::hours(25));
    verification.create("fresh@example.com").await.unwrap();
    assert_eq!(verification.purge_expired().await.unwrap(), 2);
    assert_eq!(db.count_rows(db.verification_table()).await, 1);
}

async fn concurrent_consumes_let_exactly_one_through(db: &TestDb) {
    let (store, _) = store(db).await;
    let (_, token) = store
        .verification()
        .create("race@example.com")
        .await
        .unwrap();
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            let token = token.clone();
            tokio::spawn(async move {
                store
                    .verification()
                    .consume("race@example.com", token.expose())
                    .await
            })
        })
        .collect();
    let mut winners = 0;
    for attempt in attempts {
        if attempt
            .await
            .unwrap()
            .expect("no errors under contention")
            .is_some()
        {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

async fn writes_join_the_callers_transaction(db: &TestDb) {
    let (store, _) = store(db).await;
    let txn = db.conn.begin().await.unwrap();
    let user = store
        .on(&txn)
        .users()
        .create(email("rolled-back@example.com"))
        .await
        .unwrap();
    store.on(&txn).sessions().create(user.id).await.unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(db.count_rows("users").await, 0);
    assert_eq!(db.count_rows("sessions").await, 0);

    let txn = db.conn.begin().await.unwrap();
    let user = store
        .on(&txn)
        .users()
        .create(email("kept@example.com"))
        .await
        .unwrap();
    store.on(&txn).users().delete(user.id).await.unwrap(); // nests as a savepoint
    store
        .on(&txn)
        .users()
        .create(email("kept@example.com"))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let kept = store
        .users()
        .get_by_email("kept@example.com")
        .await
        .unwrap();
    assert!(kept.is_some());
    assert_eq!(db.count_rows("users").await, 1);
}

/// Deleting through authstore also works on a database next-auth created,
/// which has no foreign keys to cascade.
#[tokio::test]
async fn delete_user_without_foreign_keys_postgres() {
    let Some(db) = TestDb::create(Backend::Postgres, "delete_without_fks").await else {
        return;
    };
    db.conn
        .execute_unprepared(include_str!("../fixtures/next-auth-v3-postgres.sql"))
        .await
        .unwrap();
    let store = AuthStore::new(db.conn.clone(), Config::new(SECRET).unwrap());
    let ada = store
        .users()
        .create(email("ada@example.com"))
        .await
        .unwrap();
    store.accounts().link(github(ada.id, "1")).await.unwrap();
    store.sessions().create(ada.id).await.unwrap();
    store.users().delete(ada.id).await.unwrap();
    for table in ["accounts", "sessions", "users"] {
        assert_eq!(db.count_rows(table).await, 0, "{table}");
    }
    db.destroy().await;
}
