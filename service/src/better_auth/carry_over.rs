//! Carrying an older profile's users into a `better-auth` database, with
//! nobody signed out: users (ids kept), OAuth accounts, passwords and live
//! sessions (tokens and expiry kept), in batches, as often as needed while
//! the old app keeps working.
//!
//! The rules, each for a reason:
//! - **Addresses** are made canonical and lowercased (better-auth looks them
//!   up lowercased). Two source users whose addresses become one, a user
//!   whose address another user of the target already has, a user with no
//!   address or an address that is no address: each is listed in the
//!   report with its ids and not carried, never merged or dropped silently.
//! - **Passwords** are re-encoded without the plaintext: lucia-auth v1's
//!   `s2:` hashes lose the prefix; lucia-auth 0.x hashes are carried behind
//!   a mark and listed (better-auth cannot check them; authstore's
//!   [`BetterAuthStore::sign_in_with_password`](super::BetterAuthStore::sign_in_with_password)
//!   does, and rewrites them); bcrypt hashes are listed and left behind.
//! - **Sessions** that are live in the source keep their token and expiry;
//!   dead ones are not carried.
//! - **Runs repeat, and the source is the record of truth** until the
//!   cutover: each run brings the source's changes *and its removals* for
//!   what the carry-over itself carried (a deleted user, an unlinked or
//!   relinked OAuth account, a removed or changed password, a signed-out or
//!   expired session), and never touches a row the better-auth app made.
//!   It never re-creates a carried user, account or session the better-auth
//!   app deleted since (a user who left, an unlink, a sign-out):
//!   authstore's table `authstore_carried` remembers what was carried, and
//!   from where. A carried session better-auth deleted once it expired is
//!   carried again while the source keeps it alive.
//! - **Addresses compare as the target compares.** On MySQL/MariaDB
//!   better-auth's `email` keeps the server's collation (case- and
//!   accent-insensitive by default), so two addresses the collation takes
//!   for one are one collision there, decided by the server's own sort keys;
//!   a write keyed by a carried id never lands on another row.
//! - **One source.** The first run records the source's identity (the
//!   server's own id and the database's name); a run from another source
//!   is refused ([`CarryOverRefusal::AnotherSource`]) unless
//!   [`CarryOver::another_source`] says so, and then ids another source or
//!   the better-auth app holds are listed, never overwritten.
//! - **One run at a time**: a run holds a lock the target keeps
//!   ([`CarryOverRefusal::AlreadyRunning`] for a second).
//! - **No credential the source refused**: a lucia-auth hash of the empty
//!   password (lucia-auth refuses an empty password at sign-in; better-auth
//!   would accept it) and a value that is no hash are listed, not carried.
//! - **A dry run decides exactly as a real run**, and a row the target
//!   cannot hold (a time outside MySQL's `TIMESTAMP`) lists its user, who is
//!   skipped, rather than failing the run.
//!
//! ```
//! use authstore::better_auth::carry_over::{CarryOver, Source};
//! use authstore::entity::Profile;
//! use authstore_migration::ProfileMigrations;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! Profile::LuciaV1.up(&db).await?; // the old app's tables...
//! Profile::BetterAuth.up(&db).await?; // ...and better-auth's, beside them
//! let report = CarryOver::new(Source::LuciaV1).run(&db, &db, |_| {}).await?;
//! assert_eq!(report.users, 0);
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};

use authstore_entity::Profile;
use authstore_entity::better_auth::{BETTER_AUTH, BetterAuthTime, column as col};
use authstore_entity::descriptor::{
    AuthJsIds, AuthJsSchema, Descriptor, LUCIA_V1, LUCIA_V3, NextAuthSchema, StoredTime,
};
use authstore_entity::own_tables::{CARRIED, CARRIED_SOURCES};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, TransactionTrait, Value,
};
use sha2::{Digest, Sha256};

use validator::ValidationError;

use super::password::{self, Checked};
use super::storage::{ACCOUNT_KEY, CLOCKS, SESSION_COLUMNS, USER_COLUMNS};
use crate::authjs;
use crate::backend::{self, Collation, Exclusive};
use crate::rules;
use crate::rules::email::canonical;
use crate::rules::error::{CarryOverRefusal, ConfigError, Error};

/// Where the users come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// One of the next-auth profiles.
    NextAuth(Profile),
    /// Lucia v3: addresses from the users table's attribute column
    /// `email_column`, and, if the app kept them there, passwords in oslo's
    /// scrypt format (better-auth's own) from `password_column`.
    LuciaV3 {
        /// The `auth_user` column holding the address.
        email_column: String,
        /// The `auth_user` column holding a password hash, if any.
        password_column: Option<String>,
    },
    /// lucia-auth v1: the address and password from the user's `email:`
    /// key; other keys (`github:583231`) become OAuth accounts.
    LuciaV1,
    /// An Auth.js adapter's tables (`authjs-pg`, `authjs-drizzle`): users,
    /// OAuth accounts with their tokens, and database sessions.
    AuthJs(Profile),
}

impl Source {
    /// The source for a profile. Lucia v3 needs the column the app keeps
    /// addresses in ([`Error::Validation`] on `email_column` without it); a
    /// better-auth source is [`Error::Validation`] on `from`.
    pub fn of(
        profile: Profile,
        email_column: Option<&str>,
        password_column: Option<&str>,
    ) -> Result<Source, Error> {
        match (profile.descriptor(), email_column) {
            (Descriptor::NextAuth(_), _) => Ok(Source::NextAuth(profile)),
            (Descriptor::LuciaV1(_), _) => Ok(Source::LuciaV1),
            (Descriptor::LuciaV3(_), Some(column)) => Ok(Source::LuciaV3 {
                email_column: column.to_owned(),
                password_column: password_column.map(str::to_owned),
            }),
            (Descriptor::LuciaV3(_), None) => Err(rules::invalid(
                "email_column",
                ValidationError::new("lucia_v3_keeps_no_address"),
            )),
            (Descriptor::BetterAuth(_), _) => Err(rules::invalid(
                "from",
                ValidationError::new("already_better_auth"),
            )),
            (Descriptor::AuthJs(_), _) => Ok(Source::AuthJs(profile)),
        }
    }

    /// The profile read.
    pub fn profile(&self) -> Profile {
        match self {
            Source::NextAuth(profile) | Source::AuthJs(profile) => *profile,
            Source::LuciaV3 { .. } => Profile::LuciaV3,
            Source::LuciaV1 => Profile::LuciaV1,
        }
    }
}

/// A source's identity: its database's, and the profile read from it. Two
/// old systems whose tables share one database (their names need not
/// clash) are two sources: one's run never takes the other's users for its
/// own, nor sweeps them away.
async fn source_identity(db: &impl ConnectionTrait, profile: Profile) -> Result<String, DbErr> {
    Ok(format!(
        "{}, profile {}",
        backend::identity(db).await?,
        profile.name()
    ))
}

/// A carry-over's settings. [`CarryOver::run`] does the work.
#[derive(Clone, Debug)]
pub struct CarryOver {
    source: Source,
    batch: u64,
    dry_run: bool,
    now: Option<DateTime<Utc>>,
    another_source: bool,
    password_checks: Option<u64>,
}

/// Why a source user, or part of one, was not carried.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeftBehind {
    /// The user has no address (a Lucia user without an `email:` key or
    /// with the column empty).
    NoAddress {
        /// The source user's id.
        user_id: String,
    },
    /// The address is no address (`validator` and authstore's rules refuse
    /// it).
    BadAddress {
        /// The source user's id.
        user_id: String,
    },
    /// These source users' addresses are one to the target: once
    /// canonical, and on MySQL/MariaDB under the `email` column's collation
    /// (`ada@example.com` and `ada@exámple.com` under the default one).
    SameAddress {
        /// The address they share (the first user's, canonical).
        address: String,
        /// Their ids.
        user_ids: Vec<String>,
    },
    /// A user of the target, not carried from this source, has the address
    /// (compared canonical, as the target compares).
    AddressTaken {
        /// The source user's id.
        user_id: String,
    },
    /// A user of the target that this source did not carry has the id (the
    /// better-auth app's, or another source's): it is not overwritten.
    IdTaken {
        /// The source user's id.
        user_id: String,
    },
    /// An OAuth account of the target that this source did not carry has
    /// the id (another source's): it is not overwritten.
    AccountIdTaken {
        /// The source account's id, as carried.
        account_id: String,
    },
    /// The id does not fit better-auth's `varchar(36)` on MySQL.
    IdTooLong {
        /// The source user's id.
        user_id: String,
    },
    /// A value of the user, or of one of their accounts or sessions, that
    /// the target's column cannot hold (a time outside MySQL's
    /// `TIMESTAMP`, a name over `varchar(255)`): the user is skipped.
    Unstorable {
        /// The source user's id.
        user_id: String,
        /// Which value.
        field: &'static str,
    },
    /// A lucia-auth 0.x hash: carried behind a mark; better-auth refuses
    /// it, and authstore's sign-in rewrites it.
    OldPassword {
        /// The source user's id.
        user_id: String,
    },
    /// A hash no better-auth reader can check (bcrypt, argon2), or a value
    /// that is no hash: the user is carried without a password and must
    /// reset it.
    UnusablePassword {
        /// The source user's id.
        user_id: String,
    },
    /// A hash of the empty password, which lucia-auth refuses at sign-in
    /// and better-auth would accept: the user is carried without it.
    EmptyPassword {
        /// The source user's id.
        user_id: String,
    },
    /// A new or changed lucia-auth hash this run had no check left for
    /// ([`CarryOver::password_checks`]): the user is carried without it
    /// this time, and a later run checks it.
    PasswordNotChecked {
        /// The source user's id.
        user_id: String,
    },
    /// An OAuth identity (provider and account id) that several source
    /// accounts link, which an Auth.js adapter's schema does not forbid:
    /// which user it belongs to is not the carry-over's to guess, so it is
    /// carried for none of them.
    SharedAccount {
        /// The source user's id (one row per user holding it).
        user_id: String,
        /// The provider.
        provider: String,
    },
    /// A session token several source sessions share (an Auth.js
    /// adapter's schema does not forbid it): carried for none of them.
    SharedSessionToken {
        /// The source user's id.
        user_id: String,
    },
}

