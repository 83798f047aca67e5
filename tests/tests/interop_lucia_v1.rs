//! One live PostgreSQL database shared with lucia-auth 1.8.0 and its
//! node-postgres adapter (`@lucia-auth/adapter-postgresql` 1.0.1, run by
//! `tests/interop/lucia1.mjs` under Node) and authstore's `lucia-v1`
//! profile: users and keys made by either side sign in on the other,
//! passwords set on either side verify on the other, and sessions made by
//! either side are validated by the other when active, idle and dead.
//!
//! authstore's side moves in time with its clock; lucia-auth's reads the
//! real clock, so its rows are aged by SQL (or made by authstore as of an
//! earlier time).
//!
//! Needs `npm ci --prefix tests/interop` (CI does it); without it the tests
//! are skipped with a note, or fail when `CI` is set.

use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store, NewKey, NewUser, SessionState};
use authstore::{Error, Profile, Refusal};
use authstore_migration::ProfileMigrations;
use authstore_tests::interop::{self, NextAuth, instant};
use authstore_tests::{Backend, TestDb};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// A migrated database and both sides.
async fn shared(test: &str) -> Option<(TestDb, NextAuth, LuciaV1Store)> {
    if !interop::installed() {
        return None;
    }
    let db = TestDb::create(Backend::Postgres, test).await?;
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    let store = LuciaV1Store::new(db.conn.clone(), LuciaV1Config::default());
    let lucia = NextAuth::new("lucia1.mjs", &db.url);
    Some((db, lucia, store))
}

fn at(store: &LuciaV1Store, now: DateTime<Utc>) -> LuciaV1Store {
    store.clone().with_clock(move || now)
}

fn email<'a>(address: &'a str, password: Option<&'a str>) -> NewKey<'a> {
    NewKey {
        provider_id: "email",
        provider_user_id: address,
        password,
    }
}

/// lucia-auth's `primaryKey` / `createKey` argument for an email key.
fn their_key(address: &str, password: &str) -> Value {
    json!({ "providerId": "email", "providerUserId": address, "password": password })
}

#[tokio::test]
async fn users_and_keys_made_by_either_side_sign_in_on_the_other() {
    let Some((db, lucia, store)) = shared("lucia1_interop_keys").await else {
        return;
    };
    // lucia-auth signs a user up; authstore signs them in.
    let out = lucia.run(json!([
        { "op": "createUser", "args": [{ "primaryKey": their_key("ada@example.com", "ada's password") }] },
    ]));
    let ada = out[0]["userId"].as_str().unwrap();
    assert_eq!(ada.len(), 15);
    let signed_in = store
        .use_key("email", "ada@example.com", Some("ada's password"))
        .await
        .unwrap();
    assert_eq!(signed_in.key.user_id, ada);
    assert!(signed_in.key.primary);
    let wrong = store
        .use_key("email", "ada@example.com", Some("guess"))
        .await
        .unwrap_err();
    assert!(matches!(
        wrong,
        Error::SignInRefused(Refusal::WrongPassword)
    ));

    // authstore signs a user up; lucia-auth signs them in.
    let new = NewUser {
        primary_key: Some(email("grace@example.com", Some("grace's password"))),
        ..Default::default()
    };
    let grace = store.create_user(new).await.unwrap();
    let read = lucia.run(json!([
        { "op": "useKey", "args": ["email", "grace@example.com", "grace's password"] },
        { "op": "useKey", "args": ["email", "grace@example.com", "guess"] },
        { "op": "getUser", "args": [grace.id] },
    ]));
    assert_eq!(read[0]["userId"], grace.id.as_str());
    assert_eq!(read[0]["primary"], true);
    assert_eq!(read[1], json!({ "error": "AUTH_INVALID_PASSWORD" }));
    assert_eq!(read[2]["userId"], grace.id.as_str());

    // A single-use key made by lucia-auth, used here: gone for lucia-auth.
    lucia.run(json!([
        { "op": "createKey", "args": [ada, { "type": "single_use", "providerId": "otp",
            "providerUserId": "ada", "password": "493021", "expiresIn": 600 }] },
    ]));
    let key = store.get_key("otp", "ada").await.unwrap().unwrap();
    let expires_at = key.expires_at.expect("single-use");
    assert!(expires_at > Utc::now() + TimeDelta::minutes(9));
    store.use_key("otp", "ada", Some("493021")).await.unwrap();
    let read = lucia.run(json!([{ "op": "useKey", "args": ["otp", "ada", "493021"] }]));
    assert_eq!(read[0], json!({ "error": "AUTH_INVALID_KEY_ID" }));

    // A key authstore adds is listed by lucia-auth.
    let github = NewKey {
        provider_id: "github",
        provider_user_id: "583231",
        password: None,
    };
    store.create_key(&grace.id, github).await.unwrap();
    let read = lucia.run(json!([{ "op": "useKey", "args": ["github", "583231", null] }]));
    assert_eq!(read[0]["userId"], grace.id.as_str());
    assert_eq!(read[0]["passwordDefined"], false);
    db.destroy().await;
}

