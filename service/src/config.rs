//! Durations and the verification secret, checked once, when the store is built.

use std::fmt;

use chrono::TimeDelta;

use crate::error::{ConfigError, Error};
use crate::token::TokenStorage;

/// How long sessions and verification links live, and the secret that
/// verification tokens are hashed with.
///
/// The defaults are next-auth v3's: sessions last 30 days and are extended
/// at most once a day; verification links last 24 hours.
///
/// ```
/// use authstore::Config;
/// use chrono::TimeDelta;
///
/// let config = Config::new("a long random secret shared with next-auth")?
///     .session_max_age(TimeDelta::days(7))?
///     .session_update_age(TimeDelta::hours(1))?;
/// assert_eq!(config.session_max_age_value(), TimeDelta::days(7));
/// assert!(Config::new("").is_err());
/// # Ok::<(), authstore::Error>(())
/// ```
#[derive(Clone)]
pub struct Config {
    session_max_age: TimeDelta,
    session_update_age: TimeDelta,
    verification_max_age: TimeDelta,
    secret: String,
    session_token_storage: TokenStorage,
}

impl Config {
    /// A config with next-auth v3's defaults. `secret` hashes verification
    /// tokens; it must be the same `secret` next-auth is given if the two
    /// share a database. An empty (or all-whitespace) secret is an error.
    pub fn new(secret: impl Into<String>) -> Result<Self, Error> {
        let secret = secret.into();
        if secret.trim().is_empty() {
            return Err(ConfigError::EmptySecret.into());
        }
        Ok(Config {
            session_max_age: TimeDelta::days(30),
            session_update_age: TimeDelta::hours(24),
            verification_max_age: TimeDelta::hours(24),
            secret,
            session_token_storage: TokenStorage::Plain,
        })
    }

    /// How long a session lives after it is created or renewed.
    pub fn session_max_age(mut self, max_age: TimeDelta) -> Result<Self, Error> {
        self.session_max_age = positive("session_max_age", max_age)?;
        self.check_update_age()?;
        Ok(self)
    }

    /// How often a session's expiry may be pushed forward. Reads within this
    /// time of the last renewal write nothing.
    pub fn session_update_age(mut self, update_age: TimeDelta) -> Result<Self, Error> {
        self.session_update_age = positive("session_update_age", update_age)?;
        self.check_update_age()?;
        Ok(self)
    }

    /// How long an email verification link stays valid.
    pub fn verification_max_age(mut self, max_age: TimeDelta) -> Result<Self, Error> {
        self.verification_max_age = positive("verification_max_age", max_age)?;
        Ok(self)
    }

    /// How session tokens are stored: [`TokenStorage::Plain`] (the default,
    /// next-auth compatible) or [`TokenStorage::Hashed`].
    pub fn session_token_storage(mut self, storage: TokenStorage) -> Self {
        self.session_token_storage = storage;
        self
    }

    /// The configured session token storage.
    pub fn session_token_storage_value(&self) -> TokenStorage {
        self.session_token_storage
    }

    /// The configured session lifetime.
    pub fn session_max_age_value(&self) -> TimeDelta {
        self.session_max_age
    }

    /// The configured renewal interval.
    pub fn session_update_age_value(&self) -> TimeDelta {
        self.session_update_age
    }

    /// The configured verification link lifetime.
    pub fn verification_max_age_value(&self) -> TimeDelta {
        self.verification_max_age
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// A renewal interval longer than the lifetime would let sessions expire
    /// without ever being renewed.
    fn check_update_age(&self) -> Result<(), Error> {
        if self.session_update_age > self.session_max_age {
            return Err(ConfigError::UpdateAgeExceedsMaxAge.into());
        }
        Ok(())
    }
}

fn positive(name: &'static str, value: TimeDelta) -> Result<TimeDelta, Error> {
    if value <= TimeDelta::zero() {
        return Err(ConfigError::NotPositive(name).into());
    }
    Ok(value)
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("session_max_age", &self.session_max_age)
            .field("session_update_age", &self.session_update_age)
            .field("verification_max_age", &self.verification_max_age)
            .field("secret", &"[redacted]")
            .field("session_token_storage", &self.session_token_storage)
            .finish()
    }
}
