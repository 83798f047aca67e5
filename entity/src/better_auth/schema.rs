//! better-auth's schema facts, as better-auth 1.7.25's own migration
//! (`getMigrations(options).runMigrations()`) lays them down: the names, and
//! how each backend keeps a time.

use sea_orm::DbBackend;

use crate::descriptor::StoredTime;

/// better-auth's tables and the columns authstore names in its statements.
#[derive(Debug, PartialEq, Eq)]
pub struct BetterAuthSchema {
    /// The users table.
    pub users: &'static str,
    /// The sessions table; `token` is the cookie's secret, stored plain.
    pub sessions: &'static str,
    /// A user's ways to sign in: OAuth accounts and the password
    /// (`providerId = credential`).
    pub accounts: &'static str,
    /// Short-lived values: sign-in links, one-time codes.
    pub verification: &'static str,
    /// The `providerId` of the account that holds a user's password; its
    /// `accountId` is the user's id.
    pub credential_provider: &'static str,
}

/// How a backend keeps a better-auth time column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BetterAuthTime {
    /// As another profile's column is kept: an instant (`timestamptz` on
    /// PostgreSQL; `timestamp(3)` on MySQL, which converts to and from the
    /// connection's zone: UTC for authstore, as sqlx sets it).
    Stored(StoredTime),
    /// SQLite's `date` column holding JavaScript's `toISOString()` text,
    /// `2026-12-03T14:57:10.123Z`: better-auth misreads integers there.
    IsoText,
}

impl BetterAuthSchema {
    /// How every time column is kept on `backend`. better-auth keeps
    /// milliseconds everywhere (JavaScript `Date`s).
    pub const fn time_on(&self, backend: DbBackend) -> BetterAuthTime {
        match backend {
            DbBackend::Sqlite => BetterAuthTime::IsoText,
            _ => BetterAuthTime::Stored(StoredTime::Instant),
        }
    }

    /// The four tables, children first: the order in which they can be
    /// emptied or dropped without a foreign key objecting.
    pub const fn tables_children_first(&self) -> [&'static str; 4] {
        [self.sessions, self.accounts, self.verification, self.users]
    }
}

/// better-auth (`better-auth`).
pub const BETTER_AUTH: BetterAuthSchema = BetterAuthSchema {
    users: "user",
    sessions: "session",
    accounts: "account",
    verification: "verification",
    credential_provider: "credential",
};
