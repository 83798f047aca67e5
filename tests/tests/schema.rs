//! The PostgreSQL schema each profile's migration builds is its seed's,
//! column for column and index for index, plus only the additions we allow.
//!
//! The seed DDL goes into one fresh database and the profile's migrations into
//! another; both are then read back from `information_schema` and
//! `pg_indexes`.

use authstore_migration::{Profile, ProfileMigrations};
use authstore_tests::pg_schema::{COLUMNS, INDEXES};
use authstore_tests::{Backend, TestDb};
use sea_orm::ConnectionTrait;

const FOREIGN_KEYS: &str = "
    SELECT concat_ws(' ', tc.constraint_name, kcu.table_name || '.' || kcu.column_name, '->',
                     ccu.table_name || '.' || ccu.column_name, 'ON DELETE', rc.delete_rule) AS name
    FROM information_schema.table_constraints tc
    JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
    JOIN information_schema.constraint_column_usage ccu USING (constraint_schema, constraint_name)
    JOIN information_schema.referential_constraints rc USING (constraint_schema, constraint_name)
    WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'
    ORDER BY 1";

#[tokio::test]
async fn postgres_schema_matches_next_auth_v3_seed() {
    let ddl = include_str!("../fixtures/next-auth-v3-postgres.sql");
    matches_seed(Profile::NextAuthV3, ddl).await;
}

#[tokio::test]
async fn postgres_schema_matches_next_auth_v4_beta_seed() {
    let ddl = include_str!("../fixtures/next-auth-v4-beta-postgres.sql");
    matches_seed(Profile::NextAuthV4Beta, ddl).await;
}

/// Seed 002 has no DDL of its own: the fixture is derived from its JSON, with
/// its known errors corrected (see the fixture's header), and checked against
/// next-auth 2.0 beta's own `synchronize` in `interop_v2_beta.rs`.
#[tokio::test]
async fn postgres_schema_matches_next_auth_v2_beta_models() {
    let ddl = include_str!("../fixtures/next-auth-v2-beta-postgres.sql");
    matches_seed(Profile::NextAuthV2Beta, ddl).await;
}

async fn matches_seed(profile: Profile, seed_ddl: &str) {
    let Some(seed) = TestDb::create(Backend::Postgres, "seed_schema").await else {
        return;
    };
    let ours = TestDb::create(Backend::Postgres, "our_schema")
        .await
        .expect("postgres is up");
    seed.conn
        .execute_unprepared(seed_ddl)
        .await
        .expect("apply the seed DDL");
    profile.up(&ours.conn).await.expect("apply our migration");
    let seed_columns = seed.strings(COLUMNS).await;
    assert_eq!(
        seed_columns.len(),
        31,
        "the seed has 31 columns over 4 tables"
    );
    assert_eq!(
        ours.strings(COLUMNS).await,
        seed_columns,
        "columns must match the seed exactly"
    );

    let seed_indexes = seed.strings(INDEXES).await;
    let our_indexes = ours.strings(INDEXES).await;
    let missing: Vec<_> = seed_indexes
        .iter()
        .filter(|i| !our_indexes.contains(i))
        .collect();
    let extra: Vec<_> = our_indexes
        .iter()
        .filter(|i| !seed_indexes.contains(i))
        .collect();
    assert!(
        missing.is_empty(),
        "indexes of the seed missing or different: {missing:?}"
    );
    assert_eq!(
        extra,
        ["CREATE INDEX sessions_user_id ON public.sessions USING btree (user_id)"]
    );

    assert_eq!(
        seed.strings(FOREIGN_KEYS).await,
        Vec::<String>::new(),
        "next-auth created no foreign keys"
    );
    assert_eq!(
        ours.strings(FOREIGN_KEYS).await,
        [
            "fk_accounts_user_id accounts.user_id -> users.id ON DELETE CASCADE",
            "fk_sessions_user_id sessions.user_id -> users.id ON DELETE CASCADE",
        ]
    );

    seed.destroy().await;
    ours.destroy().await;
}
