//! Beyond one database server, on real PostgreSQL clusters
//! (`scripts/scale-out.sh`): session lookups from a streaming replica with
//! read-your-writes and bounded staleness, on every store; sign-outs that
//! survive a failover to a synchronous standby; a replica that stops; and
//! PgBouncer in transaction pooling mode.
//!
//! The tests that pause the main replica's replay take [`REPLICA`] first, so
//! they never pause it under one another.

use std::time::{Duration, Instant};

use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store};
use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore::{
    AuthStore, Config, ConfigError, Error, NewUser, Profile, ReplicaConfig, ReplicaStats,
    TransactionPooled, UserPatch,
};
use authstore_migration::ProfileMigrations as _;
use authstore_tests::scale_out::{self, Pair, Replicated, caught_up, scalar_i64, wait_for};
use authstore_tests::{Backend, TestDb, connect};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::Mutex;

/// Held by every test that uses the main replica.
static REPLICA: Mutex<()> = Mutex::const_new(());

const BOUND: ReplicaConfig = ReplicaConfig {
    max_lag: Duration::from_millis(100),
    poll_every: Duration::from_millis(20),
};

/// What these tests need of a store, whatever its profile.
trait Store: Sized {
    const PROFILE: Profile;
    const SESSIONS: &str;
    fn new(db: DatabaseConnection) -> Self;
    fn with_replicas(self, replica: DatabaseConnection) -> Self;
    fn stats(&self) -> ReplicaStats;
    async fn new_user(&self) -> String;
    async fn sign_in(&self, user_id: &str) -> String;
    /// The user of the session, if it is valid.
    async fn look_up(&self, token: &str) -> Option<String>;
    async fn sign_out(&self, token: &str);
    async fn sign_out_everywhere(&self, user_id: &str);
    /// The SQL that deletes a session by token (`$1`) behind the store.
    fn delete_sql(&self) -> String {
        format!(
            "DELETE FROM {} WHERE {} = $1",
            Self::SESSIONS,
            Self::TOKEN_COLUMN
        )
    }
    const TOKEN_COLUMN: &str;
}

impl Store for AuthStore {
    const PROFILE: Profile = Profile::NextAuthV3;
    const SESSIONS: &str = "sessions";
    const TOKEN_COLUMN: &str = "session_token";
    fn new(db: DatabaseConnection) -> Self {
        AuthStore::new(db, Config::new("scale-out secret").unwrap())
    }
    fn with_replicas(self, replica: DatabaseConnection) -> Self {
        AuthStore::with_replicas(self, vec![replica], BOUND).unwrap()
    }
    fn stats(&self) -> ReplicaStats {
        self.replica_stats().expect("replicas are on")
    }
    async fn new_user(&self) -> String {
        self.users()
            .create(NewUser::default())
            .await
            .unwrap()
            .id
            .to_string()
    }
    async fn sign_in(&self, user_id: &str) -> String {
        let session = self
            .sessions()
            .create(user_id.parse().unwrap())
            .await
            .unwrap();
        session.session_token.expose().to_owned()
    }
    async fn look_up(&self, token: &str) -> Option<String> {
        let found = self.sessions().get_session_and_user(token).await.unwrap()?;
        Some(found.user.id.to_string())
    }
    async fn sign_out(&self, token: &str) {
        assert!(self.sessions().delete(token).await.unwrap());
    }
    async fn sign_out_everywhere(&self, user_id: &str) {
        self.sessions()
            .delete_all(user_id.parse().unwrap())
            .await
            .unwrap();
    }
}

