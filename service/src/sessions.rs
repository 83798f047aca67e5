//! The `sessions` table: creation, the per-request lookup with next-auth v3's
//! sliding renewal, sign-out, and purging.

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend,
    EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    RelationTrait, Statement, TransactionTrait,
};

use crate::backend::BuiltOnce;
use crate::entity::{sessions, users};
use crate::rules::error::{Conflict, Error, on_write};
use crate::rules::expiry::{Decision, ExpiryPolicy};
use crate::rules::text;
use crate::rules::token::{self, Secret};
use crate::users::User;
use crate::{Ctx, backend};

/// Rows deleted per statement by the `purge_expired` methods.
pub const PURGE_BATCH: u64 = 1000;

/// A session. Both tokens are [`Secret`]s, so `Debug` never prints them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: i32,
    pub user_id: i32,
    pub expires: DateTime<Utc>,
    /// The value of the session cookie. With [`crate::TokenStorage::Hashed`],
    /// sessions from `list` hold its hash here instead.
    pub session_token: Secret,
    /// next-auth v3's second per-session token, kept for compatibility.
    /// With [`crate::TokenStorage::Hashed`], sessions read back from the
    /// table (`list`, lookups) hold its hash here, not the token.
    pub access_token: Secret,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<sessions::Model> for Session {
    fn from(row: sessions::Model) -> Self {
        Session {
            id: row.id,
            user_id: row.user_id,
            expires: row.expires.to_utc(),
            session_token: Secret::from(row.session_token),
            access_token: Secret::from(row.access_token),
            created_at: row.created_at.to_utc(),
            updated_at: row.updated_at.to_utc(),
        }
    }
}

/// What [`Sessions::get_session_and_user`] finds for a valid token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionAndUser {
    pub session: Session,
    pub user: User,
    /// This read pushed the expiry forward (its write changed the row):
    /// refresh the cookie.
    pub renewed: bool,
}

/// The `sessions` table. Get one from [`crate::AuthStore::sessions`].
pub struct Sessions<'a, C> {
    pub(crate) ctx: Ctx<'a, C>,
}

