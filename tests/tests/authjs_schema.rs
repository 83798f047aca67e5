//! The `authjs-pg` profile's tables are `@auth/pg-adapter`'s, column for
//! column (`tests/fixtures/authjs-pg-schema.sql`, its released
//! `schema.sql`), with only non-unique indexes added; a database the app
//! made, in the current shape or in the older one with unique and foreign
//! keys, is adopted unchanged; and every Auth.js profile refuses any
//! backend but PostgreSQL before it writes anything.

use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::pg_schema::{COLUMNS, CONSTRAINTS, INDEXES, assert_same_tables};
use authstore_tests::{Backend, TestDb};
use sea_orm::ConnectionTrait;

const SCHEMA: &str = include_str!("../fixtures/authjs-pg-schema.sql");

/// The indexes authstore adds, none unique.
const OURS: [&str; 5] = [
    "CREATE INDEX \"accounts_providerAccountId\" ON public.accounts USING btree (\"providerAccountId\")",
    "CREATE INDEX \"accounts_userId\" ON public.accounts USING btree (\"userId\")",
    "CREATE INDEX \"sessions_sessionToken\" ON public.sessions USING btree (\"sessionToken\")",
    "CREATE INDEX \"sessions_userId\" ON public.sessions USING btree (\"userId\")",
    "CREATE INDEX users_email ON public.users USING btree (email)",
];

#[tokio::test]
async fn the_tables_are_the_adapters_with_only_our_indexes_added() {
    let Some(theirs) = TestDb::create(Backend::Postgres, "authjs_schema_theirs").await else {
        return;
    };
    let ours = TestDb::create(Backend::Postgres, "authjs_schema_ours")
        .await
        .unwrap();
    theirs.conn.execute_unprepared(SCHEMA).await.unwrap();
    Profile::AuthJsPg.up(&ours.conn).await.unwrap();
    // four tables, 24 columns
    assert_same_tables(&theirs, &ours, 24, &OURS).await;
    theirs.destroy().await;
    ours.destroy().await;
}

#[tokio::test]
async fn an_apps_database_is_adopted_unchanged_in_either_shape() {
    // The older schema.sql declared a unique address, token and provider
    // account, and foreign keys to users.
    let older = [
        "ALTER TABLE users ADD UNIQUE (email)",
        "ALTER TABLE sessions ADD UNIQUE (\"sessionToken\")",
        "ALTER TABLE accounts ADD UNIQUE (provider, \"providerAccountId\")",
        "ALTER TABLE sessions ADD FOREIGN KEY (\"userId\") REFERENCES users ON DELETE CASCADE",
        "ALTER TABLE accounts ADD FOREIGN KEY (\"userId\") REFERENCES users ON DELETE CASCADE",
    ];
    for (shape, extra) in [("current", &older[..0]), ("older", &older[..])] {
        let Some(db) = TestDb::create(Backend::Postgres, &format!("authjs_adopt_{shape}")).await
        else {
            return;
        };
        db.conn.execute_unprepared(SCHEMA).await.unwrap();
        for statement in extra {
            db.conn.execute_unprepared(statement).await.unwrap();
        }
        db.conn
            .execute_unprepared(
                "INSERT INTO users (email) VALUES ('ada@example.com');
                 INSERT INTO sessions (\"userId\", expires, \"sessionToken\")
                   VALUES (1, now() + interval '1 day', 'kept');",
            )
            .await
            .unwrap();
        let (columns, constraints) = (db.strings(COLUMNS).await, db.strings(CONSTRAINTS).await);
        Profile::AuthJsPg.up(&db.conn).await.unwrap();
        assert_eq!(
            db.strings(COLUMNS).await,
            columns,
            "{shape}: no column changed"
        );
        assert_eq!(
            db.strings(CONSTRAINTS).await,
            constraints,
            "{shape}: no key added or dropped"
        );
        assert_eq!(
            db.count_rows("sessions").await,
            1,
            "{shape}: no row changed"
        );
        for index in OURS {
            assert!(
                db.strings(INDEXES).await.iter().any(|found| found == index),
                "{shape}: {index}"
            );
        }
        db.destroy().await;
    }
}

#[tokio::test]
async fn a_rollback_leaves_the_apps_tables_and_rows() {
    let Some(db) = TestDb::create(Backend::Postgres, "authjs_rollback").await else {
        return;
    };
    db.conn.execute_unprepared(SCHEMA).await.unwrap();
    db.conn
        .execute_unprepared("INSERT INTO users (email) VALUES ('ada@example.com')")
        .await
        .unwrap();
    let (columns, indexes) = (db.strings(COLUMNS).await, db.strings(INDEXES).await);
    Profile::AuthJsPg.up(&db.conn).await.unwrap();
    Profile::AuthJsPg.down(&db.conn).await.unwrap();
    assert_eq!(db.strings(COLUMNS).await, columns);
    assert_eq!(
        db.strings(INDEXES).await,
        indexes,
        "only authstore's indexes went"
    );
    assert_eq!(db.count_rows("users").await, 1);
    let triggers = "SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal";
    assert_eq!(db.strings(triggers).await, Vec::<String>::new());
    db.destroy().await;
}

/// An Auth.js profile's tables exist only on the backends its adapter has
/// them for and authstore serves: PostgreSQL, and SQLite for Drizzle's.
/// Elsewhere the migration is refused before anything is written.
#[tokio::test]
async fn other_backends_are_refused_before_anything_is_written() {
    let refused_on = [
        (Profile::AuthJsPg, Backend::Sqlite),
        (Profile::AuthJsPg, Backend::MySql),
        (Profile::AuthJsDrizzle, Backend::MySql),
        (Profile::AuthJsPrisma, Backend::Sqlite),
        (Profile::AuthJsPrisma, Backend::MySql),
    ];
    for (profile, backend) in refused_on {
        let Some(db) = TestDb::create(backend, "authjs_other_backend").await else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{} is required in CI",
                backend.name()
            );
            continue;
        };
        let refused = profile.up(&db.conn).await.unwrap_err().to_string();
        assert!(refused.contains("exist only on"), "{profile}: {refused}");
        assert_eq!(
            db.table_names().await,
            Vec::<String>::new(),
            "{profile} on {}",
            backend.name()
        );
        db.destroy().await;
    }
}
