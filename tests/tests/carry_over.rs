//! Carrying each older profile's users into a better-auth database
//! (`authstore::better_auth::carry_over`), on every backend, with the source
//! and the target in one database: what moves, what is listed instead, and
//! that runs repeat safely while the old app keeps working. The carried
//! sessions and passwords are then checked through `BetterAuthStore`; the
//! interop and end-to-end tests check them with better-auth itself.

use authstore::better_auth::carry_over::{CarryOver, CarryOverReport, LeftBehind, Source};
use authstore::better_auth::{BetterAuthStore, SessionMeta};
use authstore::entity::better_auth::{BETTER_AUTH, column as col};
use authstore::lucia_v1::{self, LuciaV1Config, LuciaV1Store, NewKey};
use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore::{AuthStore, Error, NewAccount, NewUser, Profile, Refusal};
use authstore_migration::ProfileMigrations;
use authstore_tests::{TestDb, backend_tests};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

backend_tests!(
    next_auth_users_accounts_and_live_sessions_move,
    runs_repeat_while_the_old_app_keeps_working,
    lucia_v1_passwords_keys_and_sessions_move,
    lucia_v3_addresses_come_from_a_named_column,
    a_dry_run_writes_nothing,
);

const SECRET: &str = "carry-over-test-secret";

async fn next_auth(db: &TestDb) -> AuthStore {
    Profile::NextAuthV3.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    AuthStore::new(db.conn.clone(), db.config(SECRET).build().unwrap())
}

fn target(db: &TestDb) -> BetterAuthStore {
    BetterAuthStore::new(db.conn.clone(), Default::default())
}

async fn carry(db: &TestDb, source: Source) -> CarryOverReport {
    CarryOver::new(source)
        .batch(2)
        .unwrap()
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap()
}

fn user(address: &str) -> NewUser {
    NewUser {
        name: Some("Ada".into()),
        email: Some(address.into()),
        ..Default::default()
    }
}

