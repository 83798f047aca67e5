//! One live PostgreSQL database shared with lucia 3.2.2 and its
//! node-postgres adapter (`@lucia-auth/adapter-postgresql` 3.1.2, run by
//! `tests/interop/lucia3.mjs` under Node) and authstore's `lucia-v3` profile:
//! sessions made by either side validate on the other, renewal and
//! invalidation by one side are seen by the other, expired sessions are
//! refused by both, and the app's attribute columns survive both sides'
//! writes.
//!
//! Needs `npm ci --prefix tests/interop` (CI does it); without it the tests
//! are skipped with a note, or fail when `CI` is set.

use authstore::Profile;
use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore_migration::ProfileMigrations;
use authstore_tests::interop::{self, NextAuth, instant, ms};
use authstore_tests::{Backend, TestDb};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// A migrated database with attribute columns, a user `ada`, and both sides.
async fn shared(test: &str) -> Option<(TestDb, NextAuth, LuciaStore)> {
    if !interop::installed() {
        return None;
    }
    let db = TestDb::create(Backend::Postgres, test).await?;
    Profile::LuciaV3.up(&db.conn).await.unwrap();
    db.conn
        .execute_unprepared(
            "ALTER TABLE auth_user ADD COLUMN username TEXT NOT NULL DEFAULT '';
             ALTER TABLE user_session ADD COLUMN country TEXT NULL;",
        )
        .await
        .unwrap();
    let store = LuciaStore::new(db.conn.clone(), LuciaConfig::default());
    store.create_user(Some("ada")).await.unwrap();
    db.conn
        .execute_unprepared("UPDATE auth_user SET username = 'ada lovelace'")
        .await
        .unwrap();
    let lucia = NextAuth::new("lucia3.mjs", &db.url);
    Some((db, lucia, store))
}

fn at(store: &LuciaStore, now: DateTime<Utc>) -> LuciaStore {
    store.clone().with_clock(move || now)
}

#[tokio::test]
async fn sessions_made_by_either_side_validate_on_the_other() {
    let Some((db, lucia, store)) = shared("lucia_interop_both").await else {
        return;
    };
    let out = lucia.run(json!([{ "op": "createSession", "args": ["ada", { "country": "gb" }] }]));
    let theirs = out[0]["id"].as_str().unwrap();
    let valid = store
        .validate_session(theirs)
        .await
        .unwrap()
        .expect("authstore accepts Lucia's session");
    assert_eq!(valid.user.id, "ada");
    assert_eq!(ms(valid.session.expires_at), instant(&out[0]["expiresAt"]));
    assert!(!valid.session.fresh);

    let ours = store.create_session("ada").await.unwrap();
    let read = lucia.run(json!([{ "op": "validateSession", "args": [ours.id.expose()] }]));
    assert_eq!(read[0]["user"]["id"], "ada");
    assert_eq!(
        read[0]["user"]["username"], "ada lovelace",
        "the app's attribute"
    );
    assert_eq!(read[0]["session"]["fresh"], false);
    assert_eq!(
        instant(&read[0]["session"]["expiresAt"]),
        ms(ours.expires_at)
    );
    db.destroy().await;
}

#[tokio::test]
async fn renewal_by_one_side_is_seen_by_the_other() {
    let Some((db, lucia, store)) = shared("lucia_interop_renewal").await else {
        return;
    };
    // Lucia renews a session authstore made 20 days ago.
    let ours = at(&store, Utc::now() - TimeDelta::days(20))
        .create_session("ada")
        .await
        .unwrap();
    let read = lucia.run(json!([{ "op": "validateSession", "args": [ours.id.expose()] }]));
    assert_eq!(read[0]["session"]["fresh"], true);
    let renewed = instant(&read[0]["session"]["expiresAt"]);
    let seen = store
        .validate_session(ours.id.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ms(seen.session.expires_at), renewed);
    assert!(!seen.session.fresh);

    // authstore renews a session Lucia made, read 20 days on.
    let out = lucia.run(json!([{ "op": "createSession", "args": ["ada", { "country": "gb" }] }]));
    let theirs = out[0]["id"].as_str().unwrap();
    let later = Utc::now() + TimeDelta::days(20);
    let fresh = at(&store, later)
        .validate_session(theirs)
        .await
        .unwrap()
        .unwrap();
    assert!(fresh.session.fresh);
    let read = lucia.run(json!([{ "op": "getUserSessions", "args": ["ada"] }]));
    let listed: Vec<&Value> = read[0]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["id"] == theirs)
        .collect();
    assert_eq!(
        instant(&listed[0]["expiresAt"]),
        ms(fresh.session.expires_at)
    );
    assert_eq!(
        listed[0]["country"], "gb",
        "renewal keeps the app's attribute"
    );
    db.destroy().await;
}