/// What a run did (or, dry, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CarryOverReport {
    /// Users written (new or updated).
    pub users: u64,
    /// OAuth accounts written.
    pub accounts: u64,
    /// Passwords written.
    pub passwords: u64,
    /// Live sessions written.
    pub sessions: u64,
    /// Sessions skipped as dead in the source.
    pub dead_sessions: u64,
    /// Carried sessions deleted because the source no longer has them alive.
    pub ended_sessions: u64,
    /// Carried users deleted because the source no longer has them.
    pub removed_users: u64,
    /// Carried OAuth accounts and passwords deleted because the source no
    /// longer has them (unlinked, moved to another user, password removed
    /// or no longer carried).
    pub removed_accounts: u64,
    /// Users, accounts and sessions not re-created because the better-auth
    /// app deleted them after an earlier run.
    pub deleted_since: u64,
    /// Every user, or part of one, not carried as it was, with why.
    pub left_behind: Vec<LeftBehind>,
}

/// How far a run is, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Source users looked at so far.
    pub done: u64,
    /// Source users in all.
    pub total: u64,
}

/// A source user as read, before the rules.
struct SourceUser {
    id: String,
    name: String,
    email: Option<String>,
    email_verified: bool,
    image: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    password: Option<String>,
}

struct SourceAccount {
    id: String,
    user_id: String,
    provider_id: String,
    account_id: String,
    access_token: Option<String>,
    refresh_token: Option<String>,
    access_token_expires_at: Option<DateTime<Utc>>,
    /// OpenID Connect's token and the granted scope, where the source
    /// keeps them (Auth.js's adapters).
    id_token: Option<String>,
    scope: Option<String>,
}

struct SourceSession {
    token: String,
    user_id: String,
    expires_at: DateTime<Utc>,
    created_at: Option<DateTime<Utc>>,
}

/// One batch of the source, read.
#[derive(Default)]
struct Batch {
    users: Vec<SourceUser>,
    accounts: Vec<SourceAccount>,
    sessions: Vec<SourceSession>,
    /// What the source's own rules should have kept out and this batch
    /// leaves behind (an Auth.js schema enforces no uniqueness).
    left_behind: Vec<LeftBehind>,
}

/// The kinds of row `authstore_carried` records.
const KIND_USER: &str = "user";
const KIND_ACCOUNT: &str = "account";
const KIND_SESSION: &str = "session";
/// Carried ids made from a source key begin so; better-auth's own are
/// `[A-Za-z0-9]` only (and `-` is no wildcard in `LIKE`).
const CARRIED_PREFIX: &str = "carried-";
/// better-auth's ids are `varchar(36)` on MySQL.
const ID_MAX: usize = 36;
/// better-auth's `name`, `email` and `token` are `varchar(255)` on MySQL.
const SHORT_MAX: usize = 255;
/// The lock a run holds on the target.
const LOCK: &str = "carry-over into better-auth";

impl CarryOver {
    /// A carry-over from `source`, in batches of 1,000 users.
    pub fn new(source: Source) -> Self {
        CarryOver {
            source,
            batch: 1_000,
            dry_run: false,
            now: None,
            another_source: false,
            password_checks: None,
        }
    }

    /// Users per batch (each batch is one transaction on the target); at
    /// most [`CarryOver::max_batch`] of the backends, checked when the run
    /// starts.
    pub fn batch(mut self, users: u64) -> Result<Self, Error> {
        if users == 0 {
            return Err(ConfigError::NotPositive("batch").into());
        }
        self.batch = users;
        Ok(self)
    }

    /// The largest batch `backend` takes: a batch's users are written in one
    /// statement, whose parameters the backend limits (65,535 on PostgreSQL
    /// and MySQL, 32,766 on SQLite).
    pub fn max_batch(backend: DbBackend) -> u64 {
        (backend::bind_limit(backend) / USER_COLUMNS.len()) as u64
    }

    /// [`Error::Validation`] on `batch` if the batch is larger than either
    /// backend takes; nothing is read or written.
    pub fn check_batch(&self, source: DbBackend, target: DbBackend) -> Result<(), Error> {
        let max = std::cmp::Ord::min(Self::max_batch(source), Self::max_batch(target));
        if self.batch <= max {
            return Ok(());
        }
        let mut error = ValidationError::new("bind_limit");
        error.add_param("max".into(), &max);
        Err(rules::invalid("batch", error))
    }

    /// Reads and reports everything, writes nothing. It decides exactly as
    /// a real run would.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The instant that decides which sessions are live (default: now).
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// Carries from this source although the target holds rows carried
    /// from another one (default: refused,
    /// [`CarryOverRefusal::AnotherSource`]). Users, accounts and sessions
    /// whose ids another source or the better-auth app holds are then
    /// listed and left alone, and each source's removals touch only what it
    /// carried.
    pub fn another_source(mut self, yes: bool) -> Self {
        self.another_source = yes;
        self
    }

    /// Checks at most `hashes` new lucia-auth hashes against the empty
    /// password in this run (default: every one). Each check is one scrypt
    /// (about 50 ms of a core here), so a first run from a large lucia-auth
    /// v1 source can spread them over several runs: a password not checked
    /// yet is not carried in this run ([`LeftBehind::PasswordNotChecked`]),
    /// and a later run checks it. A count, not a time, so a dry run reports
    /// exactly what the run will do.
    pub fn password_checks(mut self, hashes: u64) -> Self {
        self.password_checks = Some(hashes);
        self
    }

    /// Carries `source`'s users into `target`, a migrated `better-auth`
    /// database (one database may be both). `progress` hears after each
    /// batch.
    pub async fn run(
        &self,
        source: &DatabaseConnection,
        target: &DatabaseConnection,
        progress: impl FnMut(Progress),
    ) -> Result<CarryOverReport, Error> {
        if let Source::NextAuth(profile) = self.source
            && !matches!(profile.descriptor(), Descriptor::NextAuth(_))
        {
            return Err(rules::invalid(
                "from",
                ValidationError::new("not_next_auth"),
            ));
        }
        if let Source::AuthJs(profile) = self.source {
            let Descriptor::AuthJs(schema) = profile.descriptor() else {
                return Err(rules::invalid("from", ValidationError::new("not_authjs")));
            };
            // Elsewhere its times would be misread (another adapter's
            // SQLite tables keep them otherwise).
            if !schema.on(source.get_database_backend()) {
                return Err(ConfigError::NotOnBackend(profile).into());
            }
        }
        self.check_batch(source.get_database_backend(), target.get_database_backend())?;
        // The source's tables under better-auth's own names, in the target:
        // what would be read as the old app's users is better-auth's.
        let profile = self.source.profile();
        if named_as_better_auths(profile)
            && backend::identity(source).await? == backend::identity(target).await?
        {
            return Err(Error::CarryOverRefused(CarryOverRefusal::SameTables {
                profile: profile.name(),
            }));
        }
        let migrated = match (
            has(target, CARRIED).await,
            has(target, CARRIED_SOURCES).await,
        ) {
            (true, true) => true,
            // An earlier release's schema: a dry run taking it for empty
            // would report everything as new.
            (true, false) => {
                return Err(Error::Database(DbErr::Custom(
                    "the target's better-auth schema predates the carry-over's records of \
                     sources: migrate it first (Profile::BetterAuth.up)"
                        .into(),
                )));
            }
            (false, _) if !self.dry_run => {
                return Err(Error::Database(DbErr::Custom(
                    "the target has no better-auth schema: migrate it first (Profile::BetterAuth.up)"
                        .into(),
                )));
            }
            (false, _) => false,
        };
        // A dry run writes nothing, so it may look while a run works.
        let lock = if self.dry_run {
            None
        } else {
            // MySQL's named locks are the server's: the name says which
            // database.
            let name = format!("{LOCK} into {}", backend::identity(target).await?);
            Some(
                Exclusive::try_take(target, &name)
                    .await?
                    .ok_or(Error::CarryOverRefused(CarryOverRefusal::AlreadyRunning))?,
            )
        };
        let result = self.run_alone(source, target, migrated, progress).await;
        if let Some(lock) = lock {
            let released = lock.release().await;
            if result.is_ok() {
                released?;
            }
        }
        result
    }

    async fn run_alone(
        &self,
        source: &DatabaseConnection,
        target: &DatabaseConnection,
        migrated: bool,
        mut progress: impl FnMut(Progress),
    ) -> Result<CarryOverReport, Error> {
        let now = self.now.unwrap_or_else(Utc::now).trunc_subsecs(3);
        let identity = source_identity(source, self.source.profile()).await?;
        let writer = Writer {
            db: target,
            times: BETTER_AUTH.time_on(target.get_database_backend()),
            now,
            migrated,
            dry_run: self.dry_run,
            source: source_key(&identity),
            emails: Collation::of(target, BETTER_AUTH.users, "email").await?,
            oidc: matches!(self.source, Source::AuthJs(_)),
        };
        writer.claim_source(&identity, self.another_source).await?;
        let reader = Reader {
            db: source,
            source: &self.source,
            authjs: authjs::schema_found(source, self.source.profile()).await?,
        };
        let mut report = CarryOverReport::default();
        // One pass over every address first: a collision spans batches.
        let addresses = reader.addresses().await?;
        let shared = shared_addresses(&writer, &addresses, &mut report).await?;
        let holders = writer.address_holders().await?;
        let total = addresses.len() as u64;
        let in_source: HashSet<String> = addresses.into_iter().map(|(id, _)| id).collect();
        let mut kept = Kept {
            password_checks_left: self.password_checks,
            ..Kept::default()
        };
        let mut after: Option<Value> = None;
        let mut done = 0;
        loop {
            let batch = reader.batch(after.clone(), self.batch).await?;
            let Some(last) = batch.users.last() else {
                break;
            };
            after = Some(reader.user_key(&last.id));
            done += batch.users.len() as u64;
            let rules = Rules {
                shared: &shared,
                holders: &holders,
                writer: &writer,
            };
            let carried = self.plan(batch, &rules, &mut report, &mut kept).await?;
            if !self.dry_run {
                report.removed_accounts += writer.write(&carried).await?;
            }
            report.users += carried.users.len() as u64;
            report.accounts += carried.accounts.len() as u64;
            report.passwords += carried.passwords.len() as u64;
            report.sessions += carried.sessions.len() as u64;
            report.deleted_since += carried.deleted_since;
            progress(Progress { done, total });
        }
        report.ended_sessions = writer.sweep(KIND_SESSION, &kept.sessions).await?;
        report.removed_accounts += writer.sweep(KIND_ACCOUNT, &kept.accounts).await?;
        report.removed_users = writer.sweep(KIND_USER, &in_source).await?;
        Ok(report)
    }

