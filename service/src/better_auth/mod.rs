//! Profile `better-auth`: better-auth 1.7's `user`, `session`, `account`
//! and `verification` tables, shared with a better-auth app, with its rules.
//!
//! ```
//! use authstore::better_auth::{BetterAuthStore, NewUser, SessionMeta};
//! use authstore_migration::{Profile, ProfileMigrations};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! Profile::BetterAuth.up(&db).await?;
//! let auth = BetterAuthStore::new(db, Default::default());
//!
//! let ada = NewUser { name: "Ada".into(), email: "Ada@Example.com".into(), ..Default::default() };
//! let user = auth.sign_up_with_password(ada, "correct horse").await?;
//! assert_eq!(user.email, "ada@example.com"); // better-auth lowercases addresses
//!
//! let session = auth.sign_in_with_password("ADA@example.com", "correct horse", SessionMeta::default()).await?;
//! let valid = auth.validate_session(session.token.expose()).await?.expect("a live session");
//! assert_eq!(valid.user.id, user.id);
//! auth.revoke_session(session.token.expose()).await?;
//! # Ok(()) }
//! ```
//!
//! The rules are better-auth 1.7.25's, read from its source and checked
//! against it (`tests/tests/interop_better_auth.rs`):
//! - a session lives [`BetterAuthConfig::expires_in`] (7 days); a
//!   validation renews it to now + that once `expiresAt − expiresIn +
//!   updateAge ≤ now` (`updateAge`, 1 day), and reports it `fresh` (send
//!   the cookie again, same token); it is valid up to and including
//!   `expiresAt`, and a read after that deletes it;
//! - ids and session tokens are 32 characters of `[A-Za-z0-9]` from the OS
//!   RNG; the token is stored plain in `session.token` and travels in the
//!   signed cookie of [`cookie`];
//! - the password lives in the `credential` account whose `accountId` is the
//!   user's id, in better-auth's scrypt format ([`password`]);
//! - addresses are looked up lowercased;
//! - times are JavaScript's, whole milliseconds.

pub mod carry_over;
pub mod cookie;
pub mod password;
mod storage;
#[cfg(feature = "axum")]
mod web;

use authstore_entity::Profile;
use authstore_entity::better_auth::BETTER_AUTH;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use crate::backend::check_time;
use crate::cache::SessionCacheConfig;
use crate::rules;
use crate::rules::email::canonical;
use crate::rules::error::{ConfigError, Conflict, Error, Refusal, on_write};
use crate::rules::expiry::ExpiryPolicy;
/// better-auth's session rule (shared with Auth.js), under its earlier path.
pub use crate::rules::expiry::UpdateAgeExpiry;
use crate::rules::password::off_executor;
use crate::rules::text;
use crate::rules::token::{self, Secret};
use password::Checked;
use storage::{Rows, Storage};

/// The length of better-auth's ids and session tokens.
const ID_LEN: usize = 32;

/// The longest password better-auth accepts (`maxPasswordLength`).
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A better-auth user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// `user.id`.
    pub id: String,
    /// The display name (NOT NULL in better-auth; may be empty).
    pub name: String,
    /// The address, lowercased.
    pub email: String,
    /// Whether the address was proven.
    pub email_verified: bool,
    /// A picture's URL.
    pub image: Option<String>,
    /// When the user was made.
    pub created_at: DateTime<Utc>,
    /// When the user last changed.
    pub updated_at: DateTime<Utc>,
}

/// What a new user is made of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewUser {
    /// The display name.
    pub name: String,
    /// The address; stored canonical and lowercased.
    pub email: String,
    /// Whether the address is already proven (an OAuth provider said so).
    pub email_verified: bool,
    /// A picture's URL.
    pub image: Option<String>,
}

/// Where a session was started from, as better-auth records it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionMeta {
    /// The client's address.
    pub ip_address: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

