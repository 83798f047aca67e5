//! The one session lifecycle, under every store: look a token up (the
//! cache, then a replica, then the primary), let the profile's expiry rule
//! decide, write the renewal or the deletion, record the change for the
//! cache and the replicas, and revoke one session or all of a user's so
//! that a failover cannot bring them back.
//!
//! What differs per profile family is only its rows, its expiry rule and
//! what a plausible token looks like: [`SessionRows`], implemented once in
//! each family's folder. The stores' public methods (`validate_session`,
//! `get_session_and_user`, `invalidate_session`, `revoke_session`, …) keep
//! the names of their JS systems and call into [`Lifecycle`].

use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use crate::cache::{self, Cached, Change};
use crate::core::CoreRef;
use crate::replicas::read_session;
use crate::rules::error::Error;
use crate::rules::expiry::{Decision, ExpiryPolicy};
use crate::rules::text;

/// The expiry a family's rule keeps for one session.
pub(crate) type ExpiryOf<R> = <<R as SessionRows>::Policy as ExpiryPolicy>::Expiry;

/// The user id of a family's sessions.
pub(crate) type UserIdOf<R> = <<R as SessionRows>::Valid as Cached>::UserId;

/// One profile family's session rows: how they are found, renewed and
/// deleted, the family's expiry rule, and its token rules. Tokens reach
/// these methods in their stored form ([`SessionRows::stored`]).
pub(crate) trait SessionRows: Sync {
    /// A live session with its user, as lookups return it and the cache
    /// keeps it.
    type Valid: Cached;
    /// A session row as one lookup reads it, with its user.
    type Row: Send;
    /// The family's expiry rule.
    type Policy: ExpiryPolicy<Expiry: Send + Sync>;

    /// The rule that decides each lookup.
    fn policy(&self) -> &Self::Policy;

    /// Whether `token` could name a session: anything else is answered
    /// without a query.
    fn plausible(&self, token: &str) -> bool {
        text::plausible_token(token)
    }

    /// The token as the sessions table keeps it (the token itself unless
    /// the family stores a hash).
    fn stored(&self, token: &str) -> String {
        token.to_owned()
    }

    /// What a row keeps of its expiry.
    fn row_expiry(row: &Self::Row) -> &ExpiryOf<Self>;

    /// What a valid session keeps of its expiry (for cache hits).
    fn valid_expiry(valid: &Self::Valid) -> ExpiryOf<Self>;

    /// Whose session a row is.
    fn user_of(row: &Self::Row) -> &UserIdOf<Self>;

    /// Whether the row's user still exists (a family whose lookup joins
    /// the users table never reads an orphan).
    fn has_user(row: &Self::Row) -> bool {
        let _ = row;
        true
    }

    /// The session `stored` names, with its user.
    fn find<C: ConnectionTrait>(
        &self,
        db: &C,
        stored: &str,
    ) -> impl Future<Output = Result<Option<Self::Row>, DbErr>> + Send;

    /// The valid session of a live row; `None` if its user is gone.
    fn live(&self, row: Self::Row, token: &str) -> Option<Self::Valid>;

    /// Writes the renewal the rule decided (`to`) and gives the renewed
    /// session; `None` if the row was gone by then.
    fn renew<C: ConnectionTrait>(
        &self,
        db: &C,
        row: Self::Row,
        token: &str,
        to: ExpiryOf<Self>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Self::Valid>, Error>> + Send;

    /// Deletes the session `stored` names; how many rows went.
    fn delete<C: ConnectionTrait>(
        &self,
        db: &C,
        stored: &str,
    ) -> impl Future<Output = Result<u64, DbErr>> + Send;

    /// Deletes an expired row read at `now`, where the family's system
    /// does, and only if it is still expired then (a renewal by another
    /// process keeps it).
    fn delete_expired<C: ConnectionTrait>(
        &self,
        db: &C,
        row: &Self::Row,
        stored: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), DbErr>> + Send;

    /// Deletes every session of a user; how many.
    fn delete_user_sessions<C: ConnectionTrait>(
        &self,
        db: &C,
        user: &UserIdOf<Self>,
    ) -> impl Future<Output = Result<u64, DbErr>> + Send;
}

/// The lifecycle of one call: a store's core on its connection, the
/// family's rows, and the instant the call happens at (as the family's
/// columns keep it).
pub(crate) struct Lifecycle<'a, C, R: SessionRows> {
    pub(crate) core: CoreRef<'a, C, R::Valid>,
    pub(crate) rows: R,
    pub(crate) now: DateTime<Utc>,
}

