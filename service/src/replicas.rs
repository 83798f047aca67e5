//! Session lookups from PostgreSQL streaming replicas (feature
//! `postgres-replicas`), without ever answering from a replica that has not
//! replayed what the answer depends on.
//!
//! **What a replica is known to hold.** A poller asks the primary for its
//! WAL insert position every [`ReplicaConfig::poll_every`] and keeps each
//! answer with the moment the question was *sent*: every commit
//! acknowledged before that moment lies at or below that position. It then
//! asks each replica how far it has replayed. The replica is *covered until*
//! the latest sent-moment whose position it has reached: it holds every
//! commit acknowledged before then. Covered-until only moves forward.
//!
//! **Which server is a replica at all.** Each replica answers its replay
//! position together with its identity (cluster system identifier,
//! database name, `search_path` schemas), and answers lookups only while
//! the last poll found that identity to be the primary's: a URL naming
//! another database, or a reconnect that reached another server, serves
//! nothing. [`check_replica`] asks the same once, at start.
//!
//! **Which replica may answer a lookup**, decided in memory with no round
//! trip to the primary:
//! - one covered until no more than [`ReplicaConfig::max_lag`] ago (bounded
//!   staleness: a change by any writer, anywhere, is seen within the bound);
//! - and covered past every *fence* on what the lookup reads. A fence is the
//!   moment a change to a session or a user was made by this process (after
//!   its commit returned) or heard of from the session listener. A primary
//!   position sampled after that moment is at or past the change, so a
//!   replica covered past the fence has replayed it: read-your-writes,
//!   learnt from the next poll rather than from a query per write.
//!
//! Everything else reads the primary: no replica qualifies, a replica's
//! read fails (it is then skipped until the poller reaches it again), a
//! replica has no such session (it may be one made a moment ago elsewhere),
//! or the row's user carries a fence the replica has not passed. Only the
//! primary being down is an error.
//!
//! Fences are kept per session (by the cache's key: a hash of the stored
//! token) and per user, so a busy process's writes do not keep every other
//! user's lookups off the replicas. A fence older than `max_lag` is dropped:
//! no replica that qualifies can be behind it.

// Without the feature no store can be given replicas: the types stay, for
// the core's one code path, and go unused.
#![cfg_attr(not(feature = "postgres-replicas"), allow(dead_code))]

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, DbErr};

use crate::cache::{self, Cached, Change, Key};
use crate::rules::error::{ConfigError, Error};

/// How read replicas are used.
///
/// ```
/// use authstore::ReplicaConfig;
/// use std::time::Duration;
/// let config = ReplicaConfig { max_lag: Duration::from_millis(250), ..ReplicaConfig::default() };
/// assert_eq!(config.poll_every, Duration::from_millis(20));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaConfig {
    /// The longest a replica may be behind the primary and still answer:
    /// a change by another writer (another process, the JS app, plain SQL)
    /// is seen within it. Default 100 ms.
    pub max_lag: Duration,
    /// How often the primary's WAL position and each replica's replay
    /// position are read: two tiny queries per replica per period, whatever
    /// the request rate. Must be shorter than `max_lag`. Default 20 ms.
    pub poll_every: Duration,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        ReplicaConfig {
            max_lag: Duration::from_millis(100),
            poll_every: Duration::from_millis(20),
        }
    }
}

impl ReplicaConfig {
    /// Both periods positive, the poll inside the bound:
    /// [`ConfigError::NotPositive`] or [`ConfigError::PollNotWithinLag`].
    pub(crate) fn check(self) -> Result<Self, ConfigError> {
        if self.poll_every.is_zero() || self.max_lag.is_zero() {
            return Err(ConfigError::NotPositive("ReplicaConfig"));
        }
        if self.poll_every >= self.max_lag {
            return Err(ConfigError::PollNotWithinLag);
        }
        Ok(self)
    }
}

/// Where a store's session lookups were answered since it was built: the
/// replicas' share, and why the others went to the primary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplicaStats {
    /// Answered by a replica.
    pub replica: u64,
    /// Read on the primary because no replica was recent enough (behind
    /// `max_lag`, behind a fence, unreachable, or not yet polled).
    pub primary_no_replica: u64,
    /// Read on the primary after a replica had no such session, or had it
    /// for a user it had not caught up with.
    pub primary_rechecked: u64,
    /// Read on the primary after a replica's read failed.
    pub primary_replica_failed: u64,
}

