//! The example server as a person runs it: the real binary, started with
//! environment variables, read from its own output. Covers what only a
//! process shows: settings that cannot work, signals, and the log.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::free_port;

mod support;

const BINARY: &str = env!("CARGO_BIN_EXE_authstore-examples");

/// The binary in an empty working directory, so its default SQLite file
/// lands there.
fn command(dir: &std::path::Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("AUTHSTORE_BASE_URL")
        .env_remove("AUTHSTORE_PROFILE")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn work_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("authstore-server-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a start that must fail; returns its stderr after checking it is one line.
fn refused(command: &mut Command) -> String {
    let output = run_with_timeout(command.spawn().unwrap(), Duration::from_secs(60));
    assert!(!output.status.success(), "it started anyway");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line, not a dump: {stderr}");
    stderr
}

fn run_with_timeout(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().ok();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Asks the server on `port` for a sign-in link to `email`: the link its
/// dev outbox then holds.
async fn outbox_link(client: &reqwest::Client, port: u16, email: &str) -> String {
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let sent = client
        .post(url("/auth/email"))
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 202);
    let outbox: Value = client
        .get(url("/dev/outbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emails = outbox["emails"].as_array().unwrap();
    emails.last().unwrap()["url"].as_str().unwrap().to_owned()
}

/// Waits until the server answers on `port`.
async fn wait_until_up(port: u16, child: &mut Child) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(pipe) = child.stderr.as_mut() {
                std::io::Read::read_to_string(pipe, &mut stderr).ok();
            }
            panic!("the server exited early: {status}: {stderr}");
        }
        let url = format!("http://127.0.0.1:{port}/dev/outbox");
        if client.get(url).send().await.is_ok() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server never came up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_bad_port_is_an_error_not_the_default() {
    let dir = work_dir("bad-port");
    for bad in ["80a", "70000", "0", ""] {
        let stderr = refused(command(&dir).env("PORT", bad));
        assert!(
            stderr.contains("PORT must be a number from 1 to 65535"),
            "{stderr}"
        );
    }
}

#[test]
fn a_taken_port_is_named() {
    let dir = work_dir("taken-port");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let stderr = refused(command(&dir).env("PORT", port.to_string()));
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("in use"), "{stderr}");
}

#[test]
fn an_unknown_profile_or_zone_is_an_error() {
    let dir = work_dir("bad-profile");
    let stderr = refused(command(&dir).env("AUTHSTORE_PROFILE", "lucia-v9"));
    assert!(
        stderr.contains("AUTHSTORE_PROFILE: unknown profile \"lucia-v9\""),
        "{stderr}"
    );
    let stderr = refused(
        command(&dir)
            .env("AUTHSTORE_PROFILE", "next-auth-v2-beta")
            .env("AUTHSTORE_WALL_CLOCK_ZONE", "Newfoundland"),
    );
    assert!(
        stderr
            .contains("AUTHSTORE_WALL_CLOCK_ZONE: \"Newfoundland\" is not an IANA time zone name"),
        "{stderr}"
    );
}

#[test]
fn the_jwt_strategy_needs_the_apps_secret_and_a_known_strategy() {
    let dir = work_dir("jwt-strategy");
    let stderr = refused(
        command(&dir)
            .env("AUTHSTORE_SESSION_STRATEGY", "jwt")
            .env_remove("AUTHSTORE_SECRET"),
    );
    assert!(
        stderr.contains("AUTHSTORE_SECRET is not set: with AUTHSTORE_SESSION_STRATEGY=jwt"),
        "{stderr}"
    );
    let stderr = refused(command(&dir).env("AUTHSTORE_SESSION_STRATEGY", "cookie"));
    assert!(
        stderr.contains("AUTHSTORE_SESSION_STRATEGY=\"cookie\": expected database or jwt"),
        "{stderr}"
    );
    let stderr = refused(
        command(&dir)
            .env("AUTHSTORE_SESSION_STRATEGY", "jwt")
            .env("AUTHSTORE_SECRET", "s")
            .env("AUTHSTORE_NEXT_AUTH_MAJOR", "6"),
    );
    assert!(
        stderr.contains("AUTHSTORE_NEXT_AUTH_MAJOR=\"6\""),
        "{stderr}"
    );
    assert!(
        !dir.join("authstore.sqlite").exists(),
        "no database is made"
    );
}

#[test]
fn a_bad_base_url_is_an_error() {
    let dir = work_dir("bad-base");
    let stderr = refused(command(&dir).env("AUTHSTORE_BASE_URL", "auth.example.com"));
    assert!(
        stderr.contains("AUTHSTORE_BASE_URL must be an http(s) URL"),
        "{stderr}"
    );
}

#[test]
fn a_missing_server_database_says_how_to_create_it() {
    let dir = work_dir("missing-db");
    let servers = [
        (
            "AUTHSTORE_TEST_POSTGRES_URL",
            "createdb authstore_no_such_db",
        ),
        (
            "AUTHSTORE_TEST_MYSQL_URL",
            "CREATE DATABASE authstore_no_such_db",
        ),
    ];
    for (variable, advice) in servers {
        let server = std::env::var(variable).unwrap_or_default();
        if server.is_empty() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{variable} is required in CI"
            );
            eprintln!("skipped: {variable} is empty");
            continue;
        }
        let url = format!("{}/authstore_no_such_db", server.trim_end_matches('/'));
        let stderr = refused(command(&dir).env("DATABASE_URL", url));
        assert!(
            stderr.contains("does not exist") && stderr.contains(advice),
            "{stderr}"
        );
    }
}

