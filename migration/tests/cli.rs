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
