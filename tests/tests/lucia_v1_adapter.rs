//! The 41 cases of lucia-auth v1's own adapter suite (`@lucia-auth/adapter-test`
//! 3.0.1, shipped inside `@lucia-auth/adapter-postgresql` 1.0.1), written in
//! Rust for `LuciaV1Store`, on PostgreSQL, MariaDB and SQLite.
//!
//! As in the JS suite, each case starts from empty tables, seeds its rows with
//! plain SQL (so a case does not depend on the method it tests), calls the
//! store, and checks the rows. `auth_user` carries an app attribute column,
//! `username`, as the JS suite's schema does. Where the JS adapter API has no
//! direct counterpart (authstore makes session ids itself; primary keys are
//! made with their user), the case checks the same rule through the call
//! that carries it; each such case says how.

use authstore::lucia_v1::{Key, LuciaV1Config, LuciaV1Store, NewKey, NewUser, SessionState};
use authstore::{Conflict, Error, Profile};
use authstore_migration::ProfileMigrations;
use authstore_tests::{TestDb, backend_tests};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Statement};

backend_tests!(user_and_key_cases, session_cases);

/// The store's clock: 2030-06-01 12:00:00 UTC.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap()
}

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The adapter suite's `INVALID_INPUT`.
const INVALID: &str = "INVALID_INPUT";

/// A session id of the right shape, distinct per `n`.
fn sid(n: u32) -> String {
    format!("{n:0>40}")
}

/// Runs each case on empty tables, naming it if it panics.
macro_rules! cases {
    ($db:expr, $lucia:expr, $($case:ident),+ $(,)?) => {$(
        clear($db).await;
        eprintln!("case {}", stringify!($case));
        $case($db, $lucia).await;
    )+};
}

async fn setup(db: &TestDb) -> LuciaV1Store {
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    db.conn
        .execute_unprepared("ALTER TABLE auth_user ADD COLUMN username VARCHAR(255) NULL")
        .await
        .unwrap();
    LuciaV1Store::new(db.conn.clone(), LuciaV1Config::default()).with_clock(now)
}

async fn clear(db: &TestDb) {
    for table in ["auth_session", "auth_key", "auth_user"] {
        db.conn
            .execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .unwrap();
    }
}

async fn sql(db: &TestDb, statement: &str) {
    db.conn.execute_unprepared(statement).await.unwrap();
}

async fn user_row(db: &TestDb, id: &str, username: &str) {
    sql(
        db,
        &format!("INSERT INTO auth_user (id, username) VALUES ('{id}', '{username}')"),
    )
    .await;
}

/// A key row; `hashed` and `expires` (ms) may be NULL.
async fn key_row(
    db: &TestDb,
    id: &str,
    user_id: &str,
    primary: bool,
    hashed: Option<&str>,
    expires: Option<i64>,
) {
    let hashed = hashed.map_or("NULL".to_owned(), |h| format!("'{h}'"));
    let expires = expires.map_or("NULL".to_owned(), |e| e.to_string());
    let primary = if primary { "TRUE" } else { "FALSE" };
    sql(
        db,
        &format!(
            "INSERT INTO auth_key (id, user_id, primary_key, hashed_password, expires)
             VALUES ('{id}', '{user_id}', {primary}, {hashed}, {expires})"
        ),
    )
    .await;
}

/// An active session row (active one hour more, idle a day more).
async fn session_row(db: &TestDb, id: &str, user_id: &str) {
    let (active, idle) = (
        ms(now() + TimeDelta::hours(1)),
        ms(now() + TimeDelta::days(1)),
    );
    sql(
        db,
        &format!(
            "INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
             VALUES ('{id}', '{user_id}', {active}, {idle})"
        ),
    )
    .await;
}

async fn strings(db: &TestDb, select: &str) -> Vec<String> {
    let mut found = db.strings(select).await;
    found.sort();
    found
}

async fn user_ids(db: &TestDb) -> Vec<String> {
    strings(db, "SELECT id AS name FROM auth_user").await
}

async fn key_ids(db: &TestDb) -> Vec<String> {
    strings(db, "SELECT id AS name FROM auth_key").await
}

