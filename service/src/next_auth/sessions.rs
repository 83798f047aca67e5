//! The `sessions` table: creation, the per-request lookup with next-auth's
//! sliding renewal, sign-out, and purging; the same rules on every profile.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::Ctx;
use super::model::{Session, SessionAndUser};
use super::storage::{Rows, StoredTokens};
use crate::backend;
use crate::cache::Change;
use crate::lifecycle::Lifecycle;
use crate::rules::error::{Conflict, Error, on_write};
use crate::rules::expiry::ExpiryPolicy;
use crate::rules::text;
use crate::rules::token::{self, Secret};

/// The `sessions` table. Get one from [`crate::AuthStore::sessions`].
pub struct Sessions<'a, C> {
    pub(crate) ctx: Ctx<'a, C>,
}

impl<C: ConnectionTrait + TransactionTrait> Sessions<'_, C> {
    /// Starts a session for a user: a fresh `session_token` and
    /// `access_token` (32 bytes from the OS RNG each, as lowercase hex) and
    /// `expires` = now + `session_max_age`. [`Error::UnknownUser`] if the
    /// user does not exist.
    ///
    /// With [`crate::TokenStorage::Hashed`] the table gets the tokens'
    /// hashes; the returned `Session` carries the tokens themselves, and
    /// this is the only time the `access_token` is seen.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// let session = store.sessions().create(user.id).await?;
    /// assert_eq!(session.session_token.expose().len(), 64);
    /// # Ok(()) });
    /// ```
    pub async fn create(&self, user_id: i32) -> Result<Session, Error> {
        let now = self.ctx.now();
        let expires = self.starting_at(now)?;
        let (session_token, access_token) = (token::random_token(), token::random_token());
        let stored = StoredTokens {
            session_token: self.stored(session_token.expose()),
            access_token: self.stored(access_token.expose()),
        };
        let mut session = self
            .ctx
            .storage()
            .insert_session(user_id, expires, stored, now)
            .await
            .map_err(on_write(Conflict::Token))?;
        (session.session_token, session.access_token) = (session_token, access_token);
        tracing::debug!(user_id, session_id = session.id, "created session");
        Ok(session)
    }

    /// The session for a cookie's token and its user, or `None`: the call on
    /// every authenticated request.
    ///
    /// - One `SELECT … JOIN users` finds both.
    /// - An expired session is not returned. It is deleted by the read, as
    ///   next-auth v3 and v4 beta do, except on `next-auth-v2-beta`, which
    ///   keeps the row (as next-auth 2.0 beta does) for `purge_expired`.
    /// - Sliding renewal, next-auth's rule: once
    ///   `expires - session_max_age + session_update_age` has passed, the
    ///   expiry moves to now + `session_max_age` and `renewed` is true.
    ///   Otherwise nothing is written.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// let session = store.sessions().create(user.id).await?;
    /// let found = store.sessions().get_session_and_user(session.session_token.expose()).await?.unwrap();
    /// assert_eq!(found.user.id, user.id);
    /// assert!(!found.renewed);
    /// assert!(store.sessions().get_session_and_user("not-a-token").await?.is_none());
    /// # Ok(()) });
    /// ```
    pub async fn get_session_and_user(
        &self,
        session_token: &str,
    ) -> Result<Option<SessionAndUser>, Error> {
        self.lifecycle().validate(session_token).await
    }

    /// Extends a live session to now + `session_max_age` whatever its age:
    /// one `UPDATE … RETURNING` (on MySQL an update and a read).
    /// [`Error::NotFound`] if the token names no live session.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// let session = store.sessions().create(user.id).await?;
    /// let renewed = store.sessions().renew(session.session_token.expose()).await?;
    /// assert!(renewed.expires >= session.expires);
    /// # Ok(()) });
    /// ```
    pub async fn renew(&self, session_token: &str) -> Result<Session, Error> {
        if !text::plausible_token(session_token) {
            return Err(Error::NotFound);
        }
        let now = self.ctx.now();
        let expires = self.starting_at(now)?;
        let stored = self.stored(session_token);
        let renewed = self
            .ctx
            .storage()
            .renew_session(&stored, expires, now)
            .await;
        self.ctx.core.changed(Change::Session(&stored));
        let mut session = renewed?.ok_or(Error::NotFound)?;
        session.session_token = Secret::from(session_token);
        Ok(session)
    }

    /// Ends one session (sign-out). Returns whether it existed.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert!(!store.sessions().delete("no-such-token").await?);
    /// # Ok(()) });
    /// ```
    pub async fn delete(&self, session_token: &str) -> Result<bool, Error> {
        self.lifecycle().revoke(session_token).await
    }

    /// Ends one of a user's sessions by its id, as a "revoke this device"
    /// button does. Only that user's session matches, so one user can never
    /// end another's. [`Error::NotFound`] if there is no such session.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// let phone = store.sessions().create(user.id).await?;
    /// store.sessions().revoke(user.id, phone.id).await?;
    /// assert!(matches!(store.sessions().revoke(user.id, phone.id).await, Err(authstore::Error::NotFound)));
    /// # Ok(()) });
    /// ```
    pub async fn revoke(&self, user_id: i32, session_id: i32) -> Result<(), Error> {
        // The cache drops all of the user's sessions: it is keyed by token,
        // and one more database read per other device is the price.
        let db = self.ctx.core.revocation().await?;
        let deleted = self
            .ctx
            .storage()
            .on(&db)
            .delete_user_session(user_id, session_id)
            .await;
        let deleted = db.finish(deleted).await;
        self.ctx.core.changed(Change::User(user_id));
        match deleted? {
            0 => Err(Error::NotFound),
            _ => Ok(()),
        }
    }

    /// Ends every session of a user ("sign out everywhere"). Returns how many.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// store.sessions().create(user.id).await?;
    /// store.sessions().create(user.id).await?;
    /// assert_eq!(store.sessions().delete_all(user.id).await?, 2);
    /// # Ok(()) });
    /// ```
    pub async fn delete_all(&self, user_id: i32) -> Result<u64, Error> {
        self.lifecycle().revoke_user(&user_id).await
    }

    /// A user's live sessions, newest first.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// store.sessions().create(user.id).await?;
    /// assert_eq!(store.sessions().list(user.id).await?.len(), 1);
    /// # Ok(()) });
    /// ```
    pub async fn list(&self, user_id: i32) -> Result<Vec<Session>, Error> {
        let storage = self.ctx.storage();
        Ok(storage.live_sessions(user_id, self.ctx.now()).await?)
    }

    /// Deletes expired sessions in batches of [`PURGE_BATCH`](crate::PURGE_BATCH) rows, so no
    /// statement locks the whole table. Returns how many were deleted.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert_eq!(store.sessions().purge_expired().await?, 0);
    /// # Ok(()) });
    /// ```
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        self.lifecycle().purge().await
    }
}

impl<'a, C: ConnectionTrait> Sessions<'a, C> {
    /// The session lifecycle of the configured profile, at this call's now.
    fn lifecycle(&self) -> Lifecycle<'a, C, Rows> {
        let storage = self.ctx.storage();
        Lifecycle {
            core: self.ctx.core,
            rows: Rows {
                schema: storage.schema,
                zone: storage.zone,
                expiry: self.ctx.config.session_expiry(),
                token_storage: self.ctx.config.session_token_storage(),
            },
            now: self.ctx.now(),
        }
    }

    /// The expiry of a session created or renewed at `now`.
    fn starting_at(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
        self.storable(self.ctx.config.session_expiry().starting_at(now))
    }

    /// `expires`, if the backend can store that time.
    fn storable(&self, expires: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
        let backend = self.ctx.core.db.get_database_backend();
        backend::check_time(backend, "expires", Some(expires))?;
        Ok(expires)
    }

    /// The column value for a client's token under the configured storage.
    fn stored(&self, token: &str) -> String {
        self.ctx.config.session_token_storage().stored_form(token)
    }
}
