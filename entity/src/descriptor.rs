//! Each profile's schema facts, written once: the names its tables and
//! columns go by where the JS systems differ, and how each backend stores its
//! times. The migrations lay the schema down from these facts, the
//! `authstore` storage adapters build their statements from them, and the
//! tests and scripts read them; nothing else spells a profile's names.
//!
//! [`Profile::descriptor`](crate::Profile::descriptor) is the registry: an
//! exhaustive `match`, so a new profile is its own folders plus one entry
//! there, and the compiler points at every place that must handle it.
//!
//! ```
//! use authstore_entity::{Descriptor, Profile};
//!
//! let Descriptor::NextAuth(v2) = Profile::NextAuthV2Beta.descriptor() else { unreachable!() };
//! assert_eq!(v2.identifier, "identifer"); // (sic) next-auth 2.0 beta's spelling
//! ```

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use sea_orm::DbBackend;

use crate::better_auth::BetterAuthSchema;

/// The schema a profile speaks, and so which store serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Descriptor {
    /// One of the next-auth schemas, served by `authstore::AuthStore`.
    NextAuth(&'static NextAuthSchema),
    /// Lucia v3's, served by `authstore::lucia_v3::LuciaStore`.
    LuciaV3(&'static LuciaV3Schema),
    /// lucia-auth v1's, served by `authstore::lucia_v1::LuciaV1Store`.
    LuciaV1(&'static LuciaV1Schema),
    /// better-auth's, served by `authstore::better_auth::BetterAuthStore`.
    BetterAuth(&'static BetterAuthSchema),
    /// An Auth.js database adapter's, served by `authstore::authjs::AuthJsStore`.
    AuthJs(&'static AuthJsSchema),
}

impl Descriptor {
    /// The name of the session cookie the JS system sets, as it names it
    /// when the app's public URL is https (`https`) or not: next-auth
    /// prefixes `__Secure-` over https (it derives that from `NEXTAUTH_URL`)
    /// and then reads only the prefixed name; Lucia's name is the same
    /// either way.
    ///
    /// ```
    /// use authstore_entity::Profile;
    /// let next_auth = Profile::NextAuthV3.descriptor();
    /// assert_eq!(next_auth.session_cookie(false), "next-auth.session-token");
    /// assert_eq!(next_auth.session_cookie(true), "__Secure-next-auth.session-token");
    /// assert_eq!(Profile::LuciaV3.descriptor().session_cookie(true), "auth_session");
    /// ```
    ///
    /// The Auth.js profiles' name depends on the app's next-auth major, a
    /// setting rather than a schema fact: this is Auth.js v5's (the store's
    /// config chooses next-auth 4's instead).
    pub const fn session_cookie(self, https: bool) -> &'static str {
        match (self, https) {
            (Descriptor::AuthJs(_), false) => "authjs.session-token",
            (Descriptor::AuthJs(_), true) => "__Secure-authjs.session-token",
            (Descriptor::NextAuth(_), false) => "next-auth.session-token",
            (Descriptor::NextAuth(_), true) => "__Secure-next-auth.session-token",
            (Descriptor::LuciaV3(_) | Descriptor::LuciaV1(_), _) => "auth_session",
            (Descriptor::BetterAuth(_), false) => "better-auth.session_token",
            (Descriptor::BetterAuth(_), true) => "__Secure-better-auth.session_token",
        }
    }

    /// Which of several cookies of the session cookie's name the JS
    /// system's own parser reads. next-auth (Next.js's copy of the `cookie`
    /// package), lucia-auth v1 (its copy of it) and better-auth
    /// (better-call's parser) keep the first; Lucia v3 (`parseCookies`
    /// filling a `Map`) keeps the last. Browsers send the cookie of the
    /// longer path, then the older one, first. Auth.js joins every cookie
    /// whose name starts with the session cookie's (its chunks).
    ///
    /// ```
    /// use authstore_entity::{Profile, RepeatedCookie};
    /// assert_eq!(Profile::NextAuthV3.descriptor().repeated_cookie(), RepeatedCookie::First);
    /// assert_eq!(Profile::LuciaV3.descriptor().repeated_cookie(), RepeatedCookie::Last);
    /// ```
    pub const fn repeated_cookie(self) -> RepeatedCookie {
        match self {
            Descriptor::LuciaV3(_) => RepeatedCookie::Last,
            Descriptor::AuthJs(_) => RepeatedCookie::Chunked,
            Descriptor::NextAuth(_) | Descriptor::LuciaV1(_) | Descriptor::BetterAuth(_) => {
                RepeatedCookie::First
            }
        }
    }

    /// Whether the JS system also takes the session from an
    /// `Authorization: Bearer` header: Lucia v3 does (`readBearerToken`);
    /// next-auth v3 and lucia-auth v1 read the cookie only, and better-auth
    /// does only with its `bearer()` plugin.
    pub const fn reads_bearer_token(self) -> bool {
        matches!(self, Descriptor::LuciaV3(_))
    }

    /// The `authstore` store that serves this schema, by path, for messages
    /// that point a caller to it.
    pub const fn store(self) -> &'static str {
        match self {
            Descriptor::NextAuth(_) => "authstore::AuthStore",
            Descriptor::LuciaV3(_) => "authstore::lucia_v3::LuciaStore",
            Descriptor::LuciaV1(_) => "authstore::lucia_v1::LuciaV1Store",
            Descriptor::BetterAuth(_) => "authstore::better_auth::BetterAuthStore",
            Descriptor::AuthJs(_) => "authstore::authjs::AuthJsStore",
        }
    }
}

/// Which one of a repeated cookie a parser reads
/// ([`Descriptor::repeated_cookie`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepeatedCookie {
    /// The first in the `Cookie` header.
    First,
    /// The last in the `Cookie` header.
    Last,
    /// Auth.js's session store: the first of each name that starts with
    /// the session cookie's name, joined in the order of the number after
    /// the name's last `.` (`name.0`, `name.1`, …): a long value is split
    /// into such chunks.
    Chunked,
}

/// The next-auth schemas share one shape (`users`, `accounts`, `sessions`
/// and a verification table, the same columns in the same order); these are
/// the names and behaviours in which they differ.
#[derive(Debug, PartialEq, Eq)]
pub struct NextAuthSchema {
    /// What the schema is, for messages: "next-auth v3's TypeORM schema".
    pub described_as: &'static str,
    /// `accounts.provider_type`, or `accounts.type` (v4 beta).
    pub provider_type: &'static str,
    /// `accounts.provider_id`, or `accounts.provider` (v4 beta).
    pub provider_id: &'static str,
    /// `verification_requests`, or `verification_tokens` (v4 beta).
    pub verification: &'static str,
    /// The verification table's address column: `identifier`, or
    /// `identifer` (sic, v2 beta).
    pub identifier: &'static str,
    /// The row clock set on insert: `created_at`, or `created` (v2 beta).
    pub created: &'static str,
    /// The row clock set on every write: `updated_at`, or `updated` (v2 beta).
    pub updated: &'static str,
    /// Whether time columns hold wall-clock times in a configured zone
    /// (v2 beta's `timestamp without time zone`) rather than instants.
    pub wall_clock_times: bool,
    /// Whether reading an expired session deletes it, as next-auth v3 and
    /// v4 beta do; next-auth 2.0 beta leaves the row.
    pub deletes_expired_on_read: bool,
}

impl NextAuthSchema {
    /// The users table, the same in every next-auth schema.
    pub const USERS: &'static str = "users";
    /// The linked OAuth accounts table.
    pub const ACCOUNTS: &'static str = "accounts";
    /// The sessions table.
    pub const SESSIONS: &'static str = "sessions";

    /// The columns only next-auth has, the same in every next-auth schema:
    /// spelled here only (the migrations, the storage adapter and the
    /// carry-over name them from here).
    /// `sessions.session_token`: the cookie's token (or its hash).
    pub const SESSION_TOKEN: &'static str = "session_token";
    /// `sessions.access_token`, and an account's provider token.
    pub const ACCESS_TOKEN: &'static str = "access_token";
    /// `accounts.refresh_token`.
    pub const REFRESH_TOKEN: &'static str = "refresh_token";
    /// `accounts.access_token_expires`.
    pub const ACCESS_TOKEN_EXPIRES: &'static str = "access_token_expires";
    /// `accounts.compound_id`: SHA-256 of `provider:provider_account_id`.
    pub const COMPOUND_ID: &'static str = "compound_id";
    /// `accounts.provider_account_id`.
    pub const PROVIDER_ACCOUNT_ID: &'static str = "provider_account_id";
    /// `users.email_verified`.
    pub const EMAIL_VERIFIED: &'static str = "email_verified";

    /// The four tables, parents after children: the order in which they can
    /// be emptied or dropped without a foreign key objecting.
    pub const fn tables_children_first(&self) -> [&'static str; 4] {
        [
            Self::SESSIONS,
            Self::ACCOUNTS,
            self.verification,
            Self::USERS,
        ]
    }
}

/// next-auth v3's TypeORM schema (seed 000).
pub const NEXT_AUTH_V3: NextAuthSchema = NextAuthSchema {
    described_as: "next-auth v3's TypeORM schema",
    provider_type: "provider_type",
    provider_id: "provider_id",
    verification: "verification_requests",
    identifier: "identifier",
    created: "created_at",
    updated: "updated_at",
    wall_clock_times: false,
    deletes_expired_on_read: true,
};

/// The next-auth v4-beta TypeORM docs schema (seed 001).
pub const NEXT_AUTH_V4_BETA: NextAuthSchema = NextAuthSchema {
    described_as: "the next-auth v4-beta TypeORM docs schema",
    provider_type: "type",
    provider_id: "provider",
    verification: "verification_tokens",
    ..NEXT_AUTH_V3
};

/// next-auth 2.0 beta's built-in TypeORM models (seed 002).
pub const NEXT_AUTH_V2_BETA: NextAuthSchema = NextAuthSchema {
    described_as: "next-auth 2.0 beta's TypeORM models",
    identifier: "identifer",
    created: "created",
    updated: "updated",
    wall_clock_times: true,
    deletes_expired_on_read: false,
    ..NEXT_AUTH_V3
};

/// The schemas of Auth.js's database adapters (next-auth 4.24 and Auth.js
/// v5 share them) hold one data model: users, OAuth accounts, sessions and
/// verification tokens, with camelCase columns but for the OAuth token
/// fields. These are the names in which the adapters differ.
#[derive(Debug, PartialEq, Eq)]
pub struct AuthJsSchema {
    /// What the schema is, for messages: "@auth/pg-adapter's schema.sql".
    pub described_as: &'static str,
    /// The users table.
    pub users: &'static str,
    /// The linked accounts table.
    pub accounts: &'static str,
    /// The sessions table.
    pub sessions: &'static str,
    /// The verification tokens table.
    pub verification: &'static str,
    /// The adapter type of `authstore::authjs` that serves the schema.
    pub adapter: AuthJsAdapterKind,
    /// The WebAuthn authenticators table, where the adapter has one.
    pub authenticators: Option<&'static str>,
    /// Who makes a user's id: the database (`serial`) or the writer (a
    /// UUID v4 as text, as `crypto.randomUUID()` makes it).
    pub user_ids: AuthJsIds,
    /// Who makes the `id` accounts and sessions have of their own, where
    /// they have one. Where they do not, an account is its (provider,
    /// providerAccountId) and a session its token.
    pub row_ids: Option<AuthJsIds>,
    /// Whether every user must have an address (`email` NOT NULL).
    pub email_required: bool,
    /// Whether users, accounts and sessions have `createdAt` and
    /// `updatedAt` that the writer sets (Prisma's `@default(now())` and
    /// `@updatedAt`, the latter client-side only).
    pub row_clocks: bool,
    /// Whether `accounts.expires_at` is an `integer` (on PostgreSQL 32
    /// bits: epoch seconds up to 2038-01-19) rather than a `bigint`.
    pub expires_at_integer: bool,
    /// How every instant is stored on PostgreSQL (users' `emailVerified`,
    /// sessions' and verification tokens' `expires`): a `timestamptz`
    /// ([`StoredTime::Instant`]) or a `timestamp` holding UTC
    /// ([`StoredTime::UtcDateTime`], to the millisecond as a JS `Date`).
    pub times: StoredTime,
    /// How the adapter's SQLite tables store an instant, where it has
    /// SQLite tables (Drizzle's: `integer` milliseconds); `None` where its
    /// schema is PostgreSQL's only.
    pub sqlite_times: Option<StoredTime>,
    /// The shape an earlier version of the adapter's docs gave the same
    /// tables, which apps made then still hold: adopted too, and told
    /// apart by whether accounts have an `id` ([`AuthJsSchema::row_ids`]).
    pub earlier_shape: Option<&'static AuthJsSchema>,
}

/// Which of `authstore::authjs`'s adapter types serves a schema
/// ([`AuthJsSchema::adapter`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthJsAdapterKind {
    /// `authstore::authjs::PgAdapter`.
    Pg,
    /// `authstore::authjs::DrizzleAdapter`.
    Drizzle,
    /// `authstore::authjs::PrismaAdapter`.
    Prisma,
    /// `authstore::authjs::PrismaV4Adapter`.
    PrismaV4,
}

