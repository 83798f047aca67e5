//! The example's HTTP rules that hold on every profile, through the one
//! guard every router passes (`authstore_examples::guard`) and the server's
//! own limits: cross-site requests refused before they act, bodies over the
//! limit refused on every router, sign-out expiring the cookie, password
//! guessing answered with 429, links and sign-ups limited per client and
//! for everyone, taken addresses answered without detail, and slow clients
//! disconnected.

mod support;

use std::time::{Duration, Instant};

use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store};
use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore::{AuthStore, Config, Profile};
use authstore_examples::limits::{Limits, RequestLimit};
use authstore_examples::lucia::{LUCIA_COOKIE, LuciaState, lucia_app};
use authstore_examples::lucia_v1::lucia_v1_app;
use authstore_examples::{AppState, Outbox, SESSION_COOKIE, Timeouts, app, link_policy};
use authstore_migration::ProfileMigrations;
use authstore_tests::{Backend, TestDb};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::num::NonZeroU32;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn n(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap()
}

/// The example server for `profile` on a new SQLite database, with
/// `limits` and `timeouts`; its base URL, and the database.
async fn start(profile: Profile, limits: Limits, timeouts: Timeouts) -> (String, TestDb) {
    let db = TestDb::create(Backend::Sqlite, "example_hardening")
        .await
        .unwrap();
    profile.up(&db.conn).await.unwrap();
    let conn = db.conn.clone();
    let base = support::serve_example_with(timeouts, move |base| match profile {
        Profile::LuciaV1 => {
            let lucia = LuciaV1Store::new(conn, LuciaV1Config::default());
            lucia_v1_app(LuciaState::new(lucia, base, limits).unwrap())
        }
        Profile::LuciaV3 => {
            let lucia = LuciaStore::new(conn, LuciaConfig::default());
            lucia_app(LuciaState::new(lucia, base, limits).unwrap())
        }
        next_auth => {
            let config = link_policy(Config::builder("hardening secret"))
                .profile(next_auth)
                .build()
                .unwrap();
            let store = AuthStore::new(conn, config);
            app(AppState::new(store, base, Some(Outbox::default()), limits).unwrap())
        }
    })
    .await;
    (base, db)
}

/// Every profile's state-changing endpoints.
fn state_changing(profile: Profile) -> Vec<(&'static str, &'static str)> {
    let lucia = [
        ("POST", "/auth/signup"),
        ("POST", "/auth/signout"),
        ("POST", "/auth/signout/everywhere"),
        ("DELETE", "/me"),
    ];
    match profile {
        Profile::LuciaV3 => lucia.to_vec(),
        Profile::LuciaV1 => [lucia.as_slice(), &[("POST", "/auth/signin")]].concat(),
        _ => vec![
            ("POST", "/auth/email"),
            ("POST", "/auth/email/callback"),
            ("POST", "/auth/email/confirm"),
            ("POST", "/auth/email/new"),
            ("POST", "/auth/signout"),
            ("POST", "/auth/signout/everywhere"),
            ("DELETE", "/me"),
            ("DELETE", "/me/sessions/1"),
            ("POST", "/me/accounts"),
            ("DELETE", "/me/accounts/github/1"),
        ],
    }
}

/// Rows in the profile's tables that a request could have written.
async fn written(db: &TestDb, profile: Profile) -> i64 {
    let tables: &[&str] = match profile {
        Profile::LuciaV1 => &["auth_user", "auth_key", "auth_session"],
        Profile::LuciaV3 => &["auth_user", "user_session"],
        _ => &["users", "sessions", "verification_requests"],
    };
    let mut total = 0;
    for table in tables {
        total += db.count_rows(table).await;
    }
    total
}

