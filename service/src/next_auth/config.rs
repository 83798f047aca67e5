//! Durations, the verification secret, the schema profile and its time zone,
//! checked once, when the config is built.

use std::fmt;

use chrono::TimeDelta;
use chrono_tz::Tz;

use crate::cache::SessionCacheConfig;
use crate::rules::error::{ConfigError, Error};
use crate::rules::expiry::SlidingExpiry;
use crate::rules::issuance::IssuanceLimit;
use crate::rules::token::TokenStorage;
use authstore_entity::Profile;

/// How long sessions and verification links live, and the secret that
/// verification tokens are hashed with.
///
/// The defaults are next-auth v3's: sessions last 30 days and are extended
/// at most once a day; verification links last 24 hours. Build one with
/// [`Config::builder`]; the setters may come in any order, and
/// [`ConfigBuilder::build`] checks the whole config once.
///
/// ```
/// use authstore::Config;
/// use chrono::TimeDelta;
///
/// let config = Config::builder("a long random secret shared with next-auth")
///     .session_update_age(TimeDelta::hours(1))
///     .session_max_age(TimeDelta::days(7))
///     .build()?;
/// assert_eq!(config.session_max_age(), TimeDelta::days(7));
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
    profile: Profile,
    wall_clock_zone: Tz,
    newest_link_only: bool,
    link_issuance_limit: Option<IssuanceLimit>,
    session_cache: Option<SessionCacheConfig>,
}

/// Collects a [`Config`]'s settings; nothing is checked until
/// [`ConfigBuilder::build`].
#[derive(Clone)]
pub struct ConfigBuilder(Config);

impl Config {
    /// A config with next-auth v3's defaults: `Config::builder(secret).build()`.
    pub fn new(secret: impl Into<String>) -> Result<Self, Error> {
        Config::builder(secret).build()
    }

    /// Starts from next-auth v3's defaults. `secret` hashes verification
    /// tokens; it must be the same `secret` next-auth is given if the two
    /// share a database.
    pub fn builder(secret: impl Into<String>) -> ConfigBuilder {
        ConfigBuilder(Config {
            session_max_age: TimeDelta::days(30),
            session_update_age: TimeDelta::hours(24),
            verification_max_age: TimeDelta::hours(24),
            secret: secret.into(),
            session_token_storage: TokenStorage::Plain,
            profile: Profile::default(),
            wall_clock_zone: Tz::UTC,
            newest_link_only: false,
            link_issuance_limit: None,
            session_cache: None,
        })
    }

    /// How session tokens are stored.
    pub fn session_token_storage(&self) -> TokenStorage {
        self.session_token_storage
    }

    /// How long a session lives after it is created or renewed.
    pub fn session_max_age(&self) -> TimeDelta {
        self.session_max_age
    }

    /// How often a session's expiry may be pushed forward.
    pub fn session_update_age(&self) -> TimeDelta {
        self.session_update_age
    }

    /// The session expiry rule these settings make: next-auth's sliding
    /// renewal, which the session lookup follows.
    pub fn session_expiry(&self) -> SlidingExpiry {
        SlidingExpiry {
            max_age: self.session_max_age,
            update_age: self.session_update_age,
        }
    }

    /// How long an email verification link stays valid.
    pub fn verification_max_age(&self) -> TimeDelta {
        self.verification_max_age
    }

    /// Whether issuing a link ends the identifier's older ones.
    pub fn newest_link_only(&self) -> bool {
        self.newest_link_only
    }

    /// How many links one identifier may be sent per window, if limited.
    pub fn link_issuance_limit(&self) -> Option<IssuanceLimit> {
        self.link_issuance_limit
    }

    /// The session cache's bounds, if the cache is on.
    pub fn session_cache(&self) -> Option<SessionCacheConfig> {
        self.session_cache
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// The schema profile the database speaks (default `next-auth-v3`).
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The zone of wall-clock time columns (UTC by default); see
    /// [`ConfigBuilder::wall_clock_zone`].
    pub fn wall_clock_zone(&self) -> Tz {
        self.wall_clock_zone
    }
}

impl ConfigBuilder {
    /// How long a session lives after it is created or renewed.
    pub fn session_max_age(mut self, max_age: TimeDelta) -> Self {
        self.0.session_max_age = max_age;
        self
    }