/// A better-auth session. Its token is a [`Secret`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// `session.id`, which better-auth's API never hands to a browser.
    pub id: String,
    /// The token the signed cookie carries.
    pub token: Secret,
    /// Whose session it is.
    pub user_id: String,
    /// When it ends unless renewed.
    pub expires_at: DateTime<Utc>,
    /// When it started (better-auth's `freshAge` counts from here).
    pub created_at: DateTime<Utc>,
    /// When it was last renewed.
    pub updated_at: DateTime<Utc>,
    /// Where it was started from.
    pub meta: SessionMeta,
    /// The expiry was just set (created, or renewed by this validation):
    /// send the cookie again.
    pub fresh: bool,
}

crate::cache::valid_session!(
    /// What [`BetterAuthStore::validate_session`] finds for a live session.
    ValidSession { session: Session, user: User },
    token: token,
    fresh_replaces: false
);

/// A row of `verification`: a short-lived value under an identifier (a
/// sign-in link's `magic-link:<token>`, a reset's `reset-password:<token>`).
/// The value is a [`Secret`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// `verification.id`.
    pub id: String,
    /// What the value is for.
    pub identifier: String,
    /// The value (better-auth's magic links keep JSON here).
    pub value: Secret,
    /// When it stops being good.
    pub expires_at: DateTime<Utc>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// An OAuth account as better-auth keeps it (`account` without a
/// password). Its tokens are [`Secret`]s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkedAccount {
    /// The provider, e.g. `github`.
    pub provider_id: String,
    /// The provider's id of the user.
    pub account_id: String,
    /// The provider's access token.
    pub access_token: Option<Secret>,
    /// The provider's refresh token.
    pub refresh_token: Option<Secret>,
    /// The OpenID Connect id token.
    pub id_token: Option<Secret>,
    /// When the access token ends.
    pub access_token_expires_at: Option<DateTime<Utc>>,
    /// When the refresh token ends.
    pub refresh_token_expires_at: Option<DateTime<Utc>>,
    /// The granted scopes, comma-separated (better-auth's separator).
    pub scope: Option<String>,
}

/// A row of `account`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// `account.id`.
    pub id: String,
    /// Whose account it is.
    pub user_id: String,
    /// What it links.
    pub linked: LinkedAccount,
}

/// How long better-auth sessions live, the app's secret (its
/// `BETTER_AUTH_SECRET`), which signs the session cookie, and whether
/// validations are cached.
///
/// ```
/// use authstore::better_auth::BetterAuthConfig;
/// use chrono::TimeDelta;
/// let config = BetterAuthConfig::default().session_cache(100_000, TimeDelta::minutes(5))?;
/// assert_eq!(config.session_cache_bounds().map(|c| c.max_entries), Some(100_000));
/// # Ok::<(), authstore::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BetterAuthConfig {
    expiry: UpdateAgeExpiry,
    secret: Option<Secret>,
    session_cache: Option<SessionCacheConfig>,
}

impl std::fmt::Debug for BetterAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BetterAuthConfig")
            .field("expiry", &self.expiry)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("session_cache", &self.session_cache)
            .finish()
    }
}

impl BetterAuthConfig {
    /// Sets better-auth's `session.expiresIn` and `session.updateAge`, as
    /// the better-auth app sets them; `update_age` must be positive and no
    /// longer than `expires_in`.
    pub fn expiry(mut self, expires_in: TimeDelta, update_age: TimeDelta) -> Result<Self, Error> {
        if update_age <= TimeDelta::zero() {
            return Err(ConfigError::NotPositive("update_age").into());
        }
        if update_age > expires_in {
            return Err(ConfigError::UpdateAgeExceedsMaxAge.into());
        }
        self.expiry = UpdateAgeExpiry {
            expires_in,
            update_age,
        };
        Ok(self)
    }

    /// The session lifetime.
    pub fn expires_in(&self) -> TimeDelta {
        self.expiry.expires_in
    }

    /// The better-auth app's secret (`BETTER_AUTH_SECRET`), with which the
    /// web layer signs and checks the session cookie; [`ConfigError::EmptySecret`]
    /// if empty.
    pub fn secret(mut self, secret: &str) -> Result<Self, Error> {
        if secret.is_empty() {
            return Err(ConfigError::EmptySecret.into());
        }
        self.secret = Some(Secret::from(secret.to_owned()));
        Ok(self)
    }