#[tokio::test]
async fn invalidation_by_either_side_ends_the_session_for_both() {
    let Some((db, lucia, store)) = shared("lucia_interop_invalidate").await else {
        return;
    };
    let ours = store.create_session("ada").await.unwrap();
    lucia.run(json!([{ "op": "invalidateSession", "args": [ours.id.expose()] }]));
    assert_eq!(
        store.validate_session(ours.id.expose()).await.unwrap(),
        None
    );

    let out = lucia.run(json!([
        { "op": "createSession", "args": ["ada"] },
        { "op": "createSession", "args": ["ada"] },
    ]));
    assert_eq!(store.invalidate_user_sessions("ada").await.unwrap(), 2);
    for created in out.iter() {
        let read = lucia.run(json!([{ "op": "validateSession", "args": [created["id"]] }]));
        assert_eq!(read[0]["session"], Value::Null);
    }
    db.destroy().await;
}

#[tokio::test]
async fn expired_sessions_are_refused_by_both() {
    let Some((db, lucia, store)) = shared("lucia_interop_expired").await else {
        return;
    };
    let stale = at(&store, Utc::now() - TimeDelta::days(31))
        .create_session("ada")
        .await
        .unwrap();
    let read = lucia.run(json!([{ "op": "validateSession", "args": [stale.id.expose()] }]));
    assert_eq!(
        read[0]["session"],
        Value::Null,
        "Lucia refuses authstore's expired session"
    );

    let out = lucia.run(json!([{ "op": "createSession", "args": ["ada"] }]));
    let theirs = out[0]["id"].as_str().unwrap();
    let after = Utc::now() + TimeDelta::days(31);
    assert_eq!(
        at(&store, after).validate_session(theirs).await.unwrap(),
        None
    );
    assert_eq!(
        db.count_rows("user_session").await,
        0,
        "both deleted on read"
    );
    db.destroy().await;
}

/// lucia 3.2.2 starts a session's second half at
/// `new Date(expiresAt − expiresIn / 2)`, whose fraction a JS `Date` drops:
/// with an odd period of 3,600,001 ms, renewal starts 1,800,000 ms after
/// creation. Both sides renew at that millisecond and not one before, for a
/// session either side made. (Lucia's clock is fixed with the script's
/// `now`.)
#[tokio::test]
async fn renewal_starts_at_lucias_millisecond_for_an_odd_period() {
    let Some((db, lucia, _)) = shared("lucia_interop_odd_period").await else {
        return;
    };
    let period = 3_600_001_i64;
    let config = LuciaConfig::default()
        .session_expires_in(TimeDelta::milliseconds(period))
        .unwrap();
    let store = LuciaStore::new(db.conn.clone(), config);
    let created = ms(Utc::now());
    let created_ms = created.timestamp_millis();
    let lucia_at = |offset: i64, ops: Value| {
        let settings = json!({ "expiresInMs": period, "now": created_ms + offset });
        lucia.run_with(settings, ops)
    };
    let just_before = TimeDelta::milliseconds(1_799_999);
    let renewal = TimeDelta::milliseconds(1_800_000);

    // authstore's session, validated by Lucia.
    let ours = at(&store, created).create_session("ada").await.unwrap();
    let validate = json!([{ "op": "validateSession", "args": [ours.id.expose()] }]);
    let read = lucia_at(just_before.num_milliseconds(), validate.clone());
    assert_eq!(read[0]["session"]["fresh"], false);
    let read = lucia_at(renewal.num_milliseconds(), validate);
    assert_eq!(read[0]["session"]["fresh"], true);

    // Lucia's session, validated by authstore.
    let out = lucia_at(0, json!([{ "op": "createSession", "args": ["ada", {}] }]));
    let theirs = out[0]["id"].as_str().unwrap();
    assert_eq!(
        instant(&out[0]["expiresAt"]),
        created + TimeDelta::milliseconds(period)
    );
    let valid = at(&store, created + just_before)
        .validate_session(theirs)
        .await
        .unwrap()
        .unwrap();
    assert!(!valid.session.fresh);
    let valid = at(&store, created + renewal)
        .validate_session(theirs)
        .await
        .unwrap()
        .unwrap();
    assert!(valid.session.fresh);
    db.destroy().await;
}