/// Moments, as nanoseconds since the replicas were set up (0: never).
type Moment = u64;

/// One replica and what the poller knows of it.
pub(crate) struct Replica {
    pub(crate) db: DatabaseConnection,
    /// Every commit acknowledged on the primary before this moment is
    /// replayed here.
    covered_until: AtomicU64,
    /// A read failed since the last poll reached it: skipped until then.
    failed: AtomicBool,
    /// Found by the last poll to be another database than the primary's,
    /// and said so in the log (once, until it is a copy again).
    refused: AtomicBool,
}

/// A store's replicas, the poller's samples and the fences: shared by the
/// store's clones.
pub(crate) struct Replicas<E: Cached> {
    replicas: Vec<Replica>,
    config: ReplicaConfig,
    origin: Instant,
    /// A change this process cannot pin to a session or user (a payload
    /// it could not read): every replica must pass it.
    fence_all: AtomicU64,
    session_fences: Mutex<HashMap<Key, Moment>>,
    user_fences: Mutex<HashMap<E::UserId, Moment>>,
    stats: Stats,
}

#[derive(Default)]
struct Stats {
    replica: AtomicU64,
    primary_no_replica: AtomicU64,
    primary_rechecked: AtomicU64,
    primary_replica_failed: AtomicU64,
}

impl<E: Cached> Replicas<E> {
    pub(crate) fn new(replicas: Vec<DatabaseConnection>, config: ReplicaConfig) -> Self {
        Replicas {
            replicas: replicas
                .into_iter()
                .map(|db| Replica {
                    db,
                    covered_until: AtomicU64::new(0),
                    failed: AtomicBool::new(true),
                    refused: AtomicBool::new(false),
                })
                .collect(),
            config,
            origin: Instant::now(),
            fence_all: AtomicU64::new(0),
            session_fences: Mutex::new(HashMap::new()),
            user_fences: Mutex::new(HashMap::new()),
            stats: Stats::default(),
        }
    }

    fn now(&self) -> Moment {
        // Never 0, which means "never".
        (self.origin.elapsed().as_nanos() as Moment).max(1)
    }

    fn lag_bound(&self) -> Moment {
        self.config.max_lag.as_nanos() as Moment
    }

    /// Records a change made by this process (after its commit returned)
    /// or heard of: lookups it touches skip replicas not yet past it.
    pub(crate) fn fence(&self, change: Change<'_, E::UserId>) {
        let now = self.now();
        match change {
            Change::Session(stored_token) => self.fence_session(cache::key(stored_token), now),
            Change::SessionKey(key) => self.fence_session(key, now),
            Change::User(user_id) => {
                lock(&self.user_fences).insert(user_id, now);
            }
            Change::Everything => {
                self.fence_all.fetch_max(now, Ordering::AcqRel);
            }
        }
    }

    fn fence_session(&self, key: Key, now: Moment) {
        lock(&self.session_fences).insert(key, now);
    }

    /// A replica that may answer a lookup of the session stored as
    /// `stored_token`, with the moment it is covered until (the user's
    /// fence is checked against that moment once the row is read).
    fn choose(&self, stored_token: &str) -> Option<(&Replica, Moment)> {
        let now = self.now();
        let mut fence = self.fence_all.load(Ordering::Acquire);
        {
            let fences = lock(&self.session_fences);
            // The token is hashed only when some session is fenced.
            if !fences.is_empty()
                && let Some(at) = fences.get(&cache::key(stored_token))
            {
                fence = fence.max(*at);
            }
        }
        let oldest_allowed = now.saturating_sub(self.lag_bound());
        // The most recent replica: the freshest answer, and an even spread
        // when several are level.
        self.replicas
            .iter()
            .filter(|replica| !replica.failed.load(Ordering::Acquire))
            .map(|replica| (replica, replica.covered_until.load(Ordering::Acquire)))
            .filter(|&(_, covered)| covered > fence && covered >= oldest_allowed)
            .max_by_key(|&(_, covered)| covered)
    }

    /// Whether a replica covered until `covered` has passed `user_id`'s fence.
    fn passed_user(&self, user_id: &E::UserId, covered: Moment) -> bool {
        let fences = lock(&self.user_fences);
        fences.get(user_id).is_none_or(|at| covered > *at)
    }