    /// The secret, if set.
    #[cfg(feature = "axum")]
    pub(crate) fn cookie_secret(&self) -> Option<&Secret> {
        self.secret.as_ref()
    }

    crate::core::session_cache_setting!(BetterAuthStore);
}

crate::core::profile_store!(
    /// The store of a `better-auth` database. Cloning is cheap.
    BetterAuthStore(BetterAuthConfig, Profile::BetterAuth),
    on_example = r#"
```
use authstore::better_auth::{BetterAuthStore, NewUser};
use authstore_migration::{Profile, ProfileMigrations};
use sea_orm::TransactionTrait;
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> Result<(), Box<dyn std::error::Error>> {
let db = sea_orm::Database::connect("sqlite::memory:").await?;
Profile::BetterAuth.up(&db).await?;
let auth = BetterAuthStore::new(db, Default::default());
let txn = auth.connection().begin().await?;
let ada = NewUser { name: "Ada".into(), email: "ada@example.com".into(), ..Default::default() };
let user = auth.on(&txn).create_user(ada).await?;
txn.rollback().await?;
assert_eq!(auth.get_user(&user.id).await?, None);
# Ok(()) }
```
"#
);

impl<Db: ConnectionTrait + TransactionTrait> BetterAuthStore<Db> {
    /// Now, in whole milliseconds, as a JavaScript `Date` holds it.
    fn now(&self) -> DateTime<Utc> {
        self.core.now().trunc_subsecs(3)
    }

    fn check_time(&self, field: &'static str, at: DateTime<Utc>) -> Result<(), Error> {
        check_time(self.core.db.get_database_backend(), field, Some(at))
    }

    /// Makes a user with a new id. The address is made canonical and
    /// lowercased; a taken one is [`Error::Conflict`]`(`[`Conflict::Email`]`)`,
    /// a malformed one or a name with control characters
    /// [`Error::Validation`].
    pub async fn create_user(&self, new: NewUser) -> Result<User, Error> {
        let user = self.user_from(new)?;
        self.storage()
            .insert_user(&user)
            .await
            .map_err(on_write(Conflict::Email))?;
        Ok(user)
    }

    fn user_from(&self, new: NewUser) -> Result<User, Error> {
        let email = canonical(&new.email)
            .map_err(|why| rules::invalid("email", why))?
            .to_lowercase();
        text::no_control_chars(&new.name).map_err(|why| rules::invalid("name", why))?;
        let now = self.now();
        Ok(User {
            id: token::alphanumeric(ID_LEN),
            name: new.name,
            email,
            email_verified: new.email_verified,
            image: new.image,
            created_at: now,
            updated_at: now,
        })
    }

    /// The user with this id, if any.
    pub async fn get_user(&self, id: &str) -> Result<Option<User>, Error> {
        if text::app_id(id).is_err() {
            return Ok(None);
        }
        Ok(self.storage().user_where("id", id).await?)
    }

