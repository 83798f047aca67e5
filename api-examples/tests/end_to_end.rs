//! End to end, in a real browser over https: a JS app and the example
//! server on one PostgreSQL database, both behind TLS with a certificate
//! made here, one headless Chromium between them.
//! - A real Next.js app running next-auth 3.29.10 (`tests/interop/nextjs`):
//!   Chromium signs in on its own sign-in page; the Rust service must
//!   recognise that user (reading `__Secure-next-auth.session-token`), its
//!   renewal must be what next-auth then reports, and a sign-out on either
//!   side must sign the browser out of both.
//! - A plain Node app on lucia 3.2.2 (`tests/interop/lucia-app.mjs`) and
//!   the example on `lucia-v3`: the same four steps with `auth_session`.
//!
//! Needs Node, `npm ci --prefix tests/interop`, Chromium and openssl; under
//! `CI` a missing one fails the test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use authstore_migration::{Migrator, MigratorTrait, Profile, ProfileMigrations};
use authstore_tests::{Backend, TestDb};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::free_port;

mod support;

const EXAMPLE: &str = env!("CARGO_BIN_EXE_authstore-examples");
const SECRET: &str = "nextjs-e2e-secret";

fn interop() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// Whether everything the test drives is here; in CI a missing piece fails.
fn ready() -> bool {
    let missing: Vec<&str> = [
        ("Chromium", Path::new("/usr/bin/chromium").exists()),
        (
            "next (npm ci --prefix tests/interop)",
            interop().join("node_modules/.bin/next").exists(),
        ),
        (
            "next-auth 5 (npm ci --prefix tests/interop/authjs-next)",
            interop()
                .join("authjs-next/node_modules/next-auth")
                .exists(),
        ),
        (
            "next-auth 4 (npm ci --prefix tests/interop/nextauth4-next)",
            interop()
                .join("nextauth4-next/node_modules/next-auth")
                .exists(),
        ),
        (
            "openssl",
            Command::new("openssl").arg("version").output().is_ok(),
        ),
    ]
    .into_iter()
    .filter_map(|(what, here)| (!here).then_some(what))
    .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!("the end-to-end tests need {}", missing.join(", "));
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("skipped: {why}");
    false
}

/// The Next.js + next-auth 3 app (built first if it is not), given its
/// plain-HTTP port, its public URL and the stack's directory, where it
/// writes the sign-in links it "mails".
fn nextjs(db: &TestDb) -> impl FnOnce(u16, &str, &Path) -> Command + use<> {
    let next_dir = interop().join("nextjs");
    if !next_dir.join(".next/BUILD_ID").exists() {
        run(
            "next build",
            Command::new(interop().join("node_modules/.bin/next"))
                .arg("build")
                .arg(&next_dir)
                .env("NEXT_TELEMETRY_DISABLED", "1"),
        );
    }
    let url = db.url.clone();
    move |port, public_url, dir| {
        let mut next = Command::new(interop().join("node_modules/.bin/next"));
        next.arg("start")
            .arg(&next_dir)
            .args(["-p", &port.to_string(), "-H", "127.0.0.1"])
            .env("NEXT_TELEMETRY_DISABLED", "1")
            .env("DATABASE_URL", url)
            .env("NEXTAUTH_URL", public_url)
            // Server-side getSession calls the app itself: over plain http,
            // past the self-signed certificate.
            .env("NEXTAUTH_URL_INTERNAL", format!("http://127.0.0.1:{port}"))
            .env("NEXTAUTH_SECRET", SECRET)
            .env("LINKS_FILE", dir.join("links.jsonl"));
        next
    }
}

/// A Next.js 15 app on JWT sessions, the npm package `package` of
/// `tests/interop` (built first if it is not), given its plain-HTTP port
/// and public URL, which it reads from `url_var`, its secret from
/// `secret_var`.
fn jwt_app(
    package: &str,
    url_var: &'static str,
    secret_var: &'static str,
) -> impl FnOnce(u16, &str, &Path) -> Command + use<> {
    next15_app(package, url_var, secret_var, None)
}