    /// How often a session's expiry may be pushed forward. Reads within this
    /// time of the last renewal write nothing.
    pub fn session_update_age(mut self, update_age: TimeDelta) -> Self {
        self.0.session_update_age = update_age;
        self
    }

    /// How long an email verification link stays valid.
    pub fn verification_max_age(mut self, max_age: TimeDelta) -> Self {
        self.0.verification_max_age = max_age;
        self
    }

    /// Only the newest sign-in link works: issuing one ends the identifier's
    /// older live links, in the same transaction, so of any number of
    /// concurrent requests exactly one link stays valid. Off by default (as
    /// in next-auth). On a database shared with next-auth this ends
    /// next-auth's older links for the address too.
    pub fn newest_link_only(mut self, on: bool) -> Self {
        self.0.newest_link_only = on;
        self
    }

    /// At most `max` sign-in links per identifier within any `window` (for
    /// example 5 per 15 minutes), counted from the rows themselves, next-auth's
    /// included, so the limit holds across processes and under concurrency.
    /// One more is [`Error::RateLimited`] with the time it may be retried, and
    /// writes nothing. Off by default.
    ///
    /// ```
    /// use authstore::Config;
    /// use chrono::TimeDelta;
    /// let config = Config::builder("secret")
    ///     .newest_link_only(true)
    ///     .link_issuance_limit(5, TimeDelta::minutes(15))
    ///     .build()?;
    /// assert_eq!(config.link_issuance_limit().map(|l| l.max), Some(5));
    /// # Ok::<(), authstore::Error>(())
    /// ```
    pub fn link_issuance_limit(mut self, max: u32, window: TimeDelta) -> Self {
        self.0.link_issuance_limit = Some(IssuanceLimit { max, window });
        self
    }

    /// Keeps what session lookups find in memory: at most `max_entries`
    /// sessions, each served for at most `max_staleness` (for example 30 s)
    /// before the database is asked again. Off by default. Renewal and
    /// expiry work as without it; this process's own changes are seen at
    /// once; other writers' within `max_staleness`, or within milliseconds
    /// on PostgreSQL with [`crate::AuthStore::listen_for_session_changes`].
    /// See the session cache guide ([`crate::guide::session_cache`]).
    pub fn session_cache(mut self, max_entries: u64, max_staleness: TimeDelta) -> Self {
        self.0.session_cache = Some(SessionCacheConfig::requested(max_entries, max_staleness));
        self
    }

    /// How session tokens are stored: [`TokenStorage::Plain`] (the default,
    /// next-auth compatible) or [`TokenStorage::Hashed`].
    pub fn session_token_storage(mut self, storage: TokenStorage) -> Self {
        self.0.session_token_storage = storage;
        self
    }

    /// The schema profile the database speaks: which next-auth version made
    /// it (default [`Profile::NextAuthV3`]).
    ///
    /// ```
    /// use authstore::{Config, Profile};
    /// let config = Config::builder("secret").profile(Profile::NextAuthV2Beta).build()?;
    /// assert_eq!(config.profile().name(), "next-auth-v2-beta");
    /// # Ok::<(), authstore::Error>(())
    /// ```
    pub fn profile(mut self, profile: Profile) -> Self {
        self.0.profile = profile;
        self
    }

    /// The zone that wall-clock time columns are read and written in (UTC
    /// by default). Only `next-auth-v2-beta` has such columns (`timestamp
    /// without time zone`): next-auth 2.0 beta wrote the local time of its
    /// Node process there, so set this to that process's `TZ`. In the hour a
    /// daylight-saving change repeats, a stored time is read as the earlier
    /// of its two instants.
    ///
    /// ```
    /// use authstore::{Config, Profile, Tz};
    /// let node_tz: Tz = "America/St_Johns".parse().expect("an IANA zone name");
    /// let config = Config::builder("secret")
    ///     .profile(Profile::NextAuthV2Beta)
    ///     .wall_clock_zone(node_tz)
    ///     .build()?;
    /// # Ok::<(), authstore::Error>(())
    /// ```
    pub fn wall_clock_zone(mut self, zone: Tz) -> Self {
        self.0.wall_clock_zone = zone;
        self
    }

