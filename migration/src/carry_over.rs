//! The `carry-over` command: its arguments, the progress bar and the
//! printed report around `authstore::better_auth::carry_over`.

use std::process::ExitCode;

use authstore::better_auth::carry_over::{CarryOver, CarryOverReport, LeftBehind, Source};
use authstore_migration::{Profile, ProfileMigrations};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm_migration::sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// The parsed command line.
struct Args {
    from: Profile,
    source: String,
    dry_run: bool,
    another_source: bool,
    password_checks: Option<u64>,
    batch: Option<u64>,
    email_column: Option<String>,
    password_column: Option<String>,
}

const USAGE: &str = "usage: AUTHSTORE_PROFILE=better-auth DATABASE_URL=<target> authstore-migration carry-over \
--from <profile> --source <url> [--dry-run] [--another-source] [--batch <users>] [--password-checks <hashes>] [--email-column <column>] [--password-column <column>]";

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut from, mut source, mut dry_run, mut batch) = (None, None, false, None);
    let mut another_source = false;
    let mut password_checks = None;
    let (mut email_column, mut password_column) = (None, None);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--from" => from = Some(Profile::from_name(&value("--from")?)?),
            "--source" => source = Some(value("--source")?),
            "--dry-run" => dry_run = true,
            "--another-source" => another_source = true,
            "--password-checks" => {
                password_checks = Some(
                    value("--password-checks")?
                        .parse()
                        .map_err(|_| "--password-checks takes a number of hashes")?,
                )
            }
            "--batch" => {
                batch = Some(
                    value("--batch")?
                        .parse()
                        .map_err(|_| "--batch takes a number of users")?,
                )
            }
            "--email-column" => email_column = Some(value("--email-column")?),
            "--password-column" => password_column = Some(value("--password-column")?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        from: from.ok_or("--from is required")?,
        source: source.ok_or("--source is required")?,
        dry_run,
        another_source,
        password_checks,
        batch,
        email_column,
        password_column,
    })
}

pub(crate) async fn main(args: impl Iterator<Item = String>) -> ExitCode {
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("authstore-migration carry-over: {why}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let args = parse(args)?;
    match Profile::from_env()? {
        Profile::BetterAuth => {}
        other => {
            return Err(format!(
                "AUTHSTORE_PROFILE is {other}: the target must be better-auth"
            ));
        }
    }
    // Every argument is checked before anything is written.
    if args.from == Profile::LuciaV3 && args.email_column.is_none() {
        return Err(
            "--from lucia-v3: Lucia v3 keeps no address; name the auth_user column \
                    that holds it with --email-column"
                .into(),
        );
    }
    let from = Source::of(
        args.from,
        args.email_column.as_deref(),
        args.password_column.as_deref(),
    )
    .map_err(|err| format!("--from {}: {err}", args.from))?;
    let mut carry = CarryOver::new(from)
        .dry_run(args.dry_run)
        .another_source(args.another_source);
    if let Some(hashes) = args.password_checks {
        carry = carry.password_checks(hashes);
    }
    if let Some(batch) = args.batch {
        carry = carry
            .batch(batch)
            .map_err(|err| format!("--batch: {err}"))?;
    }
    let target_url =
        std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL (the target) is not set")?;
    let source = connect(&args.source, "--source").await?;
    let target = connect(&target_url, "DATABASE_URL").await?;
    carry
        .check_batch(source.get_database_backend(), target.get_database_backend())
        .map_err(|err| format!("--batch: {err}"))?;
    if args.dry_run {
        eprintln!("dry run: nothing is written");
    } else {
        Profile::BetterAuth
            .up(&target)
            .await
            .map_err(|err| format!("migrating the target: {err}"))?;
    }
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} users, {per_sec}, {eta} left")
            .expect("a valid template"),
    );
    let report = carry
        .run(&source, &target, |progress| {
            bar.set_length(progress.total);
            bar.set_position(progress.done);
        })
        .await
        .map_err(|err| format!("{err}: {}", source_of(&err)))?;
    bar.finish();
    print(&report, args.dry_run);
    Ok(())
}

