//! Unit tests on SeaORM's MockDatabase: the statements each method sends,
//! how many, that invalid input sends none, and how database errors map to
//! typed errors. (Behaviour on real databases is in `tests/tests/service.rs`.)

use authstore::entity::{sessions, users, verification_requests};
use authstore::{AuthStore, Config, Error, NewAccount, NewUser, OAuthTokens, Secret, UserPatch};
use chrono::{DateTime, FixedOffset, TimeDelta, TimeZone, Utc};
use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr, MockDatabase, MockExecResult};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap()
}

fn at(offset: TimeDelta) -> DateTime<FixedOffset> {
    (now() + offset).fixed_offset()
}

fn store(db: MockDatabase) -> AuthStore {
    AuthStore::new(db.into_connection(), Config::new("mock-secret").unwrap()).with_clock(now)
}

/// Every statement the store sent, in order.
fn sent(store: &AuthStore) -> Vec<String> {
    let conn: DatabaseConnection = store.connection().clone();
    conn.into_transaction_log()
        .iter()
        .flat_map(|txn| txn.statements().iter().map(|stmt| stmt.sql.clone()))
        .collect()
}

/// Every statement the store sent, which must be `count`.
fn sent_count(store: &AuthStore, count: usize) -> Vec<String> {
    let sql = sent(store);
    assert_eq!(sql.len(), count, "{sql:?}");
    sql
}

/// Asserts that `statement` opens with `opening`.
fn opens(statement: &str, opening: &str) {
    assert!(statement.starts_with(opening), "{statement}");
}

/// Asserts that `statement` holds `fragment`.
fn holds(statement: &str, fragment: &str) {
    assert!(statement.contains(fragment), "{statement}");
}

/// The per-request lookup of the token the mock sessions carry.
async fn look_up(store: &AuthStore) -> Option<authstore::SessionAndUser> {
    store
        .sessions()
        .get_session_and_user(&"a".repeat(64))
        .await
        .unwrap()
}

fn user(id: i32) -> users::Model {
    users::Model {
        id,
        name: None,
        email: Some("ada@example.com".into()),
        email_verified: None,
        image: None,
        created_at: at(TimeDelta::zero()),
        updated_at: at(TimeDelta::zero()),
    }
}

fn session(expires_in: TimeDelta) -> sessions::Model {
    sessions::Model {
        id: 7,
        user_id: 1,
        expires: at(expires_in),
        session_token: "a".repeat(64),
        access_token: "b".repeat(64),
        created_at: at(TimeDelta::zero()),
        updated_at: at(TimeDelta::zero()),
    }
}

fn affected(rows: u64) -> MockExecResult {
    MockExecResult {
        last_insert_id: 0,
        rows_affected: rows,
    }
}