    /// A session lookup's read: on a replica that may answer it, otherwise
    /// (or when the replica has no such session, is behind its user, or
    /// holds a row the lookup would write for) on the primary.
    ///
    /// `on_replica` and `on_primary` are the same read on either connection;
    /// `user_of` names the user a found row belongs to; `live` says whether
    /// a row is served as it is. A row due for renewal, expired or without
    /// its user is read again on the primary, so every renewal and deletion
    /// is decided on the primary's row, never on a copy that may be behind
    /// (or, misconfigured, of another database).
    pub(crate) async fn read<T>(
        &self,
        stored_token: &str,
        on_replica: impl AsyncFnOnce(&DatabaseConnection) -> Result<Option<T>, DbErr>,
        on_primary: impl AsyncFnOnce() -> Result<Option<T>, DbErr>,
        user_of: impl FnOnce(&T) -> &E::UserId,
        live: impl FnOnce(&T) -> bool,
    ) -> Result<Option<T>, Error> {
        let Some((replica, covered)) = self.choose(stored_token) else {
            self.stats
                .primary_no_replica
                .fetch_add(1, Ordering::Relaxed);
            return Ok(on_primary().await?);
        };
        match on_replica(&replica.db).await {
            Ok(Some(found)) if self.passed_user(user_of(&found), covered) && live(&found) => {
                self.stats.replica.fetch_add(1, Ordering::Relaxed);
                return Ok(Some(found));
            }
            Ok(_) => {
                self.stats.primary_rechecked.fetch_add(1, Ordering::Relaxed);
            }
            Err(err) => {
                tracing::warn!(error = %err, "read replica failed; skipping it until it answers a poll");
                replica.failed.store(true, Ordering::Release);
                self.stats
                    .primary_replica_failed
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(on_primary().await?)
    }

    pub(crate) fn stats(&self) -> ReplicaStats {
        ReplicaStats {
            replica: self.stats.replica.load(Ordering::Relaxed),
            primary_no_replica: self.stats.primary_no_replica.load(Ordering::Relaxed),
            primary_rechecked: self.stats.primary_rechecked.load(Ordering::Relaxed),
            primary_replica_failed: self.stats.primary_replica_failed.load(Ordering::Relaxed),
        }
    }

    /// Drops fences no replica that may answer can be behind.
    fn prune(&self, now: Moment) {
        let oldest_needed = now.saturating_sub(self.lag_bound());
        lock(&self.session_fences).retain(|_, at| *at >= oldest_needed);
        lock(&self.user_fences).retain(|_, at| *at >= oldest_needed);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding a fence map leaves it usable: its entries are
    // only ever added or dropped whole.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The poller: samples the primary's WAL position, then each replica's
/// replay position, until every store sharing `replicas` is gone.
#[cfg(feature = "postgres-replicas")]
pub(crate) fn start<E: Cached>(
    primary: DatabaseConnection,
    replicas: &std::sync::Arc<Replicas<E>>,
) -> Result<(), Error> {
    use sea_orm::DbBackend;

    if primary.get_database_backend() != DbBackend::Postgres
        || replicas
            .replicas
            .iter()
            .any(|replica| replica.db.get_database_backend() != DbBackend::Postgres)
    {
        return Err(ConfigError::ReplicasNotPostgres.into());
    }
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| ConfigError::NoRuntime("poll read replicas"))?;
    let weak = std::sync::Arc::downgrade(replicas);
    runtime.spawn(async move {
        let mut samples = Samples::default();
        let mut tick = tokio::time::interval(replicas_period(&weak));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(live) = weak.upgrade() else { return };
            poll(&live, &primary, &mut samples).await;
        }
    });
    Ok(())
}

#[cfg(feature = "postgres-replicas")]
fn replicas_period<E: Cached>(replicas: &std::sync::Weak<Replicas<E>>) -> Duration {
    replicas
        .upgrade()
        .map_or(Duration::from_secs(1), |live| live.config.poll_every)
}

/// The primary's recent WAL positions, each with the moment it was asked,
/// and its identity once read.
#[cfg(feature = "postgres-replicas")]
#[derive(Default)]
struct Samples {
    positions: std::collections::VecDeque<(Moment, i64)>,
    primary_identity: Option<Identity>,
}

#[cfg(feature = "postgres-replicas")]
impl Samples {
    /// The latest moment whose position `replayed` has reached.
    fn covered_by(&self, replayed: i64) -> Option<Moment> {
        self.positions
            .iter()
            .rev()
            .find(|(_, position)| *position <= replayed)
            .map(|(at, _)| *at)
    }
}

/// One poll: the primary first, then every replica, each within `max_lag`.
/// Each replica answers its replay position with its identity, so it
/// answers lookups only while the last poll found it a copy of the
/// primary's database (a reconnect may reach another server).
#[cfg(feature = "postgres-replicas")]
async fn poll<E: Cached>(
    replicas: &Replicas<E>,
    primary: &DatabaseConnection,
    samples: &mut Samples,
) {
    let timeout = replicas.config.max_lag;
    if samples.primary_identity.is_none()
        && let Ok(Ok(found)) = tokio::time::timeout(timeout, identity(primary)).await
    {
        samples.primary_identity = Some(found);
    }
    let asked = replicas.now();
    match tokio::time::timeout(timeout, position(primary, PRIMARY_POSITION)).await {
        Ok(Ok(Some(position))) => samples.positions.push_back((asked, position)),
        outcome => {
            tracing::warn!(
                ?outcome,
                "read replicas: the primary's WAL position could not be read"
            );
        }
    }
    // Samples older than the bound can no longer make a replica eligible.
    let oldest_useful = asked.saturating_sub(replicas.lag_bound());
    while samples.positions.len() > 1
        && samples
            .positions
            .front()
            .is_some_and(|(at, _)| *at < oldest_useful)
    {
        samples.positions.pop_front();
    }
    // Every replica at once: one that hangs delays none of the others.
    let mut asking = tokio::task::JoinSet::new();
    for (index, replica) in replicas.replicas.iter().enumerate() {
        let db = replica.db.clone();
        asking.spawn(async move {
            let answer = tokio::time::timeout(timeout, replica_state(&db)).await;
            (index, answer)
        });
    }
    while let Some(Ok((index, answer))) = asking.join_next().await {
        let replica = &replicas.replicas[index];
        match answer {
            Ok(Ok((replayed, found))) => {
                // Not known to be a copy (the primary's identity not read
                // yet, or another database): it answers nothing.
                let Some(expected) = samples.primary_identity.as_ref() else {
                    replica.failed.store(true, Ordering::Release);
                    continue;
                };
                if let Err(refused) = same_database(expected, &found) {
                    replica.failed.store(true, Ordering::Release);
                    if !replica.refused.swap(true, Ordering::AcqRel) {
                        tracing::error!(error = %refused, "read replica refused; reads go to the primary");
                    }
                    continue;
                }
                replica.refused.store(false, Ordering::Release);
                match replayed {
                    Some(replayed) => {
                        if let Some(covered) = samples.covered_by(replayed) {
                            replica.covered_until.fetch_max(covered, Ordering::AcqRel);
                        }
                        replica.failed.store(false, Ordering::Release);
                    }
                    // Not replaying: promoted, or not a replica at all.
                    None => replica.failed.store(true, Ordering::Release),
                }
            }
            Ok(Err(err)) => {
                if !replica.failed.swap(true, Ordering::AcqRel) {
                    tracing::warn!(error = %err, "read replica unreachable; reads go to the primary");
                }
            }
            Err(_) => {
                replica.failed.store(true, Ordering::Release);
            }
        }
    }
    replicas.prune(replicas.now());
}

/// The primary's WAL insert position: every acknowledged commit is at or
/// below it (the write position can lag behind a commit under
/// `synchronous_commit = off`).
#[cfg(feature = "postgres-replicas")]
const PRIMARY_POSITION: &str = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint";

#[cfg(feature = "postgres-replicas")]
async fn position(db: &DatabaseConnection, sql: &'static str) -> Result<Option<i64>, DbErr> {
    use sea_orm::sqlx::Row;
    // The simple query protocol: no prepared statement, so a primary
    // reached through a transaction pooler answers too.
    let row = sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql))
        .fetch_optional(db.get_postgres_connection_pool())
        .await
        .map_err(|err| DbErr::Custom(err.to_string()))?;
    match row {
        Some(row) => row
            .try_get::<Option<i64>, _>(0)
            .map_err(|err| DbErr::Custom(err.to_string())),
        None => Ok(None),
    }
}