#[tokio::test]
async fn a_password_changed_on_either_side_verifies_on_the_other() {
    let Some((db, lucia, store)) = shared("lucia1_interop_passwords").await else {
        return;
    };
    let new = NewUser {
        primary_key: Some(email("ada@example.com", Some("first"))),
        ..Default::default()
    };
    store.create_user(new).await.unwrap();
    store
        .update_key_password("email", "ada@example.com", Some("second"))
        .await
        .unwrap();
    let read = lucia.run(json!([
        { "op": "useKey", "args": ["email", "ada@example.com", "second"] },
        { "op": "useKey", "args": ["email", "ada@example.com", "first"] },
        { "op": "updateKeyPassword", "args": ["email", "ada@example.com", "third"] },
    ]));
    assert_eq!(read[0]["providerUserId"], "ada@example.com");
    assert_eq!(read[1], json!({ "error": "AUTH_INVALID_PASSWORD" }));
    let signed_in = store
        .use_key("email", "ada@example.com", Some("third"))
        .await
        .unwrap();
    assert!(!signed_in.password_needs_rehash, "lucia-auth writes s2 too");
    assert!(
        store
            .use_key("email", "ada@example.com", Some("second"))
            .await
            .is_err()
    );
    db.destroy().await;
}

#[tokio::test]
async fn sessions_made_by_either_side_are_validated_by_the_other_in_every_state() {
    let Some((db, lucia, store)) = shared("lucia1_interop_sessions").await else {
        return;
    };
    let ada = store.create_user(NewUser::default()).await.unwrap().id;

    // Active, both ways: the same session, nothing new.
    let out = lucia.run(json!([{ "op": "createSession", "args": [ada] }]));
    let theirs = out[0]["sessionId"].as_str().unwrap().to_owned();
    let valid = store.validate_session(&theirs).await.unwrap().unwrap();
    assert_eq!(valid.session.id.expose(), theirs);
    assert!(!valid.session.fresh);
    assert_eq!(
        valid.session.active_expires,
        instant(&out[0]["activePeriodExpiresAt"])
    );
    assert_eq!(
        valid.session.idle_expires,
        instant(&out[0]["idlePeriodExpiresAt"])
    );
    let ours = store.create_session(&ada).await.unwrap();
    let read = lucia.run(json!([{ "op": "validateSession", "args": [ours.id.expose()] }]));
    assert_eq!(read[0]["sessionId"], ours.id.expose());
    assert_eq!(read[0]["state"], "active");
    assert_eq!(read[0]["fresh"], false);

    // Idle. authstore, two days on, replaces lucia-auth's session; lucia-auth
    // accepts the replacement and still reports the original as idle.
    let later = Utc::now() + TimeDelta::days(2);
    let renewed = at(&store, later)
        .validate_session(&theirs)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(renewed.session.id.expose(), theirs);
    assert!(renewed.session.fresh);
    let read = lucia.run(json!([
        { "op": "validateSession", "args": [renewed.session.id.expose()] },
    ]));
    assert_eq!(read[0]["state"], "active");
    // lucia-auth replaces a session authstore made two days ago.
    let idle = at(&store, Utc::now() - TimeDelta::days(2))
        .create_session(&ada)
        .await
        .unwrap();
    let read = lucia.run(json!([
        { "op": "getSession", "args": [idle.id.expose()] },
        { "op": "validateSession", "args": [idle.id.expose()] },
    ]));
    assert_eq!(read[0]["state"], "idle");
    let replacement = read[1]["sessionId"].as_str().unwrap();
    assert_ne!(replacement, idle.id.expose());
    assert_eq!(read[1]["fresh"], true);
    let valid = store.validate_session(replacement).await.unwrap().unwrap();
    assert_eq!(valid.session.state, SessionState::Active);
    assert!(!valid.session.fresh);
    assert_eq!(valid.user.id, ada);

    // Dead. A session lucia-auth made, aged by SQL past its idle period, is
    // refused and deleted by authstore; one authstore made 16 days ago is
    // refused and deleted by lucia-auth.
    let out = lucia.run(json!([{ "op": "createSession", "args": [ada] }]));
    let dead = out[0]["sessionId"].as_str().unwrap().to_owned();
    let past = (Utc::now() - TimeDelta::hours(1)).timestamp_millis();
    db.conn
        .execute_unprepared(&format!(
            "UPDATE auth_session SET active_expires = {}, idle_expires = {past} WHERE id = '{dead}'",
            past - 1000
        ))
        .await
        .unwrap();
    assert_eq!(store.validate_session(&dead).await.unwrap(), None);
    let ours_dead = at(&store, Utc::now() - TimeDelta::days(16))
        .create_session(&ada)
        .await
        .unwrap();
    let read = lucia.run(json!([
        { "op": "validateSession", "args": [ours_dead.id.expose()] },
    ]));
    assert_eq!(read[0], json!({ "error": "AUTH_INVALID_SESSION_ID" }));
    let ids = db.strings("SELECT id AS name FROM auth_session").await;
    assert!(!ids.contains(&dead), "authstore deleted the dead one");
    assert!(
        !ids.contains(&ours_dead.id.expose().to_owned()),
        "lucia-auth deleted the dead one"
    );
    db.destroy().await;
}

