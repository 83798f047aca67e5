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
//! - **Runs repeat.** Until the cutover the source is the record of truth:
//!   a later run updates carried users, accounts and passwords and the
//!   expiry of carried sessions, and deletes carried sessions the source no
//!   longer has alive (signed out, expired). It never re-creates a carried
//!   user or session the better-auth app deleted since: authstore's table
//!   `authstore_carried` remembers what was carried.
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

use std::collections::{BTreeMap, HashSet};

use authstore_entity::Profile;
use authstore_entity::better_auth::{BETTER_AUTH, BetterAuthTime};
use authstore_entity::descriptor::{Descriptor, LUCIA_V1, LUCIA_V3, NextAuthSchema, StoredTime};
use authstore_entity::own_tables::CARRIED;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Value};
use sha2::{Digest, Sha256};

use validator::ValidationError;

use super::storage::USER_COLUMNS;
use crate::rules;
use crate::rules::email::canonical;
use crate::rules::error::{ConfigError, Error};

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
        }
    }
}

/// A carry-over's settings. [`CarryOver::run`] does the work.
#[derive(Clone, Debug)]
pub struct CarryOver {
    source: Source,
    batch: u64,
    dry_run: bool,
    now: Option<DateTime<Utc>>,
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
    /// These source users' addresses are one once lowercased.
    SameAddress {
        /// The address they share.
        address: String,
        /// Their ids.
        user_ids: Vec<String>,
    },
    /// A user of the target, not carried from this source, has the address.
    AddressTaken {
        /// The source user's id.
        user_id: String,
    },
    /// The id does not fit better-auth's `varchar(36)` on MySQL.
    IdTooLong {
        /// The source user's id.
        user_id: String,
    },
    /// A lucia-auth 0.x hash: carried behind a mark; better-auth refuses
    /// it, and authstore's sign-in rewrites it.
    OldPassword {
        /// The source user's id.
        user_id: String,
    },
    /// A hash no better-auth reader can check (bcrypt, argon2): the user
    /// is carried without a password and must reset it.
    UnusablePassword {
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
    /// Users and sessions not re-created because the better-auth app
    /// deleted them after an earlier run.
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
}

const KIND_USER: &str = "user";
const KIND_SESSION: &str = "session";
/// Carried ids made from a source key begin so; better-auth's own are
/// `[A-Za-z0-9]` only (and `-` is no wildcard in `LIKE`).
const CARRIED_PREFIX: &str = "carried-";
/// better-auth's ids are `varchar(36)` on MySQL.
const ID_MAX: usize = 36;

impl CarryOver {
    /// A carry-over from `source`, in batches of 1,000 users.
    pub fn new(source: Source) -> Self {
        CarryOver {
            source,
            batch: 1_000,
            dry_run: false,
            now: None,
        }
    }

    /// Users per batch (each batch is one transaction on the target).
    pub fn batch(mut self, users: u64) -> Result<Self, Error> {
        if users == 0 {
            return Err(ConfigError::NotPositive("batch").into());
        }
        self.batch = users;
        Ok(self)
    }

    /// Reads and reports everything, writes nothing.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The instant that decides which sessions are live (default: now).
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// Carries `source`'s users into `target`, a migrated `better-auth`
    /// database (one database may be both). `progress` hears after each
    /// batch.
    pub async fn run(
        &self,
        source: &DatabaseConnection,
        target: &DatabaseConnection,
        mut progress: impl FnMut(Progress),
    ) -> Result<CarryOverReport, Error> {
        if let Source::NextAuth(profile) = self.source
            && !matches!(profile.descriptor(), Descriptor::NextAuth(_))
        {
            return Err(rules::invalid(
                "from",
                ValidationError::new("not_next_auth"),
            ));
        }
        let now = self.now.unwrap_or_else(Utc::now).trunc_subsecs(3);
        let reader = Reader {
            db: source,
            source: &self.source,
        };
        let mut report = CarryOverReport::default();
        // One pass over every address first: a collision spans batches.
        let addresses = reader.addresses().await?;
        let shared = shared_addresses(&addresses, &mut report);
        let total = addresses.len() as u64;
        let writer = Writer {
            db: target,
            times: BETTER_AUTH.time_on(target.get_database_backend()),
            now,
            migrated: migrated(target).await,
        };
        if !writer.migrated && !self.dry_run {
            return Err(Error::Database(DbErr::Custom(
                "the target has no better-auth schema: migrate it first (Profile::BetterAuth.up)"
                    .into(),
            )));
        }
        let mut live_sessions = HashSet::new();
        let mut after: Option<Value> = None;
        let mut done = 0;
        loop {
            let batch = reader.batch(after.clone(), self.batch).await?;
            let Some(last) = batch.users.last() else {
                break;
            };
            after = Some(reader.user_key(&last.id));
            done += batch.users.len() as u64;
            let carried = self
                .plan(batch, &shared, &writer, &mut report, &mut live_sessions)
                .await?;
            if !self.dry_run {
                writer.write(&carried).await?;
            }
            report.users += carried.users.len() as u64;
            report.accounts += carried.accounts.len() as u64;
            report.passwords += carried.passwords.len() as u64;
            report.sessions += carried.sessions.len() as u64;
            report.deleted_since += carried.deleted_since;
            progress(Progress { done, total });
        }
        report.ended_sessions = writer.end_sessions(&live_sessions, self.dry_run).await?;
        Ok(report)
    }

