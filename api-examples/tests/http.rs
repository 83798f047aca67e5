//! End to end: the example server on an ephemeral port, driven over HTTP by
//! reqwest with a cookie jar, on each backend. The store's clock is the
//! test's, so renewal and expiry are exercised without sleeping.

mod support;

use authstore::{AuthStore, Config};
use authstore_examples::limits::Limits;
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
    let outbox = Outbox::default();
    let sent_to = outbox.clone();
    let base = support::serve_example(move |base| {
        app(AppState::new(store, base, Some(sent_to), Limits::default()).unwrap())
    })
    .await;
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

    /// The full email sign-in: request a link, use it.
    async fn sign_in(&self, client: &Client, email: &str) -> Response {
        let link = self.request_link(client, email).await;
        let response = use_link(client, &link).await;
        assert_eq!(response.status(), StatusCode::OK);
        response
    }
}

/// Uses a link the way an API client does: its email and token, posted as
/// JSON to `/auth/email/callback` (people confirm on the page instead:
/// `tests/confirmation.rs`).
async fn use_link(client: &Client, link: &str) -> Response {
    let url = reqwest::Url::parse(link).unwrap();
    let field = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .unwrap()
    };
    let callback = url.join("/auth/email/callback").unwrap();
    let body = json!({ "email": field("email"), "token": field("token") });
    client.post(callback).json(&body).send().await.unwrap()
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
    a_look_alike_address_signs_into_its_own_account_only,
    bad_input_is_a_json_400_and_writes_nothing,
    every_error_is_json,
    eight_links_opened_at_once_all_sign_in,
    an_https_base_url_means_next_auths_secure_cookie,
);

async fn email_sign_in_sets_a_next_auth_cookie(db: &TestDb) {
    let server = start(db).await;
    let client = browser();

    let link = server.request_link(&client, " Ada@Example.com ").await;
    assert!(
        link.starts_with(&server.url("/auth/email/confirm?email=ada%40example.com&token=")),
        "{link}"
    );
    let response = use_link(&client, &link).await;
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
    let reused = use_link(&client, &link).await;
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

/// Counts a table's rows, to prove that a refused request wrote nothing.
async fn rows(db: &TestDb, table: &str) -> i64 {
    db.count_rows(table).await
}

/// Asserts the documented error shape and returns the body.
async fn json_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers().get("content-type").cloned();
    assert_eq!(
        content_type.as_ref().and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "{status}"
    );
    let body = json_of(response).await;
    assert_eq!(body["error"], code, "{body}");
    assert!(body["message"].is_string(), "{body}");
    body
}

