//! A verification request (an email sign-in link) as stored.

use chrono::{DateTime, Utc};

/// A verification request as stored. The stored token is a hash and is
/// deliberately not exposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationRequest {
    /// The row's id.
    pub id: i32,
    /// Who the link was sent to: an email address in its canonical form.
    pub identifier: String,
    /// When the link stops working.
    pub expires: DateTime<Utc>,
    /// When the link was issued.
    pub created_at: DateTime<Utc>,
    /// When the row was written last.
    pub updated_at: DateTime<Utc>,
}
