//! Profile `lucia-v3`: Lucia v3's `auth_user` and `user_session` tables,
//! shared with a Lucia app, through the calls a Lucia user knows.
//!
//! ```
//! use authstore::lucia_v3::LuciaStore;
//! use authstore_migration::{Profile, ProfileMigrations};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! Profile::LuciaV3.up(&db).await?;
//! let lucia = LuciaStore::new(db, Default::default());
//!
//! let user = lucia.create_user(None).await?; // an id in Lucia's shape
//! let session = lucia.create_session(&user.id).await?; // its id goes in the `auth_session` cookie
//! let valid = lucia.validate_session(session.id.expose()).await?.expect("a live session");
//! assert_eq!(valid.user.id, user.id);
//! assert!(!valid.session.fresh); // fresh: the expiry moved, re-send the cookie
//! lucia.invalidate_session(session.id.expose()).await?;
//! # Ok(()) }
//! ```
//!
//! The rules are Lucia 3.2's: a session lives
//! [`LuciaConfig::session_expires_in`] (30 days); validating it in its second
//! half moves the expiry to now + that and reports it `fresh`
//! ([`crate::HalfLifeExpiry`]); an expired session, or one whose user is
//! gone, is deleted when read. Session ids are 25 bytes from the OS RNG as 40
//! characters of lowercase base32, as Lucia 3.2 makes them; ids Lucia
//! 3.0/3.1 made (40 characters of `[0-9a-z]`) validate too, since ids are
//! only looked up.
//!
//! Attribute columns an app added to either table (nullable, or NOT NULL with
//! a default) are the app's: authstore names its own columns in every
//! statement, so it never reads, overwrites or drops them. Read them with
//! your own SeaORM entity.

mod storage;

use authstore_entity::Profile;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

use crate::cache::SessionCacheConfig;

use crate::rules;
use crate::rules::error::{ConfigError, Conflict, Error, on_write};
use crate::rules::expiry::{ExpiryPolicy, HalfLifeExpiry};
use crate::rules::text;
use crate::rules::token::{self, Secret};
use storage::{Rows, Storage};

/// A Lucia user: its id. Attribute columns are the app's to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LuciaUser {
    /// The user's id (`auth_user.id`).
    pub id: String,
}

/// A Lucia session. Its id is the cookie value, a [`Secret`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LuciaSession {
    /// The session id: the `auth_session` cookie's value.
    pub id: Secret,
    /// The user the session belongs to.
    pub user_id: String,
    /// When the session ends, unless a validation in its second half
    /// renews it first.
    pub expires_at: DateTime<Utc>,
    /// The expiry was just set (created, or renewed by this validation):
    /// send the cookie again.
    pub fresh: bool,
}

crate::cache::valid_session!(
    /// What [`LuciaStore::validate_session`] finds for a live session.
    ValidSession { session: LuciaSession, user: LuciaUser },
    token: id,
    fresh_replaces: false
);

/// How long Lucia sessions live, and whether validations are cached.
///
/// ```
/// use authstore::lucia_v3::LuciaConfig;
/// use chrono::TimeDelta;
/// let config = LuciaConfig::default()
///     .session_expires_in(TimeDelta::days(7))?
///     .session_cache(100_000, TimeDelta::seconds(30))?;
/// assert_eq!(config.session_cache_bounds().map(|c| c.max_entries), Some(100_000));
/// # Ok::<(), authstore::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LuciaConfig {
    expiry: HalfLifeExpiry,
    session_cache: Option<SessionCacheConfig>,
}

impl Default for LuciaConfig {
    /// Lucia's default: 30 days.
    fn default() -> Self {
        LuciaConfig {
            expiry: HalfLifeExpiry {
                expires_in: TimeDelta::days(30),
            },
            session_cache: None,
        }
    }
}

impl LuciaConfig {
    /// Sets Lucia's `sessionExpiresIn`; it must be longer than two seconds
    /// (the half-life rule needs whole seconds on MySQL and SQLite).
    pub fn session_expires_in(mut self, expires_in: TimeDelta) -> Result<Self, Error> {
        if expires_in <= TimeDelta::seconds(2) {
            return Err(ConfigError::NotPositive("session_expires_in").into());
        }
        self.expiry.expires_in = expires_in;
        Ok(self)
    }

    /// The session lifetime.
    pub fn expires_in(&self) -> TimeDelta {
        self.expiry.expires_in
    }

    crate::core::session_cache_setting!(LuciaStore);
}

