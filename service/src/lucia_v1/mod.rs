//! Profile `lucia-v1`: lucia-auth v1's `auth_user`, `auth_key` and
//! `auth_session` tables, shared with a Lucia v1 app, through the calls a
//! Lucia v1 user knows: users with a primary key and password, keys, and
//! sessions with an active and an idle period.
//!
//! ```
//! use authstore::lucia_v1::{LuciaV1Store, NewKey, NewUser};
//! use authstore_migration::{Profile, ProfileMigrations};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! Profile::LuciaV1.up(&db).await?;
//! let lucia = LuciaV1Store::new(db, Default::default());
//!
//! // Sign-up: the user and their email key with its password, in one transaction.
//! let email = NewKey { provider_id: "email", provider_user_id: "ada@example.com", password: Some("correct horse") };
//! let user = lucia.create_user(NewUser { primary_key: Some(email), ..Default::default() }).await?;
//!
//! // Sign-in: the key and password give the user, then a session for the cookie.
//! let signed_in = lucia.use_key("email", "ada@example.com", Some("correct horse")).await?;
//! assert_eq!(signed_in.key.user_id, user.id);
//! let session = lucia.create_session(&user.id).await?;
//!
//! // Every later request.
//! let valid = lucia.validate_session(session.id.expose()).await?.expect("a live session");
//! assert_eq!(valid.user.id, user.id);
//! assert!(!valid.session.fresh); // fresh: a new session replaced an idle one; set the cookie
//! # Ok(()) }
//! ```
//!
//! # The rules (lucia-auth 1.8.0's)
//!
//! - **Sessions** are active for [`LuciaV1Config::active_period`] (24 h),
//!   then idle for [`LuciaV1Config::idle_period`] (14 days), then dead
//!   ([`crate::ActiveIdleExpiry`]). Validating an idle session creates a new
//!   one (new id, fresh periods), returned with `fresh` so the cookie can be
//!   replaced; the old row stays until it dies. A dead session is deleted
//!   when read; creating a session deletes the user's dead ones. Session ids
//!   are 40 characters of `[a-zA-Z0-9]` from the OS RNG; every session call
//!   refuses any other id without a query.
//! - **Keys** are `"{provider id}:{provider user id}"`. A user's primary key
//!   is created with the user, in the same transaction (lucia-auth v1's own
//!   pair of inserts is not atomic: a duplicate key there leaves a user
//!   without a key). Single-use keys carry an expiry; a valid use deletes
//!   them, an expired one is refused and deleted.
//! - **Passwords** are stored in lucia-auth v1's `s2` scrypt format (see
//!   [`hash_password`]); hashing and checking run on tokio's blocking pool,
//!   never on the async executor, so a sign-in does not stall other
//!   requests. A sign-in with a hash in lucia-auth 0.x's weaker format
//!   reports [`SignIn::password_needs_rehash`].
//!
//! Deliberate differences from lucia-auth v1: a password given for a key
//! that has none is refused (Lucia ignores it, which would let any password
//! open a password-less key); a password NFKC changes is accepted in its
//! NFKC form too, where Lucia refuses it against its own hash (see
//! [`verify_password`]); and failed sign-ins are limited per key and per
//! client address ([`LuciaV1Config::sign_in_attempt_limit`]), which Lucia
//! leaves to the app.
//!
//! Times are milliseconds since the epoch (`BIGINT`) on every backend. The
//! app's attribute columns on `auth_user` are written through
//! [`NewUser::attributes`] and [`LuciaV1Store::update_user_attributes`] and
//! read with the app's own entity.

mod keys;
mod sessions;
mod storage;

use authstore_entity::Profile;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait, Value};
use validator::ValidationError;

use crate::attempts::AttemptLimit;
use crate::cache::SessionCacheConfig;
use crate::rules::error::{ConfigError, Conflict, Error, on_write};
use crate::rules::expiry::ActiveIdleExpiry;
use crate::rules::token;
use crate::rules::{self, password, text};
use sessions::Rows;
use storage::Storage;

pub use keys::{Key, NewKey, SignIn};
pub use sessions::{Session, SessionState, ValidSession};

pub use crate::rules::password::PASSWORD_MAX_BYTES;
/// What checking a password against a stored hash found.
pub use crate::rules::password::Verified as PasswordCheck;

/// An attribute column of `auth_user` and its value, e.g.
/// `("username", "ada".into())`. Column names are code, not input: they are
/// `&'static str`.
pub type Attribute = (&'static str, Value);

/// A Lucia v1 user: its id. Attribute columns are the app's to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The user's id (`auth_user.id`).
    pub id: String,
}

