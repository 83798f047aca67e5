//! The `users` table: its input types, its rules and its queries.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use crate::cache::Change;

use super::Ctx;
use super::model::{NewUser, User, UserPatch};
#[cfg(doc)]
use crate::rules::email::canonical_email;
use crate::rules::error::{Conflict, Error, on_write};
use crate::rules::token;
use crate::rules::{email, text};

/// The `users` table. Get one from [`crate::AuthStore::users`] or, inside
/// your own transaction, from [`crate::AuthStore::on`].
pub struct Users<'a, C> {
    pub(crate) ctx: Ctx<'a, C>,
}

impl<C: ConnectionTrait + TransactionTrait> Users<'_, C> {
    /// Creates a user; one `INSERT`. A taken email is
    /// [`Error::Conflict`]`(`[`Conflict::Email`]`)`.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// use authstore::NewUser;
    /// let user = store.users().create(NewUser { email: Some("Ada@Example.com".into()), ..Default::default() }).await?;
    /// assert_eq!(user.email.as_deref(), Some("ada@example.com"));
    /// # Ok(()) });
    /// ```
    pub async fn create(&self, input: NewUser) -> Result<User, Error> {
        let input = input.prepare(self.ctx.core.db.get_database_backend())?;
        self.ctx
            .storage()
            .insert_user(input, self.ctx.now())
            .await
            .map_err(on_write(Conflict::Email))
    }

    /// The user with this id, if any.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert!(store.users().get(42).await?.is_none());
    /// # Ok(()) });
    /// ```
    pub async fn get(&self, id: i32) -> Result<Option<User>, Error> {
        Ok(self.ctx.storage().user(id).await?)
    }

    /// The user with this email, compared in its canonical form (see
    /// [`canonical_email`]). An input with no canonical form is `None`,
    /// without a query.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # use authstore::NewUser;
    /// store.users().create(NewUser { email: Some("ada@example.com".into()), ..Default::default() }).await?;
    /// assert!(store.users().get_by_email(" ADA@example.com").await?.is_some());
    /// # Ok(()) });
    /// ```
    pub async fn get_by_email(&self, email: &str) -> Result<Option<User>, Error> {
        let Ok(email) = email::canonical(email) else {
            return Ok(None);
        };
        Ok(self.ctx.storage().user_by_email(&email, false).await?)
    }

    /// The user who linked this provider account: one `SELECT … JOIN`,
    /// looked up by the unique `compound_id` and then matched on the
    /// account's own `provider_id` and `provider_account_id`, since two
    /// different accounts can share a `compound_id` (see
    /// [`crate::Account::compound_id`]). Keys that could never be linked are
    /// `None` without a query.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert!(store.users().get_by_account("github", "1234").await?.is_none());
    /// # Ok(()) });
    /// ```
    pub async fn get_by_account(
        &self,
        provider_id: &str,
        provider_account_id: &str,
    ) -> Result<Option<User>, Error> {
        if !text::linkable(provider_id, provider_account_id) {
            return Ok(None);
        }
        let compound_id = token::compound_id(provider_id, provider_account_id);
        let storage = self.ctx.storage();
        Ok(storage
            .user_by_account(compound_id, provider_id, provider_account_id)
            .await?)
    }

    /// Applies a partial update and refreshes the `updated` row clock.
    /// [`Error::NotFound`] if there is no such user.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # use authstore::{NewUser, UserPatch};
    /// let user = store.users().create(NewUser::default()).await?;
    /// let user = store.users().update(user.id, UserPatch { name: Some(Some("Ada".into())), ..Default::default() }).await?;
    /// assert_eq!(user.name.as_deref(), Some("Ada"));
    /// # Ok(()) });
    /// ```
    pub async fn update(&self, id: i32, patch: UserPatch) -> Result<User, Error> {
        let patch = patch.prepare(self.ctx.core.db.get_database_backend())?;
        let updated = self
            .ctx
            .storage()
            .update_user(id, patch, self.ctx.now())
            .await;
        // Whatever the outcome: a failed write may still have committed.
        self.ctx.core.changed(Change::User(id));
        updated
            .map_err(on_write(Conflict::Email))?
            .ok_or(Error::NotFound)
    }

    /// The user with this (canonical) email, marked verified now if it was
    /// not yet, or a new verified user; and whether it is new. Run inside a
    /// transaction: the insert takes a savepoint, so losing the race to a
    /// concurrent insert of the same email leaves the transaction usable,
    /// and the winner's row is then read with a locking read, which sees
    /// the latest committed row whatever the isolation level's snapshot.
    pub(crate) async fn get_or_create_verified(&self, email: &str) -> Result<(User, bool), Error> {
        let now = self.ctx.now();
        if let Some(user) = self.get_by_email(email).await? {
            return Ok((self.mark_verified(user, now).await?, false));
        }
        let savepoint = self.ctx.core.db.begin().await?;
        let new = NewUser {
            email: Some(email.to_owned()),
            email_verified: Some(now),
            ..Default::default()
        };
        match (Users {
            ctx: self.ctx.on(&savepoint),
        })
        .create(new)
        .await
        {
            Ok(user) => {
                savepoint.commit().await?;
                Ok((user, true))
            }
            Err(Error::Conflict(Conflict::Email)) => {
                savepoint.rollback().await?;
                let winner = self
                    .ctx
                    .storage()
                    .user_by_email(email, true)
                    .await?
                    .ok_or(Error::Conflict(Conflict::Email))?;
                Ok((self.mark_verified(winner, now).await?, false))
            }
            Err(other) => Err(other),
        }
    }

    /// Sets `email_verified` if it is not set yet.
    async fn mark_verified(&self, user: User, now: DateTime<Utc>) -> Result<User, Error> {
        if user.email_verified.is_some() {
            return Ok(user);
        }
        let patch = UserPatch {
            email_verified: Some(Some(now)),
            ..Default::default()
        };
        self.update(user.id, patch).await
    }

    /// Deletes the user with their sessions and accounts, in one transaction.
    /// It deletes the children explicitly, so it also works on a database
    /// next-auth created, which has no cascading foreign keys.
    /// [`Error::NotFound`] if there is no such user; then nothing changes.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # use authstore::NewUser;
    /// let user = store.users().create(NewUser::default()).await?;
    /// store.users().delete(user.id).await?;
    /// assert!(store.users().get(user.id).await?.is_none());
    /// # Ok(()) });
    /// ```
    pub async fn delete(&self, id: i32) -> Result<(), Error> {
        let txn = self.ctx.core.begin_user_deletion().await?;
        let found = self.ctx.on(&txn).storage().delete_user(id).await?;
        self.ctx.core.finish_user_deletion(txn, id, found).await?;
        tracing::debug!(
            user_id = id,
            "deleted user with their sessions and accounts"
        );
        Ok(())
    }
}
