//! Unit-testing your own code that uses authstore, on SeaORM's MockDatabase:
//! no database needed. Enable the `mock` feature of `authstore` in your
//! dev-dependencies. Run: `cargo run -p authstore-examples --example mock_tests`
use authstore::entity::{sessions, users};
use authstore::{AuthStore, Config};
use chrono::{TimeDelta, Utc};
use sea_orm::{DatabaseBackend, MockDatabase};

/// Code of "your app": a greeting for whoever holds the cookie.
async fn greeting(store: &AuthStore, cookie: &str) -> Result<String, authstore::Error> {
    Ok(match store.sessions().get_session_and_user(cookie).await? {
        Some(found) => format!(
            "Hello, {}!",
            found.user.name.unwrap_or_else(|| "friend".into())
        ),
        None => "Please sign in.".into(),
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = Utc::now().fixed_offset();
    let user = users::Model {
        id: 1,
        name: Some("Ada".into()),
        email: Some("ada@example.com".into()),
        email_verified: None,
        image: None,
        created_at: now,
        updated_at: now,
    };
    let session = sessions::Model {
        id: 1,
        user_id: 1,
        expires: now + TimeDelta::days(30),
        session_token: "a".repeat(64),
        access_token: "b".repeat(64),
        created_at: now,
        updated_at: now,
    };
    // The mock answers the one JOIN query, then an empty result.
    let db = MockDatabase::new(DatabaseBackend::Postgres)
        .append_query_results([vec![(session, user)]])
        .append_query_results([Vec::<(sessions::Model, users::Model)>::new()])
        .into_connection();
    let store = AuthStore::new(db, Config::new("test-secret")?);

    let hello = greeting(&store, &"a".repeat(64)).await?;
    let stranger = greeting(&store, &"c".repeat(64)).await?;
    assert_eq!(hello, "Hello, Ada!");
    assert_eq!(stranger, "Please sign in.");
    let statements = store.connection().clone().into_transaction_log();
    assert_eq!(statements.len(), 2, "one statement per request");
    println!(
        "{hello} / {stranger} / {} statements sent",
        statements.len()
    );
    Ok(())
}
