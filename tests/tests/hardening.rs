//! The hardening findings, each reproduced on every backend through the
//! library (the HTTP side is in `api-examples/tests/http.rs`). MySQL test
//! databases are created with a case- and accent-insensitive default
//! collation (`authstore_tests::INSENSITIVE_COLLATION`), as most servers'
//! defaults are.

use authstore::entity::{accounts, users, verification_requests};
use authstore::{
    AuthStore, Config, Conflict, Error, NewAccount, NewUser, OAuthTokens, Secret, UserPatch,
};
use authstore_migration::{Migrator, MigratorTrait};
use authstore_tests::{Backend, TestClock, TestDb, backend_tests};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use tokio::task::JoinSet;

backend_tests!(
    a_look_alike_address_never_reaches_another_account,
    one_mailbox_is_one_user,
    times_outside_the_column_are_a_typed_error,
    unlink_matches_the_accounts_own_columns,
    oauth_tokens_have_a_size_limit,
    eight_links_opened_at_once_make_one_user_and_eight_sessions,
    a_failed_sign_in_leaves_the_link_usable,
);

/// One uncaptured line for SECURITY.md.
fn figures(db: &TestDb, line: String) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "figures: {}: {line}", db.backend.name());
}

async fn store(db: &TestDb) -> AuthStore {
    Migrator::up(&db.conn, None).await.unwrap();
    AuthStore::new(db.conn.clone(), Config::new("hardening").unwrap())
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: Some(email.into()),
        ..Default::default()
    }
}

