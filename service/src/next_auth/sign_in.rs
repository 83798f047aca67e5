//! Email sign-in as one unit: use the link, find or create the user, start
//! a session.

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::model::{Session, User};
use super::sessions::Sessions;
use super::store::{AuthStore, Scope};
use super::users::Users;
use super::verification::Verification;
use crate::rules::error::Error;

/// What a successful [`Scope::sign_in_with_link`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailSignIn {
    /// The user the link's address belongs to, with `email_verified` set.
    pub user: User,
    /// The new session: put its `session_token` in the cookie.
    pub session: Session,
    /// This sign-in created the user.
    pub new_user: bool,
}

impl<C: ConnectionTrait + TransactionTrait> Scope<'_, C> {
    /// Follows an email sign-in link: uses up the request for `identifier`
    /// and `token`, finds the user with that address (marking the address
    /// verified) or creates one, and starts a session, all in one
    /// transaction. `None` if the link is unknown, used or expired.
    ///
    /// Nothing is lost to a failure: if any step fails, the transaction
    /// rolls back and the link stays usable. Concurrent first sign-ins for
    /// one new address (several links opened at once) all succeed and share
    /// one user: the one whose insert loses the race to the unique email
    /// reads the winner's row instead of failing.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// let (_, token) = store.verification().create("ada@example.com").await?;
    /// let signed_in = store.sign_in_with_link("ada@example.com", token.expose()).await?.unwrap();
    /// assert!(signed_in.new_user && signed_in.user.email_verified.is_some());
    /// assert!(store.sign_in_with_link("ada@example.com", token.expose()).await?.is_none());
    /// # Ok(()) });
    /// ```
    pub async fn sign_in_with_link(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<EmailSignIn>, Error> {
        let txn = self.ctx.core.db.begin().await?;
        let ctx = self.ctx.on(&txn);
        let Some(request) = (Verification { ctx }).consume(identifier, token).await? else {
            // Keeps the deletion of an expired link, if that was what matched.
            txn.commit().await?;
            return Ok(None);
        };
        let (user, new_user) = (Users { ctx })
            .get_or_create_verified(&request.identifier)
            .await?;
        let session = (Sessions { ctx }).create(user.id).await?;
        txn.commit().await?;
        tracing::debug!(user_id = user.id, new_user, "signed in with an email link");
        Ok(Some(EmailSignIn {
            user,
            session,
            new_user,
        }))
    }
}

impl AuthStore {
    /// Follows an email sign-in link in one transaction; see
    /// [`Scope::sign_in_with_link`].
    pub async fn sign_in_with_link(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<EmailSignIn>, Error> {
        self.own().sign_in_with_link(identifier, token).await
    }
}