    /// The user with this address, looked up lowercased as better-auth
    /// does.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, Error> {
        let Ok(email) = canonical(email) else {
            return Ok(None);
        };
        Ok(self
            .storage()
            .user_where("email", &email.to_lowercase())
            .await?)
    }

    /// Deletes the user with their sessions and accounts, in one
    /// transaction. [`Error::NotFound`] if there is no such user.
    pub async fn delete_user(&self, id: &str) -> Result<(), Error> {
        let sessions = self.sessions();
        let txn = sessions.begin_user_deletion(&id.to_owned()).await?;
        Storage { db: &txn }.delete_user_accounts(id).await?;
        let found = Storage { db: &txn }.delete_user(id).await?;
        sessions
            .core
            .finish_user_deletion(txn, id.to_owned(), found)
            .await
    }

    /// better-auth's `signUpEmail` without the session: a user and their
    /// `credential` account holding the password's hash, in one
    /// transaction. The password must be 1 to [`PASSWORD_MAX_CHARS`]
    /// characters.
    pub async fn sign_up_with_password(&self, new: NewUser, password: &str) -> Result<User, Error> {
        acceptable(password)?;
        let user = self.user_from(new)?;
        let password = password.to_owned();
        let hash = off_executor(move || password::hash(&password)).await;
        let txn = self.core.db.begin().await?;
        let storage = Storage { db: &txn };
        storage
            .insert_user(&user)
            .await
            .map_err(on_write(Conflict::Email))?;
        let credential = LinkedAccount {
            provider_id: BETTER_AUTH.credential_provider.to_owned(),
            account_id: user.id.clone(),
            ..LinkedAccount::default()
        };
        storage
            .insert_account(
                &token::alphanumeric(ID_LEN),
                &user.id,
                &credential,
                Some(&hash),
                user.created_at,
            )
            .await?;
        txn.commit().await?;
        Ok(user)
    }

    /// better-auth's `signInEmail`: the password checked against the user's
    /// `credential` account, then a new session. An unknown address and a
    /// wrong password are both
    /// [`Error::SignInRefused`]`(`[`Refusal::WrongPassword`]`)`, after the
    /// same scrypt work, as better-auth answers both alike. A carried
    /// lucia-auth 0.x hash that matches is replaced by better-auth's hash.
    pub async fn sign_in_with_password(
        &self,
        email: &str,
        password: &str,
        meta: SessionMeta,
    ) -> Result<Session, Error> {
        if password.is_empty() || password.chars().count() > PASSWORD_MAX_CHARS {
            return Err(Error::SignInRefused(Refusal::WrongPassword));
        }
        let user = self.user_by_email(email).await?;
        let stored = match &user {
            Some(user) => self.storage().password_of(&user.id).await?,
            None => None,
        };
        let (account_id, hash) = match stored {
            Some((account_id, Some(hash))) => (Some(account_id), hash),
            _ => (None, DECOY_HASH.to_owned()),
        };
        let typed = password.to_owned();
        let checked = off_executor(move || password::verify(&typed, &hash)).await;
        let (Some(user), Some(account_id)) = (user, account_id) else {
            return Err(Error::SignInRefused(Refusal::WrongPassword));
        };
        match checked {
            Checked::Invalid => return Err(Error::SignInRefused(Refusal::WrongPassword)),
            Checked::Valid => {}
            Checked::NeedsRehash => {
                let typed = password.to_owned();
                let hash = off_executor(move || password::hash(&typed)).await;
                self.storage()
                    .set_password(&account_id, &hash, self.now())
                    .await?;
            }
        }
        self.create_session(&user.id, meta).await
    }

    /// Replaces the user's password (their `credential` account's), or
    /// gives them one. [`Error::UnknownUser`] if there is no such user.
    pub async fn set_password(&self, user_id: &str, password: &str) -> Result<(), Error> {
        acceptable(password)?;
        let password = password.to_owned();
        let hash = off_executor(move || password::hash(&password)).await;
        let now = self.now();
        match self.storage().password_of(user_id).await? {
            Some((account_id, _)) => {
                Ok(self.storage().set_password(&account_id, &hash, now).await?)
            }
            None => {
                let credential = LinkedAccount {
                    provider_id: BETTER_AUTH.credential_provider.to_owned(),
                    account_id: user_id.to_owned(),
                    ..LinkedAccount::default()
                };
                self.storage()
                    .insert_account(
                        &token::alphanumeric(ID_LEN),
                        user_id,
                        &credential,
                        Some(&hash),
                        now,
                    )
                    .await
                    .map_err(on_write(Conflict::Account))
            }
        }
    }

    /// Links an OAuth account to a user. better-auth has no unique key on
    /// `(providerId, accountId)`; this refuses one that is linked already,
    /// [`Error::Conflict`]`(`[`Conflict::Account`]`)`, and an unknown user,
    /// [`Error::UnknownUser`].
    pub async fn link_account(
        &self,
        user_id: &str,
        linked: LinkedAccount,
    ) -> Result<Account, Error> {
        if !text::linkable(&linked.provider_id, &linked.account_id)
            || linked.provider_id == BETTER_AUTH.credential_provider
        {
            return Err(rules::invalid(
                "provider_id",
                validator::ValidationError::new("provider"),
            ));
        }
        if self
            .storage()
            .account(&linked.provider_id, &linked.account_id)
            .await?
            .is_some()
        {
            return Err(Error::Conflict(Conflict::Account));
        }
        let id = token::alphanumeric(ID_LEN);
        self.storage()
            .insert_account(&id, user_id, &linked, None, self.now())
            .await
            .map_err(on_write(Conflict::Account))?;
        Ok(Account {
            id,
            user_id: user_id.to_owned(),
            linked,
        })
    }

    /// The account of a provider's user, if linked.
    pub async fn account(
        &self,
        provider_id: &str,
        account_id: &str,
    ) -> Result<Option<Account>, Error> {
        Ok(self.storage().account(provider_id, account_id).await?)
    }

    /// A user's accounts, the `credential` one included (its password is
    /// never read here).
    pub async fn accounts(&self, user_id: &str) -> Result<Vec<Account>, Error> {
        Ok(self.storage().user_accounts(user_id).await?)
    }

    /// Starts a session: a new token, `expiresAt` = now + `expires_in`.
    /// [`Error::UnknownUser`] if the user does not exist.
    pub async fn create_session(&self, user_id: &str, meta: SessionMeta) -> Result<Session, Error> {
        if text::app_id(user_id).is_err() {
            return Err(Error::UnknownUser);
        }
        let now = self.now();
        let expires_at = self.config.expiry.starting_at(now);
        self.check_time("expires_at", expires_at)?;
        let session = Session {
            id: token::alphanumeric(ID_LEN),
            token: Secret::from(token::alphanumeric(ID_LEN)),
            user_id: user_id.to_owned(),
            expires_at,
            created_at: now,
            updated_at: now,
            meta,
            fresh: true,
        };
        self.storage()
            .insert_session(&session)
            .await
            .map_err(on_write(Conflict::Token))?;
        Ok(session)
    }

    /// The session for a token and its user, or `None`: better-auth's
    /// `getSession`. One `SELECT … JOIN`; a write only to renew it (then
    /// `fresh` is true: send the cookie again) or to delete it once expired.
    pub async fn validate_session(&self, token: &str) -> Result<Option<ValidSession>, Error> {
        self.sessions().validate(token).await
    }

    /// A session the carry-over carried from `old`, found by the old
    /// system's cookie (the cookie bridge,
    /// `authstore::web::WebSessions::carrying_over_from`): valid as
    /// [`validate_session`](Self::validate_session) says, and only if
    /// - the carry-over made it: its id is the one a carried session of this
    ///   token has, which no session of better-auth's own has, so a token
    ///   read from better-auth's table is never signed into a cookie here;
    /// - the old system, whose tables are in this store's database, still
    ///   holds it alive. A session the old app signed out is ended here too.
    ///
    /// `None`, with nothing written, for an old system whose tables cannot
    /// be in this database
    /// ([`named_as_better_auths`](carry_over::named_as_better_auths)): its
    /// carried sessions are the carry-over's to end, not a bridge's that
    /// cannot see them. An old table that cannot be read is an error,
    /// answered as "not signed in" by the web layer.
    pub async fn validate_carried_session(
        &self,
        old: Profile,
        token: &str,
    ) -> Result<Option<ValidSession>, Error> {
        if !text::plausible_token(token) || carry_over::named_as_better_auths(old) {
            return Ok(None);
        }
        let Some(valid) = self.validate_session(token).await? else {
            return Ok(None);
        };
        if valid.session.id != carry_over::carried_session_id(token) {
            return Ok(None);
        }
        if !carry_over::live_in_source(self.connection(), old, token, self.now()).await? {
            self.revoke_session(token).await?;
            return Ok(None);
        }
        Ok(Some(valid))
    }

    /// A new session for the user a JWT of `old` names (`sub`): the JWT
    /// bridge (`authstore::web::WebSessions::carrying_over_jwt_from`), for a
    /// browser holding only an Auth.js app's JWT cookie, checked by the
    /// caller. Only if the carry-over carried that user from `old`, whose
    /// tables are in this store's database, and the old system still holds
    /// the user; `None`, with nothing written, otherwise.
    pub async fn start_carried_jwt_session(
        &self,
        old: Profile,
        user_id: &str,
        meta: SessionMeta,
    ) -> Result<Option<ValidSession>, Error> {
        if text::app_id(user_id).is_err()
            || !carry_over::carried_from_jwt_app(self.connection(), old, user_id).await?
        {
            return Ok(None);
        }
        let session = match self.create_session(user_id, meta).await {
            Ok(session) => session,
            // Carried, then deleted in better-auth: nobody to sign in.
            Err(Error::UnknownUser) => return Ok(None),
            Err(err) => return Err(err),
        };
        self.validate_session(session.token.expose()).await
    }

    /// Ends the old system's session of `token` (profile `old`, its tables
    /// in this store's database): signing out through the bridge signs out
    /// of the old app too, whose session shares the token.
    pub async fn end_carried_session(&self, old: Profile, token: &str) -> Result<(), Error> {
        if !text::plausible_token(token) {
            return Ok(());
        }
        carry_over::end_in_source(self.connection(), old, token).await
    }

    /// A user's live sessions, newest first, as better-auth's
    /// `listSessions`.
    pub async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>, Error> {
        if text::app_id(user_id).is_err() {
            return Ok(Vec::new());
        }
        Ok(self.storage().live_sessions(user_id, self.now()).await?)
    }

    /// Ends one session (better-auth's `revokeSession` and `signOut`).
    /// Returns whether it existed.
    pub async fn revoke_session(&self, token: &str) -> Result<bool, Error> {
        self.sessions().revoke(token).await
    }

    /// Ends every session of a user (`revokeSessions`). Returns how many.
    pub async fn revoke_user_sessions(&self, user_id: &str) -> Result<u64, Error> {
        self.sessions().revoke_user(&user_id.to_owned()).await
    }

    /// Stores a value under `identifier` until `expires_in` from now
    /// (better-auth's `createVerificationValue`). An identifier with
    /// control characters or longer than 255 characters is
    /// [`Error::Validation`].
    pub async fn create_verification(
        &self,
        identifier: &str,
        value: &str,
        expires_in: TimeDelta,
    ) -> Result<Verification, Error> {
        text::provider_key(identifier).map_err(|why| rules::invalid("identifier", why))?;
        if expires_in <= TimeDelta::zero() {
            return Err(ConfigError::NotPositive("expires_in").into());
        }
        let now = self.now();
        self.check_time("expires_at", now + expires_in)?;
        let row = Verification {
            id: token::alphanumeric(ID_LEN),
            identifier: identifier.to_owned(),
            value: Secret::from(value.to_owned()),
            expires_at: now + expires_in,
            created_at: now,
        };
        self.storage().insert_verification(&row).await?;
        Ok(row)
    }

    /// Takes the newest value under `identifier`, once: every value under
    /// it is deleted, and of racing callers only the one whose delete
    /// removed the rows gets it (better-auth's single-use consumption).
    /// `None` when there is none, another caller took it, or it expired.
    pub async fn consume_verification(
        &self,
        identifier: &str,
    ) -> Result<Option<Verification>, Error> {
        let storage = self.storage();
        let Some(newest) = storage.newest_verification(identifier).await? else {
            return Ok(None);
        };
        if storage.delete_verifications(identifier).await? == 0 {
            return Ok(None);
        }
        Ok((newest.expires_at >= self.now()).then_some(newest))
    }

    /// Deletes expired sessions in batches. Returns how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64, Error> {
        self.sessions().purge().await
    }
}

/// A well-formed better-auth hash of no password anyone has: an unknown
/// address costs the scrypt work a wrong password costs.
const DECOY_HASH: &str = concat!(
    "00000000000000000000000000000000:",
    "00000000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000000000000000000000000000000000000000"
);

/// A password better-auth would accept at sign-up: 1 to
/// [`PASSWORD_MAX_CHARS`] characters.
fn acceptable(password: &str) -> Result<(), Error> {
    let length = password.chars().count();
    if length == 0 || length > PASSWORD_MAX_CHARS {
        let mut error = validator::ValidationError::new("length");
        error.add_param("max".into(), &PASSWORD_MAX_CHARS);
        return Err(rules::invalid("password", error));
    }
    Ok(())
}
