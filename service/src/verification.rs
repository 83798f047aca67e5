//! The `verification_requests` table: single-use email sign-in tokens.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, TransactionTrait,
};
use validator::Validate;

use crate::entity::verification_requests;
use crate::error::{Conflict, Error, on_write};
use crate::sessions::PURGE_BATCH;
use crate::token::{self, Secret};
use crate::users::normalize_email;
use crate::{Ctx, backend};

/// A verification request as stored. The stored token is a hash and is
/// deliberately not exposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationRequest {
    pub id: i32,
    /// Who the link was sent to, normalised like an email.
    pub identifier: String,
    pub expires: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<verification_requests::Model> for VerificationRequest {
    fn from(row: verification_requests::Model) -> Self {
        VerificationRequest {
            id: row.id,
            identifier: row.identifier,
            expires: row.expires.to_utc(),
            created_at: row.created_at.to_utc(),
            updated_at: row.updated_at.to_utc(),
        }
    }
}

/// The identifier rule, shared by `create` and `consume`.
#[derive(Validate)]
struct Identifier {
    /// 1 to 255 characters after normalisation.
    #[validate(length(min = 1, max = 255))]
    identifier: String,
}

fn identifier(raw: &str) -> Result<String, Error> {
    let checked = Identifier {
        identifier: normalize_email(raw),
    };
    checked.validate()?;
    Ok(checked.identifier)
}

/// The `verification_requests` table. Get one from
/// [`crate::AuthStore::verification`].
pub struct Verification<'a, C> {
    pub(crate) ctx: Ctx<'a, C>,
}

impl<C: ConnectionTrait + TransactionTrait> Verification<'_, C> {
    /// Creates a request for `identifier` (an email address, normalised) and
    /// returns it with the plain token for the link. Only the hex SHA-256 of
    /// `token + secret` is stored, so the token is never seen again.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// let (request, token) = store.verification().create("Ada@Example.com").await?;
    /// assert_eq!(request.identifier, "ada@example.com");
    /// assert_eq!(token.expose().len(), 64);
    /// # Ok(()) });
    /// ```
    pub async fn create(&self, identifier_: &str) -> Result<(VerificationRequest, Secret), Error> {
        let identifier = identifier(identifier_)?;
        let token = token::random_token();
        let now = self.ctx.now();
        let row = verification_requests::ActiveModel {
            identifier: Set(identifier),
            token: Set(token::verification_hash(
                token.expose(),
                self.ctx.config.secret(),
            )),
            expires: Set(now + self.ctx.config.verification_max_age_value()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let request = row
            .insert(self.ctx.db)
            .await
            .map_err(on_write(Conflict::Token))?
            .into();
        Ok((request, token))
    }

    /// Uses up the request matching `identifier` and `token`, atomically:
    /// the row is deleted in the same statement that finds it, so of any
    /// number of concurrent calls at most one gets `Some`. A matching but
    /// expired request is deleted too, and gives `None`.
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
        identifier_: &str,
        token: &str,
    ) -> Result<Option<VerificationRequest>, Error> {
        let identifier = identifier(identifier_)?;
        let hash = token::verification_hash(token, self.ctx.config.secret());
        let matching = Condition::all()
            .add(verification_requests::Column::Identifier.eq(identifier))
            .add(verification_requests::Column::Token.eq(hash));
        let taken =
            backend::take_one::<verification_requests::Entity, _>(self.ctx.db, matching).await?;
        let now = self.ctx.now();
        Ok(taken
            .map(VerificationRequest::from)
            .filter(|request| request.expires > now))
    }

    /// Deletes expired requests in batches of [`PURGE_BATCH`]. Returns how many.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert_eq!(store.verification().purge_expired().await?, 0);
    /// # Ok(()) });
    /// ```
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        let expired =
            Condition::all().add(verification_requests::Column::Expires.lte(self.ctx.now()));
        let table = verification_requests::Entity;
        Ok(backend::delete_in_batches(
            self.ctx.db,
            table,
            verification_requests::Column::Id,
            expired,
            PURGE_BATCH,
        )
        .await?)
    }
}
