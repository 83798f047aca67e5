//! What the web layer asks of a store, and the answer of each profile's
//! store: a lookup that may renew, and a sign-out.

use std::future::Future;

use authstore_entity::Profile;
use chrono::{DateTime, TimeDelta, Utc};

use crate::lucia_v1::{self, LuciaV1Store};
use crate::lucia_v3::{self, LuciaStore};
use crate::model::SessionAndUser;
use crate::rules::error::Error;
use crate::rules::token::Secret;
use crate::store::AuthStore;

/// A store the web layer can serve: [`AuthStore`] (the next-auth
/// profiles), [`LuciaStore`] and [`LuciaV1Store`].
pub trait SessionStore: Clone + Send + Sync + 'static {
    /// What a valid session gives a handler: the session and its user.
    type Session: Clone + Send + Sync + 'static;

    /// The profile whose cookie the store's sessions travel in.
    fn profile(&self) -> Profile;

    /// The session `token` names, if it is valid, with the cookie to send
    /// again when the lookup renewed or replaced the session.
    fn validate(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<Validated<Self::Session>>, Error>> + Send;

    /// Ends the session `token` names (nothing if there is none).
    fn invalidate(&self, token: &str) -> impl Future<Output = Result<(), Error>> + Send;

    /// Starts the store's listener for session changes: its
    /// `listen_for_session_changes` (PostgreSQL, a session cache on).
    #[cfg(feature = "postgres-listen")]
    fn listen(&self) -> Result<tokio::task::JoinHandle<()>, Error>;
}

/// A valid session, as [`SessionStore::validate`] finds it.
pub struct Validated<T> {
    /// The session and its user.
    pub session: T,
    /// `Some` when the browser's cookie must be set again: the value (a
    /// replaced session's new id, or the same token) and how long it lives.
    pub reissue: Option<(Secret, CookieLife)>,
}

/// How long a session cookie lives, as the JS system writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieLife {
    /// `Expires` at the session's end (next-auth, lucia-auth v1).
    Until(DateTime<Utc>),
    /// `Max-Age` of the configured session length (Lucia v3).
    For(TimeDelta),
}

impl SessionStore for AuthStore {
    type Session = SessionAndUser;

    fn profile(&self) -> Profile {
        self.config().profile()
    }

    async fn validate(&self, token: &str) -> Result<Option<Validated<SessionAndUser>>, Error> {
        let Some(found) = self.sessions().get_session_and_user(token).await? else {
            return Ok(None);
        };
        // next-auth's sliding renewal keeps the token and moves the expiry.
        let reissue = found.renewed.then(|| {
            (
                Secret::from(token),
                CookieLife::Until(found.session.expires),
            )
        });
        Ok(Some(Validated {
            session: found,
            reissue,
        }))
    }

    async fn invalidate(&self, token: &str) -> Result<(), Error> {
        self.sessions().delete(token).await.map(drop)
    }

    #[cfg(feature = "postgres-listen")]
    fn listen(&self) -> Result<tokio::task::JoinHandle<()>, Error> {
        self.listen_for_session_changes()
    }
}

impl SessionStore for LuciaStore {
    type Session = lucia_v3::ValidSession;

    fn profile(&self) -> Profile {
        Profile::LuciaV3
    }

    async fn validate(&self, token: &str) -> Result<Option<Validated<Self::Session>>, Error> {
        let Some(valid) = self.validate_session(token).await? else {
            return Ok(None);
        };
        // Lucia v3 re-sends a `fresh` session's cookie with its full Max-Age.
        let reissue = valid.session.fresh.then(|| {
            let life = CookieLife::For(self.config().expires_in());
            (Secret::from(token), life)
        });
        Ok(Some(Validated {
            session: valid,
            reissue,
        }))
    }

    async fn invalidate(&self, token: &str) -> Result<(), Error> {
        self.invalidate_session(token).await.map(drop)
    }

    #[cfg(feature = "postgres-listen")]
    fn listen(&self) -> Result<tokio::task::JoinHandle<()>, Error> {
        self.listen_for_session_changes()
    }
}

impl SessionStore for LuciaV1Store {
    type Session = lucia_v1::ValidSession;

    fn profile(&self) -> Profile {
        Profile::LuciaV1
    }

    async fn validate(&self, token: &str) -> Result<Option<Validated<Self::Session>>, Error> {
        let Some(valid) = self.validate_session(token).await? else {
            return Ok(None);
        };
        // An idle session was replaced: the cookie gets the new id, expiring
        // with its idle period, as lucia-auth v1 writes it.
        let reissue = valid.session.fresh.then(|| {
            let life = CookieLife::Until(valid.session.idle_expires);
            (valid.session.id.clone(), life)
        });
        Ok(Some(Validated {
            session: valid,
            reissue,
        }))
    }

    async fn invalidate(&self, token: &str) -> Result<(), Error> {
        self.invalidate_session(token).await.map(drop)
    }

    #[cfg(feature = "postgres-listen")]
    fn listen(&self) -> Result<tokio::task::JoinHandle<()>, Error> {
        self.listen_for_session_changes()
    }
}