impl<C: ConnectionTrait + TransactionTrait, R: SessionRows> Lifecycle<'_, C, R> {
    /// The live session `token` names and its user, renewed if the rule
    /// says so; an expired one (or an orphan) is deleted and `None`. Served
    /// from the cache while a hit is live; otherwise from a replica that
    /// cannot be behind on it, or the primary.
    pub(crate) async fn validate(&self, token: &str) -> Result<Option<R::Valid>, Error> {
        if !self.rows.plausible(token) {
            return Ok(None);
        }
        // Computed once (a hash, under hashed storage): the cache key and
        // the query both use it.
        let stored = self.rows.stored(token);
        cache::through(
            self.core.cache_for_reads(),
            &stored,
            token,
            |hit| matches!(self.decide(&R::valid_expiry(hit)), Decision::Live),
            async || self.look_up(token, &stored).await,
        )
        .await
    }

    fn decide(&self, expiry: &ExpiryOf<R>) -> Decision<ExpiryOf<R>> {
        self.rows.policy().decide(self.now, expiry)
    }

    /// The lookup itself, in the database.
    async fn look_up(&self, token: &str, stored: &str) -> Result<Option<R::Valid>, Error> {
        let found = read_session(
            self.core.replicas_for_reads(),
            stored,
            async |replica| self.rows.find(replica, stored).await,
            async || self.rows.find(self.core.db, stored).await,
            R::user_of,
            |row| R::has_user(row) && matches!(self.decide(R::row_expiry(row)), Decision::Live),
        )
        .await?;
        let Some(row) = found else {
            return Ok(None);
        };
        if !R::has_user(&row) {
            let deleted = self.rows.delete(self.core.db, stored).await;
            self.core.changed(Change::Session(stored));
            deleted?;
            return Ok(None);
        }
        match self.decide(R::row_expiry(&row)) {
            Decision::Live => Ok(self.rows.live(row, token)),
            Decision::Expired => {
                let deleted = self
                    .rows
                    .delete_expired(self.core.db, &row, stored, self.now)
                    .await;
                self.core.changed(Change::Session(stored));
                deleted?;
                Ok(None)
            }
            Decision::Renew(to) => {
                let renewed = self
                    .rows
                    .renew(self.core.db, row, token, to, self.now)
                    .await;
                self.core.changed(Change::Session(stored));
                renewed
            }
        }
    }

    /// Ends the session `token` names; whether there was one.
    pub(crate) async fn revoke(&self, token: &str) -> Result<bool, Error> {
        if !self.rows.plausible(token) {
            return Ok(false);
        }
        let stored = self.rows.stored(token);
        let db = self.core.revocation().await?;
        let deleted = self.rows.delete(&db, &stored).await;
        let deleted = db.finish(deleted).await;
        self.core.changed(Change::Session(&stored));
        Ok(deleted? > 0)
    }

    /// Ends every session of `user`; how many.
    pub(crate) async fn revoke_user(&self, user: &UserIdOf<R>) -> Result<u64, Error> {
        let db = self.core.revocation().await?;
        let deleted = self.rows.delete_user_sessions(&db, user).await;
        let deleted = db.finish(deleted).await;
        self.core.changed(Change::User(user.clone()));
        Ok(deleted?)
    }
}