/// Implements [`Store`] for a Lucia store (their calls share names).
macro_rules! lucia_store {
    ($store:ty, $config:ty, $profile:ident, sessions: $sessions:literal, new_user: $new_user:expr) => {
        impl Store for $store {
            const PROFILE: Profile = Profile::$profile;
            const SESSIONS: &str = $sessions;
            const TOKEN_COLUMN: &str = "id";
            fn new(db: DatabaseConnection) -> Self {
                <$store>::new(db, <$config>::default())
            }
            fn with_replicas(self, replica: DatabaseConnection) -> Self {
                <$store>::with_replicas(self, vec![replica], BOUND).unwrap()
            }
            fn stats(&self) -> ReplicaStats {
                self.replica_stats().expect("replicas are on")
            }
            async fn new_user(&self) -> String {
                ($new_user)(self).await
            }
            async fn sign_in(&self, user_id: &str) -> String {
                let session = self.create_session(user_id).await.unwrap();
                session.id.expose().to_owned()
            }
            async fn look_up(&self, token: &str) -> Option<String> {
                let found = self.validate_session(token).await.unwrap()?;
                Some(found.user.id)
            }
            async fn sign_out(&self, token: &str) {
                assert!(self.invalidate_session(token).await.unwrap());
            }
            async fn sign_out_everywhere(&self, user_id: &str) {
                self.invalidate_user_sessions(user_id).await.unwrap();
            }
        }
    };
}

lucia_store!(LuciaStore, LuciaConfig, LuciaV3, sessions: "user_session",
    new_user: async |store: &LuciaStore| store.create_user(None).await.unwrap().id);
lucia_store!(LuciaV1Store, LuciaV1Config, LuciaV1, sessions: "auth_session",
    new_user: async |store: &LuciaV1Store| store.create_user(Default::default()).await.unwrap().id);

/// A replicated database of `S`'s profile and a store on it reading the
/// replica, with the replica caught up and polled.
async fn set_up<S: Store>(test: &str) -> Option<(Replicated, S)> {
    let db = Replicated::create(test, S::PROFILE).await?;
    let store = S::new(connect(&db.primary.url).await.unwrap())
        .with_replicas(connect(&db.replica_url).await.unwrap());
    settle(&db).await;
    Some((db, store))
}

/// Waits until the replica has replayed everything and been polled since.
async fn settle(db: &Replicated) {
    db.caught_up().await;
    tokio::time::sleep(BOUND.poll_every * 4).await;
}

/// Read-your-writes: with the replica's replay paused, a session made here
/// is found at once (the replica does not have it; the primary does).
async fn a_new_session_is_found_with_replay_paused<S: Store>() {
    let _replica = REPLICA.lock().await;
    let Some((db, store)) = set_up::<S>("ryw_new_session").await else {
        return;
    };
    db.pause().await;
    let user = store.new_user().await;
    let token = store.sign_in(&user).await;
    assert_eq!(store.look_up(&token).await, Some(user.clone()));
    let sql = format!("SELECT count(*) FROM {}", S::SESSIONS);
    assert_eq!(
        db.on_replica(&sql).await,
        0,
        "the paused replica has no session"
    );
    db.destroy().await;
}

/// A sign-out (one session, then every session of a user) is never undone
/// by a replica that still holds the rows.
async fn a_sign_out_is_not_undone_by_a_paused_replica<S: Store>() {
    let _replica = REPLICA.lock().await;
    let Some((db, store)) = set_up::<S>("ryw_sign_out").await else {
        return;
    };
    let user = store.new_user().await;
    let (one, two, three) = (
        store.sign_in(&user).await,
        store.sign_in(&user).await,
        store.sign_in(&user).await,
    );
    settle(&db).await;
    // Served by the replica while nothing has changed.
    let before = store.stats().replica;
    assert_eq!(store.look_up(&one).await, Some(user.clone()));
    assert_eq!(store.stats().replica, before + 1, "the replica answered");

    db.pause().await;
    store.sign_out(&one).await;
    assert_eq!(
        store.look_up(&one).await,
        None,
        "signed out, though the replica has it"
    );
    assert_eq!(store.look_up(&two).await, Some(user.clone()));
    store.sign_out_everywhere(&user).await;
    assert_eq!(store.look_up(&two).await, None);
    assert_eq!(store.look_up(&three).await, None);
    let sql = format!("SELECT count(*) FROM {}", S::SESSIONS);
    assert_eq!(
        db.on_replica(&sql).await,
        3,
        "the paused replica still holds all three"
    );
    db.destroy().await;
}