async fn next_auth_users_accounts_and_live_sessions_move(db: &TestDb) {
    let old = next_auth(db).await;
    let ada = old.users().create(user("ada@example.com")).await.unwrap();
    old.accounts()
        .link(NewAccount {
            user_id: ada.id,
            provider_type: "oauth".into(),
            provider_id: "github".into(),
            provider_account_id: "583231".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let live = old.sessions().create(ada.id).await.unwrap();
    let dead = old.sessions().create(ada.id).await.unwrap();
    db.conn
        .execute_unprepared(&format!(
            "UPDATE sessions SET expires = created_at WHERE id = {}",
            dead.id
        ))
        .await
        .unwrap();
    // As next-auth v3 itself stores them: addresses as typed.
    let bob = old.users().create(user("bob@example.com")).await.unwrap();
    let bobby = old.users().create(user("bobby@example.com")).await.unwrap();
    let nobody = old.users().create(NewUser::default()).await.unwrap();
    db.conn
        .execute_unprepared(&format!(
            "UPDATE users SET email = 'Bob@Example.com' WHERE id = {}",
            bobby.id
        ))
        .await
        .unwrap();

    let report = carry(db, Source::NextAuth(Profile::NextAuthV3)).await;
    assert_eq!(
        (
            report.users,
            report.accounts,
            report.sessions,
            report.dead_sessions
        ),
        (1, 1, 1, 1)
    );
    let mut left = report.left_behind.clone();
    left.sort_by_key(|item| format!("{item:?}"));
    assert_eq!(
        left,
        [
            LeftBehind::NoAddress {
                user_id: nobody.id.to_string()
            },
            LeftBehind::SameAddress {
                address: "bob@example.com".into(),
                user_ids: vec![bob.id.to_string(), bobby.id.to_string()],
            },
        ]
    );

    let new = target(db);
    let carried = new
        .get_user(&ada.id.to_string())
        .await
        .unwrap()
        .expect("ids kept");
    assert_eq!(carried.email, "ada@example.com");
    assert_eq!(carried.name, "Ada");
    let valid = new
        .validate_session(live.session_token.expose())
        .await
        .unwrap()
        .expect("the browser's session token goes on");
    assert_eq!(valid.user.id, ada.id.to_string());
    assert_eq!(valid.session.expires_at, live.expires.trunc_subsecs_ms());
    assert_eq!(
        new.validate_session(dead.session_token.expose())
            .await
            .unwrap(),
        None
    );
    let github = new
        .account("github", "583231")
        .await
        .unwrap()
        .expect("the account");
    assert_eq!(github.user_id, ada.id.to_string());
    assert_eq!(db.count_rows("user").await, 1);

    // better-auth later keeps an OpenID token and scopes on the account;
    // next-auth has neither, so a repeat run leaves them be.
    let later = Query::update()
        .table(BETTER_AUTH.accounts)
        .value(col::ID_TOKEN, "eyJ.later")
        .value(col::SCOPE, "openid,email")
        .and_where(Expr::col("id").eq(github.id.as_str()))
        .to_owned();
    db.conn.execute(&later).await.unwrap();
    carry(db, Source::NextAuth(Profile::NextAuthV3)).await;
    let github = new.account("github", "583231").await.unwrap().unwrap();
    assert_eq!(
        (
            github.linked.id_token.as_ref().map(|t| t.expose()),
            github.linked.scope.as_deref()
        ),
        (Some("eyJ.later"), Some("openid,email"))
    );
}

/// JavaScript keeps milliseconds; so does the carry-over.
trait Millis {
    fn trunc_subsecs_ms(self) -> Self;
}

impl Millis for chrono::DateTime<Utc> {
    fn trunc_subsecs_ms(self) -> Self {
        chrono::SubsecRound::trunc_subsecs(self, 3)
    }
}

async fn runs_repeat_while_the_old_app_keeps_working(db: &TestDb) {
    let old = next_auth(db).await;
    let ada = old.users().create(user("ada@example.com")).await.unwrap();
    let grace = old.users().create(user("grace@example.com")).await.unwrap();
    let first = old.sessions().create(ada.id).await.unwrap();
    let second = old.sessions().create(ada.id).await.unwrap();
    let graces = old.sessions().create(grace.id).await.unwrap();
    let source = Source::NextAuth(Profile::NextAuthV3);
    let report = carry(db, source.clone()).await;
    assert_eq!((report.users, report.sessions), (2, 3));

    // Again, unchanged: the same rows, nothing doubled.
    let again = carry(db, source.clone()).await;
    assert_eq!(
        (again.users, again.sessions, again.ended_sessions),
        (2, 3, 0)
    );
    assert_eq!(db.count_rows("user").await, 2);
    assert_eq!(db.count_rows("session").await, 3);

    // Meanwhile in the old app: a sign-out and a new address. In the new
    // app: a sign-out and a user who left. The next run carries the old
    // app's changes and re-creates nothing the new app removed.
    old.sessions()
        .delete(first.session_token.expose())
        .await
        .unwrap();
    old.users()
        .update(
            ada.id,
            authstore::UserPatch {
                email: Some(Some("ada@lovelace.org".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let new = target(db);
    assert!(
        new.revoke_session(second.session_token.expose())
            .await
            .unwrap()
    );
    new.delete_user(&grace.id.to_string()).await.unwrap();
    let report = carry(db, source).await;
    assert_eq!(report.ended_sessions, 1, "the old app's sign-out");
    // Grace's session went with her (the foreign key cascades), so it is
    // not counted apart.
    assert_eq!(report.deleted_since, 2, "grace, and ada's revoked session");
    assert_eq!(
        new.validate_session(first.session_token.expose())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        new.validate_session(second.session_token.expose())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        new.validate_session(graces.session_token.expose())
            .await
            .unwrap(),
        None
    );
    assert_eq!(new.get_user(&grace.id.to_string()).await.unwrap(), None);
    let moved = new.get_user(&ada.id.to_string()).await.unwrap().unwrap();
    assert_eq!(moved.email, "ada@lovelace.org");
    assert_eq!(db.count_rows("session").await, 0);
}

async fn lucia_v1_passwords_keys_and_sessions_move(db: &TestDb) {
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let old = LuciaV1Store::new(db.conn.clone(), LuciaV1Config::default());
    let email_key = |address| NewKey {
        provider_id: "email",
        provider_user_id: address,
        password: Some("hunter22"),
    };
    let ada = old
        .create_user(lucia_v1::NewUser {
            primary_key: Some(email_key("Ada@Example.com")),
            ..Default::default()
        })
        .await
        .unwrap();
    old.create_key(
        &ada.id,
        NewKey {
            provider_id: "github",
            provider_user_id: "583231",
            password: None,
        },
    )
    .await
    .unwrap();
    let session = old.create_session(&ada.id).await.unwrap();
    // One user with a lucia-auth 0.x hash, one with bcrypt, one with no
    // `email:` key at all.
    let (old_password, old_hash) = authstore_tests::lucia_legacy_password();
    let legacy = old
        .create_user(lucia_v1::NewUser {
            primary_key: Some(email_key("legacy@example.com")),
            ..Default::default()
        })
        .await
        .unwrap();
    let bcrypt = old
        .create_user(lucia_v1::NewUser {
            primary_key: Some(email_key("bcrypt@example.com")),
            ..Default::default()
        })
        .await
        .unwrap();
    for (user, hash) in [
        (&legacy.id, old_hash.as_str()),
        (&bcrypt.id, "$2a$10$N9qo8uLOickgx2ZMRZoMye"),
    ] {
        db.conn
            .execute_unprepared(&format!(
                "UPDATE auth_key SET hashed_password = '{hash}' WHERE user_id = '{user}'"
            ))
            .await
            .unwrap();
    }
    let keyless = old.create_user(lucia_v1::NewUser::default()).await.unwrap();

    let report = carry(db, Source::LuciaV1).await;
    assert_eq!(
        (
            report.users,
            report.accounts,
            report.passwords,
            report.sessions
        ),
        (3, 1, 2, 1)
    );
    let mut left = report.left_behind.clone();
    left.sort_by_key(|item| format!("{item:?}"));
    let mut expected = vec![
        LeftBehind::NoAddress {
            user_id: keyless.id.clone(),
        },
        LeftBehind::OldPassword {
            user_id: legacy.id.clone(),
        },
        LeftBehind::UnusablePassword {
            user_id: bcrypt.id.clone(),
        },
    ];
    expected.sort_by_key(|item| format!("{item:?}"));
    assert_eq!(left, expected);

    let new = target(db);
    let signed_in = new
        .sign_in_with_password("ada@example.com", "hunter22", SessionMeta::default())
        .await
        .expect("the s2 hash carried without the password");
    assert_eq!(signed_in.user_id, ada.id);
    let valid = new
        .validate_session(session.id.expose())
        .await
        .unwrap()
        .expect("the session goes on");
    assert_eq!(valid.session.expires_at, session.idle_expires);
    assert_eq!(
        new.account("github", "583231")
            .await
            .unwrap()
            .unwrap()
            .user_id,
        ada.id
    );
    // The 0.x hash works here once, and is then better-auth's own.
    new.sign_in_with_password("legacy@example.com", &old_password, SessionMeta::default())
        .await
        .expect("the 0.x hash, checked as lucia-auth did");
    let quote = if db.backend == authstore_tests::Backend::MySql {
        '`'
    } else {
        '"'
    };
    let rewritten = db
        .strings(&format!(
            "SELECT password AS name FROM account WHERE {quote}userId{quote} = '{}'",
            legacy.id
        ))
        .await;
    assert!(
        !rewritten[0].starts_with("lucia-auth-0.x:") && rewritten[0].len() == 32 + 1 + 128,
        "{rewritten:?}"
    );
    assert!(matches!(
        new.sign_in_with_password("bcrypt@example.com", "anything", SessionMeta::default())
            .await,
        Err(Error::SignInRefused(Refusal::WrongPassword))
    ));
}

async fn lucia_v3_addresses_come_from_a_named_column(db: &TestDb) {
    Profile::LuciaV3.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    db.conn
        .execute_unprepared("ALTER TABLE auth_user ADD COLUMN email VARCHAR(255) NULL")
        .await
        .unwrap();
    let old = LuciaStore::new(db.conn.clone(), LuciaConfig::default());
    let ada = old.create_user(None).await.unwrap();
    db.conn
        .execute_unprepared(&format!(
            "UPDATE auth_user SET email = 'ADA@example.com' WHERE id = '{}'",
            ada.id
        ))
        .await
        .unwrap();
    let session = old.create_session(&ada.id).await.unwrap();
    assert!(matches!(
        Source::of(Profile::LuciaV3, None, None),
        Err(Error::Validation(_))
    ));
    // A next-auth source naming a profile that is not next-auth's.
    let wrong = CarryOver::new(Source::NextAuth(Profile::LuciaV3))
        .run(&db.conn, &db.conn, |_| {})
        .await;
    assert!(matches!(wrong, Err(Error::Validation(_))));
    let report = carry(
        db,
        Source::of(Profile::LuciaV3, Some("email"), None).unwrap(),
    )
    .await;
    assert_eq!((report.users, report.sessions), (1, 1));
    let valid = target(db)
        .validate_session(session.id.expose())
        .await
        .unwrap()
        .expect("Lucia's session id is the token");
    assert_eq!(valid.user.email, "ada@example.com");
    assert_eq!(
        valid.session.expires_at,
        session.expires_at.trunc_subsecs_ms()
    );
}

async fn a_dry_run_writes_nothing(db: &TestDb) {
    let old = next_auth(db).await;
    let ada = old.users().create(user("ada@example.com")).await.unwrap();
    old.sessions().create(ada.id).await.unwrap();
    let report = CarryOver::new(Source::NextAuth(Profile::NextAuthV3))
        .dry_run(true)
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap();
    assert_eq!((report.users, report.sessions), (1, 1));
    for table in ["user", "session", "account", "authstore_carried"] {
        assert_eq!(db.count_rows(table).await, 0, "{table}");
    }
}