    /// Applies the rules to one batch: what to write, and what to report.
    async fn plan(
        &self,
        batch: Batch,
        rules: &Rules<'_>,
        report: &mut CarryOverReport,
        kept: &mut Kept,
    ) -> Result<Carried, Error> {
        let writer = rules.writer;
        let mut carried = Carried::default();
        let mut candidates = Vec::new();
        for user in batch.users {
            let Some(raw) = user.email.as_deref().filter(|e| !e.trim().is_empty()) else {
                report
                    .left_behind
                    .push(LeftBehind::NoAddress { user_id: user.id });
                continue;
            };
            let Ok(email) = canonical(raw) else {
                report
                    .left_behind
                    .push(LeftBehind::BadAddress { user_id: user.id });
                continue;
            };
            if user.id.len() > ID_MAX {
                report
                    .left_behind
                    .push(LeftBehind::IdTooLong { user_id: user.id });
                continue;
            }
            candidates.push(NewRow { email, user });
        }
        let emails: Vec<&str> = candidates.iter().map(|row| row.email.as_str()).collect();
        let keys = writer.emails.keys(writer.db, &emails).await?;
        let ids: Vec<&str> = candidates.iter().map(|row| row.user.id.as_str()).collect();
        let recorded = writer.recorded(KIND_USER, &ids).await?;
        let present = writer.present(BETTER_AUTH.users, &ids).await?;
        report.left_behind.extend(batch.left_behind);
        let mut accounts_of: HashMap<String, Vec<SourceAccount>> = HashMap::new();
        for account in batch.accounts {
            accounts_of
                .entry(account.user_id.clone())
                .or_default()
                .push(account);
        }
        let mut sessions_of: HashMap<String, Vec<SourceSession>> = HashMap::new();
        for session in batch.sessions {
            sessions_of
                .entry(session.user_id.clone())
                .or_default()
                .push(session);
        }
        let mut users = Vec::new();
        for (row, key) in candidates.into_iter().zip(keys) {
            let user_id = row.user.id.clone();
            // Listed once, with every id, by `shared_addresses`; the one
            // of them carried already keeps the address.
            if rules.shared.contains(&key) && rules.holders.get(&key) != Some(&user_id) {
                continue;
            }
            if rules
                .holders
                .get(&key)
                .is_some_and(|holder| *holder != user_id)
            {
                report
                    .left_behind
                    .push(LeftBehind::AddressTaken { user_id });
                continue;
            }
            match writer.ownership(recorded.get(&user_id), present.contains(&user_id)) {
                Ownership::Ours | Ownership::New => {}
                Ownership::DeletedSince => {
                    carried.deleted_since += 1;
                    continue;
                }
                Ownership::Theirs => {
                    report.left_behind.push(LeftBehind::IdTaken { user_id });
                    continue;
                }
            }
            let accounts = accounts_of.remove(&user_id).unwrap_or_default();
            let sessions = sessions_of.remove(&user_id).unwrap_or_default();
            if let Some(field) = writer.unstorable(&row, &accounts, &sessions) {
                report
                    .left_behind
                    .push(LeftBehind::Unstorable { user_id, field });
                continue;
            }
            users.push((row, accounts, sessions));
        }
        carried.passwords = self
            .passwords(&users, writer, report, &mut kept.password_checks_left)
            .await?;
        for (row, accounts, sessions) in users {
            carried.accounts.extend(accounts);
            carried.sessions.extend(
                sessions
                    .into_iter()
                    .map(|s| (carried_id(KIND_SESSION, &s.token), s)),
            );
            carried.users.push(row);
        }
        // Accounts: Lucia keys' and next-auth's ids, as carried.
        let account_ids: Vec<&str> = carried.accounts.iter().map(|a| a.id.as_str()).collect();
        let recorded = writer.recorded(KIND_ACCOUNT, &account_ids).await?;
        let present = writer.present(BETTER_AUTH.accounts, &account_ids).await?;
        let mut accounts = Vec::new();
        for account in std::mem::take(&mut carried.accounts) {
            match writer.ownership(recorded.get(&account.id), present.contains(&account.id)) {
                Ownership::Ours | Ownership::New => {
                    kept.accounts.insert(account.id.clone());
                    accounts.push(account);
                }
                // Kept in the record, so it stays deleted.
                Ownership::DeletedSince => {
                    kept.accounts.insert(account.id);
                    carried.deleted_since += 1;
                }
                Ownership::Theirs => report.left_behind.push(LeftBehind::AccountIdTaken {
                    account_id: account.id,
                }),
            }
        }
        carried.accounts = accounts;
        for (user_id, _) in &carried.passwords {
            kept.accounts.insert(carried_id("credential", user_id));
        }
        // Sessions: live ones, unless better-auth ended them since.
        let session_ids: Vec<&str> = carried.sessions.iter().map(|(id, _)| id.as_str()).collect();
        let recorded = writer.recorded(KIND_SESSION, &session_ids).await?;
        let present = writer.present(BETTER_AUTH.sessions, &session_ids).await?;
        let mut sessions = Vec::new();
        for (id, session) in std::mem::take(&mut carried.sessions) {
            if session.expires_at < writer.now {
                report.dead_sessions += 1;
                continue;
            }
            match writer.ownership(recorded.get(&id), present.contains(&id)) {
                Ownership::Ours | Ownership::New => {
                    kept.sessions.insert(id.clone());
                    sessions.push((id, session));
                }
                // A sign-out in better-auth (an expired copy's record is
                // gone): kept in the record, so it stays ended.
                Ownership::DeletedSince => {
                    kept.sessions.insert(id);
                    carried.deleted_since += 1;
                }
                // The same token from another source: not this one's.
                Ownership::Theirs => {}
            }
        }
        carried.sessions = sessions;
        Ok(carried)
    }

    /// The passwords of `users` to write, as better-auth keeps them; each
    /// one the source would refuse (a hash of the empty password, for
    /// lucia-auth) or that is no hash is listed instead.
    async fn passwords(
        &self,
        users: &[(NewRow, Vec<SourceAccount>, Vec<SourceSession>)],
        writer: &Writer<'_>,
        report: &mut CarryOverReport,
        checks_left: &mut Option<u64>,
    ) -> Result<Vec<(String, String)>, Error> {
        let mut values = Vec::new();
        for (row, _, _) in users {
            let Some(hash) = &row.user.password else {
                continue;
            };
            let user_id = row.user.id.clone();
            match self.password(hash) {
                Password::Carried(value) => values.push((user_id, value)),
                Password::Old(value) => {
                    report.left_behind.push(LeftBehind::OldPassword {
                        user_id: user_id.clone(),
                    });
                    values.push((user_id, value));
                }
                Password::Unusable => report
                    .left_behind
                    .push(LeftBehind::UnusablePassword { user_id }),
            }
        }
        if self.source != Source::LuciaV1 || values.is_empty() {
            return Ok(values);
        }
        // A value the target holds already was checked when it was written.
        let user_ids: Vec<&str> = values.iter().map(|(id, _)| id.as_str()).collect();
        let current = writer.passwords(&user_ids).await?;
        let mut to_check = Vec::new();
        let mut not_yet = HashSet::new();
        for (user_id, value) in &values {
            if current.get(user_id) == Some(value) {
                continue;
            }
            match checks_left {
                Some(0) => {
                    not_yet.insert(user_id.clone());
                }
                Some(left) => {
                    *left -= 1;
                    to_check.push(value.clone());
                }
                None => to_check.push(value.clone()),
            }
        }
        let empty = empty_password_hashes(to_check).await?;
        Ok(values
            .into_iter()
            .filter(|(user_id, value)| {
                let why = if not_yet.contains(user_id) {
                    LeftBehind::PasswordNotChecked {
                        user_id: user_id.clone(),
                    }
                } else if empty.contains(value) {
                    LeftBehind::EmptyPassword {
                        user_id: user_id.clone(),
                    }
                } else {
                    return true;
                };
                report.left_behind.push(why);
                false
            })
            .collect())
    }

    fn password(&self, stored: &str) -> Password {
        use authstore_entity::better_auth::BetterAuthSchema;
        match &self.source {
            Source::LuciaV1 => match BETTER_AUTH.password_from_lucia_v1(stored) {
                Some(value) if value.starts_with(BetterAuthSchema::LUCIA_AUTH_0X) => {
                    Password::Old(value)
                }
                Some(value) => Password::Carried(value),
                None => Password::Unusable,
            },
            // oslo's scrypt (Lucia v3's guides) is better-auth's format; an
            // argon2 or bcrypt hash (`$…`), or a value that is no hash, is
            // not.
            _ if BetterAuthSchema::is_scrypt_hash(stored) => Password::Carried(stored.to_owned()),
            _ => Password::Unusable,
        }
    }
}

/// Which of `values` (as better-auth keeps them) are hashes of the empty
/// password. Each check is one scrypt (N = 16384, r = 16: 32 MiB, about
/// 50 ms of wall time a hash on this project's 2 cores), run on the
/// blocking pool, as many at once as the machine has cores.
async fn empty_password_hashes(values: Vec<String>) -> Result<HashSet<String>, Error> {
    let width = std::thread::available_parallelism().map_or(2, usize::from);
    let mut empty = HashSet::new();
    let mut values = values.into_iter();
    loop {
        let mut checks = tokio::task::JoinSet::new();
        for value in values.by_ref().take(width) {
            checks.spawn_blocking(move || {
                let accepts_empty = password::verify("", &value) != Checked::Invalid;
                (value, accepts_empty)
            });
        }
        if checks.is_empty() {
            return Ok(empty);
        }
        while let Some(checked) = checks.join_next().await {
            let (value, accepts_empty) = checked.map_err(|err| {
                Error::Database(DbErr::Custom(format!("a password check: {err}")))
            })?;
            if accepts_empty {
                empty.insert(value);
            }
        }
    }
}