/// Lookups go to the replica, counted by the store and by each server:
/// none reaches the primary's sessions table.
async fn lookups_are_served_by_the_replica<S: Store>() {
    const LOOKUPS: i64 = 50;
    let _replica = REPLICA.lock().await;
    let Some(db) = Replicated::create("served_by_replica", S::PROFILE).await else {
        return;
    };
    let setup_pool = connect(&db.primary.url).await.unwrap();
    let setup = S::new(setup_pool.clone());
    let user = setup.new_user().await;
    let token = setup.sign_in(&user).await;
    drop(setup);
    setup_pool.close().await.unwrap();
    db.caught_up().await;

    let scans = format!(
        "SELECT coalesce(sum(idx_scan + seq_scan), 0)::bigint FROM pg_stat_user_tables WHERE relname = '{}'",
        S::SESSIONS
    );
    let primary_before = stable_count(&db.primary.conn, &scans).await;
    let replica_before = stable_count(&db.replica, &scans).await;
    let (primary, replica) = (
        connect(&db.primary.url).await.unwrap(),
        connect(&db.replica_url).await.unwrap(),
    );
    let store = S::new(primary.clone()).with_replicas(replica.clone());
    settle(&db).await;
    for _ in 0..LOOKUPS {
        assert_eq!(store.look_up(&token).await, Some(user.clone()));
    }
    assert_eq!(store.stats().replica, LOOKUPS as u64, "{:?}", store.stats());
    // Closing the pools ends their backends, which report their statistics.
    drop(store);
    primary.close().await.unwrap();
    replica.close().await.unwrap();
    let replica_after = wait_for_count(&db.replica, &scans, replica_before + LOOKUPS).await;
    let primary_after = stable_count(&db.primary.conn, &scans).await;
    eprintln!(
        "figures: {LOOKUPS} lookups: {} scans of {} on the replica, {} on the primary",
        replica_after - replica_before,
        S::SESSIONS,
        primary_after - primary_before
    );
    assert!(replica_after - replica_before >= LOOKUPS);
    assert_eq!(
        primary_after - primary_before,
        0,
        "no lookup reached the primary"
    );
    db.destroy().await;
}

/// A count from the statistics views once it has stopped moving.
async fn stable_count(db: &DatabaseConnection, sql: &str) -> i64 {
    let mut last = scalar_i64(db, sql).await;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        db.execute_unprepared("SELECT pg_stat_clear_snapshot()")
            .await
            .unwrap();
        let now = scalar_i64(db, sql).await;
        if now == last {
            return now;
        }
        last = now;
    }
}

