//! The example on a `lucia-v3` database, over HTTP with a cookie jar, on each
//! backend: sign-up signs in with Lucia's `auth_session` cookie, the session
//! is renewed (and the cookie re-sent) in its second half, sign-out ends it,
//! sign-out everywhere ends the other browser's too, and deleting the account
//! ends everything.

use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore_examples::lucia::{LUCIA_COOKIE, LuciaState, lucia_app};
use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::{TestClock, TestDb, backend_tests};
use chrono::TimeDelta;
use reqwest::{Client, StatusCode};
use serde_json::Value;

mod support;

use authstore_examples::limits::Limits;

backend_tests!(lucia_sessions_over_http);

async fn lucia_sessions_over_http(db: &TestDb) {
    Profile::LuciaV3.up(&db.conn).await.unwrap();
    let clock = TestClock::new();
    let reading = clock.clone();
    let lucia =
        LuciaStore::new(db.conn.clone(), LuciaConfig::default()).with_clock(move || reading.now());
    let base = support::serve_example(move |base| {
        lucia_app(LuciaState::new(lucia, base, Limits::default()).unwrap())
    })
    .await;
    let url = |path: &str| format!("{base}{path}");
    let browser = || Client::builder().cookie_store(true).build().unwrap();
    let sets_cookie = |response: &reqwest::Response| support::sets_cookie(response, LUCIA_COOKIE);

    let anonymous = browser();
    let response = anonymous.get(url("/auth/session")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let phone = browser();
    let response = phone.post(url("/auth/signup")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(sets_cookie(&response));
    let user: Value = response.json().await.unwrap();
    let user_id = user["user"]["id"].as_str().unwrap().to_owned();

    let response = phone.get(url("/auth/session")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!sets_cookie(&response), "not renewed: no cookie");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["user"]["id"].as_str(), body["fresh"].as_bool()),
        (Some(user_id.as_str()), Some(false))
    );

    // In the second half of its life the session is renewed, and the cookie re-sent.
    clock.advance(TimeDelta::days(16));
    let response = phone.get(url("/auth/session")).send().await.unwrap();
    assert!(sets_cookie(&response));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["fresh"], true);

    // A second browser of the same user: signing in needs a session of the
    // user, which the library makes (Lucia v3 leaves credentials to the app).
    let laptop = browser();
    let second = LuciaStore::new(db.conn.clone(), LuciaConfig::default())
        .with_clock({
            let clock = clock.clone();
            move || clock.now()
        })
        .create_session(&user_id)
        .await
        .unwrap();
    let with_cookie = |client: &Client, path: &str| {
        client
            .get(url(path))
            .header("cookie", format!("{LUCIA_COOKIE}={}", second.id.expose()))
    };
    assert_eq!(
        with_cookie(&laptop, "/auth/session")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let listed: Value = phone
        .get(url("/me/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(
        !listed.to_string().contains(second.id.expose()),
        "other sessions' ids are never shown"
    );

    // Sign-out everywhere from the phone ends the laptop's session too.
    let response = phone
        .post(url("/auth/signout/everywhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        with_cookie(&laptop, "/auth/session")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        phone
            .get(url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Sign-out, and deleting the account.
    let tablet = browser();
    tablet.post(url("/auth/signup")).send().await.unwrap();
    assert_eq!(
        tablet
            .post(url("/auth/signout"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        tablet
            .get(url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    tablet.post(url("/auth/signup")).send().await.unwrap();
    assert_eq!(
        tablet.delete(url("/me")).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(db.count_rows("user_session").await, 0);
    assert_eq!(
        db.count_rows("auth_user").await,
        2,
        "the first user and the tablet's first"
    );
}