enum Password {
    Carried(String),
    Old(String),
    Unusable,
}

struct NewRow {
    email: String,
    user: SourceUser,
}

/// What one batch writes.
#[derive(Default)]
struct Carried {
    users: Vec<NewRow>,
    accounts: Vec<SourceAccount>,
    passwords: Vec<(String, String)>,
    sessions: Vec<(String, SourceSession)>,
    deleted_since: u64,
}

/// The target ids a run carried (or, dry, would), by kind: whatever this
/// source carried before and no longer has is removed at the end. And how
/// many more hashes this run may check ([`CarryOver::password_checks`]).
#[derive(Default)]
struct Kept {
    accounts: HashSet<String>,
    sessions: HashSet<String>,
    password_checks_left: Option<u64>,
}

/// What every batch is checked against.
struct Rules<'a> {
    /// The address keys two or more source users share.
    shared: &'a HashSet<Vec<u8>>,
    /// The target's users by address key.
    holders: &'a HashMap<Vec<u8>, String>,
    writer: &'a Writer<'a>,
}

/// Whose a target id is, for this run's source.
enum Ownership {
    /// Carried from this source, and still there: updated.
    Ours,
    /// Nobody's yet: inserted.
    New,
    /// Carried from this source, and deleted in better-auth since: left
    /// deleted.
    DeletedSince,
    /// The better-auth app's, or another source's: left alone.
    Theirs,
}

/// Addresses two or more source users share, as the target compares them
/// (canonical, and on MySQL under the column's collation): their keys, each
/// listed once in the report with every id.
async fn shared_addresses(
    writer: &Writer<'_>,
    addresses: &[(String, Option<String>)],
    report: &mut CarryOverReport,
) -> Result<HashSet<Vec<u8>>, Error> {
    let canonical: Vec<(&str, String)> = addresses
        .iter()
        .filter_map(|(id, email)| {
            let email = canonical(email.as_deref()?).ok()?;
            Some((id.as_str(), email))
        })
        .collect();
    let emails: Vec<&str> = canonical.iter().map(|(_, e)| e.as_str()).collect();
    let keys = writer.emails.keys(writer.db, &emails).await?;
    let mut by_key: BTreeMap<Vec<u8>, (String, Vec<String>)> = BTreeMap::new();
    for ((id, email), key) in canonical.into_iter().zip(keys) {
        by_key
            .entry(key)
            .or_insert_with(|| (email, Vec::new()))
            .1
            .push(id.to_owned());
    }
    let mut shared = HashSet::new();
    for (key, (address, mut user_ids)) in by_key {
        if user_ids.len() > 1 {
            user_ids.sort();
            shared.insert(key);
            report
                .left_behind
                .push(LeftBehind::SameAddress { address, user_ids });
        }
    }
    Ok(shared)
}

/// A target id for a row the source keys otherwise (a Lucia key, a session
/// token): `carried-` and 24 hex characters of its SHA-256, 32 in all, so a
/// run finds its own row again and the token never becomes an id.
pub(crate) fn carried_id(kind: &str, key: &str) -> String {
    let digest = Sha256::new()
        .chain_update(kind)
        .chain_update(":")
        .chain_update(key)
        .finalize();
    format!("{CARRIED_PREFIX}{}", &hex::encode(digest)[..24])
}

/// The id a carried session has in better-auth: the bridge serves a
/// session only if its id is this (better-auth's own ids never are).
pub(crate) fn carried_session_id(token: &str) -> String {
    carried_id(KIND_SESSION, token)
}

/// Reads the source's rows by its profile's names.
struct Reader<'a> {
    db: &'a DatabaseConnection,
    source: &'a Source,
    /// For an Auth.js source, the shape of its tables the database holds
    /// (`authjs::schema_found`).
    authjs: Option<&'static AuthJsSchema>,
}

