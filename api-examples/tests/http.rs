//! End to end: the example server on an ephemeral port, driven over HTTP by
//! reqwest with a cookie jar, on each backend. The store's clock is the
//! test's, so renewal and expiry are exercised without sleeping.

use authstore::{AuthStore, Config};
use authstore_examples::{AppState, Outbox, SESSION_COOKIE, app};
use authstore_migration::{Migrator, MigratorTrait};
use authstore_tests::{TestClock, TestDb, backend_tests};
use chrono::TimeDelta;
use reqwest::{Client, Response, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

struct Server {
    base: String,
    outbox: Outbox,
    clock: TestClock,
}

async fn start(db: &TestDb) -> Server {
    Migrator::up(&db.conn, None).await.unwrap();
    let clock = TestClock::new();
    let reading = clock.clone();
    let store = AuthStore::new(db.conn.clone(), Config::new("e2e-secret").unwrap())
        .with_clock(move || reading.now());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let outbox = Outbox::default();
    let state = AppState {
        store,
        base_url: base.clone(),
        secure_cookies: false,
        outbox: Some(outbox.clone()),
    };
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    Server {
        base,
        outbox,
        clock,
    }
}

/// A browser: its own cookie jar.
fn browser() -> Client {
    Client::builder().cookie_store(true).build().unwrap()
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Requests a link for `email` and returns the URL the email carried.
    async fn request_link(&self, client: &Client, email: &str) -> String {
        let response = client
            .post(self.url("/auth/email"))
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let sent = self.outbox.all();
        sent.last().unwrap()["url"].as_str().unwrap().to_owned()
    }

    /// The full email sign-in: request a link, follow it.
    async fn sign_in(&self, client: &Client, email: &str) -> Response {
        let link = self.request_link(client, email).await;
        let response = client.get(link).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response
    }
}

fn session_set_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_owned)
}

async fn json_of(response: Response) -> Value {
    response.json().await.unwrap()
}

backend_tests!(
    email_sign_in_sets_a_next_auth_cookie,
    sliding_renewal_refreshes_the_cookie,
    sign_out_everywhere_ends_other_browsers,
    sessions_and_accounts_are_mine_only,
    errors_have_the_right_status,
);

