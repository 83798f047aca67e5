//! The web layer's view of a better-auth store: its signed cookie, and
//! better-auth's way of re-sending it.

use authstore_entity::Profile;

use super::cookie::{signed_session_cookie, token_from_cookie};
use super::{BetterAuthStore, SessionMeta, ValidSession};
use crate::rules::error::{ConfigError, Error};
use crate::rules::token::Secret;
use crate::web::{CookieLife, SessionStore, Validated};

impl SessionStore for BetterAuthStore {
    type Session = ValidSession;

    fn profile(&self) -> Profile {
        Profile::BetterAuth
    }

    /// better-auth writes the cookie with its full `Max-Age`.
    fn cookie_life(&self, _: &ValidSession) -> CookieLife {
        CookieLife::For(self.config().expires_in())
    }

    /// The cookie is signed with the app's secret, so one is needed.
    fn ready_for_web(&self) -> Result<(), Error> {
        match self.config().cookie_secret() {
            Some(_) => Ok(()),
            None => Err(ConfigError::EmptySecret.into()),
        }
    }

    fn cookie_value(&self, token: &Secret) -> String {
        let secret = self
            .config()
            .cookie_secret()
            .expect("checked by ready_for_web");
        signed_session_cookie(token, secret)
    }

    fn token_from_cookie(&self, value: &str) -> Option<String> {
        let secret = self.config().cookie_secret()?;
        token_from_cookie(value, secret).map(|token| token.expose().to_owned())
    }

    async fn find(&self, token: &str) -> Result<Option<ValidSession>, Error> {
        self.validate_session(token).await
    }

    /// better-auth re-sends a renewed session's cookie, same token, with
    /// the full Max-Age.
    fn reissued(&self, token: &str, valid: &ValidSession) -> Option<Secret> {
        valid.session.fresh.then(|| Secret::from(token))
    }

    async fn validate_carried(
        &self,
        old: Profile,
        token: &str,
    ) -> Result<Option<Validated<ValidSession>>, Error> {
        let valid = self.validate_carried_session(old, token).await?;
        Ok(valid.map(|valid| Validated::of(self, token, valid)))
    }

    async fn start_carried_jwt(
        &self,
        old: Profile,
        user_id: &str,
    ) -> Result<Option<Validated<ValidSession>>, Error> {
        let started = self
            .start_carried_jwt_session(old, user_id, SessionMeta::default())
            .await?;
        Ok(started.map(|valid| {
            let cookie = (valid.session.token.clone(), self.cookie_life(&valid));
            Validated {
                session: valid,
                reissue: Some(cookie),
            }
        }))
    }

    async fn end_carried(&self, old: Profile, token: &str) -> Result<(), Error> {
        self.end_carried_session(old, token).await
    }

    async fn invalidate(&self, token: &str) -> Result<(), Error> {
        self.revoke_session(token).await.map(drop)
    }

    #[cfg(feature = "postgres-listen")]
    fn listen(&self) -> Result<tokio::task::JoinHandle<()>, Error> {
        self.listen_for_session_changes()
    }
}
