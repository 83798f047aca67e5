//! The `accounts` table (linked OAuth/email/credentials provider accounts):
//! its input types, its rules and its queries.

use sea_orm::{ConnectionTrait, TransactionTrait};
use validator::Validate;

use super::Ctx;
use super::model::{Account, NewAccount, OAuthTokens, check_oauth_tokens};
use crate::backend;
use crate::rules::error::{Conflict, Error, on_write};
use crate::rules::text;

/// The `accounts` table. Get one from [`crate::AuthStore::accounts`].
pub struct Accounts<'a, C> {
    pub(crate) ctx: Ctx<'a, C>,
}

impl<C: ConnectionTrait + TransactionTrait> Accounts<'_, C> {
    /// Links a provider account to a user, computing `compound_id`.
    /// An account already linked (to anyone) is
    /// [`Error::Conflict`]`(`[`Conflict::Account`]`)`; a missing user is
    /// [`Error::UnknownUser`].
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # use authstore::{NewAccount, NewUser};
    /// let user = store.users().create(NewUser::default()).await?;
    /// let account = store.accounts().link(NewAccount {
    ///     user_id: user.id,
    ///     provider_type: "oauth".into(),
    ///     provider_id: "github".into(),
    ///     provider_account_id: "583231".into(),
    ///     ..Default::default()
    /// }).await?;
    /// assert_eq!(account.compound_id.len(), 64);
    /// # Ok(()) });
    /// ```
    pub async fn link(&self, input: NewAccount) -> Result<Account, Error> {
        check_oauth_tokens(
            input.validate(),
            input.refresh_token.as_ref(),
            input.access_token.as_ref(),
        )?;
        let backend = self.ctx.core.db.get_database_backend();
        backend::check_time(backend, "access_token_expires", input.access_token_expires)?;
        let account = self
            .ctx
            .storage()
            .insert_account(input, self.ctx.now())
            .await
            .map_err(on_write(Conflict::Account))?;
        tracing::debug!(user_id = account.user_id, provider_id = %account.provider_id, "linked account");
        Ok(account)
    }

    /// Unlinks exactly this provider account (its `compound_id` and its own
    /// columns must match). [`Error::NotFound`] if it was not linked.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert!(matches!(store.accounts().unlink("github", "583231").await, Err(authstore::Error::NotFound)));
    /// # Ok(()) });
    /// ```
    pub async fn unlink(&self, provider_id: &str, provider_account_id: &str) -> Result<(), Error> {
        if !text::linkable(provider_id, provider_account_id) {
            return Err(Error::NotFound);
        }
        let storage = self.ctx.storage();
        if !storage
            .delete_account(provider_id, provider_account_id)
            .await?
        {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// The accounts linked to a user, oldest first.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert!(store.accounts().list(42).await?.is_empty());
    /// # Ok(()) });
    /// ```
    pub async fn list(&self, user_id: i32) -> Result<Vec<Account>, Error> {
        Ok(self.ctx.storage().user_accounts(user_id).await?)
    }

    /// Stores rotated OAuth tokens for a linked account (validated as in
    /// [`NewAccount`]). [`Error::NotFound`] if it is not linked.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # use authstore::OAuthTokens;
    /// let missing = store.accounts().update_tokens("github", "583231", OAuthTokens::default()).await;
    /// assert!(matches!(missing, Err(authstore::Error::NotFound)));
    /// # Ok(()) });
    /// ```
    pub async fn update_tokens(
        &self,
        provider_id: &str,
        provider_account_id: &str,
        tokens: OAuthTokens,
    ) -> Result<Account, Error> {
        check_oauth_tokens(
            Ok(()),
            tokens.refresh_token.as_ref(),
            tokens.access_token.as_ref(),
        )?;
        let backend = self.ctx.core.db.get_database_backend();
        backend::check_time(backend, "access_token_expires", tokens.access_token_expires)?;
        if !text::linkable(provider_id, provider_account_id) {
            return Err(Error::NotFound);
        }
        let storage = self.ctx.storage();
        storage
            .update_account_tokens(provider_id, provider_account_id, tokens, self.ctx.now())
            .await?
            .ok_or(Error::NotFound)
    }
}
