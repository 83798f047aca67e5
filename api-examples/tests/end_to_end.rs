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

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use authstore_migration::{Migrator, MigratorTrait, Profile, ProfileMigrations};
use authstore_tests::{Backend, TestDb};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

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

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(what: &'static str, command: &mut Command, log: &Path) -> Running {
    let log = std::fs::File::create(log).unwrap();
    let child = command
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {what}: {err}"));
    Running(child)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
    if !ready() {
        return;
    }
    let Some(db) = TestDb::create(Backend::Postgres, "nextjs_e2e").await else {
        return;
    };
    Migrator::up(&db.conn, None).await.unwrap();
    let dir = tempdir("nextjs");
    let certificate = certificate(&dir);
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

    let [next_public, next_port, rust_public, rust_port] = [(); 4].map(|_| free_port());
    let links = dir.join("links.jsonl");
    let next_url = format!("https://127.0.0.1:{next_public}");
    let rust_url = format!("https://127.0.0.1:{rust_public}");
    let log = |name: &str| dir.join(format!("{name}.log"));

    let mut next = spawn(
        "next start",
        Command::new(interop().join("node_modules/.bin/next"))
            .arg("start")
            .arg(&next_dir)
            .args(["-p", &next_port.to_string(), "-H", "127.0.0.1"])
            .env("NEXT_TELEMETRY_DISABLED", "1")
            .env("DATABASE_URL", &db.url)
            .env("NEXTAUTH_URL", &next_url)
            // Server-side getSession calls the app itself: over plain http,
            // past the self-signed certificate.
            .env(
                "NEXTAUTH_URL_INTERNAL",
                format!("http://127.0.0.1:{next_port}"),
            )
            .env("NEXTAUTH_SECRET", SECRET)
            .env("LINKS_FILE", &links),
        &log("next"),
    );
    let mut rust = spawn(
        "the example server",
        &mut example(rust_port, &rust_url, &db, "next-auth-v3", &dir),
        &log("rust"),
    );
    let mut next_tls = spawn(
        "the TLS proxy for Next.js",
        &mut tls(next_public, next_port, &certificate),
        &log("next-tls"),
    );
    let mut rust_tls = spawn(
        "the TLS proxy for the example",
        &mut tls(rust_public, rust_port, &certificate),
        &log("rust-tls"),
    );
    wait_for(next_port, "next start", &mut next, &log("next"));
    wait_for(rust_port, "the example server", &mut rust, &log("rust"));
    wait_for(
        next_public,
        "the TLS proxy for Next.js",
        &mut next_tls,
        &log("next-tls"),
    );
    wait_for(
        rust_public,
        "the TLS proxy for the example",
        &mut rust_tls,
        &log("rust-tls"),
    );

    let input = json!({
        "next": next_url, "rust": rust_url, "links": links, "db": db.url, "email": "ada@example.com",
    });
    let logs = || {
        ["next", "rust"]
            .map(|name| {
                format!(
                    "--- {name}:\n{}",
                    std::fs::read_to_string(log(name)).unwrap_or_default()
                )
            })
            .join("\n")
    };
    let seen = browse("nextjs-e2e.mjs", input, logs);

    // Signed in on Next.js over https: next-auth's __Secure- cookie, and
    // the Rust service recognises the same user through it.
    assert_eq!(seen["nextSignedInAs"], "ada@example.com");
    let cookie = &seen["cookiesAfterSignIn"][0];
    assert_eq!(cookie["name"], "__Secure-next-auth.session-token", "{seen}");
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
    // and next-auth then reports exactly that expiry.
    let renewal = &seen["rustRenewal"];
    assert_eq!(renewal["status"], 200);
    let set = renewal["setCookie"][0]
        .as_str()
        .expect("the renewal re-sends the cookie");
    assert!(
        set.starts_with("__Secure-next-auth.session-token="),
        "{set}"
    );
    let renewed = instant(&renewal["body"]["expires"]);
    assert!(
        renewed > Utc::now() + chrono::TimeDelta::days(29),
        "renewed to 30 days: {renewed}"
    );
    let reported = instant(&seen["nextAfterRenewal"]["expires"]);
    assert_eq!(
        reported.timestamp_millis(),
        renewed.timestamp_millis(),
        "next-auth sees the renewal"
    );
    let browser_expiry = seen["cookiesAfterRenewal"][0]["expires"].as_f64().unwrap();
    assert_eq!(
        browser_expiry as i64,
        renewed.timestamp(),
        "the browser's cookie moved with it"
    );

    // Sign-out on either side signs the browser out of both.
    assert_eq!(seen["rustAfterNextSignOut"]["status"], 401, "{seen}");
    assert_eq!(seen["nextSignedInAgainAs"], "ada@example.com");
    assert_eq!(seen["rustBeforeRustSignOut"]["status"], 200);
    assert_eq!(seen["rustSignOut"], 204);
    assert_eq!(
        seen["nextAfterRustSignOut"],
        json!({}),
        "next-auth has no session left"
    );
    assert_eq!(seen["nextHomeAfterRustSignOut"], "nobody");
    drop((next_tls, rust_tls, next, rust));
    db.destroy().await;
    std::fs::remove_dir_all(&dir).ok();
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
    let dir = tempdir("lucia");
    let certificate = certificate(&dir);
    let [lucia_public, lucia_port, rust_public, rust_port] = [(); 4].map(|_| free_port());
    let lucia_url = format!("https://127.0.0.1:{lucia_public}");
    let rust_url = format!("https://127.0.0.1:{rust_public}");
    let log = |name: &str| dir.join(format!("{name}.log"));

    let mut lucia = spawn(
        "the Lucia app",
        Command::new("node")
            .arg(interop().join("lucia-app.mjs"))
            .env("DATABASE_URL", &db.url)
            .env("PORT", lucia_port.to_string()),
        &log("lucia"),
    );
    let mut rust = spawn(
        "the example server",
        &mut example(rust_port, &rust_url, &db, "lucia-v3", &dir),
        &log("rust"),
    );
    let mut lucia_tls = spawn(
        "the TLS proxy for Lucia",
        &mut tls(lucia_public, lucia_port, &certificate),
        &log("lucia-tls"),
    );
    let mut rust_tls = spawn(
        "the TLS proxy for the example",
        &mut tls(rust_public, rust_port, &certificate),
        &log("rust-tls"),
    );
    wait_for(lucia_port, "the Lucia app", &mut lucia, &log("lucia"));
    wait_for(rust_port, "the example server", &mut rust, &log("rust"));
    wait_for(
        lucia_public,
        "the TLS proxy for Lucia",
        &mut lucia_tls,
        &log("lucia-tls"),
    );
    wait_for(
        rust_public,
        "the TLS proxy for the example",
        &mut rust_tls,
        &log("rust-tls"),
    );

    let input = json!({ "lucia": lucia_url, "rust": rust_url, "db": db.url });
    let logs = || {
        ["lucia", "rust"]
            .map(|name| {
                format!(
                    "--- {name}:\n{}",
                    std::fs::read_to_string(log(name)).unwrap_or_default()
                )
            })
            .join("\n")
    };
    let seen = browse("lucia-e2e.mjs", input, logs);

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
    drop((lucia_tls, rust_tls, lucia, rust));
    db.destroy().await;
    std::fs::remove_dir_all(&dir).ok();
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

/// Runs a browser scenario script of `tests/interop` with `input`; what it
/// saw. `logs` are added to the message when it fails.
fn browse(script: &str, input: Value, logs: impl Fn() -> String) -> Value {
    let output = Command::new("node")
        .current_dir(interop())
        .arg(script)
        .arg(input.to_string())
        .output()
        .unwrap();
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

/// The example server on `port`, for the public https URL, on `db`.
fn example(port: u16, public_url: &str, db: &TestDb, profile: &str, dir: &Path) -> Command {
    let mut command = Command::new(EXAMPLE);
    command
        .current_dir(dir)
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &db.url)
        .env("AUTHSTORE_BASE_URL", public_url)
        .env("AUTHSTORE_PROFILE", profile)
        .env("AUTHSTORE_SECRET", SECRET)
        .env("RUST_LOG", "warn");
    command
}
