//! The carry-over attacked, as an attacker and a careless operator would:
//! look-alike addresses under MySQL's collations, removals and moves in the
//! source, a second source, credentials the source refused, sessions lost
//! for good, two runs at once, rows the target cannot hold. On every
//! backend, with the source and the target in one database (and a second
//! database as the second source).

use std::time::Duration;

use authstore::better_auth::carry_over::{CarryOver, CarryOverReport, LeftBehind, Source};
use authstore::better_auth::{self, BetterAuthStore, LinkedAccount};
use authstore::lucia_v1::{self, LuciaV1Config, LuciaV1Store, NewKey};
use authstore::{AuthStore, CarryOverRefusal, Error, NewAccount, NewUser, Profile};
use authstore_entity::better_auth::BETTER_AUTH;
use authstore_migration::ProfileMigrations;
use authstore_tests::{Backend, TestDb, backend_tests};
use chrono::{TimeDelta, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

backend_tests!(
    look_alike_addresses_never_take_a_carried_user,
    removals_and_moves_in_the_source_are_carried,
    lucia_v1_key_moves_and_password_changes_are_carried,
    a_second_source_is_refused_unless_named_and_then_overwrites_nothing,
    credentials_the_source_refused_are_not_carried,
    password_checks_can_be_spread_over_runs,
    only_a_sign_out_in_better_auth_is_final,
    two_runs_at_once_are_refused,
    rows_the_target_cannot_hold_are_listed_and_skipped,
    a_native_user_holds_every_spelling_of_its_address,
    a_target_of_an_earlier_release_is_refused_until_migrated,
);

async fn next_auth(db: &TestDb) -> AuthStore {
    Profile::NextAuthV3.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    AuthStore::new(
        db.conn.clone(),
        db.config("carry-over-secret").build().unwrap(),
    )
}

async fn lucia_v1(db: &TestDb) -> LuciaV1Store {
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    LuciaV1Store::new(db.conn.clone(), LuciaV1Config::default())
}

fn target(db: &TestDb) -> BetterAuthStore {
    BetterAuthStore::new(db.conn.clone(), Default::default())
}

async fn carry_from(db: &TestDb, source: Source) -> CarryOverReport {
    CarryOver::new(source)
        .batch(2)
        .unwrap()
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap()
}

async fn carry(db: &TestDb) -> CarryOverReport {
    carry_from(db, Source::NextAuth(Profile::NextAuthV3)).await
}

async fn user(old: &AuthStore, address: &str) -> i32 {
    old.users()
        .create(NewUser {
            name: Some("A".into()),
            email: Some(address.into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .id
}

async fn link(old: &AuthStore, user_id: i32, provider_account_id: &str) {
    old.accounts()
        .link(NewAccount {
            user_id,
            provider_type: "oauth".into(),
            provider_id: "github".into(),
            provider_account_id: provider_account_id.into(),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn github_holder(new: &BetterAuthStore, account_id: &str) -> Option<String> {
    new.account("github", account_id)
        .await
        .unwrap()
        .map(|account| account.user_id)
}

async fn live(new: &BetterAuthStore, token: &str) -> bool {
    new.validate_session(token).await.unwrap().is_some()
}

/// A user whose address another spells so that MySQL's default collation
/// (case- and accent-insensitive) takes both for one, in one batch and in a
/// later run: on MySQL neither newcomer is carried, and the carried user
/// keeps her row, her GitHub link and her session; PostgreSQL and SQLite
/// compare bytes, so there they are two users. authstore's own lookups
/// never follow the collation either.
async fn look_alike_addresses_never_take_a_carried_user(db: &TestDb) {
    let old = next_auth(db).await;
    let ada = user(&old, "ada@example.com").await;
    link(&old, ada, "1001").await;
    let session = old.sessions().create(ada).await.unwrap().session_token;
    carry(db).await;

    let mallory = user(&old, "ada@exámple.com").await;
    let both_new = [
        user(&old, "bea@example.com").await,
        user(&old, "BEA@EXAMPLÉ.com").await,
    ];
    let report = carry(db).await;
    let new = target(db);
    let ada_row = new.get_user(&ada.to_string()).await.unwrap().unwrap();
    assert_eq!(ada_row.email, "ada@example.com");
    assert_eq!(github_holder(&new, "1001").await, Some(ada.to_string()));
    assert!(live(&new, session.expose()).await, "Ada's session is hers");
    let shared = |address: &str, ids: &[i32]| LeftBehind::SameAddress {
        address: address.into(),
        user_ids: ids.iter().map(|id| id.to_string()).collect(),
    };
    if db.backend == Backend::MySql {
        assert!(
            report
                .left_behind
                .contains(&shared("ada@example.com", &[ada, mallory])),
            "{report:?}"
        );
        assert!(
            report
                .left_behind
                .contains(&shared("bea@example.com", &both_new)),
            "{report:?}"
        );
        assert_eq!(new.get_user(&mallory.to_string()).await.unwrap(), None);
        for id in both_new {
            assert_eq!(new.get_user(&id.to_string()).await.unwrap(), None);
        }
        // Lookups compare bytes, whatever the column's collation.
        assert_eq!(new.user_by_email("ada@exámple.com").await.unwrap(), None);
        assert_eq!(
            new.user_by_email("ADA@example.com")
                .await
                .unwrap()
                .map(|u| u.id),
            Some(ada.to_string()),
            "the address is lowercased first, as better-auth does"
        );
        assert!(!live(&new, &session.expose().to_uppercase()).await);
    } else {
        assert_eq!(report.users, 4, "{report:?}");
        let mallory_row = new.get_user(&mallory.to_string()).await.unwrap().unwrap();
        assert_eq!(mallory_row.email, "ada@exámple.com");
    }
}

/// Removals in the source reach better-auth for what the carry-over
/// carried: a deleted user, an OAuth account unlinked from one user and
/// linked to another, a signed-out session. What the better-auth app made
/// itself is never touched.
async fn removals_and_moves_in_the_source_are_carried(db: &TestDb) {
    let old = next_auth(db).await;
    let alice = user(&old, "alice@example.com").await;
    let bob = user(&old, "bob@example.com").await;
    let carol = user(&old, "carol@example.com").await;
    link(&old, alice, "1001").await;
    let alice_session = old.sessions().create(alice).await.unwrap().session_token;
    let carol_session = old.sessions().create(carol).await.unwrap().session_token;
    carry(db).await;
    let new = target(db);
    assert_eq!(github_holder(&new, "1001").await, Some(alice.to_string()));

    // The better-auth app's own user, account and session.
    let native = new
        .create_user(better_auth::NewUser {
            email: "native@example.com".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    new.link_account(
        &native.id,
        LinkedAccount {
            provider_id: "google".into(),
            account_id: "g-1".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let native_session = new
        .create_session(&native.id, Default::default())
        .await
        .unwrap();

    // GitHub 1001 moves from Alice to Bob; Carol leaves; Alice signs out.
    old.accounts().unlink("github", "1001").await.unwrap();
    link(&old, bob, "1001").await;
    old.users().delete(carol).await.unwrap();
    old.sessions().delete(alice_session.expose()).await.unwrap();
    // One user a batch; after Bob's (the second), before the run's end,
    // the GitHub identity is his alone already.
    let (progress, mut batches) = tokio::sync::mpsc::unbounded_channel();
    let (resume, paused) = std::sync::mpsc::channel::<()>();
    let source = db.conn.clone();
    let run = tokio::spawn(async move {
        CarryOver::new(Source::NextAuth(Profile::NextAuthV3))
            .batch(1)
            .unwrap()
            .run(&source, &source, move |at| {
                progress.send(at.done).unwrap();
                // Holds the run until the test looked; `block_in_place`
                // hands this worker's queued tasks to another thread, so
                // nothing the test awaits is stuck behind the wait.
                tokio::task::block_in_place(|| paused.recv()).unwrap();
            })
            .await
            .unwrap()
    });
    let mut mid_run = None;
    while let Some(done) = batches.recv().await {
        if done == 2 {
            mid_run = Some(github_holder(&new, "1001").await);
        }
        resume.send(()).unwrap();
    }
    let report = run.await.unwrap();
    assert_eq!(
        mid_run,
        Some(Some(bob.to_string())),
        "mid-run, the moved identity is not Alice's"
    );
    assert_eq!(
        (report.removed_users, report.ended_sessions),
        (1, 2),
        "{report:?}"
    );
    assert!(report.removed_accounts >= 1, "{report:?}");
    assert_eq!(
        github_holder(&new, "1001").await,
        Some(bob.to_string()),
        "the GitHub holder signs in as Bob, never as Alice"
    );
    assert_eq!(new.accounts(&alice.to_string()).await.unwrap(), vec![]);
    assert_eq!(new.get_user(&carol.to_string()).await.unwrap(), None);
    assert!(!live(&new, alice_session.expose()).await);
    assert!(!live(&new, carol_session.expose()).await);
    // Untouched: the better-auth app's own rows.
    assert!(new.get_user(&native.id).await.unwrap().is_some());
    assert_eq!(
        new.account("google", "g-1")
            .await
            .unwrap()
            .map(|a| a.user_id),
        Some(native.id.clone())
    );
    assert!(live(&new, native_session.token.expose()).await);
    // And a run with nothing changed removes nothing.
    let again = carry(db).await;
    assert_eq!(
        (
            again.removed_users,
            again.removed_accounts,
            again.ended_sessions
        ),
        (0, 0, 0),
        "{again:?}"
    );
}

fn email_key<'a>(address: &'a str, password: Option<&'a str>) -> NewKey<'a> {
    NewKey {
        provider_id: "email",
        provider_user_id: address,
        password,
    }
}

async fn lucia_user(old: &LuciaV1Store, address: &str, password: &str) -> String {
    old.create_user(lucia_v1::NewUser {
        primary_key: Some(email_key(address, Some(password))),
        ..Default::default()
    })
    .await
    .unwrap()
    .id
}

async fn signs_in(new: &BetterAuthStore, address: &str, password: &str) -> bool {
    new.sign_in_with_password(address, password, Default::default())
        .await
        .is_ok()
}

/// lucia-auth v1: a key moved to another user moves its account; a changed
/// password replaces the carried one; a removed password removes it.
async fn lucia_v1_key_moves_and_password_changes_are_carried(db: &TestDb) {
    let old = lucia_v1(db).await;
    let ada = lucia_user(&old, "ada@example.com", "hunter22").await;
    let bob = lucia_user(&old, "bob@example.com", "bobs-pass").await;
    old.create_key(
        &ada,
        NewKey {
            provider_id: "github",
            provider_user_id: "1001",
            password: None,
        },
    )
    .await
    .unwrap();
    carry_from(db, Source::LuciaV1).await;
    let new = target(db);
    assert!(signs_in(&new, "ada@example.com", "hunter22").await);
    assert!(signs_in(&new, "bob@example.com", "bobs-pass").await);

    old.update_key_password("email", "ada@example.com", Some("new-pass-22"))
        .await
        .unwrap();
    old.update_key_password("email", "bob@example.com", None)
        .await
        .unwrap();
    db.conn
        .execute_unprepared(&format!(
            "UPDATE auth_key SET user_id = '{bob}' WHERE id = 'github:1001'"
        ))
        .await
        .unwrap();
    let report = carry_from(db, Source::LuciaV1).await;
    assert!(
        !signs_in(&new, "ada@example.com", "hunter22").await,
        "{report:?}"
    );
    assert!(signs_in(&new, "ada@example.com", "new-pass-22").await);
    assert!(
        !signs_in(&new, "bob@example.com", "bobs-pass").await,
        "a password removed in the source is removed"
    );
    assert_eq!(github_holder(&new, "1001").await, Some(bob));
}

/// A run from another database is refused, naming both; said explicitly,
/// it carries only ids nobody holds, lists the rest, and each source's
/// removals touch only what it carried.
async fn a_second_source_is_refused_unless_named_and_then_overwrites_nothing(db: &TestDb) {
    let old = next_auth(db).await;
    let ada = user(&old, "ada@example.com").await;
    let session = old.sessions().create(ada).await.unwrap().session_token;
    carry(db).await;

    let Some(second) = TestDb::create(db.backend, "carry_over_second_source").await else {
        panic!("the second source's server is the first's");
    };
    let other = AuthStore::new(
        second.conn.clone(),
        second.config("carry-over-secret").build().unwrap(),
    );
    Profile::NextAuthV3.up(&second.conn).await.unwrap();
    let eve = user(&other, "eve@example.com").await;
    let zed = user(&other, "zed@example.com").await;
    assert_eq!(eve, ada, "the ids collide");
    let from_second = |another: bool| {
        CarryOver::new(Source::NextAuth(Profile::NextAuthV3)).another_source(another)
    };
    let refused = from_second(false)
        .run(&second.conn, &db.conn, |_| {})
        .await
        .unwrap_err();
    let Error::CarryOverRefused(CarryOverRefusal::AnotherSource { recorded, given }) = &refused
    else {
        panic!("{refused:?}");
    };
    assert_ne!(recorded, given);
    assert!(
        recorded.contains(&db.name) || db.backend == Backend::Sqlite,
        "{recorded}"
    );
    assert!(given.contains(&second.name), "{given}");
    let message = refused.to_string();
    assert!(
        message.contains(recorded) && message.contains(given),
        "{message}"
    );
    let dry = from_second(false)
        .dry_run(true)
        .run(&second.conn, &db.conn, |_| {})
        .await;
    assert!(matches!(dry, Err(Error::CarryOverRefused(_))), "{dry:?}");

    let report = from_second(true)
        .run(&second.conn, &db.conn, |_| {})
        .await
        .unwrap();
    assert!(
        report.left_behind.contains(&LeftBehind::IdTaken {
            user_id: ada.to_string()
        }),
        "{report:?}"
    );
    assert_eq!(report.ended_sessions, 0, "{report:?}");
    let new = target(db);
    assert_eq!(
        new.get_user(&ada.to_string()).await.unwrap().unwrap().email,
        "ada@example.com"
    );
    assert_eq!(
        new.get_user(&zed.to_string()).await.unwrap().unwrap().email,
        "zed@example.com"
    );
    assert!(live(&new, session.expose()).await);
    // The first source again: its sessions stay, the second's users too.
    let again = carry(db).await;
    assert_eq!(
        (again.ended_sessions, again.removed_users),
        (0, 0),
        "{again:?}"
    );
    assert!(live(&new, session.expose()).await);
    assert!(new.get_user(&zed.to_string()).await.unwrap().is_some());
    second.destroy().await;
}

/// lucia-auth refuses an empty password at sign-in, though `createKey` and
/// `updateKeyPassword` store a real hash of it; better-auth would accept
/// it. Such a hash, and a value that is no hash, are listed and never
/// carried; a hash that became one of the empty password is removed.
async fn credentials_the_source_refused_are_not_carried(db: &TestDb) {
    let old = lucia_v1(db).await;
    let empty = lucia_user(&old, "empty@example.com", "was-fine-22").await;
    let junk = lucia_user(&old, "junk@example.com", "junk-pass-22").await;
    carry_from(db, Source::LuciaV1).await;
    let new = target(db);
    assert!(signs_in(&new, "empty@example.com", "was-fine-22").await);

    let set = |user: &str, stored: String| {
        format!("UPDATE auth_key SET hashed_password = '{stored}' WHERE user_id = '{user}'")
    };
    db.conn
        .execute_unprepared(&set(&empty, lucia_v1::hash_password("")))
        .await
        .unwrap();
    db.conn
        .execute_unprepared(&set(&junk, "hunter2:notahash".into()))
        .await
        .unwrap();
    let report = carry_from(db, Source::LuciaV1).await;
    assert!(
        report.left_behind.contains(&LeftBehind::EmptyPassword {
            user_id: empty.clone()
        }),
        "{report:?}"
    );
    assert!(
        report.left_behind.contains(&LeftBehind::UnusablePassword {
            user_id: junk.clone()
        }),
        "{report:?}"
    );
    assert_eq!(report.passwords, 0, "{report:?}");
    for user in [&empty, &junk] {
        let accounts = new.accounts(user).await.unwrap();
        assert!(
            accounts
                .iter()
                .all(|a| a.linked.provider_id != BETTER_AUTH.credential_provider),
            "no password is left to accept anything: {accounts:?}"
        );
    }
    assert!(!signs_in(&new, "empty@example.com", "was-fine-22").await);
    // A dry run says the same.
    let dry = CarryOver::new(Source::LuciaV1)
        .dry_run(true)
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap();
    assert!(
        dry.left_behind
            .contains(&LeftBehind::EmptyPassword { user_id: empty })
    );
}

/// A carried session better-auth deleted once it expired comes back while
/// the old app keeps it alive; one signed out in better-auth never does.
async fn only_a_sign_out_in_better_auth_is_final(db: &TestDb) {
    let old = next_auth(db).await;
    let ada = user(&old, "ada@example.com").await;
    let renewed_by_old_app = old.sessions().create(ada).await.unwrap().session_token;
    let signed_out = old.sessions().create(ada).await.unwrap().session_token;
    carry(db).await;
    let new = target(db);

    // The copy expires in better-auth (the old app renewed its own) and is
    // deleted when read.
    let past = BETTER_AUTH
        .time_on(db.db_backend())
        .value(Some(Utc::now() - TimeDelta::minutes(1)));
    let expire = Query::update()
        .table(BETTER_AUTH.sessions)
        .value("expiresAt", Expr::val(past))
        .and_where(Expr::col("token").eq(renewed_by_old_app.expose()))
        .to_owned();
    db.conn.execute(&expire).await.unwrap();
    assert!(!live(&new, renewed_by_old_app.expose()).await);
    // Signed out in better-auth.
    assert!(new.revoke_session(signed_out.expose()).await.unwrap());

    let report = carry(db).await;
    assert_eq!(report.deleted_since, 1, "{report:?}");
    assert!(
        live(&new, renewed_by_old_app.expose()).await,
        "live in the source, so live again"
    );
    assert!(
        !live(&new, signed_out.expose()).await,
        "a sign-out is final"
    );
    let again = carry(db).await;
    assert_eq!(again.deleted_since, 1, "{again:?}");
    assert!(!live(&new, signed_out.expose()).await);
}

/// A second run while one works is refused (the target holds the lock),
/// and a dry run may still look.
async fn two_runs_at_once_are_refused(db: &TestDb) {
    let old = next_auth(db).await;
    for n in 0..6 {
        user(&old, &format!("user{n}@example.com")).await;
    }
    let (started, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
    let source = db.conn.clone();
    let slow = tokio::spawn(async move {
        CarryOver::new(Source::NextAuth(Profile::NextAuthV3))
            .batch(1)
            .unwrap()
            .run(&source, &source, |_| {
                started.send(()).ok();
                // Holds the run, as a long batch would.
                tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(300)));
            })
            .await
    });
    started_rx.recv().await.unwrap();
    let second = CarryOver::new(Source::NextAuth(Profile::NextAuthV3))
        .run(&db.conn, &db.conn, |_| {})
        .await;
    assert!(
        matches!(
            second,
            Err(Error::CarryOverRefused(CarryOverRefusal::AlreadyRunning))
        ),
        "{second:?}"
    );
    let dry = CarryOver::new(Source::NextAuth(Profile::NextAuthV3))
        .dry_run(true)
        .run(&db.conn, &db.conn, |_| {})
        .await;
    assert!(dry.is_ok(), "{dry:?}");
    assert_eq!(slow.await.unwrap().unwrap().users, 6);
    // The lock is given back.
    assert_eq!(carry(db).await.users, 6);
}

/// A value the target cannot hold (a session until 2100 on MySQL's
/// `TIMESTAMP`) lists its user, who is skipped, and the run goes on; the
/// dry run reports exactly that. A batch over the backend's bind limit is
/// refused before anything is written.
async fn rows_the_target_cannot_hold_are_listed_and_skipped(db: &TestDb) {
    let too_large = CarryOver::new(Source::LuciaV1)
        .batch(CarryOver::max_batch(db.db_backend()) + 1)
        .unwrap();
    let old = lucia_v1(db).await;
    let ada = lucia_user(&old, "ada@example.com", "hunter22").await;
    let bob = lucia_user(&old, "bob@example.com", "hunter22").await;
    old.create_session(&ada).await.unwrap();
    db.conn
        .execute_unprepared(&format!(
            "UPDATE auth_session SET idle_expires = 4102444800000 WHERE user_id = '{ada}'"
        ))
        .await
        .unwrap();
    let refused = too_large.run(&db.conn, &db.conn, |_| {}).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Validation(e) if e.field_errors().contains_key("batch")),
        "{refused:?}"
    );
    assert_eq!(
        target(db).get_user(&bob).await.unwrap(),
        None,
        "nothing written"
    );

    let dry = CarryOver::new(Source::LuciaV1)
        .dry_run(true)
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap();
    let report = carry_from(db, Source::LuciaV1).await;
    assert_eq!(dry, report, "the dry run says what the run does");
    let new = target(db);
    assert!(new.get_user(&bob).await.unwrap().is_some());
    if db.backend == Backend::MySql {
        assert_eq!(
            report.left_behind,
            [LeftBehind::Unstorable {
                user_id: ada.clone(),
                field: "session time"
            }]
        );
        assert_eq!(new.get_user(&ada).await.unwrap(), None);
    } else {
        assert_eq!((report.users, report.sessions), (2, 1), "{report:?}");
    }
}

/// A better-auth user whose address is stored in another spelling of one
/// mailbox (the ASCII form of an internationalised domain) holds it: the
/// source's user of that mailbox is listed, not carried beside it.
async fn a_native_user_holds_every_spelling_of_its_address(db: &TestDb) {
    let old = next_auth(db).await;
    let new = target(db);
    let native = new
        .create_user(better_auth::NewUser {
            email: "dup@example.com".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    // As the better-auth app stores what it was given: lowercased only.
    let spelled = Query::update()
        .table(BETTER_AUTH.users)
        .value("email", "dup@xn--caf-dma.example")
        .and_where(Expr::col("id").eq(native.id.as_str()))
        .to_owned();
    db.conn.execute(&spelled).await.unwrap();
    let dup = user(&old, "dup@café.example").await;
    let report = carry(db).await;
    assert_eq!(
        report.left_behind,
        [LeftBehind::AddressTaken {
            user_id: dup.to_string()
        }]
    );
    assert_eq!(new.get_user(&dup.to_string()).await.unwrap(), None);
}

/// With a number of checks per run, a password not checked yet is left
/// out of this run (never carried unchecked), and the next runs bring it;
/// a password carried before costs no check again.
async fn password_checks_can_be_spread_over_runs(db: &TestDb) {
    let old = lucia_v1(db).await;
    for n in 0..3 {
        lucia_user(&old, &format!("user{n}@example.com"), "hunter22").await;
    }
    let carry = CarryOver::new(Source::LuciaV1).password_checks(2);
    let run = || carry.run(&db.conn, &db.conn, |_| {});
    let not_checked = |report: &CarryOverReport| {
        report
            .left_behind
            .iter()
            .filter(|item| matches!(item, LeftBehind::PasswordNotChecked { .. }))
            .count()
    };
    let first = run().await.unwrap();
    assert_eq!(
        (first.users, first.passwords, not_checked(&first)),
        (3, 2, 1),
        "{first:?}"
    );
    let new = target(db);
    let signed_in = [
        signs_in(&new, "user0@example.com", "hunter22").await,
        signs_in(&new, "user1@example.com", "hunter22").await,
        signs_in(&new, "user2@example.com", "hunter22").await,
    ];
    assert_eq!(signed_in.iter().filter(|s| **s).count(), 2);
    let second = run().await.unwrap();
    assert_eq!(
        (second.passwords, not_checked(&second)),
        (3, 0),
        "{second:?}"
    );
    assert!(signs_in(&new, "user2@example.com", "hunter22").await);
}

/// A target whose better-auth schema predates the records of sources is
/// refused, dry or not (a dry run would otherwise take it for empty and
/// report everything as new), until it is migrated.
async fn a_target_of_an_earlier_release_is_refused_until_migrated(db: &TestDb) {
    let old = next_auth(db).await;
    user(&old, "ada@example.com").await;
    let drop = sea_orm::sea_query::Table::drop()
        .table(authstore_entity::own_tables::CARRIED_SOURCES)
        .to_owned();
    db.conn.execute(&drop).await.unwrap();
    for dry in [true, false] {
        let refused = CarryOver::new(Source::NextAuth(Profile::NextAuthV3))
            .dry_run(dry)
            .run(&db.conn, &db.conn, |_| {})
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("database error"), "{refused}");
    }
    assert_eq!(target(db).get_user("1").await.unwrap(), None);
}