    /// Checks the whole config: a non-empty secret, durations greater than
    /// zero, and `session_update_age` at most `session_max_age` (a longer
    /// renewal interval would let sessions expire without ever being
    /// renewed).
    pub fn build(self) -> Result<Config, Error> {
        let mut config = self.0;
        if config.secret.trim().is_empty() {
            return Err(ConfigError::EmptySecret.into());
        }
        for (name, value) in [
            ("session_max_age", config.session_max_age),
            ("session_update_age", config.session_update_age),
            ("verification_max_age", config.verification_max_age),
        ] {
            if value <= TimeDelta::zero() {
                return Err(ConfigError::NotPositive(name).into());
            }
        }
        if let Some(limit) = config.link_issuance_limit
            && (limit.max == 0 || limit.window <= TimeDelta::zero())
        {
            return Err(ConfigError::NotPositive("link_issuance_limit").into());
        }
        config.session_cache = config
            .session_cache
            .map(SessionCacheConfig::check)
            .transpose()?;
        if config.session_update_age > config.session_max_age {
            return Err(ConfigError::UpdateAgeExceedsMaxAge.into());
        }
        if super::storage::Schema::of(config.profile).is_none() {
            return Err(ConfigError::NotNextAuth(config.profile).into());
        }
        Ok(config)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("session_max_age", &self.session_max_age)
            .field("session_update_age", &self.session_update_age)
            .field("verification_max_age", &self.verification_max_age)
            .field("secret", &"[redacted]")
            .field("session_token_storage", &self.session_token_storage)
            .field("profile", &self.profile)
            .field("wall_clock_zone", &self.wall_clock_zone)
            .field("newest_link_only", &self.newest_link_only)
            .field("link_issuance_limit", &self.link_issuance_limit)
            .field("session_cache", &self.session_cache)
            .finish()
    }
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConfigBuilder").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_in_any_order_give_the_same_config() {
        let (max, update) = (TimeDelta::days(60), TimeDelta::days(40));
        let one = Config::builder("s")
            .session_update_age(update)
            .session_max_age(max)
            .build()
            .unwrap();
        let other = Config::builder("s")
            .session_max_age(max)
            .session_update_age(update)
            .build()
            .unwrap();
        assert_eq!(
            (one.session_max_age(), one.session_update_age()),
            (other.session_max_age(), other.session_update_age())
        );
        assert_eq!(one.session_max_age(), max);
    }

    #[test]
    fn build_refuses_what_cannot_work() {
        let refused = |builder: ConfigBuilder| match builder.build() {
            Err(Error::Config(why)) => why,
            other => panic!("expected a config error, got {other:?}"),
        };
        assert_eq!(refused(Config::builder(" ")), ConfigError::EmptySecret);
        assert_eq!(
            refused(Config::builder("s").verification_max_age(TimeDelta::zero())),
            ConfigError::NotPositive("verification_max_age")
        );
        assert_eq!(
            refused(Config::builder("s").session_update_age(TimeDelta::days(31))),
            ConfigError::UpdateAgeExceedsMaxAge
        );
        for (entries, staleness) in [(0, TimeDelta::seconds(30)), (10, TimeDelta::zero())] {
            assert_eq!(
                refused(Config::builder("s").session_cache(entries, staleness)),
                ConfigError::NotPositive("session_cache")
            );
        }
        for (max, window) in [(0, TimeDelta::minutes(15)), (5, TimeDelta::zero())] {
            assert_eq!(
                refused(Config::builder("s").link_issuance_limit(max, window)),
                ConfigError::NotPositive("link_issuance_limit")
            );
        }
        assert_eq!(
            refused(Config::builder("s").profile(Profile::LuciaV3)),
            ConfigError::NotNextAuth(Profile::LuciaV3)
        );
    }
}
