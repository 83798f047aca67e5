//! The sign-in link in a real browser (Debian's Chromium, headless, driven by
//! `tests/interop/browser.mjs` with playwright-core), against the example
//! server with its settings, on SQLite: a "mail scanner" fetches the link
//! three times and asks for its head; then the person opens it, clicks the
//! button and lands signed in. The link then works no more, and of two links
//! for one address only the newer opens.
//!
//! Needs `npm ci --prefix tests/interop` and `/usr/bin/chromium` (CI installs
//! both); without them the test is skipped with a note, or fails when `CI`
//! is set. A browser that cannot start fails the test.

use authstore_examples::SESSION_COOKIE;
use authstore_tests::interop::{self, NextAuth};
use authstore_tests::{Backend, TestDb};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Example;

mod support;

fn chromium_present() -> bool {
    let present = std::path::Path::new("/usr/bin/chromium").exists();
    if !present {
        let why = "Chromium is not installed: `apt-get install chromium chromium-driver`";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
    }
    present
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_link_still_signs_in_in_a_real_browser() {
    if !interop::installed() || !chromium_present() {
        return;
    }
    let db = TestDb::create(Backend::Sqlite, "browser").await.unwrap();
    let server = Example::start(&db, "browser-secret").await;
    let http = reqwest::Client::new();
    let send_link = async |email: &str| {
        let sent = server.request_link(&http, email).await;
        assert_eq!(sent.status(), StatusCode::ACCEPTED);
        server.last_link()
    };

    let ada = send_link("ada@example.com").await;
    // The scanner: three GETs and a HEAD, as Safe Links and the like do.
    for _ in 0..3 {
        assert_eq!(
            http.get(&ada).send().await.unwrap().status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        http.head(&ada).send().await.unwrap().status(),
        StatusCode::OK
    );
    let bob_older = send_link("bob@example.com").await;
    let bob_newer = send_link("bob@example.com").await;

    let browser = NextAuth::new("browser.mjs", "");
    let out = browser.run(json!([
        { "op": "goto", "args": [ada] },
        { "op": "text", "args": ["h1"] },
        { "op": "click", "args": ["#confirm"] },
        { "op": "text", "args": ["#signed-in"] },
        { "op": "cookies" },
        { "op": "goto", "args": [ada] },
        { "op": "text", "args": ["h1"] },
        { "op": "goto", "args": [bob_older] },
        { "op": "goto", "args": [bob_newer] },
        { "op": "click", "args": ["#confirm"] },
        { "op": "text", "args": ["#signed-in"] },
    ]));
    assert_eq!(out[0]["status"], 200, "the scanned link still opens");
    assert_eq!(out[1], "Sign in as ada@example.com?");
    assert_eq!(out[2]["url"], server.url("/signed-in"));
    assert_eq!(out[2]["status"], 200);
    assert_eq!(out[3], "Signed in as ada@example.com");
    let cookies: Vec<&Value> = out[4].as_array().unwrap().iter().collect();
    assert!(cookies.contains(&&json!(SESSION_COOKIE)), "{cookies:?}");
    assert_eq!(out[5]["status"], 410, "used once only");
    assert_eq!(out[6], "This sign-in link no longer works");
    assert_eq!(
        out[7]["status"], 410,
        "the older of bob's links is superseded"
    );
    assert_eq!(out[8]["status"], 200);
    assert_eq!(out[10], "Signed in as bob@example.com");
    assert_eq!(db.count_rows("sessions").await, 2);
    assert_eq!(db.count_rows("users").await, 2);
    db.destroy().await;
}
