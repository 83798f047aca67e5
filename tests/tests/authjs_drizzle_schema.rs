//! The `authjs-drizzle` profile's tables are the ones drizzle-kit 0.31.11
//! generates from `@auth/drizzle-adapter` 1.11.3's default PostgreSQL
//! schema (asked of drizzle-kit itself, through `tests/interop/authjs`),
//! column for column and constraint for constraint, with only non-unique
//! indexes added; an app's database is adopted unchanged, also one made
//! from the adapter's docs when they wrapped the composite keys so that
//! Drizzle made none (where the carry-over still carries a provider
//! identity two rows hold for nobody). Other backends' refusal is
//! `authjs_schema.rs`'s, for every Auth.js profile.
//!
//! Needs `npm ci --prefix tests/interop/authjs` (CI does it); without it
//! the tests are skipped with a note, or fail when `CI` is set.

use authstore::authjs::{AuthJsConfig, AuthJsStore, DrizzleAdapter, NewAuthJsAccount};
use authstore::better_auth::carry_over::{CarryOver, LeftBehind, Source};
use authstore::{Conflict, Error, NewUser};
use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::interop::{self, NextAuth};
use authstore_tests::pg_schema::{COLUMNS, CONSTRAINTS, assert_same_tables};
use authstore_tests::{Backend, TestDb};
use sea_orm::ConnectionTrait;
use serde_json::json;

/// The indexes authstore adds, none unique.
const OURS: [&str; 3] = [
    "CREATE INDEX \"account_providerAccountId\" ON public.account USING btree (\"providerAccountId\")",
    "CREATE INDEX \"account_userId\" ON public.account USING btree (\"userId\")",
    "CREATE INDEX \"session_userId\" ON public.session USING btree (\"userId\")",
];

/// drizzle-kit's statements for the adapter's default tables.
fn drizzle_kit_sql(db: &TestDb) -> Vec<String> {
    let drizzle = NextAuth::new("authjs/authjs.mjs", &db.url);
    let out = drizzle.run(json!([{ "op": "drizzleKitSql", "args": [] }]));
    let statements: Vec<String> = serde_json::from_value(out[0].clone()).unwrap();
    assert!(statements.len() >= 5, "{statements:#?}");
    statements
}

async fn apply(db: &TestDb, statements: &[String]) {
    for statement in statements {
        db.conn.execute_unprepared(statement).await.unwrap();
    }
}

/// The statements as the adapter's docs once had the schema written: the
/// composite keys wrapped in an object, which Drizzle ignores.
fn without_composite_keys(statements: &[String]) -> Vec<String> {
    statements
        .iter()
        .map(|statement| {
            statement
                .lines()
                .filter(|line| !line.contains("_pk\" PRIMARY KEY("))
                .collect::<Vec<_>>()
                .join("\n")
                .replace(",\n);", "\n);")
        })
        .collect()
}

#[tokio::test]
async fn the_tables_are_drizzle_kits_with_only_our_indexes_added() {
    if !interop::authjs_installed() {
        return;
    }
    let Some(theirs) = TestDb::create(Backend::Postgres, "drizzle_schema_theirs").await else {
        return;
    };
    let ours = TestDb::create(Backend::Postgres, "drizzle_schema_ours")
        .await
        .unwrap();
    apply(&theirs, &drizzle_kit_sql(&theirs)).await;
    Profile::AuthJsDrizzle.up(&ours.conn).await.unwrap();
    let constraints = theirs.strings(CONSTRAINTS).await;
    assert!(
        constraints
            .iter()
            .any(|c| c.starts_with("account_userId_user_id_fk FOREIGN KEY")),
        "{constraints:#?}"
    );
    // five tables, 30 columns
    assert_same_tables(&theirs, &ours, 30, &OURS).await;
    theirs.destroy().await;
    ours.destroy().await;
}

