//! The one error type, and the one place database errors become typed errors.

use sea_orm::{DbErr, SqlErr};
use thiserror::Error as ThisError;
use validator::ValidationErrors;

/// Everything an authstore call can fail with.
///
/// Messages never contain tokens, token hashes or the secret. A
/// [`Error::Database`] keeps the driver's error as its `source` for
/// debugging, but unique-key violations (whose driver messages can quote the
/// duplicated value, a token among them) are turned into
/// [`Error::Conflict`] without it.
///
/// ```
/// use authstore::{Config, Error};
/// let err = Config::new(" ").unwrap_err();
/// assert!(matches!(err, Error::Config(_)));
/// assert_eq!(err.to_string(), "invalid config: the secret is empty");
/// ```
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// Input failed validation; nothing was sent to the database.
    /// `field_errors()` names each bad field.
    #[error("invalid input: {}", field_names(.0))]
    Validation(ValidationErrors),
    /// A row with the same unique key already exists.
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// The user an account or session was for does not exist.
    #[error("unknown user")]
    UnknownUser,
    /// The row an update or delete targeted does not exist.
    #[error("not found")]
    NotFound,
    /// Any other database failure.
    #[error("database error")]
    Database(#[source] DbErr),
    /// The configuration was rejected.
    #[error("invalid config: {0}")]
    Config(#[from] ConfigError),
    /// Too many sign-in links were sent to this identifier lately
    /// ([`crate::ConfigBuilder::link_issuance_limit`]); nothing was written.
    #[error("too many sign-in links for this address; retry at {retry_at}")]
    RateLimited {
        /// The first whole second at which a link may be asked for again.
        retry_at: chrono::DateTime<chrono::Utc>,
    },
    /// Too many sign-ins failed lately for this key or client address
    /// ([`crate::AttemptLimit`]): refused before the password was checked,
    /// whether or not the account exists; nothing was written.
    #[error("too many failed sign-ins; retry at {retry_at}")]
    SignInThrottled {
        /// The first whole second at which a sign-in may be tried again.
        retry_at: chrono::DateTime<chrono::Utc>,
    },
    /// A key could not be used to sign in (profile `lucia-v1`,
    /// `LuciaV1Store::use_key`). The message names the reason; whether to
    /// show the person that reason or one vague line is the app's choice.
    #[error("sign-in refused: {0}")]
    SignInRefused(Refusal),
    /// A carry-over into better-auth (`better_auth::carry_over`) was refused
    /// before it wrote anything.
    #[error("carry-over refused: {0}")]
    CarryOverRefused(CarryOverRefusal),
}

/// Why a carry-over run was refused before it wrote anything.
#[derive(Clone, Debug, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum CarryOverRefusal {
    /// The target holds rows carried from another source. Carrying from a
    /// second database (a staging copy, another app) would overwrite users
    /// whose ids collide; say so explicitly (`CarryOver::another_source`,
    /// `--another-source`) to carry from it too, and colliding ids are then
    /// listed, never overwritten. Both identities name a server and a
    /// database, never a URL or a password.
    #[error(
        "the target was carried over from {recorded}, and this source is {given}; \
         to carry from a second source too, say so (another source)"
    )]
    AnotherSource {
        /// The first source the target was carried from.
        recorded: String,
        /// The source of this run.
        given: String,
    },
    /// Another carry-over into this target is running (it holds the
    /// target's lock); two at once would end each other's sessions.
    #[error("another carry-over into this database is running; try again when it ends")]
    AlreadyRunning,
    /// The source and the target are one database, and the source
    /// profile's tables have better-auth's names (`authjs-drizzle`'s
    /// `user`, `account`, `session`): they cannot both be there. Carry from
    /// the app's database into a better-auth database of its own.
    #[error(
        "profile {profile} names its tables as better-auth does, so its database cannot be          better-auth's too: carry over into a database of its own"
    )]
    SameTables {
        /// The source profile.
        profile: &'static str,
    },
}

