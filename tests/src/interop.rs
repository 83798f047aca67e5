//! The real JS auth systems, driven under Node by the scripts in
//! `tests/interop/` (installed by `npm ci --prefix tests/interop`), for the
//! interop tests.

use std::process::Command;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};

/// The secret both sides hash verification tokens with.
pub const SECRET: &str = "shared-between-rust-and-next-auth";
/// next-auth's session `maxAge`, in seconds.
pub const MAX_AGE: i64 = 30 * 24 * 60 * 60;
/// next-auth's session `updateAge`, in seconds.
pub const UPDATE_AGE: i64 = 24 * 60 * 60;

/// One of next-auth's adapters on one database.
pub struct NextAuth {
    /// The driver script in `tests/interop/`, e.g. `nextauth.js`.
    pub script: &'static str,
    /// The database both sides share.
    pub url: String,
    /// The Node process's `TZ` (next-auth 2.0 beta writes wall-clock times
    /// in it); `None` leaves the environment's.
    pub tz: Option<&'static str>,
    /// Let TypeORM create the tables (next-auth 2.0 beta's `synchronize`).
    pub synchronize: bool,
    /// The adapter, for a script that drives several (authjs.mjs:
    /// `"drizzle"`); `None` for its default.
    pub adapter: Option<&'static str>,
}

impl NextAuth {
    /// The driver `script` on the database at `url`.
    pub fn new(script: &'static str, url: &str) -> Self {
        NextAuth {
            script,
            url: url.to_owned(),
            tz: None,
            synchronize: false,
            adapter: None,
        }
    }

    /// Runs adapter calls in order; `"$N"` / `"$N.field"` refer to earlier
    /// results (see `tests/interop/ops.js`).
    pub fn run(&self, ops: Value) -> Vec<Value> {
        self.run_with(json!({}), ops)
    }

    /// [`NextAuth::run`] with more settings for the script (each script
    /// says which it reads, e.g. lucia3.mjs's `expiresInMs` and `now`).
    pub fn run_with(&self, settings: Value, ops: Value) -> Vec<Value> {
        let mut input = json!({
            "url": self.url, "secret": SECRET, "maxAge": MAX_AGE, "updateAge": UPDATE_AGE,
            "synchronize": self.synchronize, "adapter": self.adapter, "ops": ops,
        });
        if let (Some(input), Some(settings)) = (input.as_object_mut(), settings.as_object()) {
            input.extend(settings.clone());
        }
        let script = format!("{}/interop/{}", env!("CARGO_MANIFEST_DIR"), self.script);
        let mut node = Command::new("node");
        node.arg(script).arg(input.to_string());
        if let Some(tz) = self.tz {
            node.env("TZ", tz);
        }
        let output = node.output().expect("run node");
        assert!(
            output.status.success(),
            "next-auth failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("next-auth's results as JSON")
    }
}

/// Whether `npm ci --prefix tests/interop` has run; without it the tests
/// skip with a note, except in CI, where they fail.
pub fn installed() -> bool {
    installed_at("node_modules/next-auth-v2-beta", "tests/interop")
}

/// Whether better-auth is installed in `tests/interop/better-auth`, its own
/// package (next-auth 3 and better-auth need different majors of `jose`).
pub fn better_auth_installed() -> bool {
    installed_at(
        "better-auth/node_modules/better-auth",
        "tests/interop/better-auth",
    )
}

/// Whether Auth.js and its adapters are installed in
/// `tests/interop/authjs`, their own package (next-auth 3 pins an older
/// `jose`).
pub fn authjs_installed() -> bool {
    installed_at("authjs/node_modules/@auth/core", "tests/interop/authjs")
}

/// Whether `package` is in `tests/interop/`; without it the tests skip
/// with a note, except in CI, where they fail.
fn installed_at(package: &str, prefix: &str) -> bool {
    let path = format!("{}/interop/{package}", env!("CARGO_MANIFEST_DIR"));
    let installed = std::path::Path::new(&path).exists();
    if !installed {
        let why = format!("the interop packages are not installed: run `npm ci --prefix {prefix}`");
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
    }
    installed
}

/// A date as next-auth prints it.
pub fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .expect("an ISO date")
        .parse()
        .expect("parse date")
}

/// JavaScript dates carry milliseconds.
pub fn ms(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(3)
}

/// The store with its clock stopped at `at`, to read or write as of another
/// time than the JS side's.
pub fn with_clock(store: &authstore::AuthStore, at: DateTime<Utc>) -> authstore::AuthStore {
    store.clone().with_clock(move || at)
}