impl Reader<'_> {
    fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    fn next_auth(&self) -> Option<&'static NextAuthSchema> {
        match self.source {
            Source::NextAuth(profile) => match profile.descriptor() {
                Descriptor::NextAuth(schema) => Some(schema),
                _ => None,
            },
            _ => None,
        }
    }

    /// The Auth.js adapter's names, for an Auth.js source.
    fn authjs(&self) -> Option<&'static AuthJsSchema> {
        self.authjs
    }

    fn users_table(&self) -> &'static str {
        match self.source {
            Source::AuthJs(_) => self.authjs().expect("an Auth.js source").users,
            Source::NextAuth(_) => NextAuthSchema::USERS,
            Source::LuciaV3 { .. } => LUCIA_V3.users,
            Source::LuciaV1 => LUCIA_V1.users,
        }
    }

    /// Whether the source's user ids are integers (next-auth's and
    /// `@auth/pg-adapter`'s serials) rather than text.
    fn serial_ids(&self) -> bool {
        match self.source {
            Source::NextAuth(_) => true,
            Source::AuthJs(_) => self
                .authjs()
                .is_some_and(|s| s.user_ids == AuthJsIds::Serial),
            Source::LuciaV3 { .. } | Source::LuciaV1 => false,
        }
    }

    /// The key of a user id for paging and lookups, of the ids' type.
    fn user_key(&self, id: &str) -> Value {
        match self.serial_ids() {
            true => Value::Int(id.parse().ok()),
            false => Value::String(Some(id.to_owned())),
        }
    }

    fn read_id(&self, row: &QueryResult, column: &str) -> Result<String, DbErr> {
        match self.serial_ids() {
            true => Ok(row.try_get::<i32>("", column)?.to_string()),
            false => row.try_get("", column),
        }
    }

    /// How the next-auth schema keeps its times: instants, or (2.0 beta)
    /// wall-clock times, read here as UTC.
    fn next_auth_time(schema: &NextAuthSchema) -> StoredTime {
        if schema.wall_clock_times {
            StoredTime::UtcDateTime
        } else {
            StoredTime::Instant
        }
    }

    async fn all(&self, select: &SelectStatement) -> Result<Vec<QueryResult>, DbErr> {
        self.db.query_all(select).await
    }

    /// Every source user's id and address, for the collision check.
    async fn addresses(&self) -> Result<Vec<(String, Option<String>)>, Error> {
        let mut out = Vec::new();
        match self.source {
            Source::NextAuth(_) | Source::AuthJs(_) => {
                let select = Query::select()
                    .columns(["id", "email"])
                    .from(self.users_table())
                    .to_owned();
                for row in self.all(&select).await? {
                    out.push((self.read_id(&row, "id")?, row.try_get("", "email")?));
                }
            }
            Source::LuciaV3 { email_column, .. } => {
                let select = Query::select()
                    .column("id")
                    .expr_as(Expr::col(Alias::new(email_column)), "email")
                    .from(LUCIA_V3.users)
                    .to_owned();
                for row in self.all(&select).await? {
                    out.push((row.try_get("", "id")?, row.try_get("", "email")?));
                }
            }
            Source::LuciaV1 => {
                let emails = self.lucia_v1_email_keys(None).await?;
                let select = Query::select().column("id").from(LUCIA_V1.users).to_owned();
                for row in self.all(&select).await? {
                    let id: String = row.try_get("", "id")?;
                    let email = emails.get(&id).map(|(email, _)| email.clone());
                    out.push((id, email));
                }
            }
        }
        Ok(out)
    }

    /// The `email:` keys of lucia-auth v1 users (of `users`, or all): the
    /// address and the key's password hash, by user id. A user with several
    /// keeps the first by key id.
    async fn lucia_v1_email_keys(
        &self,
        users: Option<&[String]>,
    ) -> Result<BTreeMap<String, (String, Option<String>)>, Error> {
        let mut select = Query::select()
            .columns(["id", "user_id", LUCIA_V1.hashed_password])
            .from(LUCIA_V1.keys)
            .and_where(Expr::col("id").like("email:%"))
            .order_by("id", Order::Asc)
            .to_owned();
        if let Some(users) = users {
            select.and_where(Expr::col("user_id").is_in(users.iter().map(String::as_str)));
        }
        let mut out = BTreeMap::new();
        for row in self.all(&select).await? {
            let key: String = row.try_get("", "id")?;
            let user: String = row.try_get("", "user_id")?;
            let hash: Option<String> = row.try_get("", LUCIA_V1.hashed_password)?;
            let email = key["email:".len()..].to_owned();
            out.entry(user).or_insert((email, hash));
        }
        Ok(out)
    }

    /// Up to `limit` users after `after` (in id order), with their accounts
    /// and sessions.
    async fn batch(&self, after: Option<Value>, limit: u64) -> Result<Batch, Error> {
        let mut select = Query::select();
        select
            .from(self.users_table())
            .order_by("id", Order::Asc)
            .limit(limit);
        if let Some(after) = after {
            select.and_where(Expr::col("id").gt(SimpleExpr::Value(after)));
        }
        match self.source {
            Source::NextAuth(_) => self.next_auth_batch(select).await,
            Source::LuciaV3 {
                email_column,
                password_column,
            } => {
                self.lucia_v3_batch(select, email_column, password_column.as_deref())
                    .await
            }
            Source::LuciaV1 => self.lucia_v1_batch(select).await,
            Source::AuthJs(_) => self.authjs_batch(select).await,
        }
    }

    /// An Auth.js adapter's users with their accounts and sessions. The
    /// adapter keeps no row clocks, and an account's `expires_at` in epoch
    /// seconds. Where accounts have no id of their own (Drizzle), a
    /// carried account's id is made from its provider identity.
    async fn authjs_batch(&self, mut select: SelectStatement) -> Result<Batch, Error> {
        let schema = self.authjs().expect("an Auth.js source");
        let on = self.backend();
        let instant = schema.times_on(on);
        // Times are read finite only: a hand-written `infinity` is no time
        // (and would panic sqlx's decoding).
        let time = |column: &'static str| (Expr::cust(backend::finite_time(on, column)), column);
        let clocks = match schema.row_clocks {
            true => vec![AuthJsSchema::CREATED_AT, AuthJsSchema::UPDATED_AT],
            false => Vec::new(),
        };
        select.columns(["id", "name", "email", "image"]);
        for column in [AuthJsSchema::EMAIL_VERIFIED].iter().chain(&clocks) {
            let (read, name) = time(column);
            select.expr_as(read, name);
        }
        let clock = |row: &QueryResult, column: &str| match schema.row_clocks {
            true => instant.read(row, column),
            false => Ok(None),
        };
        let mut batch = Batch::default();
        for row in self.all(&select).await? {
            batch.users.push(SourceUser {
                id: self.read_id(&row, "id")?,
                name: row
                    .try_get::<Option<String>>("", "name")?
                    .unwrap_or_default(),
                email: row.try_get("", "email")?,
                email_verified: instant.read(&row, AuthJsSchema::EMAIL_VERIFIED)?.is_some(),
                image: row.try_get("", "image")?,
                created_at: clock(&row, AuthJsSchema::CREATED_AT)?,
                updated_at: clock(&row, AuthJsSchema::UPDATED_AT)?,
                password: None,
            });
        }
        let ids: Vec<Value> = batch.users.iter().map(|u| self.user_key(&u.id)).collect();
        if ids.is_empty() {
            return Ok(batch);
        }
        // A row's own identity: its id, or its place in the table where it
        // has none.
        let row_id = match schema.row_ids {
            Some(_) => "id",
            None => backend::physical_order(on),
        };
        // An identity or token another row also holds (in any batch) is
        // carried for nobody: `shared` is that condition on `table`'s row.
        let shared = |table: &'static str, columns: &[&'static str]| {
            let other = Alias::new("other");
            let mut same = Query::select();
            same.expr(Expr::val(1))
                .from_as(table, other.clone())
                .and_where(Expr::col((other.clone(), row_id)).ne(Expr::col((table, row_id))));
            for column in columns {
                same.and_where(Expr::col((other.clone(), *column)).equals((table, *column)));
            }
            Expr::exists(same)
        };
        // A carried account's id: the source row's where the database
        // numbers accounts (`@auth/pg-adapter`, whose schema lets two rows
        // hold one provider identity), else made from the provider identity
        // itself, which the schema keeps unique. Prisma's CUIDs are not
        // used: an app moving from next-auth 4's models to today's drops
        // them, and every account carried by them would then be carried
        // again under a new id, an unlink made in better-auth undone.
        let numbered = schema.row_ids == Some(AuthJsIds::Serial);
        let mut accounts = Query::select();
        if numbered {
            accounts.column("id");
        }
        accounts
            .columns([
                AuthJsSchema::USER_ID,
                AuthJsSchema::PROVIDER,
                AuthJsSchema::PROVIDER_ACCOUNT_ID,
                AuthJsSchema::ACCESS_TOKEN,
                AuthJsSchema::REFRESH_TOKEN,
                AuthJsSchema::EXPIRES_AT,
                AuthJsSchema::ID_TOKEN,
                AuthJsSchema::SCOPE,
            ])
            .expr_as(
                shared(
                    schema.accounts,
                    &[AuthJsSchema::PROVIDER, AuthJsSchema::PROVIDER_ACCOUNT_ID],
                ),
                "shared",
            )
            .from(schema.accounts)
            .and_where(Expr::col(AuthJsSchema::USER_ID).is_in(ids.clone()));
        for row in self.all(&accounts).await? {
            let user_id = self.read_id(&row, AuthJsSchema::USER_ID)?;
            let provider_id: String = row.try_get("", AuthJsSchema::PROVIDER)?;
            if row.try_get::<bool>("", "shared")? {
                let provider = provider_id;
                batch
                    .left_behind
                    .push(LeftBehind::SharedAccount { user_id, provider });
                continue;
            }
            let account_id: String = row.try_get("", AuthJsSchema::PROVIDER_ACCOUNT_ID)?;
            let id = match numbered {
                true => self.read_id(&row, "id")?,
                // Length-prefixed, so no provider id with a `:` in it can
                // make another account's key.
                false => carried_id(
                    KIND_ACCOUNT,
                    &format!("{}:{provider_id}:{account_id}", provider_id.len()),
                ),
            };
            let expires_at = match schema.expires_at_32_bit_on(on) {
                true => row
                    .try_get::<Option<i32>>("", AuthJsSchema::EXPIRES_AT)?
                    .map(i64::from),
                false => row.try_get::<Option<i64>>("", AuthJsSchema::EXPIRES_AT)?,
            };
            batch.accounts.push(SourceAccount {
                id,
                user_id,
                provider_id,
                account_id,
                access_token: row.try_get("", AuthJsSchema::ACCESS_TOKEN)?,
                refresh_token: row.try_get("", AuthJsSchema::REFRESH_TOKEN)?,
                access_token_expires_at: expires_at.map(epoch_seconds),
                id_token: row.try_get("", AuthJsSchema::ID_TOKEN)?,
                scope: row
                    .try_get::<Option<String>>("", AuthJsSchema::SCOPE)?
                    .map(|scope| better_auth_scopes(&scope)),
            });
        }
        let mut sessions = Query::select();
        sessions
            .columns([AuthJsSchema::USER_ID, AuthJsSchema::SESSION_TOKEN])
            .expr_as(
                shared(schema.sessions, &[AuthJsSchema::SESSION_TOKEN]),
                "shared",
            )
            .from(schema.sessions)
            .and_where(Expr::col(AuthJsSchema::USER_ID).is_in(ids));
        let created = schema.row_clocks.then_some(&AuthJsSchema::CREATED_AT);
        for column in ["expires"].iter().chain(created) {
            let (read, name) = time(column);
            sessions.expr_as(read, name);
        }
        for row in self.all(&sessions).await? {
            let user_id = self.read_id(&row, AuthJsSchema::USER_ID)?;
            if row.try_get::<bool>("", "shared")? {
                batch
                    .left_behind
                    .push(LeftBehind::SharedSessionToken { user_id });
                continue;
            }
            batch.sessions.push(SourceSession {
                token: row.try_get("", AuthJsSchema::SESSION_TOKEN)?,
                user_id,
                expires_at: instant.read(&row, "expires")?.unwrap_or_default(),
                created_at: clock(&row, AuthJsSchema::CREATED_AT)?,
            });
        }
        Ok(batch)
    }

    async fn next_auth_batch(&self, mut select: SelectStatement) -> Result<Batch, Error> {
        let schema = self.next_auth().expect("a next-auth source");
        let time = Self::next_auth_time(schema);
        select
            .columns([
                "id",
                "name",
                "email",
                NextAuthSchema::EMAIL_VERIFIED,
                "image",
            ])
            .expr_as(Expr::col(schema.created), "created")
            .expr_as(Expr::col(schema.updated), "updated");
        let mut batch = Batch::default();
        for row in self.all(&select).await? {
            batch.users.push(SourceUser {
                id: self.read_id(&row, "id")?,
                name: row
                    .try_get::<Option<String>>("", "name")?
                    .unwrap_or_default(),
                email: row.try_get("", "email")?,
                email_verified: time.read(&row, NextAuthSchema::EMAIL_VERIFIED)?.is_some(),
                image: row.try_get("", "image")?,
                created_at: time.read(&row, "created")?,
                updated_at: time.read(&row, "updated")?,
                password: None,
            });
        }
        let ids: Vec<i32> = batch
            .users
            .iter()
            .filter_map(|u| u.id.parse().ok())
            .collect();
        if ids.is_empty() {
            return Ok(batch);
        }
        let accounts = Query::select()
            .columns([
                "id",
                "user_id",
                NextAuthSchema::PROVIDER_ACCOUNT_ID,
                NextAuthSchema::REFRESH_TOKEN,
                NextAuthSchema::ACCESS_TOKEN,
                NextAuthSchema::ACCESS_TOKEN_EXPIRES,
            ])
            .expr_as(Expr::col(schema.provider_id), "provider")
            .from(NextAuthSchema::ACCOUNTS)
            .and_where(Expr::col("user_id").is_in(ids.clone()))
            .to_owned();
        for row in self.all(&accounts).await? {
            batch.accounts.push(SourceAccount {
                id: self.read_id(&row, "id")?,
                user_id: self.read_id(&row, "user_id")?,
                provider_id: row.try_get("", "provider")?,
                account_id: row.try_get("", NextAuthSchema::PROVIDER_ACCOUNT_ID)?,
                access_token: row.try_get("", NextAuthSchema::ACCESS_TOKEN)?,
                refresh_token: row.try_get("", NextAuthSchema::REFRESH_TOKEN)?,
                access_token_expires_at: time.read(&row, NextAuthSchema::ACCESS_TOKEN_EXPIRES)?,
                id_token: None,
                scope: None,
            });
        }
        let sessions = Query::select()
            .columns(["user_id", "expires", NextAuthSchema::SESSION_TOKEN])
            .expr_as(Expr::col(schema.created), "created")
            .from(NextAuthSchema::SESSIONS)
            .and_where(Expr::col("user_id").is_in(ids))
            .to_owned();
        for row in self.all(&sessions).await? {
            batch.sessions.push(SourceSession {
                token: row.try_get("", NextAuthSchema::SESSION_TOKEN)?,
                user_id: self.read_id(&row, "user_id")?,
                expires_at: time.read(&row, "expires")?.unwrap_or_default(),
                created_at: time.read(&row, "created")?,
            });
        }
        Ok(batch)
    }

    async fn lucia_v3_batch(
        &self,
        mut select: SelectStatement,
        email_column: &str,
        password_column: Option<&str>,
    ) -> Result<Batch, Error> {
        select
            .column("id")
            .expr_as(Expr::col(Alias::new(email_column)), "email");
        if let Some(column) = password_column {
            select.expr_as(Expr::col(Alias::new(column)), "password");
        }
        let mut batch = Batch::default();
        for row in self.all(&select).await? {
            batch.users.push(SourceUser {
                id: row.try_get("", "id")?,
                name: String::new(),
                email: row.try_get("", "email")?,
                email_verified: false,
                image: None,
                created_at: None,
                updated_at: None,
                password: match password_column {
                    Some(_) => row.try_get("", "password")?,
                    None => None,
                },
            });
        }
        let ids: Vec<&str> = batch.users.iter().map(|u| u.id.as_str()).collect();
        if ids.is_empty() {
            return Ok(batch);
        }
        let time = LUCIA_V3.expiry_on(self.backend());
        let sessions = Query::select()
            .columns(["id", "user_id", LUCIA_V3.expires_at])
            .from(LUCIA_V3.sessions)
            .and_where(Expr::col("user_id").is_in(ids))
            .to_owned();
        for row in self.all(&sessions).await? {
            batch.sessions.push(SourceSession {
                token: row.try_get("", "id")?,
                user_id: row.try_get("", "user_id")?,
                expires_at: time.read(&row, LUCIA_V3.expires_at)?.unwrap_or_default(),
                created_at: None,
            });
        }
        Ok(batch)
    }

    async fn lucia_v1_batch(&self, mut select: SelectStatement) -> Result<Batch, Error> {
        select.column("id");
        let mut batch = Batch::default();
        let mut ids = Vec::new();
        for row in self.all(&select).await? {
            ids.push(row.try_get::<String>("", "id")?);
        }
        if ids.is_empty() {
            return Ok(batch);
        }
        let emails = self.lucia_v1_email_keys(Some(&ids)).await?;
        for id in &ids {
            let (email, password) = emails
                .get(id)
                .cloned()
                .map_or((None, None), |(e, p)| (Some(e), p));
            batch.users.push(SourceUser {
                id: id.clone(),
                name: String::new(),
                email,
                // lucia-auth v1 keeps no such fact; an `email:` key is how
                // the user signs in, not proof they own the address.
                email_verified: false,
                image: None,
                created_at: None,
                updated_at: None,
                password,
            });
        }
        let keys = Query::select()
            .columns(["id", "user_id"])
            .from(LUCIA_V1.keys)
            .and_where(Expr::col("user_id").is_in(ids.iter().map(String::as_str)))
            .and_where(Expr::col("id").not_like("email:%"))
            .to_owned();
        for row in self.all(&keys).await? {
            let key: String = row.try_get("", "id")?;
            let Some((provider, account)) = key.split_once(':') else {
                continue;
            };
            batch.accounts.push(SourceAccount {
                id: carried_id("key", &key),
                user_id: row.try_get("", "user_id")?,
                provider_id: provider.to_owned(),
                account_id: account.to_owned(),
                access_token: None,
                refresh_token: None,
                access_token_expires_at: None,
                id_token: None,
                scope: None,
            });
        }
        let sessions = Query::select()
            .columns(["id", "user_id", LUCIA_V1.idle_expires])
            .from(LUCIA_V1.sessions)
            .and_where(Expr::col("user_id").is_in(ids.iter().map(String::as_str)))
            .to_owned();
        for row in self.all(&sessions).await? {
            batch.sessions.push(SourceSession {
                token: row.try_get("", "id")?,
                user_id: row.try_get("", "user_id")?,
                // Usable, renewed, until the idle period ends.
                expires_at: StoredTime::UnixMillis
                    .read(&row, LUCIA_V1.idle_expires)?
                    .unwrap_or_default(),
                created_at: None,
            });
        }
        Ok(batch)
    }
}

