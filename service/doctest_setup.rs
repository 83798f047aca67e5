// Included by the doc examples: runs `body` against a fresh, migrated
// in-memory SQLite database of the store's profile. Not part of the library.
use authstore_migration::{Profile, ProfileMigrations as _};

#[allow(dead_code)]
fn run<S>(
    profile: Profile,
    store: impl FnOnce(sea_orm::DatabaseConnection) -> S,
    body: impl AsyncFnOnce(S) -> Result<(), authstore::Error>,
) {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        // One connection: each connection to `sqlite::memory:` is its own database.
        let mut options = sea_orm::ConnectOptions::new("sqlite::memory:");
        options.max_connections(1).sqlx_logging(false);
        let db = sea_orm::Database::connect(options).await.unwrap();
        profile.up(&db).await.unwrap();
        body(store(db)).await.unwrap();
    })
}

#[allow(dead_code)]
pub fn doc_example(body: impl AsyncFnOnce(authstore::AuthStore) -> Result<(), authstore::Error>) {
    let config = authstore::Config::new("doc-example-secret").unwrap();
    run(Profile::NextAuthV3, |db| authstore::AuthStore::new(db, config), body)
}

#[allow(dead_code)]
pub fn lucia_v3_example(
    body: impl AsyncFnOnce(authstore::lucia_v3::LuciaStore) -> Result<(), authstore::Error>,
) {
    use authstore::lucia_v3::{LuciaConfig, LuciaStore};
    run(Profile::LuciaV3, |db| LuciaStore::new(db, LuciaConfig::default()), body)
}

#[allow(dead_code)]
pub fn lucia_v1_example(
    body: impl AsyncFnOnce(authstore::lucia_v1::LuciaV1Store) -> Result<(), authstore::Error>,
) {
    use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store};
    run(Profile::LuciaV1, |db| LuciaV1Store::new(db, LuciaV1Config::default()), body)
}