/// What makes the tables a connection reads the ones they are: its
/// cluster's system identifier (a streaming replica shares its primary's),
/// its database's name, and the schemas its `search_path` resolves to (a
/// replica role or URL with another path reads other tables).
#[cfg(feature = "postgres-replicas")]
#[derive(Clone, Debug, PartialEq, Eq)]
struct Identity {
    system: String,
    database: String,
    schemas: String,
}

#[cfg(feature = "postgres-replicas")]
impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "database {:?} (schemas {:?}) of cluster {}",
            self.database, self.schemas, self.system
        )
    }
}

/// The identity's columns, read from `pg_control_system()`; with the
/// replay position first, a replica's poll. In the simple query protocol,
/// as [`position`]: a primary behind a transaction pooler answers too.
#[cfg(feature = "postgres-replicas")]
macro_rules! identity_query {
    ($($first:literal)?) => {
        concat!(
            "SELECT ", $($first, ", ",)?
            "system_identifier::text, current_database()::text, ",
            "array_to_string(current_schemas(false), ',') FROM pg_control_system()"
        )
    };
}

#[cfg(feature = "postgres-replicas")]
const IDENTITY: &str = identity_query!();
/// How far a replica has replayed (NULL when it is not in recovery), and
/// what it is.
#[cfg(feature = "postgres-replicas")]
const REPLICA_STATE: &str = identity_query!("(pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint");