async fn email_sign_in_sets_a_next_auth_cookie(db: &TestDb) {
    let server = start(db).await;
    let client = browser();

    let link = server.request_link(&client, " Ada@Example.com ").await;
    assert!(
        link.starts_with(&server.url("/auth/email/callback?email=ada%40example.com&token=")),
        "{link}"
    );
    let response = client.get(&link).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = session_set_cookie(&response).expect("the callback sets the session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Expires="] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing from {cookie}"
        );
    }
    assert!(
        !cookie.contains("Secure"),
        "Secure is off unless configured"
    );
    let body = json_of(response).await;
    assert_eq!(body["user"]["email"], "ada@example.com");

    let me = json_of(
        client
            .get(server.url("/auth/session"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        me["user"],
        json!({ "name": null, "email": "ada@example.com", "image": null })
    );
    assert_eq!(me["expires"], body["expires"]);

    // The link works once.
    let reused = client.get(&link).send().await.unwrap();
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(reused).await["error"], "invalid_link");

    // A second sign-in finds the same user.
    server.sign_in(&client, "ada@example.com").await;
    let users = db.conn.query_one_raw(sea_orm::Statement::from_string(
        db.db_backend(),
        "SELECT COUNT(*) AS n FROM users",
    ));
    assert_eq!(
        users
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap(),
        1
    );

    let signed_out = client
        .post(server.url("/auth/signout"))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        client
            .get(server.url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn sliding_renewal_refreshes_the_cookie(db: &TestDb) {
    let server = start(db).await;
    let client = browser();
    let first = json_of(server.sign_in(&client, "ada@example.com").await).await;

    let fresh = client
        .get(server.url("/auth/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        session_set_cookie(&fresh),
        None,
        "no renewal within update_age, so no new cookie"
    );

    server.clock.advance(TimeDelta::hours(25));
    let renewed = client
        .get(server.url("/auth/session"))
        .send()
        .await
        .unwrap();
    let cookie = session_set_cookie(&renewed).expect("a renewed session re-sends its cookie");
    assert!(cookie.contains("Expires="), "{cookie}");
    let body = json_of(renewed).await;
    assert_ne!(body["expires"], first["expires"], "the expiry moved");
    let expected = (server.clock.now() + TimeDelta::days(30))
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(body["expires"], expected);

    let after = client
        .get(server.url("/auth/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        session_set_cookie(&after),
        None,
        "renewed once per update_age"
    );

    server.clock.advance(TimeDelta::days(31));
    let expired = client
        .get(server.url("/auth/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expired.status(),
        StatusCode::UNAUTHORIZED,
        "an expired session is not accepted"
    );
}

async fn sign_out_everywhere_ends_other_browsers(db: &TestDb) {
    let server = start(db).await;
    let (laptop, phone) = (browser(), browser());
    server.sign_in(&laptop, "ada@example.com").await;
    server.sign_in(&phone, "ada@example.com").await;
    let other = browser();
    server.sign_in(&other, "bob@example.com").await;

    let listed = json_of(laptop.get(server.url("/me/sessions")).send().await.unwrap()).await;
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 2);

    let ended = laptop
        .post(server.url("/auth/signout/everywhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::OK);
    assert_eq!(json_of(ended).await["ended"], 2);
    assert_eq!(
        phone
            .get(server.url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        laptop
            .get(server.url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        other
            .get(server.url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "bob stays in"
    );
}

async fn sessions_and_accounts_are_mine_only(db: &TestDb) {
    let server = start(db).await;
    let (ada, ada_phone, bob) = (browser(), browser(), browser());
    server.sign_in(&ada, "ada@example.com").await;
    server.sign_in(&ada_phone, "ada@example.com").await;
    server.sign_in(&bob, "bob@example.com").await;

    // Sessions are listed without secrets, and one can be revoked.
    let sessions = json_of(ada.get(server.url("/me/sessions")).send().await.unwrap()).await;
    let raw = sessions.to_string();
    assert!(!raw.contains("token"), "no token fields: {raw}");
    let phone_id = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .clone();
    let by_bob = bob
        .delete(server.url(&format!("/me/sessions/{phone_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_bob.status(),
        StatusCode::NOT_FOUND,
        "bob cannot revoke ada's session"
    );
    let revoked = ada
        .delete(server.url(&format!("/me/sessions/{phone_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ada_phone
            .get(server.url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Accounts: link, list without tokens, unlink; never someone else's.
    let profile = json!({
        "provider_type": "oauth", "provider_id": "github", "provider_account_id": "583231",
        "access_token": "gho_secret_value", "refresh_token": "ghr_secret_value"
    });
    let linked = ada
        .post(server.url("/me/accounts"))
        .json(&profile)
        .send()
        .await
        .unwrap();
    assert_eq!(linked.status(), StatusCode::CREATED);
    let listed = ada
        .get(server.url("/me/accounts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains("583231") && !listed.contains("secret_value"),
        "{listed}"
    );
    let stolen = bob
        .delete(server.url("/me/accounts/github/583231"))
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), StatusCode::NOT_FOUND);
    let unlinked = ada
        .delete(server.url("/me/accounts/github/583231"))
        .send()
        .await
        .unwrap();
    assert_eq!(unlinked.status(), StatusCode::NO_CONTENT);
    let accounts = json_of(ada.get(server.url("/me/accounts")).send().await.unwrap()).await;
    assert_eq!(accounts["accounts"], json!([]));

    // Deleting my account ends my sessions and leaves bob alone.
    assert_eq!(
        ada.delete(server.url("/me")).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        ada.get(server.url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        bob.get(server.url("/auth/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

async fn errors_have_the_right_status(db: &TestDb) {
    let server = start(db).await;
    let anonymous = browser();

    // 400 names the bad fields.
    let bad = anonymous
        .post(server.url("/auth/email"))
        .json(&json!({ "email": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body = json_of(bad).await;
    assert_eq!(body["error"], "invalid_input");
    assert_eq!(body["fields"], json!({ "identifier": ["email"] }));

    // 401 without a session, and with a made-up cookie.
    for path in ["/auth/session", "/me/sessions", "/me/accounts"] {
        assert_eq!(
            anonymous
                .get(server.url(path))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let forged = Client::new()
        .get(server.url("/auth/session"))
        .header("cookie", format!("{SESSION_COOKIE}={}", "f".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // 404 and 409.
    let ada = browser();
    server.sign_in(&ada, "ada@example.com").await;
    assert_eq!(
        ada.delete(server.url("/me/sessions/999999"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let profile =
        json!({ "provider_type": "oauth", "provider_id": "github", "provider_account_id": "1" });
    assert_eq!(
        ada.post(server.url("/me/accounts"))
            .json(&profile)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    let twice = ada
        .post(server.url("/me/accounts"))
        .json(&profile)
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    assert_eq!(json_of(twice).await["error"], "conflict");

    // 500 says nothing about the cause.
    db.conn
        .execute_unprepared("DROP TABLE verification_requests")
        .await
        .unwrap();
    let broken = anonymous
        .post(server.url("/auth/email"))
        .json(&json!({ "email": "ada@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        json_of(broken).await,
        json!({ "error": "internal", "message": "internal error" })
    );
}