/// What [`LuciaV1Store::create_user`] stores.
#[derive(Clone, Debug, Default)]
pub struct NewUser<'a> {
    /// The user's id; `None` makes one as lucia-auth v1 does (15 characters
    /// of `[a-zA-Z0-9]`).
    pub id: Option<&'a str>,
    /// The user's primary key (lucia-auth v1's `primaryKey`), e.g. their
    /// email address with a password.
    pub primary_key: Option<NewKey<'a>>,
    /// Values for the app's attribute columns on `auth_user`.
    pub attributes: Vec<Attribute>,
}

/// lucia-auth v1's `sessionExpiresIn`, and whether validations are cached.
///
/// ```
/// use authstore::lucia_v1::LuciaV1Config;
/// use chrono::TimeDelta;
/// let config = LuciaV1Config::default()
///     .active_period(TimeDelta::hours(1))?
///     .idle_period(TimeDelta::days(7))?
///     .session_cache(100_000, TimeDelta::seconds(30))?;
/// assert_eq!(config.expiry().idle_period, TimeDelta::days(7));
/// # Ok::<(), authstore::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LuciaV1Config {
    expiry: ActiveIdleExpiry,
    session_cache: Option<SessionCacheConfig>,
    attempt_limit: Option<AttemptLimit>,
}

impl Default for LuciaV1Config {
    /// lucia-auth v1's defaults: active 24 hours, then idle 14 days.
    fn default() -> Self {
        LuciaV1Config {
            expiry: ActiveIdleExpiry {
                active_period: TimeDelta::hours(24),
                idle_period: TimeDelta::days(14),
            },
            session_cache: None,
            attempt_limit: Some(AttemptLimit::default()),
        }
    }
}

impl LuciaV1Config {
    /// How long a new session is active; at least a millisecond.
    pub fn active_period(mut self, period: TimeDelta) -> Result<Self, Error> {
        self.expiry.active_period = positive_millis("active_period", period)?;
        Ok(self)
    }

    /// How long a session stays idle (renewable) after its active period;
    /// at least a millisecond.
    pub fn idle_period(mut self, period: TimeDelta) -> Result<Self, Error> {
        self.expiry.idle_period = positive_millis("idle_period", period)?;
        Ok(self)
    }

    /// The periods.
    pub fn expiry(&self) -> ActiveIdleExpiry {
        self.expiry
    }

    crate::core::session_cache_setting!(LuciaV1Store);

    /// How many failed [`LuciaV1Store::use_key`] calls are allowed per key
    /// and per client address before more are refused with
    /// [`Error::SignInThrottled`]; `None` turns the limit off (lucia-auth
    /// v1 has none). On by default with [`AttemptLimit::default`]: 10 per
    /// key and 100 per client in any 15 minutes. Counted in the
    /// `authstore_sign_in_attempt` table (this profile's migration adds
    /// it), so every process sharing the database sees the same counts.
    pub fn sign_in_attempt_limit(mut self, limit: Option<AttemptLimit>) -> Self {
        self.attempt_limit = limit;
        self
    }

    /// The sign-in attempt limit, if it is on.
    pub fn attempt_limit(&self) -> Option<AttemptLimit> {
        self.attempt_limit
    }
}

/// `period` if it is at least a millisecond, the unit the rows keep.
fn positive_millis(name: &'static str, period: TimeDelta) -> Result<TimeDelta, ConfigError> {
    match period.num_milliseconds() {
        ..=0 => Err(ConfigError::NotPositive(name)),
        _ => Ok(period),
    }
}

crate::core::profile_store!(
    /// The store of a `lucia-v1` database: a connection, a [`LuciaV1Config`]
    /// and a clock. Cloning is cheap. Needs a tokio runtime (password hashing
    /// runs on its blocking pool).
    LuciaV1Store(LuciaV1Config, Profile::LuciaV1),
    on_example = r#"
```
# mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
# setup::lucia_v1_example(async |lucia| {
use authstore::lucia_v1::NewUser;
use sea_orm::TransactionTrait;
let txn = lucia.connection().begin().await?;
let user = lucia.on(&txn).create_user(NewUser::default()).await?;
txn.rollback().await?;
assert!(lucia.get_user(&user.id).await?.is_none());
# Ok(()) });
```
"#
);

impl<Db: ConnectionTrait + TransactionTrait> LuciaV1Store<Db> {
    /// Now, in the milliseconds the rows keep.
    fn now(&self) -> DateTime<Utc> {
        self.core.now().trunc_subsecs(3)
    }

