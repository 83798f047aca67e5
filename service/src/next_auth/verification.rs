//! The verification table (`verification_requests`, or `verification_tokens`
//! on `next-auth-v4-beta`): single-use email sign-in tokens.

use sea_orm::{ConnectionTrait, TransactionTrait};

use super::Ctx;
use super::model::VerificationRequest;
use crate::backend;
use crate::backend::PURGE_BATCH;
use crate::rules::error::{Conflict, Error, on_write};
use crate::rules::token::{self, Secret};
use crate::rules::{self, email, text};

/// The `verification_requests` table. Get one from
/// [`crate::AuthStore::verification`].
pub struct Verification<'a, C> {
    pub(crate) ctx: Ctx<'a, C>,
}

impl<C: ConnectionTrait + TransactionTrait> Verification<'_, C> {
    /// Creates a request for `identifier`, an email address stored in its
    /// canonical form ([`crate::canonical_email`]), and returns it with the
    /// plain token for the link. Only the hex SHA-256 of `token + secret` is
    /// stored, so the token is never seen again.
    ///
    /// An identifier that is no address (nobody could ever follow the link)
    /// is [`Error::Validation`] on `identifier`, and nothing is written.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// let (request, token) = store.verification().create("Ada@Example.com").await?;
    /// assert_eq!(request.identifier, "ada@example.com");
    /// assert_eq!(token.expose().len(), 64);
    /// # Ok(()) });
    /// ```
    pub async fn create(&self, identifier: &str) -> Result<(VerificationRequest, Secret), Error> {
        let identifier =
            email::canonical(identifier).map_err(|error| rules::invalid("identifier", error))?;
        let now = self.ctx.now();
        let expires = now + self.ctx.config.verification_max_age();
        let backend = self.ctx.core.db.get_database_backend();
        backend::check_time(backend, "expires", Some(expires))?;
        let token = token::random_token();
        let hash = token::verification_hash(token.expose(), self.ctx.config.secret());
        let (newest_only, limit) = (
            self.ctx.config.newest_link_only(),
            self.ctx.config.link_issuance_limit(),
        );
        if !newest_only && limit.is_none() {
            let request = self
                .ctx
                .storage()
                .insert_verification(identifier, hash, expires, now)
                .await
                .map_err(on_write(Conflict::Token))?;
            return Ok((request, token));
        }
        // What this identifier was sent decides what happens: read and write
        // under a lock on the identifier, so concurrent requests queue.
        let table = self.ctx.storage().verification_table();
        let key = identifier.clone();
        let request = backend::serialized(self.ctx.core.db, table, &key, async |txn| {
            let storage = self.ctx.on(txn).storage();
            if let Some(limit) = limit {
                let recent = storage
                    .verification_times_since(&identifier, limit.window_start(now))
                    .await?;
                limit
                    .decide(now, &recent)
                    .map_err(|retry_at| Error::RateLimited { retry_at })?;
            }
            if newest_only {
                let keep_since = limit.map_or(now, |limit| limit.window_start(now));
                storage
                    .supersede_verifications(&identifier, keep_since, now)
                    .await?;
            }
            storage
                .insert_verification(identifier, hash, expires, now)
                .await
                .map_err(on_write(Conflict::Token))
        })
        .await?;
        Ok((request, token))
    }

    /// Whether `token` is a live link for `identifier`, without using it:
    /// for a page that asks the person to confirm before [`Verification::consume`],
    /// so a mail scanner that fetches the link uses up nothing. One indexed
    /// `SELECT`, nothing written; it looks at verification requests only,
    /// never at users, so it says nothing about who has an account.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// let (_, token) = store.verification().create("ada@example.com").await?;
    /// assert!(store.verification().check("ada@example.com", token.expose()).await?);
    /// assert!(store.verification().check("ada@example.com", token.expose()).await?, "still there");
    /// assert!(!store.verification().check("bob@example.com", token.expose()).await?);
    /// # Ok(()) });
    /// ```
    pub async fn check(&self, identifier: &str, token: &str) -> Result<bool, Error> {
        let Ok(identifier) = email::canonical(identifier) else {
            return Ok(false);
        };
        if !text::plausible_token(token) {
            return Ok(false);
        }
        let hash = token::verification_hash(token, self.ctx.config.secret());
        let storage = self.ctx.storage();
        Ok(storage
            .verification_is_live(&identifier, &hash, self.ctx.now())
            .await?)
    }

    /// Uses up the request matching `identifier` and `token`, atomically:
    /// the row is deleted in the same statement that finds it, so of any
    /// number of concurrent calls at most one gets `Some`. A matching but
    /// expired request is deleted too, and gives `None`. An identifier or
    /// token that could never have been issued gives `None` without a query.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// let (_, token) = store.verification().create("ada@example.com").await?;
    /// assert!(store.verification().consume("ada@example.com", token.expose()).await?.is_some());
    /// assert!(store.verification().consume("ada@example.com", token.expose()).await?.is_none());
    /// # Ok(()) });
    /// ```
    pub async fn consume(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<VerificationRequest>, Error> {
        let Ok(identifier) = email::canonical(identifier) else {
            return Ok(None);
        };
        if !text::plausible_token(token) {
            return Ok(None);
        }
        let hash = token::verification_hash(token, self.ctx.config.secret());
        let taken = self
            .ctx
            .storage()
            .take_verification(identifier, hash)
            .await?;
        let now = self.ctx.now();
        Ok(taken.filter(|request| request.expires > now))
    }

    /// Deletes expired requests in batches of [`PURGE_BATCH`]. Returns how
    /// many. With an issuance limit, expired requests still inside its
    /// window are kept: they count toward the limit.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert_eq!(store.verification().purge_expired().await?, 0);
    /// # Ok(()) });
    /// ```
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        let storage = self.ctx.storage();
        let now = self.ctx.now();
        let counted_from = self.ctx.config.link_issuance_limit();
        let created_by = counted_from.map_or(now, |limit| limit.window_start(now));
        Ok(storage
            .purge_verification(now, created_by, PURGE_BATCH)
            .await?)
    }
}