/// Who makes a user's id ([`AuthJsSchema::user_ids`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthJsIds {
    /// `serial`: the database numbers rows.
    Serial,
    /// `text`: the writer makes a random UUID v4.
    Uuid,
    /// `text`: the writer makes a CUID (version 1, as Prisma's client's
    /// `@default(cuid())`).
    Cuid,
}

impl AuthJsSchema {
    /// Whether the adapter's tables exist on `backend`.
    pub const fn on(&self, backend: DbBackend) -> bool {
        match backend {
            DbBackend::Postgres => true,
            DbBackend::Sqlite => self.sqlite_times.is_some(),
            _ => false,
        }
    }

    /// How an instant is stored on `backend` ([`AuthJsSchema::times`],
    /// [`AuthJsSchema::sqlite_times`]).
    pub const fn times_on(&self, backend: DbBackend) -> StoredTime {
        match (backend, self.sqlite_times) {
            (DbBackend::Sqlite, Some(times)) => times,
            _ => self.times,
        }
    }

    /// Whether `accounts.expires_at` holds only 32 bits on `backend`: an
    /// `integer` on PostgreSQL; SQLite's holds 64.
    pub const fn expires_at_32_bit_on(&self, backend: DbBackend) -> bool {
        self.expires_at_integer && !matches!(backend, DbBackend::Sqlite)
    }