/// [`jwt_app`], or with `database` (a PostgreSQL URL) the app's database
/// strategy (`authjs-next`: `@auth/drizzle-adapter` there, and email
/// sign-in whose links it writes to the stack's `links.jsonl`).
fn next15_app(
    package: &str,
    url_var: &'static str,
    secret_var: &'static str,
    database: Option<String>,
) -> impl FnOnce(u16, &str, &Path) -> Command + use<> {
    let app = interop().join(package);
    let next = app.join("node_modules/.bin/next");
    if !app.join(".next/BUILD_ID").exists() {
        run(
            "next build",
            Command::new(&next)
                .arg("build")
                .arg(&app)
                .env("NEXT_TELEMETRY_DISABLED", "1"),
        );
    }
    move |port, public_url, dir| {
        let mut command = Command::new(next);
        command
            .arg("start")
            .arg(&app)
            .args(["-p", &port.to_string(), "-H", "127.0.0.1"])
            .env("NEXT_TELEMETRY_DISABLED", "1")
            .env(url_var, public_url)
            .env(secret_var, SECRET);
        if let Some(url) = database {
            command
                .env("AUTH_STRATEGY", "database")
                .env("DATABASE_URL", url)
                .env("LINKS_FILE", dir.join("links.jsonl"));
        }
        command
    }
}

/// better-auth's secret in the carry-over test: the example server signs
/// better-auth's cookie with it, as the better-auth app does.
const BETTER_AUTH_SECRET: &str = "better-auth-e2e-secret-of-32-characters";

