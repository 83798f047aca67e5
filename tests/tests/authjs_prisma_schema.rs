//! The `authjs-prisma` profile's tables are the ones Prisma's documented
//! mapping makes from `@auth/prisma-adapter` 2.11's documented schema
//! (`tests/fixtures/authjs-prisma-schema.sql`; `prisma migrate` needs an
//! engine that cannot be installed here), column for column, with Prisma's
//! constraint and index names, and only non-unique indexes added; an app's
//! database is adopted unchanged, in today's docs' shape or next-auth 4's
//! docs' (`tests/fixtures/authjs-prisma-v4-schema.sql`), with or without
//! its optional authenticators; and a lookalike that authstore's writes
//! would fail on is refused, with nothing written.

use authstore::NewUser;
use authstore::authjs::{
    AuthJsAdapter, AuthJsConfig, AuthJsStore, NewAuthJsAccount, PrismaAdapter, PrismaV4Adapter,
    schema_found,
};
use authstore::entity::descriptor::{AUTHJS_PRISMA, AUTHJS_PRISMA_V4};
use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::authjs::PRISMA_V4_SCHEMA;
use authstore_tests::pg_schema::{COLUMNS, CONSTRAINTS, INDEXES, assert_same_tables};
use authstore_tests::{Backend, TestDb};
use sea_orm::{ConnectionTrait, DatabaseConnection};

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

/// Migrates the app's database, asserting that no column or key changed
/// and that only our indexes were added; the columns.
async fn adopted_unchanged(db: &TestDb) -> Vec<String> {
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
    columns
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
    let columns = adopted_unchanged(&db).await;
    assert_eq!(db.count_rows("User").await, 1);
    Profile::AuthJsPrisma.down(&db.conn).await.unwrap();
    assert_eq!(
        db.strings(COLUMNS).await,
        columns,
        "a rollback keeps the tables"
    );
    db.destroy().await;
}

/// The tables of next-auth 4's docs' models (a CUID `id` on accounts and
/// sessions, no row clocks, an optional address, no authenticators) are
/// adopted as that shape, unchanged but for our indexes, and the database
/// is found to hold them.
#[tokio::test]
async fn the_next_auth_4_docs_shape_is_adopted_unchanged() {
    let Some(db) = TestDb::create(Backend::Postgres, "prisma_v4_shape").await else {
        return;
    };
    db.conn.execute_unprepared(PRISMA_V4_SCHEMA).await.unwrap();
    let found = schema_found(&db.conn, Profile::AuthJsPrisma).await.unwrap();
    assert_eq!(found, Some(&AUTHJS_PRISMA_V4), "told by Account.id");
    adopted_unchanged(&db).await;
    db.destroy().await;
}

/// Today's docs' shape is found as itself.
#[tokio::test]
async fn the_current_docs_shape_is_found_as_itself() {
    let Some(db) = TestDb::create(Backend::Postgres, "prisma_found").await else {
        return;
    };
    Profile::AuthJsPrisma.up(&db.conn).await.unwrap();
    let found = schema_found(&db.conn, Profile::AuthJsPrisma).await.unwrap();
    assert_eq!(found, Some(&AUTHJS_PRISMA));
    db.destroy().await;
}

/// What the app's tables hold, and a migration that refuses them: the
/// message it refuses with; nothing was written.
async fn refused(test: &str, ddl: &str) -> Option<String> {
    let db = TestDb::create(Backend::Postgres, test).await?;
    db.conn.execute_unprepared(ddl).await.unwrap();
    let (columns, constraints, indexes) = (
        db.strings(COLUMNS).await,
        db.strings(CONSTRAINTS).await,
        db.strings(INDEXES).await,
    );
    let refused = Profile::AuthJsPrisma
        .up(&db.conn)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(db.strings(COLUMNS).await, columns);
    assert_eq!(db.strings(CONSTRAINTS).await, constraints);
    assert_eq!(db.strings(INDEXES).await, indexes);
    db.destroy().await;
    Some(refused)
}

