//! The storage adapter for the next-auth family of schemas (profiles
//! `next-auth-v3`, `next-auth-v4-beta` and `next-auth-v2-beta`): rows in,
//! public models out. It decides nothing: the rules (validation, token
//! shapes, expiry) sit above it in the table modules, and what differs
//! between PostgreSQL, MySQL and SQLite sits in `backend`.
//!
//! The three schemas are one shape with different names (a few columns and
//! the verification table) and different time columns (instants, or
//! next-auth 2.0 beta's wall-clock times). The profile's descriptor
//! (`authstore_entity::descriptor`) holds those differences, one [`Schema`]
//! per profile wraps it, and every statement here is built from it. The hot statements' SQL is built once per (profile, backend):
//! each profile's `Schema` owns its own [`BuiltOnce`] caches.

mod accounts;
mod sessions;
mod users;
mod verification;

pub(crate) use sessions::{Rows, StoredTokens};

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Alias, Expr, InsertStatement, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};

use crate::backend::{self, BuiltOnce, Reread};
use authstore_entity::Profile;
use authstore_entity::descriptor::{self, NextAuthSchema};

pub(crate) const USERS: &str = NextAuthSchema::USERS;
pub(crate) const ACCOUNTS: &str = NextAuthSchema::ACCOUNTS;
pub(crate) const SESSIONS: &str = NextAuthSchema::SESSIONS;

/// A next-auth schema: its names (the profile's descriptor), and the SQL
/// built for it.
pub(crate) struct Schema {
    names: &'static NextAuthSchema,
    /// The per-request session lookup, built once per backend.
    lookup: BuiltOnce,
    /// The user-by-provider-account lookup, built once per backend.
    by_account: BuiltOnce,
}

static NEXT_AUTH_V3: Schema = Schema::new(&descriptor::NEXT_AUTH_V3);
static NEXT_AUTH_V4_BETA: Schema = Schema::new(&descriptor::NEXT_AUTH_V4_BETA);
static NEXT_AUTH_V2_BETA: Schema = Schema::new(&descriptor::NEXT_AUTH_V2_BETA);

impl Schema {
    const fn new(names: &'static NextAuthSchema) -> Schema {
        Schema {
            names,
            lookup: BuiltOnce::new(),
            by_account: BuiltOnce::new(),
        }
    }

    /// Whether reading an expired session deletes it.
    pub(crate) fn deletes_expired_on_read(&self) -> bool {
        self.names.deletes_expired_on_read
    }

    /// The schema of a next-auth profile; `None` for the profiles of other
    /// systems, which have stores of their own.
    pub(crate) fn of(profile: Profile) -> Option<&'static Schema> {
        match profile {
            Profile::NextAuthV3 => Some(&NEXT_AUTH_V3),
            Profile::NextAuthV4Beta => Some(&NEXT_AUTH_V4_BETA),
            Profile::NextAuthV2Beta => Some(&NEXT_AUTH_V2_BETA),
            Profile::LuciaV3
            | Profile::LuciaV1
            | Profile::BetterAuth
            | Profile::AuthJsPg
            | Profile::AuthJsDrizzle
            | Profile::AuthJsPrisma => None,
        }
    }

    fn user_columns(&self) -> [&'static str; 7] {
        let (created, updated) = (self.names.created, self.names.updated);
        [
            "id",
            "name",
            "email",
            NextAuthSchema::EMAIL_VERIFIED,
            "image",
            created,
            updated,
        ]
    }

    fn account_columns(&self) -> [&'static str; 11] {
        let (created, updated) = (self.names.created, self.names.updated);
        [
            "id",
            NextAuthSchema::COMPOUND_ID,
            "user_id",
            self.names.provider_type,
            self.names.provider_id,
            NextAuthSchema::PROVIDER_ACCOUNT_ID,
            NextAuthSchema::REFRESH_TOKEN,
            NextAuthSchema::ACCESS_TOKEN,
            NextAuthSchema::ACCESS_TOKEN_EXPIRES,
            created,
            updated,
        ]
    }

    fn session_columns(&self) -> [&'static str; 7] {
        let (created, updated) = (self.names.created, self.names.updated);
        [
            "id",
            "user_id",
            "expires",
            NextAuthSchema::SESSION_TOKEN,
            NextAuthSchema::ACCESS_TOKEN,
            created,
            updated,
        ]
    }

    fn verification_columns(&self) -> [&'static str; 6] {
        let (created, updated) = (self.names.created, self.names.updated);
        [
            "id",
            self.names.identifier,
            "token",
            "expires",
            created,
            updated,
        ]
    }
}

