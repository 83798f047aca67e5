//! Sessions with an active and an idle period. The periods' rule is
//! [`ActiveIdleExpiry`] in the shared rules layer; this module carries out
//! its decisions.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use super::storage::{self, Storage};
use super::{LuciaV1Store, User};
use sea_orm::sea_query::Condition;

use crate::lifecycle::{SessionRows, SessionsTable};
use crate::rules::error::{Conflict, Error, on_write};
use crate::rules::expiry::{ActiveIdleExpiry, ActiveIdlePeriods, Decision, ExpiryPolicy};
use crate::rules::text;
use crate::rules::token::{self, Secret};

/// Where a live session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Within its active period: served as is.
    Active,
    /// Past its active period, within its idle period: validating it makes
    /// a new session.
    Idle,
}

/// A Lucia v1 session. Its id is the cookie value, a [`Secret`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The session id: the `auth_session` cookie's value.
    pub id: Secret,
    /// The user the session belongs to.
    pub user_id: String,
    /// Active up to and including this instant.
    pub active_expires: DateTime<Utc>,
    /// Idle after `active_expires` up to and including this one; dead after.
    pub idle_expires: DateTime<Utc>,
    /// Active or idle, as of the call that returned it.
    pub state: SessionState,
    /// Made by this call (created, or replacing an idle one): set the cookie.
    pub fresh: bool,
}

crate::cache::valid_session!(
    /// What [`LuciaV1Store::validate_session`] finds for a live session (a
    /// new session, `fresh`, if an idle one was replaced).
    ValidSession { session: Session, user: User },
    token: id,
    fresh_replaces: true
);

impl Session {
    /// The periods the row keeps.
    fn periods(&self) -> ActiveIdlePeriods {
        ActiveIdlePeriods {
            active_until: self.active_expires,
            idle_until: self.idle_expires,
        }
    }

    /// A session read back from its row.
    pub(super) fn stored(
        id: Secret,
        user_id: String,
        periods: &ActiveIdlePeriods,
        state: SessionState,
    ) -> Session {
        Session {
            id,
            user_id,
            active_expires: periods.active_until,
            idle_expires: periods.idle_until,
            state,
            fresh: false,
        }
    }
}

impl<Db: ConnectionTrait + TransactionTrait> LuciaV1Store<Db> {
    /// What a session with these periods is at `now`; `None`: dead.
    fn state(&self, now: DateTime<Utc>) -> impl Fn(&ActiveIdlePeriods) -> Option<SessionState> {
        let expiry = self.config.expiry;
        move |periods| match expiry.decide(now, periods) {
            Decision::Live => Some(SessionState::Active),
            Decision::Renew(_) => Some(SessionState::Idle),
            Decision::Expired => None,
        }
    }

    /// Starts a session for a user: a new id, active from now; then the
    /// user's dead sessions are deleted, as lucia-auth v1 does.
    /// [`Error::UnknownUser`] if the user does not exist.
    pub async fn create_session(&self, user_id: &str) -> Result<Session, Error> {
        if text::app_id(user_id).is_err() {
            return Err(Error::UnknownUser);
        }
        let now = self.now();
        start_session(
            &self.core.db,
            user_id,
            self.config.expiry.starting_at(now),
            now,
        )
        .await
    }

    /// The session for a cookie's id and its user, or `None`: lucia-auth
    /// v1's `validateSessionUser`. One `SELECT … LEFT JOIN` for an active
    /// session. An idle one is replaced: a new session is created (returned
    /// with `fresh`; the old row stays until it dies) and the user's dead
    /// sessions are deleted. A dead session, or one whose user is gone, is
    /// deleted.
    pub async fn validate_session(&self, id: &str) -> Result<Option<ValidSession>, Error> {
        self.sessions().validate(id).await
    }

    /// The session as stored, active or idle, without renewing it
    /// (lucia-auth v1's `getSession`); a dead one is deleted and `None`.
    pub async fn get_session(&self, id: &str) -> Result<Option<Session>, Error> {
        if !token::plausible_lucia_v1_session_id(id) {
            return Ok(None);
        }
        let storage = self.storage();
        let Some((periods, user_id, _)) = storage.session_and_user(id).await? else {
            return Ok(None);
        };
        let Some(state) = self.state(self.now())(&periods) else {
            Rows::SESSIONS.delete(&self.core.db, id).await?;
            return Ok(None);
        };
        Ok(Some(Session::stored(
            Secret::from(id),
            user_id,
            &periods,
            state,
        )))
    }