/// Whether `target` has `table` (of this profile's migrated schema; a dry
/// run may look at a target without it, as empty).
async fn has(target: &DatabaseConnection, table: &'static str) -> bool {
    let probe = Query::select()
        .expr(Expr::val(1))
        .from(table)
        .limit(1)
        .to_owned();
    target.query_one(&probe).await.is_ok()
}

/// Writes better-auth's rows on the target.
struct Writer<'a> {
    db: &'a DatabaseConnection,
    times: BetterAuthTime,
    now: DateTime<Utc>,
    /// Without the schema (a dry run only) every lookup finds nothing.
    migrated: bool,
    dry_run: bool,
    /// The digest of this run's source identity, as `authstore_carried`
    /// records it.
    source: String,
    /// How the target compares addresses.
    emails: Collation,
    /// Whether the source keeps OpenID Connect's token and the scope
    /// (Auth.js's adapters do): only then are they written, so a source
    /// without them never clears what better-auth set since.
    oidc: bool,
}

impl Writer<'_> {
    /// `at` as better-auth keeps it: whole milliseconds.
    fn time(&self, at: Option<DateTime<Utc>>) -> SimpleExpr {
        Expr::val(self.times.value(at.map(|at| at.trunc_subsecs(3))))
    }

    /// Checks this run's source against the ones the target was carried
    /// from, and records it (not dry). Rows carried before sources were
    /// recorded (`source = ''`) are the first source's.
    async fn claim_source(&self, identity: &str, another_source: bool) -> Result<(), Error> {
        if !self.migrated {
            return Ok(());
        }
        let select = Query::select()
            .columns(["id", "identity"])
            .from(CARRIED_SOURCES)
            .order_by("first_run_at", Order::Asc)
            .order_by("id", Order::Asc)
            .to_owned();
        let recorded: Vec<(String, String)> = self
            .db
            .query_all(&select)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "identity")?)))
            .collect::<Result<_, DbErr>>()?;
        if recorded.iter().any(|(id, _)| *id == self.source) {
            return Ok(());
        }
        if let Some((_, first)) = recorded.first()
            && !another_source
        {
            return Err(Error::CarryOverRefused(CarryOverRefusal::AnotherSource {
                recorded: first.clone(),
                given: identity.to_owned(),
            }));
        }
        if self.dry_run {
            return Ok(());
        }
        let txn = self.db.begin().await?;
        let insert = Query::insert()
            .into_table(CARRIED_SOURCES)
            .columns(["id", "identity", "first_run_at"])
            .values_panic([
                self.source.as_str().into(),
                identity.chars().take(255).collect::<String>().into(),
                self.now.timestamp_millis().into(),
            ])
            .to_owned();
        txn.execute(&insert).await?;
        if recorded.is_empty() {
            let claim = Query::update()
                .table(CARRIED)
                .value("source", self.source.as_str())
                .and_where(Expr::col("source").eq(""))
                .to_owned();
            txn.execute(&claim).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Whose a target id is: `recorded` is the source that carried it, if
    /// any; `present`, whether the target has the row.
    fn ownership(&self, recorded: Option<&String>, present: bool) -> Ownership {
        match (recorded, present) {
            (Some(source), _) if *source != self.source => Ownership::Theirs,
            (Some(_), true) => Ownership::Ours,
            (Some(_), false) => Ownership::DeletedSince,
            (None, true) => Ownership::Theirs,
            (None, false) => Ownership::New,
        }
    }

    /// Which of `ids` (of `kind`) were carried, and from which source.
    async fn recorded(&self, kind: &str, ids: &[&str]) -> Result<HashMap<String, String>, DbErr> {
        let mut out = HashMap::new();
        if !self.migrated {
            return Ok(out);
        }
        for chunk in ids.chunks(IN_LIST) {
            let select = Query::select()
                .columns(["id", "source"])
                .from(CARRIED)
                .and_where(Expr::col("kind").eq(kind))
                .and_where(Expr::col("id").is_in(chunk.iter().copied()))
                .to_owned();
            for row in self.db.query_all(&select).await? {
                out.insert(row.try_get("", "id")?, row.try_get("", "source")?);
            }
        }
        Ok(out)
    }

    /// Which of `ids` `table` has.
    async fn present(&self, table: &str, ids: &[&str]) -> Result<HashSet<String>, DbErr> {
        let mut out = HashSet::new();
        if !self.migrated {
            return Ok(out);
        }
        for chunk in ids.chunks(IN_LIST) {
            let select = Query::select()
                .column("id")
                .from(Alias::new(table))
                .and_where(Expr::col("id").is_in(chunk.iter().copied()))
                .to_owned();
            for row in self.db.query_all(&select).await? {
                out.insert(row.try_get("", "id")?);
            }
        }
        Ok(out)
    }

    /// Every user of the target by address key: the address made canonical
    /// (as the source's are, so `dup@xn--caf-dma.example` holds
    /// `dup@café.example`), keyed as the target compares.
    async fn address_holders(&self) -> Result<HashMap<Vec<u8>, String>, Error> {
        if !self.migrated {
            return Ok(HashMap::new());
        }
        let select = Query::select()
            .columns(["id", "email"])
            .from(BETTER_AUTH.users)
            .to_owned();
        let mut ids = Vec::new();
        let mut emails = Vec::new();
        for row in self.db.query_all(&select).await? {
            let email: String = row.try_get("", "email")?;
            ids.push(row.try_get::<String>("", "id")?);
            emails.push(canonical(&email).unwrap_or_else(|_| email.trim().to_lowercase()));
        }
        let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
        let keys = self.emails.keys(self.db, &refs).await?;
        Ok(keys.into_iter().zip(ids).collect())
    }

    /// The passwords the target holds for these users, by user id.
    async fn passwords(&self, user_ids: &[&str]) -> Result<HashMap<String, String>, DbErr> {
        let mut out = HashMap::new();
        if !self.migrated {
            return Ok(out);
        }
        let select = Query::select()
            .columns([col::USER_ID, "password"])
            .from(BETTER_AUTH.accounts)
            .and_where(Expr::col(col::PROVIDER_ID).eq(BETTER_AUTH.credential_provider))
            .and_where(Expr::col(col::USER_ID).is_in(user_ids.iter().copied()))
            .to_owned();
        for row in self.db.query_all(&select).await? {
            if let Some(password) = row.try_get::<Option<String>>("", "password")? {
                out.insert(row.try_get("", col::USER_ID)?, password);
            }
        }
        Ok(out)
    }

    /// The first value of a user, their accounts or sessions that the
    /// target's column cannot hold, by name.
    fn unstorable(
        &self,
        row: &NewRow,
        accounts: &[SourceAccount],
        sessions: &[SourceSession],
    ) -> Option<&'static str> {
        let backend = self.db.get_database_backend();
        let time_fits = |at: Option<DateTime<Utc>>| {
            backend::check_time(backend, "time", at.map(|at| at.trunc_subsecs(3))).is_ok()
        };
        let short_fits =
            |text: &str| backend != DbBackend::MySql || text.chars().count() <= SHORT_MAX;
        let user = &row.user;
        if !short_fits(&user.name) {
            return Some("name");
        }
        if !short_fits(&row.email) {
            return Some("email");
        }
        if !time_fits(user.created_at) || !time_fits(user.updated_at) {
            return Some("user time");
        }
        if !time_fits(Some(self.now)) {
            return Some("the current time");
        }
        if accounts
            .iter()
            .any(|a| !time_fits(a.access_token_expires_at))
        {
            return Some("account time");
        }
        // Dead sessions are not carried: only a live one's values matter.
        let live = sessions.iter().filter(|s| s.expires_at >= self.now);
        for session in live {
            if !short_fits(&session.token) {
                return Some("session token");
            }
            if !time_fits(Some(session.expires_at)) || !time_fits(session.created_at) {
                return Some("session time");
            }
        }
        None
    }

    /// One batch, in one transaction: one multi-row upsert (by id) per
    /// table, the carried accounts an OAuth identity moved away from
    /// deleted (how many is returned), and the record of what was carried.
    async fn write(&self, carried: &Carried) -> Result<u64, Error> {
        let now = || self.time(Some(self.now));
        let users = carried.users.iter().map(|NewRow { email, user }| {
            vec![
                user.id.as_str().into(),
                user.name.as_str().into(),
                email.as_str().into(),
                user.email_verified.into(),
                user.image.clone().into(),
                self.time(user.created_at.or(Some(self.now))),
                self.time(user.updated_at.or(Some(self.now))),
            ]
        });
        let oidc: &[&str] = if self.oidc { &CARRIED_OIDC } else { &[] };
        let accounts = carried.accounts.iter().map(|account| {
            let mut row: Vec<SimpleExpr> = vec![
                account.id.as_str().into(),
                account.account_id.as_str().into(),
                account.provider_id.as_str().into(),
                account.user_id.as_str().into(),
                account.access_token.clone().into(),
                account.refresh_token.clone().into(),
                self.time(account.access_token_expires_at),
            ];
            if self.oidc {
                row.extend([
                    account.id_token.clone().into(),
                    account.scope.clone().into(),
                ]);
            }
            row.extend([now(), now()]);
            row
        });
        let passwords = carried.passwords.iter().map(|(user_id, password)| {
            vec![
                carried_id("credential", user_id).into(),
                user_id.as_str().into(),
                BETTER_AUTH.credential_provider.into(),
                user_id.as_str().into(),
                password.as_str().into(),
                now(),
                now(),
            ]
        });
        let sessions = carried.sessions.iter().map(|(id, session)| {
            vec![
                id.as_str().into(),
                session.token.as_str().into(),
                session.user_id.as_str().into(),
                self.time(Some(session.expires_at)),
                self.time(session.created_at.or(Some(self.now))),
                now(),
            ]
        });
        let credential_ids: Vec<String> = carried
            .passwords
            .iter()
            .map(|(user_id, _)| carried_id("credential", user_id))
            .collect();
        let records = carried
            .users
            .iter()
            .map(|row| (KIND_USER, row.user.id.as_str()))
            .chain(
                carried
                    .accounts
                    .iter()
                    .map(|a| (KIND_ACCOUNT, a.id.as_str())),
            )
            .chain(credential_ids.iter().map(|id| (KIND_ACCOUNT, id.as_str())))
            .chain(
                carried
                    .sessions
                    .iter()
                    .map(|(id, _)| (KIND_SESSION, id.as_str())),
            )
            .map(|(kind, id)| vec![kind.into(), id.into(), self.source.as_str().into()]);
        let txn = self.db.begin().await?;
        upsert(
            &txn,
            BETTER_AUTH.users,
            1,
            &USER_COLUMNS,
            users,
            &[
                "name",
                "email",
                col::EMAIL_VERIFIED,
                "image",
                col::UPDATED_AT,
            ],
        )
        .await?;
        landed(
            &txn,
            BETTER_AUTH.users,
            "email",
            carried
                .users
                .iter()
                .map(|row| (row.user.id.as_str(), row.email.as_str())),
        )
        .await?;
        let moved = self.delete_moved_accounts(&txn, &carried.accounts).await?;
        upsert(
            &txn,
            BETTER_AUTH.accounts,
            1,
            &[&ACCOUNT_KEY[..], &CARRIED_TOKENS, oidc, &CLOCKS].concat(),
            accounts,
            &[
                &[col::USER_ID][..],
                &CARRIED_TOKENS,
                oidc,
                &[col::UPDATED_AT],
            ]
            .concat(),
        )
        .await?;
        upsert(
            &txn,
            BETTER_AUTH.accounts,
            1,
            &[&ACCOUNT_KEY[..], &["password"], &CLOCKS].concat(),
            passwords,
            &["password", col::UPDATED_AT],
        )
        .await?;
        upsert(
            &txn,
            BETTER_AUTH.sessions,
            1,
            &SESSION_COLUMNS[..6],
            sessions,
            &[col::EXPIRES_AT, col::UPDATED_AT],
        )
        .await?;
        landed(
            &txn,
            BETTER_AUTH.sessions,
            "token",
            carried
                .sessions
                .iter()
                .map(|(id, session)| (id.as_str(), session.token.as_str())),
        )
        .await?;
        upsert(
            &txn,
            CARRIED,
            2,
            &["kind", "id", "source"],
            records,
            &["source"],
        )
        .await?;
        txn.commit().await?;
        Ok(moved)
    }

    /// Deletes the accounts this source carried that hold the provider and
    /// account id of one of `accounts` under another id: the OAuth identity
    /// moved to another user in the source (unlinked from one, linked to
    /// another), and the old link must not sign its holder in as the old
    /// user for a moment longer.
    async fn delete_moved_accounts(
        &self,
        txn: &impl ConnectionTrait,
        accounts: &[SourceAccount],
    ) -> Result<u64, DbErr> {
        let mut deleted = 0;
        // Four parameters an account, and the source's.
        for chunk in accounts.chunks(backend::bind_limit(txn.get_database_backend()) / 5) {
            let mut identities = sea_orm::sea_query::Condition::any();
            for account in chunk {
                identities = identities.add(
                    Expr::col(col::PROVIDER_ID)
                        .eq(account.provider_id.as_str())
                        .and(Expr::col(col::ACCOUNT_ID).eq(account.account_id.as_str()))
                        .and(Expr::col("id").ne(account.id.as_str())),
                );
            }
            let ours = Query::select()
                .column("id")
                .from(CARRIED)
                .and_where(Expr::col("kind").eq(KIND_ACCOUNT))
                .and_where(Expr::col("source").eq(self.source.as_str()))
                .to_owned();
            let delete = Query::delete()
                .from_table(BETTER_AUTH.accounts)
                .cond_where(identities)
                .and_where(Expr::col("id").in_subquery(ours))
                .to_owned();
            deleted += txn.execute(&delete).await?.rows_affected();
        }
        Ok(deleted)
    }

    /// Removes what this source carried of `kind` and did not keep in this
    /// run (the source no longer has it, or no longer alive): the rows and
    /// their records. Returns how many rows (dry: would). A row better-auth
    /// deleted already only loses its record.
    async fn sweep(&self, kind: &'static str, kept: &HashSet<String>) -> Result<u64, Error> {
        if !self.migrated {
            return Ok(0);
        }
        let select = Query::select()
            .column("id")
            .from(CARRIED)
            .and_where(Expr::col("kind").eq(kind))
            .and_where(Expr::col("source").eq(self.source.as_str()))
            .to_owned();
        let gone: Vec<String> = self
            .db
            .query_all(&select)
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "id"))
            .filter(|id| id.as_ref().map_or(true, |id| !kept.contains(id)))
            .collect::<Result<_, DbErr>>()?;
        let table = match kind {
            KIND_USER => BETTER_AUTH.users,
            KIND_ACCOUNT => BETTER_AUTH.accounts,
            _ => BETTER_AUTH.sessions,
        };
        let mut removed = 0;
        for chunk in gone.chunks(IN_LIST) {
            let ids = || chunk.iter().map(String::as_str);
            if self.dry_run {
                removed += self.present(table, &ids().collect::<Vec<_>>()).await?.len() as u64;
                continue;
            }
            let txn = self.db.begin().await?;
            let delete = Query::delete()
                .from_table(table)
                .and_where(Expr::col("id").is_in(ids()))
                .to_owned();
            removed += txn.execute(&delete).await?.rows_affected();
            let forget = Query::delete()
                .from_table(CARRIED)
                .and_where(Expr::col("kind").eq(kind))
                .and_where(Expr::col("id").is_in(ids()))
                .to_owned();
            txn.execute(&forget).await?;
            txn.commit().await?;
        }
        Ok(removed)
    }
}

