//! The `lucia-v1` profile so far: its migration against seed 003, on every
//! backend and adopting a Lucia v1 database, and lucia-auth v1's password
//! format both ways (hashes the real lucia-auth 1.8.0 made, checked here;
//! hashes made here, checked by lucia-auth).

use authstore::Profile;
use authstore::lucia_v1::{PasswordCheck, hash_password, verify_password};
use authstore_migration::ProfileMigrations;
use authstore_tests::interop::{self, NextAuth};
use authstore_tests::pg_schema::{COLUMNS, CONSTRAINTS, INDEXES};
use authstore_tests::{Backend, TestDb, backend_tests};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

backend_tests!(migrates_up_down_up);

async fn migrates_up_down_up(db: &TestDb) {
    // Lucia v1's three, and authstore's own for the sign-in attempt limit.
    let tables = [
        "auth_key",
        "auth_session",
        "auth_user",
        "authstore_sign_in_attempt",
    ];
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    assert_eq!(db.table_names().await, tables);
    // The types hold what Lucia v1 writes: ms timestamps past 2038, booleans.
    db.conn
        .execute_unprepared(
            "INSERT INTO auth_user (id) VALUES ('u1');
             INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
               VALUES ('s1', 'u1', 4102444800000, 4103654400000);
             INSERT INTO auth_key (id, user_id, primary_key, hashed_password, expires)
               VALUES ('email:ada@example.com', 'u1', TRUE, NULL, NULL)",
        )
        .await
        .unwrap();
    assert_eq!(db.count_rows("auth_key").await, 1);
    Profile::LuciaV1.down(&db.conn).await.unwrap();
    assert!(db.table_names().await.is_empty());
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    assert_eq!(db.table_names().await, tables);
}

/// The migration builds seed 003's tables exactly on PostgreSQL, plus the
/// two `user_id` indexes.
#[tokio::test]
async fn postgres_schema_matches_lucia_v1_seed() {
    let Some(seed) = TestDb::create(Backend::Postgres, "lucia1_seed").await else {
        return;
    };
    let ours = TestDb::create(Backend::Postgres, "lucia1_ours")
        .await
        .unwrap();
    seed.conn
        .execute_unprepared(include_str!("../fixtures/lucia-v1-postgres.sql"))
        .await
        .unwrap();
    Profile::LuciaV1.up(&ours.conn).await.unwrap();
    assert_eq!(seed.strings(COLUMNS).await.len(), 10);
    assert_eq!(ours.strings(COLUMNS).await, seed.strings(COLUMNS).await);
    assert_eq!(
        ours.strings(CONSTRAINTS).await,
        seed.strings(CONSTRAINTS).await
    );
    let mut expected = seed.strings(INDEXES).await;
    expected.extend([
        "CREATE INDEX auth_key_user_id ON public.auth_key USING btree (user_id)".to_owned(),
        "CREATE INDEX auth_session_user_id ON public.auth_session USING btree (user_id)".to_owned(),
    ]);
    expected.sort();
    assert_eq!(ours.strings(INDEXES).await, expected);
    seed.destroy().await;
    ours.destroy().await;
}

/// A Lucia v1 database with rows is adopted: no row changed, indexes added.
#[tokio::test]
async fn a_lucia_v1_database_is_adopted() {
    let Some(db) = TestDb::create(Backend::Postgres, "lucia1_adopt").await else {
        return;
    };
    db.conn
        .execute_unprepared(include_str!("../fixtures/lucia-v1-postgres.sql"))
        .await
        .unwrap();
    db.conn
        .execute_unprepared(
            "INSERT INTO auth_user (id) VALUES ('u1');
             INSERT INTO auth_session VALUES ('s1', 'u1', 1700000000000, 1701209600000);
             INSERT INTO auth_key VALUES ('email:ada@example.com', 'u1', TRUE, 's2:abc:def', NULL)",
        )
        .await
        .unwrap();
    let rows = "SELECT concat_ws(' ', u.id, s.id, s.active_expires, k.id, k.hashed_password) AS name \
                FROM auth_user u JOIN auth_session s ON s.user_id = u.id JOIN auth_key k ON k.user_id = u.id";
    let before = db.strings(rows).await;
    assert_eq!(before.len(), 1);
    Profile::LuciaV1.up(&db.conn).await.expect("adoption");
    assert_eq!(db.strings(rows).await, before, "no row changed");
    let indexes = db
        .strings("SELECT indexname::text AS name FROM pg_indexes WHERE indexname LIKE '%\\_user\\_id' ORDER BY 1")
        .await;
    assert_eq!(indexes, ["auth_key_user_id", "auth_session_user_id"]);
    db.destroy().await;
}

/// Hashes the real lucia-auth 1.8.0 made (`tests/fixtures/lucia-v1-passwords.json`).
fn vectors() -> Vec<Value> {
    let fixture: Value =
        serde_json::from_str(include_str!("../fixtures/lucia-v1-passwords.json")).unwrap();
    fixture["vectors"].as_array().unwrap().clone()
}

#[test]
fn hashes_lucia_made_verify_here() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 5);
    for vector in &vectors {
        let (password, stored) = (
            vector["password"].as_str().unwrap(),
            vector["hash"].as_str().unwrap(),
        );
        // lucia-auth 0.x's format (no `s2:`) verifies, and asks for a rehash.
        let expected = match stored.starts_with("s2:") {
            true => PasswordCheck::Valid,
            false => PasswordCheck::NeedsRehash,
        };
        assert_eq!(
            verify_password(password, stored),
            expected,
            "{password:?} against {stored}"
        );
        let wrong = format!("{password}!");
        assert_eq!(
            verify_password(&wrong, stored),
            PasswordCheck::Invalid,
            "{wrong:?}"
        );
    }
    // The full-width password: Lucia itself refuses it as typed (it skips
    // NFKC on verify); here both spellings sign in, as both hash alike.
    let fullwidth = vectors
        .iter()
        .find(|v| v["lucia_accepts_as_typed"] == false)
        .unwrap();
    let stored = fullwidth["hash"].as_str().unwrap();
    assert_eq!(
        verify_password("ｐａｓｓｗｏｒｄ１２３", stored),
        PasswordCheck::Valid
    );
    assert_eq!(verify_password("password123", stored), PasswordCheck::Valid);
    // The lucia-auth 0.x format (salt:key, r = 8) is among the vectors; a
    // bcrypt hash is outdated, as in Lucia.
    assert!(
        vectors
            .iter()
            .any(|v| !v["hash"].as_str().unwrap().starts_with("s2:"))
    );
    let bcrypt = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
    assert_eq!(verify_password("password", bcrypt), PasswordCheck::Outdated);
}

/// Hashes made here verify in lucia-auth 1.8.0 (its own validateScryptHash,
/// under Node), for every password NFKC leaves alone.
#[tokio::test]
async fn hashes_made_here_verify_in_lucia() {
    if !interop::installed() {
        return;
    }
    let passwords = [
        "correct horse battery staple",
        "",
        &"x".repeat(1000),
        "pässwörd ✓",
    ];
    let ops: Vec<Value> = passwords
        .iter()
        .flat_map(|password| {
            let stored = hash_password(password);
            [
                json!({ "op": "validate", "args": [password, stored] }),
                json!({ "op": "validate", "args": [format!("{password}!"), stored] }),
            ]
        })
        .collect();
    let lucia = NextAuth::new("lucia1password.mjs", "");
    let answers = lucia.run(Value::from(ops));
    let expected: Vec<Value> = passwords
        .iter()
        .flat_map(|_| [json!(true), json!(false)])
        .collect();
    assert_eq!(answers, expected);
}
