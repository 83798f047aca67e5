//! The session cache on the Lucia profiles (`LuciaConfig::session_cache`,
//! `LuciaV1Config::session_cache`): the same guarantees as on the next-auth
//! profiles (`session_cache.rs`), written once for both Lucia stores.
//!
//! On every backend: a hit skips the database (a row deleted behind the
//! store's back is still served, within the staleness bound); this
//! process's own sign-out, sign-out everywhere and user deletion are seen at
//! once; an expired session is never served; a session due for renewal
//! (Lucia v3: in its second half; Lucia v1: idle) goes to the database.
//!
//! On PostgreSQL with `listen_for_session_changes`: another store's
//! sign-out, sign-out everywhere and user deletion, a plain SQL `DELETE` and
//! a plain SQL expiry are all seen through the cache within milliseconds
//! (each run prints a `figures:` line).

use std::io::Write as _;
use std::time::{Duration, Instant};

use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store};
use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore::{ConfigError, Error, Profile};
use authstore_migration::ProfileMigrations;
use authstore_tests::{Backend, TestClock, TestDb};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// What these tests need of a Lucia store.
trait Lucia: Sized {
    const PROFILE: Profile;
    const SESSIONS: &str;
    /// How long after its creation a session is no longer served as it is
    /// (Lucia v3: renewed in its second half; Lucia v1: idle).
    const DUE: TimeDelta;
    /// How long after its creation a session is dead.
    const DEAD: TimeDelta;
    /// The SQL that makes a session expired on PostgreSQL.
    const EXPIRE: &str;

    fn new(db: DatabaseConnection, cache: Option<(u64, TimeDelta)>) -> Result<Self, Error>;
    fn with_clock(self, clock: &TestClock) -> Self;
    async fn new_user(&self) -> String;
    async fn new_session(&self, user_id: &str) -> String;
    /// `None` for no valid session, else whether it is `fresh`, and when it
    /// dies.
    async fn validate(&self, id: &str) -> Option<(bool, DateTime<Utc>)>;
    async fn invalidate(&self, id: &str) -> bool;
    async fn invalidate_user(&self, user_id: &str) -> u64;
    async fn delete_user(&self, user_id: &str);
    fn listen(&self) -> Result<tokio::task::JoinHandle<()>, Error>;
}

/// Implements [`Lucia`] for a store whose calls have the same names.
macro_rules! lucia {
    ($store:ty, $config:ident, $profile:ident, sessions: $sessions:literal, due: $due:expr, dead: $dead:expr, dies: $dies:ident, expire: $expire:literal) => {
        impl Lucia for $store {
            const PROFILE: Profile = Profile::$profile;
            const SESSIONS: &str = $sessions;
            const DUE: TimeDelta = $due;
            const DEAD: TimeDelta = $dead;
            const EXPIRE: &str = $expire;

            fn new(db: DatabaseConnection, cache: Option<(u64, TimeDelta)>) -> Result<Self, Error> {
                let config = match cache {
                    Some((entries, staleness)) => {
                        $config::default().session_cache(entries, staleness)?
                    }
                    None => $config::default(),
                };
                Ok(<$store>::new(db, config))
            }
            fn with_clock(self, clock: &TestClock) -> Self {
                let reading = clock.clone();
                <$store>::with_clock(self, move || reading.now())
            }
            async fn new_user(&self) -> String {
                self.create_user(Default::default()).await.unwrap().id
            }
            async fn new_session(&self, user_id: &str) -> String {
                self.create_session(user_id)
                    .await
                    .unwrap()
                    .id
                    .expose()
                    .to_owned()
            }
            async fn validate(&self, id: &str) -> Option<(bool, DateTime<Utc>)> {
                let found = self.validate_session(id).await.unwrap()?;
                Some((found.session.fresh, found.session.$dies))
            }
            async fn invalidate(&self, id: &str) -> bool {
                self.invalidate_session(id).await.unwrap()
            }
            async fn invalidate_user(&self, user_id: &str) -> u64 {
                self.invalidate_user_sessions(user_id).await.unwrap()
            }
            async fn delete_user(&self, user_id: &str) {
                <$store>::delete_user(self, user_id).await.unwrap()
            }
            fn listen(&self) -> Result<tokio::task::JoinHandle<()>, Error> {
                self.listen_for_session_changes()
            }
        }
    };
}

