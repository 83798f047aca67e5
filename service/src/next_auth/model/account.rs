//! A linked provider account (OAuth, email or credentials), its input
//! types and their rules.

use chrono::{DateTime, Utc};
use validator::{Validate, ValidationError, ValidationErrors};

use crate::rules::error::Error;
use crate::rules::token::Secret;
use crate::rules::{self, text};

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
pub(crate) fn check_oauth_tokens(
    checked: Result<(), ValidationErrors>,
    refresh_token: Option<&Secret>,
    access_token: Option<&Secret>,
) -> Result<(), Error> {
    let check = |token: Option<&Secret>| token.map_or(Ok(()), text::oauth_token);
    let checked = rules::merge(checked, "refresh_token", check(refresh_token));
    Ok(rules::merge(checked, "access_token", check(access_token))?)
}
