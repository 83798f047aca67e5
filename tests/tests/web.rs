//! The web layer (`authstore::web`) on every profile and backend: which
//! cookie it reads over http and over https, the cookie it writes back on a
//! renewal and on sign-out, bearer tokens where the JS system takes them,
//! and the extractors' answers.

use authstore::better_auth::cookie::{signed_session_cookie, token_from_set_cookie};
use authstore::better_auth::{self, BetterAuthConfig, BetterAuthStore};
use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store};
use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore::web::{SessionStore, SignedIn, WebSessions};
use authstore::{AuthStore, ConfigError, Error, NewUser, Profile, Secret};
use authstore_migration::ProfileMigrations;
use authstore_tests::{TestClock, TestDb, backend_tests, profile_tests};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use chrono::TimeDelta;
use sea_orm::ConnectionTrait;

#[path = "support/oneshot.rs"]
mod oneshot;
use oneshot::send;

profile_tests!(next_auth_cookies_over_http_and_https);
backend_tests!(
    lucia_v3_cookies_and_bearer,
    lucia_v1_cookies,
    better_auth_cookies_are_signed,
    the_carry_over_bridge_swaps_the_old_cookie,
);

/// What a test needs of each profile: a signed-in token and a way to make
/// the next lookup renew it.
struct Case<S> {
    store: S,
    token: String,
    clock: TestClock,
    /// How far to move the clock so the next lookup renews the session.
    until_renewal: TimeDelta,
}

/// The routes every case runs: who is signed in, an anonymous-friendly page,
/// and sign-out.
fn app<S: SessionStore>(web: WebSessions<S>) -> Router
where
    S::Session: std::fmt::Debug,
{
    let sign_out = {
        let web = web.clone();
        move |signed_in: SignedIn<S::Session>| async move {
            let removal = web.sign_out(&signed_in).await.expect("sign-out");
            (CookieJar::new().add(removal), StatusCode::NO_CONTENT)
        }
    };
    Router::new()
        .route("/me", get(|_: SignedIn<S::Session>| async { "signed in" }))
        .route(
            "/maybe",
            get(|found: Option<SignedIn<S::Session>>| async move {
                if found.is_some() { "someone" } else { "nobody" }
            }),
        )
        .route("/signout", post(sign_out))
        .layer(web.layer())
}

fn cookie(name: &str, value: &str) -> (&'static str, String) {
    ("cookie", format!("{name}={value}"))
}

/// The rule for one profile at one public URL: the named cookie is read,
/// the other name is not, a renewal re-sends the cookie with the JS
/// system's attributes, sign-out expires it and ends the session.
async fn cookie_rule<S: SessionStore>(case: Case<S>, https: bool, read: &str, ignored: &str)
where
    S::Session: std::fmt::Debug,
{
    let url = if https {
        "https://app.example.com"
    } else {
        "http://localhost:3000"
    };
    let web = WebSessions::new(case.store, url).unwrap();
    assert_eq!(web.cookie_name(), read);
    let app = app(web);
    let token = &case.token;

    let me = send(&app, "GET", "/me", &[cookie(read, token)]).await;
    assert_eq!(
        (me.status, me.body.as_str()),
        (StatusCode::OK, "signed in"),
        "{read} is read"
    );
    assert!(
        me.set_cookie.is_empty(),
        "a fresh lookup writes no cookie: {:?}",
        me.set_cookie
    );
    let other = send(&app, "GET", "/me", &[cookie(ignored, token)]).await;
    assert_eq!(
        other.status,
        StatusCode::UNAUTHORIZED,
        "{ignored} is not read at {url}"
    );
    assert!(
        other.body.contains(r#""error":"unauthorized""#),
        "{}",
        other.body
    );
    let maybe = send(&app, "GET", "/maybe", &[cookie(ignored, token)]).await;
    assert_eq!(maybe.body, "nobody");

    // A renewal sends the cookie again, as the JS system writes it.
    case.clock.advance(case.until_renewal);
    let renewed = send(&app, "GET", "/me", &[cookie(read, token)]).await;
    assert_eq!(renewed.status, StatusCode::OK);
    let [set] = renewed.set_cookie.as_slice() else {
        panic!("one cookie re-sent on renewal: {:?}", renewed.set_cookie)
    };
    assert!(set.starts_with(&format!("{read}=")), "{set}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    assert_eq!(
        set.contains("Secure"),
        https,
        "Secure exactly over https: {set}"
    );
    assert!(
        set.contains("Expires=") || set.contains("Max-Age="),
        "{set}"
    );
    let value = set[read.len() + 1..].split(';').next().unwrap().to_owned();

    // A state-changing request from another site never reaches a handler.
    let origin = url.to_owned();
    for foreign in [
        ("sec-fetch-site", "cross-site".to_owned()),
        ("origin", "https://evil.example".to_owned()),
        ("origin", "null".to_owned()),
    ] {
        let what = format!("{foreign:?}");
        let forged = send(&app, "POST", "/signout", &[cookie(read, &value), foreign]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{what}");
        assert!(forged.set_cookie.is_empty());
    }
    let still = send(&app, "GET", "/me", &[cookie(read, &value)]).await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "the forged sign-outs did nothing"
    );

    // Sign-out ends the session and expires the cookie.
    let same_site = ("origin", origin);
    let out = send(&app, "POST", "/signout", &[cookie(read, &value), same_site]).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let [removal] = out.set_cookie.as_slice() else {
        panic!("one removal cookie: {:?}", out.set_cookie)
    };
    assert!(removal.starts_with(&format!("{read}=;")), "{removal}");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    let after = send(&app, "GET", "/me", &[cookie(read, &value)]).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "signed out");
}