lucia!(LuciaStore, LuciaConfig, LuciaV3, sessions: "user_session",
    due: TimeDelta::days(16), dead: TimeDelta::days(31), dies: expires_at,
    expire: "UPDATE user_session SET expires_at = now() - interval '1 minute' WHERE id = $1");
lucia!(LuciaV1Store, LuciaV1Config, LuciaV1, sessions: "auth_session",
    due: TimeDelta::hours(25), dead: TimeDelta::days(16), dies: idle_expires,
    expire: "UPDATE auth_session SET active_expires = 0, idle_expires = 0 WHERE id = $1");

/// One test per store and backend for each named body.
macro_rules! lucia_tests {
    ($($body:ident),+ $(,)?) => {
        mod lucia_v3 {
            $(
                async fn $body(db: &authstore_tests::TestDb) {
                    super::$body::<authstore::lucia_v3::LuciaStore>(db).await
                }
            )+
            authstore_tests::backend_tests!($($body),+);
        }
        mod lucia_v1 {
            $(
                async fn $body(db: &authstore_tests::TestDb) {
                    super::$body::<authstore::lucia_v1::LuciaV1Store>(db).await
                }
            )+
            authstore_tests::backend_tests!($($body),+);
        }
    };
}

lucia_tests!(
    own_changes_are_seen_at_once_and_hits_skip_the_database,
    other_writers_are_seen_within_the_staleness_bound,
    bounds_and_listening_are_checked,
);

/// Whether a validation found a `fresh` session, if it found one.
fn fresh(found: Option<(bool, DateTime<Utc>)>) -> Option<bool> {
    found.map(|(fresh, _)| fresh)
}

async fn migrated<L: Lucia>(db: &TestDb) {
    L::PROFILE.up(&db.conn).await.expect("migrate");
}

async fn sql(db: &TestDb, statement: String) {
    db.conn.execute_unprepared(&statement).await.unwrap();
}

async fn own_changes_are_seen_at_once_and_hits_skip_the_database<L: Lucia>(db: &TestDb) {
    migrated::<L>(db).await;
    let clock = TestClock::new();
    let lucia = L::new(db.conn.clone(), Some((1_000, TimeDelta::minutes(1))))
        .unwrap()
        .with_clock(&clock);
    let user = lucia.new_user().await;

    // A hit skips the database: a row deleted behind the store's back is
    // still served (within the staleness bound), until this process signs
    // the session out.
    let first = lucia.new_session(&user).await;
    assert_eq!(fresh(lucia.validate(&first).await), Some(false));
    sql(
        db,
        format!("DELETE FROM {} WHERE id = '{first}'", L::SESSIONS),
    )
    .await;
    assert_eq!(
        fresh(lucia.validate(&first).await),
        Some(false),
        "served from memory"
    );
    assert!(!lucia.invalidate(&first).await);
    assert_eq!(
        lucia.validate(&first).await,
        None,
        "sign-out is seen at once"
    );

    // Sign-out everywhere.
    let phone = lucia.new_session(&user).await;
    let laptop = lucia.new_session(&user).await;
    assert!(lucia.validate(&phone).await.is_some());
    assert!(lucia.validate(&laptop).await.is_some());
    assert_eq!(lucia.invalidate_user(&user).await, 2);
    assert_eq!(lucia.validate(&phone).await, None);
    assert_eq!(lucia.validate(&laptop).await, None);

    // Due for renewal (v3) or idle (v1): the database decides, every time
    // until the cookie changes; a cached entry is never served as it was.
    let tablet = lucia.new_session(&user).await;
    assert_eq!(fresh(lucia.validate(&tablet).await), Some(false));
    clock.advance(L::DUE);
    assert_eq!(
        fresh(lucia.validate(&tablet).await),
        Some(true),
        "renewed, not served from memory"
    );
    // And after it, the cache answers as the database does (v3: the renewed
    // session, no longer fresh; v1: the old cookie's session is still idle,
    // so it is replaced again, with periods from the new now).
    clock.advance(TimeDelta::minutes(1));
    let uncached = L::new(db.conn.clone(), None).unwrap().with_clock(&clock);
    let from_cache = lucia.validate(&tablet).await;
    assert_eq!(from_cache, uncached.validate(&tablet).await);

    // Expiry: never served once the session is dead.
    let watch = lucia.new_session(&user).await;
    assert!(lucia.validate(&watch).await.is_some());
    clock.advance(L::DEAD);
    assert_eq!(lucia.validate(&watch).await, None);

    let last = lucia.new_session(&user).await;
    assert!(lucia.validate(&last).await.is_some());
    lucia.delete_user(&user).await;
    assert_eq!(
        lucia.validate(&last).await,
        None,
        "user deletion is seen at once"
    );
}

