//! The sign-in attempt limit: failed password sign-ins counted per key and
//! per client, in authstore's own table (`authstore_sign_in_attempt`, added
//! by the profile's migration; the JS app never reads it), so every process
//! sharing the database sees the same counts.
//!
//! An attempt reserves a row in each of its scopes before it checks a
//! password: under a lock on the scope, it counts the scope's rows in the
//! window (failures, and attempts still checking) and inserts its own only
//! if there is room, so at most `max` attempts per scope and window get as
//! far as checking a password, however many run at once. A refused attempt
//! writes nothing (a flood of refusals does not push the window forward), a
//! successful one deletes its client row and every row of its key (the
//! key's failures are forgiven, the client's are not: an attacker must not
//! clear their address's count by signing in to an account of their own),
//! and a failed one leaves its rows as the record of the failure.
//!
//! Every write to the table happens under the scope's lock
//! ([`backend::serialized`]), and MySQL's deadlocks between readers of
//! neighbouring scopes are run again (`backend::retrying_deadlocks!`).
//!
//! Scopes are stored as SHA-256 digests, so the table holds no address or
//! key id in the clear.

use authstore_entity::own_tables;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::extension::mysql::{IndexHintScope, MySqlSelectStatementExt};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LockType, Query};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use crate::backend;
use crate::rules::error::{ConfigError, Error};
use crate::rules::issuance::IssuanceLimit;
use crate::rules::token::sha256_hex;

/// authstore's own table of sign-in attempts (its name in every profile
/// that has password sign-in).
pub const ATTEMPTS_TABLE: &str = own_tables::SIGN_IN_ATTEMPTS;

/// The table's index on `(scope, attempted_at)`.
const ATTEMPTS_INDEX: &str = own_tables::SIGN_IN_ATTEMPTS_BY_SCOPE;

/// How many failed sign-ins are allowed before more are refused with
/// [`Error::SignInThrottled`], without checking the password.
///
/// The defaults: 10 failures per key and 100 per client address in any 15
/// minutes. Ten guesses per quarter hour is under a thousand a day for one
/// account; a client gets more, since many people can share one address
/// (an office behind NAT).
///
/// ```
/// use authstore::AttemptLimit;
/// use chrono::TimeDelta;
/// let strict = AttemptLimit::new(5, 50, TimeDelta::minutes(30))?;
/// assert_eq!(strict.per_key(), 5);
/// assert!(AttemptLimit::new(0, 50, TimeDelta::minutes(30)).is_err());
/// # Ok::<(), authstore::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptLimit {
    per_key: u32,
    per_client: u32,
    window: TimeDelta,
}

impl Default for AttemptLimit {
    fn default() -> Self {
        AttemptLimit {
            per_key: 10,
            per_client: 100,
            window: TimeDelta::minutes(15),
        }
    }
}

impl AttemptLimit {
    /// At most `per_key` failures for one key and `per_client` for one
    /// client address within any `window`. Each must be positive
    /// ([`ConfigError::NotPositive`] names the one that is not).
    pub fn new(per_key: u32, per_client: u32, window: TimeDelta) -> Result<Self, Error> {
        let positive = |name, n: u32| match n {
            0 => Err(ConfigError::NotPositive(name)),
            _ => Ok(n),
        };
        if window <= TimeDelta::zero() {
            return Err(ConfigError::NotPositive("window").into());
        }
        Ok(AttemptLimit {
            per_key: positive("per_key", per_key)?,
            per_client: positive("per_client", per_client)?,
            window,
        })
    }

    /// Failures allowed per key in a window.
    pub fn per_key(&self) -> u32 {
        self.per_key
    }

    /// Failures allowed per client address in a window.
    pub fn per_client(&self) -> u32 {
        self.per_client
    }

    /// The window.
    pub fn window(&self) -> TimeDelta {
        self.window
    }

    fn rule(&self, max: u32) -> IssuanceLimit {
        IssuanceLimit {
            max,
            window: self.window,
        }
    }
}

/// One scope's reservation: its digest and the row this attempt inserted.
struct Reserved {
    scope: String,
    row: i64,
}

/// An attempt that may go on to check the password. Finish it with
/// [`Attempt::succeeded`]; dropping it leaves it counted as a failure.
pub(crate) struct Attempt {
    key: Reserved,
    client: Option<Reserved>,
}

fn scope(kind: &str, value: &str) -> String {
    sha256_hex(&["authstore sign-in attempts\n", kind, "\n", value])
}

/// Reserves an attempt for `key` (and `client`, when the host names one)
/// at `now`, or refuses it with [`Error::SignInThrottled`] and writes
/// nothing.
pub(crate) async fn begin<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    limit: &AttemptLimit,
    now: DateTime<Utc>,
    key: &str,
    client: Option<&str>,
) -> Result<Attempt, Error> {
    let key = reserve(db, limit.rule(limit.per_key), now, scope("key", key)).await?;
    let client = match client {
        None => None,
        Some(client) => {
            let client_scope = scope("client", client);
            match reserve(db, limit.rule(limit.per_client), now, client_scope).await {
                Ok(reserved) => Some(reserved),
                Err(why) => {
                    release(db, &key).await;
                    return Err(why);
                }
            }
        }
    };
    Ok(Attempt { key, client })
}