/// Waits (up to 15 s: statistics reach the views late) for a count.
async fn wait_for_count(db: &DatabaseConnection, sql: &str, at_least: i64) -> i64 {
    let started = Instant::now();
    loop {
        db.execute_unprepared("SELECT pg_stat_clear_snapshot()")
            .await
            .unwrap();
        let now = scalar_i64(db, sql).await;
        if now >= at_least || started.elapsed() > Duration::from_secs(15) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Bounded staleness: a session deleted by plain SQL on the primary (no
/// listener, another writer) is refused once the replica is past the
/// bound, though the paused replica still holds it.
async fn a_session_deleted_by_sql_is_refused_within_the_bound<S: Store>() {
    let _replica = REPLICA.lock().await;
    let Some((db, store)) = set_up::<S>("stale_bound").await else {
        return;
    };
    let user = store.new_user().await;
    let token = store.sign_in(&user).await;
    settle(&db).await;
    assert_eq!(store.look_up(&token).await, Some(user.clone()));
    db.pause().await;
    let deleted = Instant::now();
    db.primary
        .conn
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            store.delete_sql(),
            [token.clone().into()],
        ))
        .await
        .unwrap();
    let mut refused_after = None;
    while deleted.elapsed() < Duration::from_secs(5) {
        let started = deleted.elapsed();
        if store.look_up(&token).await.is_none() {
            refused_after = Some(started);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let refused_after = refused_after.expect("the deleted session is refused");
    eprintln!("figures: a session deleted by SQL refused after {refused_after:?}");
    // The bound, one poll, and the poll's own queries.
    assert!(
        refused_after <= BOUND.max_lag + BOUND.poll_every * 3,
        "refused after {refused_after:?}, beyond the bound"
    );
    db.destroy().await;
}

/// A token made by another store (another process) a moment ago is found:
/// the replica does not know it, the primary does.
async fn a_token_made_by_another_store_is_found<S: Store>() {
    let _replica = REPLICA.lock().await;
    let Some((db, store)) = set_up::<S>("other_store").await else {
        return;
    };
    let other = S::new(connect(&db.primary.url).await.unwrap());
    db.pause().await;
    let user = other.new_user().await;
    let token = other.sign_in(&user).await;
    let rechecked = store.stats().primary_rechecked;
    assert_eq!(store.look_up(&token).await, Some(user));
    assert!(
        store.stats().primary_rechecked > rechecked || store.stats().primary_no_replica > 0,
        "{:?}",
        store.stats()
    );
    db.destroy().await;
}

/// A replica more than the bound behind sends lookups to the primary; once
/// it catches up, to the replica again.
async fn lag_past_the_bound_goes_to_the_primary<S: Store>() {
    let _replica = REPLICA.lock().await;
    let Some((db, store)) = set_up::<S>("lag_bound").await else {
        return;
    };
    let user = store.new_user().await;
    let token = store.sign_in(&user).await;
    settle(&db).await;
    db.pause().await;
    // Another writer moves the primary on.
    S::new(connect(&db.primary.url).await.unwrap())
        .new_user()
        .await;
    tokio::time::sleep(BOUND.max_lag + BOUND.poll_every * 3).await;
    let before = store.stats();
    assert_eq!(store.look_up(&token).await, Some(user.clone()));
    let after = store.stats();
    assert_eq!(
        after.replica, before.replica,
        "not served by the lagging replica"
    );
    assert_eq!(after.primary_no_replica, before.primary_no_replica + 1);
    db.resume().await;
    settle(&db).await;
    assert_eq!(store.look_up(&token).await, Some(user));
    assert_eq!(
        store.stats().replica,
        after.replica + 1,
        "served by the replica again"
    );
    db.destroy().await;
}

/// One test per store for each named body.
macro_rules! store_tests {
    ($($body:ident),+ $(,)?) => {
        mod next_auth {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $body() {
                    super::$body::<authstore::AuthStore>().await
                }
            )+
        }
        mod lucia_v3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $body() {
                    super::$body::<authstore::lucia_v3::LuciaStore>().await
                }
            )+
        }
        mod lucia_v1 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $body() {
                    super::$body::<authstore::lucia_v1::LuciaV1Store>().await
                }
            )+
        }
    };
}

store_tests!(
    a_new_session_is_found_with_replay_paused,
    a_sign_out_is_not_undone_by_a_paused_replica,
    lookups_are_served_by_the_replica,
    a_session_deleted_by_sql_is_refused_within_the_bound,
    a_token_made_by_another_store_is_found,
    lag_past_the_bound_goes_to_the_primary,
);