async fn next_auth_case(db: &TestDb) -> Case<AuthStore> {
    let clock = TestClock::new();
    let reading = clock.clone();
    let store = AuthStore::new(db.conn.clone(), db.config("secret").build().unwrap())
        .with_clock(move || reading.now());
    let user = store.users().create(NewUser::default()).await.unwrap();
    let session = store.sessions().create(user.id).await.unwrap();
    Case {
        token: session.session_token.expose().to_owned(),
        store,
        clock,
        // Due once a day has passed (update_age), live for 30.
        until_renewal: TimeDelta::days(2),
    }
}

/// next-auth v2 beta, v3 and v4 beta: `next-auth.session-token` over http,
/// `__Secure-next-auth.session-token` (and only that) over https.
async fn next_auth_cookies_over_http_and_https(db: &TestDb) {
    db.migrate().await;
    let (plain, secure) = (
        "next-auth.session-token",
        "__Secure-next-auth.session-token",
    );
    cookie_rule(next_auth_case(db).await, false, plain, secure).await;
    cookie_rule(next_auth_case(db).await, true, secure, plain).await;
    let case = next_auth_case(db).await;
    let token = case.token.clone();
    planted_cookie_rule(case, &token).await;

    // next-auth reads no bearer token.
    let case = next_auth_case(db).await;
    let app = app(WebSessions::new(case.store, "http://localhost").unwrap());
    let bearer = ("authorization", format!("Bearer {}", case.token));
    assert_eq!(
        send(&app, "GET", "/me", &[bearer]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn lucia_v3_case(db: &TestDb) -> Case<LuciaStore> {
    let clock = TestClock::new();
    let reading = clock.clone();
    let store =
        LuciaStore::new(db.conn.clone(), LuciaConfig::default()).with_clock(move || reading.now());
    let user = store.create_user(None).await.unwrap();
    let session = store.create_session(&user.id).await.unwrap();
    Case {
        token: session.id.expose().to_owned(),
        store,
        clock,
        // Fresh again in the second half of its 30 days.
        until_renewal: TimeDelta::days(16),
    }
}

/// Lucia v3: `auth_session` over http and https (Max-Age on renewal), and a
/// bearer token, which is never answered with a cookie.
async fn lucia_v3_cookies_and_bearer(db: &TestDb) {
    Profile::LuciaV3.up(&db.conn).await.unwrap();
    for https in [false, true] {
        cookie_rule(
            lucia_v3_case(db).await,
            https,
            "auth_session",
            "next-auth.session-token",
        )
        .await;
    }
    let case = lucia_v3_case(db).await;
    let token = case.token.clone();
    planted_cookie_rule(case, &token).await;
    let case = lucia_v3_case(db).await;
    let with_bearer = app(WebSessions::new(case.store, "https://app.example.com").unwrap());
    case.clock.advance(TimeDelta::days(16));
    let bearer = ("authorization", format!("Bearer {}", case.token));
    let me = send(&with_bearer, "GET", "/me", &[bearer]).await;
    assert_eq!(me.status, StatusCode::OK, "Lucia v3 reads a bearer token");
    assert!(
        me.set_cookie.is_empty(),
        "no cookie for a bearer token: {:?}",
        me.set_cookie
    );
    let renewal = lucia_v3_case(db).await;
    let app = app(WebSessions::new(renewal.store, "http://localhost").unwrap());
    renewal.clock.advance(TimeDelta::days(16));
    let renewed = send(
        &app,
        "GET",
        "/me",
        &[cookie("auth_session", &renewal.token)],
    )
    .await;
    assert!(
        renewed.set_cookie[0].contains("Max-Age=2592000"),
        "Lucia v3's cookie lives its 30 days from now: {:?}",
        renewed.set_cookie
    );
}

async fn lucia_v1_case(db: &TestDb) -> Case<LuciaV1Store> {
    let clock = TestClock::new();
    let reading = clock.clone();
    let store = LuciaV1Store::new(db.conn.clone(), LuciaV1Config::default())
        .with_clock(move || reading.now());
    let user = store
        .create_user(authstore::lucia_v1::NewUser::default())
        .await
        .unwrap();
    let session = store.create_session(&user.id).await.unwrap();
    Case {
        token: session.id.expose().to_owned(),
        store,
        clock,
        // Idle after its active day: validating replaces it.
        until_renewal: TimeDelta::days(2),
    }
}

/// lucia-auth v1: `auth_session`; an idle session is replaced and the cookie
/// carries the new id.
async fn lucia_v1_cookies(db: &TestDb) {
    Profile::LuciaV1.up(&db.conn).await.unwrap();
    for https in [false, true] {
        cookie_rule(
            lucia_v1_case(db).await,
            https,
            "auth_session",
            "next-auth.session-token",
        )
        .await;
    }
    let case = lucia_v1_case(db).await;
    let token = case.token.clone();
    planted_cookie_rule(case, &token).await;
    let case = lucia_v1_case(db).await;
    let router = app(WebSessions::new(case.store, "http://localhost").unwrap());
    case.clock.advance(TimeDelta::days(2));
    let replaced = send(
        &router,
        "GET",
        "/me",
        &[cookie("auth_session", &case.token)],
    )
    .await;
    let value = replaced.set_cookie[0]["auth_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(
        value, case.token,
        "the idle session's replacement goes in the cookie"
    );
    let again = send(&router, "GET", "/me", &[cookie("auth_session", &value)]).await;
    assert_eq!(again.status, StatusCode::OK);
}

/// A public URL that is not one is refused, and a route outside the layer
/// answers 500, not a misleading 401.
#[tokio::test]
async fn setup_mistakes_are_named() {
    let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
    let store = LuciaStore::new(db, LuciaConfig::default());
    for bad in [
        "app.example.com",
        "ftp://app.example.com",
        "https://",
        "/relative",
    ] {
        assert!(
            matches!(
                WebSessions::new(store.clone(), bad),
                Err(Error::Config(ConfigError::PublicUrl))
            ),
            "{bad}"
        );
    }
    let outside = Router::new().route(
        "/me",
        get(|_: SignedIn<authstore::lucia_v3::ValidSession>| async { "unreachable" }),
    );
    let response = send(&outside, "GET", "/me", &[]).await;
    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR);
}

/// The same on better-auth: `listening()` on its store hears the better-auth
/// app's sign-out (here: plain SQL) through the triggers authstore adds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listening_better_auth_cache_hears_the_apps_sign_out() {
    authstore_tests::run(
        authstore_tests::Backend::Postgres,
        "web_listening_better_auth",
        async |db| {
            let (_, user_id) = better_auth(db).await;
            let config = BetterAuthConfig::default()
                .secret(BETTER_AUTH_SECRET)
                .unwrap()
                .session_cache(100, TimeDelta::minutes(10))
                .unwrap();
            let store = BetterAuthStore::new(db.conn.clone(), config);
            let session = store
                .create_session(&user_id, Default::default())
                .await
                .unwrap();
            let signed =
                signed_session_cookie(&session.token, &Secret::from(BETTER_AUTH_SECRET.to_owned()));
            let web = WebSessions::new(store, "http://localhost")
                .unwrap()
                .listening()
                .unwrap();
            let app = app(web);
            let jar = [cookie("better-auth.session_token", &signed)];
            let me = || send(&app, "GET", "/me", &jar);
            assert_eq!(me().await.status, StatusCode::OK, "now cached");
            db.conn
                .execute_unprepared("DELETE FROM session")
                .await
                .unwrap();
            let started = std::time::Instant::now();
            while me().await.status == StatusCode::OK {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(2),
                    "unheard; the bound is 10 min"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        },
    )
    .await;
}

/// A service on a sibling origin (`api.example.com` beside the app at
/// `app.example.com`) gets `Sec-Fetch-Site: same-site` on the app's own
/// writes: admitted from a trusted origin, refused from every other
/// (another sibling, a look-alike, `null`, none at all), and a trusted
/// origin must be one.
#[tokio::test]
async fn sibling_origins_are_admitted_only_when_trusted() {
    let db = TestDb::create(authstore_tests::Backend::Sqlite, "web_origins")
        .await
        .unwrap();
    Profile::LuciaV3.up(&db.conn).await.unwrap();
    let store = LuciaStore::new(db.conn.clone(), LuciaConfig::default());
    let user = store.create_user(None).await.unwrap();
    let web = WebSessions::new(store.clone(), "https://api.example.com").unwrap();
    for bad in [
        "null",
        "app.example.com",
        "https://app.example.com/path",
        "https://app.example.com?x",
        "ftp://app.example.com",
        "https://user@app.example.com",
    ] {
        assert!(
            matches!(
                web.clone().trusting_origins([bad]),
                Err(Error::Config(ConfigError::TrustedOrigin(named))) if named == bad
            ),
            "{bad}"
        );
    }
    let untrusting = app(web.clone());
    let trusting = app(web
        .trusting_origins(["https://app.example.com/", "https://other.example.com:8443"])
        .unwrap());
    let sign_out = async |app: &Router, origin: Option<&str>| {
        let session = store.create_session(&user.id).await.unwrap();
        let mut headers = vec![
            cookie("auth_session", session.id.expose()),
            ("sec-fetch-site", "same-site".to_owned()),
        ];
        if let Some(origin) = origin {
            headers.push(("origin", origin.to_owned()));
        }
        send(app, "POST", "/signout", &headers).await.status
    };
    let app_origin = Some("https://app.example.com");
    assert_eq!(
        sign_out(&untrusting, app_origin).await,
        StatusCode::FORBIDDEN,
        "not trusted by default"
    );
    assert_eq!(
        sign_out(&trusting, app_origin).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        sign_out(&trusting, Some("https://other.example.com:8443")).await,
        StatusCode::NO_CONTENT
    );
    for refused in [
        Some("https://evil.example.com"),
        Some("https://app.example.com.evil.test"),
        Some("http://app.example.com"),
        Some("https://other.example.com"),
        // Its own origin cannot be same-site to it: a forged pair.
        Some("https://api.example.com"),
        Some("null"),
        None,
    ] {
        assert_eq!(
            sign_out(&trusting, refused).await,
            StatusCode::FORBIDDEN,
            "{refused:?}"
        );
    }
    db.destroy().await;
}

/// With the session cache on and `listening()`, a sign-out the JS app makes
/// (here: plain SQL) is refused at once, not after the staleness bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listening_cache_hears_the_js_apps_sign_out() {
    authstore_tests::run(
        authstore_tests::Backend::Postgres,
        "web_listening",
        async |db| {
            db.migrate().await;
            let config = db
                .config("secret")
                .session_cache(100, TimeDelta::minutes(10))
                .build()
                .unwrap();
            let store = AuthStore::new(db.conn.clone(), config);
            let user = store.users().create(NewUser::default()).await.unwrap();
            let token = store
                .sessions()
                .create(user.id)
                .await
                .unwrap()
                .session_token
                .expose()
                .to_owned();
            let web = WebSessions::new(store, "http://localhost")
                .unwrap()
                .listening()
                .unwrap();
            let app = app(web);
            let jar = [cookie("next-auth.session-token", &token)];
            let me = || send(&app, "GET", "/me", &jar);
            assert_eq!(me().await.status, StatusCode::OK, "now cached");
            use sea_orm::ConnectionTrait;
            db.conn
                .execute_unprepared("DELETE FROM sessions")
                .await
                .unwrap();
            let started = std::time::Instant::now();
            while me().await.status == StatusCode::OK {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(5),
                    "unheard; the bound is 10 min"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        },
    )
    .await;
}

const BETTER_AUTH_SECRET: &str = "better-auth-secret-for-the-web-tests";

async fn better_auth(db: &TestDb) -> (BetterAuthStore, String) {
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    let config = BetterAuthConfig::default()
        .secret(BETTER_AUTH_SECRET)
        .unwrap();
    let store = BetterAuthStore::new(db.conn.clone(), config);
    let user = store
        .create_user(better_auth::NewUser {
            email: "ada@example.com".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    (store, user.id)
}

async fn better_auth_cookies_are_signed(db: &TestDb) {
    let (store, user_id) = better_auth(db).await;
    assert!(matches!(
        WebSessions::new(
            BetterAuthStore::new(db.conn.clone(), Default::default()),
            "http://127.0.0.1"
        ),
        Err(Error::Config(ConfigError::EmptySecret))
    ));
    let session = store
        .create_session(&user_id, Default::default())
        .await
        .unwrap();
    let web = WebSessions::new(store, "https://app.example.com").unwrap();
    let name = "__Secure-better-auth.session_token";
    assert_eq!(web.cookie_name(), name);
    let app = app(web);
    let signed =
        signed_session_cookie(&session.token, &Secret::from(BETTER_AUTH_SECRET.to_owned()));
    assert_eq!(
        send(&app, "GET", "/me", &[cookie(name, &signed)])
            .await
            .status,
        StatusCode::OK
    );
    // The bare token, as better-auth itself refuses it.
    let bare = send(&app, "GET", "/me", &[cookie(name, session.token.expose())]).await;
    assert_eq!(bare.status, StatusCode::UNAUTHORIZED);
    let forged = signed_session_cookie(&session.token, &Secret::from("another-secret".to_owned()));
    assert_eq!(
        send(&app, "GET", "/me", &[cookie(name, &forged)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // A value escaped twice: decoded once, its signature is no signature.
    let twice = signed.replace('%', "%25");
    assert_eq!(
        send(&app, "GET", "/me", &[cookie(name, &twice)])
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "a value escaped twice is refused, as better-auth refuses it"
    );

    // Planted cookies, with the signed value a browser holds.
    let clock = TestClock::new();
    let reading = clock.clone();
    let config = BetterAuthConfig::default()
        .secret(BETTER_AUTH_SECRET)
        .unwrap();
    let store = BetterAuthStore::new(db.conn.clone(), config).with_clock(move || reading.now());
    let session = store
        .create_session(&user_id, Default::default())
        .await
        .unwrap();
    let signed =
        signed_session_cookie(&session.token, &Secret::from(BETTER_AUTH_SECRET.to_owned()));
    let case = Case {
        token: session.token.expose().to_owned(),
        store,
        clock,
        // Due once a day of its 7 has passed (better-auth's updateAge).
        until_renewal: TimeDelta::days(2),
    };
    planted_cookie_rule(case, &signed).await;
}

async fn the_carry_over_bridge_swaps_the_old_cookie(db: &TestDb) {
    use authstore::better_auth::carry_over::{CarryOver, Source};
    // The old app: next-auth v3's tables beside better-auth's, a user with
    // two live sessions, carried over.
    Profile::NextAuthV3.up(&db.conn).await.unwrap();
    let old = AuthStore::new(
        db.conn.clone(),
        db.config("next-auth-secret").build().unwrap(),
    );
    let ada = old
        .users()
        .create(NewUser {
            email: Some("ada@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let carried = old.sessions().create(ada.id).await.unwrap().session_token;
    let signed_out_in_old_app = old.sessions().create(ada.id).await.unwrap().session_token;
    Profile::BetterAuth.up(&db.conn).await.unwrap();
    CarryOver::new(Source::NextAuth(Profile::NextAuthV3))
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap();
    let config = BetterAuthConfig::default()
        .secret(BETTER_AUTH_SECRET)
        .unwrap();
    let store = BetterAuthStore::new(db.conn.clone(), config);
    let web = WebSessions::new(store.clone(), "http://127.0.0.1:3000")
        .unwrap()
        .carrying_over_from(Profile::NextAuthV3);
    let app = app(web);
    let old_name = "next-auth.session-token";
    // Presented twice (a sibling may have planted one of them), the old
    // cookie is read as next-auth reads it, the first, but never swapped:
    // no better-auth cookie is made from it.
    let twice = (
        "cookie",
        format!("{old_name}={}; {old_name}=planted", carried.expose()),
    );
    let ambiguous = send(&app, "GET", "/me", &[twice]).await;
    assert_eq!(
        (ambiguous.status, ambiguous.set_cookie.len()),
        (StatusCode::OK, 0),
        "served, never swapped: {:?}",
        ambiguous.set_cookie
    );
    let encoded = "next%2Dauth.session-token";
    let look_alike = send(&app, "GET", "/me", &[cookie(encoded, carried.expose())]).await;
    assert_eq!(
        (look_alike.status, look_alike.set_cookie.len()),
        (StatusCode::UNAUTHORIZED, 0)
    );
    let bridged = send(&app, "GET", "/me", &[cookie(old_name, carried.expose())]).await;
    assert_eq!(
        bridged.status,
        StatusCode::OK,
        "signed in through the old cookie"
    );
    let [new, removal] = &bridged.set_cookie[..] else {
        panic!("two cookies: {:?}", bridged.set_cookie)
    };
    let value = new
        .strip_prefix("better-auth.session_token=")
        .and_then(|rest| rest.split(';').next())
        .expect("better-auth's cookie");
    assert_eq!(
        token_from_set_cookie(value, &Secret::from(BETTER_AUTH_SECRET.to_owned())),
        Some(carried.clone()),
        "signed with better-auth's secret"
    );
    assert!(
        new.contains("HttpOnly") && new.contains("SameSite=Lax") && new.contains("Max-Age=604800"),
        "{new}"
    );
    assert!(
        removal.starts_with("next-auth.session-token=;") && removal.contains("Max-Age=0"),
        "{removal}"
    );
    // With the new cookie, the old one is not looked at, and nothing is set.
    let after = send(
        &app,
        "GET",
        "/me",
        &[cookie("better-auth.session_token", value)],
    )
    .await;
    assert_eq!((after.status, after.set_cookie.len()), (StatusCode::OK, 0));

    // A session better-auth made itself is never served through the old
    // cookie: its token, read from better-auth's table, would otherwise
    // come back signed.
    let native = store
        .create_session(&ada.id.to_string(), Default::default())
        .await
        .unwrap();
    let oracle = send(
        &app,
        "GET",
        "/me",
        &[cookie(old_name, native.token.expose())],
    )
    .await;
    assert_eq!(
        (oracle.status, oracle.set_cookie.len()),
        (StatusCode::UNAUTHORIZED, 0),
        "a native better-auth token is not signed through the bridge"
    );
    // Not even when the old system holds that token too: its better-auth
    // row is not one the carry-over made.
    let in_both = old.sessions().create(ada.id).await.unwrap();
    db.conn
        .execute_unprepared(&format!(
            "UPDATE sessions SET session_token = '{}' WHERE id = {}",
            native.token.expose(),
            in_both.id
        ))
        .await
        .unwrap();
    let oracle = send(
        &app,
        "GET",
        "/me",
        &[cookie(old_name, native.token.expose())],
    )
    .await;
    assert_eq!(
        (oracle.status, oracle.set_cookie.len()),
        (StatusCode::UNAUTHORIZED, 0)
    );
    assert!(
        store
            .validate_session(native.token.expose())
            .await
            .unwrap()
            .is_some(),
        "and the native session is left alone"
    );

    // Signed out in the old app: refused at once, and ended in better-auth.
    old.sessions()
        .delete(signed_out_in_old_app.expose())
        .await
        .unwrap();
    let stale = send(
        &app,
        "GET",
        "/me",
        &[cookie(old_name, signed_out_in_old_app.expose())],
    )
    .await;
    assert_eq!(
        (stale.status, stale.set_cookie.len()),
        (StatusCode::UNAUTHORIZED, 0)
    );
    assert!(
        store
            .validate_session(signed_out_in_old_app.expose())
            .await
            .unwrap()
            .is_none(),
        "the carried copy ended with the old session"
    );

    // A sign-out through the bridge ends the old app's session too.
    let out = send(
        &app,
        "POST",
        "/signout",
        &[cookie("better-auth.session_token", value)],
    )
    .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        old.sessions()
            .get_session_and_user(carried.expose())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .validate_session(carried.expose())
            .await
            .unwrap()
            .is_none()
    );

    // An old cookie whose session was not carried signs nobody in.
    let stranger = send(
        &app,
        "GET",
        "/me",
        &[cookie(old_name, "a-token-nobody-carried")],
    )
    .await;
    assert_eq!(
        (stranger.status, stranger.set_cookie.len()),
        (StatusCode::UNAUTHORIZED, 0)
    );
}

/// A session cookie the browser did not present alone, or under a name
/// only spelled like the session cookie's, as a sibling origin or a network
/// attacker can plant it: the encoded name is no session cookie; of a
/// repeated one the JS system's pick is read (the first; Lucia v3: the
/// last) and never written back, even when the lookup renewed it.
async fn planted_cookie_rule<S: SessionStore>(case: Case<S>, value: &str)
where
    S::Session: std::fmt::Debug,
{
    let web = WebSessions::new(case.store, "https://app.example.com").unwrap();
    let name = web.cookie_name();
    let first_wins = web.store().profile().descriptor().repeated_cookie()
        == authstore::web::RepeatedCookie::First;
    let app = app(web);
    let encoded_names = [
        name.replacen('-', "%2D", 1),
        name.replacen('_', "%5F", 1),
        format!("{}{}", name[..1].to_uppercase(), &name[1..]),
    ];
    for encoded in encoded_names.iter().filter(|encoded| *encoded != name) {
        let planted = send(&app, "GET", "/me", &[cookie(encoded, value)]).await;
        assert_eq!(
            planted.status,
            StatusCode::UNAUTHORIZED,
            "{encoded} is another cookie"
        );
    }

    case.clock.advance(case.until_renewal);
    let (picked, other) = (format!("{name}={value}"), format!("{name}=planted"));
    let pair = |first: &str, second: &str| ("cookie", format!("{first}; {second}"));
    let (read_first, read_second) = match first_wins {
        true => (pair(&picked, &other), pair(&other, &picked)),
        false => (pair(&other, &picked), pair(&picked, &other)),
    };
    let ignored = send(&app, "GET", "/me", &[read_second]).await;
    assert_eq!(
        ignored.status,
        StatusCode::UNAUTHORIZED,
        "the JS system's pick is read, not the other"
    );
    let served = send(&app, "GET", "/me", &[read_first]).await;
    assert_eq!(
        served.status,
        StatusCode::OK,
        "the JS system's pick is read"
    );
    assert!(
        served.set_cookie.is_empty(),
        "no cookie for a session presented twice, though due for renewal: {:?}",
        served.set_cookie
    );
}