/// Finding 6 (log injection), `AUTHSTORE_BASE_URL` and SIGTERM, on one
/// running server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_cannot_be_forged_links_use_the_base_url_and_sigterm_is_clean() {
    let dir = work_dir("running");
    let port = free_port();
    let mut child = command(&dir)
        .env("PORT", port.to_string())
        .env("AUTHSTORE_BASE_URL", "https://auth.example.com/")
        .arg("--dev-outbox")
        .spawn()
        .unwrap();
    wait_until_up(port, &mut child).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");

    let forged = [
        "victim@example.com\r\nBcc: attacker@evil.com",
        "victim@example.com\n2026-01-01T00:00:00Z  INFO forged: admin signed in",
        "\u{1b}[2Jvictim@example.com",
    ];
    for email in forged {
        let response = client
            .post(url("/auth/email"))
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    }
    let link = &outbox_link(&client, port, "Ada@Example.com").await;
    assert!(
        link.starts_with(
            "https://auth.example.com/auth/email/confirm?email=ada%40example.com&token="
        ),
        "{link}"
    );

    sigterm(&child);
    let output = run_with_timeout(child, Duration::from_secs(30));
    assert!(
        output.status.success(),
        "SIGTERM exits cleanly: {:?}",
        output.status
    );
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.contains("shutting down"), "{log}");
    for line in log.lines() {
        assert!(
            !line.starts_with("Bcc:") && !line.contains("forged:") && !line.contains('\u{1b}'),
            "forged line: {line:?}"
        );
    }
    assert!(log.contains("dev outbox: sign-in email"), "{log}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Finding 12: the example's SQLite runs in WAL mode with a busy timeout,
/// not the rollback journal.
#[tokio::test]
async fn sqlite_is_opened_in_wal_mode_with_a_busy_timeout() {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let dir = work_dir("wal");
    let url = format!("sqlite://{}/wal.sqlite?mode=rwc", dir.display());
    let db = Database::connect(authstore_examples::connect_options(&url))
        .await
        .unwrap();
    let pragma = |name: &str| {
        let sql = format!("PRAGMA {name}");
        let db = db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap()
        }
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("busy_timeout").await, "5000");
    db.close().await.ok();
    std::fs::remove_dir_all(&dir).ok();
}