impl Attempt {
    /// The password was right: the key's failures are forgiven, and this
    /// attempt's client row is removed (a success is no failure). Best
    /// effort: the sign-in has happened (a single-use key is used up), so a
    /// failure here is logged, never returned; the rows then count until
    /// they leave the window.
    pub(crate) async fn succeeded<C: ConnectionTrait + TransactionTrait>(self, db: &C) {
        let scope = &self.key.scope;
        let forgiven = backend::retrying_deadlocks!(backend::serialized(
            db,
            ATTEMPTS_TABLE,
            scope,
            async |txn| Ok(backend::delete_by(txn, ATTEMPTS_TABLE, "scope", scope).await?)
        ));
        if let Err(why) = forgiven {
            tracing::warn!(error = %why, "could not clear a key's failed sign-ins");
        }
        if let Some(client) = &self.client {
            release(db, client).await;
        }
    }

    /// The attempt ended before a password was checked against a stored
    /// hash for a reason that is no guess (a database failure): it does not
    /// count.
    pub(crate) async fn abandoned<C: ConnectionTrait + TransactionTrait>(self, db: &C) {
        release(db, &self.key).await;
        if let Some(client) = &self.client {
            release(db, client).await;
        }
    }
}

/// Under a lock on the scope, so that concurrent attempts queue: drops the
/// scope's rows that left the window, counts the rest (failures, and
/// attempts still checking their password), and inserts this attempt's row
/// if the rule allows one more.
async fn reserve<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    rule: IssuanceLimit,
    now: DateTime<Utc>,
    scope: String,
) -> Result<Reserved, Error> {
    let start = rule.window_start(now);
    let row = backend::retrying_deadlocks!(backend::serialized(
        db,
        ATTEMPTS_TABLE,
        &scope,
        async |txn| {
            let stale = Condition::all()
                .add(Expr::col("scope").eq(scope.as_str()))
                .add(Expr::col("attempted_at").lte(start.timestamp_millis()));
            backend::delete_where(txn, ATTEMPTS_TABLE, stale).await?;
            let earlier = attempts_since(txn, &scope, start).await?;
            rule.decide(now, &earlier)
                .map_err(|retry_at| Error::SignInThrottled { retry_at })?;
            let insert = Query::insert()
                .into_table(ATTEMPTS_TABLE)
                .columns(["scope", "attempted_at"])
                .values_panic([scope.as_str().into(), now.timestamp_millis().into()])
                .to_owned();
            Ok(backend::insert_returning_id(txn, insert, "id").await?)
        }
    ))?;
    Ok(Reserved { scope, row })
}

/// When the scope's attempts in the window were made, oldest first. A
/// locking read, which MySQL needs under [`backend::serialized`].
async fn attempts_since(
    db: &impl ConnectionTrait,
    scope: &str,
    start: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    let mut select = Query::select();
    select
        .column("attempted_at")
        .from(ATTEMPTS_TABLE)
        .and_where(Expr::col("scope").eq(scope))
        .and_where(Expr::col("attempted_at").gt(start.timestamp_millis()))
        .order_by("attempted_at", sea_orm::Order::Asc)
        .lock(LockType::Update);
    // On a small table MySQL may choose to scan the primary key instead, and
    // a locking scan locks other scopes' rows, which deadlocks with their
    // own reservations. Only MySQL's builder writes the hint.
    select.force_index(ATTEMPTS_INDEX, IndexHintScope::All);
    let rows = db.query_all(&select).await?;
    rows.iter()
        .map(|row| {
            let ms: i64 = row.try_get("", "attempted_at")?;
            DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| DbErr::Type(format!("attempted_at = {ms} is no time")))
        })
        .collect()
}

async fn delete_row(db: &impl ConnectionTrait, row: i64) -> Result<u64, DbErr> {
    backend::delete_where(
        db,
        ATTEMPTS_TABLE,
        Condition::all().add(Expr::col("id").eq(row)),
    )
    .await
}

/// Removes a reservation, best effort: if it fails, the row counts as a
/// failure until it leaves the window, which errs on the safe side. Under
/// the scope's lock like every write to the table: on MySQL a delete
/// outside it deadlocks with a reservation's locking read.
async fn release<C: ConnectionTrait + TransactionTrait>(db: &C, reserved: &Reserved) {
    let released = backend::retrying_deadlocks!(backend::serialized(
        db,
        ATTEMPTS_TABLE,
        &reserved.scope,
        async |txn| Ok(delete_row(txn, reserved.row).await?)
    ));
    if let Err(why) = released {
        tracing::warn!(error = %why, "could not release a sign-in attempt");
    }
}