/// Why a key could not be used to sign in: lucia-auth v1's
/// `AUTH_INVALID_KEY_ID`, `AUTH_INVALID_PASSWORD`, `AUTH_OUTDATED_PASSWORD`
/// and `AUTH_EXPIRED_KEY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum Refusal {
    /// No key has this provider id and provider user id (or a concurrent
    /// use of a single-use key won).
    #[error("no such key")]
    UnknownKey,
    /// The password does not match, or one was given for a key that has
    /// none, or none for a key that has one.
    #[error("wrong password")]
    WrongPassword,
    /// The stored hash is bcrypt (`$2a`), which is not checked here (nor by
    /// lucia-auth v1): the password must be reset.
    #[error("the stored password hash is in an outdated format; the password must be reset")]
    OutdatedPassword,
    /// The single-use key's time ran out; it has been deleted.
    #[error("the single-use key has expired")]
    ExpiredKey,
}

/// Which unique key a write collided with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum Conflict {
    /// `users.email`
    #[error("a user with this email already exists")]
    Email,
    /// `accounts.compound_id`: this provider account is already linked.
    #[error("this provider account is already linked")]
    Account,
    /// A generated token collided with an existing one.
    #[error("a generated token collided; retry")]
    Token,
    /// A user id that is taken (Lucia profiles, where ids are the app's).
    #[error("a user with this id already exists")]
    UserId,
    /// A lucia-v1 key (`"{provider id}:{provider user id}"`) that exists.
    #[error("a key with this provider id and provider user id already exists")]
    KeyId,
    /// A WebAuthn credential that is stored already (Auth.js's
    /// `authenticator.credentialID`).
    #[error("a passkey with this credential id already exists")]
    Credential,
}