#[tokio::test]
async fn a_database_without_the_docs_composite_keys_is_adopted_and_kept_to_one_account() {
    if !interop::authjs_installed() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "drizzle_docs_bug").await else {
        return;
    };
    let statements = without_composite_keys(&drizzle_kit_sql(&db));
    apply(&db, &statements).await;
    let constraints = db.strings(CONSTRAINTS).await;
    assert!(
        !constraints.iter().any(|c| c.contains("_pk PRIMARY KEY")),
        "no composite key: {constraints:#?}"
    );
    let columns = db.strings(COLUMNS).await;
    Profile::AuthJsDrizzle.up(&db.conn).await.unwrap();
    assert_eq!(db.strings(COLUMNS).await, columns, "no column changed");
    assert_eq!(
        db.strings(CONSTRAINTS).await,
        constraints,
        "no key added or dropped"
    );

    // Nothing in the database stops a second row for one provider
    // account; authstore's own writes still do.
    let store = AuthJsStore::with_adapter(DrizzleAdapter, db.conn.clone(), AuthJsConfig::default());
    let ada = NewUser {
        email: Some("ada@example.com".into()),
        ..Default::default()
    };
    let ada = store.create_user(ada).await.unwrap();
    let grace = NewUser {
        email: Some("grace@example.com".into()),
        ..Default::default()
    };
    let grace = store.create_user(grace).await.unwrap();
    store
        .link_account(NewAuthJsAccount::oauth(ada.id.clone(), "github", "42"))
        .await
        .unwrap();
    let again = store
        .link_account(NewAuthJsAccount::oauth(grace.id.clone(), "github", "42"))
        .await;
    assert!(
        matches!(again, Err(Error::Conflict(Conflict::Account))),
        "{again:?}"
    );
    assert_eq!(db.count_rows("account").await, 1);

    // The app's own writes can make the second row; the carry-over then
    // carries that identity for nobody (the rows have no id of their own:
    // told apart by PostgreSQL's row address).
    let grace_id = grace.id.clone();
    db.conn
        .execute_unprepared(&format!(
            "INSERT INTO account (\"userId\", type, provider, \"providerAccountId\")
             VALUES ('{grace_id}', 'oauth', 'github', '42')"
        ))
        .await
        .unwrap();
    let target = TestDb::create(Backend::Postgres, "drizzle_docs_bug_target")
        .await
        .unwrap();
    Profile::BetterAuth.up(&target.conn).await.unwrap();
    let report = CarryOver::new(Source::of(Profile::AuthJsDrizzle, None, None).unwrap())
        .run(&db.conn, &target.conn, |_| {})
        .await
        .unwrap();
    let mut left = report.left_behind.clone();
    left.sort_by_key(|item| format!("{item:?}"));
    let mut shared = vec![
        LeftBehind::SharedAccount {
            user_id: ada.id.clone(),
            provider: "github".into(),
        },
        LeftBehind::SharedAccount {
            user_id: grace.id.clone(),
            provider: "github".into(),
        },
    ];
    shared.sort_by_key(|item| format!("{item:?}"));
    assert_eq!(left, shared);
    assert_eq!((report.users, report.accounts), (2, 0), "{report:?}");
    target.destroy().await;
    db.destroy().await;
}

/// The authenticator table is optional in the adapter's docs (passkeys
/// only): an app without it is adopted, none is made, and a user is
/// deleted as before.
#[tokio::test]
async fn a_database_without_the_authenticator_table_is_adopted() {
    if !interop::authjs_installed() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "drizzle_no_passkeys").await else {
        return;
    };
    let statements: Vec<String> = drizzle_kit_sql(&db)
        .into_iter()
        .filter(|statement| !statement.contains("\"authenticator\""))
        .collect();
    apply(&db, &statements).await;
    Profile::AuthJsDrizzle.up(&db.conn).await.unwrap();
    assert!(
        !db.table_names().await.contains(&"authenticator".to_owned()),
        "none made"
    );
    let store = AuthJsStore::with_adapter(DrizzleAdapter, db.conn.clone(), AuthJsConfig::default());
    let ada = NewUser {
        email: Some("ada@example.com".into()),
        ..Default::default()
    };
    let ada = store.create_user(ada).await.unwrap();
    store.delete_user(ada.id).await.unwrap();
    assert_eq!(db.count_rows("user").await, 0);
    db.destroy().await;
}

/// drizzle-kit's statements for the adapter's SQLite tables.
fn drizzle_kit_sqlite_sql(db: &TestDb) -> Vec<String> {
    let drizzle = NextAuth::new("authjs/authjs.mjs", &db.url);
    let out = drizzle.run(json!([{ "op": "drizzleKitSqliteSql", "args": [] }]));
    let statements: Vec<String> = serde_json::from_value(out[0].clone()).unwrap();
    assert!(statements.len() >= 5, "{statements:#?}");
    statements
}

/// A SQLite database's tables as what tells two schemas apart there: each
/// column (type, NOT NULL, place in the primary key), each foreign key
/// (with its actions), each unique key's columns, and the names of the
/// other indexes.
async fn sqlite_schema(db: &TestDb) -> Vec<String> {
    const TABLES: &str =
        "m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'seaql_%'";
    let mut schema = db
        .strings(&format!(
            "SELECT m.name || '.' || p.name || ' ' || lower(p.type) \
               || CASE WHEN p.\"notnull\" THEN ' not null' ELSE '' END || ' pk ' || p.pk AS name \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE {TABLES}"
        ))
        .await;
    schema.extend(
        db.strings(&format!(
            "SELECT m.name || ': ' || f.\"from\" || ' references ' || f.\"table\" || '.' || f.\"to\" \
               || ' on update ' || lower(f.on_update) || ' on delete ' || lower(f.on_delete) AS name \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE {TABLES}"
        ))
        .await,
    );
    schema.extend(
        db.strings(&format!(
            "SELECT m.name || CASE WHEN i.\"unique\" THEN ' unique (' || \
               (SELECT group_concat(c.name, ', ') FROM pragma_index_info(i.name) c) || ')' \
               ELSE ' index ' || i.name END AS name \
             FROM sqlite_master m JOIN pragma_index_list(m.name) i WHERE {TABLES}"
        ))
        .await,
    );
    schema.sort();
    schema
}

