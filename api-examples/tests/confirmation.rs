//! The sign-in link's confirmation page over HTTP, on each backend, with the
//! example's settings (only the newest link works; 5 links per address per
//! 15 minutes): GETs and a HEAD use nothing; the button's POST signs in once;
//! a newer link ends the older one; pages escape what they show and carry
//! `no-store` and `no-referrer`; a form posted from another site is refused;
//! the sixth link is refused with its retry time. (`browser.rs` does the
//! same flow in a real browser.)

use authstore_examples::SESSION_COOKIE;
use authstore_tests::{TestDb, backend_tests};
use reqwest::header::{CACHE_CONTROL, LOCATION, REFERRER_POLICY};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use support::Example;

mod support;

backend_tests!(a_link_is_used_only_when_the_person_confirms);

/// The button: the link's query string is already the form's body.
async fn confirm(server: &Example, client: &Client, link: &str, origin: &str) -> Response {
    let form = link.split_once('?').unwrap().1.to_owned();
    client
        .post(server.url("/auth/email/confirm"))
        .header("origin", origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap()
}

fn assert_private_page(response: &Response) {
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    assert_eq!(response.headers()[REFERRER_POLICY], "no-referrer");
    let kind = response.headers()["content-type"].to_str().unwrap();
    assert!(kind.starts_with("text/html"), "{kind}");
}

async fn a_link_is_used_only_when_the_person_confirms(db: &TestDb) {
    let server = Example::start(db, "confirm-secret").await;
    let person = Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let scanner = Client::new();

    // A scanner fetches the link three times and asks for its head: it sees
    // the question, and nothing is used or set.
    server.request_link(&person, "ada@example.com").await;
    let link = server.last_link();
    assert!(
        link.contains("/auth/email/confirm?email=ada%40example.com&token="),
        "{link}"
    );
    for _ in 0..3 {
        let page = scanner.get(&link).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert_private_page(&page);
        assert!(page.headers().get("set-cookie").is_none());
        let html = page.text().await.unwrap();
        assert!(html.contains("Sign in as ada@example.com?"), "{html}");
    }
    let head = scanner.head(&link).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(db.count_rows("verification_requests").await, 1);
    assert_eq!(db.count_rows("sessions").await, 0);

    // A form posted from another site is refused, and uses nothing: by its
    // Origin, or by Sec-Fetch-Site (browsers send `Origin: null` under the
    // page's no-referrer policy, so a null Origin alone is refused too).
    for (origin, site) in [
        ("http://evil.example", None),
        ("null", None),
        ("null", Some("cross-site")),
        (server.base.as_str(), Some("same-site")),
    ] {
        let mut forged = person
            .post(server.url("/auth/email/confirm"))
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(link.split_once('?').unwrap().1.to_owned());
        if let Some(site) = site {
            forged = forged.header("sec-fetch-site", site);
        }
        let refused = forged.send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{origin} {site:?}");
    }
    assert_eq!(db.count_rows("sessions").await, 0);
    assert_eq!(db.count_rows("verification_requests").await, 1);

    // The person's click: signed in, redirected to a signed-in page.
    let confirmed = confirm(&server, &person, &link, &server.base).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(confirmed.headers()[LOCATION], "/signed-in");
    assert_eq!(confirmed.headers()[REFERRER_POLICY], "no-referrer");
    let cookie = confirmed.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with(&format!("{SESSION_COOKIE}=")),
        "{cookie}"
    );
    let welcome = person.get(server.url("/signed-in")).send().await.unwrap();
    assert_private_page(&welcome);
    assert!(
        welcome
            .text()
            .await
            .unwrap()
            .contains("Signed in as ada@example.com")
    );

    // Once only: the link is gone, for the button and for the page.
    let again = confirm(&server, &scanner, &link, &server.base).await;
    assert_eq!(again.status(), StatusCode::GONE);
    let gone = scanner.get(&link).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::GONE);
    assert_private_page(&gone);
    let html = gone.text().await.unwrap();
    assert!(html.contains("no longer works") && html.contains("action=\"/auth/email/new\""));

    // A newer link ends the older one.
    server.request_link(&person, "bob@example.com").await;
    let older = server.last_link();
    server.request_link(&person, "bob@example.com").await;
    let newer = server.last_link();
    assert_eq!(
        scanner.get(&older).send().await.unwrap().status(),
        StatusCode::GONE
    );
    assert_eq!(
        scanner.get(&newer).send().await.unwrap().status(),
        StatusCode::OK
    );

    // Whatever the query holds is shown escaped.
    let hostile =
        server.url("/auth/email/confirm?email=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&token=x");
    let html = scanner
        .get(hostile)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&quot;&gt;&lt;script&gt;"), "{html}");

    // Five links per address per 15 minutes: bob has had two, so three more;
    // the sixth is refused with its retry time, over JSON and on the page.
    for _ in 0..3 {
        let sent = server.request_link(&person, "bob@example.com").await;
        assert_eq!(sent.status(), StatusCode::ACCEPTED);
    }
    let refused = server.request_link(&person, "bob@example.com").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // 15 minutes, and up to a second more: the retry time is rounded up to
    // a whole second, so it does not tell when the address last asked.
    assert!((1..=901).contains(&wait), "{wait}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "too_many_requests");
    assert!(body["retry_at"].is_string());
    let page = person
        .post(server.url("/auth/email/new"))
        .header("origin", &server.base)
        .form(&[("email", "bob@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_private_page(&page);
    let sent_to_bob = server
        .outbox
        .all()
        .iter()
        .filter(|mail| mail["to"] == "bob@example.com")
        .count();
    assert_eq!(sent_to_bob, 5);
    // Another address is not limited by bob's links.
    let page = person
        .post(server.url("/auth/email/new"))
        .header("origin", &server.base)
        .form(&[("email", "ada@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::ACCEPTED);
}
