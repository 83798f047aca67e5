//! A session, and what the per-request lookup finds.

use chrono::{DateTime, Utc};

use crate::cache;
use crate::next_auth::model::User;
use crate::rules::token::Secret;

/// A session. Both tokens are [`Secret`]s, so `Debug` never prints them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The row's id (what `revoke` takes).
    pub id: i32,
    /// The user the session belongs to.
    pub user_id: i32,
    /// When the session ends, unless a read renews it first.
    pub expires: DateTime<Utc>,
    /// The value of the session cookie. With [`crate::TokenStorage::Hashed`],
    /// sessions from `list` hold its hash here instead.
    pub session_token: Secret,
    /// next-auth v3's second per-session token, kept for compatibility.
    /// With [`crate::TokenStorage::Hashed`], sessions read back from the
    /// table (`list`, lookups) hold its hash here, not the token.
    pub access_token: Secret,
    /// When the session was created.
    pub created_at: DateTime<Utc>,
    /// When the row was written last (a renewal moves it).
    pub updated_at: DateTime<Utc>,
}

/// What [`Sessions::get_session_and_user`](crate::Sessions::get_session_and_user) finds for a valid token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionAndUser {
    /// The valid session.
    pub session: Session,
    /// Its user.
    pub user: User,
    /// This read pushed the expiry forward (its write changed the row):
    /// refresh the cookie.
    pub renewed: bool,
}

impl cache::Cached for SessionAndUser {
    type UserId = i32;

    /// Only the session token is emptied in entries: `access_token`, which
    /// no lookup goes by, stays as read (its hash under `Hashed`).
    fn token_mut(&mut self) -> &mut Secret {
        &mut self.session.session_token
    }

    fn per_call_flag(&mut self) -> &mut bool {
        &mut self.renewed
    }

    fn user_id(&self) -> &i32 {
        &self.user.id
    }
}