/// Nothing secret reaches the log, at TRACE, from authstore or anything it
/// runs on (sea-orm, sqlx, hyper), on every backend: not the database
/// password (sea-orm's connect span prints its options, URL included),
/// the app's secret, a user's password, or a session id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_trace_log_on_any_backend() {
    use authstore_tests::{Backend, TestDb};
    use sea_orm::ConnectionTrait;

    const DB_PASSWORD: &str = "Db-Pa55word-that-must-not-leak";
    const APP_SECRET: &str = "app-secret-that-must-not-leak-0123456789";
    const USER_PASSWORD: &str = "user password that must not leak";
    let backends = [Backend::Sqlite, Backend::Postgres, Backend::MySql];
    // A database holds one profile: each run gets its own.
    for (backend, profile) in backends
        .into_iter()
        .flat_map(|backend| [(backend, "lucia-v1"), (backend, "next-auth-v3")])
    {
        let Some(db) = TestDb::create(backend, "trace_log").await else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{backend:?} is required in CI"
            );
            continue;
        };
        // A URL with a password: PostgreSQL's trust authentication ignores
        // it; on MariaDB it is a user of the test's own with that password.
        let mut url = url::Url::parse(&db.url).unwrap();
        let mysql_user = |host| format!("'authstore_log'@'{host}'");
        match backend {
            Backend::Sqlite => {}
            Backend::Postgres => url.set_password(Some(DB_PASSWORD)).unwrap(),
            Backend::MySql => {
                for host in ["%", "localhost"] {
                    let user = mysql_user(host);
                    db.conn
                        .execute_unprepared(&format!(
                            "CREATE OR REPLACE USER {user} IDENTIFIED BY '{DB_PASSWORD}'"
                        ))
                        .await
                        .unwrap();
                    db.conn
                        .execute_unprepared(&format!("GRANT ALL ON `{}`.* TO {user}", db.name))
                        .await
                        .unwrap();
                }
                url.set_username("authstore_log").unwrap();
                url.set_password(Some(DB_PASSWORD)).unwrap();
            }
        }
        let log = trace_log_of_a_session(profile, url.as_str(), APP_SECRET, USER_PASSWORD).await;
        assert!(
            log.lines().count() > 5,
            "{backend:?} {profile}: a TRACE log: {log}"
        );
        for (what, secret) in [
            ("the database password", DB_PASSWORD),
            ("the app's secret", APP_SECRET),
            ("a user's password", USER_PASSWORD),
        ] {
            assert!(
                !log.contains(secret),
                "{backend:?} {profile}: {what} in the log:\n{log}"
            );
        }
        let leaked = log_session_ids(&log);
        assert!(
            leaked.is_empty(),
            "{backend:?} {profile}: session ids in the log: {leaked:?}"
        );
        if backend == Backend::MySql {
            for host in ["%", "localhost"] {
                let drop = format!("DROP USER IF EXISTS {}", mysql_user(host));
                db.conn.execute_unprepared(&drop).await.unwrap();
            }
        }
        db.destroy().await;
    }
}

/// Session ids the server handed out (recorded by [`trace_log_of_a_session`]
/// as `SESSION-ID <id>` lines) that appear anywhere else in the log.
fn log_session_ids(log: &str) -> Vec<String> {
    let ids: Vec<&str> = log
        .lines()
        .filter_map(|line| line.strip_prefix("SESSION-ID "))
        .collect();
    ids.iter()
        .filter(|id| log.matches(*id).count() > 1)
        .map(|id| id.to_string())
        .collect()
}

/// Runs the server at TRACE on `database_url` with `profile`, signs a user
/// up and in (lucia-v1) or asks for a link (next-auth), and returns its
/// whole output, followed by a `SESSION-ID` line for each session id it
/// set in a cookie.
async fn trace_log_of_a_session(
    profile: &str,
    database_url: &str,
    secret: &str,
    password: &str,
) -> String {
    let dir = work_dir(&format!("trace-{profile}"));
    let port = free_port();
    let mut child = command(&dir)
        .env("PORT", port.to_string())
        .env("RUST_LOG", "trace")
        .env("DATABASE_URL", database_url)
        .env("AUTHSTORE_PROFILE", profile)
        .env("AUTHSTORE_SECRET", secret)
        .spawn()
        .unwrap();
    if let Err(why) =
        tokio::time::timeout(Duration::from_secs(60), wait_until_up(port, &mut child)).await
    {
        panic!("{why}");
    }
    let client = reqwest::Client::builder().build().unwrap();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let credentials = json!({ "email": "ada@example.com", "password": password });
    let mut sessions = Vec::new();
    let mut remember = |response: &reqwest::Response| {
        for cookie in response.cookies() {
            if !cookie.value().is_empty() {
                sessions.push(cookie.value().to_owned());
            }
        }
    };
    if profile == "lucia-v1" {
        let up = client
            .post(url("/auth/signup"))
            .json(&credentials)
            .send()
            .await
            .unwrap();
        assert_eq!(up.status(), 201);
        remember(&up);
        let wrong = json!({ "email": "ada@example.com", "password": format!("{password}!") });
        let refused = client
            .post(url("/auth/signin"))
            .json(&wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        let signed_in = client
            .post(url("/auth/signin"))
            .json(&credentials)
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), 200);
        remember(&signed_in);
        let cookie = format!("auth_session={}", sessions.last().unwrap());
        let current = client
            .get(url("/auth/session"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(current.status(), 200);
    } else {
        let sent = client
            .post(url("/auth/email"))
            .json(&json!({ "email": "ada@example.com" }))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 202);
    }
    sigterm(&child);
    let output = run_with_timeout(child, Duration::from_secs(30));
    std::fs::remove_dir_all(&dir).ok();
    let mut log = String::from_utf8_lossy(&output.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&output.stderr));
    for session in sessions {
        log.push_str(&format!("\nSESSION-ID {session}"));
    }
    log
}