/// Ids per `IN (…)` list.
const IN_LIST: usize = 1_000;

/// Checks that each `(id, value)` row just upserted holds exactly `value`
/// in `column`. On MySQL/MariaDB an upsert whose row meets another row's
/// unique key (an address the collation takes for another) updates that
/// other row instead of writing its own; this finds it before the commit,
/// so the batch rolls back rather than hand one user's row to another.
/// PostgreSQL and SQLite upsert by the named key only (any other key
/// raises an error), so only MySQL needs the check.
async fn landed<'v>(
    txn: &impl ConnectionTrait,
    table: &'static str,
    column: &'static str,
    rows: impl Iterator<Item = (&'v str, &'v str)>,
) -> Result<(), Error> {
    if txn.get_database_backend() != DbBackend::MySql {
        return Ok(());
    }
    let expected: HashMap<&str, &str> = rows.collect();
    let ids: Vec<&str> = expected.keys().copied().collect();
    let mut found = HashMap::new();
    for chunk in ids.chunks(IN_LIST) {
        let select = Query::select()
            .column("id")
            .column(column)
            .from(table)
            .and_where(Expr::col("id").is_in(chunk.iter().copied()))
            .to_owned();
        for row in txn.query_all(&select).await? {
            found.insert(
                row.try_get::<String>("", "id")?,
                row.try_get::<String>("", column)?,
            );
        }
    }
    for (id, value) in expected {
        if found.get(id).map(String::as_str) != Some(value) {
            return Err(Error::Database(DbErr::Custom(format!(
                "{table} {id}: another row of the target holds its {column} under the \
                 database's collation (written by someone else during the run?); nothing of \
                 this batch was written: run again, and the row is listed"
            ))));
        }
    }
    Ok(())
}