fn validation_codes(result: Result<impl std::fmt::Debug, Error>) -> Vec<(String, String)> {
    match result {
        Err(Error::Validation(errors)) => {
            let mut codes: Vec<_> = errors
                .field_errors()
                .iter()
                .flat_map(|(field, errs)| {
                    errs.iter().map(|e| (field.to_string(), e.code.to_string()))
                })
                .collect();
            codes.sort();
            codes
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// Finding 1: on MySQL's accent-insensitive collations `ada@exämple.com`
/// used to equal `ada@example.com`.
async fn a_look_alike_address_never_reaches_another_account(db: &TestDb) {
    let store = store(db).await;
    let ada = store
        .users()
        .create(new_user("ada@example.com"))
        .await
        .unwrap();
    let look_alikes = [
        "ada@exämple.com",
        "ada@examplé.com",
        "adá@example.com",
        "ada@éxample.com",
        "ADA@EXAMPLE.COM",
    ];
    let mut found_ada = Vec::new();
    for look_alike in look_alikes {
        let found = store.users().get_by_email(look_alike).await.unwrap();
        if found.map(|u| u.id) == Some(ada.id) {
            found_ada.push(look_alike);
        }
    }
    // Only the case-folded spelling is the same mailbox.
    assert_eq!(found_ada, ["ADA@EXAMPLE.COM"]);
    figures(
        db,
        format!(
            "{} spellings of ada@example.com with accents or case looked up: {} found Ada (the upper-case one)",
            look_alikes.len(),
            found_ada.len()
        ),
    );

    // A link made for Ada cannot be used under a look-alike address...
    let (_, token) = store
        .verification()
        .create("ada@example.com")
        .await
        .unwrap();
    let stolen = store
        .sign_in_with_link("ada@exämple.com", token.expose())
        .await
        .unwrap();
    assert!(stolen.is_none());
    // ...and a look-alike's own link signs into a different, new account.
    let (_, other) = store
        .verification()
        .create("ada@exämple.com")
        .await
        .unwrap();
    let signed_in = store
        .sign_in_with_link("ada@exämple.com", other.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(signed_in.new_user);
    assert_ne!(signed_in.user.id, ada.id);
    assert_eq!(signed_in.user.email.as_deref(), Some("ada@exämple.com"));
    // Ada's link still works for Ada.
    let hers = store
        .sign_in_with_link("ada@example.com", token.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hers.user.id, ada.id);

    // Tokens compare exactly too: an upper-cased session token is no token.
    let session = store.sessions().create(ada.id).await.unwrap();
    let upper = session.session_token.expose().to_uppercase();
    assert!(
        store
            .sessions()
            .get_session_and_user(&upper)
            .await
            .unwrap()
            .is_none()
    );
}

/// Finding 4: four spellings of one mailbox used to make four users.
async fn one_mailbox_is_one_user(db: &TestDb) {
    let store = store(db).await;
    let zoe = store
        .users()
        .create(new_user("zoe@café.example"))
        .await
        .unwrap();
    assert_eq!(zoe.email.as_deref(), Some("zoe@café.example"));
    for spelling in [
        "zoe@cafe\u{301}.example",
        "zoe@xn--caf-dma.example",
        "zoe@ｃａｆé.example",
        " ZOE@CAFÉ.example ",
    ] {
        let again = store.users().create(new_user(spelling)).await;
        assert!(
            matches!(again, Err(Error::Conflict(Conflict::Email))),
            "{spelling:?}: {again:?}"
        );
        let found = store.users().get_by_email(spelling).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(zoe.id), "{spelling:?}");
    }
    store
        .users()
        .create(new_user("ada@example.com"))
        .await
        .unwrap();
    for invisible in [
        "ada@example.com\u{feff}",
        "ada@example.com\u{200b}",
        "ada@exam\u{ad}ple.com",
    ] {
        assert_eq!(
            validation_codes(store.users().create(new_user(invisible)).await),
            [("email".to_owned(), "invisible_characters".to_owned())]
        );
        assert_eq!(
            validation_codes(store.verification().create(invisible).await),
            [("identifier".to_owned(), "invisible_characters".to_owned())]
        );
    }
    // Finding 5: what can never receive a link is refused before a row.
    for unusable in [
        "not an email at all",
        "josé@exämple.com",
        "a\r\nb@example.com",
        "x'); DROP TABLE users; --",
    ] {
        assert!(matches!(
            store.verification().create(unusable).await,
            Err(Error::Validation(_))
        ));
    }
    assert_eq!(users::Entity::find().count(&db.conn).await.unwrap(), 2);
    assert_eq!(
        verification_requests::Entity::find()
            .count(&db.conn)
            .await
            .unwrap(),
        0
    );
}

/// Finding 3: MySQL's `timestamp(6)` holds 1970-01-01 00:00:01 to
/// 2038-01-19 03:14:07 UTC; outside it the server used to answer 500.
async fn times_outside_the_column_are_a_typed_error(db: &TestDb) {
    let store = store(db).await;
    let user = store.users().create(NewUser::default()).await.unwrap();
    let at = |y, mo, d| Utc.with_ymd_and_hms(y, mo, d, 0, 0, 0).unwrap();
    let times: [DateTime<Utc>; 5] = [
        at(1960, 1, 1),
        at(1970, 1, 1),
        at(2038, 1, 20),
        at(2040, 1, 1),
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
    ];
    for (n, time) in times.into_iter().enumerate() {
        let account = NewAccount {
            user_id: user.id,
            provider_type: "oauth".into(),
            provider_id: "github".into(),
            provider_account_id: n.to_string(),
            access_token_expires: Some(time),
            ..Default::default()
        };
        let linked = store.accounts().link(account).await;
        let verified = store
            .users()
            .update(
                user.id,
                UserPatch {
                    email_verified: Some(Some(time)),
                    ..Default::default()
                },
            )
            .await;
        if db.backend == Backend::MySql {
            let refused = [(
                "access_token_expires".to_owned(),
                "time_out_of_range".to_owned(),
            )];
            assert_eq!(validation_codes(linked), refused, "{time}");
            let refused = [("email_verified".to_owned(), "time_out_of_range".to_owned())];
            assert_eq!(validation_codes(verified), refused, "{time}");
        } else {
            assert_eq!(linked.unwrap().access_token_expires, Some(time));
            assert_eq!(
                verified.unwrap().email_verified.map(|t| t.to_utc()),
                Some(time)
            );
        }
    }
    let stored = accounts::Entity::find().count(&db.conn).await.unwrap();
    assert_eq!(stored, if db.backend == Backend::MySql { 0 } else { 5 });

    // The edges of MySQL's range are accepted everywhere.
    for (n, edge) in [
        Utc.timestamp_opt(1, 0).unwrap(),
        Utc.timestamp_opt(2_147_483_647, 0).unwrap(),
    ]
    .into_iter()
    .enumerate()
    {
        let account = NewAccount {
            user_id: user.id,
            provider_type: "oauth".into(),
            provider_id: "edge".into(),
            provider_account_id: n.to_string(),
            access_token_expires: Some(edge),
            ..Default::default()
        };
        assert_eq!(
            store
                .accounts()
                .link(account)
                .await
                .unwrap()
                .access_token_expires,
            Some(edge)
        );
    }

    // A session whose expiry the column cannot hold is refused the same way.
    let clock = TestClock::new();
    clock.advance(TimeDelta::days(365 * 10)); // 2040
    let reading = clock.clone();
    let late = AuthStore::new(db.conn.clone(), Config::new("hardening").unwrap())
        .with_clock(move || reading.now());
    let session = late.sessions().create(user.id).await;
    if db.backend == Backend::MySql {
        assert_eq!(
            validation_codes(session),
            [("expires".to_owned(), "time_out_of_range".to_owned())]
        );
    } else {
        session.unwrap();
    }
}

/// Finding 8: `("p", "q:r")` and `("p:q", "r")` share a compound_id.
async fn unlink_matches_the_accounts_own_columns(db: &TestDb) {
    let store = store(db).await;
    let alice = store
        .users()
        .create(new_user("alice@example.com"))
        .await
        .unwrap();
    let bob = store
        .users()
        .create(new_user("bob@example.com"))
        .await
        .unwrap();
    let account = |user_id, provider_id: &str, provider_account_id: &str| NewAccount {
        user_id,
        provider_type: "oauth".into(),
        provider_id: provider_id.into(),
        provider_account_id: provider_account_id.into(),
        ..Default::default()
    };
    store
        .accounts()
        .link(account(alice.id, "p", "q:r"))
        .await
        .unwrap();

    assert!(
        store
            .users()
            .get_by_account("p:q", "r")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store.accounts().unlink("p:q", "r").await,
        Err(Error::NotFound)
    ));
    let rotated = store
        .accounts()
        .update_tokens("p:q", "r", OAuthTokens::default())
        .await;
    assert!(matches!(rotated, Err(Error::NotFound)));
    // The colliding account cannot be linked (the hash is unique), so it
    // can never shadow Alice's.
    let colliding = store.accounts().link(account(bob.id, "p:q", "r")).await;
    assert!(matches!(colliding, Err(Error::Conflict(Conflict::Account))));

    assert_eq!(
        store
            .users()
            .get_by_account("p", "q:r")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(alice.id)
    );
    assert_eq!(store.accounts().list(alice.id).await.unwrap().len(), 1);
    store.accounts().unlink("p", "q:r").await.unwrap();
    assert!(store.accounts().list(alice.id).await.unwrap().is_empty());
}

/// Finding 9: a 1,000,000-character access token used to be stored.
async fn oauth_tokens_have_a_size_limit(db: &TestDb) {
    let store = store(db).await;
    let user = store.users().create(NewUser::default()).await.unwrap();
    let with_token = |token: String| NewAccount {
        user_id: user.id,
        provider_type: "oauth".into(),
        provider_id: "azure".into(),
        provider_account_id: "1".into(),
        access_token: Some(Secret::from(token)),
        ..Default::default()
    };
    let huge = store
        .accounts()
        .link(with_token("t".repeat(1_000_000)))
        .await;
    assert_eq!(
        validation_codes(huge),
        [("access_token".to_owned(), "length".to_owned())]
    );
    assert_eq!(accounts::Entity::find().count(&db.conn).await.unwrap(), 0);
    let largest = "j".repeat(16 * 1024);
    let linked = store
        .accounts()
        .link(with_token(largest.clone()))
        .await
        .unwrap();
    assert_eq!(
        linked.access_token.map(|t| t.expose().len()),
        Some(largest.len())
    );
    let rotated = OAuthTokens {
        refresh_token: Some(Secret::from("r\0")),
        ..Default::default()
    };
    let refused = store.accounts().update_tokens("azure", "1", rotated).await;
    assert_eq!(
        validation_codes(refused),
        [("refresh_token".to_owned(), "control_characters".to_owned())]
    );
}

/// Finding 11: links opened at once for one new address used to burn some
/// links with a 409.
async fn eight_links_opened_at_once_make_one_user_and_eight_sessions(db: &TestDb) {
    let store = store(db).await;
    let mut tokens = Vec::new();
    for _ in 0..8 {
        tokens.push(
            store
                .verification()
                .create("new@example.com")
                .await
                .unwrap()
                .1,
        );
    }
    let mut opened = JoinSet::new();
    for token in tokens {
        let store = store.clone();
        opened.spawn(async move {
            store
                .sign_in_with_link("new@example.com", token.expose())
                .await
        });
    }
    let results = opened.join_all().await;
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let signed_in: Vec<_> = results
        .into_iter()
        .map(|r| r.unwrap().expect("every link is valid"))
        .collect();
    assert_eq!(signed_in.iter().filter(|s| s.new_user).count(), 1);
    let user_id = signed_in[0].user.id;
    assert!(signed_in.iter().all(|s| s.user.id == user_id));
    assert_eq!(users::Entity::find().count(&db.conn).await.unwrap(), 1);
    assert_eq!(store.sessions().list(user_id).await.unwrap().len(), 8);
    assert_eq!(
        verification_requests::Entity::find()
            .count(&db.conn)
            .await
            .unwrap(),
        0
    );
}

/// A sign-in that fails half-way changes nothing: the link still works.
async fn a_failed_sign_in_leaves_the_link_usable(db: &TestDb) {
    let store = store(db).await;
    let (_, token) = store
        .verification()
        .create("ada@example.com")
        .await
        .unwrap();
    db.conn
        .execute_unprepared("ALTER TABLE sessions RENAME TO sessions_away")
        .await
        .unwrap();
    let failed = store
        .sign_in_with_link("ada@example.com", token.expose())
        .await;
    assert!(matches!(failed, Err(Error::Database(_))), "{failed:?}");
    db.conn
        .execute_unprepared("ALTER TABLE sessions_away RENAME TO sessions")
        .await
        .unwrap();
    assert_eq!(users::Entity::find().count(&db.conn).await.unwrap(), 0);
    let signed_in = store
        .sign_in_with_link("ada@example.com", token.expose())
        .await
        .unwrap();
    assert!(signed_in.is_some_and(|s| s.new_user));
}

/// The first migration alone: the tables as next-auth v3 made them on MySQL
/// (same types), before the exact-comparison migration.
struct NextAuthTablesOnly;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for NextAuthTablesOnly {
    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        let mut first = authstore_migration::migrations();
        first.truncate(1);
        first
    }
}

/// Adopting a MySQL database next-auth created fixes the collation of the
/// compared columns too (the tables took the database's insensitive default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adopting_a_mysql_next_auth_database_makes_comparison_exact() {
    authstore_tests::run(Backend::MySql, "adopt_mysql_collation", async |db: &TestDb| {
        NextAuthTablesOnly::up(&db.conn, None).await.unwrap();
        // What next-auth leaves: no migration ledger, no foreign keys, no extra index.
        for statement in [
            "DROP TABLE seaql_migrations",
            "ALTER TABLE accounts DROP FOREIGN KEY fk_accounts_user_id",
            "ALTER TABLE sessions DROP FOREIGN KEY fk_sessions_user_id",
            "DROP INDEX sessions_user_id ON sessions",
            "INSERT INTO users (email) VALUES ('alice@example.com')",
        ] {
            db.conn.execute_unprepared(statement).await.unwrap();
        }
        let collation = |column: &'static str| async move {
            let sql = format!(
                "SELECT collation_name AS name FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = 'users' AND column_name = '{column}'"
            );
            db.strings(&sql).await
        };
        assert_eq!(collation("email").await, [authstore_tests::INSENSITIVE_COLLATION]);

        Migrator::up(&db.conn, None).await.unwrap();
        assert_eq!(collation("email").await, ["utf8mb4_bin"]);
        assert_eq!(collation("name").await, [authstore_tests::INSENSITIVE_COLLATION], "only compared columns change");
        let store = AuthStore::new(db.conn.clone(), Config::new("hardening").unwrap());
        assert!(store.users().get_by_email("alice@exämple.com").await.unwrap().is_none());
        let alice = store.users().get_by_email("alice@example.com").await.unwrap().unwrap();
        assert_eq!(alice.email.as_deref(), Some("alice@example.com"), "the row is unchanged");
    })
    .await;
}