/// `AUTHSTORE_TRUSTED_ORIGINS` and `AUTHSTORE_TRUSTED_PROXIES` that are no
/// origins or addresses stop the server, naming the setting and the entry.
#[test]
fn bad_trusted_origins_or_proxies_are_named() {
    let dir = work_dir("bad-trust");
    let stderr = refused(command(&dir).env(
        "AUTHSTORE_TRUSTED_ORIGINS",
        "https://app.example.com, app.example.com",
    ));
    assert!(
        stderr.contains("AUTHSTORE_TRUSTED_ORIGINS") && stderr.contains("\"app.example.com\""),
        "{stderr}"
    );
    let stderr = refused(command(&dir).env("AUTHSTORE_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.0/33"));
    assert!(
        stderr.contains("AUTHSTORE_TRUSTED_PROXIES") && stderr.contains("10.0.0.0/33"),
        "{stderr}"
    );
}

/// A replica that is down at start is no reason to stop: the server comes
/// up on the primary at once and says so once. A replica URL naming another
/// database of the replica's cluster stops it, naming both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_down_at_start_waits_and_another_database_is_refused() {
    use authstore_tests::{Backend, TestDb};
    let Some(db) = TestDb::create(Backend::Postgres, "server_replica").await else {
        return;
    };
    let dir = work_dir("replica-down");
    let port = free_port();
    let started = Instant::now();
    let mut child = command(&dir)
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &db.url)
        .env(
            "DATABASE_REPLICA_URL",
            "postgres://postgres@127.0.0.1:1/nothing_here",
        )
        .spawn()
        .unwrap();
    wait_until_up(port, &mut child).await;
    let up_after = started.elapsed();
    sigterm(&child);
    let output = run_with_timeout(child, Duration::from_secs(30));
    let log = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(up_after < Duration::from_secs(20), "up after {up_after:?}");
    assert_eq!(
        log.matches("read replica not reachable").count(),
        1,
        "one warning: {log}"
    );

    let replica_server = authstore_tests::scale_out::replica_server();
    let other = format!("{replica_server}/postgres");
    let stderr = refused(
        command(&dir)
            .env("DATABASE_URL", &db.url)
            .env("DATABASE_REPLICA_URL", &other),
    );
    assert!(
        stderr.contains("not a copy of the primary's database")
            && stderr.contains(&format!("{:?}", db.name))
            && stderr.contains("\"postgres\""),
        "{stderr}"
    );
    db.destroy().await;
}

