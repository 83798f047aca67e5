//! Sign-in links that survive mail scanners, on every profile and backend:
//! checking a link uses nothing and check-then-consume lets exactly one
//! consumer through; with `newest_link_only` exactly one of 20 concurrent
//! links stays live; with `link_issuance_limit` 50 concurrent requests never
//! make more than N rows, and the refusal carries the retry time and writes
//! nothing.
//!
//! Each concurrency test prints one `figures:` line (uncaptured) for
//! SECURITY.md.

use std::io::Write as _;

use authstore::{AuthStore, Error};
use authstore_tests::{TestClock, TestDb, profile_tests};
use chrono::TimeDelta;
use tokio::task::JoinSet;

profile_tests!(
    checking_a_link_uses_nothing,
    check_then_consume_under_concurrency_lets_one_through,
    only_the_newest_of_twenty_concurrent_links_works,
    fifty_concurrent_requests_never_exceed_the_issuance_limit,
    the_limit_names_its_retry_time_and_purging_keeps_what_it_counts,
);

const ADA: &str = "ada@example.com";
const WINDOW: TimeDelta = TimeDelta::minutes(15);

async fn store(
    db: &TestDb,
    clock: &TestClock,
    configure: impl FnOnce(authstore::ConfigBuilder) -> authstore::ConfigBuilder,
) -> AuthStore {
    db.migrate().await;
    let reading = clock.clone();
    let config = configure(db.config("links")).build().unwrap();
    AuthStore::new(db.conn.clone(), config).with_clock(move || reading.now())
}

fn figures(db: &TestDb, line: String) {
    let _ = writeln!(
        std::io::stderr(),
        "figures: {} {}: {line}",
        db.profile,
        db.backend.name()
    );
}

/// Rows of the verification table, and how many are live at `clock`.
async fn rows(db: &TestDb) -> i64 {
    db.count_rows(db.verification_table()).await
}

async fn checking_a_link_uses_nothing(db: &TestDb) {
    let clock = TestClock::new();
    let store = store(db, &clock, |c| c).await;
    let (_, token) = store.verification().create(ADA).await.unwrap();
    let links = store.verification();
    // A scanner's fetches: any number of checks, nothing used.
    for _ in 0..3 {
        assert!(links.check(ADA, token.expose()).await.unwrap());
    }
    assert!(
        links
            .check("ADA@example.com", token.expose())
            .await
            .unwrap(),
        "canonical"
    );
    assert!(
        !links
            .check("bob@example.com", token.expose())
            .await
            .unwrap()
    );
    assert!(!links.check(ADA, "0".repeat(64).as_str()).await.unwrap());
    assert!(!links.check("not an address", token.expose()).await.unwrap());
    assert_eq!(rows(db).await, 1);
    // The person's confirmation uses it; after that it checks false.
    assert!(links.consume(ADA, token.expose()).await.unwrap().is_some());
    assert!(!links.check(ADA, token.expose()).await.unwrap());
    // An expired link checks false and is left for the purge.
    let (_, late) = links.create(ADA).await.unwrap();
    clock.advance(TimeDelta::hours(24) + TimeDelta::seconds(1));
    assert!(!links.check(ADA, late.expose()).await.unwrap());
    assert_eq!(rows(db).await, 1);
}

async fn check_then_consume_under_concurrency_lets_one_through(db: &TestDb) {
    let store = store(db, &TestClock::new(), |c| c).await;
    let (_, token) = store.verification().create(ADA).await.unwrap();
    let mut attempts = JoinSet::new();
    for _ in 0..20 {
        let (store, token) = (store.clone(), token.clone());
        attempts.spawn(async move {
            let links = store.verification();
            let checked = links.check(ADA, token.expose()).await?;
            let used = links.consume(ADA, token.expose()).await?;
            Ok::<_, Error>((checked, used.is_some()))
        });
    }
    let results: Vec<(bool, bool)> = attempts
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("no errors under contention"))
        .collect();
    let consumed = results.iter().filter(|(_, used)| *used).count();
    let checked = results.iter().filter(|(checked, _)| *checked).count();
    assert_eq!(consumed, 1);
    assert!(checked >= 1);
    assert_eq!(rows(db).await, 0);
    figures(
        db,
        format!("check-then-consume x20: {checked} checks true, {consumed} consume won"),
    );
}

