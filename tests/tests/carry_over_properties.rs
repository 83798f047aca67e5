//! The carry-over's promise as a property, on every backend: after any
//! sequence of changes in a lucia-auth v1 source (users created, renamed
//! and deleted, OAuth keys linked, unlinked and moved, sessions started and
//! ended, passwords changed, set to the empty one or removed) with runs in
//! between, a final run leaves better-auth accepting nothing the source
//! would refuse, and every session live in the source for a carried user
//! live in better-auth.

use std::collections::{BTreeMap, HashSet};

use authstore::Profile;
use authstore::better_auth::carry_over::{CarryOver, CarryOverReport, LeftBehind, Source};
use authstore::better_auth::password::{Checked, verify};
use authstore::better_auth::{BetterAuthStore, SessionMeta};
use authstore::lucia_v1::{self, LuciaV1Config, LuciaV1Store};
use authstore_entity::better_auth::BETTER_AUTH;
use authstore_entity::descriptor::LUCIA_V1;
use authstore_entity::own_tables::{CARRIED, CARRIED_SOURCES, SIGN_IN_ATTEMPTS};
use authstore_migration::ProfileMigrations;
use authstore_tests::{TestDb, backend_tests};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};

backend_tests!(nothing_the_source_refuses_is_accepted_and_nothing_live_is_lost);

/// Cases per backend: each runs scrypt for every password set and checked.
const CASES: u32 = 32;
const SEED: [u8; 32] = *b"authstore-carry-over-properties!";

/// Addresses, some of them one mailbox to a canonical comparison
/// (`ADA@Example.com`) or to MySQL's default collation (`ada@exámple.com`).
const ADDRESSES: [&str; 5] = [
    "ada@example.com",
    "bob@example.com",
    "ADA@Example.com",
    "ada@exámple.com",
    "cy@example.com",
];
const PASSWORDS: [&str; 3] = ["", "hunter22", "correct-horse"];
const SLOTS: usize = 4;
const GITHUB_IDS: usize = 3;

#[derive(Clone, Debug)]
enum Change {
    Create {
        slot: usize,
        address: usize,
        password: Option<usize>,
    },
    Rename {
        slot: usize,
        address: usize,
    },
    Delete {
        slot: usize,
    },
    Link {
        slot: usize,
        github: usize,
    },
    Unlink {
        github: usize,
    },
    Relink {
        github: usize,
        slot: usize,
    },
    SignIn {
        slot: usize,
    },
    SignOut {
        session: usize,
    },
    SetPassword {
        slot: usize,
        password: Option<usize>,
    },
    Run,
}

fn change() -> impl Strategy<Value = Change> {
    let slot = 0..SLOTS;
    prop_oneof![
        3 => (slot.clone(), 0..ADDRESSES.len(), proptest::option::of(0..PASSWORDS.len()))
            .prop_map(|(slot, address, password)| Change::Create { slot, address, password }),
        1 => (slot.clone(), 0..ADDRESSES.len()).prop_map(|(slot, address)| Change::Rename { slot, address }),
        1 => slot.clone().prop_map(|slot| Change::Delete { slot }),
        2 => (slot.clone(), 0..GITHUB_IDS).prop_map(|(slot, github)| Change::Link { slot, github }),
        1 => (0..GITHUB_IDS).prop_map(|github| Change::Unlink { github }),
        2 => (0..GITHUB_IDS, slot.clone()).prop_map(|(github, slot)| Change::Relink { github, slot }),
        2 => slot.clone().prop_map(|slot| Change::SignIn { slot }),
        // Of the sessions started so far, by position (modulo their count).
        2 => any::<usize>().prop_map(|session| Change::SignOut { session }),
        2 => (slot, proptest::option::of(0..PASSWORDS.len()))
            .prop_map(|(slot, password)| Change::SetPassword { slot, password }),
        3 => Just(Change::Run),
    ]
}

/// The source as the test believes it is.
#[derive(Default)]
struct Model {
    /// By slot: the user's id, address and password.
    users: BTreeMap<usize, (String, String, Option<String>)>,
    /// GitHub id → slot.
    github: BTreeMap<usize, usize>,
    /// Every session token started, with its slot; `true` while live.
    sessions: Vec<(String, usize, bool)>,
    next_id: usize,
}

impl Model {
    fn holder_of(&self, address: &str) -> Option<usize> {
        self.users
            .iter()
            .find(|(_, (_, a, _))| a == address)
            .map(|(slot, _)| *slot)
    }
}

async fn nothing_the_source_refuses_is_accepted_and_nothing_live_is_lost(db: &TestDb) {
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let mut runner = TestRunner::new_with_rng(
        RunnerConfig {
            cases: CASES,
            failure_persistence: None,
            ..RunnerConfig::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &SEED),
    );
    let handle = tokio::runtime::Handle::current();
    let changes = proptest::collection::vec(change(), 1..24);
    tokio::task::block_in_place(|| {
        runner.run(&changes, |changes| {
            handle.block_on(async { one_case(db, changes).await })
        })
    })
    .unwrap();
}