/// A lookalike whose rows need a value authstore never writes would fail
/// at its first write: it is refused when adopted, naming the column.
#[tokio::test]
async fn a_column_authstore_never_writes_must_not_be_required() {
    let ddl = format!(r#"{SCHEMA} ALTER TABLE "Session" ADD COLUMN "deviceId" TEXT NOT NULL;"#);
    let Some(refused) = refused("prisma_lookalike", &ddl).await else {
        return;
    };
    assert!(
        refused.contains("Session.deviceId is NOT NULL without a default"),
        "{refused}"
    );
    // With a default, or taking NULL, the column is the app's business.
    let Some(db) = TestDb::create(Backend::Postgres, "prisma_extra_ok").await else {
        return;
    };
    let extra = r#"ALTER TABLE "Session" ADD COLUMN "deviceId" TEXT NOT NULL DEFAULT 'web',
                   ADD COLUMN "ip" TEXT;"#;
    db.conn
        .execute_unprepared(&format!("{SCHEMA} {extra}"))
        .await
        .unwrap();
    Profile::AuthJsPrisma.up(&db.conn).await.unwrap();
    db.destroy().await;
}

/// A column authstore may leave empty (a user's name) must take NULL.
#[tokio::test]
async fn a_column_authstore_may_leave_empty_must_take_null() {
    let ddl = format!(r#"{SCHEMA} ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;"#);
    let Some(refused) = refused("prisma_name_required", &ddl).await else {
        return;
    };
    assert!(
        refused.contains("User.name is NOT NULL without a default, expected to take NULL"),
        "{refused}"
    );
}

/// next-auth 4's shape is checked as itself: one missing `id` is named.
#[tokio::test]
async fn a_half_next_auth_4_shape_is_refused() {
    let ddl = format!(r#"{PRISMA_V4_SCHEMA} ALTER TABLE "Session" DROP COLUMN "id";"#);
    let Some(refused) = refused("prisma_v4_half", &ddl).await else {
        return;
    };
    assert!(refused.contains("next-auth 4's docs"), "{refused}");
    assert!(refused.contains("Session.id is missing"), "{refused}");
}

/// An app without passkeys may have no `Authenticator` table: adopted,
/// and none is made for it.
#[tokio::test]
async fn an_app_without_authenticators_is_adopted() {
    let Some(db) = TestDb::create(Backend::Postgres, "prisma_no_passkeys").await else {
        return;
    };
    db.conn
        .execute_unprepared(&format!(r#"{SCHEMA} DROP TABLE "Authenticator";"#))
        .await
        .unwrap();
    Profile::AuthJsPrisma.up(&db.conn).await.unwrap();
    let store = prisma_store(&db);
    let ada = store.create_user(ada()).await.unwrap();
    store.delete_user(ada.id).await.unwrap();
    assert_eq!(db.count_rows("User").await, 0);
    let tables = db.table_names().await;
    assert!(
        !tables.contains(&"Authenticator".to_owned()),
        "none made: {tables:?}"
    );
    db.destroy().await;
}

fn prisma_store(db: &TestDb) -> AuthJsStore<DatabaseConnection, PrismaAdapter> {
    AuthJsStore::with_adapter(PrismaAdapter, db.conn.clone(), AuthJsConfig::default())
}

fn ada() -> NewUser {
    NewUser {
        email: Some("ada@example.com".into()),
        ..Default::default()
    }
}

/// An app on Prisma's `relationMode = "prisma"` has no foreign keys: its
/// client deletes a user's rows itself, and so does authstore, the
/// authenticators with the accounts and sessions; on either shape (an app
/// on next-auth 4's models that moved on to Auth.js v5's passkeys added the
/// `Authenticator` model).
#[tokio::test]
async fn a_user_is_deleted_with_everything_of_theirs_without_foreign_keys() {
    deleted_without_foreign_keys(PrismaAdapter, SCHEMA).await;
    let authenticators = SCHEMA
        .split(";\n")
        .find(|statement| statement.contains(r#"CREATE TABLE "Authenticator""#))
        .unwrap();
    let with_passkeys = format!("{PRISMA_V4_SCHEMA}; {authenticators};");
    deleted_without_foreign_keys(PrismaV4Adapter, &with_passkeys).await;
}

async fn deleted_without_foreign_keys<A: AuthJsAdapter>(adapter: A, ddl: &str) {
    let name = format!("prisma_relation_mode_{:?}", A::SCHEMA.adapter).to_lowercase();
    let Some(db) = TestDb::create(Backend::Postgres, &name).await else {
        return;
    };
    db.conn.execute_unprepared(ddl).await.unwrap();
    for table in ["Account", "Session", "Authenticator"] {
        let drop =
            format!(r#"ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{table}_userId_fkey""#);
        db.conn.execute_unprepared(&drop).await.unwrap();
    }
    Profile::AuthJsPrisma.up(&db.conn).await.unwrap();
    let store = AuthJsStore::with_adapter(adapter, db.conn.clone(), AuthJsConfig::default());
    let ada = store.create_user(ada()).await.unwrap();
    store.create_session(ada.id.clone()).await.unwrap();
    store
        .link_account(NewAuthJsAccount::oauth(ada.id.clone(), "github", "1"))
        .await
        .unwrap();
    db.conn
        .execute_unprepared(&format!(
            r#"INSERT INTO "Authenticator" ("credentialID", "userId", "providerAccountId",
                 "credentialPublicKey", counter, "credentialDeviceType", "credentialBackedUp")
               VALUES ('Y3JlZA==', '{}', 'Y3JlZA==', 'cGs=', 0, 'singleDevice', false)"#,
            ada.id
        ))
        .await
        .unwrap();
    store.delete_user(ada.id).await.unwrap();
    for table in ["User", "Account", "Session", "Authenticator"] {
        assert_eq!(db.count_rows(table).await, 0, "{table}");
    }
    db.destroy().await;
}

/// With the default `search_path` (`"$user", public`) and an empty schema
/// named after the role, `current_schema()` is that schema while the app's
/// unqualified SQL finds its tables in `public`: they are found there,
/// adopted as the shape they are, and no second set is made beside them.
#[tokio::test]
async fn tables_are_found_where_the_apps_sql_finds_them() {
    let Some(db) = TestDb::create(Backend::Postgres, "prisma_search_path").await else {
        return;
    };
    db.conn.execute_unprepared(PRISMA_V4_SCHEMA).await.unwrap();
    db.conn
        .execute_unprepared("CREATE SCHEMA IF NOT EXISTS postgres")
        .await
        .unwrap();
    let current = db.strings("SELECT current_schema()::text AS name").await;
    assert_eq!(current, ["postgres"], "the role's schema comes first");
    let found = schema_found(&db.conn, Profile::AuthJsPrisma).await.unwrap();
    assert_eq!(found, Some(&AUTHJS_PRISMA_V4));
    Profile::AuthJsPrisma.up(&db.conn).await.unwrap();
    let beside = db
        .strings(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = 'postgres' AND table_name <> 'seaql_migrations'",
        )
        .await;
    assert!(beside.is_empty(), "no second set of tables: {beside:?}");
    db.destroy().await;
}

/// Accounts and sessions that disagree on an `id` are neither shape: the
/// store is not chosen for them, and adopting them is refused.
#[tokio::test]
async fn a_mixed_shape_is_neither() {
    let Some(db) = TestDb::create(Backend::Postgres, "prisma_mixed").await else {
        return;
    };
    db.conn.execute_unprepared(PRISMA_V4_SCHEMA).await.unwrap();
    db.conn
        .execute_unprepared(r#"ALTER TABLE "Session" DROP COLUMN id"#)
        .await
        .unwrap();
    let found = schema_found(&db.conn, Profile::AuthJsPrisma).await;
    assert!(
        matches!(&found, Err(authstore::Error::Database(_))),
        "{found:?}"
    );
    assert!(Profile::AuthJsPrisma.up(&db.conn).await.is_err());
    db.destroy().await;
}
