//! The example on a `lucia-v1` database, over HTTP with a cookie jar, on each
//! backend: email and password sign-up signs in with lucia-auth v1's
//! `auth_session` cookie; sign-in refuses a wrong password and an unknown
//! address with the same answer; an idle session is replaced (and the
//! cookie re-sent); a lucia-auth 0.x hash is rehashed at sign-in; sign-out,
//! sign-out everywhere and deleting the account end sessions.

use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store};
use authstore_examples::lucia::{LUCIA_COOKIE, LuciaState};
use authstore_examples::lucia_v1::lucia_v1_app;
use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::{TestClock, TestDb, backend_tests};
use chrono::TimeDelta;
use reqwest::{Client, Response, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

mod support;

use authstore_examples::limits::Limits;

backend_tests!(email_and_password_over_http);

fn sets_cookie(response: &Response) -> bool {
    support::sets_cookie(response, LUCIA_COOKIE)
}

async fn email_and_password_over_http(db: &TestDb) {
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    let clock = TestClock::new();
    let reading = clock.clone();
    let lucia = LuciaV1Store::new(db.conn.clone(), LuciaV1Config::default())
        .with_clock(move || reading.now());
    let base = support::serve_example(move |base| {
        lucia_v1_app(LuciaState::new(lucia, base, Limits::default()).unwrap())
    })
    .await;
    let url = |path: &str| format!("{base}{path}");
    let browser = || Client::builder().cookie_store(true).build().unwrap();
    let credentials = |email: &str, password: &str| json!({ "email": email, "password": password });

    let phone = browser();
    let response = phone
        .post(url("/auth/signup"))
        .json(&credentials("Ada@Example.com", "correct horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(sets_cookie(&response));
    let body: Value = response.json().await.unwrap();
    let user_id = body["user"]["id"].as_str().unwrap().to_owned();
    let keys = db.strings("SELECT id AS name FROM auth_key").await;
    assert_eq!(keys, ["email:ada@example.com"], "the address, canonical");

    // Signing up again with the address is a conflict; bad input is a 400.
    let again = phone
        .post(url("/auth/signup"))
        .json(&credentials("ada@example.com", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    for (email, password, field) in [
        ("not an address", "pw", "email"),
        ("bob@example.com", "", "password"),
    ] {
        let response = browser()
            .post(url("/auth/signup"))
            .json(&credentials(email, password))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        assert!(body["fields"].get(field).is_some(), "{body}");
    }
    assert_eq!(db.count_rows("auth_user").await, 1, "nothing written");

    // A wrong password and an unknown address get the same answer.
    let mut refusals = Vec::new();
    for (email, password) in [
        ("ada@example.com", "wrong"),
        ("nobody@example.com", "correct horse"),
        ("junk", "x"),
    ] {
        let response = browser()
            .post(url("/auth/signin"))
            .json(&credentials(email, password))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(!sets_cookie(&response));
        refusals.push(response.text().await.unwrap());
    }
    assert!(refusals.iter().all(|r| *r == refusals[0]), "{refusals:?}");
    assert!(refusals[0].contains("invalid_credentials"));

    let laptop = browser();
    let response = laptop
        .post(url("/auth/signin"))
        .json(&credentials("ADA@example.com", "correct horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(sets_cookie(&response));
    let session: Value = laptop
        .get(url("/auth/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["user"]["id"], user_id.as_str());
    assert_eq!(session["fresh"], false);

    // A day and a bit later the phone's session is idle: it is replaced,
    // and the cookie re-sent; the new cookie works.
    clock.advance(TimeDelta::hours(25));
    let response = phone.get(url("/auth/session")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(sets_cookie(&response));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["fresh"], true);
    let response = phone.get(url("/auth/session")).send().await.unwrap();
    assert!(!sets_cookie(&response), "the replacement is active");
    let listed: Value = phone
        .get(url("/me/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        3,
        "the laptop's, the phone's old (idle) and new"
    );

    // Sign-out everywhere ends the laptop's session too.
    let response = phone
        .post(url("/auth/signout/everywhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    for client in [&phone, &laptop] {
        let status = client
            .get(url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    // A password hash lucia-auth 0.x wrote is replaced by an s2 one at sign-in.
    let (password, hash) = authstore_tests::lucia_legacy_password();
    db.conn
        .execute_unprepared(&format!(
            "UPDATE auth_key SET hashed_password = '{hash}' WHERE id = 'email:ada@example.com'"
        ))
        .await
        .unwrap();
    let password = password.as_str();
    let response = laptop
        .post(url("/auth/signin"))
        .json(&credentials("ada@example.com", password))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let stored = db
        .strings("SELECT hashed_password AS name FROM auth_key")
        .await;
    assert!(stored[0].starts_with("s2:"), "rehashed: {stored:?}");

    // Sign-out, then deleting the account takes its key and sessions.
    assert_eq!(
        laptop
            .post(url("/auth/signout"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        laptop
            .get(url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    laptop
        .post(url("/auth/signin"))
        .json(&credentials("ada@example.com", password))
        .send()
        .await
        .unwrap();
    assert_eq!(
        laptop.delete(url("/me")).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    for table in ["auth_user", "auth_key", "auth_session"] {
        assert_eq!(db.count_rows(table).await, 0, "{table}");
    }
}