async fn session_ids(db: &TestDb) -> Vec<String> {
    strings(db, "SELECT id AS name FROM auth_session").await
}

async fn username(db: &TestDb, id: &str) -> Vec<String> {
    strings(
        db,
        &format!("SELECT username AS name FROM auth_user WHERE id = '{id}'"),
    )
    .await
}

async fn stored_hash(db: &TestDb, id: &str) -> Vec<String> {
    strings(db, &format!("SELECT hashed_password AS name FROM auth_key WHERE id = '{id}' AND hashed_password IS NOT NULL")).await
}

fn email(address: &'static str, password: Option<&'static str>) -> NewKey<'static> {
    NewKey {
        provider_id: "email",
        provider_user_id: address,
        password,
    }
}

async fn user_and_key_cases(db: &TestDb) {
    let lucia = &setup(db).await;
    cases!(
        db,
        lucia,
        get_user_returns_the_correct_user,
        get_user_returns_none_for_an_invalid_id,
        set_user_inserts_the_user,
        set_user_returns_the_created_user,
        set_user_inserts_the_user_and_a_persistent_key,
        set_user_with_a_key_returns_the_created_user,
        set_user_refuses_a_duplicate_key_id,
        set_user_stores_no_user_when_the_key_insert_fails,
        delete_user_deletes_only_that_user,
        update_user_attributes_updates_them,
        update_user_attributes_returns_and_keeps_the_user,
        update_user_attributes_refuses_an_invalid_user_id,
        get_key_returns_the_persistent_key,
        get_key_returns_the_single_use_key,
        get_key_returns_none_for_an_invalid_id,
        set_key_inserts_a_persistent_key_with_password,
        set_key_inserts_a_persistent_key_without_password,
        set_key_inserts_a_single_use_key_without_password,
        set_key_inserts_a_primary_persistent_key,
        set_key_refuses_an_unknown_user,
        set_key_refuses_a_duplicate_key_id,
        get_keys_by_user_id_returns_that_users_keys,
        get_keys_by_user_id_is_empty_for_an_unknown_user,
        update_key_password_updates_it,
        update_key_password_changes_which_password_works,
        update_key_password_refuses_an_invalid_key_id,
        delete_non_primary_key_deletes_the_target,
        delete_non_primary_key_keeps_a_primary_key,
        delete_keys_by_user_id_deletes_that_users_keys,
        delete_keys_by_user_id_deletes_primary_keys,
    );
}

async fn get_user_returns_the_correct_user(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    let user = lucia.get_user("user1").await.unwrap().expect("the user");
    assert_eq!(user.id, "user1");
    assert_eq!(username(db, "user1").await, ["ada"]);
}

async fn get_user_returns_none_for_an_invalid_id(_: &TestDb, lucia: &LuciaV1Store) {
    assert_eq!(lucia.get_user(INVALID).await.unwrap(), None);
    assert_eq!(lucia.get_user("").await.unwrap(), None);
}

async fn set_user_inserts_the_user(db: &TestDb, lucia: &LuciaV1Store) {
    let new = NewUser {
        id: Some("user1"),
        attributes: vec![("username", "ada".into())],
        ..Default::default()
    };
    lucia.create_user(new).await.unwrap();
    assert_eq!(user_ids(db).await, ["user1"]);
    assert_eq!(username(db, "user1").await, ["ada"]);
    assert!(key_ids(db).await.is_empty());
}

async fn set_user_returns_the_created_user(db: &TestDb, lucia: &LuciaV1Store) {
    let user = lucia.create_user(NewUser::default()).await.unwrap();
    assert_eq!(user.id.len(), 15, "lucia-auth v1's id shape");
    assert!(
        user.id.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{}",
        user.id
    );
    assert_eq!(user_ids(db).await, [user.id]);
}