/// Read-your-writes covers the user too: a renamed user is never shown
/// with the old name by a replica that has not replayed the rename.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_update_is_seen_with_replay_paused() {
    let _replica = REPLICA.lock().await;
    let Some((db, store)) = set_up::<AuthStore>("ryw_user").await else {
        return;
    };
    let user = store.users().create(NewUser::default()).await.unwrap();
    let token = store
        .sessions()
        .create(user.id)
        .await
        .unwrap()
        .session_token;
    settle(&db).await;
    db.pause().await;
    store
        .users()
        .update(
            user.id,
            UserPatch {
                name: Some(Some("Ada".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let found = store
        .sessions()
        .get_session_and_user(token.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.name.as_deref(), Some("Ada"));
    db.destroy().await;
}

/// Replicas are checked: PostgreSQL only, a poll inside the bound, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_settings_are_checked() {
    let sqlite = authstore_tests::connect("sqlite::memory:").await.unwrap();
    let store = AuthStore::new(sqlite.clone(), Config::new("s").unwrap());
    assert!(matches!(
        store.with_replicas(vec![sqlite], BOUND),
        Err(Error::Config(ConfigError::ReplicasNotPostgres))
    ));
    let Some(db) = TestDb::create(Backend::Postgres, "replica_settings").await else {
        return;
    };
    db.migrate().await;
    let store = AuthStore::new(db.conn.clone(), Config::new("s").unwrap());
    let slow_poll = ReplicaConfig {
        max_lag: Duration::from_millis(10),
        poll_every: Duration::from_millis(10),
    };
    assert!(matches!(
        store
            .clone()
            .with_replicas(vec![db.conn.clone()], slow_poll),
        Err(Error::Config(ConfigError::PollNotWithinLag))
    ));
    let store = store.with_replicas(vec![db.conn.clone()], BOUND).unwrap();
    assert!(matches!(
        store.clone().with_replicas(vec![db.conn.clone()], BOUND),
        Err(Error::Config(ConfigError::ReplicasAlreadySet))
    ));
    // A "replica" that is the primary itself is never in recovery: never
    // used, and lookups still work.
    let user = store.users().create(NewUser::default()).await.unwrap();
    let token = store
        .sessions()
        .create(user.id)
        .await
        .unwrap()
        .session_token;
    tokio::time::sleep(BOUND.poll_every * 4).await;
    assert!(
        store
            .sessions()
            .get_session_and_user(token.expose())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.replica_stats().unwrap().replica, 0);
    db.destroy().await;
}

/// A replica that stops: sign-in and lookups go on, on the primary; once it
/// is back, lookups return to it. (A throwaway asynchronous pair: stopping
/// a synchronous standby would stop every commit.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_replica_is_skipped() {
    let Some(pair) = Pair::create("authstore_rs", 5442, false) else {
        return;
    };
    let (primary, standby) = (
        connect(&pair.primary_url).await.unwrap(),
        wait_for(&pair.standby_url).await,
    );
    Profile::NextAuthV3.up(&primary).await.unwrap();
    let store = AuthStore::new(primary, Config::new("s").unwrap())
        .with_replicas(vec![standby], BOUND)
        .unwrap();
    let user = store.users().create(NewUser::default()).await.unwrap();
    let token = store
        .sessions()
        .create(user.id)
        .await
        .unwrap()
        .session_token;
    let served = wait_until(|| async {
        store
            .sessions()
            .get_session_and_user(token.expose())
            .await
            .unwrap();
        store.replica_stats().unwrap().replica > 0
    })
    .await;
    assert!(served, "the standby answered before it stopped");

    pair.ctl("standby", "stop", &["-m", "immediate"]);
    let stopped = store.replica_stats().unwrap();
    for _ in 0..20 {
        let session = store.sessions().create(user.id).await.unwrap();
        let found = store
            .sessions()
            .get_session_and_user(session.session_token.expose())
            .await
            .unwrap();
        assert_eq!(found.map(|found| found.user.id), Some(user.id));
        assert!(
            store
                .sessions()
                .get_session_and_user(token.expose())
                .await
                .unwrap()
                .is_some()
        );
    }
    let after = store.replica_stats().unwrap();
    assert_eq!(
        after.replica, stopped.replica,
        "nothing served by a stopped replica"
    );
    eprintln!("figures: with the replica stopped: {after:?}");

    pair.ctl("standby", "start", &[]);
    let back = wait_until(|| async {
        store
            .sessions()
            .get_session_and_user(token.expose())
            .await
            .unwrap();
        store.replica_stats().unwrap().replica > after.replica
    })
    .await;
    assert!(back, "the restarted standby answers again");
}

/// Polls `check` for up to 30 s.
async fn wait_until(check: impl AsyncFn() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Failover: on a primary with a synchronous standby, every revocation
/// returns only once the standby has applied it (checked on the standby at
/// once, with its replay held back 300 ms). Then the primary dies, the
/// standby is promoted, and a store on it finds every acknowledged session
/// and none of the signed-out ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_outs_survive_a_failover() {
    let Some(pair) = Pair::create("authstore_fo", 5440, true) else {
        return;
    };
    let primary = connect(&pair.primary_url).await.unwrap();
    let standby = wait_for(&pair.standby_url).await;
    // Ordinary commits wait for the standby's disk, not its replay; a
    // delayed replay shows which writes waited for it.
    standby
        .execute_unprepared("ALTER SYSTEM SET recovery_min_apply_delay = '300ms'")
        .await
        .unwrap();
    standby
        .execute_unprepared("SELECT pg_reload_conf()")
        .await
        .unwrap();
    Profile::NextAuthV3.up(&primary).await.unwrap();
    let store = AuthStore::new(primary, Config::new("s").unwrap());

    let mut kept = Vec::new();
    let mut signed_out = Vec::new();
    for round in 0..4 {
        let user = store.users().create(NewUser::default()).await.unwrap();
        let sessions = [
            store.sessions().create(user.id).await.unwrap(),
            store.sessions().create(user.id).await.unwrap(),
            store.sessions().create(user.id).await.unwrap(),
        ];
        // The standby has what the revocation removes; only the
        // revocation's own wait can make it apply the removal at once.
        caught_up(store.connection(), &standby).await;
        let started = Instant::now();
        let gone: Vec<_> = match round {
            // Sign-out.
            0 => {
                assert!(
                    store
                        .sessions()
                        .delete(sessions[0].session_token.expose())
                        .await
                        .unwrap()
                );
                vec![&sessions[0]]
            }
            // "Revoke this device".
            1 => {
                store
                    .sessions()
                    .revoke(user.id, sessions[1].id)
                    .await
                    .unwrap();
                vec![&sessions[1]]
            }
            // Sign out everywhere.
            2 => {
                assert_eq!(store.sessions().delete_all(user.id).await.unwrap(), 3);
                sessions.iter().collect()
            }
            // The user's deletion.
            _ => {
                store.users().delete(user.id).await.unwrap();
                sessions.iter().collect()
            }
        };
        let took = started.elapsed();
        for session in &sessions {
            let token = session.session_token.expose().to_owned();
            let on_standby = scalar_i64(
                &standby,
                &format!("SELECT count(*) FROM sessions WHERE session_token = '{token}'"),
            )
            .await;
            if gone.iter().any(|g| g.id == session.id) {
                assert_eq!(
                    on_standby, 0,
                    "round {round}: the standby applied the revocation before it returned"
                );
                signed_out.push(token);
            } else {
                kept.push(token);
            }
        }
        eprintln!(
            "figures: failover round {round}: the revocation took {took:?} (standby replay held back 300 ms)"
        );
    }
    pair.ctl("primary", "stop", &["-m", "immediate"]);
    pair.ctl("standby", "promote", &[]);
    let promoted = connect(&pair.standby_url).await.unwrap();
    let writable = wait_until(|| async {
        scalar_i64(&promoted, "SELECT (NOT pg_is_in_recovery())::int::bigint").await == 1
    })
    .await;
    assert!(writable, "the standby was promoted");
    let after = AuthStore::new(promoted, Config::new("s").unwrap());
    for token in &kept {
        assert!(
            after
                .sessions()
                .get_session_and_user(token)
                .await
                .unwrap()
                .is_some(),
            "an acknowledged session survived"
        );
    }
    for token in &signed_out {
        assert!(
            after
                .sessions()
                .get_session_and_user(token)
                .await
                .unwrap()
                .is_none(),
            "an acknowledged sign-out stayed"
        );
    }
    eprintln!(
        "figures: after failover: {} sessions kept, {} sign-outs kept",
        kept.len(),
        signed_out.len()
    );
}

/// A pool through PgBouncer with what transaction pooling needs of sqlx:
/// its statement cache off.
async fn through_pgbouncer(database: &str) -> Option<DatabaseConnection> {
    scale_out::through_pgbouncer(database, |options| {
        options.map_sqlx_postgres_opts(|o| o.statement_cache_capacity(0));
    })
    .await
}

/// The whole next-auth session API through PgBouncer in transaction
/// pooling mode, from eight tasks at once; and, as the control, the same
/// lookups without the wrapper fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_api_works_through_pgbouncer() {
    let Some(db) = TestDb::create(Backend::Postgres, "pgbouncer_api").await else {
        return;
    };
    db.migrate().await;
    let Some(pooled) = through_pgbouncer(&db.name)
        .await
        .map(TransactionPooled::new)
    else {
        return;
    };
    let config = Config::builder("s")
        .session_cache(1000, chrono::TimeDelta::seconds(30))
        .build()
        .unwrap();
    let store = AuthStore::new(pooled.connection().clone(), config);
    let mut tasks = Vec::new();
    for task in 0..8 {
        let (store, pooled) = (store.clone(), pooled.clone());
        tasks.push(tokio::spawn(async move {
            let api = store.through_pooler(&pooled);
            for round in 0..10 {
                let email = format!("user{task}.{round}@example.com");
                let user = api
                    .users()
                    .create(NewUser {
                        email: Some(email.clone()),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                api.accounts()
                    .link(authstore::NewAccount {
                        user_id: user.id,
                        provider_type: "oauth".into(),
                        provider_id: "github".into(),
                        provider_account_id: format!("{task}-{round}"),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                let session = api.sessions().create(user.id).await.unwrap();
                let token = session.session_token.expose();
                assert_eq!(
                    api.sessions()
                        .get_session_and_user(token)
                        .await
                        .unwrap()
                        .unwrap()
                        .user
                        .id,
                    user.id
                );
                api.sessions().renew(token).await.unwrap();
                assert_eq!(api.sessions().list(user.id).await.unwrap().len(), 1);
                let (_, link) = api.verification().create(&email).await.unwrap();
                assert!(
                    api.verification()
                        .consume(&email, link.expose())
                        .await
                        .unwrap()
                        .is_some()
                );
                api.users()
                    .update(
                        user.id,
                        UserPatch {
                            name: Some(Some("Ada".into())),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                assert!(api.sessions().delete(token).await.unwrap());
                assert!(
                    api.sessions()
                        .get_session_and_user(token)
                        .await
                        .unwrap()
                        .is_none()
                );
                api.sessions().create(user.id).await.unwrap();
                assert_eq!(api.sessions().delete_all(user.id).await.unwrap(), 1);
                api.users().delete(user.id).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.expect("every call through PgBouncer succeeded");
    }
    // Lucia v3 too, through its own store.
    let Some(lucia_db) = TestDb::create(Backend::Postgres, "pgbouncer_lucia").await else {
        return;
    };
    Profile::LuciaV3.up(&lucia_db.conn).await.unwrap();
    let lucia = LuciaStore::new(lucia_db.conn.clone(), LuciaConfig::default()).through_pooler(
        TransactionPooled::new(through_pgbouncer(&lucia_db.name).await.unwrap()),
    );
    let user = lucia.create_user(None).await.unwrap();
    let session = lucia.create_session(&user.id).await.unwrap();
    assert!(
        lucia
            .validate_session(session.id.expose())
            .await
            .unwrap()
            .is_some()
    );
    assert!(lucia.invalidate_session(session.id.expose()).await.unwrap());
    lucia.delete_user(&user.id).await.unwrap();

    // The control: SeaORM's prepared statements without the wrapper.
    let bare = AuthStore::new(
        through_pgbouncer(&db.name).await.unwrap(),
        Config::new("s").unwrap(),
    );
    let mut failures = 0;
    let mut lookups = Vec::new();
    for _ in 0..8 {
        let bare = bare.clone();
        lookups.push(tokio::spawn(async move {
            let mut failed = 0;
            for _ in 0..25 {
                failed += bare
                    .sessions()
                    .get_session_and_user(&"a".repeat(64))
                    .await
                    .is_err() as u32;
            }
            failed
        }));
    }
    for lookup in lookups {
        failures += lookup.await.unwrap();
    }
    eprintln!(
        "figures: without TransactionPooled, {failures} of 200 lookups through PgBouncer failed"
    );
    assert!(failures > 0, "the control shows what the wrapper is for");
    lucia_db.destroy().await;
    db.destroy().await;
}

/// The listener refuses a connection through PgBouncer (it would hear
/// nothing) and listens on a direct one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_refuses_a_pooled_connection() {
    let Some(db) = TestDb::create(Backend::Postgres, "pgbouncer_listen").await else {
        return;
    };
    db.migrate().await;
    let config = Config::builder("s")
        .session_cache(1000, chrono::TimeDelta::seconds(30))
        .build()
        .unwrap();
    let store = AuthStore::new(db.conn.clone(), config);
    let Some(pooled) = through_pgbouncer(&db.name).await else {
        return;
    };
    let refused = store.listen_for_session_changes_on(&pooled).await;
    assert!(
        matches!(
            refused,
            Err(Error::Config(ConfigError::ListenerDoesNotHear(_)))
        ),
        "{refused:?}"
    );
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("PgBouncer"), "{message}");
    let direct = connect(&db.url).await.unwrap();
    let listening = store.listen_for_session_changes_on(&direct).await.unwrap();
    listening.abort();
    db.destroy().await;
}

/// A replica URL naming another database of the replica's cluster (a typo,
/// a staging clone) is refused: `check_replica` names both databases, and a
/// store given it anyway never reads it, so it neither serves the other
/// database's sessions nor lets that database's expired copy of a session
/// end a live one on the primary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_of_another_database_is_never_read() {
    let _replica = REPLICA.lock().await;
    let Some(ours) = Replicated::create("rs_ours", Profile::NextAuthV3).await else {
        return;
    };
    let Some(theirs) = Replicated::create("rs_theirs", Profile::NextAuthV3).await else {
        ours.destroy().await;
        return;
    };
    let primary = connect(&ours.primary.url).await.unwrap();
    let wrong = connect(&theirs.replica_url).await.unwrap();
    // The same session token in both databases: live here, expired there.
    let store = AuthStore::new(primary.clone(), Config::new("s").unwrap())
        .with_replicas(vec![wrong.clone()], BOUND)
        .unwrap();
    let user = store.users().create(NewUser::default()).await.unwrap();
    let token = store
        .sessions()
        .create(user.id)
        .await
        .unwrap()
        .session_token;
    let theirs_store = AuthStore::new(theirs.primary.conn.clone(), Config::new("s").unwrap());
    let stranger = theirs_store
        .users()
        .create(NewUser::default())
        .await
        .unwrap();
    theirs
        .primary
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO sessions (user_id, expires, session_token, access_token) \
             VALUES ({}, now() - interval '1 hour', '{}', 'x')",
            stranger.id,
            token.expose()
        ))
        .await
        .unwrap();
    let only_theirs = theirs_store
        .sessions()
        .create(stranger.id)
        .await
        .unwrap()
        .session_token;
    theirs.caught_up().await;
    tokio::time::sleep(BOUND.poll_every * 10).await;

    for _ in 0..20 {
        let found = store
            .sessions()
            .get_session_and_user(token.expose())
            .await
            .unwrap();
        assert_eq!(
            found.map(|found| found.user.id),
            Some(user.id),
            "our live session stands"
        );
        let stranger_found = store
            .sessions()
            .get_session_and_user(only_theirs.expose())
            .await
            .unwrap();
        assert!(
            stranger_found.is_none(),
            "another database's session is not served"
        );
    }
    assert_eq!(
        store.replica_stats().unwrap().replica,
        0,
        "the wrong replica answered nothing"
    );
    drop(store);
    match authstore::check_replica(&primary, &wrong).await {
        Err(Error::Config(ConfigError::ReplicaNotACopy { primary, replica })) => {
            assert!(primary.contains(&ours.primary.name), "{primary}");
            assert!(replica.contains(&theirs.primary.name), "{replica}");
        }
        other => panic!("another database was taken for a copy: {other:?}"),
    }
    let right = connect(&ours.replica_url).await.unwrap();
    authstore::check_replica(&primary, &right)
        .await
        .expect("the real copy");
    // The same database read through another search_path reads other tables.
    ours.primary
        .conn
        .execute_unprepared("CREATE SCHEMA app")
        .await
        .unwrap();
    ours.caught_up().await;
    let elsewhere = connect(&format!(
        "{}?options=-c%20search_path%3Dapp",
        ours.primary.url
    ))
    .await
    .unwrap();
    assert!(
        matches!(
            authstore::check_replica(&elsewhere, &right).await,
            Err(Error::Config(ConfigError::ReplicaNotACopy { .. }))
        ),
        "another search_path is another set of tables"
    );

    theirs.destroy().await;
    ours.destroy().await;
}