impl<C: ConnectionTrait + TransactionTrait> Sessions<'_, C> {
    /// Starts a session for a user: a fresh `session_token` and
    /// `access_token` (32 bytes from the OS RNG each, as lowercase hex) and
    /// `expires` = now + `session_max_age`. [`Error::UnknownUser`] if the
    /// user does not exist.
    ///
    /// With [`crate::TokenStorage::Hashed`] the table gets the tokens'
    /// hashes; the returned `Session` carries the tokens themselves, and
    /// this is the only time the `access_token` is seen.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// let session = store.sessions().create(user.id).await?;
    /// assert_eq!(session.session_token.expose().len(), 64);
    /// # Ok(()) });
    /// ```
    pub async fn create(&self, user_id: i32) -> Result<Session, Error> {
        let now = self.ctx.now();
        let expires = self.starting_at(now)?;
        let (session_token, access_token) = (token::random_token(), token::random_token());
        let row = sessions::ActiveModel {
            user_id: Set(user_id),
            expires: Set(expires),
            session_token: Set(self.stored(session_token.expose())),
            access_token: Set(self.stored(access_token.expose())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let mut session: Session = row
            .insert(self.ctx.db)
            .await
            .map_err(on_write(Conflict::Token))?
            .into();
        (session.session_token, session.access_token) = (session_token, access_token);
        tracing::debug!(user_id, session_id = session.id, "created session");
        Ok(session)
    }

    /// The session for a cookie's token and its user, or `None`: the call on
    /// every authenticated request.
    ///
    /// - One `SELECT … JOIN users` finds both.
    /// - An expired session is deleted (as next-auth v3 does) and not returned.
    /// - Sliding renewal, next-auth v3's rule: once
    ///   `expires - session_max_age + session_update_age` has passed, the
    ///   expiry moves to now + `session_max_age` and `renewed` is true.
    ///   Otherwise nothing is written.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// let session = store.sessions().create(user.id).await?;
    /// let found = store.sessions().get_session_and_user(session.session_token.expose()).await?.unwrap();
    /// assert_eq!(found.user.id, user.id);
    /// assert!(!found.renewed);
    /// assert!(store.sessions().get_session_and_user("not-a-token").await?.is_none());
    /// # Ok(()) });
    /// ```
    pub async fn get_session_and_user(
        &self,
        session_token: &str,
    ) -> Result<Option<SessionAndUser>, Error> {
        if !text::plausible_token(session_token) {
            return Ok(None);
        }
        let backend = self.ctx.db.get_database_backend();
        let lookup = Statement::from_sql_and_values(
            backend,
            lookup_sql(backend),
            [self.stored(session_token).into()],
        );
        let Some(found) = self.ctx.db.query_one_raw(lookup).await? else {
            return Ok(None);
        };
        let user = User::from(users::Model::from_query_result(&found, "B_")?);
        let mut session = Session::from(sessions::Model::from_query_result(&found, "A_")?);
        session.session_token = Secret::from(session_token);
        let now = self.ctx.now();
        let mut renewed = false;
        match self
            .ctx
            .config
            .session_expiry()
            .decide(now.to_utc(), &session.expires)
        {
            Decision::Live => {}
            Decision::Expired => {
                sessions::Entity::delete_by_id(session.id)
                    .exec(self.ctx.db)
                    .await?;
                return Ok(None);
            }
            Decision::Renew(expires) => {
                // If a concurrent read renewed it first, the row already holds
                // (about) this expiry; report `renewed` only for our own write.
                renewed = self.extend(session.id, now, expires).await?;
                session.expires = expires;
                session.updated_at = now.to_utc();
            }
        }
        Ok(Some(SessionAndUser {
            session,
            user,
            renewed,
        }))
    }

    /// Extends a live session to now + `session_max_age` whatever its age:
    /// one `UPDATE … RETURNING` (on MySQL an update and a read).
    /// [`Error::NotFound`] if the token names no live session.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// let session = store.sessions().create(user.id).await?;
    /// let renewed = store.sessions().renew(session.session_token.expose()).await?;
    /// assert!(renewed.expires >= session.expires);
    /// # Ok(()) });
    /// ```
    pub async fn renew(&self, session_token: &str) -> Result<Session, Error> {
        if !text::plausible_token(session_token) {
            return Err(Error::NotFound);
        }
        let now = self.ctx.now();
        let expires = self.starting_at(now)?;
        let live = Condition::all()
            .add(sessions::Column::SessionToken.eq(self.stored(session_token)))
            .add(sessions::Column::Expires.gt(now));
        let update = sessions::Entity::update_many()
            .col_expr(sessions::Column::Expires, Expr::value(expires))
            .col_expr(sessions::Column::UpdatedAt, Expr::value(now))
            .filter(live.clone())
            .filter(sessions::Column::Expires.lt(expires)); // never backwards
        let row = match backend::update_one(self.ctx.db, update, live.clone()).await? {
            Some(row) => row,
            // Nothing updated: no live session, or one a concurrent renewal
            // already moved at least this far. Only the first is an error.
            None => sessions::Entity::find()
                .filter(live)
                .one(self.ctx.db)
                .await?
                .ok_or(Error::NotFound)?,
        };
        let mut session = Session::from(row);
        session.session_token = Secret::from(session_token);
        Ok(session)
    }

    /// Moves a session's expiry to `expires`, never backwards: of
    /// concurrent renewals only those that push it later write, so reads
    /// that raced one renewal cost a no-op statement, not a second write.
    /// Returns whether this call changed the row.
    async fn extend(
        &self,
        id: i32,
        now: DateTime<FixedOffset>,
        expires: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let expires = self.storable(expires)?;
        let updated = sessions::Entity::update_many()
            .col_expr(sessions::Column::Expires, Expr::value(expires))
            .col_expr(sessions::Column::UpdatedAt, Expr::value(now))
            .filter(sessions::Column::Id.eq(id))
            .filter(sessions::Column::Expires.lt(expires))
            .exec(self.ctx.db)
            .await?;
        Ok(updated.rows_affected > 0)
    }

    /// Ends one session (sign-out). Returns whether it existed.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert!(!store.sessions().delete("no-such-token").await?);
    /// # Ok(()) });
    /// ```
    pub async fn delete(&self, session_token: &str) -> Result<bool, Error> {
        if !text::plausible_token(session_token) {
            return Ok(false);
        }
        let deleted = sessions::Entity::delete_many()
            .filter(sessions::Column::SessionToken.eq(self.stored(session_token)))
            .exec(self.ctx.db)
            .await?;
        Ok(deleted.rows_affected > 0)
    }

    /// Ends one of a user's sessions by its id, as a "revoke this device"
    /// button does. Only that user's session matches, so one user can never
    /// end another's. [`Error::NotFound`] if there is no such session.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// let phone = store.sessions().create(user.id).await?;
    /// store.sessions().revoke(user.id, phone.id).await?;
    /// assert!(matches!(store.sessions().revoke(user.id, phone.id).await, Err(authstore::Error::NotFound)));
    /// # Ok(()) });
    /// ```
    pub async fn revoke(&self, user_id: i32, session_id: i32) -> Result<(), Error> {
        let deleted = sessions::Entity::delete_many()
            .filter(sessions::Column::Id.eq(session_id))
            .filter(sessions::Column::UserId.eq(user_id))
            .exec(self.ctx.db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Ends every session of a user ("sign out everywhere"). Returns how many.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// store.sessions().create(user.id).await?;
    /// store.sessions().create(user.id).await?;
    /// assert_eq!(store.sessions().delete_all(user.id).await?, 2);
    /// # Ok(()) });
    /// ```
    pub async fn delete_all(&self, user_id: i32) -> Result<u64, Error> {
        let deleted = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user_id))
            .exec(self.ctx.db)
            .await?;
        Ok(deleted.rows_affected)
    }

    /// A user's live sessions, newest first.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # let user = store.users().create(authstore::NewUser::default()).await?;
    /// store.sessions().create(user.id).await?;
    /// assert_eq!(store.sessions().list(user.id).await?.len(), 1);
    /// # Ok(()) });
    /// ```
    pub async fn list(&self, user_id: i32) -> Result<Vec<Session>, Error> {
        let rows = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user_id))
            .filter(sessions::Column::Expires.gt(self.ctx.now()))
            .order_by_desc(sessions::Column::Id)
            .all(self.ctx.db)
            .await?;
        Ok(rows.into_iter().map(Session::from).collect())
    }

    /// Deletes expired sessions in batches of [`PURGE_BATCH`] rows, so no
    /// statement locks the whole table. Returns how many were deleted.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert_eq!(store.sessions().purge_expired().await?, 0);
    /// # Ok(()) });
    /// ```
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        let expired = Condition::all().add(sessions::Column::Expires.lte(self.ctx.now()));
        let table = sessions::Entity;
        Ok(backend::delete_in_batches(
            self.ctx.db,
            table,
            sessions::Column::Id,
            expired,
            PURGE_BATCH,
        )
        .await?)
    }
}