    /// Creates a user and, if given, their primary key, in one transaction:
    /// if the key cannot be stored, neither is the user. The password is
    /// hashed before the transaction starts.
    ///
    /// Errors, with nothing written: [`Error::Validation`] on `id`,
    /// `provider_id`, `provider_user_id`, `password` or `attributes` (an
    /// attribute may not be `id`); [`Error::Conflict`] with
    /// [`Conflict::UserId`] or [`Conflict::KeyId`].
    pub async fn create_user(&self, user: NewUser<'_>) -> Result<User, Error> {
        let id = match user.id {
            Some(id) => {
                text::app_id(id).map_err(|why| rules::invalid("id", why))?;
                id.to_owned()
            }
            None => token::lucia_v1_user_id(),
        };
        check_attributes(&user.attributes)?;
        let key = match &user.primary_key {
            Some(key) => Some(keys::row(&id, key, true, None).await?),
            None => None,
        };
        let txn = self.core.db.begin().await?;
        let storage = Storage { db: &txn };
        storage
            .insert_user(&id, &user.attributes)
            .await
            .map_err(on_write(Conflict::UserId))?;
        if let Some(key) = &key {
            storage
                .insert_key(key)
                .await
                .map_err(on_write(Conflict::KeyId))?;
        }
        txn.commit().await?;
        Ok(User { id })
    }

    /// The user with this id, if any.
    pub async fn get_user(&self, id: &str) -> Result<Option<User>, Error> {
        if text::app_id(id).is_err() {
            return Ok(None);
        }
        Ok(self.storage().user(id).await?)
    }

    /// Sets attribute columns of a user. [`Error::NotFound`] if there is no
    /// such user; [`Error::Validation`] on `attributes` if one is `id`.
    pub async fn update_user_attributes(
        &self,
        id: &str,
        attributes: &[Attribute],
    ) -> Result<(), Error> {
        check_attributes(attributes)?;
        if text::app_id(id).is_err() {
            return Err(Error::NotFound);
        }
        let found = match attributes {
            [] => self.storage().user(id).await?.is_some(),
            _ => self.storage().update_user(id, attributes).await?,
        };
        found.then_some(()).ok_or(Error::NotFound)
    }

    /// Deletes the user with their sessions and keys, in one transaction.
    /// [`Error::NotFound`] if there is no such user; then nothing changes.
    pub async fn delete_user(&self, id: &str) -> Result<(), Error> {
        let sessions = self.sessions();
        let txn = sessions.begin_user_deletion(&id.to_owned()).await?;
        Storage { db: &txn }.delete_user_keys(id).await?;
        let found = Storage { db: &txn }.delete_user(id).await?;
        sessions
            .core
            .finish_user_deletion(txn, id.to_owned(), found)
            .await
    }
}

/// Attribute columns may not name `id`, which the store writes itself.
fn check_attributes(attributes: &[Attribute]) -> Result<(), Error> {
    if attributes
        .iter()
        .any(|(column, _)| column.eq_ignore_ascii_case("id"))
    {
        return Err(rules::invalid(
            "attributes",
            ValidationError::new("id_is_not_an_attribute"),
        ));
    }
    Ok(())
}

/// `password` hashed in lucia-auth v1's format, `s2:{salt}:{key}`: a
/// 16-character alphanumeric salt from the OS RNG and the hex of
/// scrypt(NFKC(password), N = 16384, r = 16, p = 1, 64 bytes). Deliberately
/// slow (about 0.1 s and 16 MiB per call on this project's CI machine; see
/// BENCHMARKS.md): in a server, run it off the async executor, as
/// [`LuciaV1Store`] does.
///
/// ```
/// use authstore::lucia_v1::{PasswordCheck, hash_password, verify_password};
/// let stored = hash_password("correct horse battery staple");
/// assert!(stored.starts_with("s2:"));
/// assert_eq!(verify_password("correct horse battery staple", &stored), PasswordCheck::Valid);
/// assert_eq!(verify_password("wrong", &stored), PasswordCheck::Invalid);
/// ```
pub fn hash_password(password: &str) -> String {
    password::hash(password)
}

/// Checks `password` against a hash lucia-auth v1 (`s2:…`), lucia-auth 0.x
/// (`salt:key`, r = 8: [`PasswordCheck::NeedsRehash`] when it matches) or
/// this crate wrote, in constant time; a bcrypt hash (`$2a…`) is
/// [`PasswordCheck::Outdated`].
///
/// The password is checked as typed, as lucia-auth does; if that fails and
/// NFKC changes the password, its NFKC form is checked too, as that is what
/// lucia-auth v1 hashed. So every password lucia-auth accepts is accepted
/// here, and one NFKC changes (which lucia-auth v1 refuses against its own
/// hash) is accepted as well. A sign-in refuses an empty password whatever
/// is stored ([`LuciaV1Store::use_key`]); this function only compares.
pub fn verify_password(password: &str, stored: &str) -> PasswordCheck {
    password::verify(password, stored)
}
