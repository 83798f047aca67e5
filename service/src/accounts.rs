//! The `accounts` table (linked OAuth/email/credentials provider accounts):
//! its input types, its rules and its queries.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use validator::{Validate, ValidationError, ValidationErrors};

use crate::rules::error::{Conflict, Error, on_write};
use crate::rules::token::Secret;
use crate::rules::{self, text};
use crate::{Ctx, backend};

/// A linked provider account. Its OAuth tokens are [`Secret`]s, so `Debug`
/// never prints them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The row's id.
    pub id: i32,
    /// Hex SHA-256 of `"{provider_id}:{provider_account_id}"`, as next-auth v3.
    ///
    /// The format is ambiguous when a provider id contains `:`:
    /// `("p", "q:r")` and `("p:q", "r")` get the same `compound_id`. Since the
    /// column is unique, the second of two such accounts cannot be linked
    /// ([`crate::Conflict::Account`]); every lookup, unlink and token update
    /// also matches `provider_id` and `provider_account_id` themselves, so a
    /// collision can never reach the other account.
    pub compound_id: String,
    /// The user the account belongs to.
    pub user_id: i32,
    /// `"oauth"`, `"email"` or `"credentials"`, as next-auth v3 writes it.
    pub provider_type: String,
    /// The provider, e.g. `"github"`.
    pub provider_id: String,
    /// The user's id at the provider.
    pub provider_account_id: String,
    /// The OAuth refresh token, if the provider gave one.
    pub refresh_token: Option<Secret>,
    /// The OAuth access token, if the provider gave one.
    pub access_token: Option<Secret>,
    /// When the access token expires, if the provider said.
    pub access_token_expires: Option<DateTime<Utc>>,
    /// When the row was written first.
    pub created_at: DateTime<Utc>,
    /// When the row was written last.
    pub updated_at: DateTime<Utc>,
}

/// A provider account to link to a user, as an OAuth callback provides it.
///
/// ```
/// use authstore::NewAccount;
/// let github = NewAccount {
///     user_id: 1,
///     provider_type: "oauth".into(),
///     provider_id: "github".into(),
///     provider_account_id: "583231".into(),
///     ..Default::default()
/// };
/// ```
#[derive(Clone, Debug, Default, Validate)]
pub struct NewAccount {
    /// The user to link the account to.
    pub user_id: i32,
    /// One of `oauth`, `email`, `credentials`.
    #[validate(custom(function = "provider_type"))]
    pub provider_type: String,
    /// The provider's name in your app, e.g. `github`. 1 to 255 characters,
    /// no control characters.
    #[validate(custom(function = "text::provider_key"))]
    pub provider_id: String,
    /// The user's id at the provider. 1 to 255 characters, no control
    /// characters.
    #[validate(custom(function = "text::provider_key"))]
    pub provider_account_id: String,
    /// At most 16 KiB, no control characters (as every OAuth token below).
    pub refresh_token: Option<Secret>,
    /// The same rules as `refresh_token`.
    pub access_token: Option<Secret>,
    /// Any time the database can hold (on MySQL, 1970-01-01 00:00:01 to
    /// 2038-01-19 03:14:07 UTC).
    pub access_token_expires: Option<DateTime<Utc>>,
}

/// New OAuth tokens for a linked account, after the provider rotated them.
/// Every field is written: `None` clears the stored value.
///
/// ```
/// use authstore::{OAuthTokens, Secret};
/// let rotated = OAuthTokens { access_token: Some(Secret::from("gho_new")), ..Default::default() };
/// ```
#[derive(Clone, Debug, Default)]
pub struct OAuthTokens {
    /// The same rules as in [`NewAccount`].
    pub refresh_token: Option<Secret>,
    /// The new access token; `None` clears it.
    pub access_token: Option<Secret>,
    /// When the new access token expires; `None` clears it.
    pub access_token_expires: Option<DateTime<Utc>>,
}

/// The provider types next-auth v3 writes.
const PROVIDER_TYPES: [&str; 3] = ["oauth", "email", "credentials"];

fn provider_type(value: &str) -> Result<(), ValidationError> {
    if PROVIDER_TYPES.contains(&value) {
        return Ok(());
    }
    Err(ValidationError::new("provider_type"))
}

/// Adds the OAuth token rule to `checked`. Not a derived check: `validator`
/// copies a failing value into its error, and these are secrets.
fn check_oauth_tokens(
    checked: Result<(), ValidationErrors>,
    refresh_token: Option<&Secret>,
    access_token: Option<&Secret>,
) -> Result<(), Error> {
    let check = |token: Option<&Secret>| token.map_or(Ok(()), text::oauth_token);
    let checked = rules::merge(checked, "refresh_token", check(refresh_token));
    Ok(rules::merge(checked, "access_token", check(access_token))?)
}

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
        let backend = self.ctx.db.get_database_backend();
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
        let backend = self.ctx.db.get_database_backend();
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