/// The move off next-auth, in one browser: signed in to the Next.js +
/// next-auth 3 app, the users are carried over to better-auth's tables in
/// the same database; one request through the Rust service (the cookie
/// bridge) swaps next-auth's cookie for better-auth's, and then a real
/// better-auth app recognises the same browser without a new sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nextjs_sign_in_survives_the_move_to_better_auth() {
    use authstore::better_auth::carry_over::{CarryOver, Source};
    if !ready() {
        return;
    }
    let better_auth_server = interop().join("better-auth/server.mjs");
    let installed = interop()
        .join("better-auth/node_modules/better-auth")
        .exists();
    if !installed {
        let why = "better-auth is not installed: run `npm ci --prefix tests/interop/better-auth`";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "carry_over_e2e").await else {
        return;
    };
    Migrator::up(&db.conn, None).await.unwrap();
    let settings = [
        ("AUTHSTORE_SECRET", BETTER_AUTH_SECRET),
        ("AUTHSTORE_CARRY_OVER_FROM", "next-auth-v3"),
    ];
    let stack = Stack::start("carry", &db, "better-auth", &settings, nextjs(&db));
    let state = stack.dir.join("browser-state.json");
    let before = stack.browse(
        "better-auth/carry-over-e2e.mjs",
        json!({
            "phase": "before", "next": stack.js_url, "links": stack.dir.join("links.jsonl"),
            "email": "ada@example.com", "state": state,
        }),
    );
    assert_eq!(before["nextSignedInAs"], "ada@example.com");
    let next_cookie = before["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "__Secure-next-auth.session-token")
        .expect("next-auth's cookie")["value"]
        .clone();

    // The move: next-auth's users and live sessions into better-auth's
    // tables, beside them.
    let report = CarryOver::new(Source::NextAuth(Profile::NextAuthV3))
        .run(&db.conn, &db.conn, |_| {})
        .await
        .unwrap();
    assert_eq!((report.users, report.sessions), (1, 1), "{report:?}");

    // A better-auth app on the same database, over https like the others.
    let [public, port] = [(); 2].map(|_| free_port());
    let better_auth_url = format!("https://127.0.0.1:{public}");
    let mut server = Command::new("node");
    server
        .arg(&better_auth_server)
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &db.url)
        .env("BETTER_AUTH_SECRET", BETTER_AUTH_SECRET)
        .env("BETTER_AUTH_URL", &better_auth_url);
    let tls_dir = stack.dir.join("better-auth-tls");
    std::fs::create_dir_all(&tls_dir).unwrap();
    let certificate = certificate(&tls_dir);
    let mut proxy = tls(public, port, &certificate);
    let logs = [
        stack.dir.join("better-auth.log"),
        stack.dir.join("better-auth-tls.log"),
    ];
    let mut running = [
        spawn("the better-auth app", &mut server, &logs[0]),
        spawn("better-auth's TLS proxy", &mut proxy, &logs[1]),
    ];
    wait_for(port, "the better-auth app", &mut running[0], &logs[0]);
    wait_for(public, "better-auth's TLS proxy", &mut running[1], &logs[1]);

    let after = stack.browse(
        "better-auth/carry-over-e2e.mjs",
        json!({ "phase": "after", "rust": stack.rust_url, "betterAuth": better_auth_url, "state": state }),
    );
    // One request through the Rust service: recognised by next-auth's
    // cookie, answered with better-auth's and the old one's removal.
    assert_eq!(after["rust"]["status"], 200, "{after}");
    assert_eq!(after["rust"]["body"]["user"]["email"], "ada@example.com");
    let set: Vec<&str> = after["rust"]["setCookie"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        set.iter()
            .any(|c| c.starts_with("__Secure-better-auth.session_token=")),
        "{set:?}"
    );
    assert!(
        set.iter()
            .any(|c| c.starts_with("__Secure-next-auth.session-token=;")),
        "{set:?}"
    );
    let names: Vec<&str> = after["cookiesAfterRust"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"__Secure-better-auth.session_token"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"__Secure-next-auth.session-token"),
        "the old cookie expired: {names:?}"
    );
    // better-auth itself now knows the browser: no new sign-in.
    assert_eq!(after["betterAuth"]["status"], 200, "{after}");
    assert_eq!(
        after["betterAuth"]["body"]["user"]["email"], "ada@example.com",
        "{after}"
    );
    assert_eq!(
        after["betterAuth"]["body"]["session"]["token"], next_cookie,
        "the same session"
    );
    drop(running);
    drop(stack);
    db.destroy().await;
}

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    /// Ends the process and everything it started (Next.js 15's `next
    /// start` runs its server as a child of its own, which outlives a
    /// killed parent): the whole process group.
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(what: &'static str, command: &mut Command, log: &Path) -> Running {
    use std::os::unix::process::CommandExt;
    let log = std::fs::File::create(log).unwrap();
    let child = command
        .process_group(0)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {what}: {err}"));
    Running(child)
}

/// Waits until something listens on `port`, or fails naming `what`.
fn wait_for(port: u16, what: &str, running: &mut Running, log: &Path) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = running.0.try_wait() {
            panic!(
                "{what} exited ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run(what: &str, command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {what}: {err}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn instant(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nextjs_sign_in_is_recognised_renewed_and_ended_by_the_rust_service() {
    let app = DatabaseApp {
        name: "nextjs",
        host: "127.0.0.1",
        profile: Profile::NextAuthV3,
        cookie: "next-auth.session-token",
        make_due: "UPDATE sessions SET expires = now() + interval '28 days'",
        stored_expires: "SELECT to_char(expires AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS expires FROM sessions",
    };
    email_sign_in_in_chromium(app, nextjs).await;
}

/// Auth.js v5 (next-auth 5.0.0-beta.32) with `@auth/drizzle-adapter` on
/// PostgreSQL in a real Next.js 15 app, on the tables the example server's
/// `authjs-drizzle` migration laid down: its email sign-in in Chromium,
/// then the same four steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authjs_drizzle_sign_in_is_recognised_renewed_and_ended_by_the_rust_service() {
    let app = DatabaseApp {
        name: "authjs-drizzle",
        // next-auth 5's sign-in page posts to `localhost` (see below).
        host: "localhost",
        profile: Profile::AuthJsDrizzle,
        cookie: "authjs.session-token",
        // `timestamp` without time zone, holding UTC.
        make_due: "UPDATE session SET expires = (now() AT TIME ZONE 'UTC') + interval '28 days'",
        stored_expires: "SELECT to_char(expires, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS expires FROM session",
    };
    email_sign_in_in_chromium(app, |db: &TestDb| {
        next15_app(
            "authjs-next",
            "AUTH_URL",
            "AUTH_SECRET",
            Some(db.url.clone()),
        )
    })
    .await;
}