    /// The columns every adapter spells alike, spelled here only.
    /// `sessions.sessionToken`: the cookie's value, stored plain.
    pub const SESSION_TOKEN: &'static str = "sessionToken";
    /// The user column of sessions and accounts.
    pub const USER_ID: &'static str = "userId";
    /// `users.emailVerified`.
    pub const EMAIL_VERIFIED: &'static str = "emailVerified";
    /// `accounts.providerAccountId`.
    pub const PROVIDER_ACCOUNT_ID: &'static str = "providerAccountId";
    /// `accounts.expires_at`: the provider token's expiry, in epoch seconds.
    pub const EXPIRES_AT: &'static str = "expires_at";
    /// `accounts.type`: `oauth`, `oidc`, `email`, `webauthn` (v5) or
    /// `credentials` (next-auth 4).
    pub const TYPE: &'static str = "type";
    /// `accounts.provider`: the provider's id (`github`).
    pub const PROVIDER: &'static str = "provider";
    /// The provider's tokens and what came with them, snake_case as the
    /// provider's token endpoint names them: `accounts.access_token`, …
    pub const ACCESS_TOKEN: &'static str = "access_token";
    /// `accounts.refresh_token`.
    pub const REFRESH_TOKEN: &'static str = "refresh_token";
    /// `accounts.id_token` (OpenID Connect).
    pub const ID_TOKEN: &'static str = "id_token";
    /// `accounts.token_type`.
    pub const TOKEN_TYPE: &'static str = "token_type";
    /// `accounts.scope`.
    pub const SCOPE: &'static str = "scope";
    /// `accounts.session_state`.
    pub const SESSION_STATE: &'static str = "session_state";
    /// A WebAuthn authenticator's columns ([`AuthJsSchema::authenticators`]):
    /// `credentialID`, its key.
    pub const CREDENTIAL_ID: &'static str = "credentialID";
    /// `credentialPublicKey`.
    pub const CREDENTIAL_PUBLIC_KEY: &'static str = "credentialPublicKey";
    /// `counter`: the signature counter.
    pub const COUNTER: &'static str = "counter";
    /// `credentialDeviceType`.
    pub const CREDENTIAL_DEVICE_TYPE: &'static str = "credentialDeviceType";
    /// `credentialBackedUp`.
    pub const CREDENTIAL_BACKED_UP: &'static str = "credentialBackedUp";
    /// `transports`.
    pub const TRANSPORTS: &'static str = "transports";
    /// The row clocks where the schema keeps them
    /// ([`AuthJsSchema::row_clocks`]): `createdAt`.
    pub const CREATED_AT: &'static str = "createdAt";
    /// `updatedAt`.
    pub const UPDATED_AT: &'static str = "updatedAt";
}