crate::core::profile_store!(
    /// The store of a `lucia-v3` database: a connection, a [`LuciaConfig`] and a
    /// clock. Cloning is cheap.
    LuciaStore(LuciaConfig, Profile::LuciaV3),
    on_example = r#"
```
# mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
# setup::lucia_v3_example(async |lucia| {
use sea_orm::TransactionTrait;
let txn = lucia.connection().begin().await?;
let user = lucia.on(&txn).create_user(None).await?;
txn.rollback().await?;
assert_eq!(lucia.get_user(&user.id).await?, None);
# Ok(()) });
```
"#
);

impl<Db: ConnectionTrait + TransactionTrait> LuciaStore<Db> {
    /// Now, as the backend's `expires_at` keeps it ([`storage::storable`]).
    fn now(&self) -> DateTime<Utc> {
        storage::storable(self.core.db.get_database_backend(), self.core.now())
    }

    /// Creates a user with `id`, or with a new id in Lucia's shape (16
    /// characters of `[a-z2-7]`) when `None`. An id that is taken is
    /// [`Error::Conflict`]`(`[`Conflict::UserId`]`)`; one that is empty,
    /// longer than 255 characters or holds control characters is
    /// [`Error::Validation`] on `id`.
    pub async fn create_user(&self, id: Option<&str>) -> Result<LuciaUser, Error> {
        let id = match id {
            Some(id) => {
                text::app_id(id).map_err(|why| rules::invalid("id", why))?;
                id.to_owned()
            }
            None => token::lucia_user_id(),
        };
        self.storage()
            .insert_user(&id)
            .await
            .map_err(on_write(Conflict::UserId))?;
        Ok(LuciaUser { id })
    }

    /// The user with this id, if any.
    pub async fn get_user(&self, id: &str) -> Result<Option<LuciaUser>, Error> {
        if text::app_id(id).is_err() {
            return Ok(None);
        }
        Ok(self
            .storage()
            .user_exists(id)
            .await?
            .then(|| LuciaUser { id: id.to_owned() }))
    }

    /// Deletes the user and their sessions in one transaction.
    /// [`Error::NotFound`] if there is no such user; then nothing changes.
    pub async fn delete_user(&self, id: &str) -> Result<(), Error> {
        let sessions = self.sessions();
        let txn = sessions.begin_user_deletion(&id.to_owned()).await?;
        let found = Storage { db: &txn }.delete_user(id).await?;
        sessions
            .core
            .finish_user_deletion(txn, id.to_owned(), found)
            .await
    }

    /// Starts a session for a user: a new id and `expires_at` = now +
    /// `session_expires_in`; one `INSERT`. [`Error::UnknownUser`] if the
    /// user does not exist.
    pub async fn create_session(&self, user_id: &str) -> Result<LuciaSession, Error> {
        if text::app_id(user_id).is_err() {
            return Err(Error::UnknownUser);
        }
        let expires_at = storage::storable(
            self.core.db.get_database_backend(),
            self.config.expiry.starting_at(self.now()),
        );
        crate::backend::check_time(
            self.core.db.get_database_backend(),
            "expires_at",
            Some(expires_at),
        )?;
        let id = token::lucia_session_id();
        self.storage()
            .insert_session(id.expose(), user_id, expires_at)
            .await
            .map_err(on_write(Conflict::Token))?;
        Ok(LuciaSession {
            id,
            user_id: user_id.to_owned(),
            expires_at,
            fresh: true,
        })
    }

    /// The session for a cookie's id and its user, or `None`: Lucia's
    /// `validateSession`. One `SELECT … LEFT JOIN`; a write only to renew
    /// (in the session's second half: `fresh` is then true) or to delete an
    /// expired session or one whose user is gone. With the session cache
    /// on, a live session in its first half is served from memory.
    pub async fn validate_session(&self, id: &str) -> Result<Option<ValidSession>, Error> {
        self.sessions().validate(id).await
    }

    /// Ends one session (Lucia's `invalidateSession`). Returns whether it
    /// existed.
    pub async fn invalidate_session(&self, id: &str) -> Result<bool, Error> {
        self.sessions().revoke(id).await
    }

    /// Ends every session of a user (Lucia's `invalidateUserSessions`).
    /// Returns how many.
    pub async fn invalidate_user_sessions(&self, user_id: &str) -> Result<u64, Error> {
        self.sessions().revoke_user(&user_id.to_owned()).await
    }

    /// A user's live sessions (expired ones are left out, not deleted, as
    /// Lucia's `getUserSessions`).
    pub async fn user_sessions(&self, user_id: &str) -> Result<Vec<LuciaSession>, Error> {
        if text::app_id(user_id).is_err() {
            return Ok(Vec::new());
        }
        Ok(self.storage().live_sessions(user_id, self.now()).await?)
    }

    /// Deletes expired sessions in batches of [`PURGE_BATCH`](crate::PURGE_BATCH). Returns how
    /// many.
    pub async fn delete_expired_sessions(&self) -> Result<u64, Error> {
        self.sessions().purge().await
    }
}
