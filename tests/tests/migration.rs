//! The migration on every backend: it lays down the schema, rolls it back
//! completely, embeds in a host app's migrator, and the schema then enforces
//! what the service relies on (UTC timestamps, foreign keys, unique keys).

use authstore_entity::{accounts, sessions, users};
use authstore_migration::Profile;
use authstore_migration::{Migrator, MigratorTrait, ProfileMigrations};
use authstore_tests::{Backend, TestDb, backend_tests, profile_tests};
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait, SqlErr,
};
use sea_orm_migration::SchemaManager;

const TABLES: [&str; 4] = ["accounts", "sessions", "users", "verification_requests"];

/// Every index, `(table, name)`: the seed's eight and our `sessions_user_id`.
const INDEXES: [(&str, &str); 9] = [
    ("accounts", "compound_id"),
    ("accounts", "provider_account_id"),
    ("accounts", "provider_id"),
    ("accounts", "user_id"),
    ("sessions", "session_token"),
    ("sessions", "access_token"),
    ("sessions", "sessions_user_id"),
    ("users", "email"),
    ("verification_requests", "token"),
];

backend_tests!(
    up_down_up,
    host_migrator_embeds_authstore,
    timestamps_are_utc_instants,
    foreign_keys_cascade_and_reject_orphans,
    unique_keys_reject_duplicates,
    fresh_refresh_and_reset,
    another_profiles_database_is_refused_by_name,
);

/// A database migrated for one profile, asked to take another: one error
/// naming both profiles, and nothing changed.
async fn another_profiles_database_is_refused_by_name(db: &TestDb) {
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    let before = db.table_names().await;
    for other in [Profile::NextAuthV3, Profile::LuciaV3] {
        let err = other.up(&db.conn).await.unwrap_err().to_string();
        assert!(
            err.contains("holds profile lucia-v1's schema")
                && err.contains(&format!("profile {} cannot be migrated here", other.name())),
            "{err}"
        );
        assert!(!err.contains("is missing"), "{err}");
        let err = other.down(&db.conn).await.unwrap_err().to_string();
        assert!(err.contains("holds profile lucia-v1's schema"), "{err}");
    }
    assert_eq!(db.table_names().await, before);
    Profile::LuciaV1
        .up(&db.conn)
        .await
        .expect("its own profile still migrates");
}

profile_tests!(every_profile_migrates_up_down_up);

/// Every profile's migrations on every backend: its tables, exact
/// comparison of its verification table on MySQL, and a complete rollback.
async fn every_profile_migrates_up_down_up(db: &TestDb) {
    let verification = db.verification_table();
    let mut tables = vec!["accounts", "sessions", "users", verification];
    tables.sort_unstable();
    db.migrate().await;
    assert_eq!(db.table_names().await, tables);
    if db.backend == Backend::MySql {
        let collations = db
            .strings(&format!(
                "SELECT concat(column_name, ' ', collation_name) AS name FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = '{verification}' \
                 AND collation_name IS NOT NULL ORDER BY column_name"
            ))
            .await;
        let identifier = match db.profile {
            Profile::NextAuthV2Beta => "identifer",
            _ => "identifier",
        };
        assert_eq!(
            collations,
            [
                format!("{identifier} utf8mb4_bin"),
                "token utf8mb4_bin".into()
            ]
        );
    }
    db.profile.down(&db.conn).await.expect("down");
    assert!(db.table_names().await.is_empty());
    db.migrate().await;
    assert_eq!(db.table_names().await, tables);
}

/// A database made from seed 001's DDL, with rows, is adopted: foreign keys
/// and our index added, no row changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_auth_v4_beta_database_is_adopted() {
    adopts(
        Profile::NextAuthV4Beta,
        include_str!("../fixtures/next-auth-v4-beta-postgres.sql"),
        "INSERT INTO users (email) VALUES ('ada@example.com');
         INSERT INTO accounts (compound_id, user_id, type, provider, provider_account_id)
           VALUES ('c', 1, 'oauth', 'github', '1');
         INSERT INTO verification_tokens (identifier, token, expires)
           VALUES ('ada@example.com', 'h', now())",
        "SELECT concat_ws(' ', u.email, a.provider, v.identifier, u.created_at) AS name \
         FROM users u, accounts a, verification_tokens v",
    )
    .await;
}