/// `@auth/pg-adapter` 1.11's `schema.sql` (PostgreSQL; serial ids; no
/// unique or foreign keys).
pub const AUTHJS_PG: AuthJsSchema = AuthJsSchema {
    described_as: "@auth/pg-adapter's schema.sql",
    users: "users",
    accounts: "accounts",
    sessions: "sessions",
    verification: "verification_token",
    adapter: AuthJsAdapterKind::Pg,
    authenticators: None,
    user_ids: AuthJsIds::Serial,
    row_ids: Some(AuthJsIds::Serial),
    email_required: false,
    row_clocks: false,
    expires_at_integer: false,
    times: StoredTime::Instant,
    sqlite_times: None,
    earlier_shape: None,
};

/// `@auth/drizzle-adapter` 1.11's default PostgreSQL tables (`defineTables`
/// in its `lib/pg.js`): singular names, text ids the writer makes,
/// `timestamp` without time zone, an authenticator table; on SQLite those
/// of its `lib/sqlite.js`, times in `integer` milliseconds.
pub const AUTHJS_DRIZZLE: AuthJsSchema = AuthJsSchema {
    described_as: "@auth/drizzle-adapter's default tables",
    users: "user",
    accounts: "account",
    sessions: "session",
    verification: "verificationToken",
    adapter: AuthJsAdapterKind::Drizzle,
    authenticators: Some("authenticator"),
    user_ids: AuthJsIds::Uuid,
    row_ids: None,
    email_required: false,
    row_clocks: false,
    expires_at_integer: true,
    times: StoredTime::UtcDateTime,
    // `integer(…, { mode: "timestamp_ms" })`.
    sqlite_times: Some(StoredTime::UnixMillis),
    earlier_shape: None,
};