/// The tokens of an OAuth account the carry-over carries (an old system
/// keeps no id token and no refresh token expiry).
const CARRIED_TOKENS: [&str; 3] = [
    col::ACCESS_TOKEN,
    col::REFRESH_TOKEN,
    col::ACCESS_TOKEN_EXPIRES_AT,
];

/// What a source that keeps them ([`Writer::oidc`]) carries besides.
const CARRIED_OIDC: [&str; 2] = [col::ID_TOKEN, col::SCOPE];

/// One `INSERT` of every row, updating `on_conflict` where the key (the
/// first `key_len` columns) is there already; nothing for no rows. Rows go
/// in statements of as many as the backend's parameter limit allows.
///
/// On PostgreSQL and SQLite an existing row is rewritten only when one of
/// `on_conflict` other than `updatedAt` differs, so a repeat run leaves the
/// rows the old app did not change alone (no new row version, no index
/// writes). MySQL's `ON DUPLICATE KEY UPDATE` takes no condition; it does
/// not write a row whose values are unchanged, but `updatedAt` moves.
async fn upsert(
    db: &impl ConnectionTrait,
    table: &str,
    key_len: usize,
    columns: &[&'static str],
    rows: impl Iterator<Item = Vec<SimpleExpr>>,
    on_conflict: &[&'static str],
) -> Result<(), DbErr> {
    let rows: Vec<Vec<SimpleExpr>> = rows.collect();
    // As many rows a statement as the backend binds parameters for.
    let per_statement = backend::bind_limit(db.get_database_backend()) / columns.len();
    for chunk in rows.chunks(per_statement) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(table))
            .columns(columns.iter().copied());
        for row in chunk {
            insert.values_panic(row.iter().cloned());
        }
        upsert_statement(db, table, key_len, columns, insert, on_conflict).await?;
    }
    Ok(())
}

/// The `ON CONFLICT` part of [`upsert`], and the statement run.
async fn upsert_statement(
    db: &impl ConnectionTrait,
    table: &str,
    key_len: usize,
    columns: &[&'static str],
    mut insert: sea_orm::sea_query::InsertStatement,
    on_conflict: &[&'static str],
) -> Result<(), DbErr> {
    let mut action = OnConflict::columns(columns[..key_len].iter().copied());
    action.update_columns(on_conflict.iter().copied());
    let compared: Vec<&str> = on_conflict
        .iter()
        .copied()
        .filter(|c| *c != col::UPDATED_AT)
        .collect();
    let pair = |column: &str| {
        (
            format!("\"{table}\".\"{column}\""),
            format!("\"excluded\".\"{column}\""),
        )
    };
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let (ours, theirs): (Vec<String>, Vec<String>) =
                compared.iter().map(|c| pair(c)).unzip();
            action.action_and_where(Expr::cust(format!(
                "({}) IS DISTINCT FROM ({})",
                ours.join(", "),
                theirs.join(", ")
            )));
        }
        DbBackend::Sqlite => {
            let differs: Vec<String> = compared
                .iter()
                .map(|c| {
                    let (ours, theirs) = pair(c);
                    format!("{ours} IS NOT {theirs}")
                })
                .collect();
            action.action_and_where(Expr::cust(differs.join(" OR ")));
        }
        _ => {}
    }
    insert.on_conflict(action.to_owned());
    db.execute(&insert).await.map(drop)
}

/// An account's `expires_at` (epoch seconds, as the provider's
/// `expires_in` made it): a value no time can be (past year 262143) becomes
/// the earliest time chrono has, which no target column holds, so the user
/// is listed (`Unstorable`) instead of failing the run.
fn epoch_seconds(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// An OAuth scope string as better-auth keeps one: the scopes joined by
/// commas (it splits on them), where Auth.js keeps what the provider sent,
/// usually separated by spaces.
fn better_auth_scopes(scope: &str) -> String {
    scope
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|scope| !scope.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// Where the old system keeps a session by its cookie's token: the table,
/// the token's column, the expiry column and how it is kept. `None` for a
/// profile no carry-over comes from, and for one whose sessions table, in
/// better-auth's database, would be better-auth's own
/// ([`named_as_better_auths`]): a bridge then neither reads nor deletes
/// there.
fn old_sessions(
    old: Profile,
    backend: DbBackend,
) -> Option<(&'static str, &'static str, &'static str, StoredTime)> {
    if named_as_better_auths(old) {
        return None;
    }
    match old.descriptor() {
        Descriptor::NextAuth(schema) => Some((
            NextAuthSchema::SESSIONS,
            NextAuthSchema::SESSION_TOKEN,
            "expires",
            Reader::next_auth_time(schema),
        )),
        // Usable, renewed, until the idle period ends.
        Descriptor::LuciaV1(_) => Some((
            LUCIA_V1.sessions,
            "id",
            LUCIA_V1.idle_expires,
            StoredTime::UnixMillis,
        )),
        Descriptor::LuciaV3(_) => Some((
            LUCIA_V3.sessions,
            "id",
            LUCIA_V3.expires_at,
            LUCIA_V3.expiry_on(backend),
        )),
        Descriptor::AuthJs(schema) => Some((
            schema.sessions,
            AuthJsSchema::SESSION_TOKEN,
            "expires",
            schema.times_on(backend),
        )),
        Descriptor::BetterAuth(_) => None,
    }
}

/// Whether the old system (`old`'s tables in `db`) still holds the session
/// of `token` alive at `now`: the cookie bridge serves a carried session
/// only then, so a sign-out in the old app is honoured at once.
pub(crate) async fn live_in_source(
    db: &impl ConnectionTrait,
    old: Profile,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let backend = db.get_database_backend();
    let Some((table, token_column, expires, stored)) = old_sessions(old, backend) else {
        return Ok(false);
    };
    let select = Query::select()
        .expr(Expr::val(1))
        .from(table)
        .cond_where(backend::exact_eq(backend, (table, token_column), token))
        .and_where(Expr::col(expires).gt(backend::time_value(stored, now)))
        .to_owned();
    Ok(db.query_one(&select).await?.is_some())
}

/// Whether `old` names a table of its users, accounts or sessions as
/// better-auth names one of its own (Drizzle's `user`, `account`,
/// `session`): its tables cannot then be in better-auth's database, and
/// what a bridge would find there under those names is better-auth's,
/// never the old app's. The bridges stay shut; the carry-over itself reads
/// such a source from a database of its own.
pub fn named_as_better_auths(old: Profile) -> bool {
    let Descriptor::AuthJs(schema) = old.descriptor() else {
        return false;
    };
    let ours = [
        BETTER_AUTH.users,
        BETTER_AUTH.accounts,
        BETTER_AUTH.sessions,
    ];
    [schema.users, schema.accounts, schema.sessions]
        .iter()
        .any(|table| ours.contains(table))
}

/// The digest that names a source, by its identity, in `authstore_carried`.
fn source_key(identity: &str) -> String {
    rules::token::sha256_hex(&["authstore carry-over source:", identity])[..32].to_owned()
}

/// Whether the carry-over carried user `user_id` from `old`, an Auth.js
/// app whose tables are in `db` (better-auth's database): the JWT bridge's
/// rule, where a token names the user and no session row exists. The
/// carried record must be this database's `old` tables' (as the source),
/// and the old system must still hold the user. Auth.js's JWT apps only: other
/// profiles' cookies are no JWT.
pub(crate) async fn carried_from_jwt_app(
    db: &impl ConnectionTrait,
    old: Profile,
    user_id: &str,
) -> Result<bool, Error> {
    let Descriptor::AuthJs(schema) = old.descriptor() else {
        return Ok(false);
    };
    if named_as_better_auths(old) {
        return Ok(false);
    }
    // The old user's id as its column holds it: authjs-pg's are integers,
    // and a `sub` that is no integer's own spelling ("007", "7 ") names
    // nobody there; Drizzle's and Prisma's are text, compared exactly.
    let old_id = match schema.user_ids {
        AuthJsIds::Serial => match user_id.parse::<i32>() {
            Ok(id) if id.to_string() == user_id => Value::from(id),
            _ => return Ok(false),
        },
        AuthJsIds::Uuid | AuthJsIds::Cuid => Value::from(user_id),
    };
    let carried = Query::select()
        .expr(Expr::val(1))
        .from(CARRIED)
        .and_where(Expr::col("kind").eq(KIND_USER))
        .and_where(Expr::col("id").eq(user_id))
        .and_where(Expr::col("source").eq(source_key(&source_identity(db, old).await?)))
        .to_owned();
    // Without the carry-over's table nobody was carried.
    if !matches!(db.query_one(&carried).await, Ok(Some(_))) {
        return Ok(false);
    }
    let held = Query::select()
        .expr(Expr::val(1))
        .from(schema.users)
        .and_where(Expr::col("id").eq(old_id))
        .to_owned();
    Ok(db.query_one(&held).await?.is_some())
}

/// Ends the old system's session of `token` (`old`'s tables in `db`): a
/// sign-out through the bridge signs out of the old app too.
pub(crate) async fn end_in_source(
    db: &impl ConnectionTrait,
    old: Profile,
    token: &str,
) -> Result<(), Error> {
    let backend = db.get_database_backend();
    let Some((table, token_column, _, _)) = old_sessions(old, backend) else {
        return Ok(());
    };
    backend::delete_where(
        db,
        table,
        backend::exact_eq(backend, (table, token_column), token),
    )
    .await?;
    Ok(())
}