/// The same for a database laid out as next-auth 2.0 beta's models are
/// (the fixture; `interop_v2_beta.rs` adopts one next-auth itself made).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_auth_v2_beta_database_is_adopted() {
    adopts(
        Profile::NextAuthV2Beta,
        include_str!("../fixtures/next-auth-v2-beta-postgres.sql"),
        "INSERT INTO users (email) VALUES ('ada@example.com');
         INSERT INTO accounts (compound_id, user_id, provider_type, provider_id, provider_account_id)
           VALUES ('c', 1, 'oauth', 'github', '1');
         INSERT INTO verification_requests (identifer, token, expires)
           VALUES ('ada@example.com', 'h', now())",
        "SELECT concat_ws(' ', u.email, a.provider_id, v.identifer, u.created) AS name \
         FROM users u, accounts a, verification_requests v",
    )
    .await;
}

async fn adopts(profile: Profile, ddl: &str, rows: &str, read_rows: &str) {
    let name = format!("adopt_{profile}");
    authstore_tests::run(Backend::Postgres, &name, async |db: &TestDb| {
        db.conn.execute_unprepared(ddl).await.unwrap();
        db.conn.execute_unprepared(rows).await.unwrap();
        let before = db.strings(read_rows).await;
        assert_eq!(before.len(), 1);
        profile.up(&db.conn).await.expect("adoption");
        assert_eq!(db.strings(read_rows).await, before, "no row changed");
        let foreign_keys = db.foreign_keys().await;
        assert_eq!(foreign_keys, ["fk_accounts_user_id", "fk_sessions_user_id"]);
        assert_eq!(
            db.strings("SELECT indexname::text AS name FROM pg_indexes WHERE indexname = 'sessions_user_id'")
                .await,
            ["sessions_user_id"]
        );
    })
    .await;
}

/// `fresh`, `refresh` and `reset` (which need the backend's feature of
/// `authstore-migration`; this crate enables all three) on every backend.
async fn fresh_refresh_and_reset(db: &TestDb) {
    Migrator::fresh(&db.conn)
        .await
        .expect("fresh on an empty database");
    assert_eq!(db.table_names().await, TABLES);
    Migrator::refresh(&db.conn).await.expect("refresh");
    assert_eq!(db.table_names().await, TABLES);
    Migrator::reset(&db.conn).await.expect("reset");
    assert!(db.table_names().await.is_empty());
    Migrator::fresh(&db.conn).await.expect("fresh again");
    assert_eq!(db.table_names().await, TABLES);
}

async fn up_down_up(db: &TestDb) {
    let manager = SchemaManager::new(&db.conn);

    Migrator::up(&db.conn, None).await.expect("first up");
    assert_eq!(db.table_names().await, TABLES);
    for (table, index) in INDEXES {
        assert!(
            manager.has_index(table, index).await.unwrap(),
            "index {index} on {table} missing"
        );
    }
    assert!(
        Migrator::get_pending_migrations(&db.conn)
            .await
            .unwrap()
            .is_empty()
    );

    Migrator::down(&db.conn, None).await.expect("down");
    assert_eq!(
        db.table_names().await,
        Vec::<String>::new(),
        "down must drop every table it created"
    );
    if db.backend == authstore_tests::Backend::Postgres {
        let sequences = db
            .strings("SELECT sequence_name AS name FROM information_schema.sequences")
            .await;
        assert_eq!(
            sequences,
            Vec::<String>::new(),
            "down must drop the serial sequences"
        );
    }

    Migrator::up(&db.conn, None).await.expect("second up");
    assert_eq!(db.table_names().await, TABLES);
}

/// The host app of the `embed_migrations` example, tested as documented.
#[allow(dead_code)]
#[path = "../../api-examples/examples/embed_migrations.rs"]
mod embed_migrations_example;

async fn host_migrator_embeds_authstore(db: &TestDb) {
    use embed_migrations_example::app_migrations::AppMigrator as HostMigrator;

    HostMigrator::up(&db.conn, None).await.expect("host up");
    let mut expected: Vec<&str> = TABLES.to_vec();
    expected.push("posts");
    expected.sort();
    assert_eq!(db.table_names().await, expected);
    let applied = HostMigrator::get_applied_migrations(&db.conn)
        .await
        .unwrap();
    let names: Vec<&str> = applied.iter().map(|m| m.name()).collect();
    let authstore_count = authstore_migration::migrations().len();
    assert_eq!(
        names.len(),
        authstore_count + 1,
        "authstore's migrations and the host's, applied once each: {names:?}"
    );
    assert!(
        names[..authstore_count]
            .iter()
            .all(|name| name.contains("_authstore_")),
        "authstore's migrations run first: {names:?}"
    );

    // The host's own step rolls back first, then authstore's.
    HostMigrator::down(&db.conn, Some(1))
        .await
        .expect("host down one");
    assert_eq!(db.table_names().await, TABLES);
    HostMigrator::down(&db.conn, None)
        .await
        .expect("host down all");
    assert_eq!(db.table_names().await, Vec::<String>::new());
}