/// A Next.js app on database sessions with email sign-in, for
/// [`email_sign_in_in_chromium`]: what differs between apps.
struct DatabaseApp {
    name: &'static str,
    /// Where both services are browsed.
    host: &'static str,
    profile: Profile,
    /// The session cookie's name, without `__Secure-`.
    cookie: &'static str,
    /// SQL that moves the session to where a renewal is due (28 days left).
    make_due: &'static str,
    /// SQL that reads the session's expiry back as ISO-8601 text
    /// (`expires`).
    stored_expires: &'static str,
}

/// Signed in to the app on its own sign-in page, by a link it "mailed", in
/// Chromium over https beside the example server on the app's profile: the
/// Rust service recognises the browser, a renewal it makes is what the app
/// then reports, and a sign-out on either side signs the browser out of
/// both.
async fn email_sign_in_in_chromium<A: FnOnce(u16, &str, &Path) -> Command>(
    app: DatabaseApp,
    js: impl FnOnce(&TestDb) -> A,
) {
    if !ready() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, &app.name.replace('-', "_")).await else {
        return;
    };
    app.profile.up(&db.conn).await.unwrap();
    let stack = Stack::start_at(app.host, app.name, &db, app.profile.name(), &[], js(&db));
    let input = json!({
        "next": stack.js_url, "rust": stack.rust_url, "links": stack.dir.join("links.jsonl"),
        "db": db.url, "email": "ada@example.com", "cookie": app.cookie,
        "makeDue": app.make_due, "storedExpires": app.stored_expires,
    });
    let seen = stack.browse("nextjs-e2e.mjs", input);
    let cookie_name = format!("__Secure-{}", app.cookie);

    // Signed in on Next.js over https: the app's __Secure- cookie, and the
    // Rust service recognises the same user through it.
    assert_eq!(seen["nextSignedInAs"], "ada@example.com", "{seen}");
    let cookie = &seen["cookiesAfterSignIn"][0];
    assert_eq!(cookie["name"], cookie_name.as_str(), "{seen}");
    assert_eq!(
        (cookie["secure"].as_bool(), cookie["httpOnly"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(seen["rustAfterSignIn"]["status"], 200);
    assert_eq!(
        seen["rustAfterSignIn"]["body"]["user"]["email"],
        "ada@example.com"
    );
    assert_eq!(
        seen["rustAfterSignIn"]["setCookie"],
        json!([]),
        "nothing to renew yet"
    );

    // A renewal by the Rust side: the cookie is re-sent with the new expiry,
    // the row holds it, and the app then reports exactly that expiry.
    let renewal = &seen["rustRenewal"];
    assert_eq!(renewal["status"], 200, "{seen}");
    let set = renewal["setCookie"][0]
        .as_str()
        .expect("the renewal re-sends the cookie");
    assert!(set.starts_with(&format!("{cookie_name}=")), "{set}");
    let renewed = instant(&renewal["body"]["expires"]);
    assert!(
        renewed > Utc::now() + chrono::TimeDelta::days(29),
        "renewed to 30 days: {renewed}"
    );
    assert_eq!(
        instant(&seen["storedExpires"][0]).timestamp_millis(),
        renewed.timestamp_millis(),
        "the row holds the renewal"
    );
    let reported = instant(&seen["nextAfterRenewal"]["expires"]);
    assert_eq!(
        reported.timestamp_millis(),
        renewed.timestamp_millis(),
        "the app sees the renewal"
    );
    let browser_expiry = seen["cookiesAfterRenewal"][0]["expires"].as_f64().unwrap();
    assert_eq!(
        browser_expiry as i64,
        renewed.timestamp(),
        "the browser's cookie moved with it"
    );

    // Sign-out on either side signs the browser out of both (the app then
    // answers `{}`, next-auth 3, or `null`, Auth.js v5).
    assert_eq!(seen["rustAfterNextSignOut"]["status"], 401, "{seen}");
    assert_eq!(seen["nextSignedInAgainAs"], "ada@example.com");
    assert_eq!(seen["rustBeforeRustSignOut"]["status"], 200);
    assert_eq!(seen["rustSignOut"], 204);
    let after = &seen["nextAfterRustSignOut"];
    assert!(after.is_null() || *after == json!({}), "{seen}");
    assert_eq!(seen["nextHomeAfterRustSignOut"], "nobody");
    drop(stack);
    db.destroy().await;
}

/// next-auth 5.0.0-beta.32 on JWT sessions in a real Next.js app and the
/// example server with `AUTHSTORE_SESSION_STRATEGY=jwt` (no database): the
/// Rust service recognises the browser's `__Secure-authjs.session-token`,
/// renews it with a token the app then reads, and a sign-out on either side
/// signs the browser out of both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authjs_jwt_sign_in_is_recognised_renewed_and_ended_by_the_rust_service() {
    let app = || jwt_app("authjs-next", "AUTH_URL", "AUTH_SECRET");
    jwt_sign_in_in_chromium("authjs-jwt", "5", "__Secure-authjs.session-token", app).await;
}

/// The same with next-auth 4.24.15 (its pages router, `getServerSession`)
/// and its `__Secure-next-auth.session-token`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_auth_4_jwt_sign_in_is_recognised_renewed_and_ended_by_the_rust_service() {
    let app = || jwt_app("nextauth4-next", "NEXTAUTH_URL", "NEXTAUTH_SECRET");
    jwt_sign_in_in_chromium(
        "nextauth4-jwt",
        "4",
        "__Secure-next-auth.session-token",
        app,
    )
    .await;
}

