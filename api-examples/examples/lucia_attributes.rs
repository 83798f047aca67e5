//! A Lucia v3 database with the app's own attribute columns: authstore's
//! `LuciaStore` handles sessions, and the app reads and writes its
//! attributes with an entity of its own.
//! `cargo run -p authstore-examples --example lucia_attributes`
use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore_migration::{Profile, ProfileMigrations};
use sea_orm::{ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, EntityTrait, Set};

/// The app's view of `auth_user`: Lucia's `id` plus the app's `username`.
mod app_user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "auth_user")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub username: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut options = ConnectOptions::new("sqlite::memory:");
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await?;
    Profile::LuciaV3.up(&db).await?;
    // The app's own migration adds its attribute column (with a default, so
    // authstore's inserts, which name only Lucia's columns, still work).
    db.execute_unprepared("ALTER TABLE auth_user ADD COLUMN username TEXT NOT NULL DEFAULT ''")
        .await?;

    let lucia = LuciaStore::new(db.clone(), LuciaConfig::default());
    let user = lucia.create_user(None).await?;
    app_user::ActiveModel {
        id: Set(user.id.clone()),
        username: Set("ada".into()),
    }
    .update(&db)
    .await?;

    let session = lucia.create_session(&user.id).await?;
    println!(
        "auth_session cookie: {} characters",
        session.id.expose().len()
    );
    let valid = lucia
        .validate_session(session.id.expose())
        .await?
        .ok_or("the new session validates")?;
    let me = app_user::Entity::find_by_id(valid.user.id.clone())
        .one(&db)
        .await?
        .ok_or("the user exists")?;
    println!("signed in as {} (user id {})", me.username, me.id);
    assert_eq!(me.username, "ada");
    Ok(())
}
