//! authstore's `better-auth` profile against better-auth 1.7.25 itself
//! (`tests/interop/better-auth/better-auth.mjs` under Node, its Kysely
//! adapter on node-postgres, mysql2 and better-sqlite3), on PostgreSQL,
//! MariaDB and SQLite:
//! - the schema authstore lays down is the one better-auth's own migration
//!   makes, column, index and key alike, and authstore adopts a database
//!   better-auth made without changing it;
//! - users, passwords and sessions made on either side work on the other,
//!   through the signed cookie a browser carries;
//! - renewal, expiry and revocation by one side are what the other sees;
//! - OAuth accounts linked on either side are found on the other;
//! - what the carry-over refuses to carry (a lucia-auth hash of the empty
//!   password, a look-alike address on MySQL) better-auth then refuses too.
//!
//! Needs `npm ci --prefix tests/interop/better-auth` and, for SQLite,
//! `npm rebuild better-sqlite3` there (CI does both); without
//! it the tests are skipped with a note, or fail when `CI` is set.

use authstore::Profile;
use authstore::better_auth::cookie::{signed_session_cookie, token_from_set_cookie};
use authstore::better_auth::{BetterAuthStore, LinkedAccount, NewUser, SessionMeta};
use authstore::{Error, Refusal, Secret};
use authstore_migration::ProfileMigrations;
use authstore_tests::interop::{self, NextAuth, SECRET, instant};
use authstore_tests::{Backend, TestDb};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde_json::{Value, json};

/// One test per backend for each body.
macro_rules! every_backend {
    ($($body:ident),+ $(,)?) => {$(
        mod $body {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body(authstore_tests::Backend::Sqlite, concat!("ba_", stringify!($body))).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$body(authstore_tests::Backend::Postgres, concat!("ba_", stringify!($body))).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                super::$body(authstore_tests::Backend::MySql, concat!("ba_", stringify!($body))).await
            }
        }
    )+};
}

every_backend!(
    schema_is_better_auths_own,
    passwords_and_sessions_cross_both_ways,
    renewal_and_expiry_agree,
    revocation_is_seen_by_the_other_side,
    oauth_accounts_cross_both_ways,
    the_carry_overs_refusals_hold_in_better_auth,
);

fn secret() -> Secret {
    Secret::from(SECRET.to_owned())
}

/// A database migrated by authstore, better-auth on it, and the store.
async fn shared(backend: Backend, test: &str) -> Option<(TestDb, NextAuth, BetterAuthStore)> {
    if !interop::better_auth_installed() {
        return None;
    }
    let db = TestDb::create(backend, test).await?;
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let store = BetterAuthStore::new(db.conn.clone(), Default::default());
    let better_auth = NextAuth::new("better-auth/better-auth.mjs", &db.url);
    Some((db, better_auth, store))
}

fn at(store: &BetterAuthStore, now: DateTime<Utc>) -> BetterAuthStore {
    store.clone().with_clock(move || now)
}

fn ada() -> NewUser {
    NewUser {
        name: "Ada".into(),
        email: "ada@example.com".into(),
        ..NewUser::default()
    }
}

/// The schema as `information_schema` (or `pg_indexes`) describes it: one
/// line per column, index and foreign key of better-auth's four tables.
async fn schema(db: &TestDb) -> Vec<String> {
    let ours = "('user', 'session', 'account', 'verification')";
    let queries = match db.backend {
        Backend::Postgres => vec![
            format!(
                "SELECT concat_ws(' ', table_name, column_name, data_type, is_nullable, column_default) AS name
                 FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN {ours}
                 ORDER BY table_name, ordinal_position"
            ),
            format!(
                "SELECT indexdef AS name FROM pg_indexes WHERE schemaname = 'public' AND tablename IN {ours}
                 ORDER BY indexname"
            ),
            format!(
                "SELECT concat_ws(' ', conname, conrelid::regclass::text, pg_get_constraintdef(oid)) AS name
                 FROM pg_constraint WHERE conrelid::regclass::text IN ('\"user\"', 'session', 'account', 'verification')
                 ORDER BY conname"
            ),
        ],
        Backend::Sqlite => vec![
            format!(
                "SELECT m.name || ' ' || c.name || ' ' || c.type || ' ' || c.\"notnull\" || ' ' || c.pk || ' ' || ifnull(c.dflt_value, '-') AS name
                 FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name IN {ours}
                 ORDER BY m.name, c.cid"
            ),
            format!(
                "SELECT m.name || ' ' || i.name || ' ' || i.\"unique\" || ' ' || i.origin || ' ' || ii.name AS name
                 FROM sqlite_master m, pragma_index_list(m.name) i, pragma_index_info(i.name) ii
                 WHERE m.type = 'table' AND m.name IN {ours} ORDER BY 1"
            ),
            format!(
                "SELECT m.name || ' ' || f.\"from\" || ' ' || f.\"table\" || '.' || f.\"to\" || ' ' || f.on_delete AS name
                 FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND m.name IN {ours} ORDER BY 1"
            ),
        ],
        Backend::MySql => vec![
            format!(
                "SELECT concat_ws(' ', table_name, column_name, column_type, is_nullable, ifnull(column_default, '-')) AS name
                 FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name IN {ours}
                 ORDER BY table_name, ordinal_position"
            ),
            format!(
                "SELECT concat_ws(' ', table_name, index_name, non_unique, group_concat(column_name ORDER BY seq_in_index)) AS name
                 FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name IN {ours}
                 GROUP BY table_name, index_name, non_unique ORDER BY 1"
            ),
            "SELECT concat_ws(' ', constraint_name, table_name, referenced_table_name, delete_rule) AS name
             FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() ORDER BY 1"
                .to_owned(),
        ],
    };
    let mut lines = Vec::new();
    for query in queries {
        lines.extend(db.strings(&query).await);
    }
    lines
}