/// An auto-submitting form on another site (login CSRF): refused on every
/// state-changing endpoint of every profile, whether the browser says so in
/// `Sec-Fetch-Site` or only in `Origin`, with nothing written and no
/// cookie set. From this site, or from no browser at all, it works.
#[tokio::test]
async fn cross_site_requests_are_refused_on_every_profile() {
    for profile in [Profile::NextAuthV3, Profile::LuciaV3, Profile::LuciaV1] {
        let (base, db) = start(profile, Limits::default(), Timeouts::default()).await;
        let client = Client::new();
        let forged = [
            (Some("cross-site"), Some("https://evil.example")),
            (Some("same-site"), Some("https://evil.example")),
            (None, Some("https://evil.example")),
            (None, Some("null")),
        ];
        for (method, path) in state_changing(profile) {
            for (site, origin) in forged {
                let mut request = client
                    .request(method.parse().unwrap(), format!("{base}{path}"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("email=victim%40example.com&password=attacker");
                if let Some(site) = site {
                    request = request.header("sec-fetch-site", site);
                }
                if let Some(origin) = origin {
                    request = request.header("origin", origin);
                }
                let response = request.send().await.unwrap();
                assert_eq!(
                    response.status(),
                    StatusCode::FORBIDDEN,
                    "{profile:?} {method} {path} {site:?} {origin:?}"
                );
                assert!(response.headers().get("set-cookie").is_none());
            }
        }
        assert_eq!(
            written(&db, profile).await,
            0,
            "{profile:?}: nothing written"
        );
        db.destroy().await;
    }
    // The same sign-up from the site itself, and from a client that is no
    // browser, goes through.
    let (base, db) = start(Profile::LuciaV3, Limits::default(), Timeouts::default()).await;
    let client = Client::new();
    let same_site = client
        .post(format!("{base}/auth/signup"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &base)
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), StatusCode::CREATED);
    let no_browser = client
        .post(format!("{base}/auth/signup"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_browser.status(), StatusCode::CREATED);
    db.destroy().await;
}

/// A 1.8 MB body is refused with 413 on every profile's router, before any
/// password work.
#[tokio::test]
async fn every_router_has_the_body_limit() {
    let huge = "x".repeat(1_800_000);
    for (profile, path) in [
        (Profile::NextAuthV3, "/auth/email"),
        (Profile::LuciaV3, "/auth/signup"),
        (Profile::LuciaV1, "/auth/signup"),
        (Profile::LuciaV1, "/auth/signin"),
    ] {
        let (base, db) = start(profile, Limits::default(), Timeouts::default()).await;
        let body = json!({ "email": "ada@example.com", "password": huge });
        let started = Instant::now();
        let response = Client::new()
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{profile:?} {path}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(written(&db, profile).await, 0);
        db.destroy().await;
    }
}

/// The removal cookie a sign-out sends: empty, `Max-Age=0`, and an
/// `Expires` in the past, so the browser drops it instead of keeping an
/// empty cookie.
fn assert_expires_cookie(response: &Response, name: &str) {
    let removal = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"));
    assert!(removal.starts_with(&format!("{name}=;")), "{removal}");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert!(removal.contains("Path=/"), "{removal}");
    let expires = removal
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Expires="))
        .expect("an Expires attribute");
    let expires = chrono::DateTime::parse_from_rfc2822(&expires.replace("GMT", "+0000")).unwrap();
    assert!(expires < chrono::Utc::now(), "{removal}");
}

#[tokio::test]
async fn sign_out_expires_the_cookie_on_every_profile() {
    let browser = || Client::builder().cookie_store(true).build().unwrap();
    // Lucia v3 and v1: sign up, then sign out.
    for (profile, body) in [
        (Profile::LuciaV3, json!({})),
        (
            Profile::LuciaV1,
            json!({ "email": "ada@example.com", "password": "correct horse" }),
        ),
    ] {
        let (base, db) = start(profile, Limits::default(), Timeouts::default()).await;
        let person = browser();
        let up = person
            .post(format!("{base}/auth/signup"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(up.status(), StatusCode::CREATED);
        let out = person
            .post(format!("{base}/auth/signout"))
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        assert_expires_cookie(&out, LUCIA_COOKIE);
        db.destroy().await;
    }
    // next-auth: a link, its callback, then sign out.
    let db = TestDb::create(Backend::Sqlite, "example_signout")
        .await
        .unwrap();
    let example = support::Example::start(&db, "signout secret").await;
    let person = browser();
    assert_eq!(
        example
            .request_link(&person, "ada@example.com")
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    let link = url::Url::parse(&example.last_link()).unwrap();
    let query: std::collections::HashMap<_, _> = link.query_pairs().into_owned().collect();
    let callback = person
        .post(example.url("/auth/email/callback"))
        .json(&json!({ "email": query["email"], "token": query["token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(callback.status(), StatusCode::OK);
    let out = person
        .post(example.url("/auth/signout"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_expires_cookie(&out, SESSION_COOKIE);
    db.destroy().await;
}

/// Password guessing over HTTP (lucia-v1): ten wrong passwords for an
/// address, then 429 with `Retry-After`, even for the right password; an
/// address without an account gets exactly the same answers.
#[tokio::test]
async fn password_guessing_is_answered_with_429() {
    let (base, db) = start(Profile::LuciaV1, Limits::default(), Timeouts::default()).await;
    let client = Client::new();
    let sign_in = |email: &str, password: &str| {
        client
            .post(format!("{base}/auth/signin"))
            .json(&json!({ "email": email, "password": password }))
            .send()
    };
    let up = client
        .post(format!("{base}/auth/signup"))
        .json(&json!({ "email": "ada@example.com", "password": "correct horse" }))
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), StatusCode::CREATED);
    for address in ["ada@example.com", "nobody@example.com"] {
        for guess in 0..10 {
            let refused = sign_in(address, &format!("guess {guess}")).await.unwrap();
            assert_eq!(
                refused.status(),
                StatusCode::UNAUTHORIZED,
                "{address} {guess}"
            );
        }
        let limited = sign_in(address, "correct horse").await.unwrap();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS, "{address}");
        let wait: u64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=901).contains(&wait), "{wait}");
        let body: Value = limited.json().await.unwrap();
        assert_eq!(body["error"], "too_many_requests");
    }
    db.destroy().await;
}

/// Links per client address and for everyone: a client cannot send links
/// to many addresses, nor everyone together past the global limit.
#[tokio::test]
async fn links_are_limited_per_client_and_for_everyone() {
    let client = Client::new();
    let ask = |base: String, email: String| {
        let client = client.clone();
        async move {
            client
                .post(format!("{base}/auth/email"))
                .json(&json!({ "email": email }))
                .send()
                .await
                .unwrap()
        }
    };
    for (per_client, everyone) in [(3, 1000), (1000, 3)] {
        let limits = Limits {
            links: RequestLimit::new(n(per_client), n(everyone)),
            ..Limits::default()
        };
        let (base, db) = start(Profile::NextAuthV3, limits, Timeouts::default()).await;
        for plus in 1..=3 {
            let sent = ask(base.clone(), format!("victim+{plus}@example.com")).await;
            assert_eq!(sent.status(), StatusCode::ACCEPTED);
        }
        let refused = ask(base.clone(), "victim+4@example.com".into()).await;
        assert_eq!(
            refused.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{per_client}/{everyone}"
        );
        assert!(refused.headers().contains_key("retry-after"));
        assert_eq!(db.count_rows("verification_requests").await, 3);
        db.destroy().await;
    }
}

/// A taken address at sign-up gets one generic 409, naming no key or
/// provider; sign-ups are limited per client too.
#[tokio::test]
async fn sign_up_says_no_more_than_it_must() {
    let limits = Limits {
        sign_ups: RequestLimit::new(n(2), n(1000)),
        ..Limits::default()
    };
    let (base, db) = start(Profile::LuciaV1, limits, Timeouts::default()).await;
    let client = Client::new();
    let sign_up = || {
        client
            .post(format!("{base}/auth/signup"))
            .json(&json!({ "email": "ada@example.com", "password": "correct horse" }))
            .send()
    };
    assert_eq!(sign_up().await.unwrap().status(), StatusCode::CREATED);
    let taken = sign_up().await.unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let body: Value = taken.json().await.unwrap();
    assert_eq!(body["message"], "this address cannot be used to sign up");
    assert_eq!(
        sign_up().await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    db.destroy().await;
}

/// Reads until the server closes the connection; how long that took.
async fn closed_within(stream: &mut tokio::net::TcpStream, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(limit, stream.read(&mut buffer))
            .await
            .expect("the server never closed the connection");
        match read {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

/// A client that sends half a header, one that sends nothing, and one that
/// keeps an idle connection after its response are all disconnected once
/// the header-read timeout passes.
#[tokio::test]
async fn slow_clients_are_disconnected() {
    let timeouts = Timeouts {
        header_read: Duration::from_secs(1),
        body_read: Duration::from_secs(1),
    };
    let (base, db) = start(Profile::LuciaV3, Limits::default(), timeouts).await;
    let address = base.trim_start_matches("http://").to_owned();
    let limit = Duration::from_secs(10);

    let mut half = tokio::net::TcpStream::connect(&address).await.unwrap();
    half.write_all(b"GET /auth/session HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let waited = closed_within(&mut half, limit).await;
    assert!(waited >= Duration::from_millis(900), "{waited:?}");

    let mut silent = tokio::net::TcpStream::connect(&address).await.unwrap();
    closed_within(&mut silent, limit).await;

    let mut idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /auth/session HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 4096];
    let read = idle.read(&mut buffer).await.unwrap();
    assert!(String::from_utf8_lossy(&buffer[..read]).starts_with("HTTP/1.1 401"));
    closed_within(&mut idle, limit).await;
    db.destroy().await;
}
