//! The `lucia-v3` profile on every backend: the cases of Lucia's own adapter
//! test suite (`@lucia-auth/adapter-test` 5.0.2) written for authstore,
//! Lucia's validation rules at their boundaries, the app's attribute
//! columns, text user ids, the migration against seed 004, and adoption.

use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore::{Conflict, Error, Profile};
use authstore_migration::ProfileMigrations;
use authstore_tests::pg_schema::{COLUMNS, CONSTRAINTS, INDEXES};
use authstore_tests::{Backend, TestClock, TestDb, backend_tests};
use chrono::TimeDelta;
use sea_orm::ConnectionTrait;

backend_tests!(
    adapter_test_cases,
    validation_at_the_boundaries,
    a_session_whose_user_is_gone_is_deleted,
    attribute_columns_are_the_apps,
    user_ids_are_text_chosen_or_generated,
    migrates_up_down_up,
    writes_on_a_transaction_commit_or_roll_back_with_it,
);

async fn store(db: &TestDb, clock: &TestClock) -> LuciaStore {
    Profile::LuciaV3.up(&db.conn).await.expect("migrate");
    let reading = clock.clone();
    LuciaStore::new(db.conn.clone(), LuciaConfig::default()).with_clock(move || reading.now())
}

/// The seven cases of `@lucia-auth/adapter-test` 5.0.2, on authstore's calls.
async fn adapter_test_cases(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    let user = lucia.create_user(Some("user-1")).await.unwrap();

    // getSessionAndUser() on an unknown session: nothing.
    assert_eq!(lucia.validate_session(&"a".repeat(40)).await.unwrap(), None);
    // getUserSessions() of a user without sessions: empty.
    assert!(lucia.user_sessions(&user.id).await.unwrap().is_empty());

    // setSession() then getSessionAndUser(): both come back.
    let session = lucia.create_session(&user.id).await.unwrap();
    let found = lucia
        .validate_session(session.id.expose())
        .await
        .unwrap()
        .expect("the session just made");
    assert_eq!(found.user, user);
    assert_eq!(found.session.expires_at, session.expires_at);
    assert_eq!(lucia.user_sessions(&user.id).await.unwrap().len(), 1);

    // deleteSession()
    assert!(lucia.invalidate_session(session.id.expose()).await.unwrap());
    assert_eq!(
        lucia.validate_session(session.id.expose()).await.unwrap(),
        None
    );

    // updateSessionExpiration(): here, the renewal in the second half.
    let session = lucia.create_session(&user.id).await.unwrap();
    clock.advance(TimeDelta::days(20));
    let renewed = lucia
        .validate_session(session.id.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(renewed.session.fresh);
    assert_eq!(
        lucia.user_sessions(&user.id).await.unwrap()[0].expires_at,
        renewed.session.expires_at
    );

    // deleteExpiredSessions() keeps the valid one.
    lucia.invalidate_session(session.id.expose()).await.unwrap();
    let old = lucia.create_session(&user.id).await.unwrap();
    clock.advance(TimeDelta::days(30));
    let valid = lucia.create_session(&user.id).await.unwrap();
    assert_eq!(lucia.delete_expired_sessions().await.unwrap(), 1);
    assert_eq!(db.count_rows("user_session").await, 1);
    assert_eq!(lucia.validate_session(old.id.expose()).await.unwrap(), None);
    assert!(
        lucia
            .validate_session(valid.id.expose())
            .await
            .unwrap()
            .is_some()
    );

    // deleteUserSessions()
    assert_eq!(lucia.invalidate_user_sessions(&user.id).await.unwrap(), 1);
    assert!(lucia.user_sessions(&user.id).await.unwrap().is_empty());
}

/// Lucia 3.2's rules: renewed from exactly `expires_at − expires_in/2`,
/// expired from exactly `expires_at`, and an expired session is deleted.
async fn validation_at_the_boundaries(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    let user = lucia.create_user(None).await.unwrap();
    let session = lucia.create_session(&user.id).await.unwrap();
    assert_eq!(session.id.expose().len(), 40);
    assert_eq!(session.expires_at, clock.now() + TimeDelta::days(30));
    let id = session.id.expose();

    // One second before half-life: live, not fresh, nothing written.
    clock.advance(TimeDelta::days(15) - TimeDelta::seconds(1));
    let live = lucia.validate_session(id).await.unwrap().unwrap();
    assert!(!live.session.fresh);
    assert_eq!(live.session.expires_at, session.expires_at);

    // Exactly half-life: renewed to now + 30 days, fresh.
    clock.advance(TimeDelta::seconds(1));
    let fresh = lucia.validate_session(id).await.unwrap().unwrap();
    assert!(fresh.session.fresh);
    assert_eq!(fresh.session.expires_at, clock.now() + TimeDelta::days(30));

    // One second before the (new) expiry: live; exactly at it: expired and
    // deleted. (A read on the way renews; move past the window at once.)
    clock.advance(TimeDelta::days(30) - TimeDelta::seconds(1));
    let late = lucia.validate_session(id).await.unwrap().unwrap();
    assert!(late.session.fresh, "in the second half, so renewed");
    clock.advance(TimeDelta::days(30));
    assert_eq!(lucia.validate_session(id).await.unwrap(), None);
    assert_eq!(db.count_rows("user_session").await, 0, "deleted on read");

    // Ids Lucia 3.0/3.1 made ([0-9a-z], 40 characters) validate too.
    let old_style = "0123456789abcdefghijklmnopqrstuvwxyz0123";
    db.conn
        .execute_unprepared(&format!(
            "INSERT INTO user_session (id, expires_at, user_id) VALUES ('{old_style}', {}, '{}')",
            expiry_literal(db, clock.now() + TimeDelta::days(30)),
            user.id
        ))
        .await
        .unwrap();
    assert!(lucia.validate_session(old_style).await.unwrap().is_some());
    assert_eq!(
        lucia
            .validate_session(&old_style.to_uppercase())
            .await
            .unwrap(),
        None
    );
}

/// `expires_at` as a SQL literal in the backend's type.
fn expiry_literal(db: &TestDb, at: chrono::DateTime<chrono::Utc>) -> String {
    match db.backend {
        Backend::Sqlite => at.timestamp().to_string(),
        Backend::MySql => format!("'{}'", at.format("%Y-%m-%d %H:%M:%S")),
        Backend::Postgres => format!("'{}'", at.to_rfc3339()),
    }
}

/// Lucia deletes a session whose user is missing; with the foreign key that
/// takes a database without it (PostgreSQL and MySQL, where the test can
/// drop it).
async fn a_session_whose_user_is_gone_is_deleted(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    let user = lucia.create_user(None).await.unwrap();
    let session = lucia.create_session(&user.id).await.unwrap();
    let drop_fk = match db.backend {
        // SQLite cannot drop a constraint, and switching enforcement off holds
        // for one pooled connection only: this case needs a server backend.
        Backend::Sqlite => return,
        Backend::MySql => {
            let name = db
                .strings(
                    "SELECT constraint_name AS name FROM information_schema.table_constraints \
                     WHERE table_schema = DATABASE() AND table_name = 'user_session' \
                     AND constraint_type = 'FOREIGN KEY'",
                )
                .await;
            format!("ALTER TABLE user_session DROP FOREIGN KEY `{}`", name[0])
        }
        Backend::Postgres => {
            "ALTER TABLE user_session DROP CONSTRAINT user_session_user_id_fkey".to_owned()
        }
    };
    db.conn.execute_unprepared(&drop_fk).await.unwrap();
    db.conn
        .execute_unprepared(&format!("DELETE FROM auth_user WHERE id = '{}'", user.id))
        .await
        .unwrap();
    assert_eq!(
        lucia.validate_session(session.id.expose()).await.unwrap(),
        None
    );
    assert_eq!(db.count_rows("user_session").await, 0);
}

/// Attribute columns the app added (NOT NULL with a default, and nullable)
/// keep working for every call, and keep their values.
async fn attribute_columns_are_the_apps(db: &TestDb) {
    let clock = TestClock::new();
    let lucia = store(db, &clock).await;
    for alter in [
        "ALTER TABLE auth_user ADD COLUMN username VARCHAR(64) NOT NULL DEFAULT 'anonymous'",
        "ALTER TABLE auth_user ADD COLUMN bio VARCHAR(200) NULL",
        "ALTER TABLE user_session ADD COLUMN country VARCHAR(2) NOT NULL DEFAULT 'zz'",
    ] {
        db.conn.execute_unprepared(alter).await.unwrap();
    }
    let user = lucia.create_user(Some("ada")).await.unwrap();
    db.conn
        .execute_unprepared("UPDATE auth_user SET username = 'ada', bio = 'math' WHERE id = 'ada'")
        .await
        .unwrap();
    let session = lucia.create_session(&user.id).await.unwrap();
    db.conn
        .execute_unprepared("UPDATE user_session SET country = 'gb'")
        .await
        .unwrap();
    clock.advance(TimeDelta::days(20));
    assert!(
        lucia
            .validate_session(session.id.expose())
            .await
            .unwrap()
            .unwrap()
            .session
            .fresh,
        "renewal writes expires_at only"
    );
    assert_eq!(lucia.user_sessions("ada").await.unwrap().len(), 1);
    assert_eq!(
        db.strings("SELECT concat(username, ' ', bio) AS name FROM auth_user")
            .await,
        ["ada math"]
    );
    assert_eq!(
        db.strings("SELECT country AS name FROM user_session").await,
        ["gb"]
    );
    lucia.delete_user("ada").await.unwrap();
    assert_eq!(db.count_rows("user_session").await, 0);
}

async fn user_ids_are_text_chosen_or_generated(db: &TestDb) {
    let lucia = store(db, &TestClock::new()).await;
    let generated = lucia.create_user(None).await.unwrap();
    assert_eq!(generated.id.len(), 16);
    assert!(
        generated
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
    );
    // Numeric ids are allowed since Lucia 3.1; they are text here too.
    let numeric = lucia.create_user(Some("42")).await.unwrap();
    assert_eq!(lucia.get_user("42").await.unwrap(), Some(numeric));
    assert!(matches!(
        lucia.create_user(Some("42")).await,
        Err(Error::Conflict(Conflict::UserId))
    ));
    for bad in ["", "a\u{0}b", &"x".repeat(256)] {
        assert!(matches!(
            lucia.create_user(Some(bad)).await,
            Err(Error::Validation(_))
        ));
        assert_eq!(lucia.get_user(bad).await.unwrap(), None);
    }
    assert_eq!(
        db.count_rows("auth_user").await,
        2,
        "nothing written for bad ids"
    );
    assert!(matches!(
        lucia.create_session("nobody").await,
        Err(Error::UnknownUser)
    ));
    assert!(matches!(
        lucia.delete_user("nobody").await,
        Err(Error::NotFound)
    ));
}

async fn migrates_up_down_up(db: &TestDb) {
    Profile::LuciaV3.up(&db.conn).await.unwrap();
    assert_eq!(db.table_names().await, ["auth_user", "user_session"]);
    Profile::LuciaV3.down(&db.conn).await.unwrap();
    assert!(db.table_names().await.is_empty());
    Profile::LuciaV3.up(&db.conn).await.unwrap();
    assert_eq!(db.table_names().await, ["auth_user", "user_session"]);
}

/// The migration builds seed 004's tables exactly on PostgreSQL, plus the
/// `user_session_user_id` index.
#[tokio::test]
async fn postgres_schema_matches_lucia_v3_seed() {
    let Some(seed) = TestDb::create(Backend::Postgres, "lucia_seed").await else {
        return;
    };
    let ours = TestDb::create(Backend::Postgres, "lucia_ours")
        .await
        .unwrap();
    seed.conn
        .execute_unprepared(include_str!("../fixtures/lucia-v3-postgres.sql"))
        .await
        .unwrap();
    Profile::LuciaV3.up(&ours.conn).await.unwrap();
    assert_eq!(seed.strings(COLUMNS).await.len(), 4);
    assert_eq!(ours.strings(COLUMNS).await, seed.strings(COLUMNS).await);
    assert_eq!(
        ours.strings(CONSTRAINTS).await,
        seed.strings(CONSTRAINTS).await
    );
    let mut expected = seed.strings(INDEXES).await;
    expected.push(
        "CREATE INDEX user_session_user_id ON public.user_session USING btree (user_id)".into(),
    );
    expected.sort();
    let mut indexes = ours.strings(INDEXES).await;
    indexes.sort();
    assert_eq!(indexes, expected);
    seed.destroy().await;
    ours.destroy().await;
}

/// A database a Lucia app made, with attribute columns and rows, is adopted:
/// no row changes, the index is added, and its sessions validate. An
/// attribute may be required: the store writes the attributes the app
/// gives it.
#[tokio::test]
async fn a_lucia_database_is_adopted() {
    let Some(db) = TestDb::create(Backend::Postgres, "lucia_adopt").await else {
        return;
    };
    db.conn
        .execute_unprepared(include_str!("../fixtures/lucia-v3-postgres.sql"))
        .await
        .unwrap();
    let id = "abcdefghijklmnopqrstuvwxyz234567abcdefgh";
    db.conn
        .execute_unprepared(&format!(
            "ALTER TABLE auth_user ADD COLUMN username TEXT NOT NULL;
             INSERT INTO auth_user (id, username) VALUES ('u1', 'ada');
             INSERT INTO user_session (id, expires_at, user_id) VALUES ('{id}', now() + interval '20 days', 'u1');"
        ))
        .await
        .unwrap();
    let rows = "SELECT concat_ws(' ', u.id, u.username, s.id, s.expires_at) AS name \
                FROM auth_user u JOIN user_session s ON s.user_id = u.id";
    let before = db.strings(rows).await;
    Profile::LuciaV3.up(&db.conn).await.expect("adoption");
    assert_eq!(db.strings(rows).await, before, "no row changed");
    assert_eq!(
        db.strings("SELECT indexname::text AS name FROM pg_indexes WHERE indexname = 'user_session_user_id'")
            .await,
        ["user_session_user_id"]
    );
    let lucia = LuciaStore::new(db.conn.clone(), LuciaConfig::default());
    let valid = lucia.validate_session(id).await.unwrap().unwrap();
    assert_eq!(valid.user.id, "u1");
    db.destroy().await;
}

/// `on(&txn)`: the store's calls inside the caller's transaction, undone by
/// its rollback and kept by its commit; a lookup there sees the
/// transaction's own writes, and the cached store is never served from it.
async fn writes_on_a_transaction_commit_or_roll_back_with_it(db: &TestDb) {
    use sea_orm::TransactionTrait;
    Profile::LuciaV3.up(&db.conn).await.expect("migrate");
    let config = LuciaConfig::default()
        .session_cache(100, TimeDelta::minutes(5))
        .unwrap();
    let lucia = LuciaStore::new(db.conn.clone(), config);

    let txn = db.conn.begin().await.unwrap();
    let user = lucia.on(&txn).create_user(None).await.unwrap();
    let session = lucia.on(&txn).create_session(&user.id).await.unwrap();
    let inside = lucia.on(&txn).validate_session(session.id.expose()).await;
    assert_eq!(inside.unwrap().map(|valid| valid.user), Some(user.clone()));
    txn.rollback().await.unwrap();
    assert_eq!(lucia.get_user(&user.id).await.unwrap(), None, "rolled back");
    assert_eq!(
        lucia.validate_session(session.id.expose()).await.unwrap(),
        None,
        "nothing the transaction saw was cached"
    );

    let txn = db.conn.begin().await.unwrap();
    let user = lucia.on(&txn).create_user(None).await.unwrap();
    let session = lucia.on(&txn).create_session(&user.id).await.unwrap();
    txn.commit().await.unwrap();
    let valid = lucia.validate_session(session.id.expose()).await.unwrap();
    assert_eq!(
        valid.map(|valid| valid.user),
        Some(user.clone()),
        "committed"
    );

    // A sign-out inside a transaction evicts the cached session at once.
    let txn = db.conn.begin().await.unwrap();
    assert!(
        lucia
            .on(&txn)
            .invalidate_session(session.id.expose())
            .await
            .unwrap()
    );
    txn.commit().await.unwrap();
    assert_eq!(
        lucia.validate_session(session.id.expose()).await.unwrap(),
        None
    );
}
