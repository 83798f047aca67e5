//! authstore without HTTP, in one sitting:
//! `cargo run -p authstore-examples --example quickstart`
use authstore::{AuthStore, Config, NewAccount, NewUser};
use authstore_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One connection: every connection to `sqlite::memory:` is a new database.
    let mut options = ConnectOptions::new("sqlite::memory:");
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    let store = AuthStore::new(db, Config::new("share this secret with next-auth")?);

    let ada = NewUser {
        email: Some("Ada@Example.com".into()),
        name: Some("Ada".into()),
        ..Default::default()
    };
    let user = store.users().create(ada).await?;
    println!(
        "created user {} <{}>",
        user.id,
        user.email.as_deref().unwrap_or("")
    );

    let github = NewAccount {
        user_id: user.id,
        provider_type: "oauth".into(),
        provider_id: "github".into(),
        provider_account_id: "583231".into(),
        ..Default::default()
    };
    let account = store.accounts().link(github).await?;
    let owner = store.users().get_by_account("github", "583231").await?;
    println!(
        "linked github account {} -> user {:?}",
        account.provider_account_id,
        owner.map(|u| u.id)
    );

    let session = store.sessions().create(user.id).await?;
    println!("session {session:?}"); // tokens print as [redacted]
    let current = store
        .sessions()
        .get_session_and_user(session.session_token.expose())
        .await?;
    let current = current.ok_or("the new session should be valid")?;
    println!(
        "cookie is valid for {} until {}",
        current.user.name.unwrap_or_default(),
        current.session.expires
    );

    let (_, token) = store.verification().create("ada@example.com").await?;
    let first = store
        .verification()
        .consume("ada@example.com", token.expose())
        .await?;
    let second = store
        .verification()
        .consume("ada@example.com", token.expose())
        .await?;
    println!(
        "email link: first use {}, second use {}",
        first.is_some(),
        second.is_some()
    );
    assert!(first.is_some() && second.is_none());
    Ok(())
}
