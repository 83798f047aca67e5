//! Keys: how a user signs in (`"{provider id}:{provider user id}"`, with a
//! password or without), persistent or single-use.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use validator::ValidationError;

use super::LuciaV1Store;
use super::storage::{KeyRow, Storage};
use crate::attempts;
use crate::rules::error::{Conflict, Error, Refusal, on_write};
use crate::rules::password::off_executor;
use crate::rules::password::{self, Verified};
use crate::rules::{self, text};

/// A key as the app sees it; the password hash stays in the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// Everything before the first `:` of the key id, e.g. `"email"`.
    pub provider_id: String,
    /// Everything after the first `:` of the key id.
    pub provider_user_id: String,
    /// The user the key signs in.
    pub user_id: String,
    /// Created with the user; never deleted by [`LuciaV1Store::delete_key`].
    pub primary: bool,
    /// Whether the key has a password.
    pub password_defined: bool,
    /// `Some` for a single-use key: usable up to and including this instant.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key to create. `password` is hashed before it is stored.
#[derive(Clone, Copy, Default)]
pub struct NewKey<'a> {
    /// Who vouches for the user, e.g. `"email"` or `"github"`. No `:`.
    pub provider_id: &'a str,
    /// The user's id there, e.g. their email address.
    pub provider_user_id: &'a str,
    /// The password, hashed before it is stored (1 to 4,096 bytes); `None`
    /// for a key used without one (OAuth, a one-time link).
    pub password: Option<&'a str>,
}

impl std::fmt::Debug for NewKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("provider_id", &self.provider_id)
            .field("provider_user_id", &self.provider_user_id)
            .field("password", &self.password.map(|_| "[redacted]"))
            .finish()
    }
}

/// A successful [`LuciaV1Store::use_key`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignIn {
    /// The key that signed in; its `user_id` is who.
    pub key: Key,
    /// The password matched a hash in lucia-auth 0.x's weaker format (scrypt
    /// r = 8): store a new one now, while the password is at hand, with
    /// [`LuciaV1Store::update_key_password`].
    pub password_needs_rehash: bool,
}

/// The column is `varchar(255)` on MySQL.
const KEY_ID_MAX: usize = 255;

/// The stored key id for a provider id and provider user id, or why they
/// cannot make one: each 1 to 255 characters without control characters,
/// no `:` in the provider id (the id is split at its first `:`), and 255
/// characters in all.
fn key_id(provider_id: &str, provider_user_id: &str) -> Result<String, Error> {
    text::provider_key(provider_id).map_err(|why| rules::invalid("provider_id", why))?;
    if provider_id.contains(':') {
        return Err(rules::invalid(
            "provider_id",
            ValidationError::new("contains_colon"),
        ));
    }
    text::provider_key(provider_user_id).map_err(|why| rules::invalid("provider_user_id", why))?;
    let id = format!("{provider_id}:{provider_user_id}");
    if id.chars().count() > KEY_ID_MAX {
        return Err(rules::invalid(
            "provider_user_id",
            ValidationError::new("key_id_too_long"),
        ));
    }
    Ok(id)
}

/// The row for a new key, its password hashed off the executor. Every
/// input is checked before the hash is computed.
pub(super) async fn row(
    user_id: &str,
    key: &NewKey<'_>,
    primary_key: bool,
    expires: Option<DateTime<Utc>>,
) -> Result<KeyRow, Error> {
    let id = key_id(key.provider_id, key.provider_user_id)?;
    Ok(KeyRow {
        id,
        user_id: user_id.to_owned(),
        primary_key,
        hashed_password: hash(key.password).await?,
        expires,
    })
}

/// The stored form of a key's password: its `s2` hash, computed off the
/// executor once the password is known to be acceptable.
async fn hash(password: Option<&str>) -> Result<Option<String>, Error> {
    let Some(plain) = password else {
        return Ok(None);
    };
    password::acceptable(plain).map_err(|why| rules::invalid("password", why))?;
    let plain = plain.to_owned();
    Ok(Some(off_executor(move || password::hash(&plain)).await))
}

impl From<KeyRow> for Key {
    fn from(row: KeyRow) -> Self {
        let (provider_id, provider_user_id) = row.id.split_once(':').unwrap_or((&row.id, ""));
        Key {
            provider_id: provider_id.to_owned(),
            provider_user_id: provider_user_id.to_owned(),
            user_id: row.user_id,
            primary: row.primary_key,
            password_defined: row.hashed_password.is_some(),
            expires_at: row.expires,
        }
    }
}

