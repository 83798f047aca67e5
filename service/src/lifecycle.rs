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
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, TransactionTrait};

use crate::backend::{self, PURGE_BATCH};
use crate::cache::{self, Cached, Change};
use crate::core::CoreRef;
use crate::rules::error::Error;
use crate::rules::expiry::{Decision, ExpiryPolicy};
use crate::rules::text;

/// The expiry a family's rule keeps for one session.
pub(crate) type ExpiryOf<R> = <<R as SessionRows>::Policy as ExpiryPolicy>::Expiry;

/// The user id of a family's sessions.
pub(crate) type UserIdOf<R> = <<R as SessionRows>::Valid as Cached>::UserId;

/// Where a family keeps its sessions: the table, the column its tokens
/// (in their stored form) are looked up by, and the user column. What the
/// lifecycle deletes by.
pub(crate) struct SessionsTable {
    pub(crate) table: &'static str,
    /// The column that tells rows apart, for batched deletes: `id`, or the
    /// token where the rows have no id (Drizzle's Auth.js sessions).
    pub(crate) key: &'static str,
    pub(crate) token: &'static str,
    pub(crate) user: &'static str,
    /// Whether the family's system compares tokens and user ids byte for
    /// byte whatever the column's collation (better-auth's rows do; the
    /// others compare as the column does, as their JS systems' deletes do).
    pub(crate) byte_exact: bool,
}

impl SessionsTable {
    /// Deletes the session whose stored token is `stored`; how many rows.
    pub(crate) async fn delete(
        &self,
        db: &impl ConnectionTrait,
        stored: &str,
    ) -> Result<u64, DbErr> {
        let by_token = self.by_token(db.get_database_backend(), stored);
        backend::delete_where(db, self.table, by_token).await
    }

    /// Deletes every session of `user`; how many.
    pub(crate) async fn delete_user(
        &self,
        db: &impl ConnectionTrait,
        user: &impl UserKey,
    ) -> Result<u64, DbErr> {
        let by_user = user.equals(db.get_database_backend(), self.column(self.user));
        backend::delete_where(db, self.table, by_user).await
    }

    fn by_token(&self, backend: DbBackend, stored: &str) -> Condition {
        self.column(self.token).equals(backend, stored)
    }

    fn column(&self, name: &'static str) -> Column {
        Column {
            name: (self.table, name),
            byte_exact: self.byte_exact,
        }
    }
}

/// A column as a family compares it.
pub(crate) struct Column {
    name: (&'static str, &'static str),
    byte_exact: bool,
}

impl Column {
    /// `column = value`, byte for byte where the family compares so.
    fn equals(&self, backend: DbBackend, value: &str) -> Condition {
        match self.byte_exact {
            true => backend::exact_eq(backend, self.name, value),
            false => Condition::all().add(Expr::col(self.name.1).eq(value)),
        }
    }
}

/// A family's user id, as revocations match it.
pub(crate) trait UserKey: Clone {
    /// Whether it could name a user: anything else matches no row, and is
    /// answered without a query.
    fn plausible(&self) -> bool;

    /// `column = self`, as the family compares ids.
    fn equals(&self, backend: DbBackend, column: Column) -> Condition;
}

/// An app's text id (Lucia, better-auth).
impl UserKey for String {
    fn plausible(&self) -> bool {
        text::app_id(self).is_ok()
    }

    fn equals(&self, backend: DbBackend, column: Column) -> Condition {
        column.equals(backend, self)
    }
}

/// next-auth's serial id.
impl UserKey for i32 {
    fn plausible(&self) -> bool {
        true
    }

    fn equals(&self, _: DbBackend, column: Column) -> Condition {
        Condition::all().add(Expr::col(column.name.1).eq(*self))
    }
}

/// One profile family's session rows: how they are found and renewed,
/// which rows its expiry rule calls expired, the rule itself, and its token
/// rules. Tokens reach these methods in their stored form
/// ([`SessionRows::stored`]).
pub(crate) trait SessionRows: Sync {
    /// A live session with its user, as lookups return it and the cache
    /// keeps it.
    type Valid: Cached<UserId: UserKey>;
    /// A session row as one lookup reads it, with its user.
    type Row: Send;
    /// The family's expiry rule.
    type Policy: ExpiryPolicy<Expiry: Send + Sync>;