async fn schema_is_better_auths_own(backend: Backend, test: &str) {
    if !interop::better_auth_installed() {
        return;
    }
    let Some(theirs) = TestDb::create(backend, &format!("{test}_theirs")).await else {
        return;
    };
    let ours = TestDb::create(backend, &format!("{test}_ours"))
        .await
        .unwrap();
    NextAuth::new("better-auth/better-auth.mjs", &theirs.url).run(json!([{ "op": "migrate" }]));
    Profile::BetterAuth.up(&ours.conn).await.unwrap();
    let expected = schema(&theirs).await;
    assert!(
        expected.len() > 40,
        "better-auth made its tables: {expected:#?}"
    );
    assert_eq!(schema(&ours).await, expected);

    // Adopting better-auth's own database changes nothing, and a store
    // works on it.
    Profile::BetterAuth.up(&theirs.conn).await.unwrap();
    assert_eq!(schema(&theirs).await, expected);
    let store = BetterAuthStore::new(theirs.conn.clone(), Default::default());
    store
        .sign_up_with_password(ada(), "correct horse")
        .await
        .unwrap();
    theirs.destroy().await;
    ours.destroy().await;
}

async fn passwords_and_sessions_cross_both_ways(backend: Backend, test: &str) {
    let Some((db, better_auth, store)) = shared(backend, test).await else {
        return;
    };
    // better-auth's user signs in through authstore, with the address in
    // another case, and better-auth's cookie names a session authstore finds.
    let out = better_auth.run(json!([
        { "op": "signUpEmail", "args": [{ "name": "Grace", "email": "Grace@Example.com", "password": "ｐａｓｓ phrase" }] },
    ]));
    let grace = out[0]["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(out[0]["user"]["email"], "grace@example.com");
    let cookie = out[0]["cookie"].as_str().unwrap();
    let token = token_from_set_cookie(cookie, &secret()).expect("better-auth's cookie checks");
    let valid = store
        .validate_session(token.expose())
        .await
        .unwrap()
        .expect("its session");
    assert_eq!(valid.user.id, grace);
    assert_eq!(valid.user.name, "Grace");
    let ours = store
        .sign_in_with_password("GRACE@example.com", "pass phrase", SessionMeta::default())
        .await
        .expect("better-auth's hash verifies here, NFKC and all");
    assert!(matches!(
        store
            .sign_in_with_password("grace@example.com", "pass phrasE", SessionMeta::default())
            .await,
        Err(Error::SignInRefused(Refusal::WrongPassword))
    ));

    // authstore's user signs in to better-auth, and authstore's signed
    // cookie is better-auth's session.
    let user = store
        .sign_up_with_password(ada(), "correct horse")
        .await
        .unwrap();
    let session = store
        .create_session(&user.id, SessionMeta::default())
        .await
        .unwrap();
    let out = better_auth.run(json!([
        { "op": "signInEmail", "args": [{ "email": "ADA@example.com", "password": "correct horse" }] },
        { "op": "signInEmailError", "args": [{ "email": "ada@example.com", "password": "correct horsE" }] },
        { "op": "getSession", "args": [signed_session_cookie(&session.token, &secret())] },
        { "op": "getSession", "args": [signed_session_cookie(&ours.token, &secret())] },
        { "op": "getSession", "args": [session.token.expose()] },
    ]));
    assert_eq!(out[0]["user"]["id"], user.id.as_str());
    assert_eq!(out[1]["error"], "INVALID_EMAIL_OR_PASSWORD");
    let read = &out[2]["session"];
    assert_eq!(read["user"]["id"], user.id.as_str());
    assert_eq!(read["user"]["email"], "ada@example.com");
    assert_eq!(instant(&read["session"]["expiresAt"]), session.expires_at);
    assert_eq!(instant(&read["session"]["createdAt"]), session.created_at);
    assert_eq!(out[2]["cookie"], Value::Null, "not due for renewal");
    assert_eq!(out[3]["session"]["user"]["id"], grace.as_str());
    assert_eq!(
        out[4]["session"],
        Value::Null,
        "an unsigned cookie is ignored"
    );
    db.destroy().await;
}

async fn renewal_and_expiry_agree(backend: Backend, test: &str) {
    let Some((db, better_auth, store)) = shared(backend, test).await else {
        return;
    };
    let user = store
        .sign_up_with_password(ada(), "correct horse")
        .await
        .unwrap();
    let now = Utc::now().trunc_subsecs(3);
    // Made two days ago: due for renewal (after a day), and better-auth
    // renews it, re-sending the same token.
    let due = at(&store, now - TimeDelta::days(2))
        .create_session(&user.id, SessionMeta::default())
        .await
        .unwrap();
    // Made eight days ago: over, and better-auth deletes it on read.
    let dead = at(&store, now - TimeDelta::days(8))
        .create_session(&user.id, SessionMeta::default())
        .await
        .unwrap();
    let out = better_auth.run(json!([
        { "op": "getSession", "args": [signed_session_cookie(&due.token, &secret())] },
        { "op": "getSession", "args": [signed_session_cookie(&dead.token, &secret())] },
    ]));
    let renewed = instant(&out[0]["session"]["session"]["expiresAt"]);
    assert!(renewed >= now + TimeDelta::days(7), "{renewed}");
    let cookie = out[0]["cookie"].as_str().expect("the cookie is sent again");
    assert_eq!(
        token_from_set_cookie(cookie, &secret()),
        Some(due.token.clone())
    );
    let seen = store
        .validate_session(due.token.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.session.expires_at, renewed);
    assert!(!seen.session.fresh);
    assert_eq!(out[1]["session"], Value::Null);
    assert_eq!(
        store.validate_session(dead.token.expose()).await.unwrap(),
        None
    );
    assert_eq!(
        db.count_rows("session").await,
        1,
        "better-auth deleted the expired one"
    );

    // better-auth's session, read by authstore two days on, is renewed
    // here, and better-auth sees the new expiry.
    let out = better_auth.run(json!([
        { "op": "signInEmail", "args": [{ "email": "ada@example.com", "password": "correct horse" }] },
    ]));
    let token = Secret::from(out[0]["token"].as_str().unwrap().to_owned());
    let later = now + TimeDelta::days(2);
    let valid = at(&store, later)
        .validate_session(token.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(valid.session.fresh);
    assert_eq!(valid.session.expires_at, later + TimeDelta::days(7));
    let out = better_auth.run(json!([
        { "op": "getSession", "args": [signed_session_cookie(&token, &secret())] },
    ]));
    assert_eq!(
        instant(&out[0]["session"]["session"]["expiresAt"]),
        later + TimeDelta::days(7)
    );
    // Eight days after that, authstore deletes it on read, as better-auth would.
    let over = later + TimeDelta::days(7) + TimeDelta::milliseconds(1);
    assert_eq!(
        at(&store, over)
            .validate_session(token.expose())
            .await
            .unwrap(),
        None
    );
    assert_eq!(db.count_rows("session").await, 1);
    db.destroy().await;
}

async fn revocation_is_seen_by_the_other_side(backend: Backend, test: &str) {
    let Some((db, better_auth, store)) = shared(backend, test).await else {
        return;
    };
    let user = store
        .sign_up_with_password(ada(), "correct horse")
        .await
        .unwrap();
    let first = store
        .create_session(&user.id, SessionMeta::default())
        .await
        .unwrap();
    let second = store
        .create_session(&user.id, SessionMeta::default())
        .await
        .unwrap();
    let out = better_auth.run(json!([
        { "op": "listSessions", "args": [signed_session_cookie(&first.token, &secret())] },
        { "op": "signOut", "args": [signed_session_cookie(&first.token, &secret())] },
    ]));
    assert_eq!(out[0].as_array().unwrap().len(), 2);
    assert_eq!(
        store.validate_session(first.token.expose()).await.unwrap(),
        None
    );
    assert_eq!(store.list_sessions(&user.id).await.unwrap().len(), 1);
    assert!(store.revoke_session(second.token.expose()).await.unwrap());
    let out = better_auth.run(json!([
        { "op": "getSession", "args": [signed_session_cookie(&second.token, &secret())] },
    ]));
    assert_eq!(out[0]["session"], Value::Null);
    db.destroy().await;
}

async fn oauth_accounts_cross_both_ways(backend: Backend, test: &str) {
    let Some((db, better_auth, store)) = shared(backend, test).await else {
        return;
    };
    let user = store.create_user(ada()).await.unwrap();
    let github = LinkedAccount {
        provider_id: "github".into(),
        account_id: "583231".into(),
        access_token: Some(Secret::from("gho_token".to_owned())),
        scope: Some("read:user,user:email".into()),
        ..LinkedAccount::default()
    };
    store.link_account(&user.id, github).await.unwrap();
    let out = better_auth.run(json!([
        { "op": "linkAccount", "args": [{ "userId": user.id, "providerId": "google", "accountId": "1087", "scope": "openid,email" }] },
        { "op": "findUserByEmail", "args": ["Ada@example.com"] },
    ]));
    let accounts = out[1]["accounts"].as_array().unwrap();
    let found = accounts
        .iter()
        .find(|a| a["providerId"] == "github")
        .expect("ours, there");
    assert_eq!(found["accountId"], "583231");
    assert_eq!(found["accessToken"], "gho_token");
    assert_eq!(found["scope"], "read:user,user:email");
    let theirs = store
        .account("google", "1087")
        .await
        .unwrap()
        .expect("theirs, here");
    assert_eq!(theirs.user_id, user.id);
    assert_eq!(theirs.linked.scope.as_deref(), Some("openid,email"));
    assert!(matches!(
        store.link_account(&user.id, theirs.linked.clone()).await,
        Err(Error::Conflict(_))
    ));
    db.destroy().await;
}

/// lucia-auth v1 stores a real hash of `""` (its `createKey` takes one) but
/// refuses an empty password at sign-in; better-auth 1.7.25 checks no
/// minimum, so a carried copy would sign anyone in with nothing. And a
/// look-alike address added later (`ada@exámple.com`, one to MySQL's
/// default collation) must not reach Ada's account. better-auth itself,
/// after two runs of the carry-over, refuses both.
async fn the_carry_overs_refusals_hold_in_better_auth(backend: Backend, test: &str) {
    use authstore::better_auth::carry_over::{CarryOver, Source};
    use authstore::lucia_v1::{self, LuciaV1Config, LuciaV1Store, NewKey};
    use sea_orm::ConnectionTrait;
    let Some((db, better_auth, _)) = shared(backend, test).await else {
        return;
    };
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    let old = LuciaV1Store::new(db.conn.clone(), LuciaV1Config::default());
    let user = |address: &'static str, password: &'static str| {
        let old = old.clone();
        async move {
            old.create_user(lucia_v1::NewUser {
                primary_key: Some(NewKey {
                    provider_id: "email",
                    provider_user_id: address,
                    password: Some(password),
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .id
        }
    };
    let ada = user("ada@example.com", "hunter22").await;
    let eve = user("eve@example.com", "to-be-emptied").await;
    db.conn
        .execute_unprepared(&format!(
            "UPDATE auth_key SET hashed_password = '{}' WHERE user_id = '{eve}'",
            lucia_v1::hash_password("")
        ))
        .await
        .unwrap();
    let carry = CarryOver::new(Source::LuciaV1);
    carry.run(&db.conn, &db.conn, |_| {}).await.unwrap();
    user("ada@exámple.com", "mallory-pass").await;
    carry.run(&db.conn, &db.conn, |_| {}).await.unwrap();
    let out = better_auth.run(json!([
        { "op": "signInEmailError", "args": [{ "email": "eve@example.com", "password": "" }] },
        { "op": "signInEmail", "args": [{ "email": "ada@example.com", "password": "hunter22" }] },
        { "op": "signInEmailError", "args": [{ "email": "ada@example.com", "password": "mallory-pass" }] },
    ]));
    assert_ne!(out[0]["error"], Value::Null, "{out:?}");
    assert_eq!(out[1]["user"]["id"], ada.as_str(), "{out:?}");
    assert_eq!(out[1]["user"]["email"], "ada@example.com");
    assert_eq!(out[2]["error"], "INVALID_EMAIL_OR_PASSWORD", "{out:?}");
    db.destroy().await;
}