/// Signed in to the app (`major`, its session cookie `cookie`) on its own
/// sign-in page in Chromium, then the four steps beside the example server
/// on the JWT strategy.
async fn jwt_sign_in_in_chromium<A: FnOnce(u16, &str, &Path) -> Command>(
    name: &str,
    major: &str,
    cookie_name: &str,
    app: impl FnOnce() -> A,
) {
    if !ready() {
        return;
    }
    // The stack's example server is given a database; on the JWT strategy
    // it opens none.
    let Some(db) = TestDb::create(Backend::Postgres, name).await else {
        return;
    };
    let jwt = [
        ("AUTHSTORE_SESSION_STRATEGY", "jwt"),
        ("AUTHSTORE_NEXT_AUTH_MAJOR", major),
    ];
    // next-auth 5's sign-in page names the host `localhost` in its form's
    // action whatever the URL it was served at: browse there, so the form's
    // post carries the CSRF cookie.
    let stack = Stack::start_at("localhost", name, &db, "authjs-pg", &jwt, app());
    let input = json!({
        "next": stack.js_url, "rust": stack.rust_url, "email": "ada@example.com", "cookie": cookie_name,
    });
    let seen = stack.browse("authjs-e2e.mjs", input);

    assert_eq!(seen["nextSignedInAs"], "ada@example.com", "{seen}");
    let cookie = &seen["cookiesAfterSignIn"][0];
    assert_eq!(cookie["name"], cookie_name, "{seen}");
    assert_eq!(
        (cookie["secure"].as_bool(), cookie["httpOnly"].as_bool()),
        (Some(true), Some(true))
    );
    let rust = &seen["rustAfterSignIn"];
    assert_eq!(rust["status"], 200, "{seen}");
    assert_eq!(rust["body"]["user"]["email"], "ada@example.com");
    assert_eq!(rust["body"]["sub"], "42");
    // The browser now holds a token the Rust service wrote (the page's
    // favicon request may have renewed it once more), and the app reads it.
    // A token's first part is its header, serialised by its writer: the
    // Rust service's and the app's differ in member order.
    let header = |token: &str| token.split('.').next().unwrap_or_default().to_owned();
    let renewed = rust["setCookie"][0].as_str().expect("a renewal");
    let renewed = renewed.strip_prefix(&format!("{cookie_name}=")).unwrap();
    let held = seen["cookiesAfterRustRenewal"][0]["value"]
        .as_str()
        .unwrap();
    let signed_in = cookie["value"].as_str().unwrap();
    assert_eq!(header(held), header(renewed), "{seen}");
    assert_ne!(header(held), header(signed_in));
    assert_eq!(
        seen["nextAfterRustRenewal"]["user"]["email"],
        "ada@example.com"
    );
    assert_eq!(seen["nextHomeAfterRustRenewal"], "ada@example.com");

    // Signed out through the Rust service: the app finds nobody (v5 says
    // `null`, next-auth 4 `{}`).
    assert_eq!(seen["rustSignOut"], 204);
    assert_eq!(seen["cookiesAfterRustSignOut"], json!([]));
    let after = &seen["nextAfterRustSignOut"];
    assert!(after.is_null() || *after == json!({}), "{seen}");
    assert_eq!(seen["nextHomeAfterRustSignOut"], "nobody");

    // Signed out in the app: the Rust service finds nobody.
    assert_eq!(seen["nextSignedInAgainAs"], "ada@example.com");
    assert_eq!(seen["rustBeforeNextSignOut"]["status"], 200);
    assert_eq!(seen["cookiesAfterNextSignOut"], json!([]));
    assert_eq!(seen["rustAfterNextSignOut"]["status"], 401);
    drop(stack);
    db.destroy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lucia_sign_in_is_recognised_renewed_and_ended_by_the_rust_service() {
    if !ready() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "lucia_e2e").await else {
        return;
    };
    Profile::LuciaV3.up(&db.conn).await.unwrap();
    let stack = Stack::start("lucia", &db, "lucia-v3", &[], |port, _, _| {
        let mut lucia = Command::new("node");
        lucia
            .arg(interop().join("lucia-app.mjs"))
            .env("DATABASE_URL", &db.url)
            .env("PORT", port.to_string());
        lucia
    });
    let input = json!({ "lucia": stack.js_url, "rust": stack.rust_url, "db": db.url });
    let seen = stack.browse("lucia-e2e.mjs", input);

    // Signed up on the Lucia app: Lucia's own cookie, and the Rust service
    // recognises the same user through it.
    assert_eq!(seen["signUp"]["status"], 201, "{seen}");
    let user = seen["signUp"]["body"]["userId"].clone();
    let cookie = &seen["cookieAfterSignUp"][0];
    assert_eq!(
        (cookie["secure"].as_bool(), cookie["httpOnly"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(seen["rustAfterSignUp"]["status"], 200);
    assert_eq!(seen["rustAfterSignUp"]["body"]["user"]["id"], user);

    // A renewal by the Rust side (Lucia's second half): the cookie is sent
    // again as Lucia writes it, and Lucia then validates that expiry.
    let renewal = &seen["rustRenewal"];
    assert_eq!(renewal["body"]["fresh"], true, "{seen}");
    let set = renewal["setCookie"][0]
        .as_str()
        .expect("the renewal re-sends the cookie");
    assert!(
        set.starts_with("auth_session=") && set.contains("Max-Age=2592000"),
        "{set}"
    );
    let renewed = instant(&renewal["body"]["expires_at"]);
    assert!(
        renewed > Utc::now() + chrono::TimeDelta::days(29),
        "renewed to 30 days: {renewed}"
    );
    let validated = instant(&seen["luciaAfterRenewal"]["body"]["expiresAt"]);
    assert_eq!(
        validated.timestamp_millis(),
        renewed.timestamp_millis(),
        "Lucia sees the renewal"
    );

    // Sign-out on either side signs the browser out of both.
    assert_eq!(seen["luciaSignOut"]["status"], 204);
    assert_eq!(seen["rustAfterLuciaSignOut"]["status"], 401, "{seen}");
    assert_eq!(seen["signUpAgain"]["status"], 201);
    assert_eq!(seen["rustBeforeRustSignOut"]["status"], 200);
    assert_eq!(seen["rustSignOut"]["status"], 204);
    assert_eq!(
        seen["luciaAfterRustSignOut"]["status"], 401,
        "Lucia has no session left"
    );
    drop(stack);
    db.destroy().await;
}

/// A sibling origin (`http://evil.authstore.test`) plants the attacker's own
/// session in the visitor's Chromium for `Domain=authstore.test`. The
/// browser refuses the `__Secure-` name over http, but keeps the name with
/// its `-` percent-encoded, another cookie to it. The example server on
/// `https://app.authstore.test` must not take that for
/// `__Secure-next-auth.session-token`: the visitor stays signed out, and no
/// cookie is written that would make the planted session a real one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_planted_by_a_sibling_origin_never_becomes_the_session() {
    if !ready() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "planted_cookie_e2e").await else {
        return;
    };
    Migrator::up(&db.conn, None).await.unwrap();
    let store = authstore::AuthStore::new(db.conn.clone(), authstore::Config::new(SECRET).unwrap());
    let attacker = store
        .users()
        .create(authstore::NewUser::default())
        .await
        .unwrap();
    let planted = store
        .sessions()
        .create(attacker.id)
        .await
        .unwrap()
        .session_token;

    let dir = tempdir("planted-cookie");
    let certificate = certificate(&dir);
    let [public, port] = [(); 2].map(|_| free_port());
    let app_url = format!("https://app.authstore.test:{public}");
    let log = dir.join("rust.log");
    let mut server = spawn(
        "the example server",
        &mut example(port, &app_url, &db, "next-auth-v3", &dir, &[]),
        &log,
    );
    let tls_log = dir.join("rust-tls.log");
    let mut proxy = spawn(
        "the example's TLS proxy",
        &mut tls(public, port, &certificate),
        &tls_log,
    );
    wait_for(port, "the example server", &mut server, &log);
    wait_for(public, "the example's TLS proxy", &mut proxy, &tls_log);

    let name = "__Secure-next-auth.session-token";
    let output = run(
        "planted-cookie.mjs",
        Command::new("node")
            .current_dir(interop())
            .arg("planted-cookie.mjs")
            .arg(json!({ "app": app_url, "name": name, "token": planted.expose() }).to_string()),
    );
    let seen: Value = serde_json::from_str(&output).unwrap();
    eprintln!("seen: {seen:#}");
    assert_eq!(
        seen["planted"],
        json!(["__Secure%2Dnext-auth.session-token"]),
        "Chromium keeps only the look-alike"
    );
    assert_eq!(seen["status"], 401, "the look-alike is no session: {seen}");
    assert_eq!(
        seen["setCookie"],
        json!([]),
        "and no cookie is written for it"
    );
    drop((server, proxy));
    std::fs::remove_dir_all(&dir).ok();
    db.destroy().await;
}

/// A fresh directory for the certificate, the logs and the links file.
fn tempdir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("authstore-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A self-signed certificate for 127.0.0.1 in `dir`: (cert, key).
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    run(
        "openssl",
        Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    );
    (cert, key)
}

/// A TLS proxy from `public` to `port`, with the certificate.
fn tls(public: u16, port: u16, (cert, key): &(PathBuf, PathBuf)) -> Command {
    let mut command = Command::new("node");
    command
        .arg(interop().join("tls-proxy.mjs"))
        .args([public.to_string(), port.to_string()])
        .arg(cert)
        .arg(key);
    command
}

/// A JS app and the example server, each behind its own TLS proxy on
/// 127.0.0.1, with a certificate made for them; all of it stopped, and its
/// directory removed, when the stack is dropped.
struct Stack {
    /// The certificate, the logs, and whatever the JS app writes.
    dir: PathBuf,
    /// The JS app's public (https) URL.
    js_url: String,
    /// The example server's public (https) URL.
    rust_url: String,
    running: Vec<Running>,
}

impl Stack {
    /// Starts the JS app that `js` makes (given its plain-HTTP port, its
    /// public URL and the stack's directory) and the example server on
    /// `profile` with `settings` in its environment, and waits until all
    /// four listen.
    fn start(
        name: &str,
        db: &TestDb,
        profile: &str,
        settings: &[(&str, &str)],
        js: impl FnOnce(u16, &str, &Path) -> Command,
    ) -> Stack {
        Stack::start_at("127.0.0.1", name, db, profile, settings, js)
    }

    /// [`Stack::start`] with both public URLs on `host` (an app that
    /// writes its own host into its pages may need `localhost`).
    fn start_at(
        host: &str,
        name: &str,
        db: &TestDb,
        profile: &str,
        settings: &[(&str, &str)],
        js: impl FnOnce(u16, &str, &Path) -> Command,
    ) -> Stack {
        let dir = tempdir(name);
        let certificate = certificate(&dir);
        let [js_public, js_port, rust_public, rust_port] = [(); 4].map(|_| free_port());
        let js_url = format!("https://{host}:{js_public}");
        let rust_url = format!("https://{host}:{rust_public}");
        let parts = [
            (js_port, "the JS app", "js", js(js_port, &js_url, &dir)),
            (
                rust_port,
                "the example server",
                "rust",
                example(rust_port, &rust_url, db, profile, &dir, settings),
            ),
            (
                js_public,
                "the JS app's TLS proxy",
                "js-tls",
                tls(js_public, js_port, &certificate),
            ),
            (
                rust_public,
                "the example's TLS proxy",
                "rust-tls",
                tls(rust_public, rust_port, &certificate),
            ),
        ];
        let mut started = Vec::new();
        for (port, what, log, mut command) in parts {
            let log = dir.join(format!("{log}.log"));
            started.push((port, what, spawn(what, &mut command, &log), log));
        }
        for (port, what, running, log) in &mut started {
            wait_for(*port, what, running, log);
        }
        let running = started
            .into_iter()
            .map(|(_, _, running, _)| running)
            .collect();
        Stack {
            dir,
            js_url,
            rust_url,
            running,
        }
    }

    /// Runs a browser scenario script of `tests/interop` with `input`; what
    /// it saw. A failure shows both apps' logs.
    fn browse(&self, script: &str, input: Value) -> Value {
        let output = Command::new("node")
            .current_dir(interop())
            .arg(script)
            .arg(input.to_string())
            .output()
            .unwrap();
        let logs = || {
            ["js", "rust"]
                .map(|name| {
                    let log = std::fs::read_to_string(self.dir.join(format!("{name}.log")));
                    format!("--- {name}:\n{}", log.unwrap_or_default())
                })
                .join("\n")
        };
        assert!(
            output.status.success(),
            "the browser run failed: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            logs()
        );
        let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
        eprintln!("seen: {seen:#}");
        seen
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.running.clear();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// The example server on `port`, for the public https URL, on `db`.
fn example(
    port: u16,
    public_url: &str,
    db: &TestDb,
    profile: &str,
    dir: &Path,
    settings: &[(&str, &str)],
) -> Command {
    let mut command = Command::new(EXAMPLE);
    command
        .current_dir(dir)
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &db.url)
        .env("AUTHSTORE_BASE_URL", public_url)
        .env("AUTHSTORE_PROFILE", profile)
        .env("AUTHSTORE_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .envs(settings.iter().copied());
    command
}