/// `@auth/prisma-adapter` 2.11's PostgreSQL schema as its docs give it
/// (the models' names as tables, composite keys on accounts, no session id,
/// row clocks the client writes), as Prisma maps it: `TEXT`, `TIMESTAMP(3)`
/// without time zone holding UTC, `INTEGER`.
pub const AUTHJS_PRISMA: AuthJsSchema = AuthJsSchema {
    described_as: "@auth/prisma-adapter's documented PostgreSQL schema",
    users: "User",
    accounts: "Account",
    sessions: "Session",
    verification: "VerificationToken",
    adapter: AuthJsAdapterKind::Prisma,
    authenticators: Some("Authenticator"),
    user_ids: AuthJsIds::Cuid,
    row_ids: None,
    email_required: true,
    row_clocks: true,
    expires_at_integer: true,
    times: StoredTime::UtcDateTime,
    sqlite_times: None,
    earlier_shape: Some(&AUTHJS_PRISMA_V4),
};

/// The same adapter's PostgreSQL schema as next-auth 4's docs gave it
/// (`@next-auth/prisma-adapter`, which `@auth/prisma-adapter` reads as
/// well): a CUID `id` on accounts and sessions, unique keys instead of
/// composite ones, an optional address, no row clocks, and authenticators
/// only where an app moving on to Auth.js v5 added them. Adopted by profile
/// `authjs-prisma`, never laid down.
pub const AUTHJS_PRISMA_V4: AuthJsSchema = AuthJsSchema {
    described_as: "@auth/prisma-adapter's PostgreSQL schema as next-auth 4's docs gave it",
    // The same models, so the same tables: spelled out, as the current
    // shape names this one.
    users: "User",
    accounts: "Account",
    sessions: "Session",
    verification: "VerificationToken",
    adapter: AuthJsAdapterKind::PrismaV4,
    authenticators: Some("Authenticator"),
    user_ids: AuthJsIds::Cuid,
    row_ids: Some(AuthJsIds::Cuid),
    email_required: false,
    row_clocks: false,
    expires_at_integer: true,
    times: StoredTime::UtcDateTime,
    sqlite_times: None,
    earlier_shape: None,
};