    /// Applies the rules to one batch: what to write, and what to report.
    async fn plan(
        &self,
        batch: Batch,
        shared: &HashSet<String>,
        writer: &Writer<'_>,
        report: &mut CarryOverReport,
        live_sessions: &mut HashSet<String>,
    ) -> Result<Carried, Error> {
        let mut carried = Carried::default();
        let mut user_rows = Vec::new();
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
            if shared.contains(&email) {
                continue; // listed once, with every id, by `shared_addresses`
            }
            if user.id.len() > ID_MAX {
                report
                    .left_behind
                    .push(LeftBehind::IdTooLong { user_id: user.id });
                continue;
            }
            user_rows.push((user, email));
        }
        let ids: Vec<&str> = user_rows.iter().map(|(u, _)| u.id.as_str()).collect();
        let emails: Vec<&str> = user_rows.iter().map(|(_, e)| e.as_str()).collect();
        let recorded = writer.recorded(KIND_USER, &ids).await?;
        let present = writer.present_users(&ids).await?;
        let holders = writer.address_holders(&emails).await?;
        let mut kept = HashSet::new();
        for (user, email) in user_rows {
            if holders.get(&email).is_some_and(|holder| *holder != user.id) {
                report
                    .left_behind
                    .push(LeftBehind::AddressTaken { user_id: user.id });
                continue;
            }
            if recorded.contains(&user.id) && !present.contains(&user.id) {
                carried.deleted_since += 1;
                continue;
            }
            if let Some(hash) = &user.password {
                match self.password(hash) {
                    Password::Carried(value) => carried.passwords.push((user.id.clone(), value)),
                    Password::Old(value) => {
                        report.left_behind.push(LeftBehind::OldPassword {
                            user_id: user.id.clone(),
                        });
                        carried.passwords.push((user.id.clone(), value));
                    }
                    Password::Unusable => report.left_behind.push(LeftBehind::UnusablePassword {
                        user_id: user.id.clone(),
                    }),
                }
            }
            kept.insert(user.id.clone());
            carried.users.push(NewRow { email, user });
        }
        carried.accounts = batch
            .accounts
            .into_iter()
            .filter(|a| kept.contains(&a.user_id))
            .collect();
        let sessions: Vec<SourceSession> = batch
            .sessions
            .into_iter()
            .filter(|s| kept.contains(&s.user_id))
            .collect();
        let session_ids: Vec<String> = sessions
            .iter()
            .map(|s| carried_id("session", &s.token))
            .collect();
        let id_refs: Vec<&str> = session_ids.iter().map(String::as_str).collect();
        let recorded = writer.recorded(KIND_SESSION, &id_refs).await?;
        let present = writer.present_sessions(&id_refs).await?;
        for (session, id) in sessions.into_iter().zip(session_ids) {
            if session.expires_at < writer.now {
                report.dead_sessions += 1;
                continue;
            }
            if recorded.contains(&id) && !present.contains(&id) {
                carried.deleted_since += 1;
                continue;
            }
            live_sessions.insert(id.clone());
            carried.sessions.push((id, session));
        }
        Ok(carried)
    }