    /// Ends one session (lucia-auth v1's `invalidateSession`). Returns whether it
    /// existed.
    pub async fn invalidate_session(&self, id: &str) -> Result<bool, Error> {
        self.sessions().revoke(id).await
    }

    /// Ends every session of a user (lucia-auth v1's `invalidateUserSessions`).
    /// Returns how many.
    pub async fn invalidate_user_sessions(&self, user_id: &str) -> Result<u64, Error> {
        self.sessions().revoke_user(&user_id.to_owned()).await
    }

    /// A user's live sessions, active and idle, the latest to die first;
    /// their dead ones are deleted (lucia-auth v1's `getAllUserSessions`).
    pub async fn user_sessions(&self, user_id: &str) -> Result<Vec<Session>, Error> {
        if text::app_id(user_id).is_err() {
            return Ok(Vec::new());
        }
        let now = self.now();
        let storage = self.storage();
        storage.delete_dead_user_sessions(user_id, now).await?;
        Ok(storage.user_sessions(user_id, self.state(now)).await?)
    }

    /// Deletes dead sessions, of every user, in batches of [`PURGE_BATCH`](crate::PURGE_BATCH).
    /// Returns how many.
    pub async fn delete_dead_sessions(&self) -> Result<u64, Error> {
        self.sessions().purge().await
    }
}

/// Starts a session for `user_id` with `periods`: a new id; then the
/// user's dead sessions are deleted, as lucia-auth v1 does. Creating one
/// and replacing an idle one are the same step.
async fn start_session<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    periods: ActiveIdlePeriods,
    now: DateTime<Utc>,
) -> Result<Session, Error> {
    let id = token::lucia_v1_session_id();
    let storage = Storage { db };
    storage
        .insert_session(id.expose(), user_id, &periods)
        .await
        .map_err(on_write(Conflict::Token))?;
    storage.delete_dead_user_sessions(user_id, now).await?;
    Ok(Session {
        id,
        user_id: user_id.to_owned(),
        active_expires: periods.active_until,
        idle_expires: periods.idle_until,
        state: SessionState::Active,
        fresh: true,
    })
}

/// lucia-auth v1's session rows, as the lifecycle sees them: the periods,
/// whose session it is, and the user if they still exist. Renewing an idle
/// session replaces it with a new one.
pub(super) struct Rows {
    pub(super) expiry: ActiveIdleExpiry,
}

type Row = (ActiveIdlePeriods, String, Option<User>);

impl SessionRows for Rows {
    type Valid = ValidSession;
    type Row = Row;
    type Policy = ActiveIdleExpiry;

    const SESSIONS: SessionsTable = SessionsTable {
        key: "id",
        table: storage::SESSIONS,
        token: "id",
        user: "user_id",
        byte_exact: false,
    };

    fn policy(&self) -> &ActiveIdleExpiry {
        &self.expiry
    }

    fn plausible(&self, id: &str) -> bool {
        token::plausible_lucia_v1_session_id(id)
    }

    fn row_expiry((periods, _, _): &Row) -> &ActiveIdlePeriods {
        periods
    }

    fn valid_expiry(valid: &ValidSession) -> ActiveIdlePeriods {
        valid.session.periods()
    }

    fn user_of((_, user_id, _): &Row) -> &String {
        user_id
    }

    fn has_user((_, _, user): &Row) -> bool {
        user.is_some()
    }

    async fn find<C: ConnectionTrait>(&self, db: &C, id: &str) -> Result<Option<Row>, DbErr> {
        Storage { db }.session_and_user(id).await
    }

    fn live(&self, (periods, user_id, user): Row, id: &str) -> Option<ValidSession> {
        Some(ValidSession {
            session: Session::stored(Secret::from(id), user_id, &periods, SessionState::Active),
            user: user?,
        })
    }

    async fn renew<C: ConnectionTrait>(
        &self,
        db: &C,
        (_, user_id, user): Row,
        _: &str,
        periods: ActiveIdlePeriods,
        now: DateTime<Utc>,
    ) -> Result<Option<ValidSession>, Error> {
        let Some(user) = user else {
            return Ok(None);
        };
        let session = start_session(db, &user_id, periods, now).await?;
        Ok(Some(ValidSession { session, user }))
    }

    fn expired<C: ConnectionTrait>(&self, db: &C, now: DateTime<Utc>) -> Condition {
        Storage { db }.dead(now)
    }
}