async fn one_case(db: &TestDb, changes: Vec<Change>) -> Result<(), TestCaseError> {
    empty_every_table(&db.conn).await;
    let old = LuciaV1Store::new(db.conn.clone(), LuciaV1Config::default());
    let new = BetterAuthStore::new(db.conn.clone(), Default::default());
    let mut model = Model::default();
    for change in changes {
        apply(db, &old, &mut model, change).await;
    }
    let report = run(&db.conn).await;

    // Passwords: whatever better-auth would accept, the source accepts for
    // that user at that address.
    for address in ADDRESSES {
        let Some(user) = new.user_by_email(&address.to_lowercase()).await.unwrap() else {
            continue;
        };
        let source = model.users.values().find(|(id, _, _)| *id == user.id);
        for account in new.accounts(&user.id).await.unwrap() {
            if account.linked.provider_id != BETTER_AUTH.credential_provider {
                continue;
            }
            let stored = stored_password(&db.conn, &account.id).await;
            for password in PASSWORDS {
                if verify(password, &stored) == Checked::Invalid {
                    continue;
                }
                let accepted_by_source = source.is_some_and(|(_, at, held)| {
                    !password.is_empty()
                        && held.as_deref() == Some(password)
                        && at.to_lowercase() == user.email
                });
                prop_assert!(
                    accepted_by_source,
                    "better-auth accepts {password:?} for {}; the source: {source:?}; {report:?}",
                    user.email
                );
            }
        }
    }
    // A carried user: in better-auth, at the source's address.
    let mut carried = HashSet::new();
    for (id, address, _) in model.users.values() {
        if let Some(user) = new.get_user(id).await.unwrap()
            && user.email == address.to_lowercase()
        {
            carried.insert(id.clone());
        }
    }
    for (id, address, password) in model.users.values() {
        if let Some(password) = password.as_deref().filter(|p| !p.is_empty())
            && carried.contains(id)
            && !report.left_behind.contains(&LeftBehind::EmptyPassword {
                user_id: id.clone(),
            })
        {
            let signed_in = new
                .sign_in_with_password(address, password, SessionMeta::default())
                .await;
            prop_assert!(signed_in.is_ok(), "{address}: {signed_in:?}: {report:?}");
        }
    }
    // OAuth: a carried GitHub identity signs in only as its source holder.
    for github in 0..GITHUB_IDS {
        let holder = new.account("github", &github.to_string()).await.unwrap();
        let expected = model
            .github
            .get(&github)
            .map(|slot| model.users[slot].0.clone());
        if let Some(account) = holder {
            prop_assert_eq!(Some(account.user_id), expected, "github {}", github);
        }
    }
    // Sessions: live in the source and carried ⇔ live in better-auth.
    for (token, slot, live_in_source) in &model.sessions {
        let user_carried = model
            .users
            .get(slot)
            .is_some_and(|(id, _, _)| carried.contains(id));
        let live = new.validate_session(token).await.unwrap().is_some();
        if *live_in_source && user_carried {
            prop_assert!(live, "a session live in the source is lost: {report:?}");
        }
        if !*live_in_source {
            prop_assert!(!live, "a session the source ended lives on: {report:?}");
        }
    }
    Ok(())
}

/// One run, in batches of two users (so collisions span batches).
async fn run(db: &DatabaseConnection) -> CarryOverReport {
    CarryOver::new(Source::LuciaV1)
        .batch(2)
        .unwrap()
        .run(db, db, |_| {})
        .await
        .unwrap()
}