/// lucia-auth 1.8.0 checks a password exactly as typed, against both of its
/// formats. Every password it accepts signs in here too, and authstore's
/// NFKC leniency only adds: a decomposed "é" (e and a combining acute)
/// against a lucia-auth 0.x hash, which NFKC would otherwise break, and
/// against lucia-auth v1's own hash (of the NFKC form), which Lucia itself
/// refuses as typed.
#[tokio::test]
async fn every_password_lucia_accepts_signs_in_here() {
    let Some((db, lucia, store)) = shared("lucia1_interop_as_typed").await else {
        return;
    };
    let (decomposed, composed) = ("cafe\u{301}", "caf\u{e9}");
    // A 0.x hash of the password as typed, by lucia-auth's own scrypt
    // (r = 8), set on a user lucia-auth made, as a 0.x app left it.
    let hasher = NextAuth::new("lucia1password.mjs", "");
    let made =
        hasher.run(json!([{ "op": "legacyHash", "args": [decomposed, "0123456789abcdef"] }]));
    let legacy = made[0].as_str().unwrap();
    lucia.run(json!([
        { "op": "createUser", "args": [{ "primaryKey": their_key("old@example.com", "placeholder") }] },
        { "op": "createUser", "args": [{ "primaryKey": their_key("new@example.com", decomposed) }] },
    ]));
    let set = format!(
        "UPDATE auth_key SET hashed_password = '{legacy}' WHERE id = 'email:old@example.com'"
    );
    db.conn.execute_unprepared(&set).await.unwrap();

    let cases = [
        ("old@example.com", decomposed),
        ("old@example.com", composed),
        ("new@example.com", decomposed),
        ("new@example.com", composed),
    ];
    let mut theirs = Vec::new();
    let mut ours = Vec::new();
    for (address, typed) in cases {
        let read = lucia.run(json!([{ "op": "useKey", "args": ["email", address, typed] }]));
        theirs.push(read[0].get("error").is_none());
        let signed_in = store.use_key("email", address, Some(typed)).await;
        ours.push(match signed_in {
            Ok(signed_in) => {
                assert!(
                    !signed_in.password_needs_rehash,
                    "a new hash of {typed:?} would be of its NFKC form, which lucia-auth refuses as typed"
                );
                true
            }
            Err(Error::SignInRefused(Refusal::WrongPassword)) => false,
            Err(other) => panic!("{address} {typed:?}: {other:?}"),
        });
    }
    assert_eq!(theirs, [true, false, false, true], "lucia-auth, as typed");
    assert_eq!(ours, [true, false, true, true], "authstore");
    for (accepted_by_lucia, accepted_here) in theirs.iter().zip(&ours) {
        assert!(!accepted_by_lucia || *accepted_here);
    }
    // The 0.x hash was left as it was: the Lucia app still signs them in.
    let read =
        lucia.run(json!([{ "op": "useKey", "args": ["email", "old@example.com", decomposed] }]));
    assert_eq!(
        read[0]["userId"],
        ours_user(&store, "old@example.com").await
    );
    db.destroy().await;
}