#[tokio::test]
async fn a_fresh_session_read_is_one_join_and_writes_nothing() {
    let db = MockDatabase::new(DatabaseBackend::Postgres)
        .append_query_results([vec![(session(TimeDelta::days(30)), user(1))]]);
    let store = store(db);

    let found = look_up(&store).await.unwrap();
    assert!(!found.renewed);
    assert_eq!(found.user.id, 1);

    let sql = sent(&store);
    assert_eq!(sql.len(), 1, "exactly one statement: {sql:?}");
    opens(&sql[0], "SELECT");
    holds(&sql[0], r#"INNER JOIN "users""#);
    holds(&sql[0], r#"WHERE "sessions"."session_token" = $1"#);
}

#[tokio::test]
async fn a_session_due_for_renewal_costs_one_update() {
    // 29 days left of 30: a day has passed since the last renewal.
    let db = MockDatabase::new(DatabaseBackend::Postgres)
        .append_query_results([vec![(
            session(TimeDelta::days(29) - TimeDelta::seconds(1)),
            user(1),
        )]])
        .append_exec_results([affected(1)]);
    let store = store(db);

    let found = look_up(&store).await.unwrap();
    assert!(found.renewed);
    assert_eq!(found.session.expires, now() + TimeDelta::days(30));

    let sql = sent_count(&store, 2);
    opens(&sql[1], r#"UPDATE "sessions" SET "expires" = $1"#);
    assert!(
        sql[1].contains(r#""expires" < $"#),
        "the expiry never moves backwards: {}",
        sql[1]
    );
}

#[tokio::test]
async fn an_expired_session_is_deleted_not_returned() {
    let db = MockDatabase::new(DatabaseBackend::Postgres)
        .append_query_results([vec![(session(-TimeDelta::seconds(1)), user(1))]])
        .append_exec_results([affected(1)]);
    let store = store(db);

    assert_eq!(look_up(&store).await, None);
    let sql = sent_count(&store, 2);
    assert!(
        sql[1].starts_with(
            r#"DELETE FROM "sessions" WHERE "session_token" = $1 AND "expires" <= $2"#
        ),
        "{}",
        sql[1]
    );
}

#[tokio::test]
async fn an_impossible_token_is_answered_without_a_query() {
    let store = store(MockDatabase::new(DatabaseBackend::Postgres));
    assert_eq!(
        store.sessions().get_session_and_user("").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .sessions()
            .get_session_and_user(&"x".repeat(256))
            .await
            .unwrap(),
        None
    );
    assert_eq!(sent(&store), Vec::<String>::new());
}

#[tokio::test]
async fn get_by_account_is_one_join_on_compound_id() {
    let db = MockDatabase::new(DatabaseBackend::Postgres).append_query_results([vec![user(1)]]);
    let store = store(db);

    assert_eq!(
        store
            .users()
            .get_by_account("github", "583231")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(1)
    );
    let conn: DatabaseConnection = store.connection().clone();
    let log = conn.into_transaction_log();
    assert_eq!(log.len(), 1);
    let stmt = &log[0].statements()[0];
    holds(&stmt.sql, r#"INNER JOIN "accounts""#);
    holds(&stmt.sql, r#""accounts"."compound_id" = $1"#);
    let compound_id = "4fcc682b4c8e565797dc73dfa62205f731c9a68fbda71ec1f9f86f5fe6051b9f";
    assert!(
        format!("{:?}", stmt.values).contains(compound_id),
        "bound sha256(\"github:583231\")"
    );
}

#[tokio::test]
async fn consume_is_one_delete_returning_where_supported() {
    let row = verification_requests::Model {
        id: 3,
        identifier: "ada@example.com".into(),
        token: "hash".into(),
        expires: at(TimeDelta::hours(1)),
        created_at: at(TimeDelta::zero()),
        updated_at: at(TimeDelta::zero()),
    };
    let db = MockDatabase::new(DatabaseBackend::Postgres).append_query_results([vec![row.clone()]]);
    let store = store(db);
    assert!(
        store
            .verification()
            .consume("ada@example.com", "token")
            .await
            .unwrap()
            .is_some()
    );
    let sql = sent_count(&store, 1);
    opens(&sql[0], r#"DELETE FROM "verification_requests""#);
    holds(&sql[0], "RETURNING");

    // MySQL has no RETURNING: read, then delete with the same filter; the
    // caller whose DELETE removed the row is the one that gets it.
    let db = MockDatabase::new(DatabaseBackend::MySql)
        .append_query_results([vec![row.clone()]])
        .append_exec_results([affected(0)]);
    let store = self::store(db);
    assert_eq!(
        store
            .verification()
            .consume("ada@example.com", "token")
            .await
            .unwrap(),
        None,
        "lost the race"
    );
    let sql = sent_count(&store, 2);
    assert!(
        sql[0].starts_with("SELECT") && sql[1].starts_with("DELETE"),
        "{sql:?}"
    );
}

#[tokio::test]
async fn invalid_input_sends_no_statement() {
    let store = store(MockDatabase::new(DatabaseBackend::Postgres));
    let bad_user = NewUser {
        email: Some("not-an-email".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.users().create(bad_user).await,
        Err(Error::Validation(_))
    ));
    let bad_patch = UserPatch {
        image: Some(Some("javascript:alert(1)".into())),
        ..Default::default()
    };
    assert!(matches!(
        store.users().update(1, bad_patch).await,
        Err(Error::Validation(_))
    ));
    let bad_account = NewAccount {
        user_id: 1,
        provider_type: "oauth".into(),
        ..Default::default()
    };
    assert!(matches!(
        store.accounts().link(bad_account).await,
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        store.verification().create(" ").await,
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        store
            .verification()
            .create("victim@example.com\r\nBcc: x@evil.com")
            .await,
        Err(Error::Validation(_))
    ));
    let huge_token = NewAccount {
        user_id: 1,
        provider_type: "oauth".into(),
        provider_id: "github".into(),
        provider_account_id: "1".into(),
        access_token: Some(Secret::from("t".repeat(1_000_000))),
        ..Default::default()
    };
    assert!(matches!(
        store.accounts().link(huge_token).await,
        Err(Error::Validation(_))
    ));
    let nul_tokens = OAuthTokens {
        refresh_token: Some(Secret::from("a\0b")),
        ..Default::default()
    };
    assert!(matches!(
        store
            .accounts()
            .update_tokens("github", "1", nul_tokens)
            .await,
        Err(Error::Validation(_))
    ));
    assert_eq!(sent(&store), Vec::<String>::new());
}

/// A lookup with a key that could never have been stored is "not found",
/// and costs no statement (on PostgreSQL a NUL would even be a database
/// error).
#[tokio::test]
async fn impossible_lookups_send_no_statement() {
    let store = store(MockDatabase::new(DatabaseBackend::Postgres));
    for token in ["", "nul\0", "crlf\r\n", "é", &"a".repeat(256)] {
        assert!(
            store
                .sessions()
                .get_session_and_user(token)
                .await
                .unwrap()
                .is_none()
        );
        assert!(!store.sessions().delete(token).await.unwrap());
        assert!(matches!(
            store.sessions().renew(token).await,
            Err(Error::NotFound)
        ));
        assert!(
            store
                .verification()
                .consume("ada@example.com", token)
                .await
                .unwrap()
                .is_none()
        );
    }
    for email in [
        "",
        "nul\0@example.com",
        "ada@example.com\u{200b}",
        "no address",
    ] {
        assert!(store.users().get_by_email(email).await.unwrap().is_none());
        assert!(
            store
                .verification()
                .consume(email, &"a".repeat(64))
                .await
                .unwrap()
                .is_none()
        );
    }
    for (provider, account) in [("git\0hub", "1"), ("github", ""), ("github", "1\r\n")] {
        assert!(
            store
                .users()
                .get_by_account(provider, account)
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            store.accounts().unlink(provider, account).await,
            Err(Error::NotFound)
        ));
        let accounts = store.accounts();
        let rotated = accounts.update_tokens(provider, account, OAuthTokens::default());
        assert!(matches!(rotated.await, Err(Error::NotFound)));
    }
    assert_eq!(sent(&store), Vec::<String>::new());
}

#[tokio::test]
async fn delete_user_runs_three_deletes_in_one_transaction() {
    let db = MockDatabase::new(DatabaseBackend::Postgres).append_exec_results([
        affected(2),
        affected(1),
        affected(1),
    ]);
    let store = store(db);
    store.users().delete(1).await.unwrap();
    let conn: DatabaseConnection = store.connection().clone();
    let log = conn.into_transaction_log();
    assert_eq!(log.len(), 1, "one transaction");
    let sql: Vec<&str> = log[0].statements().iter().map(|s| s.sql.as_str()).collect();
    assert_eq!(sql.first(), Some(&"BEGIN"));
    assert_eq!(sql.last(), Some(&"COMMIT"));
    let deletes: Vec<&&str> = sql.iter().filter(|s| s.starts_with("DELETE")).collect();
    assert_eq!(deletes.len(), 3);
    assert!(
        deletes[0].contains(r#""sessions""#)
            && deletes[1].contains(r#""accounts""#)
            && deletes[2].contains(r#""users""#)
    );
}

#[tokio::test]
async fn deleting_a_missing_user_rolls_back_and_says_not_found() {
    let db = MockDatabase::new(DatabaseBackend::Postgres).append_exec_results([
        affected(0),
        affected(0),
        affected(0),
    ]);
    let store = store(db);
    assert!(matches!(
        store.users().delete(1).await,
        Err(Error::NotFound)
    ));
    let sql = sent(&store);
    assert_eq!(sql.last().map(String::as_str), Some("ROLLBACK"), "{sql:?}");
}

#[tokio::test]
async fn database_errors_map_to_typed_errors() {
    // An UPDATE … RETURNING that matches no row.
    let db = MockDatabase::new(DatabaseBackend::Postgres)
        .append_query_results([Vec::<users::Model>::new()]);
    let store = store(db);
    let missing = store
        .users()
        .update(
            1,
            UserPatch {
                name: Some(None),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(missing, Err(Error::NotFound)), "got {missing:?}");

    // Anything unclassified stays a database error, with a message that
    // does not echo the driver's text.
    let db = MockDatabase::new(DatabaseBackend::Postgres)
        .append_query_errors([DbErr::Custom("connection reset".into())]);
    let store = self::store(db);
    let err = store.users().get(1).await.unwrap_err();
    assert!(matches!(err, Error::Database(_)), "got {err:?}");
    assert_eq!(err.to_string(), "database error");
}

#[tokio::test]
async fn purge_deletes_in_bounded_batches_until_a_short_one() {
    let batch = authstore::PURGE_BATCH;
    let db = MockDatabase::new(DatabaseBackend::Postgres).append_exec_results([
        affected(batch),
        affected(batch),
        affected(3),
    ]);
    let store = store(db);
    assert_eq!(
        store.sessions().purge_expired().await.unwrap(),
        batch * 2 + 3
    );
    let sql = sent(&store);
    assert_eq!(sql.len(), 3);
    assert!(
        sql[0].contains(&format!("LIMIT {batch}")) || sql[0].contains("LIMIT $"),
        "{}",
        sql[0]
    );
    assert!(
        sql[0].contains("IN (SELECT"),
        "PostgreSQL deletes by id subquery: {}",
        sql[0]
    );

    let db = MockDatabase::new(DatabaseBackend::MySql).append_exec_results([affected(0)]);
    let store = self::store(db);
    assert_eq!(store.sessions().purge_expired().await.unwrap(), 0);
    let sql = sent(&store);
    assert_eq!(
        sql[0], "DELETE FROM `sessions` WHERE `expires` <= ? LIMIT ?",
        "MySQL uses DELETE … LIMIT"
    );
}

#[test]
fn secrets_never_show_in_debug_output() {
    let config = Config::new("super-secret-value").unwrap();
    assert!(!format!("{config:?}").contains("super-secret-value"));
    let s = authstore::Session {
        id: 1,
        user_id: 1,
        expires: now(),
        session_token: authstore::Secret::from("a".repeat(64)),
        access_token: authstore::Secret::from("b".repeat(64)),
        created_at: now(),
        updated_at: now(),
    };
    let printed = format!("{s:?}");
    assert!(
        !printed.contains(&"a".repeat(64)) && !printed.contains(&"b".repeat(64)),
        "{printed}"
    );
    assert!(printed.contains("[redacted]"));
}

#[tokio::test]
async fn forced_renewal_is_one_update_returning() {
    let renewed = sessions::Model {
        expires: at(TimeDelta::days(30)),
        ..session(TimeDelta::days(3))
    };
    let db = MockDatabase::new(DatabaseBackend::Postgres).append_query_results([vec![renewed]]);
    let store = store(db);
    let session = store.sessions().renew(&"a".repeat(64)).await.unwrap();
    assert_eq!(session.expires, now() + TimeDelta::days(30));
    let sql = sent_count(&store, 1);
    opens(&sql[0], r#"UPDATE "sessions" SET "expires" = $1"#);
    holds(&sql[0], "RETURNING");
}

/// Runs `call` on a store over `db` and checks the statements it sent, in
/// order, by their opening text.
async fn sends(db: MockDatabase, call: impl AsyncFnOnce(&AuthStore), expected: &[&str]) {
    let store = store(db);
    call(&store).await;
    let sql = sent(&store);
    assert_eq!(sql.len(), expected.len(), "statements sent: {sql:?}");
    for (statement, opening) in sql.iter().zip(expected) {
        assert!(
            statement.starts_with(opening),
            "expected `{opening}…`, sent `{statement}`"
        );
    }
}

fn account_row() -> authstore::entity::accounts::Model {
    authstore::entity::accounts::Model {
        id: 1,
        compound_id: "c".into(),
        user_id: 1,
        provider_type: "oauth".into(),
        provider_id: "github".into(),
        provider_account_id: "1".into(),
        refresh_token: None,
        access_token: None,
        access_token_expires: None,
        created_at: at(TimeDelta::zero()),
        updated_at: at(TimeDelta::zero()),
    }
}

fn request_row() -> verification_requests::Model {
    verification_requests::Model {
        id: 1,
        identifier: "ada@example.com".into(),
        token: "hash".into(),
        expires: at(TimeDelta::hours(1)),
        created_at: at(TimeDelta::zero()),
        updated_at: at(TimeDelta::zero()),
    }
}

#[tokio::test]
async fn every_other_method_sends_one_statement_per_step() {
    let pg = || MockDatabase::new(DatabaseBackend::Postgres);
    let new_user = || NewUser {
        email: Some(" Ada@Example.com ".into()),
        ..Default::default()
    };
    sends(
        pg().append_query_results([vec![user(1)]]),
        async |s| {
            s.users().create(new_user()).await.unwrap();
        },
        &[r#"INSERT INTO "users""#],
    )
    .await;
    sends(
        pg().append_query_results([vec![user(1)]]),
        async |s| {
            s.users().get(1).await.unwrap();
        },
        &[r#"SELECT "id", "name", "email""#],
    )
    .await;
    sends(
        pg().append_query_results([vec![user(1)]]),
        async |s| {
            s.users().get_by_email("ADA@example.com").await.unwrap();
        },
        &["SELECT"],
    )
    .await;
    let patch = || UserPatch {
        name: Some(Some("Ada".into())),
        ..Default::default()
    };
    sends(
        pg().append_query_results([vec![user(1)]]),
        async |s| {
            s.users().update(1, patch()).await.unwrap();
        },
        &[r#"UPDATE "users" SET"#],
    )
    .await;

    let link = || NewAccount {
        user_id: 1,
        provider_type: "oauth".into(),
        provider_id: "github".into(),
        provider_account_id: "1".into(),
        ..Default::default()
    };
    sends(
        pg().append_query_results([vec![account_row()]]),
        async |s| {
            s.accounts().link(link()).await.unwrap();
        },
        &[r#"INSERT INTO "accounts""#],
    )
    .await;
    sends(
        pg().append_exec_results([affected(1)]),
        async |s| {
            s.accounts().unlink("github", "1").await.unwrap();
        },
        &[r#"DELETE FROM "accounts" WHERE "compound_id" = $1"#],
    )
    .await;
    sends(
        pg().append_exec_results([affected(0)]),
        async |s| {
            assert!(matches!(
                s.accounts().unlink("github", "1").await,
                Err(Error::NotFound)
            ));
        },
        &[r#"DELETE FROM "accounts""#],
    )
    .await;
    sends(
        pg().append_query_results([vec![account_row()]]),
        async |s| {
            assert_eq!(s.accounts().list(1).await.unwrap().len(), 1);
        },
        &["SELECT"],
    )
    .await;
    sends(
        pg().append_exec_results([affected(1)])
            .append_query_results([vec![account_row()]]),
        async |s| {
            s.accounts()
                .update_tokens("github", "1", authstore::OAuthTokens::default())
                .await
                .unwrap();
        },
        &[r#"UPDATE "accounts" SET "refresh_token" = $1"#, "SELECT"],
    )
    .await;

    sends(
        pg().append_query_results([vec![session(TimeDelta::days(30))]]),
        async |s| {
            s.sessions().create(1).await.unwrap();
        },
        &[r#"INSERT INTO "sessions""#],
    )
    .await;
    sends(
        pg().append_exec_results([affected(1)]),
        async |s| {
            assert!(s.sessions().delete("t").await.unwrap());
        },
        &[r#"DELETE FROM "sessions" WHERE "session_token" = $1"#],
    )
    .await;
    sends(
        pg().append_exec_results([affected(3)]),
        async |s| {
            assert_eq!(s.sessions().delete_all(1).await.unwrap(), 3);
        },
        &[r#"DELETE FROM "sessions" WHERE "user_id" = $1"#],
    )
    .await;
    sends(
        pg().append_query_results([vec![session(TimeDelta::days(1))]]),
        async |s| {
            assert_eq!(s.sessions().list(1).await.unwrap().len(), 1);
        },
        &["SELECT"],
    )
    .await;
    sends(
        pg().append_exec_results([affected(1)]),
        async |s| {
            s.sessions().revoke(1, 7).await.unwrap();
        },
        &[r#"DELETE FROM "sessions" WHERE "id" = $1 AND "user_id" = $2"#],
    )
    .await;

    sends(
        pg().append_query_results([vec![request_row()]]),
        async |s| {
            s.verification().create("ada@example.com").await.unwrap();
        },
        &[r#"INSERT INTO "verification_requests""#],
    )
    .await;
    sends(
        pg().append_exec_results([affected(2)]),
        async |s| {
            assert_eq!(s.verification().purge_expired().await.unwrap(), 2);
        },
        &[r#"DELETE FROM "verification_requests" WHERE "id" IN (SELECT"#],
    )
    .await;
}

/// Each profile's statements name its own tables and columns, and the
/// per-request lookups are one statement on every profile.
#[tokio::test]
async fn every_profile_speaks_its_own_names_in_one_statement_per_lookup() {
    use authstore::Profile;
    let profiles = [
        (
            Profile::NextAuthV3,
            "verification_requests",
            "identifier",
            "created_at",
            "provider_id",
        ),
        (
            Profile::NextAuthV4Beta,
            "verification_tokens",
            "identifier",
            "created_at",
            "provider",
        ),
        (
            Profile::NextAuthV2Beta,
            "verification_requests",
            "identifer",
            "created",
            "provider_id",
        ),
    ];
    for (profile, table, identifier, created, provider) in profiles {
        let nothing = || Vec::<users::Model>::new();
        let db = MockDatabase::new(DatabaseBackend::Postgres).append_query_results([
            nothing(),
            nothing(),
            nothing(),
        ]);
        let config = Config::builder("mock-secret")
            .profile(profile)
            .build()
            .unwrap();
        let store = AuthStore::new(db.into_connection(), config).with_clock(now);
        let token = "a".repeat(64);
        let sessions = store.sessions();
        assert!(
            sessions
                .get_session_and_user(&token)
                .await
                .unwrap()
                .is_none()
        );
        let verification = store.verification();
        assert!(
            verification
                .consume("ada@example.com", &token)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .users()
                .get_by_account("github", "1")
                .await
                .unwrap()
                .is_none()
        );

        let sql = sent(&store);
        assert_eq!(sql.len(), 3, "{profile}: {sql:?}");
        let lookup_clock = format!(r#""sessions"."{created}" AS "A_{created}""#);
        assert!(sql[0].contains(&lookup_clock), "{profile}: {}", sql[0]);
        let consume =
            format!(r#"DELETE FROM "{table}" WHERE "{identifier}" = $1 AND "token" = $2"#);
        assert!(sql[1].starts_with(&consume), "{profile}: {}", sql[1]);
        let by_account = format!(r#""accounts"."{provider}" = $2"#);
        assert!(sql[2].contains(&by_account), "{profile}: {}", sql[2]);
    }
}

/// next-auth-v2-beta's wall-clock columns are read, and written, in the
/// configured zone.
#[tokio::test]
async fn wall_clock_rows_are_instants_in_the_configured_zone() {
    use authstore::entity::next_auth_v2_beta::users as v2_users;
    use authstore::{Profile, Tz};
    // 08:30 on a June day in St John's (NDT, UTC−2:30) is 11:00 UTC.
    let wall_clock = chrono::NaiveDate::from_ymd_opt(2030, 6, 1)
        .unwrap()
        .and_hms_opt(8, 30, 0)
        .unwrap();
    let row = v2_users::Model {
        id: 1,
        name: None,
        email: None,
        email_verified: Some(wall_clock),
        image: None,
        created: wall_clock,
        updated: wall_clock,
    };
    let db = MockDatabase::new(DatabaseBackend::Postgres).append_query_results([vec![row]]);
    let zone: Tz = "America/St_Johns".parse().unwrap();
    let config = Config::builder("mock-secret")
        .profile(Profile::NextAuthV2Beta)
        .wall_clock_zone(zone)
        .build()
        .unwrap();
    let store = AuthStore::new(db.into_connection(), config).with_clock(now);
    let user = store.users().get(1).await.unwrap().unwrap();
    let instant = Utc.with_ymd_and_hms(2030, 6, 1, 11, 0, 0).unwrap();
    assert_eq!(
        (user.created_at, user.email_verified),
        (instant, Some(instant))
    );

    // Writing: the clock's now (12:00 UTC) is bound as 09:30 wall-clock time.
    let db = MockDatabase::new(DatabaseBackend::Postgres).append_query_results([vec![
        v2_users::Model {
            id: 2,
            ..row_at(wall_clock)
        },
    ]]);
    let config = Config::builder("mock-secret")
        .profile(Profile::NextAuthV2Beta)
        .wall_clock_zone(zone)
        .build()
        .unwrap();
    let store = AuthStore::new(db.into_connection(), config).with_clock(now);
    store.users().create(NewUser::default()).await.unwrap();
    let conn: DatabaseConnection = store.connection().clone();
    let insert = conn.into_transaction_log()[0].statements()[0].clone();
    let expected = chrono::NaiveDate::from_ymd_opt(2030, 6, 1)
        .unwrap()
        .and_hms_opt(9, 30, 0)
        .unwrap();
    let values = insert.values.expect("bound values").0;
    assert!(
        values.contains(&sea_orm::Value::from(expected)),
        "created is bound as St John's wall-clock time: {values:?}"
    );
}

fn row_at(wall_clock: chrono::NaiveDateTime) -> authstore::entity::next_auth_v2_beta::users::Model {
    authstore::entity::next_auth_v2_beta::users::Model {
        id: 1,
        name: None,
        email: None,
        email_verified: None,
        image: None,
        created: wall_clock,
        updated: wall_clock,
    }
}

/// `lucia-v3`: validating a session is one `SELECT … LEFT JOIN` on Lucia's
/// tables, naming Lucia's columns only; a live session in its first half
/// writes nothing.
#[tokio::test]
async fn lucia_validation_is_one_statement_naming_lucias_columns() {
    use authstore::lucia_v3::{LuciaConfig, LuciaStore};
    use sea_orm::Value;
    use std::collections::BTreeMap;
    let row = BTreeMap::from([
        ("id".to_owned(), Value::from("a".repeat(40))),
        (
            "expires_at".to_owned(),
            Value::from(at(TimeDelta::days(29))),
        ),
        ("user_id".to_owned(), Value::from("ada")),
        ("found_user_id".to_owned(), Value::from("ada")),
    ]);
    let db = MockDatabase::new(DatabaseBackend::Postgres).append_query_results([vec![row]]);
    let lucia = LuciaStore::new(db.into_connection(), LuciaConfig::default()).with_clock(now);
    let valid = lucia
        .validate_session(&"a".repeat(40))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(valid.user.id, "ada");
    assert!(!valid.session.fresh);
    let conn: DatabaseConnection = lucia.connection().clone();
    let sql: Vec<String> = conn
        .into_transaction_log()
        .iter()
        .flat_map(|txn| txn.statements().iter().map(|stmt| stmt.sql.clone()))
        .collect();
    assert_eq!(
        sql,
        [
            r#"SELECT "user_session"."id", "user_session"."expires_at", "user_session"."user_id", "auth_user"."id" AS "found_user_id" FROM "user_session" LEFT JOIN "auth_user" ON "auth_user"."id" = "user_session"."user_id" WHERE "user_session"."id" = $1"#
        ]
    );
}

/// `lucia-v1`: validating an active session is one `SELECT … LEFT JOIN` on
/// lucia-auth v1's tables with millisecond expiries; an idle one makes a new
/// session (an `INSERT`, then the user's dead sessions are deleted) and the
/// old row is left alone.
#[tokio::test]
async fn lucia_v1_validation_reads_once_and_renews_an_idle_session_with_a_new_one() {
    use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store, SessionState};
    use sea_orm::{MockExecResult, Value};
    use std::collections::BTreeMap;
    let id = "A".repeat(40);
    let row = |active: TimeDelta| {
        BTreeMap::from([
            ("id".to_owned(), Value::from(id.clone())),
            ("user_id".to_owned(), Value::from("ada")),
            (
                "active_expires".to_owned(),
                Value::from(at(active).timestamp_millis()),
            ),
            (
                "idle_expires".to_owned(),
                Value::from(at(active + TimeDelta::days(14)).timestamp_millis()),
            ),
            ("found_user_id".to_owned(), Value::from("ada")),
        ])
    };
    let written = MockExecResult {
        last_insert_id: 0,
        rows_affected: 1,
    };
    let db = MockDatabase::new(DatabaseBackend::Postgres)
        .append_query_results([
            vec![row(TimeDelta::hours(1))],
            vec![row(-TimeDelta::hours(1))],
        ])
        .append_exec_results([written.clone(), written]);
    let lucia = LuciaV1Store::new(db.into_connection(), LuciaV1Config::default()).with_clock(now);

    let active = lucia.validate_session(&id).await.unwrap().unwrap();
    assert_eq!(
        (active.session.id.expose(), active.session.fresh),
        (id.as_str(), false)
    );
    let renewed = lucia.validate_session(&id).await.unwrap().unwrap();
    assert_ne!(renewed.session.id.expose(), id);
    assert_eq!(
        (renewed.session.state, renewed.session.fresh),
        (SessionState::Active, true)
    );
    assert_eq!(renewed.session.active_expires, now() + TimeDelta::hours(24));

    let conn: DatabaseConnection = lucia.connection().clone();
    let sql: Vec<String> = conn
        .into_transaction_log()
        .iter()
        .flat_map(|txn| txn.statements().iter().map(|stmt| stmt.sql.clone()))
        .collect();
    let lookup = r#"SELECT "auth_session"."id", "auth_session"."user_id", "auth_session"."active_expires", "auth_session"."idle_expires", "auth_user"."id" AS "found_user_id" FROM "auth_session" LEFT JOIN "auth_user" ON "auth_user"."id" = "auth_session"."user_id" WHERE "auth_session"."id" = $1"#;
    assert_eq!(
        sql,
        [
            lookup,
            lookup,
            r#"INSERT INTO "auth_session" ("id", "user_id", "active_expires", "idle_expires") VALUES ($1, $2, $3, $4)"#,
            r#"DELETE FROM "auth_session" WHERE "user_id" = $1 AND "idle_expires" < $2"#,
        ]
    );
}

/// Checking a link (for the confirmation page) is one `SELECT` that writes
/// nothing; a token that could never have been issued sends nothing.
#[tokio::test]
async fn checking_a_link_is_one_select() {
    use sea_orm::Value;
    use std::collections::BTreeMap;
    let found = BTreeMap::from([("?column?".to_owned(), Value::from(1))]);
    let db = MockDatabase::new(DatabaseBackend::Postgres).append_query_results([vec![found]]);
    let store = store(db);
    let links = store.verification();
    assert!(links.check("Ada@Example.com", "token").await.unwrap());
    assert!(!links.check("ada@example.com", "").await.unwrap());
    assert!(!links.check("no address", "token").await.unwrap());
    assert_eq!(
        sent(&store),
        [
            r#"SELECT $1 FROM "verification_requests" WHERE "identifier" = $2 AND "token" = $3 AND "expires" > $4"#
        ]
    );
}
