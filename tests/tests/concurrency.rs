//! Contention on every profile and backend, through real connection pools: single use
//! holds, unique emails hold, renewal never moves backwards, and deleting a
//! user while their sessions are in use leaves no orphans.
//!
//! Each test prints one `figures:` line (uncaptured) for SECURITY.md.

use std::io::Write as _;

use authstore::{AuthStore, Conflict, Error, NewAccount, NewUser};
use authstore_tests::{TestClock, TestDb, profile_tests};
use chrono::TimeDelta;
use tokio::task::JoinSet;

profile_tests!(
    one_hundred_consumes_of_one_token_let_one_through,
    fifty_signups_with_one_email_make_one_user,
    a_thousand_reads_with_renewal_never_move_expiry_back,
    deleting_a_user_while_their_sessions_are_read_leaves_no_orphans,
);

async fn store(db: &TestDb, clock: &TestClock) -> AuthStore {
    db.migrate().await;
    let reading = clock.clone();
    AuthStore::new(db.conn.clone(), db.config("concurrency").build().unwrap())
        .with_clock(move || reading.now())
}

fn figures(db: &TestDb, line: String) {
    let _ = writeln!(
        std::io::stderr(),
        "figures: {} {}: {line}",
        db.profile,
        db.backend.name()
    );
}

async fn one_hundred_consumes_of_one_token_let_one_through(db: &TestDb) {
    let store = store(db, &TestClock::new()).await;
    let (_, token) = store
        .verification()
        .create("race@example.com")
        .await
        .unwrap();
    let mut attempts = JoinSet::new();
    for _ in 0..100 {
        let (store, token) = (store.clone(), token.clone());
        attempts.spawn(async move {
            store
                .verification()
                .consume("race@example.com", token.expose())
                .await
        });
    }
    let results = attempts.join_all().await;
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(errors.is_empty(), "no errors under contention: {errors:?}");
    let winners = results.iter().filter(|r| matches!(r, Ok(Some(_)))).count();
    assert_eq!(winners, 1);
    figures(
        db,
        format!("100 concurrent consumes of one token: {winners} succeeded, 0 errors"),
    );
}

async fn fifty_signups_with_one_email_make_one_user(db: &TestDb) {
    let store = store(db, &TestClock::new()).await;
    let mut attempts = JoinSet::new();
    for i in 0..50 {
        let store = store.clone();
        // The same address, differing only in case and surrounding space.
        let email = match i % 3 {
            0 => "Dup@Example.com".to_owned(),
            1 => " dup@example.COM".to_owned(),
            _ => "DUP@EXAMPLE.COM\t".to_owned(),
        };
        attempts.spawn(async move {
            store
                .users()
                .create(NewUser {
                    email: Some(email),
                    ..Default::default()
                })
                .await
        });
    }
    let results = attempts.join_all().await;
    let created = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(Error::Conflict(Conflict::Email))))
        .count();
    assert_eq!((created, conflicts), (1, 49), "{results:?}");
    assert!(
        store
            .users()
            .get_by_email("dup@example.com")
            .await
            .unwrap()
            .is_some()
    );
    figures(
        db,
        format!("50 concurrent sign-ups, one email: {created} created, {conflicts} Conflict"),
    );
}

async fn a_thousand_reads_with_renewal_never_move_expiry_back(db: &TestDb) {
    let clock = TestClock::new();
    let store = store(db, &clock).await;
    let user = store.users().create(NewUser::default()).await.unwrap();
    let session = store.sessions().create(user.id).await.unwrap();
    clock.advance(TimeDelta::days(2)); // every read now finds it due for renewal
    let token = session.session_token.expose().to_owned();

    let mut reads = JoinSet::new();
    for _ in 0..1000 {
        let (store, token) = (store.clone(), token.clone());
        reads.spawn(async move { store.sessions().get_session_and_user(&token).await });
    }
    let results = reads.join_all().await;
    let errors = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(errors, 0, "{:?}", results.iter().find(|r| r.is_err()));
    let found: Vec<_> = results
        .into_iter()
        .map(|r| r.unwrap().expect("the session stays valid"))
        .collect();
    let renewals = found.iter().filter(|f| f.renewed).count();
    let renewed_to = clock.now() + TimeDelta::days(30);
    assert!(
        found.iter().all(|f| f.session.expires >= session.expires),
        "expiry never moves backwards"
    );
    assert!(found.iter().all(|f| f.session.expires <= renewed_to));
    let stored = store.sessions().list(session.user_id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].expires, renewed_to);
    // Reads that raced the renewal issue a no-op UPDATE; exactly one write
    // changes the row (the clock stands still, so every racer asks for the
    // same expiry and `expires < new` holds only once).
    assert_eq!(renewals, 1, "renewal writes");
    figures(
        db,
        format!(
            "1000 concurrent reads needing renewal: 0 errors, {renewals} renewal writes, expiry never backwards"
        ),
    );
}

async fn deleting_a_user_while_their_sessions_are_read_leaves_no_orphans(db: &TestDb) {
    let store = store(db, &TestClock::new()).await;
    let user = store
        .users()
        .create(NewUser {
            email: Some("leaving@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let account = NewAccount {
        user_id: user.id,
        provider_type: "oauth".into(),
        provider_id: "github".into(),
        provider_account_id: "leaving".into(),
        ..Default::default()
    };
    store.accounts().link(account).await.unwrap();
    let mut tokens = Vec::new();
    for _ in 0..20 {
        tokens.push(
            store
                .sessions()
                .create(user.id)
                .await
                .unwrap()
                .session_token
                .expose()
                .to_owned(),
        );
    }

    let mut reads = JoinSet::new();
    for i in 0..400 {
        let (store, token) = (store.clone(), tokens[i % tokens.len()].clone());
        reads.spawn(async move {
            store
                .sessions()
                .get_session_and_user(&token)
                .await
                .map(|found| found.is_some())
        });
    }
    let deleter = {
        let store = store.clone();
        tokio::spawn(async move { store.users().delete(user.id).await })
    };
    deleter.await.unwrap().expect("the delete succeeds");
    let results = reads.join_all().await;
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        errors.is_empty(),
        "a read may only find the session or not: {errors:?}"
    );
    let (valid, gone) = (
        results.iter().filter(|r| matches!(r, Ok(true))).count(),
        results.iter().filter(|r| matches!(r, Ok(false))).count(),
    );

    // Only this user's rows were ever written, so every row left would be
    // an orphan.
    let orphans = (
        db.count_rows("sessions").await,
        db.count_rows("accounts").await,
    );
    assert_eq!(orphans, (0, 0));
    for token in &tokens {
        assert_eq!(
            store.sessions().get_session_and_user(token).await.unwrap(),
            None
        );
    }
    figures(
        db,
        format!(
            "delete user during 400 session reads: 0 errors ({valid} before, {gone} after), 0 orphan rows"
        ),
    );
}