fn instant(micros: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap()
        + chrono::Duration::microseconds(micros.into())
}

async fn insert_user(db: &TestDb, email: &str) -> users::Model {
    users::ActiveModel {
        email: Set(Some(email.to_string())),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .expect("insert user")
}

async fn timestamps_are_utc_instants(db: &TestDb) {
    Migrator::up(&db.conn, None).await.unwrap();

    // Written with a non-UTC offset, read back as the same instant, in UTC,
    // with microseconds intact (timestamptz, timestamp(6), datetime).
    let verified = instant(123_456);
    let in_tokyo = verified.with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap());
    let user = users::ActiveModel {
        email: Set(Some("utc@example.com".into())),
        email_verified: Set(Some(in_tokyo)),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .unwrap();
    let read = users::Entity::find_by_id(user.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    let read_verified = read.email_verified.expect("email_verified stored");
    assert_eq!(read_verified, verified);
    assert_eq!(
        read_verified.offset().local_minus_utc(),
        0,
        "read back in UTC"
    );

    // A row inserted the way next-auth inserts it, leaving the row clocks to
    // the column default, still reads back as a UTC instant of "now".
    let before = Utc::now() - chrono::Duration::seconds(5);
    db.conn
        .execute_unprepared("INSERT INTO users (email) VALUES ('js-peer@example.com')")
        .await
        .unwrap();
    let peer = users::Entity::find()
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email.as_deref() == Some("js-peer@example.com"))
        .unwrap();
    let after = Utc::now() + chrono::Duration::seconds(5);
    for clock in [peer.created_at, peer.updated_at] {
        assert!(
            clock >= before && clock <= after,
            "default row clock {clock} is not now in UTC"
        );
    }
}

async fn foreign_keys_cascade_and_reject_orphans(db: &TestDb) {
    Migrator::up(&db.conn, None).await.unwrap();
    let user = insert_user(db, "fk@example.com").await;
    let other = insert_user(db, "other@example.com").await;
    for owner in [user.id, other.id] {
        account(owner).insert(&db.conn).await.unwrap();
        session(owner).insert(&db.conn).await.unwrap();
    }

    users::Entity::delete_by_id(user.id)
        .exec(&db.conn)
        .await
        .unwrap();
    assert_eq!(
        accounts::Entity::find().count(&db.conn).await.unwrap(),
        1,
        "only the other user's account remains"
    );
    assert_eq!(
        sessions::Entity::find().count(&db.conn).await.unwrap(),
        1,
        "only the other user's session remains"
    );

    for orphan in [
        session(user.id).insert(&db.conn).await.err(),
        account(user.id).insert(&db.conn).await.err(),
    ] {
        let err = orphan.expect("a row for a deleted user must be rejected");
        assert!(
            matches!(
                err.sql_err(),
                Some(SqlErr::ForeignKeyConstraintViolation(_))
            ),
            "got {err:?}"
        );
    }
}

async fn unique_keys_reject_duplicates(db: &TestDb) {
    Migrator::up(&db.conn, None).await.unwrap();
    let user = insert_user(db, "twice@example.com").await;
    let err = users::ActiveModel {
        email: Set(Some("twice@example.com".into())),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .expect_err("duplicate email");
    assert!(
        matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
        "got {err:?}"
    );

    account(user.id).insert(&db.conn).await.unwrap();
    let err = account(user.id)
        .insert(&db.conn)
        .await
        .expect_err("duplicate compound_id");
    assert!(
        matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
        "got {err:?}"
    );
    assert_eq!(users::Entity::find().count(&db.conn).await.unwrap(), 1);
    assert_eq!(accounts::Entity::find().count(&db.conn).await.unwrap(), 1);
}

fn account(user_id: i32) -> accounts::ActiveModel {
    accounts::ActiveModel {
        compound_id: Set(format!("compound-{user_id}")),
        user_id: Set(user_id),
        provider_type: Set("oauth".into()),
        provider_id: Set("github".into()),
        provider_account_id: Set(format!("gh-{user_id}")),
        ..Default::default()
    }
}

fn session(user_id: i32) -> sessions::ActiveModel {
    sessions::ActiveModel {
        user_id: Set(user_id),
        expires: Set(instant(0).fixed_offset()),
        session_token: Set(format!(
            "session-{user_id}-{}",
            Utc::now().timestamp_nanos_opt().unwrap()
        )),
        access_token: Set(format!(
            "access-{user_id}-{}",
            Utc::now().timestamp_nanos_opt().unwrap()
        )),
        ..Default::default()
    }
}