    /// Where the family keeps its sessions.
    const SESSIONS: SessionsTable;

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

    /// The sessions over at `now` by the family's rule, as the database
    /// compares its own rows: what a read of an expired session deletes
    /// (only if its row here is over too, so a row read on a replica never
    /// ends a session renewed since) and what a purge deletes.
    fn expired<C: ConnectionTrait>(&self, db: &C, now: DateTime<Utc>) -> Condition;

    /// Whether reading an expired session deletes it (next-auth 2.0 beta
    /// keeps the row, for the purge).
    fn deletes_expired_on_read(&self) -> bool {
        true
    }
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
        let on_primary = async || self.rows.find(self.core.db, stored).await;
        let found = match self.core.replicas_for_reads() {
            Some(replicas) => {
                replicas
                    .read(
                        stored,
                        async |replica| self.rows.find(replica, stored).await,
                        on_primary,
                        R::user_of,
                        |row| {
                            R::has_user(row)
                                && matches!(self.decide(R::row_expiry(row)), Decision::Live)
                        },
                    )
                    .await?
            }
            None => on_primary().await?,
        };
        let Some(row) = found else {
            return Ok(None);
        };
        if !R::has_user(&row) {
            let deleted = R::SESSIONS.delete(self.core.db, stored).await;
            self.core.changed(Change::Session(stored));
            deleted?;
            return Ok(None);
        }
        match self.decide(R::row_expiry(&row)) {
            Decision::Live => Ok(self.rows.live(row, token)),
            Decision::Expired => {
                if self.rows.deletes_expired_on_read() {
                    let deleted = self.delete_expired(stored).await;
                    self.core.changed(Change::Session(stored));
                    deleted?;
                }
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

    /// Deletes the session `stored` names if its row here is over.
    async fn delete_expired(&self, stored: &str) -> Result<u64, DbErr> {
        let backend = self.core.db.get_database_backend();
        let expired = R::SESSIONS
            .by_token(backend, stored)
            .add(self.rows.expired(self.core.db, self.now));
        backend::delete_where(self.core.db, R::SESSIONS.table, expired).await
    }

    /// Ends the session `token` names; whether there was one.
    pub(crate) async fn revoke(&self, token: &str) -> Result<bool, Error> {
        if !self.rows.plausible(token) {
            return Ok(false);
        }
        let stored = self.rows.stored(token);
        let db = self.core.revocation().await?;
        let deleted = R::SESSIONS.delete(&db, &stored).await;
        let deleted = db.finish(deleted).await;
        self.core.changed(Change::Session(&stored));
        Ok(deleted? > 0)
    }

    /// Ends every session of `user`; how many.
    pub(crate) async fn revoke_user(&self, user: &UserIdOf<R>) -> Result<u64, Error> {
        if !user.plausible() {
            return Ok(0);
        }
        let db = self.core.revocation().await?;
        let deleted = R::SESSIONS.delete_user(&db, user).await;
        let deleted = db.finish(deleted).await;
        self.core.changed(Change::User(user.clone()));
        Ok(deleted?)
    }

    /// Begins deleting `user` with what hangs off them: a transaction that
    /// a synchronous standby applies before it commits, in which the user's
    /// sessions are deleted first. [`Error::NotFound`] for an id that cannot
    /// be one. End it with [`CoreRef::finish_user_deletion`].
    pub(crate) async fn begin_user_deletion(
        &self,
        user: &UserIdOf<R>,
    ) -> Result<C::Transaction, Error> {
        if !user.plausible() {
            return Err(Error::NotFound);
        }
        let txn = self.core.begin_user_deletion().await?;
        R::SESSIONS.delete_user(&txn, user).await?;
        Ok(txn)
    }

    /// Deletes every session over by now, in batches of [`PURGE_BATCH`]
    /// rows, so no statement locks the whole table; how many.
    pub(crate) async fn purge(&self) -> Result<u64, Error> {
        let expired = self.rows.expired(self.core.db, self.now);
        let SessionsTable { table, key, .. } = R::SESSIONS;
        Ok(backend::delete_in_batches(self.core.db, table, key, expired, PURGE_BATCH).await?)
    }
}
