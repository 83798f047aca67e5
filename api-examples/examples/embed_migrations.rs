//! A host app that runs authstore's migrations beside its own, in one
//! migrator and one `seaql_migrations` history:
//! `cargo run -p authstore-examples --example embed_migrations`
//!
//! `tests/tests/migration.rs` runs this very `app_migrations` module on every
//! backend.
use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::{ConnectOptions, Database};

/// What a host app's migration crate would hold.
pub mod app_migrations {
    use sea_orm_migration::prelude::*;

    /// The app's migrator: authstore's migrations first, then the app's.
    pub struct AppMigrator;

    #[async_trait::async_trait]
    impl MigratorTrait for AppMigrator {
        fn migrations() -> Vec<Box<dyn MigrationTrait>> {
            let mut all = authstore_migration::migrations();
            all.push(Box::new(CreatePosts));
            all
        }
    }

    /// The app's own table, which refers to authstore's `users`.
    #[derive(DeriveMigrationName)]
    pub struct CreatePosts;

    #[async_trait::async_trait]
    impl MigrationTrait for CreatePosts {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            let posts = Table::create()
                .table("posts")
                .col(
                    ColumnDef::new("id")
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new("author_id").integer().not_null())
                .col(ColumnDef::new("title").string_len(200).not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from("posts", "author_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned();
            manager.create_table(posts).await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table("posts").to_owned())
                .await
        }
    }
}

#[allow(dead_code)] // `main` is unused when the migration tests include this file.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use app_migrations::AppMigrator;
    let mut options = ConnectOptions::new("sqlite::memory:");
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await?;
    AppMigrator::up(&db, None).await?;
    for migration in AppMigrator::get_applied_migrations(&db).await? {
        println!("applied {}", migration.name());
    }
    AppMigrator::down(&db, None).await?;
    println!(
        "rolled back: {} pending again",
        AppMigrator::get_pending_migrations(&db).await?.len()
    );
    Ok(())
}
