//! Rows of an Auth.js adapter's tables that only hand-written SQL (or
//! another tool) makes, read by both Auth.js profiles: an infinite time
//! (PostgreSQL's `infinity`, which no JS `Date` holds) is a typed error for
//! a session and no verification for a user, never a panic; and expired
//! sessions are purged in batches, on tables with ids (`authjs-pg`) and
//! without (`authjs-drizzle`, `authjs-prisma`, keyed by the token). A user
//! without an address is refused where the schema requires one. The
//! carry-over reads such rows as the stores do.

use authstore::authjs::{
    AuthJsAdapter, AuthJsConfig, AuthJsStore, DrizzleAdapter, PgAdapter, PrismaAdapter,
};
use authstore::better_auth::carry_over::{CarryOver, Source};
use authstore::{Error, NewUser, Profile};
use authstore_migration::ProfileMigrations;
use authstore_tests::{Backend, TestDb};
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn pg_adapter_rows() {
    hand_written_rows(PgAdapter).await;
}

#[tokio::test]
async fn drizzle_adapter_rows() {
    hand_written_rows(DrizzleAdapter).await;
}

#[tokio::test]
async fn prisma_adapter_rows() {
    hand_written_rows(PrismaAdapter).await;
}

async fn hand_written_rows<A: AuthJsAdapter>(adapter: A) {
    let name = format!("hand_rows_{}", A::PROFILE.name().replace('-', "_"));
    let Some(db) = TestDb::create(Backend::Postgres, &name).await else {
        return;
    };
    A::PROFILE.up(&db.conn).await.unwrap();
    let store = AuthJsStore::with_adapter(adapter, db.conn.clone(), AuthJsConfig::default());
    let ada = NewUser {
        email: Some("ada@example.com".into()),
        ..Default::default()
    };
    let ada = store.create_user(ada).await.unwrap();
    let (users, sessions) = (A::SCHEMA.users, A::SCHEMA.sessions);
    let id = &ada.id;
    // Prisma's `updatedAt` has no default: its client writes it.
    let (clock, now) = match A::SCHEMA.row_clocks {
        true => (r#", "updatedAt""#, ", now()"),
        false => ("", ""),
    };
    let session = |token: &str, expires: &str| {
        format!(
            r#"INSERT INTO "{sessions}" ("userId", expires, "sessionToken"{clock}) VALUES ('{id}', {expires}, '{token}'{now})"#
        )
    };
    for statement in [
        format!(r#"UPDATE "{users}" SET "emailVerified" = 'infinity' WHERE id = '{id}'"#),
        session("0a1b2c3d-0000-4000-8000-00000infinite", "'infinity'"),
        session("0a1b2c3d-0000-4000-8000-00000000live", "'2099-01-01'"),
        session("0a1b2c3d-0000-4000-8000-000000dead01", "'2001-01-01'"),
        session("0a1b2c3d-0000-4000-8000-000000dead02", "'2001-01-02'"),
    ] {
        db.conn.execute_unprepared(&statement).await.unwrap();
    }

    let infinite = store
        .get_session_and_user("0a1b2c3d-0000-4000-8000-00000infinite")
        .await;
    assert!(matches!(infinite, Err(Error::Database(_))), "{infinite:?}");
    let user = store.get_user(ada.id.clone()).await.unwrap().unwrap();
    assert_eq!(user.email_verified, None, "an infinite time is no time");
    let live = store
        .get_session_and_user("0a1b2c3d-0000-4000-8000-00000000live")
        .await
        .unwrap()
        .expect("a live session of that user");
    assert_eq!(live.user.email_verified, None);

    // A user without an address, where the schema wants one: refused
    // before anything is written.
    let nobody = store.create_user(NewUser::default()).await;
    match A::SCHEMA.email_required {
        true => assert!(
            matches!(&nobody, Err(Error::Validation(e)) if e.field_errors().contains_key("email")),
            "{nobody:?}"
        ),
        false => assert!(nobody.is_ok(), "{nobody:?}"),
    }
    let users_now = usize::from(!A::SCHEMA.email_required) + 1;
    assert_eq!(db.count_rows(users).await, users_now as i64);

    // The carry-over reads them too, as no time: the user is carried
    // unverified, the infinite session not at all (no expiry, no session).
    let target = TestDb::create(Backend::Postgres, &format!("{name}_to"))
        .await
        .unwrap();
    Profile::BetterAuth.up(&target.conn).await.unwrap();
    let report = CarryOver::new(Source::of(A::PROFILE, None, None).unwrap())
        .run(&db.conn, &target.conn, |_| {})
        .await
        .unwrap();
    assert_eq!((report.users, report.sessions), (1, 1), "{report:?}");
    target.destroy().await;

    assert_eq!(store.delete_expired_sessions().await.unwrap(), 2);
    assert_eq!(
        db.count_rows(sessions).await,
        2,
        "the live and the infinite one"
    );
    db.destroy().await;
}
