//! The rules, which know no table: what a string, an email address and a
//! token may be (`text`, `email`), how tokens are made and hashed (`token`),
//! when a session is live, due for renewal or over (`expiry`), and what a
//! database error means (`error`). Every input type and every lookup checks through here, so
//! each rule is written once and bad input never reaches the database.
//!
//! Creation and updates answer a breach with [`crate::Error::Validation`]
//! naming the field; lookups answer "not found" without a statement, since
//! no stored row can match an input that could never have been stored.

pub(crate) mod email;
pub(crate) mod error;
pub(crate) mod expiry;
pub(crate) mod issuance;
pub(crate) mod password;
pub(crate) mod text;
pub(crate) mod token;

use validator::{ValidationError, ValidationErrors};

use crate::rules::error::Error;

/// One failed field as an [`Error::Validation`].
pub(crate) fn invalid(field: &'static str, error: ValidationError) -> Error {
    let mut errors = ValidationErrors::new();
    errors.add(field, error);
    Error::Validation(errors)
}

/// Adds one field's failure to the result of a derived `validate()`.
pub(crate) fn merge(
    derived: Result<(), ValidationErrors>,
    field: &'static str,
    check: Result<(), ValidationError>,
) -> Result<(), ValidationErrors> {
    let Err(error) = check else {
        return derived;
    };
    let mut errors = derived.err().unwrap_or_default();
    errors.add(field, error);
    Err(errors)
}