async fn set_user_inserts_the_user_and_a_persistent_key(db: &TestDb, lucia: &LuciaV1Store) {
    let new = NewUser {
        id: Some("user1"),
        primary_key: Some(email("ada@example.com", Some("password1"))),
        ..Default::default()
    };
    lucia.create_user(new).await.unwrap();
    assert_eq!(user_ids(db).await, ["user1"]);
    let key = lucia
        .get_key("email", "ada@example.com")
        .await
        .unwrap()
        .expect("the key");
    assert_eq!(
        key,
        Key {
            provider_id: "email".into(),
            provider_user_id: "ada@example.com".into(),
            user_id: "user1".into(),
            primary: true,
            password_defined: true,
            expires_at: None,
        }
    );
    let hash = stored_hash(db, "email:ada@example.com").await;
    assert!(
        hash[0].starts_with("s2:"),
        "lucia-auth v1's format: {hash:?}"
    );
}

async fn set_user_with_a_key_returns_the_created_user(db: &TestDb, lucia: &LuciaV1Store) {
    let new = NewUser {
        primary_key: Some(email("ada@example.com", None)),
        ..Default::default()
    };
    let user = lucia.create_user(new).await.unwrap();
    assert_eq!(user_ids(db).await, std::slice::from_ref(&user.id));
    assert_eq!(lucia.user_keys(&user.id).await.unwrap().len(), 1);
}

async fn set_user_refuses_a_duplicate_key_id(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user0", "grace").await;
    key_row(db, "email:ada@example.com", "user0", false, None, None).await;
    let new = NewUser {
        id: Some("user1"),
        primary_key: Some(email("ada@example.com", None)),
        ..Default::default()
    };
    let err = lucia.create_user(new).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(Conflict::KeyId)), "{err:?}");
}

/// lucia-auth v1's own adapter fails this one (its "transaction" is not
/// atomic); here the user and the key are one transaction.
async fn set_user_stores_no_user_when_the_key_insert_fails(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user0", "grace").await;
    key_row(db, "email:ada@example.com", "user0", false, None, None).await;
    let new = NewUser {
        id: Some("user1"),
        primary_key: Some(email("ada@example.com", Some("password1"))),
        attributes: vec![("username", "ada".into())],
    };
    lucia.create_user(new).await.unwrap_err();
    assert_eq!(user_ids(db).await, ["user0"]);
    assert_eq!(key_ids(db).await, ["email:ada@example.com"]);
    assert!(
        stored_hash(db, "email:ada@example.com").await.is_empty(),
        "the old key is untouched"
    );
}

async fn delete_user_deletes_only_that_user(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    user_row(db, "user2", "grace").await;
    lucia.delete_user("user1").await.unwrap();
    assert_eq!(user_ids(db).await, ["user2"]);
}

async fn update_user_attributes_updates_them(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    user_row(db, "user2", "grace").await;
    lucia
        .update_user_attributes("user1", &[("username", "UPDATED".into())])
        .await
        .unwrap();
    assert_eq!(username(db, "user1").await, ["UPDATED"]);
    assert_eq!(username(db, "user2").await, ["grace"]);
}

async fn update_user_attributes_returns_and_keeps_the_user(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    lucia
        .update_user_attributes("user1", &[("username", "UPDATED".into())])
        .await
        .unwrap();
    assert_eq!(
        lucia
            .get_user("user1")
            .await
            .unwrap()
            .map(|u| u.id)
            .as_deref(),
        Some("user1")
    );
    // No attributes: nothing to write, but the user must still exist.
    lucia.update_user_attributes("user1", &[]).await.unwrap();
    assert!(matches!(
        lucia.update_user_attributes("user9", &[]).await,
        Err(Error::NotFound)
    ));
}

async fn update_user_attributes_refuses_an_invalid_user_id(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    let err = lucia
        .update_user_attributes(INVALID, &[("username", "x".into())])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound), "{err:?}");
    assert_eq!(username(db, "user1").await, ["ada"]);
}

async fn get_key_returns_the_persistent_key(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    key_row(db, "github:583231", "user1", false, Some("s2:x:y"), None).await;
    let key = lucia
        .get_key("github", "583231")
        .await
        .unwrap()
        .expect("the key");
    assert_eq!(
        (
            key.user_id.as_str(),
            key.primary,
            key.password_defined,
            key.expires_at
        ),
        ("user1", false, true, None)
    );
}