/// How a backend stores an instant in one column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredTime {
    /// A time-zone-aware instant (`timestamptz`).
    Instant,
    /// A zone-less `datetime` read and written in UTC (whole seconds where
    /// the profile says so: next-auth's MySQL `datetime`).
    UtcDateTime,
    /// An integer count of seconds since the Unix epoch.
    UnixSeconds,
    /// An integer count of milliseconds since the Unix epoch.
    UnixMillis,
}

impl StoredTime {
    /// The instant in `row`'s nullable `column`, stored this way.
    pub fn read(
        self,
        row: &sea_orm::QueryResult,
        column: &str,
    ) -> Result<Option<DateTime<Utc>>, sea_orm::DbErr> {
        let from_epoch = |count: Option<i64>, to_time: fn(i64) -> Option<DateTime<Utc>>| {
            count
                .map(|count| {
                    to_time(count).ok_or_else(|| {
                        sea_orm::DbErr::Type(format!("{column} = {count} is no time"))
                    })
                })
                .transpose()
        };
        match self {
            StoredTime::Instant => Ok(row
                .try_get::<Option<DateTime<FixedOffset>>>("", column)?
                .map(|at| at.to_utc())),
            StoredTime::UtcDateTime => Ok(row
                .try_get::<Option<NaiveDateTime>>("", column)?
                .map(|at| at.and_utc())),
            StoredTime::UnixSeconds => from_epoch(row.try_get("", column)?, |seconds| {
                Utc.timestamp_opt(seconds, 0).single()
            }),
            StoredTime::UnixMillis => from_epoch(row.try_get("", column)?, |ms| {
                Utc.timestamp_millis_opt(ms).single()
            }),
        }
    }
}

/// Lucia v3's tables as its adapters keep them (seed 004).
#[derive(Debug, PartialEq, Eq)]
pub struct LuciaV3Schema {
    /// The users table.
    pub users: &'static str,
    /// The sessions table.
    pub sessions: &'static str,
    /// The session's expiry column.
    pub expires_at: &'static str,
}

impl LuciaV3Schema {
    /// How `expires_at` is stored on `backend`: as each Lucia adapter keeps
    /// it, so a Lucia app there can share the database.
    pub const fn expiry_on(&self, backend: DbBackend) -> StoredTime {
        match backend {
            DbBackend::MySql => StoredTime::UtcDateTime,
            DbBackend::Sqlite => StoredTime::UnixSeconds,
            _ => StoredTime::Instant,
        }
    }
}

/// Lucia v3 (`lucia-v3`).
pub const LUCIA_V3: LuciaV3Schema = LuciaV3Schema {
    users: "auth_user",
    sessions: "user_session",
    expires_at: "expires_at",
};

/// lucia-auth v1's tables as its PostgreSQL adapter keeps them (seed 003).
/// Its times are [`StoredTime::UnixMillis`] on every backend.
#[derive(Debug, PartialEq, Eq)]
pub struct LuciaV1Schema {
    /// The users table.
    pub users: &'static str,
    /// The keys table: a user's ways to sign in, with password hashes.
    pub keys: &'static str,
    /// The sessions table.
    pub sessions: &'static str,
    /// When a session stops being active (ms since the epoch).
    pub active_expires: &'static str,
    /// When an idle session is over (ms since the epoch).
    pub idle_expires: &'static str,
    /// A key's password hash, if it has one.
    pub hashed_password: &'static str,
    /// Whether a key is the user's primary key.
    pub primary_key: &'static str,
}

/// lucia-auth v1 (`lucia-v1`).
pub const LUCIA_V1: LuciaV1Schema = LuciaV1Schema {
    users: "auth_user",
    keys: "auth_key",
    sessions: "auth_session",
    active_expires: "active_expires",
    idle_expires: "idle_expires",
    hashed_password: "hashed_password",
    primary_key: "primary_key",
};