impl<Db: ConnectionTrait + TransactionTrait> LuciaV1Store<Db> {
    /// Adds a persistent, non-primary key to a user (another sign-in
    /// method). Errors, with nothing written: [`Error::Validation`] on
    /// `provider_id`, `provider_user_id` or `password`;
    /// [`Error::Conflict`]`(`[`Conflict::KeyId`]`)`; [`Error::UnknownUser`].
    pub async fn create_key(&self, user_id: &str, key: NewKey<'_>) -> Result<Key, Error> {
        self.insert_key(user_id, key, None).await
    }

    /// Adds a single-use key, usable until now + `expires_in` (lucia-auth
    /// v1's `"single_use"` keys, e.g. for a one-time code). Errors as
    /// [`LuciaV1Store::create_key`], and [`Error::Validation`] on
    /// `expires_in` if it is under a millisecond.
    pub async fn create_single_use_key(
        &self,
        user_id: &str,
        key: NewKey<'_>,
        expires_in: TimeDelta,
    ) -> Result<Key, Error> {
        if expires_in.num_milliseconds() <= 0 {
            return Err(rules::invalid(
                "expires_in",
                ValidationError::new("not_positive"),
            ));
        }
        self.insert_key(user_id, key, Some(self.now() + expires_in))
            .await
    }

    async fn insert_key(
        &self,
        user_id: &str,
        key: NewKey<'_>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<Key, Error> {
        if text::app_id(user_id).is_err() {
            return Err(Error::UnknownUser);
        }
        let row = row(user_id, &key, false, expires).await?;
        self.storage()
            .insert_key(&row)
            .await
            .map_err(on_write(Conflict::KeyId))?;
        Ok(Key::from(row))
    }

    /// The key, if any.
    pub async fn get_key(
        &self,
        provider_id: &str,
        provider_user_id: &str,
    ) -> Result<Option<Key>, Error> {
        let Ok(id) = key_id(provider_id, provider_user_id) else {
            return Ok(None);
        };
        Ok(self.storage().key(&id).await?.map(Key::from))
    }

    /// A user's keys, by id.
    pub async fn user_keys(&self, user_id: &str) -> Result<Vec<Key>, Error> {
        if text::app_id(user_id).is_err() {
            return Ok(Vec::new());
        }
        let rows = self.storage().user_keys(user_id).await?;
        Ok(rows.into_iter().map(Key::from).collect())
    }

    /// Signs in with a key: lucia-auth v1's `useKey`.
    ///
    /// The password must match the key's (checked in constant time, off the
    /// executor); a key without a password must be used without one, and a
    /// key with one is never opened by an empty password (as in lucia-auth,
    /// even if a hash of `""` is stored). A single-use key is deleted by its
    /// valid use, so of two concurrent uses one wins and the other gets
    /// [`Refusal::UnknownKey`]; an expired one is deleted and refused.
    ///
    /// What a guesser learns is kept to "no": an unknown key, an empty
    /// password and one over [`PASSWORD_MAX_BYTES`](crate::lucia_v1::PASSWORD_MAX_BYTES) take as long to refuse
    /// as a wrong password (one scrypt of a short input), and the sign-in
    /// attempt limit ([`crate::lucia_v1::LuciaV1Config::sign_in_attempt_limit`])
    /// counts failures per key whether or not it exists, refusing with
    /// [`Error::SignInThrottled`] before any password work once they run
    /// out. [`LuciaV1Store::use_key_from`] counts per client address too.
    ///
    /// Refusals are [`Error::SignInRefused`] with a [`Refusal`].
    pub async fn use_key(
        &self,
        provider_id: &str,
        provider_user_id: &str,
        password: Option<&str>,
    ) -> Result<SignIn, Error> {
        self.use_key_limited(None, provider_id, provider_user_id, password)
            .await
    }

    /// [`LuciaV1Store::use_key`] for a request from `client`, the caller's
    /// address as the host identifies clients (an IP address, or an IPv6
    /// /64 prefix): failures count against the client as well as the key,
    /// so one address cannot spread its guesses over many accounts.
    pub async fn use_key_from(
        &self,
        client: &str,
        provider_id: &str,
        provider_user_id: &str,
        password: Option<&str>,
    ) -> Result<SignIn, Error> {
        self.use_key_limited(Some(client), provider_id, provider_user_id, password)
            .await
    }