/// The storage of one next-auth schema on one connection.
pub(crate) struct Storage<'a, C> {
    pub(crate) db: &'a C,
    pub(crate) schema: &'static Schema,
    /// The zone wall-clock columns are read and written in.
    pub(crate) zone: Tz,
}

impl<C> Clone for Storage<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C> Copy for Storage<'_, C> {}

impl<'a, C> Storage<'a, C> {
    /// The same tables on another connection (a read replica, a
    /// revocation's transaction).
    pub(crate) fn on<'b, D>(&self, db: &'b D) -> Storage<'b, D> {
        Storage {
            db,
            schema: self.schema,
            zone: self.zone,
        }
    }
}

impl<C: ConnectionTrait> Storage<'_, C> {
    /// `at` as a time column of this schema takes it.
    pub(crate) fn time(&self, at: DateTime<Utc>) -> Expr {
        self.optional_time(Some(at))
    }

    fn optional_time(&self, at: Option<DateTime<Utc>>) -> Expr {
        let value: Value = if self.schema.names.wall_clock_times {
            at.map(|at| self.zone.from_utc_datetime(&at.naive_utc()).naive_local())
                .into()
        } else {
            at.map(|at| at.fixed_offset()).into()
        };
        Expr::val(value)
    }

    /// A time column of a row, as an instant.
    fn read_time(
        &self,
        row: &QueryResult,
        pre: &str,
        column: &str,
    ) -> Result<DateTime<Utc>, DbErr> {
        self.read_optional_time(row, pre, column)?
            .ok_or_else(|| DbErr::Type(format!("{pre}{column} is NULL")))
    }

    fn read_optional_time(
        &self,
        row: &QueryResult,
        pre: &str,
        column: &str,
    ) -> Result<Option<DateTime<Utc>>, DbErr> {
        if !self.schema.names.wall_clock_times {
            let at: Option<DateTime<FixedOffset>> = row.try_get(pre, column)?;
            return Ok(at.map(|at| at.to_utc()));
        }
        let at: Option<NaiveDateTime> = row.try_get(pre, column)?;
        Ok(at.map(|at| self.instant_of(at)))
    }

    /// The instant a wall-clock time in the configured zone stands for. In
    /// the hour a daylight-saving change repeats, the earlier of the two;
    /// in the hour it skips (which no clock shows, but a database default
    /// in another zone can write), the offset from before the change.
    fn instant_of(&self, wall_clock: NaiveDateTime) -> DateTime<Utc> {
        match self.zone.from_local_datetime(&wall_clock).earliest() {
            Some(at) => at.to_utc(),
            None => {
                let before = self.zone.offset_from_utc_datetime(&wall_clock);
                let offset = chrono::Offset::fix(&before);
                (wall_clock - chrono::TimeDelta::seconds(offset.local_minus_utc().into())).and_utc()
            }
        }
    }

    /// `INSERT`s a row and reads it back (see [`backend::write_returning`]).
    async fn insert_returning(
        &self,
        table: &'static str,
        columns: &[&'static str],
        insert: InsertStatement,
    ) -> Result<QueryResult, DbErr> {
        backend::write_returning(self.db, insert, columns, Reread::Inserted(table))
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("the row just inserted into {table}")))
    }
}

/// `SELECT columns FROM table`, to be filtered.
fn select(table: &'static str, columns: &[&'static str]) -> SelectStatement {
    Query::select()
        .columns(columns.iter().copied())
        .from(table)
        .to_owned()
}

/// `SELECT` of `table`'s `columns` as `{pre}{column}`, for a join.
fn select_prefixed(
    select: &mut SelectStatement,
    table: &'static str,
    columns: &[&'static str],
    pre: &str,
) {
    for column in columns {
        select.expr_as(
            Expr::col((table, *column)),
            Alias::new(format!("{pre}{column}")),
        );
    }
}