/// Behind a proxy named in `AUTHSTORE_TRUSTED_PROXIES`, clients are told
/// apart by the hop the proxy appended, so one client's limit is not
/// everyone's; and a page at an origin of `AUTHSTORE_TRUSTED_ORIGINS`
/// reaches the handlers with `Sec-Fetch-Site: same-site`, while another
/// site's page does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_proxies_and_origins_are_heeded() {
    let dir = work_dir("trusted");
    let port = free_port();
    let mut child = command(&dir)
        .env("PORT", port.to_string())
        .env("AUTHSTORE_TRUSTED_PROXIES", "127.0.0.1")
        .env("AUTHSTORE_TRUSTED_ORIGINS", "https://app.example.com")
        .env("AUTHSTORE_LINKS_PER_CLIENT_PER_HOUR", "1")
        .arg("--dev-outbox")
        .spawn()
        .unwrap();
    wait_until_up(port, &mut child).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let link_for = async |client_address: &str, email: &str| {
        client
            .post(url("/auth/email"))
            .header("x-forwarded-for", format!("198.51.100.1, {client_address}"))
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(link_for("203.0.113.1", "ada@example.com").await, 202);
    assert_eq!(
        link_for("203.0.113.1", "bob@example.com").await,
        429,
        "one link per client"
    );
    assert_eq!(
        link_for("203.0.113.2", "bob@example.com").await,
        202,
        "another client's own"
    );

    let sign_out = async |origin: &str| {
        client
            .post(url("/auth/signout"))
            .header("sec-fetch-site", "same-site")
            .header("origin", origin)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(
        sign_out("https://app.example.com").await,
        401,
        "reaches the handler"
    );
    assert_eq!(sign_out("https://evil.example.com").await, 403);
    sigterm(&child);
    run_with_timeout(child, Duration::from_secs(30));
    std::fs::remove_dir_all(&dir).ok();
}

/// The server on `AUTHSTORE_PROFILE=authjs-prisma` over the tables of
/// next-auth 4's docs' Prisma models serves them as that shape: it reads
/// the app's session, and the sessions it starts carry the CUID `id` those
/// tables need (today's shape's store would fail on them).
#[tokio::test]
async fn the_server_finds_next_auth_4s_prisma_tables_and_serves_them() {
    use authstore_tests::authjs::{PRISMA_V4_SCHEMA, made_as_the_adapter_makes};
    use authstore_tests::{Backend, TestDb};
    use sea_orm::ConnectionTrait;

    let Some(db) = TestDb::create(Backend::Postgres, "server_prisma_v4").await else {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL is required in CI"
        );
        return;
    };
    db.conn.execute_unprepared(PRISMA_V4_SCHEMA).await.unwrap();
    db.conn
        .execute_unprepared(
            r#"INSERT INTO "User" (id, email) VALUES ('cmada00000000000000000001', 'ada@example.com');
               INSERT INTO "Session" (id, "sessionToken", "userId", expires)
               VALUES ('cmses00000000000000000001', '5e1f0c9e-5555-4aaa-8bbb-0123456789ab',
                       'cmada00000000000000000001', '2099-01-01');"#,
        )
        .await
        .unwrap();
    let dir = work_dir("prisma-v4");
    let port = free_port();
    let mut child = command(&dir)
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &db.url)
        .env("AUTHSTORE_PROFILE", "authjs-prisma")
        .env(
            "AUTHSTORE_SECRET",
            "an Auth.js app's secret, 32 chars or more",
        )
        .arg("--dev-outbox")
        .spawn()
        .unwrap();
    wait_until_up(port, &mut child).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let theirs = client
        .get(url("/auth/session"))
        .header(
            "cookie",
            "authjs.session-token=5e1f0c9e-5555-4aaa-8bbb-0123456789ab",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 200);
    let body: Value = theirs.json().await.unwrap();
    assert_eq!(body["user"]["id"], "cmada00000000000000000001");

    let link = url::Url::parse(&outbox_link(&client, port, "grace@example.com").await).unwrap();
    let (_, token) = link.query_pairs().find(|(key, _)| key == "token").unwrap();
    let signed_in = client
        .post(url("/auth/email/callback"))
        .json(&json!({ "email": "grace@example.com", "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let ids = db
        .strings(r#"SELECT s.id AS name FROM "Session" s JOIN "User" u ON u.id = s."userId" WHERE u.email = 'grace@example.com'"#)
        .await;
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(
        made_as_the_adapter_makes::<authstore::authjs::PrismaV4Adapter>(&ids[0]),
        "a CUID, as Prisma's client makes: {ids:?}"
    );
    sigterm(&child);
    run_with_timeout(child, Duration::from_secs(30));
    std::fs::remove_dir_all(&dir).ok();
    db.destroy().await;
}