async fn get_key_returns_the_single_use_key(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    let expires = now() + TimeDelta::minutes(10);
    key_row(
        db,
        "otp:ada@example.com",
        "user1",
        false,
        Some("s2:x:y"),
        Some(ms(expires)),
    )
    .await;
    let key = lucia
        .get_key("otp", "ada@example.com")
        .await
        .unwrap()
        .expect("the key");
    assert_eq!(key.expires_at, Some(expires));
    assert!(key.password_defined && !key.primary);
    assert_eq!(
        key_ids(db).await,
        ["otp:ada@example.com"],
        "reading uses nothing"
    );
}

async fn get_key_returns_none_for_an_invalid_id(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    key_row(db, "github:583231", "user1", false, None, None).await;
    assert_eq!(lucia.get_key("INVALID", "INPUT").await.unwrap(), None);
    assert_eq!(lucia.get_key("github", "583232").await.unwrap(), None);
    assert_eq!(
        lucia.get_key("git:hub", "583231").await.unwrap(),
        None,
        "no ':' in a provider id"
    );
}

async fn set_key_inserts_a_persistent_key_with_password(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    let key = lucia
        .create_key("user1", email("ada@example.com", Some("password1")))
        .await
        .unwrap();
    assert!(key.password_defined && !key.primary && key.expires_at.is_none());
    assert_eq!(key_ids(db).await, ["email:ada@example.com"]);
    assert_eq!(stored_hash(db, "email:ada@example.com").await.len(), 1);
}

async fn set_key_inserts_a_persistent_key_without_password(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    let key = lucia
        .create_key(
            "user1",
            NewKey {
                provider_id: "github",
                provider_user_id: "583231",
                password: None,
            },
        )
        .await
        .unwrap();
    assert!(!key.password_defined);
    assert_eq!(lucia.get_key("github", "583231").await.unwrap(), Some(key));
    assert!(stored_hash(db, "github:583231").await.is_empty());
}

async fn set_key_inserts_a_single_use_key_without_password(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    let key = lucia
        .create_single_use_key(
            "user1",
            NewKey {
                provider_id: "link",
                provider_user_id: "abc",
                password: None,
            },
            TimeDelta::minutes(15),
        )
        .await
        .unwrap();
    assert_eq!(key.expires_at, Some(now() + TimeDelta::minutes(15)));
    assert_eq!(lucia.get_key("link", "abc").await.unwrap(), Some(key));
}