/// Why a [`crate::Config`] was rejected.
#[derive(Clone, Debug, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum ConfigError {
    /// The secret is empty (or only whitespace).
    #[error("the secret is empty")]
    EmptySecret,
    /// The named setting must be above zero.
    #[error("{0} must be greater than zero")]
    NotPositive(&'static str),
    /// The named length of time is longer than any session can last (a
    /// hundred years).
    #[error("{0} is longer than a hundred years")]
    TooLong(&'static str),
    /// next-auth renews a session once `update_age` has passed, which
    /// cannot be after it ends.
    #[error("session_update_age must not exceed session_max_age")]
    UpdateAgeExceedsMaxAge,
    /// `AuthStore` serves the next-auth profiles; this one has its own store.
    #[error(
        "profile {0} is not a next-auth profile; it has a store of its own: {store}",
        store = .0.descriptor().store()
    )]
    NotNextAuth(authstore_entity::Profile),
    /// `AUTHSTORE_NEXT_AUTH_MAJOR` names no next-auth major authstore
    /// speaks: `4` (next-auth 4.24) or `5` (Auth.js v5).
    #[error("AUTHSTORE_NEXT_AUTH_MAJOR={0:?} names no next-auth major; expected 4 or 5")]
    NextAuthMajor(String),
    /// Several secrets were given for a next-auth 4 app, which encrypts and
    /// decrypts with one; rotating secrets came with Auth.js v5.
    #[error("next-auth 4 takes one secret; several (rotation) need Auth.js v5")]
    SecretRotation,
    /// The JWT bridge serves Auth.js apps (`authjs-*` profiles); this
    /// profile keeps no JWT session.
    #[error("profile {0} keeps no JWT session cookie; the JWT bridge serves the authjs-* profiles")]
    JwtBridge(authstore_entity::Profile),
    /// Session token claims must be a JSON object.
    #[error("the session token's claims must be a JSON object")]
    JwtClaims,
    /// The web layer needs the app's public URL: an absolute `http` or
    /// `https` URL with a host.
    #[error("the public URL must be an absolute http(s) URL with a host")]
    PublicUrl,
    /// A read replica is not a physical copy of the primary's database
    /// (another cluster, or another database of the replica's cluster):
    /// it would answer with sessions the primary does not hold.
    #[error(
        "the read replica is not a copy of the primary's database: the primary is {primary}, the replica {replica}"
    )]
    ReplicaNotACopy {
        /// The primary's database and cluster.
        primary: String,
        /// The replica's.
        replica: String,
    },
    /// A trusted origin (`WebSessions::trusting_origins`) must be an
    /// http(s) origin: scheme, host and port, nothing more.
    #[error("{0:?} is no http(s) origin such as https://app.example.com")]
    TrustedOrigin(String),
    /// The profile's tables are not served on this database's backend (an
    /// Auth.js adapter's on another backend keep other columns and times).
    #[error("{0}'s tables are not served on this database's backend")]
    NotOnBackend(authstore_entity::Profile),
    /// The Auth.js adapter keeps no WebAuthn authenticators
    /// (`@auth/pg-adapter`), or the app's database has no table for them
    /// (an app without passkeys may leave it out).
    #[error(
        "this database keeps no passkeys: the adapter has no authenticator table, or the app left it out"
    )]
    NoAuthenticators,
    /// Listening for session changes needs the session cache on.
    #[error("the session cache is off (ConfigBuilder::session_cache)")]
    NoSessionCache,
    /// Listening for session changes needs PostgreSQL.
    #[error("listening for session changes needs PostgreSQL")]
    NotPostgres,
    /// Read replicas are PostgreSQL streaming replicas of a PostgreSQL
    /// primary.
    #[error("read replicas need PostgreSQL, for the store's connection and every replica")]
    ReplicasNotPostgres,
    /// A store's replicas are set once.
    #[error("this store already has read replicas")]
    ReplicasAlreadySet,
    /// The replicas' poll must come round within their lag bound.
    #[error("ReplicaConfig::poll_every must be shorter than max_lag")]
    PollNotWithinLag,
    /// A background task was asked for outside a tokio runtime.
    #[error("a tokio runtime is needed to {0}")]
    NoRuntime(&'static str),
    /// The listener's connection did not hear a notification sent through
    /// the store: it does not reach PostgreSQL directly (PgBouncer in
    /// transaction or statement pooling mode cannot carry LISTEN).
    #[error(
        "the listener's connection did not hear a test notification within {0:?}: LISTEN needs a direct connection to PostgreSQL, not one through a transaction pooler such as PgBouncer"
    )]
    ListenerDoesNotHear(std::time::Duration),
}

impl From<ValidationErrors> for Error {
    fn from(errors: ValidationErrors) -> Self {
        Error::Validation(errors)
    }
}

/// A database error with no more specific meaning at its call site.
impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        classify(err, None)
    }
}

/// Maps a database error for a write whose unique-key violation means
/// `conflict`, and whose foreign-key violation means the user is unknown.
pub(crate) fn on_write(conflict: Conflict) -> impl FnOnce(DbErr) -> Error {
    move |err| classify(err, Some(conflict))
}

fn classify(err: DbErr, conflict: Option<Conflict>) -> Error {
    match (err.sql_err(), conflict) {
        (Some(SqlErr::UniqueConstraintViolation(_)), Some(conflict)) => Error::Conflict(conflict),
        // Only `user_id` columns carry foreign keys in this schema.
        (Some(SqlErr::ForeignKeyConstraintViolation(_)), _) => Error::UnknownUser,
        _ => match err {
            DbErr::RecordNotFound(_) | DbErr::RecordNotUpdated => Error::NotFound,
            err => Error::Database(err),
        },
    }
}

fn field_names(errors: &ValidationErrors) -> String {
    let mut fields: Vec<String> = errors
        .field_errors()
        .keys()
        .map(|k| k.to_string())
        .collect();
    fields.sort_unstable();
    fields.join(", ")
}
