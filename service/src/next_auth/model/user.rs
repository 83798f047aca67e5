//! A user: as stored, as created, as patched; new and patched users are
//! canonicalised and validated here, before any statement.

use chrono::{DateTime, Utc};
use sea_orm::DbBackend;
use validator::{Validate, ValidationError};

use crate::backend;
#[cfg(doc)]
use crate::rules::email::canonical_email;
use crate::rules::error::Error;
use crate::rules::{self, email, text};

/// A user as stored, with its times in UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The row's id (next-auth's integer).
    pub id: i32,
    /// The display name, if any.
    pub name: Option<String>,
    /// The address in its canonical form ([`canonical_email`]), or as
    /// another system sharing the database stored it.
    pub email: Option<String>,
    /// When the address was verified (an email sign-in sets it).
    pub email_verified: Option<DateTime<Utc>>,
    /// A URL of the user's picture, if any.
    pub image: Option<String>,
    /// When the row was written first.
    pub created_at: DateTime<Utc>,
    /// When the row was written last.
    pub updated_at: DateTime<Utc>,
}

/// The fields of a new user. All are optional, as in next-auth.
///
/// `email` is stored in its canonical form (see [`canonical_email`]); an
/// address that has none is [`Error::Validation`] on `email`.
///
/// ```
/// use authstore::NewUser;
/// let user = NewUser { email: Some(" Ada@Example.COM ".into()), ..Default::default() };
/// ```
#[derive(Clone, Debug, Default, Validate)]
pub struct NewUser {
    /// At most 255 characters, no control characters.
    #[validate(custom(function = "text::name"))]
    pub name: Option<String>,
    /// An address with a canonical form; see [`canonical_email`].
    pub email: Option<String>,
    /// Any time the database can hold (on MySQL, 1970-01-01 00:00:01 to
    /// 2038-01-19 03:14:07 UTC).
    pub email_verified: Option<DateTime<Utc>>,
    /// An absolute `http` or `https` URL of at most 2048 characters, no
    /// control characters.
    #[validate(custom(function = "text::http_url"))]
    pub image: Option<String>,
}

/// A partial update: `None` leaves a field alone, `Some(None)` clears it,
/// `Some(Some(v))` sets it. The same rules as [`NewUser`] apply to set values.
///
/// ```
/// use authstore::UserPatch;
/// let patch = UserPatch { name: Some(Some("Ada".into())), image: Some(None), ..Default::default() };
/// ```
#[derive(Clone, Debug, Default, Validate)]
pub struct UserPatch {
    /// `Some(name)` sets the name (`Some(None)` clears it); `None` leaves it.
    #[validate(custom(function = "text::name"))]
    pub name: Option<Option<String>>,
    /// Likewise for the address, stored in its canonical form ([`canonical_email`]).
    pub email: Option<Option<String>>,
    /// Likewise for the verification time.
    pub email_verified: Option<Option<DateTime<Utc>>>,
    /// Likewise for the picture's URL.
    #[validate(custom(function = "text::http_url"))]
    pub image: Option<Option<String>>,
}

/// Replaces `email` by its canonical form, or reports why it has none.
fn canonicalize(email: &mut Option<String>) -> Result<(), ValidationError> {
    if let Some(raw) = email {
        *raw = email::canonical(raw)?;
    }
    Ok(())
}

impl NewUser {
    /// Canonicalises, then validates: the one gate before the database.
    pub(crate) fn prepare(mut self, backend: DbBackend) -> Result<Self, Error> {
        let email = canonicalize(&mut self.email);
        rules::merge(self.validate(), "email", email)?;
        backend::check_time(backend, "email_verified", self.email_verified)?;
        Ok(self)
    }
}

impl UserPatch {
    pub(crate) fn prepare(mut self, backend: DbBackend) -> Result<Self, Error> {
        let email = match &mut self.email {
            Some(email) => canonicalize(email),
            None => Ok(()),
        };
        rules::merge(self.validate(), "email", email)?;
        backend::check_time(backend, "email_verified", self.email_verified.flatten())?;
        Ok(self)
    }
}