/// The SQL of the per-request lookup: sessions `A_*` and users `B_*` columns,
/// joined, for one `session_token` (`$1`). No `LIMIT`: the token is unique.
fn lookup_sql(backend: DbBackend) -> String {
    static LOOKUP: BuiltOnce = BuiltOnce::new();
    LOOKUP.sql(backend, || {
        sessions::Entity::find()
            .select_also(users::Entity)
            .join(JoinType::InnerJoin, sessions::Relation::Users.def())
            .filter(sessions::Column::SessionToken.eq(""))
            .build(backend)
            .sql
    })
}

impl<C: ConnectionTrait> Sessions<'_, C> {
    /// The expiry of a session created or renewed at `now`.
    fn starting_at(&self, now: DateTime<FixedOffset>) -> Result<DateTime<FixedOffset>, Error> {
        self.storable(self.ctx.config.session_expiry().starting_at(now.to_utc()))
    }

    /// `expires` as the column takes it, if the backend can store that time.
    fn storable(&self, expires: DateTime<Utc>) -> Result<DateTime<FixedOffset>, Error> {
        let backend = self.ctx.db.get_database_backend();
        backend::check_time(backend, "expires", Some(expires))?;
        Ok(expires.fixed_offset())
    }

    /// The column value for a client's token under the configured storage.
    fn stored(&self, token: &str) -> String {
        self.ctx.config.session_token_storage().stored_form(token)
    }
}