/// How long a database may take to answer the first connection.
const CONNECT_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Connects to `url`; an error names the URL without its password, and
/// never repeats what the driver said of a URL it could not parse (which
/// may quote it whole).
async fn connect(url: &str, name: &str) -> Result<DatabaseConnection, String> {
    let parsed = url::Url::parse(url).map_err(|err| {
        format!("{name}: not a database URL ({err}); it is not shown, as it may hold a password")
    })?;
    let shown = redacted(&parsed);
    let mut options = ConnectOptions::new(url);
    // sqlx logs each statement, and a failed connection, at INFO and WARN.
    options.sqlx_logging(false);
    // A wrong host or port fails in seconds, not after the pool's retries.
    options
        .connect_timeout(CONNECT_WITHIN)
        .acquire_timeout(CONNECT_WITHIN);
    Database::connect(options).await.map_err(|err| {
        let mut said = err.to_string();
        for secret in [Some(url.to_owned()), parsed.password().map(str::to_owned)]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
        {
            said = said.replace(&secret, "***");
        }
        format!("{name} ({shown}): cannot connect: {said}")
    })
}

/// `url` with its password, if any, as `***`.
fn redacted(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

/// What the database said under `err`, unless it may quote a value: a
/// unique-key violation's message names the duplicated value on MySQL (a
/// session token among them), so it is only named.
fn source_of(err: &authstore::Error) -> String {
    use sea_orm_migration::sea_orm::SqlErr;
    if let authstore::Error::Database(db) = err
        && matches!(db.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
    {
        return "a row of the target already holds one of this batch's unique values \
                (an address or a session token); nothing of the batch was written"
            .into();
    }
    std::error::Error::source(err).map_or_else(String::new, ToString::to_string)
}

fn print(report: &CarryOverReport, dry_run: bool) {
    let verb = if dry_run { "would carry" } else { "carried" };
    println!(
        "{verb}: {} users, {} OAuth accounts, {} passwords, {} live sessions",
        report.users, report.accounts, report.passwords, report.sessions
    );
    println!(
        "dead sessions skipped: {}; carried sessions ended (gone from the source): {}; \
         deleted in better-auth since an earlier run, not re-created: {}",
        report.dead_sessions, report.ended_sessions, report.deleted_since
    );
    println!(
        "removed (gone from the source): {} users, {} OAuth accounts and passwords",
        report.removed_users, report.removed_accounts
    );
    if report.left_behind.is_empty() {
        println!("left behind: nothing");
        return;
    }
    println!("left behind or changed ({}):", report.left_behind.len());
    for item in &report.left_behind {
        let line = match item {
            LeftBehind::NoAddress { user_id } => format!("user {user_id}: no address; not carried"),
            LeftBehind::BadAddress { user_id } => {
                format!("user {user_id}: the address is invalid; not carried")
            }
            LeftBehind::SameAddress { address, user_ids } => format!(
                "users {}: one address once lowercased ({address}); none carried, merge them by hand",
                user_ids.join(", ")
            ),
            LeftBehind::AddressTaken { user_id } => {
                format!("user {user_id}: a better-auth user has this address already; not carried")
            }
            LeftBehind::IdTaken { user_id } => format!(
                "user {user_id}: the id is a better-auth user's that this source did not carry; not carried"
            ),
            LeftBehind::AccountIdTaken { account_id } => format!(
                "account {account_id}: the id is an account that this source did not carry; not carried"
            ),
            LeftBehind::Unstorable { user_id, field } => {
                format!("user {user_id}: the target cannot hold the {field}; not carried")
            }
            LeftBehind::EmptyPassword { user_id } => format!(
                "user {user_id}: the password hash is of the empty password, which lucia-auth refuses; \
                 carried without a password"
            ),
            LeftBehind::PasswordNotChecked { user_id } => format!(
                "user {user_id}: the password is not checked yet (--password-checks); \
                 carried without it this time, a later run brings it"
            ),
            LeftBehind::IdTooLong { user_id } => {
                format!(
                    "user {user_id}: the id is longer than better-auth's 36 characters; not carried"
                )
            }
            LeftBehind::OldPassword { user_id } => format!(
                "user {user_id}: lucia-auth 0.x password hash; carried marked, rewritten at their next \
                 sign-in through authstore, refused by better-auth until then"
            ),
            LeftBehind::UnusablePassword { user_id } => {
                format!(
                    "user {user_id}: password hash no better-auth reader checks (or no hash); carried without a password"
                )
            }
            LeftBehind::SharedAccount { user_id, provider } => format!(
                "user {user_id}: their {provider} account is linked to another user too; \
                 carried for neither, link it again in better-auth"
            ),
            LeftBehind::SharedSessionToken { user_id } => format!(
                "user {user_id}: a session token another session holds too; not carried, \
                 they sign in again"
            ),
            _ => format!("{item:?}"),
        };
        println!("  {line}");
    }
}
