//! The migration CLI picks its schema by `AUTHSTORE_PROFILE`.

use std::process::Command;

const CLI: &str = env!("CARGO_BIN_EXE_authstore-migration");

#[test]
fn an_unknown_profile_is_refused_with_the_known_names() {
    let output = Command::new(CLI)
        .env("AUTHSTORE_PROFILE", "next-auth-v9")
        .env("DATABASE_URL", "sqlite::memory:")
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("unknown profile \"next-auth-v9\"") && stderr.contains("next-auth-v3"),
        "{stderr}"
    );
}

#[test]
fn the_named_profile_is_migrated() {
    let dir = std::env::temp_dir().join(format!("authstore-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/cli.sqlite?mode=rwc", dir.display());
    for (profile, last_migration) in [
        (None, "m20261122_000002_authstore_exact_comparison"),
        (
            Some("next-auth-v3"),
            "m20261122_000002_authstore_exact_comparison",
        ),
        (
            Some("next-auth-v4-beta"),
            "m20261122_000102_authstore_v4_beta_exact_comparison",
        ),
    ] {
        let mut command = Command::new(CLI);
        command.env("DATABASE_URL", &url).arg("fresh");
        match profile {
            Some(name) => command.env("AUTHSTORE_PROFILE", name),
            None => command.env_remove("AUTHSTORE_PROFILE"),
        };
        let output = command.output().unwrap();
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{profile:?}: {printed}");
        assert!(printed.contains(last_migration), "{profile:?}: {printed}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `carry-over` from a next-auth v3 SQLite file into a better-auth one: the
/// dry run writes nothing (not even the schema), the run carries and
/// reports, and a refused argument stops it before anything is written.
#[tokio::test]
async fn carry_over_reports_and_writes_only_when_not_dry() {
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database};
    let dir = std::env::temp_dir().join(format!("authstore-carry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = format!("sqlite://{}/source.sqlite?mode=rwc", dir.display());
    let target = format!("sqlite://{}/target.sqlite?mode=rwc", dir.display());
    let up = Command::new(CLI)
        .env("AUTHSTORE_PROFILE", "next-auth-v3")
        .env("DATABASE_URL", &source)
        .arg("up")
        .output()
        .unwrap();
    assert!(up.status.success());
    let db = Database::connect(&source).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO users (id, name, email, created_at, updated_at) VALUES
           (1, 'Ada', 'Ada@Example.com', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00'),
           (2, 'Nobody', NULL, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00');
         INSERT INTO sessions (id, user_id, expires, session_token, access_token, created_at, updated_at) VALUES
           (1, 1, '2099-01-01 00:00:00+00:00', 'live-token-of-ada', 'a', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00'),
           (2, 1, '2020-01-01 00:00:00+00:00', 'dead-token-of-ada', 'b', '2019-01-01 00:00:00+00:00', '2019-01-01 00:00:00+00:00');",
    )
    .await
    .unwrap();
    db.close().await.unwrap();
    let carry = |extra: &[&str]| {
        let output = Command::new(CLI)
            .env("AUTHSTORE_PROFILE", "better-auth")
            .env("DATABASE_URL", &target)
            .args(["carry-over", "--from", "next-auth-v3", "--source", &source])
            .args(extra)
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&output.stdout).into_owned();
        (
            output.status.code(),
            printed,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let tables = || async {
        let db = Database::connect(&target).await.unwrap();
        let rows = db
            .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT name FROM sqlite_master WHERE type = 'table'",
            ))
            .await
            .unwrap();
        db.close().await.unwrap();
        rows.len()
    };

    let (code, _, stderr) = carry(&["--batch", "0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--batch"), "{stderr}");
    let (code, printed, stderr) = carry(&["--dry-run"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        printed.contains("would carry: 1 users, 0 OAuth accounts, 0 passwords, 1 live sessions"),
        "{printed}"
    );
    assert!(printed.contains("user 2: no address"), "{printed}");
    assert_eq!(
        tables().await,
        0,
        "a dry run writes nothing, not even the schema"
    );

    let (code, printed, stderr) = carry(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        printed.contains("carried: 1 users, 0 OAuth accounts, 0 passwords, 1 live sessions"),
        "{printed}"
    );
    assert!(printed.contains("dead sessions skipped: 1"), "{printed}");
    assert!(tables().await >= 5, "migrated and carried");
    std::fs::remove_dir_all(&dir).ok();
}

/// No path of `carry-over` prints a password: an unparsable URL, one that
/// parses but reaches no server, either as `--source` or as `DATABASE_URL`.
/// A `--batch` over the backend's parameter limit is refused before the
/// target is migrated.
#[test]
fn carry_over_names_no_password_and_checks_the_batch_first() {
    let dir = std::env::temp_dir().join(format!("authstore-carry-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = format!("sqlite://{}/source.sqlite?mode=rwc", dir.display());
    let target = format!("sqlite://{}/target.sqlite?mode=rwc", dir.display());
    let secret = "pw-s3cret-Xy";
    let run = |source: &str, target: &str, extra: &[&str]| {
        let output = Command::new(CLI)
            .env("AUTHSTORE_PROFILE", "better-auth")
            .env("DATABASE_URL", target)
            .env("RUST_LOG", "trace")
            .args(["carry-over", "--from", "next-auth-v3", "--source", source])
            .args(extra)
            .output()
            .unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code(), printed)
    };
    let unparsable = format!("postgres://ada:{secret}@[not-a-host/app");
    let unreachable = format!("postgres://ada:{secret}@127.0.0.1:1/app");
    let mysql_unreachable = format!("mysql://ada:{secret}@127.0.0.1:1/app");
    let up = Command::new(CLI)
        .env("AUTHSTORE_PROFILE", "next-auth-v3")
        .env("DATABASE_URL", &good)
        .arg("up")
        .output()
        .unwrap();
    assert!(up.status.success());
    for (source, target, shown) in [
        (unparsable.as_str(), target.as_str(), None),
        (
            unreachable.as_str(),
            target.as_str(),
            Some("postgres://ada:***@127.0.0.1:1/app"),
        ),
        (good.as_str(), unparsable.as_str(), None),
        (
            good.as_str(),
            mysql_unreachable.as_str(),
            Some("mysql://ada:***@127.0.0.1:1/app"),
        ),
    ] {
        let (code, printed) = run(source, target, &[]);
        assert_eq!(code, Some(2), "{printed}");
        assert!(!printed.contains(secret), "a password printed: {printed}");
        if let Some(shown) = shown {
            assert!(
                printed.contains(shown),
                "the URL is named, without its password: {printed}"
            );
        }
    }

    let (code, printed) = run(&good, &target, &["--batch", "4681"]);
    assert_eq!(code, Some(2), "{printed}");
    assert!(printed.contains("--batch"), "{printed}");
    assert!(
        !dir.join("target.sqlite").exists()
            || std::fs::metadata(dir.join("target.sqlite")).unwrap().len() == 0,
        "nothing migrated before the batch was checked"
    );
    let (code, printed) = run(&good, &target, &["--batch", "4680", "--dry-run"]);
    assert_eq!(code, Some(0), "SQLite's largest batch: {printed}");
    std::fs::remove_dir_all(&dir).ok();
}