    fn password(&self, stored: &str) -> Password {
        match &self.source {
            Source::LuciaV1 => match BETTER_AUTH.password_from_lucia_v1(stored) {
                Some(value)
                    if value.starts_with(
                        authstore_entity::better_auth::BetterAuthSchema::LUCIA_AUTH_0X,
                    ) =>
                {
                    Password::Old(value)
                }
                Some(value) => Password::Carried(value),
                None => Password::Unusable,
            },
            // oslo's scrypt (Lucia v3's guides) is better-auth's format; an
            // argon2 or bcrypt hash (`$…`) is not.
            _ if stored.split(':').count() == 2 && !stored.starts_with('$') => {
                Password::Carried(stored.to_owned())
            }
            _ => Password::Unusable,
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

/// Addresses two or more source users share once canonical, each listed
/// once in the report with every id.
fn shared_addresses(
    addresses: &[(String, Option<String>)],
    report: &mut CarryOverReport,
) -> HashSet<String> {
    let mut by_address: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, email) in addresses {
        if let Some(email) = email.as_deref().and_then(|e| canonical(e).ok()) {
            by_address.entry(email).or_default().push(id.clone());
        }
    }
    let mut shared = HashSet::new();
    for (address, mut user_ids) in by_address {
        if user_ids.len() > 1 {
            user_ids.sort();
            shared.insert(address.clone());
            report
                .left_behind
                .push(LeftBehind::SameAddress { address, user_ids });
        }
    }
    shared
}

/// A target id for a row the source keys otherwise (a Lucia key, a session
/// token): `carried-` and 24 hex characters of its SHA-256, 32 in all, so a
/// run finds its own row again and the token never becomes an id.
fn carried_id(kind: &str, key: &str) -> String {
    let digest = Sha256::new()
        .chain_update(kind)
        .chain_update(":")
        .chain_update(key)
        .finalize();
    format!("{CARRIED_PREFIX}{}", &hex::encode(digest)[..24])
}

/// Reads the source's rows by its profile's names.
struct Reader<'a> {
    db: &'a DatabaseConnection,
    source: &'a Source,
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

    fn users_table(&self) -> &'static str {
        match self.source {
            Source::NextAuth(_) => NextAuthSchema::USERS,
            Source::LuciaV3 { .. } => LUCIA_V3.users,
            Source::LuciaV1 => LUCIA_V1.users,
        }
    }

    /// The key of a user id for paging: next-auth's ids are integers.
    fn user_key(&self, id: &str) -> Value {
        match self.source {
            Source::NextAuth(_) => Value::Int(id.parse().ok()),
            _ => Value::String(Some(id.to_owned())),
        }
    }

