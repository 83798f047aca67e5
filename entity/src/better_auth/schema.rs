//! better-auth's schema facts, as better-auth 1.7.25's own migration
//! (`getMigrations(options).runMigrations()`) lays them down: the names, and
//! how each backend keeps a time.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{DbBackend, DbErr, QueryResult, Value};

use crate::descriptor::StoredTime;

/// better-auth's own column names, camelCase as its Kysely adapter writes
/// them: spelled here only, and named from here by the migration, the
/// store and the carry-over. (Names every system shares, `id`, `name`,
/// `email`, `token`, are spelled where they are used.)
pub mod column {
    /// `account.accountId`: the provider's id of the user (for the
    /// credential account, the user's own id).
    pub const ACCOUNT_ID: &str = "accountId";
    /// `account.providerId`: `github`, …, or `credential`.
    pub const PROVIDER_ID: &str = "providerId";
    /// `session.userId`, `account.userId`.
    pub const USER_ID: &str = "userId";
    /// `session.expiresAt`, `verification.expiresAt`.
    pub const EXPIRES_AT: &str = "expiresAt";
    /// Every table's creation time.
    pub const CREATED_AT: &str = "createdAt";
    /// Every table's last change.
    pub const UPDATED_AT: &str = "updatedAt";
    /// `session.ipAddress`.
    pub const IP_ADDRESS: &str = "ipAddress";
    /// `session.userAgent`.
    pub const USER_AGENT: &str = "userAgent";
    /// `account.accessToken`.
    pub const ACCESS_TOKEN: &str = "accessToken";
    /// `account.refreshToken`.
    pub const REFRESH_TOKEN: &str = "refreshToken";
    /// `account.idToken`.
    pub const ID_TOKEN: &str = "idToken";
    /// `account.scope`.
    pub const SCOPE: &str = "scope";
    /// `account.accessTokenExpiresAt`.
    pub const ACCESS_TOKEN_EXPIRES_AT: &str = "accessTokenExpiresAt";
    /// `account.refreshTokenExpiresAt`.
    pub const REFRESH_TOKEN_EXPIRES_AT: &str = "refreshTokenExpiresAt";
    /// `user.emailVerified`.
    pub const EMAIL_VERIFIED: &str = "emailVerified";
}

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

/// How a backend keeps a better-auth time column. better-auth keeps
/// milliseconds everywhere (JavaScript `Date`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BetterAuthTime {
    /// An instant: `timestamptz` on PostgreSQL; `timestamp(3)` on MySQL,
    /// which converts to and from the connection's zone (UTC for authstore,
    /// as sqlx sets it; the server's for better-auth's mysql2).
    Instant,
    /// SQLite's `date` column holding JavaScript's `toISOString()` text,
    /// `2026-12-03T14:57:10.123Z`, which also sorts as time does: better-auth
    /// misreads integers there.
    IsoText,
}

impl BetterAuthTime {
    /// `at` as the column takes it (a typed NULL for `None`).
    pub fn value(self, at: Option<DateTime<Utc>>) -> Value {
        match self {
            BetterAuthTime::Instant => {
                Value::ChronoDateTimeWithTimeZone(at.map(|at| at.fixed_offset()))
            }
            BetterAuthTime::IsoText => {
                Value::String(at.map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true)))
            }
        }
    }

    /// The instant in `row`'s nullable `column`.
    pub fn read(self, row: &QueryResult, column: &str) -> Result<Option<DateTime<Utc>>, DbErr> {
        match self {
            BetterAuthTime::Instant => StoredTime::Instant.read(row, column),
            BetterAuthTime::IsoText => row
                .try_get::<Option<String>>("", column)?
                .map(|text| {
                    DateTime::parse_from_rfc3339(&text)
                        .map(|at| at.to_utc())
                        .map_err(|_| {
                            DbErr::Type(format!("{column} = {text:?} is no ISO-8601 time"))
                        })
                })
                .transpose(),
        }
    }
}

impl BetterAuthSchema {
    /// How every time column is kept on `backend`.
    pub const fn time_on(&self, backend: DbBackend) -> BetterAuthTime {
        match backend {
            DbBackend::Sqlite => BetterAuthTime::IsoText,
            _ => BetterAuthTime::Instant,
        }
    }

    /// A lucia-auth v1 password hash as it is kept in `account.password`:
    /// `s2:{salt}:{key}` with `s2:` removed, which better-auth verifies as it
    /// is (the same scrypt, r = 16); a lucia-auth 0.x `{salt}:{key}` (r = 8),
    /// which better-auth cannot verify, behind [`Self::LUCIA_AUTH_0X`];
    /// `None` for what no better-auth reader can use (bcrypt, a value that is
    /// no hash).
    ///
    /// ```
    /// use authstore_entity::better_auth::BETTER_AUTH;
    /// let key = "0f".repeat(64);
    /// let current = BETTER_AUTH.password_from_lucia_v1(&format!("s2:salt:{key}"));
    /// assert_eq!(current, Some(format!("salt:{key}")));
    /// let zero_x = BETTER_AUTH.password_from_lucia_v1(&format!("salt:{key}"));
    /// assert_eq!(zero_x, Some(format!("lucia-auth-0.x:salt:{key}")));
    /// assert_eq!(BETTER_AUTH.password_from_lucia_v1("$2a$10$abc"), None);
    /// assert_eq!(BETTER_AUTH.password_from_lucia_v1("hunter2:notahash"), None);
    /// ```
    pub fn password_from_lucia_v1(&self, stored: &str) -> Option<String> {
        if let Some(current) = stored.strip_prefix("s2:") {
            return Self::is_scrypt_hash(current).then(|| current.to_owned());
        }
        Self::is_scrypt_hash(stored).then(|| format!("{}{stored}", Self::LUCIA_AUTH_0X))
    }

    /// Whether `value` has the shape every scrypt hash of these systems
    /// has: `{salt}:{key}`, a salt without `:` and a key of 64 bytes in
    /// lowercase hex. A one-colon value that is no hash
    /// (`hunter2:notahash`) is not one, so it is never carried as a
    /// password.
    ///
    /// ```
    /// use authstore_entity::better_auth::BetterAuthSchema;
    /// assert!(BetterAuthSchema::is_scrypt_hash(&format!("salt:{}", "0f".repeat(64))));
    /// assert!(!BetterAuthSchema::is_scrypt_hash("hunter2:notahash"));
    /// assert!(!BetterAuthSchema::is_scrypt_hash(&format!(":{}", "0f".repeat(64))));
    /// ```
    pub fn is_scrypt_hash(value: &str) -> bool {
        let Some((salt, key)) = value.split_once(':') else {
            return false;
        };
        !salt.is_empty()
            && key.len() == Self::SCRYPT_KEY_HEX
            && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    /// The length of a scrypt key in hex: 64 bytes, as lucia-auth, oslo and
    /// better-auth derive it.
    pub const SCRYPT_KEY_HEX: usize = 128;

    /// The mark in front of a carried lucia-auth 0.x hash. better-auth reads
    /// the value as a wrong password; authstore checks it as lucia-auth did
    /// and replaces it by better-auth's hash at the user's next sign-in.
    pub const LUCIA_AUTH_0X: &'static str = "lucia-auth-0.x:";

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