/// Finding 1 over HTTP: with alice@example.com signed up, a link requested
/// for alice@exämple.com used to sign into Alice's account on MySQL.
async fn a_look_alike_address_signs_into_its_own_account_only(db: &TestDb) {
    let server = start(db).await;
    let alice = browser();
    server.sign_in(&alice, "alice@example.com").await;
    let mallory = browser();
    let response = server.sign_in(&mallory, "alice@exämple.com").await;
    assert_eq!(
        json_of(response).await["user"]["email"],
        "alice@exämple.com"
    );
    let me = json_of(
        mallory
            .get(server.url("/auth/session"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["user"]["email"], "alice@exämple.com");
    assert_eq!(rows(db, "users").await, 2);
}

/// Findings 2, 5 and 9 over HTTP: each bad input is a 400 naming the field
/// (never a 500), and no row is written.
async fn bad_input_is_a_json_400_and_writes_nothing(db: &TestDb) {
    let server = start(db).await;
    let client = browser();
    for email in [
        "nul\u{0}@example.com",
        "victim@example.com\r\nBcc: attacker@evil.com",
        "not an email at all",
        "josé@exämple.com",
        "ada@example.com\u{feff}",
        "' OR 1=1 --",
    ] {
        let response = client
            .post(server.url("/auth/email"))
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        let body = json_error(response, StatusCode::BAD_REQUEST, "invalid_input").await;
        assert!(body["fields"]["identifier"].is_array(), "{email:?}: {body}");
    }
    assert_eq!(rows(db, "verification_requests").await, 0);
    assert!(server.outbox.all().is_empty(), "nothing was sent");

    // A link with NUL in its email or token is just an invalid link.
    for (email, token) in [("nul\0@example.com", "abc"), ("ada@example.com", "a\0b")] {
        let response = client
            .post(server.url("/auth/email/callback"))
            .json(&json!({ "email": email, "token": token }))
            .send()
            .await
            .unwrap();
        json_error(response, StatusCode::UNAUTHORIZED, "invalid_link").await;
    }

    server.sign_in(&client, "ada@example.com").await;
    let profile = |provider_id: &str, access_token: &str| {
        json!({
            "provider_type": "oauth",
            "provider_id": provider_id,
            "provider_account_id": "1",
            "access_token": access_token,
        })
    };
    for (body, field) in [
        (profile("git\u{0}hub", "t"), "provider_id"),
        (profile("github", "tok\u{0}en"), "access_token"),
        (
            profile("github", &"t".repeat(16 * 1024 + 1)),
            "access_token",
        ),
    ] {
        let response = client
            .post(server.url("/me/accounts"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let body = json_error(response, StatusCode::BAD_REQUEST, "invalid_input").await;
        assert!(body["fields"][field].is_array(), "{body}");
    }
    // A million-character token does not even fit the API's body limit.
    // The server answers 413 without reading the body and drops the
    // connection; `Connection: close` keeps the client from reusing it.
    let huge = client
        .post(server.url("/me/accounts"))
        .header("connection", "close")
        .json(&profile("github", &"t".repeat(1_000_000)))
        .send()
        .await;
    if let Ok(response) = huge {
        json_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    }
    assert_eq!(rows(db, "accounts").await, 0);
    let mut expiring = profile("github", "t");
    expiring["access_token_expires"] = json!("2040-01-01T00:00:00Z");
    let response = client
        .post(server.url("/me/accounts"))
        .json(&expiring)
        .send()
        .await
        .unwrap();
    if db.backend == authstore_tests::Backend::MySql {
        let body = json_error(response, StatusCode::BAD_REQUEST, "invalid_input").await;
        assert_eq!(
            body["fields"]["access_token_expires"],
            json!(["time_out_of_range"])
        );
    } else {
        assert_eq!(response.status(), StatusCode::CREATED);
    }
}

/// Finding 7: every error the server gives is JSON in the documented shape,
/// including axum's own rejections and fallbacks.
async fn every_error_is_json(db: &TestDb) {
    let server = start(db).await;
    let client = browser();
    let email = server.url("/auth/email");
    let post = |body: &'static str, content_type: &'static str| {
        client
            .post(email.clone())
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let malformed = post("{\"email\":", "application/json").await.unwrap();
    json_error(malformed, StatusCode::BAD_REQUEST, "bad_request").await;
    let not_json = post("email=ada@example.com", "application/x-www-form-urlencoded")
        .await
        .unwrap();
    json_error(
        not_json,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let mistyped = post("{\"email\":42}", "application/json").await.unwrap();
    json_error(
        mistyped,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable_entity",
    )
    .await;
    let nul = post("{\"email\":\"\\u0000\"", "application/json")
        .await
        .unwrap();
    let body = json_error(nul, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(!body["message"].as_str().unwrap().contains('\0'));

    // A 10 MB body: the limit is checked against Content-Length before the
    // body is read. (Sent over a raw socket without the body itself: a client
    // still writing when the server answers and closes may see a broken pipe
    // instead of the answer.)
    let (status, headers, body) =
        raw_post_declaring(&server, "/auth/email", 10 * 1024 * 1024).await;
    assert_eq!(status, 413, "{headers}");
    assert!(
        headers
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{headers}"
    );
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "payload_too_large");

    let missing_body = client
        .post(server.url("/auth/email/callback"))
        .send()
        .await
        .unwrap();
    json_error(
        missing_body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let nowhere = client
        .get(server.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    json_error(nowhere, StatusCode::NOT_FOUND, "not_found").await;
    let wrong_method = client.get(email.clone()).send().await.unwrap();
    json_error(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;

    server.sign_in(&client, "ada@example.com").await;
    let overflow = client
        .delete(server.url("/me/sessions/99999999999"))
        .send()
        .await
        .unwrap();
    json_error(overflow, StatusCode::BAD_REQUEST, "bad_request").await;
    let not_a_number = client
        .delete(server.url("/me/sessions/abc"))
        .send()
        .await
        .unwrap();
    json_error(not_a_number, StatusCode::BAD_REQUEST, "bad_request").await;
}

/// Finding 11 over HTTP: eight links for one new address, opened at once,
/// used to answer some 409s and burn their links.
async fn eight_links_opened_at_once_all_sign_in(db: &TestDb) {
    let server = start(db).await;
    let client = browser();
    let mut links = Vec::new();
    for _ in 0..8 {
        links.push(server.request_link(&client, "new@example.com").await);
    }
    let mut opened = tokio::task::JoinSet::new();
    for link in links {
        let browser = browser();
        opened.spawn(async move { use_link(&browser, &link).await.status() });
    }
    let statuses = opened.join_all().await;
    assert_eq!(statuses, vec![StatusCode::OK; 8]);
    assert_eq!(rows(db, "users").await, 1);
    assert_eq!(rows(db, "sessions").await, 8);
}

/// Sends only the head of a JSON POST that declares a `length`-byte body,
/// and returns the status, the response headers and the body.
async fn raw_post_declaring(server: &Server, path: &str, length: usize) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
         content-length: {length}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (headers, body) = response.split_once("\r\n\r\n").unwrap();
    let status = headers.split(' ').nth(1).unwrap().parse().unwrap();
    (status, headers.to_owned(), body.to_owned())
}

/// `AUTHSTORE_BASE_URL` decides the cookie, as `NEXTAUTH_URL` does for
/// next-auth: behind an https public URL the session travels in
/// `__Secure-next-auth.session-token` (Secure), and the unprefixed name is
/// not read.
async fn an_https_base_url_means_next_auths_secure_cookie(db: &TestDb) {
    Migrator::up(&db.conn, None).await.unwrap();
    let store = AuthStore::new(db.conn.clone(), Config::new("e2e-secret").unwrap());
    let outbox = Outbox::default();
    let sent_to = outbox.clone();
    let public = "https://auth.example.com".to_owned();
    let base = support::serve_example(move |_| {
        app(AppState::new(store, public, Some(sent_to), Limits::default()).unwrap())
    })
    .await;
    let client = Client::new();
    let asked = client
        .post(format!("{base}/auth/email"))
        .json(&json!({ "email": "ada@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let link = outbox.all().last().unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = reqwest::Url::parse(&link).unwrap();
    assert_eq!(
        link.host_str(),
        Some("auth.example.com"),
        "links point at the public URL"
    );
    let field = |name: &str| {
        link.query_pairs()
            .find(|(k, _)| k == name)
            .unwrap()
            .1
            .into_owned()
    };
    let signed_in = client
        .post(format!("{base}/auth/email/callback"))
        .json(&json!({ "email": field("email"), "token": field("token") }))
        .send()
        .await
        .unwrap();
    let secure = "__Secure-next-auth.session-token";
    let set = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{secure}=")))
        .expect("the __Secure- cookie is set")
        .to_owned();
    assert!(set.contains("Secure") && set.contains("HttpOnly"), "{set}");
    let token = set[secure.len() + 1..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let session = |name: &str| {
        client
            .get(format!("{base}/auth/session"))
            .header("cookie", format!("{name}={token}"))
            .send()
    };
    assert_eq!(session(secure).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        session(SESSION_COOKIE).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "over https next-auth reads only the __Secure- name"
    );
}