async fn only_the_newest_of_twenty_concurrent_links_works(db: &TestDb) {
    let clock = TestClock::new();
    let store = store(db, &clock, |c| c.newest_link_only(true)).await;
    // Sequentially: a new link ends the old one.
    let links = store.verification();
    let (_, first) = links.create(ADA).await.unwrap();
    let (_, other) = links.create("bob@example.com").await.unwrap();
    clock.advance(TimeDelta::seconds(1));
    let (_, second) = links.create(ADA).await.unwrap();
    assert!(!links.check(ADA, first.expose()).await.unwrap());
    assert!(links.consume(ADA, first.expose()).await.unwrap().is_none());
    assert!(links.check(ADA, second.expose()).await.unwrap());
    assert!(
        links
            .check("bob@example.com", other.expose())
            .await
            .unwrap(),
        "another address is untouched"
    );

    // Concurrently: of 20 links, exactly one stays live.
    clock.advance(TimeDelta::seconds(1));
    let mut issued = JoinSet::new();
    for _ in 0..20 {
        let store = store.clone();
        issued.spawn(async move { store.verification().create(ADA).await });
    }
    let tokens: Vec<_> = issued
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("every issuance succeeds").1)
        .collect();
    let mut live = 0;
    for token in tokens.iter().chain([&second]) {
        live += usize::from(links.check(ADA, token.expose()).await.unwrap());
    }
    assert_eq!(live, 1, "exactly one live link");
    let rows = rows(db).await;
    assert_eq!(rows, 2, "older links deleted: one of ada's, bob's");
    figures(
        db,
        format!("newest-only, 20 concurrent issuances: {live} live link, {rows} rows"),
    );
}

async fn fifty_concurrent_requests_never_exceed_the_issuance_limit(db: &TestDb) {
    let clock = TestClock::new();
    let store = store(db, &clock, |c| c.link_issuance_limit(5, WINDOW)).await;
    let mut issued = JoinSet::new();
    for _ in 0..50 {
        let store = store.clone();
        issued.spawn(async move { store.verification().create(ADA).await });
    }
    let results = issued.join_all().await;
    let sent = results.iter().filter(|r| r.is_ok()).count();
    let limited: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            Err(Error::RateLimited { retry_at }) => Some(*retry_at),
            Ok(_) => None,
            Err(other) => panic!("unexpected error: {other:?}"),
        })
        .collect();
    assert_eq!(sent, 5);
    assert_eq!(limited.len(), 45);
    assert!(limited.iter().all(|at| *at == clock.now() + WINDOW));
    let rows = rows(db).await;
    assert_eq!(rows, 5);
    figures(
        db,
        format!(
            "limit 5 per 15 min, 50 concurrent requests: {sent} sent, {} refused, {rows} rows",
            limited.len()
        ),
    );

    // With newest-only as well: still 5 rows in the window, one of them live.
    let both = store_on(db, &clock, |c| {
        c.link_issuance_limit(5, WINDOW).newest_link_only(true)
    });
    let mut issued = JoinSet::new();
    for _ in 0..50 {
        let store = both.clone();
        issued.spawn(async move { store.verification().create("bob@example.com").await });
    }
    let tokens: Vec<_> = issued
        .join_all()
        .await
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    assert_eq!(tokens.len(), 5);
    let mut live = 0;
    for (_, token) in &tokens {
        live += usize::from(
            both.verification()
                .check("bob@example.com", token.expose())
                .await
                .unwrap(),
        );
    }
    assert_eq!(live, 1);
    assert_eq!(self::rows(db).await, 10);
}

/// A second store on an already migrated database.
fn store_on(
    db: &TestDb,
    clock: &TestClock,
    configure: impl FnOnce(authstore::ConfigBuilder) -> authstore::ConfigBuilder,
) -> AuthStore {
    let reading = clock.clone();
    let config = configure(db.config("links")).build().unwrap();
    AuthStore::new(db.conn.clone(), config).with_clock(move || reading.now())
}

async fn the_limit_names_its_retry_time_and_purging_keeps_what_it_counts(db: &TestDb) {
    let clock = TestClock::new();
    let store = store(db, &clock, |c| {
        c.link_issuance_limit(2, WINDOW).newest_link_only(true)
    })
    .await;
    let links = store.verification();
    let first_at = clock.now();
    links.create(ADA).await.unwrap();
    clock.advance(TimeDelta::minutes(5));
    let (_, second) = links.create(ADA).await.unwrap();
    clock.advance(TimeDelta::minutes(1));
    let refused = links.create(ADA).await.unwrap_err();
    let Error::RateLimited { retry_at } = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(retry_at, first_at + WINDOW);
    assert!(refused.to_string().starts_with("too many sign-in links"));
    assert_eq!(rows(db).await, 2, "nothing written");
    assert!(
        links.check(ADA, second.expose()).await.unwrap(),
        "the live link survives a refusal"
    );

    // The superseded first link is expired, but the purge keeps it while it
    // still counts; once the window has passed it, it goes.
    assert_eq!(links.purge_expired().await.unwrap(), 0);
    assert!(links.create(ADA).await.is_err());
    clock.advance(retry_at - clock.now());
    let (_, third) = links.create(ADA).await.unwrap();
    assert!(links.check(ADA, third.expose()).await.unwrap());
    assert!(!links.check(ADA, second.expose()).await.unwrap());
    assert_eq!(
        rows(db).await,
        2,
        "the first, out of the window, was deleted by the issuance"
    );
    clock.advance(WINDOW);
    assert_eq!(
        links.purge_expired().await.unwrap(),
        1,
        "the superseded second"
    );
}