    async fn use_key_limited(
        &self,
        client: Option<&str>,
        provider_id: &str,
        provider_user_id: &str,
        password: Option<&str>,
    ) -> Result<SignIn, Error> {
        let Ok(id) = key_id(provider_id, provider_user_id) else {
            return Err(Error::SignInRefused(Refusal::UnknownKey));
        };
        let attempt = match &self.config.attempt_limit {
            Some(limit) => {
                let key = self.storage().key_as_compared(&id).await?;
                Some(attempts::begin(&self.core.db, limit, self.now(), &key, client).await?)
            }
            None => None,
        };
        let outcome = self.check_key(&id, password).await;
        if let Some(attempt) = attempt {
            match &outcome {
                Ok(_) => attempt.succeeded(&self.core.db).await,
                Err(Error::SignInRefused(_)) => {} // a failure: its rows stay
                Err(_) => attempt.abandoned(&self.core.db).await,
            }
        }
        outcome
    }

    /// The key `id` and the password, checked: the heart of `use_key`.
    async fn check_key(&self, id: &str, password: Option<&str>) -> Result<SignIn, Error> {
        let refused = |why| Err(Error::SignInRefused(why));
        // A password that could never be right still costs one scrypt of a
        // short input, so its refusal looks like any other.
        let checkable = password.map(|plain| match password::acceptable(plain) {
            Ok(()) => Some(plain),
            Err(_) => None,
        });
        let storage = self.storage();
        let Some(row) = storage.key(id).await? else {
            if password.is_some() {
                check("", password::DECOY_HASH).await;
            }
            return refused(Refusal::UnknownKey);
        };
        let password_needs_rehash = match (checkable, row.hashed_password.as_deref()) {
            (None, None) => false,
            (Some(Some(plain)), Some(hashed)) => match check(plain, hashed).await {
                Verified::Valid => false,
                Verified::NeedsRehash => true,
                Verified::Invalid => return refused(Refusal::WrongPassword),
                Verified::Outdated => return refused(Refusal::OutdatedPassword),
            },
            (Some(None), Some(_)) => {
                check("", password::DECOY_HASH).await;
                return refused(Refusal::WrongPassword);
            }
            (Some(_), None) | (None, Some(_)) => return refused(Refusal::WrongPassword),
        };
        if let Some(expires) = row.expires {
            let used = storage.delete_non_primary_key(id).await?;
            if self.now() > expires {
                return refused(Refusal::ExpiredKey);
            }
            if !used {
                return refused(Refusal::UnknownKey);
            }
        }
        Ok(SignIn {
            key: Key::from(row),
            password_needs_rehash,
        })
    }

    /// Sets (or with `None` removes) a key's password, hashed in the `s2`
    /// format. [`Error::NotFound`] if there is no such key;
    /// [`Error::Validation`] on `password`.
    pub async fn update_key_password(
        &self,
        provider_id: &str,
        provider_user_id: &str,
        password: Option<&str>,
    ) -> Result<(), Error> {
        let Ok(id) = key_id(provider_id, provider_user_id) else {
            return Err(Error::NotFound);
        };
        let hashed = hash(password).await?;
        // A revocation too: after a failover the old password must not work
        // again. No session changes, so lookups need not see it.
        let db = self.core.here().revocation().await?;
        let set = Storage { db: &db }.set_key_password(&id, hashed).await;
        let set = db.finish(set).await?;
        match set {
            true => Ok(()),
            false => Err(Error::NotFound),
        }
    }

    /// Deletes a key unless it is the user's primary key. Returns whether
    /// one was deleted.
    pub async fn delete_key(
        &self,
        provider_id: &str,
        provider_user_id: &str,
    ) -> Result<bool, Error> {
        let Ok(id) = key_id(provider_id, provider_user_id) else {
            return Ok(false);
        };
        Ok(self.storage().delete_non_primary_key(&id).await?)
    }

    /// Deletes every key of a user, the primary one too. Returns how many.
    pub async fn delete_user_keys(&self, user_id: &str) -> Result<u64, Error> {
        if text::app_id(user_id).is_err() {
            return Ok(0);
        }
        Ok(self.storage().delete_user_keys(user_id).await?)
    }
}

/// Checks a password off the executor.
async fn check(plain: &str, hashed: &str) -> Verified {
    let (plain, hashed) = (plain.to_owned(), hashed.to_owned());
    off_executor(move || password::verify(&plain, &hashed)).await
}
