//! What the web layer asks of a store, and the answer of each profile's
//! store: a lookup that may renew, and a sign-out.

use std::future::Future;

use authstore_entity::Profile;
use chrono::{DateTime, TimeDelta, Utc};

use crate::authjs::{self, AuthJsAdapter, AuthJsStore};
use crate::lucia_v1::{self, LuciaV1Store};
use crate::lucia_v3::{self, LuciaStore};
use crate::next_auth::AuthStore;
use crate::next_auth::SessionAndUser;
use crate::rules::error::Error;
use crate::rules::token::Secret;

/// A store the web layer can serve: [`AuthStore`] (the next-auth
/// profiles), [`LuciaStore`], [`LuciaV1Store`],
/// [`BetterAuthStore`](crate::better_auth::BetterAuthStore) and
/// [`AuthJsStore`].
pub trait SessionStore: Clone + Send + Sync + 'static {
    /// What a valid session gives a handler: the session and its user.
    type Session: Clone + Send + Sync + 'static;

    /// The profile whose cookie the store's sessions travel in.
    fn profile(&self) -> Profile;

    /// The session `token` names, if it is valid: the store's own lookup
    /// (`validate_session`, `get_session_and_user`), which may renew it.
    fn find(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<Self::Session>, Error>> + Send;

    /// The session token whose cookie must be set again after [`find`](Self::find)
    /// gave `session` for `token` (renewed: the same token; replaced: the
    /// new one), or `None` when the cookie stands.
    fn reissued(&self, token: &str, session: &Self::Session) -> Option<Secret>;

    /// The session `token` names, if it is valid, with the cookie to send
    /// again when the lookup renewed or replaced the session.
    fn validate(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<Validated<Self::Session>>, Error>> + Send {
        async move {
            let found = self.find(token).await?;
            Ok(found.map(|session| Validated::of(self, token, session)))
        }
    }

    /// Ends the session `token` names (nothing if there is none).
    fn invalidate(&self, token: &str) -> impl Future<Output = Result<(), Error>> + Send;

    /// How long the cookie of a valid session lives when it is set anew
    /// (across a carry-over's bridge), as the JS system writes it.
    fn cookie_life(&self, session: &Self::Session) -> CookieLife;

    /// The session cookie's name when the app's public URL is https or
    /// not: the profile's (see `Descriptor::session_cookie`), unless the
    /// store's config chooses among several (the Auth.js profiles: by the
    /// app's next-auth major).
    fn session_cookie(&self, https: bool) -> &'static str {
        self.profile().descriptor().session_cookie(https)
    }

    /// Whether the store has what the web layer needs (better-auth's: the
    /// secret that signs its cookie). Checked by `WebSessions::new`.
    fn ready_for_web(&self) -> Result<(), Error> {
        Ok(())
    }

    /// The cookie's value for a session token: the token itself, as
    /// next-auth and Lucia write it; better-auth signs it.
    fn cookie_value(&self, token: &Secret) -> String {
        token.expose().to_owned()
    }

    /// The session token in a cookie's value, if the value is one.
    fn token_from_cookie(&self, value: &str) -> Option<String> {
        Some(value.to_owned())
    }

    /// The session of `token` if the cookie bridge of a carry-over from
    /// `old` may serve it (the store the users were carried into decides:
    /// only sessions the carry-over carried, only while the old system
    /// holds them alive). Other stores carry nothing over: `None`.
    fn validate_carried(
        &self,
        old: Profile,
        token: &str,
    ) -> impl Future<Output = Result<Option<Validated<Self::Session>>, Error>> + Send {
        let _ = (old, token);
        async { Ok(None) }
    }

    /// A new session of the store's for user `user_id` of `old`, named by
    /// the old app's JWT cookie (the JWT bridge: the store the users were
    /// carried into decides, and only for a user the carry-over carried),
    /// with its cookie. Other stores carry nothing over: `None`.
    fn start_carried_jwt(
        &self,
        old: Profile,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<Validated<Self::Session>>, Error>> + Send {
        let _ = (old, user_id);
        async { Ok(None) }
    }

    /// Ends the old system's session of `token` after a sign-out through
    /// the bridge of a carry-over from `old`. Other stores: nothing.
    fn end_carried(
        &self,
        old: Profile,
        token: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = (old, token);
        async { Ok(()) }
    }

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

impl<T> Validated<T> {
    /// `session`, found by `store` for `token`, with the cookie to send
    /// again if the store says so.
    pub(crate) fn of<S: SessionStore<Session = T>>(store: &S, token: &str, session: T) -> Self {
        let reissue = store
            .reissued(token, &session)
            .map(|token| (token, store.cookie_life(&session)));
        Validated { session, reissue }
    }
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

    fn cookie_life(&self, found: &SessionAndUser) -> CookieLife {
        CookieLife::Until(found.session.expires)
    }

    async fn find(&self, token: &str) -> Result<Option<SessionAndUser>, Error> {
        self.sessions().get_session_and_user(token).await
    }

    /// next-auth's sliding renewal keeps the token and moves the expiry.
    fn reissued(&self, token: &str, found: &SessionAndUser) -> Option<Secret> {
        found.renewed.then(|| Secret::from(token))
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

    /// Lucia v3 re-sends a `fresh` session's cookie with its full Max-Age.
    fn cookie_life(&self, _: &Self::Session) -> CookieLife {
        CookieLife::For(self.config().expires_in())
    }

    async fn find(&self, token: &str) -> Result<Option<Self::Session>, Error> {
        self.validate_session(token).await
    }

    fn reissued(&self, token: &str, valid: &Self::Session) -> Option<Secret> {
        valid.session.fresh.then(|| Secret::from(token))
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

    fn cookie_life(&self, valid: &Self::Session) -> CookieLife {
        CookieLife::Until(valid.session.idle_expires)
    }

    async fn find(&self, token: &str) -> Result<Option<Self::Session>, Error> {
        self.validate_session(token).await
    }

    /// An idle session was replaced: the cookie gets the new id, expiring
    /// with its idle period, as lucia-auth v1 writes it.
    fn reissued(&self, _: &str, valid: &Self::Session) -> Option<Secret> {
        valid.session.fresh.then(|| valid.session.id.clone())
    }

    async fn invalidate(&self, token: &str) -> Result<(), Error> {
        self.invalidate_session(token).await.map(drop)
    }

    #[cfg(feature = "postgres-listen")]
    fn listen(&self) -> Result<tokio::task::JoinHandle<()>, Error> {
        self.listen_for_session_changes()
    }
}

impl<A: AuthJsAdapter> SessionStore for AuthJsStore<sea_orm::DatabaseConnection, A> {
    type Session = authjs::ValidSession<A::Id>;

    fn profile(&self) -> Profile {
        A::PROFILE
    }

    fn session_cookie(&self, https: bool) -> &'static str {
        self.config().major().session_cookie(https)
    }

    /// Auth.js sets the cookie to expire with the session.
    fn cookie_life(&self, valid: &Self::Session) -> CookieLife {
        CookieLife::Until(valid.session.expires)
    }

    async fn find(&self, token: &str) -> Result<Option<Self::Session>, Error> {
        self.get_session_and_user(token).await
    }

    /// A renewal keeps the token and moves the expiry.
    fn reissued(&self, token: &str, valid: &Self::Session) -> Option<Secret> {
        valid.session.fresh.then(|| Secret::from(token))
    }

    async fn invalidate(&self, token: &str) -> Result<(), Error> {
        self.delete_session(token).await.map(drop)
    }

    #[cfg(feature = "postgres-listen")]
    fn listen(&self) -> Result<tokio::task::JoinHandle<()>, Error> {
        self.listen_for_session_changes()
    }
}
