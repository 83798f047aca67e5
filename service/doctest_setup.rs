// Included by the doc examples: runs `body` against a fresh, migrated
// in-memory SQLite database. Not part of the library.
#[allow(dead_code)]
pub fn doc_example(body: impl AsyncFnOnce(authstore::AuthStore) -> Result<(), authstore::Error>) {
    use authstore_migration::MigratorTrait as _;
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        // One connection: each connection to `sqlite::memory:` is its own database.
        let mut options = sea_orm::ConnectOptions::new("sqlite::memory:");
        options.max_connections(1).sqlx_logging(false);
        let db = sea_orm::Database::connect(options).await.unwrap();
        authstore_migration::Migrator::up(&db, None).await.unwrap();
        let config = authstore::Config::new("doc-example-secret").unwrap();
        body(authstore::AuthStore::new(db, config)).await.unwrap();
    })
}