/// Without a listener (and on MySQL/MariaDB and SQLite always), another
/// writer's change is served until the entry is `max_staleness` old.
async fn other_writers_are_seen_within_the_staleness_bound<L: Lucia>(db: &TestDb) {
    migrated::<L>(db).await;
    let staleness = Duration::from_millis(300);
    let lucia = L::new(db.conn.clone(), Some((1_000, TimeDelta::milliseconds(300)))).unwrap();
    let user = lucia.new_user().await;
    let session = lucia.new_session(&user).await;
    assert!(lucia.validate(&session).await.is_some());
    let deleted_at = Instant::now();
    sql(
        db,
        format!("DELETE FROM {} WHERE id = '{session}'", L::SESSIONS),
    )
    .await;
    loop {
        // The entry was cached before the delete, so any lookup that *starts*
        // more than `staleness` after it must miss; time the start, not the
        // return, or a slow lookup begun in time would count as a stale hit.
        let asked_after = deleted_at.elapsed();
        if lucia.validate(&session).await.is_none() {
            break;
        }
        assert!(
            asked_after <= staleness,
            "served beyond the staleness bound ({asked_after:?} after the delete)"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A cache needs positive bounds; listening needs a cache and PostgreSQL.
async fn bounds_and_listening_are_checked<L: Lucia>(db: &TestDb) {
    for (entries, staleness) in [
        (0, TimeDelta::seconds(1)),
        (1, TimeDelta::zero()),
        (1, TimeDelta::seconds(-1)),
    ] {
        assert!(matches!(
            L::new(db.conn.clone(), Some((entries, staleness))),
            Err(Error::Config(ConfigError::NotPositive("session_cache")))
        ));
    }
    let uncached = L::new(db.conn.clone(), None).unwrap();
    assert!(matches!(
        uncached.listen(),
        Err(Error::Config(ConfigError::NoSessionCache))
    ));
    let cached = L::new(db.conn.clone(), Some((10, TimeDelta::seconds(1)))).unwrap();
    match db.backend {
        Backend::Postgres => cached.listen().unwrap().abort(),
        _ => assert!(matches!(
            cached.listen(),
            Err(Error::Config(ConfigError::NotPostgres))
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lucia_v3_revocations_by_other_writers_are_heard() {
    every_revocation_by_another_writer_is_heard::<LuciaStore>("cache_lucia_v3").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lucia_v1_revocations_by_other_writers_are_heard() {
    every_revocation_by_another_writer_is_heard::<LuciaV1Store>("cache_lucia_v1").await
}

/// Store `a` caches and listens; store `b`, on its own pool, is "another
/// process" (or the Lucia app) without a cache.
async fn every_revocation_by_another_writer_is_heard<L: Lucia>(test: &str) {
    let Some(db) = TestDb::create(Backend::Postgres, test).await else {
        return;
    };
    migrated::<L>(&db).await;
    let a = L::new(db.conn.clone(), Some((1_000, TimeDelta::minutes(1)))).unwrap();
    a.listen().unwrap();
    let b_conn = authstore_tests::connect(&db.url).await.unwrap();
    let b = L::new(b_conn, None).unwrap();
    db.wait_for_listeners(1).await;

    let mut delays = Vec::new();
    for how in [
        "sign-out",
        "sign-out everywhere",
        "SQL DELETE",
        "SQL expiry",
        "user deletion",
    ] {
        let user = b.new_user().await;
        let session = b.new_session(&user).await;
        assert!(a.validate(&session).await.is_some());
        match how {
            "sign-out" => assert!(b.invalidate(&session).await),
            "sign-out everywhere" => assert_eq!(b.invalidate_user(&user).await, 1),
            "SQL DELETE" => {
                sql(
                    &db,
                    format!("DELETE FROM {} WHERE id = '{session}'", L::SESSIONS),
                )
                .await
            }
            "SQL expiry" => sql(&db, L::EXPIRE.replace("$1", &format!("'{session}'"))).await,
            "user deletion" => b.delete_user(&user).await,
            _ => unreachable!(),
        }
        let started = Instant::now();
        while a.validate(&session).await.is_some() {
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{how}: still served after 2 s (the staleness bound is 60 s)"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        delays.push(format!(
            "{how} {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }
    let _ = writeln!(
        std::io::stderr(),
        "figures: postgres: {}: seen through the cache of another store after: {}",
        L::PROFILE,
        delays.join(", ")
    );
    db.destroy().await;
}

/// Lucia v3's tables beside next-auth's in one PostgreSQL database (an app
/// moving from one to the other): each profile's triggers keep their own
/// functions and channels, so each cache hears its own profile's changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lucia_v3_beside_next_auth_each_cache_hears_its_own() {
    let Some(db) = TestDb::create(Backend::Postgres, "cache_beside").await else {
        return;
    };
    Profile::NextAuthV3.up(&db.conn).await.expect("migrate");
    // One database keeps one profile's migration history: Lucia's
    // migrations run here without it.
    for migration in authstore_migration::lucia_v3::migrations() {
        migration
            .up(&sea_orm_migration::SchemaManager::new(&db.conn))
            .await
            .unwrap();
    }
    let config = authstore::Config::builder("cache")
        .session_cache(1_000, TimeDelta::minutes(1))
        .build()
        .unwrap();
    let next_auth = authstore::AuthStore::new(db.conn.clone(), config);
    next_auth.listen_for_session_changes().unwrap();
    let lucia =
        <LuciaStore as Lucia>::new(db.conn.clone(), Some((1_000, TimeDelta::minutes(1)))).unwrap();
    lucia.listen().unwrap();
    db.wait_for_listeners(2).await;

    // next-auth: a session cached, then deleted in SQL.
    let user = next_auth
        .users()
        .create(authstore::NewUser::default())
        .await
        .unwrap();
    let session = next_auth.sessions().create(user.id).await.unwrap();
    let token = session.session_token.expose();
    let lookup = async || {
        next_auth
            .sessions()
            .get_session_and_user(token)
            .await
            .unwrap()
    };
    assert!(lookup().await.is_some());
    sql(
        &db,
        format!("DELETE FROM sessions WHERE id = {}", session.id),
    )
    .await;
    let started = Instant::now();
    while lookup().await.is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "next-auth's deletion unheard after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    // Lucia: the same.
    let user = lucia.new_user().await;
    let id = lucia.new_session(&user).await;
    assert!(lucia.validate(&id).await.is_some());
    sql(&db, format!("DELETE FROM user_session WHERE id = '{id}'")).await;
    let started = Instant::now();
    while lucia.validate(&id).await.is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "Lucia's deletion unheard after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    db.destroy().await;
}