#[cfg(feature = "postgres-replicas")]
async fn identity(db: &DatabaseConnection) -> Result<Identity, DbErr> {
    let row = fetch_one(db, IDENTITY).await?;
    identity_at(&row, 0)
}

/// A replica's replay position and identity, in one round trip.
#[cfg(feature = "postgres-replicas")]
async fn replica_state(db: &DatabaseConnection) -> Result<(Option<i64>, Identity), DbErr> {
    use sea_orm::sqlx::Row;
    let row = fetch_one(db, REPLICA_STATE).await?;
    let replayed = row
        .try_get::<Option<i64>, _>(0)
        .map_err(|err| DbErr::Custom(err.to_string()))?;
    Ok((replayed, identity_at(&row, 1)?))
}

#[cfg(feature = "postgres-replicas")]
async fn fetch_one(
    db: &DatabaseConnection,
    sql: &'static str,
) -> Result<sea_orm::sqlx::postgres::PgRow, DbErr> {
    sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql))
        .fetch_one(db.get_postgres_connection_pool())
        .await
        .map_err(|err| DbErr::Custom(err.to_string()))
}

/// The identity in `row`'s columns from `first` on.
#[cfg(feature = "postgres-replicas")]
fn identity_at(row: &sea_orm::sqlx::postgres::PgRow, first: usize) -> Result<Identity, DbErr> {
    use sea_orm::sqlx::Row;
    let text = |column: usize| {
        row.try_get::<String, _>(first + column)
            .map_err(|err| DbErr::Custom(err.to_string()))
    };
    Ok(Identity {
        system: text(0)?,
        database: text(1)?,
        schemas: text(2)?,
    })
}

#[cfg(feature = "postgres-replicas")]
/// Whether `replica` is a physical copy of `primary`'s database (the same
/// cluster identifier, database name and `search_path` schemas), as a
/// store with replicas checks each replica on every poll before it lets it
/// answer. Call it before
/// serving to stop at once on a wrong `DATABASE_REPLICA_URL`:
/// [`ConfigError::ReplicaNotACopy`] names both databases; an unreachable
/// server gives its [`Error::Database`] (a store starts without that
/// replica and uses it once it answers and checks out).
///
/// PostgreSQL only; any role may read what it compares.
pub async fn check_replica(
    primary: &DatabaseConnection,
    replica: &DatabaseConnection,
) -> Result<(), Error> {
    if primary.get_database_backend() != sea_orm::DbBackend::Postgres
        || replica.get_database_backend() != sea_orm::DbBackend::Postgres
    {
        return Err(ConfigError::ReplicasNotPostgres.into());
    }
    let primary = identity(primary).await?;
    let replica = identity(replica).await?;
    same_database(&primary, &replica)
}

#[cfg(feature = "postgres-replicas")]
fn same_database(primary: &Identity, replica: &Identity) -> Result<(), Error> {
    if primary == replica {
        return Ok(());
    }
    Err(ConfigError::ReplicaNotACopy {
        primary: primary.to_string(),
        replica: replica.to_string(),
    }
    .into())
}
