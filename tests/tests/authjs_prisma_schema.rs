//! The `authjs-prisma` profile's tables are the ones Prisma's documented
//! mapping makes from `@auth/prisma-adapter` 2.11's documented schema
//! (`tests/fixtures/authjs-prisma-schema.sql`; `prisma migrate` needs an
//! engine that cannot be installed here), column for column, with Prisma's
//! constraint and index names, and only non-unique indexes added; an app's
//! database is adopted unchanged; and the v4 docs' shape is refused.

use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::pg_schema::{COLUMNS, CONSTRAINTS, INDEXES, assert_same_tables};
use authstore_tests::{Backend, TestDb};
use sea_orm::ConnectionTrait;

const SCHEMA: &str = include_str!("../fixtures/authjs-prisma-schema.sql");

/// The indexes authstore adds, none unique.
const OURS: [&str; 2] = [
    "CREATE INDEX \"Account_userId\" ON public.\"Account\" USING btree (\"userId\")",
    "CREATE INDEX \"Session_userId\" ON public.\"Session\" USING btree (\"userId\")",
];

#[tokio::test]
async fn the_tables_are_prismas_with_only_our_indexes_added() {
    let Some(theirs) = TestDb::create(Backend::Postgres, "prisma_schema_theirs").await else {
        return;
    };
    let ours = TestDb::create(Backend::Postgres, "prisma_schema_ours")
        .await
        .unwrap();
    theirs.conn.execute_unprepared(SCHEMA).await.unwrap();
    Profile::AuthJsPrisma.up(&ours.conn).await.unwrap();
    // five tables, 36 columns
    assert_same_tables(&theirs, &ours, 36, &OURS).await;
    theirs.destroy().await;
    ours.destroy().await;
}

#[tokio::test]
async fn an_apps_database_is_adopted_unchanged() {
    let Some(db) = TestDb::create(Backend::Postgres, "prisma_adopt").await else {
        return;
    };
    db.conn.execute_unprepared(SCHEMA).await.unwrap();
    db.conn
        .execute_unprepared(
            r#"INSERT INTO "User" (id, email, "updatedAt") VALUES ('cjld2cjxh0000qzrmn831i7rn', 'ada@example.com', now());"#,
        )
        .await
        .unwrap();
    let (columns, constraints, indexes) = (
        db.strings(COLUMNS).await,
        db.strings(CONSTRAINTS).await,
        db.strings(INDEXES).await,
    );
    Profile::AuthJsPrisma.up(&db.conn).await.unwrap();
    assert_eq!(db.strings(COLUMNS).await, columns, "no column changed");
    assert_eq!(db.strings(CONSTRAINTS).await, constraints, "no key changed");
    let mut expected = indexes;
    expected.extend(OURS.map(str::to_owned));
    expected.sort();
    let mut found = db.strings(INDEXES).await;
    found.sort();
    assert_eq!(found, expected, "only ours added");
    assert_eq!(db.count_rows("User").await, 1);
    Profile::AuthJsPrisma.down(&db.conn).await.unwrap();
    assert_eq!(
        db.strings(COLUMNS).await,
        columns,
        "a rollback keeps the tables"
    );
    db.destroy().await;
}

/// The schema of the adapter's v4 docs (ids on accounts and sessions, no
/// row clocks, an optional address) is not served yet: adopting it is
/// refused, naming what differs, and nothing is written.
#[tokio::test]
async fn the_v4_docs_shape_is_refused_not_damaged() {
    let Some(db) = TestDb::create(Backend::Postgres, "prisma_v4_shape").await else {
        return;
    };
    db.conn
        .execute_unprepared(
            r#"CREATE TABLE "User" (id TEXT PRIMARY KEY, name TEXT, email TEXT UNIQUE,
                 "emailVerified" TIMESTAMP(3), image TEXT);
               CREATE TABLE "Account" (id TEXT PRIMARY KEY, "userId" TEXT NOT NULL REFERENCES "User",
                 type TEXT NOT NULL, provider TEXT NOT NULL, "providerAccountId" TEXT NOT NULL,
                 refresh_token TEXT, access_token TEXT, expires_at INTEGER, token_type TEXT,
                 scope TEXT, id_token TEXT, session_state TEXT,
                 UNIQUE (provider, "providerAccountId"));
               CREATE TABLE "Session" (id TEXT PRIMARY KEY, "sessionToken" TEXT NOT NULL UNIQUE,
                 "userId" TEXT NOT NULL REFERENCES "User", expires TIMESTAMP(3) NOT NULL);
               CREATE TABLE "VerificationToken" (identifier TEXT NOT NULL, token TEXT NOT NULL UNIQUE,
                 expires TIMESTAMP(3) NOT NULL, UNIQUE (identifier, token));
               CREATE TABLE "Authenticator" ("credentialID" TEXT NOT NULL UNIQUE, "userId" TEXT NOT NULL,
                 "providerAccountId" TEXT NOT NULL, "credentialPublicKey" TEXT NOT NULL,
                 counter INTEGER NOT NULL, "credentialDeviceType" TEXT NOT NULL,
                 "credentialBackedUp" BOOLEAN NOT NULL, transports TEXT,
                 PRIMARY KEY ("userId", "credentialID"));"#,
        )
        .await
        .unwrap();
    let (columns, indexes) = (db.strings(COLUMNS).await, db.strings(INDEXES).await);
    let refused = Profile::AuthJsPrisma
        .up(&db.conn)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("User.createdAt is missing"), "{refused}");
    assert_eq!(db.strings(COLUMNS).await, columns);
    assert_eq!(db.strings(INDEXES).await, indexes);
    db.destroy().await;
}