/// On SQLite, the tables are those drizzle-kit makes from the adapter's
/// `lib/sqlite.js` (times as `integer` milliseconds), column for column
/// and key for key, with only our non-unique indexes added; a database
/// drizzle-kit made is adopted with nothing of it changed.
#[tokio::test]
async fn on_sqlite_the_tables_are_drizzle_kits_with_only_our_indexes_added() {
    if !interop::authjs_installed() {
        return;
    }
    let Some(theirs) = TestDb::create(Backend::Sqlite, "drizzle_sqlite_theirs").await else {
        return;
    };
    let ours = TestDb::create(Backend::Sqlite, "drizzle_sqlite_ours")
        .await
        .unwrap();
    apply(&theirs, &drizzle_kit_sqlite_sql(&theirs)).await;
    let made = sqlite_schema(&theirs).await;
    Profile::AuthJsDrizzle.up(&ours.conn).await.unwrap();
    const OURS_ON_SQLITE: [&str; 3] = [
        "account index account_providerAccountId",
        "account index account_userId",
        "session index session_userId",
    ];
    // SQLite names no unique constraint: drizzle-kit's named unique
    // indexes are unnamed ones here, keeping the same rows apart.
    let mut expected: Vec<String> = made
        .iter()
        .cloned()
        .chain(OURS_ON_SQLITE.map(str::to_owned))
        .collect();
    expected.sort();
    assert_eq!(sqlite_schema(&ours).await, expected);

    Profile::AuthJsDrizzle.up(&theirs.conn).await.unwrap();
    assert_eq!(
        sqlite_schema(&theirs).await,
        expected,
        "adopted, only ours added"
    );
    theirs.destroy().await;
    ours.destroy().await;
}

/// SQLite's `lower()` folds ASCII letters only: a row an app wrote with
/// capitals outside ASCII (`ada@CAFÉ.example`, as a provider sent it) is
/// still the mailbox `ada@café.example`, and no second user is made for it,
/// by a sign-up or by a sign-in link. Nothing is written.
#[tokio::test]
async fn on_sqlite_a_mailbox_is_one_whatever_the_case_of_its_letters() {
    let Some(db) = TestDb::create(Backend::Sqlite, "drizzle_sqlite_mailbox").await else {
        return;
    };
    Profile::AuthJsDrizzle.up(&db.conn).await.unwrap();
    db.conn
        .execute_unprepared(
            r#"INSERT INTO "user" (id, email) VALUES ('5b0e3c1a-0000-4000-8000-000000000001', 'ada@CAFÉ.example')"#,
        )
        .await
        .unwrap();
    let store = AuthJsStore::with_adapter(DrizzleAdapter, db.conn.clone(), AuthJsConfig::default());
    let again = NewUser {
        email: Some("ada@café.example".into()),
        ..Default::default()
    };
    let taken = store.create_user(again).await;
    assert!(
        matches!(taken, Err(Error::Conflict(Conflict::Email))),
        "{taken:?}"
    );
    let config = AuthJsConfig::default()
        .secret("an Auth.js app's secret")
        .unwrap();
    let store = AuthJsStore::with_adapter(DrizzleAdapter, db.conn.clone(), config);
    let (_, link) = store
        .create_verification_token("ada@café.example")
        .await
        .unwrap();
    let signed_in = store
        .sign_in_with_link("ada@café.example", link.expose())
        .await;
    assert!(
        matches!(signed_in, Err(Error::Conflict(Conflict::Email))),
        "{signed_in:?}"
    );
    assert_eq!(db.count_rows("user").await, 1);
    assert_eq!(db.count_rows("session").await, 0);
    db.destroy().await;
}

/// On SQLite a table whose times are not integers (an app that declared
/// them `text`), or that has no `rowid`, would be misread: adopting it is
/// refused, naming the table, and nothing is written.
#[tokio::test]
async fn on_sqlite_tables_authstore_would_misread_are_refused() {
    if !interop::authjs_installed() {
        return;
    }
    let cases = [
        (
            "`expires` integer NOT NULL,\n\tFOREIGN KEY",
            "`expires` text NOT NULL,\n\tFOREIGN KEY",
            "session.expires is TEXT",
        ),
        (
            "PRIMARY KEY(`identifier`, `token`)\n)",
            "PRIMARY KEY(`identifier`, `token`)\n) WITHOUT ROWID",
            "verificationToken is WITHOUT ROWID",
        ),
    ];
    for (from, to, named) in cases {
        let Some(db) = TestDb::create(Backend::Sqlite, "drizzle_sqlite_misread").await else {
            return;
        };
        let statements: Vec<String> = drizzle_kit_sqlite_sql(&db)
            .into_iter()
            .map(|statement| statement.replace(from, to))
            .collect();
        assert!(statements.iter().any(|s| s.contains(to)), "{statements:#?}");
        apply(&db, &statements).await;
        let before = sqlite_schema(&db).await;
        let refused = Profile::AuthJsDrizzle
            .up(&db.conn)
            .await
            .unwrap_err()
            .to_string();
        assert!(refused.contains(named), "{refused}");
        assert_eq!(sqlite_schema(&db).await, before, "nothing written");
        db.destroy().await;
    }
}