async fn apply(db: &TestDb, old: &LuciaV1Store, model: &mut Model, change: Change) {
    let conn = &db.conn;
    match change {
        Change::Create {
            slot,
            address,
            password,
        } => {
            let address = ADDRESSES[address];
            if model.users.contains_key(&slot) || model.holder_of(address).is_some() {
                return;
            }
            let id = format!("u{}", model.next_id);
            model.next_id += 1;
            let user = old
                .create_user(lucia_v1::NewUser {
                    id: Some(&id),
                    ..Default::default()
                })
                .await
                .unwrap();
            let password = password.map(|p| PASSWORDS[p].to_owned());
            insert_email_key(conn, &user.id, address, password.as_deref()).await;
            model
                .users
                .insert(slot, (user.id, address.to_owned(), password));
        }
        Change::Rename { slot, address } => {
            let address = ADDRESSES[address];
            let Some((id, current, _)) = model.users.get(&slot).cloned() else {
                return;
            };
            if model.holder_of(address).is_some() {
                return;
            }
            let rename = Query::update()
                .table(LUCIA_V1.keys)
                .value("id", format!("email:{address}"))
                .and_where(Expr::col("id").eq(format!("email:{current}")))
                .and_where(Expr::col("user_id").eq(id.as_str()))
                .to_owned();
            conn.execute(&rename).await.unwrap();
            model.users.get_mut(&slot).unwrap().1 = address.to_owned();
        }
        Change::Delete { slot } => {
            let Some((id, _, _)) = model.users.remove(&slot) else {
                return;
            };
            old.delete_user(&id).await.unwrap();
            model.github.retain(|_, holder| *holder != slot);
            for session in &mut model.sessions {
                if session.1 == slot {
                    session.2 = false;
                }
            }
        }
        Change::Link { slot, github } => {
            let Some((id, _, _)) = model.users.get(&slot) else {
                return;
            };
            if model.github.contains_key(&github) {
                return;
            }
            let insert = Query::insert()
                .into_table(LUCIA_V1.keys)
                .columns(["id", "user_id", LUCIA_V1.primary_key])
                .values_panic([
                    format!("github:{github}").into(),
                    id.as_str().into(),
                    false.into(),
                ])
                .to_owned();
            conn.execute(&insert).await.unwrap();
            model.github.insert(github, slot);
        }
        Change::Unlink { github } => {
            if model.github.remove(&github).is_some() {
                let delete = Query::delete()
                    .from_table(LUCIA_V1.keys)
                    .and_where(Expr::col("id").eq(format!("github:{github}")))
                    .to_owned();
                conn.execute(&delete).await.unwrap();
            }
        }
        Change::Relink { github, slot } => {
            let Some((id, _, _)) = model.users.get(&slot) else {
                return;
            };
            if let Some(holder) = model.github.get_mut(&github) {
                let relink = Query::update()
                    .table(LUCIA_V1.keys)
                    .value("user_id", id.as_str())
                    .and_where(Expr::col("id").eq(format!("github:{github}")))
                    .to_owned();
                conn.execute(&relink).await.unwrap();
                *holder = slot;
            }
        }
        Change::SignIn { slot } => {
            let Some((id, _, _)) = model.users.get(&slot) else {
                return;
            };
            let session = old.create_session(id).await.unwrap();
            model
                .sessions
                .push((session.id.expose().to_owned(), slot, true));
        }
        Change::SignOut { session } => {
            let count = model.sessions.len().max(1);
            if let Some(found) = model.sessions.get_mut(session % count) {
                old.invalidate_session(&found.0).await.unwrap();
                found.2 = false;
            }
        }
        Change::SetPassword { slot, password } => {
            let Some((id, address, _)) = model.users.get(&slot).cloned() else {
                return;
            };
            let password = password.map(|p| PASSWORDS[p].to_owned());
            let set = Query::update()
                .table(LUCIA_V1.keys)
                .value(
                    LUCIA_V1.hashed_password,
                    password.as_deref().map(lucia_v1::hash_password),
                )
                .and_where(Expr::col("id").eq(format!("email:{address}")))
                .and_where(Expr::col("user_id").eq(id.as_str()))
                .to_owned();
            conn.execute(&set).await.unwrap();
            model.users.get_mut(&slot).unwrap().2 = password;
        }
        Change::Run => {
            run(conn).await;
        }
    }
}

async fn insert_email_key(
    conn: &DatabaseConnection,
    user_id: &str,
    address: &str,
    password: Option<&str>,
) {
    let insert = Query::insert()
        .into_table(LUCIA_V1.keys)
        .columns([
            "id",
            "user_id",
            LUCIA_V1.primary_key,
            LUCIA_V1.hashed_password,
        ])
        .values_panic([
            format!("email:{address}").into(),
            user_id.into(),
            true.into(),
            password.map(lucia_v1::hash_password).into(),
        ])
        .to_owned();
    conn.execute(&insert).await.unwrap();
}

async fn stored_password(conn: &DatabaseConnection, account_id: &str) -> String {
    let select = Query::select()
        .column("password")
        .from(BETTER_AUTH.accounts)
        .and_where(Expr::col("id").eq(account_id))
        .to_owned();
    let row = conn.query_one(&select).await.unwrap().unwrap();
    row.try_get::<Option<String>>("", "password")
        .unwrap()
        .unwrap_or_default()
}

/// Every table of both systems and authstore's records, emptied: each case
/// starts from nothing (children first).
async fn empty_every_table(conn: &DatabaseConnection) {
    let tables = [
        BETTER_AUTH.tables_children_first().as_slice(),
        &[CARRIED, CARRIED_SOURCES, SIGN_IN_ATTEMPTS],
        &[LUCIA_V1.sessions, LUCIA_V1.keys, LUCIA_V1.users],
    ]
    .concat();
    for table in tables {
        let delete = Query::delete().from_table(Alias::new(table)).to_owned();
        conn.execute(&delete).await.unwrap();
    }
}