/// The JS suite writes a primary key with `setKey`; here a primary key is
/// made only with its user (lucia-auth v1's `createUser`), so the case
/// checks that path with a password-less primary key.
async fn set_key_inserts_a_primary_persistent_key(_: &TestDb, lucia: &LuciaV1Store) {
    let new = NewUser {
        id: Some("user1"),
        primary_key: Some(email("ada@example.com", None)),
        ..Default::default()
    };
    lucia.create_user(new).await.unwrap();
    let key = lucia
        .get_key("email", "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(key.primary && !key.password_defined && key.expires_at.is_none());
}

async fn set_key_refuses_an_unknown_user(db: &TestDb, lucia: &LuciaV1Store) {
    let err = lucia
        .create_key("user1", email("ada@example.com", Some("password1")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnknownUser), "{err:?}");
    assert!(key_ids(db).await.is_empty());
}

async fn set_key_refuses_a_duplicate_key_id(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    key_row(db, "email:ada@example.com", "user1", false, None, None).await;
    let err = lucia
        .create_key("user1", email("ada@example.com", Some("password1")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(Conflict::KeyId)), "{err:?}");
    assert!(stored_hash(db, "email:ada@example.com").await.is_empty());
}

async fn get_keys_by_user_id_returns_that_users_keys(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    user_row(db, "user2", "grace").await;
    key_row(db, "email:ada@example.com", "user1", true, None, None).await;
    key_row(db, "github:1", "user1", false, None, None).await;
    key_row(db, "email:grace@example.com", "user2", true, None, None).await;
    let keys = lucia.user_keys("user1").await.unwrap();
    let ids: Vec<String> = keys
        .iter()
        .map(|k| format!("{}:{}", k.provider_id, k.provider_user_id))
        .collect();
    assert_eq!(ids, ["email:ada@example.com", "github:1"]);
}

async fn get_keys_by_user_id_is_empty_for_an_unknown_user(_: &TestDb, lucia: &LuciaV1Store) {
    assert!(lucia.user_keys(INVALID).await.unwrap().is_empty());
}

async fn update_key_password_updates_it(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    key_row(
        db,
        "email:ada@example.com",
        "user1",
        true,
        Some("s2:old:old"),
        None,
    )
    .await;
    lucia
        .update_key_password("email", "ada@example.com", Some("UPDATED"))
        .await
        .unwrap();
    let hash = stored_hash(db, "email:ada@example.com").await;
    assert!(
        hash[0].starts_with("s2:") && hash[0] != "s2:old:old",
        "{hash:?}"
    );
    lucia
        .update_key_password("email", "ada@example.com", None)
        .await
        .unwrap();
    assert!(
        stored_hash(db, "email:ada@example.com").await.is_empty(),
        "None removes it"
    );
}

async fn update_key_password_changes_which_password_works(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    lucia
        .create_key("user1", email("ada@example.com", Some("before")))
        .await
        .unwrap();
    lucia
        .update_key_password("email", "ada@example.com", Some("after"))
        .await
        .unwrap();
    assert!(
        lucia
            .use_key("email", "ada@example.com", Some("after"))
            .await
            .is_ok()
    );
    assert!(
        lucia
            .use_key("email", "ada@example.com", Some("before"))
            .await
            .is_err()
    );
}

async fn update_key_password_refuses_an_invalid_key_id(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    key_row(
        db,
        "email:ada@example.com",
        "user1",
        true,
        Some("s2:old:old"),
        None,
    )
    .await;
    let err = lucia
        .update_key_password("INVALID", "INPUT", Some("password1"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound), "{err:?}");
    assert_eq!(
        stored_hash(db, "email:ada@example.com").await,
        ["s2:old:old"]
    );
}

async fn delete_non_primary_key_deletes_the_target(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    key_row(db, "github:1", "user1", false, None, None).await;
    key_row(db, "github:2", "user1", false, None, None).await;
    assert!(lucia.delete_key("github", "1").await.unwrap());
    assert_eq!(key_ids(db).await, ["github:2"]);
}

async fn delete_non_primary_key_keeps_a_primary_key(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    key_row(db, "email:ada@example.com", "user1", true, None, None).await;
    assert!(!lucia.delete_key("email", "ada@example.com").await.unwrap());
    assert_eq!(key_ids(db).await, ["email:ada@example.com"]);
}

async fn delete_keys_by_user_id_deletes_that_users_keys(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    user_row(db, "user2", "grace").await;
    key_row(db, "github:1", "user1", false, None, None).await;
    key_row(db, "github:2", "user2", false, None, None).await;
    assert_eq!(lucia.delete_user_keys("user1").await.unwrap(), 1);
    assert_eq!(key_ids(db).await, ["github:2"]);
}

async fn delete_keys_by_user_id_deletes_primary_keys(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    key_row(db, "email:ada@example.com", "user1", true, None, None).await;
    assert_eq!(lucia.delete_user_keys("user1").await.unwrap(), 1);
    assert!(key_ids(db).await.is_empty());
}

async fn session_cases(db: &TestDb) {
    let lucia = &setup(db).await;
    cases!(
        db,
        lucia,
        get_session_returns_the_correct_session,
        get_session_returns_none_for_an_invalid_id,
        get_sessions_by_user_id_returns_that_users_sessions,
        get_sessions_by_user_id_is_empty_for_an_unknown_user,
        set_session_inserts_the_session,
        delete_sessions_by_user_id_deletes_only_that_users,
        delete_session_deletes_only_the_target,
        set_session_refuses_an_unknown_user,
        set_session_refuses_a_duplicate_session_id,
        get_session_and_user_returns_both,
        get_session_and_user_returns_none_for_an_invalid_id,
    );
}

async fn get_session_returns_the_correct_session(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    session_row(db, &sid(1), "user1").await;
    let session = lucia
        .get_session(&sid(1))
        .await
        .unwrap()
        .expect("the session");
    assert_eq!(session.id.expose(), sid(1));
    assert_eq!(session.user_id, "user1");
    assert_eq!(session.active_expires, now() + TimeDelta::hours(1));
    assert_eq!(session.idle_expires, now() + TimeDelta::days(1));
    assert_eq!(session.state, SessionState::Active);
}

async fn get_session_returns_none_for_an_invalid_id(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    session_row(db, INVALID, "user1").await;
    // Stored, but not 40 characters: refused, as lucia-auth v1 refuses it.
    assert_eq!(lucia.get_session(INVALID).await.unwrap(), None);
    assert_eq!(lucia.get_session(&sid(2)).await.unwrap(), None);
}

async fn get_sessions_by_user_id_returns_that_users_sessions(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    user_row(db, "user2", "grace").await;
    session_row(db, &sid(1), "user1").await;
    session_row(db, &sid(2), "user2").await;
    let sessions = lucia.user_sessions("user1").await.unwrap();
    let ids: Vec<&str> = sessions.iter().map(|s| s.id.expose()).collect();
    assert_eq!(ids, [sid(1)]);
}

async fn get_sessions_by_user_id_is_empty_for_an_unknown_user(_: &TestDb, lucia: &LuciaV1Store) {
    assert!(lucia.user_sessions(INVALID).await.unwrap().is_empty());
}

async fn set_session_inserts_the_session(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    let session = lucia.create_session("user1").await.unwrap();
    assert_eq!(session_ids(db).await, [session.id.expose()]);
    let row = db
        .conn
        .query_one_raw(Statement::from_string(
            db.db_backend(),
            "SELECT active_expires, idle_expires FROM auth_session",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: (i64, i64) = (
        row.try_get("", "active_expires").unwrap(),
        row.try_get("", "idle_expires").unwrap(),
    );
    let day = ms(now() + TimeDelta::hours(24));
    assert_eq!(
        stored,
        (day, day + 14 * 86_400_000),
        "lucia-auth v1's periods, in ms"
    );
}

async fn delete_sessions_by_user_id_deletes_only_that_users(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    user_row(db, "user2", "grace").await;
    session_row(db, &sid(1), "user1").await;
    session_row(db, &sid(2), "user2").await;
    assert_eq!(lucia.invalidate_user_sessions("user1").await.unwrap(), 1);
    assert_eq!(session_ids(db).await, [sid(2)]);
}

async fn delete_session_deletes_only_the_target(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    session_row(db, &sid(1), "user1").await;
    session_row(db, &sid(2), "user1").await;
    assert!(lucia.invalidate_session(&sid(1)).await.unwrap());
    assert_eq!(session_ids(db).await, [sid(2)]);
}

async fn set_session_refuses_an_unknown_user(db: &TestDb, lucia: &LuciaV1Store) {
    let err = lucia.create_session("user1").await.unwrap_err();
    assert!(matches!(err, Error::UnknownUser), "{err:?}");
    assert!(session_ids(db).await.is_empty());
}

/// The store makes session ids itself (238 random bits), so the JS case's
/// duplicate can only come from outside: the table refuses it on every
/// backend, and the store's own insert maps that refusal to
/// `Conflict::Token` (a unit test in the service crate).
async fn set_session_refuses_a_duplicate_session_id(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    let session = lucia.create_session("user1").await.unwrap();
    let duplicate = format!(
        "INSERT INTO auth_session (id, user_id, active_expires, idle_expires) VALUES ('{}', 'user1', 1, 2)",
        session.id.expose()
    );
    assert!(db.conn.execute_unprepared(&duplicate).await.is_err());
    assert_eq!(session_ids(db).await.len(), 1);
}

async fn get_session_and_user_returns_both(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    session_row(db, &sid(1), "user1").await;
    let valid = lucia
        .validate_session(&sid(1))
        .await
        .unwrap()
        .expect("a live session");
    assert_eq!(valid.user.id, "user1");
    assert_eq!(valid.session.id.expose(), sid(1));
    assert!(!valid.session.fresh);
}

async fn get_session_and_user_returns_none_for_an_invalid_id(db: &TestDb, lucia: &LuciaV1Store) {
    user_row(db, "user1", "ada").await;
    session_row(db, &sid(1), "user1").await;
    assert_eq!(lucia.validate_session(INVALID).await.unwrap(), None);
    assert_eq!(lucia.validate_session(&sid(2)).await.unwrap(), None);
}