    fn read_id(&self, row: &QueryResult, column: &str) -> Result<String, DbErr> {
        match self.source {
            Source::NextAuth(_) => Ok(row.try_get::<i32>("", column)?.to_string()),
            _ => row.try_get("", column),
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
            Source::NextAuth(_) => {
                let select = Query::select()
                    .columns(["id", "email"])
                    .from(NextAuthSchema::USERS)
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
        }
    }

    async fn next_auth_batch(&self, mut select: SelectStatement) -> Result<Batch, Error> {
        let schema = self.next_auth().expect("a next-auth source");
        let time = Self::next_auth_time(schema);
        select
            .columns(["id", "name", "email", "email_verified", "image"])
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
                email_verified: time.read(&row, "email_verified")?.is_some(),
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
                "provider_account_id",
                "refresh_token",
                "access_token",
                "access_token_expires",
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
                account_id: row.try_get("", "provider_account_id")?,
                access_token: row.try_get("", "access_token")?,
                refresh_token: row.try_get("", "refresh_token")?,
                access_token_expires_at: time.read(&row, "access_token_expires")?,
            });
        }
        let sessions = Query::select()
            .columns(["user_id", "expires", "session_token"])
            .expr_as(Expr::col(schema.created), "created")
            .from(NextAuthSchema::SESSIONS)
            .and_where(Expr::col("user_id").is_in(ids))
            .to_owned();
        for row in self.all(&sessions).await? {
            batch.sessions.push(SourceSession {
                token: row.try_get("", "session_token")?,
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

/// Whether `target` holds this profile's migrated schema (a dry run may
/// look at one that does not yet, as empty).
async fn migrated(target: &DatabaseConnection) -> bool {
    let probe = Query::select()
        .expr(Expr::val(1))
        .from(CARRIED)
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
}

impl Writer<'_> {
    /// `at` as better-auth keeps it: whole milliseconds.
    fn time(&self, at: Option<DateTime<Utc>>) -> SimpleExpr {
        Expr::val(self.times.value(at.map(|at| at.trunc_subsecs(3))))
    }

    async fn strings(
        &self,
        select: SelectStatement,
        column: &str,
    ) -> Result<HashSet<String>, DbErr> {
        if !self.migrated {
            return Ok(HashSet::new());
        }
        let rows = self.db.query_all(&select).await?;
        rows.iter()
            .map(|row| row.try_get::<String>("", column))
            .collect()
    }

    async fn recorded(&self, kind: &str, ids: &[&str]) -> Result<HashSet<String>, DbErr> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let select = Query::select()
            .column("id")
            .from(CARRIED)
            .and_where(Expr::col("kind").eq(kind))
            .and_where(Expr::col("id").is_in(ids.iter().copied()))
            .to_owned();
        self.strings(select, "id").await
    }

    async fn present(
        &self,
        table: &str,
        column: &'static str,
        ids: &[&str],
    ) -> Result<HashSet<String>, DbErr> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let select = Query::select()
            .column(column)
            .from(Alias::new(table))
            .and_where(Expr::col(column).is_in(ids.iter().copied()))
            .to_owned();
        self.strings(select, column).await
    }

    async fn present_users(&self, ids: &[&str]) -> Result<HashSet<String>, DbErr> {
        self.present(BETTER_AUTH.users, "id", ids).await
    }

    async fn present_sessions(&self, ids: &[&str]) -> Result<HashSet<String>, DbErr> {
        self.present(BETTER_AUTH.sessions, "id", ids).await
    }

    /// Who holds each of these addresses in the target.
    async fn address_holders(&self, emails: &[&str]) -> Result<BTreeMap<String, String>, DbErr> {
        if emails.is_empty() || !self.migrated {
            return Ok(BTreeMap::new());
        }
        let select = Query::select()
            .columns(["id", "email"])
            .from(BETTER_AUTH.users)
            .and_where(Expr::col("email").is_in(emails.iter().copied()))
            .to_owned();
        let rows = self.db.query_all(&select).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String>("", "email")?.to_lowercase(),
                    row.try_get("", "id")?,
                ))
            })
            .collect()
    }

    /// One batch, in one transaction: one multi-row upsert (by id) per
    /// table, and the record of what was carried.
    async fn write(&self, carried: &Carried) -> Result<(), Error> {
        use sea_orm::TransactionTrait;
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
        let accounts = carried.accounts.iter().map(|account| {
            vec![
                account.id.as_str().into(),
                account.account_id.as_str().into(),
                account.provider_id.as_str().into(),
                account.user_id.as_str().into(),
                account.access_token.clone().into(),
                account.refresh_token.clone().into(),
                self.time(account.access_token_expires_at),
                now(),
                now(),
            ]
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
        let records = carried
            .users
            .iter()
            .map(|row| (KIND_USER, row.user.id.as_str()))
            .chain(
                carried
                    .sessions
                    .iter()
                    .map(|(id, _)| (KIND_SESSION, id.as_str())),
            )
            .map(|(kind, id)| vec![kind.into(), id.into()]);
        let txn = self.db.begin().await?;
        upsert(
            &txn,
            BETTER_AUTH.users,
            1,
            &USER_COLUMNS,
            users,
            &["name", "email", "emailVerified", "image", "updatedAt"],
        )
        .await?;
        upsert(
            &txn,
            BETTER_AUTH.accounts,
            1,
            &[
                "id",
                "accountId",
                "providerId",
                "userId",
                "accessToken",
                "refreshToken",
                "accessTokenExpiresAt",
                "createdAt",
                "updatedAt",
            ],
            accounts,
            &[
                "accessToken",
                "refreshToken",
                "accessTokenExpiresAt",
                "updatedAt",
            ],
        )
        .await?;
        upsert(
            &txn,
            BETTER_AUTH.accounts,
            1,
            &[
                "id",
                "accountId",
                "providerId",
                "userId",
                "password",
                "createdAt",
                "updatedAt",
            ],
            passwords,
            &["password", "updatedAt"],
        )
        .await?;
        upsert(
            &txn,
            BETTER_AUTH.sessions,
            1,
            &[
                "id",
                "token",
                "userId",
                "expiresAt",
                "createdAt",
                "updatedAt",
            ],
            sessions,
            &["expiresAt", "updatedAt"],
        )
        .await?;
        // An update of nothing rather than `do_nothing`, which MariaDB
        // cannot parse as SeaQuery writes it.
        upsert(&txn, CARRIED, 2, &["kind", "id"], records, &["kind"]).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deletes carried sessions not in `live` (the source no longer has
    /// them alive). Returns how many (dry: would).
    async fn end_sessions(&self, live: &HashSet<String>, dry_run: bool) -> Result<u64, Error> {
        let select = Query::select()
            .column("id")
            .from(BETTER_AUTH.sessions)
            .and_where(Expr::col("id").like(format!("{CARRIED_PREFIX}%")))
            .to_owned();
        let ended: Vec<String> = self
            .strings(select, "id")
            .await?
            .into_iter()
            .filter(|id| !live.contains(id))
            .collect();
        if !dry_run {
            for chunk in ended.chunks(1_000) {
                let delete = Query::delete()
                    .from_table(BETTER_AUTH.sessions)
                    .and_where(Expr::col("id").is_in(chunk.iter().map(String::as_str)))
                    .to_owned();
                self.db.execute(&delete).await?;
            }
        }
        Ok(ended.len() as u64)
    }
}

/// One `INSERT` of every row, updating `on_conflict` where the key (the
/// first `key_len` columns) is there already; nothing for no rows.
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
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(table))
        .columns(columns.iter().copied());
    let mut any = false;
    for row in rows {
        insert.values_panic(row);
        any = true;
    }
    if !any {
        return Ok(());
    }
    let mut action = OnConflict::columns(columns[..key_len].iter().copied());
    action.update_columns(on_conflict.iter().copied());
    let compared: Vec<&str> = on_conflict
        .iter()
        .copied()
        .filter(|c| *c != "updatedAt")
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