async fn ours_user(store: &LuciaV1Store, address: &str) -> String {
    store
        .get_key("email", address)
        .await
        .unwrap()
        .expect("the key")
        .user_id
}

/// lucia-auth's `createKey` and `updateKeyPassword` store a real hash of an
/// empty password (its `createUser` stores none), and its `useKey` refuses
/// `""` all the same. So does authstore, with the same refusal as a wrong
/// password.
#[tokio::test]
async fn an_empty_password_is_refused_by_both_even_against_its_own_hash() {
    let Some((db, lucia, store)) = shared("lucia1_interop_empty").await else {
        return;
    };
    let read = lucia.run(json!([
        { "op": "createUser", "args": [{ "primaryKey": { "providerId": "github", "providerUserId": "1", "password": null } }] },
        { "op": "createKey", "args": ["$0.userId", { "type": "persistent", "providerId": "email", "providerUserId": "ada@example.com", "password": "" }] },
        { "op": "createUser", "args": [{ "primaryKey": their_key("grace@example.com", "grace's password") }] },
        { "op": "updateKeyPassword", "args": ["email", "grace@example.com", ""] },
        { "op": "useKey", "args": ["email", "ada@example.com", ""] },
        { "op": "useKey", "args": ["email", "grace@example.com", ""] },
    ]));
    assert_eq!(read[4], json!({ "error": "AUTH_INVALID_PASSWORD" }));
    assert_eq!(read[5], json!({ "error": "AUTH_INVALID_PASSWORD" }));
    for address in ["ada@example.com", "grace@example.com"] {
        let stored = db
            .strings(&format!(
                "SELECT hashed_password AS name FROM auth_key WHERE id = 'email:{address}'"
            ))
            .await;
        assert_eq!(
            authstore::lucia_v1::verify_password("", &stored[0]),
            authstore::lucia_v1::PasswordCheck::Valid,
            "a real hash of the empty password"
        );
        assert!(matches!(
            store.use_key("email", address, Some("")).await,
            Err(Error::SignInRefused(Refusal::WrongPassword))
        ));
    }
    // Nor does authstore write such a hash.
    assert!(matches!(
        store
            .update_key_password("email", "ada@example.com", Some(""))
            .await,
        Err(Error::Validation(_))
    ));
    db.destroy().await;
}
