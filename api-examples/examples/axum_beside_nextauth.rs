//! An axum service that recognises the people signed in to a next-auth v3
//! app sharing its PostgreSQL database:
//!
//!     DATABASE_URL=postgres://… NEXTAUTH_URL=https://app.example.com \
//!     NEXTAUTH_SECRET=… cargo run -p authstore-examples --example axum_beside_nextauth
use authstore::web::{SignedIn, WebSessions};
use authstore::{AuthStore, Config, SessionAndUser};
use authstore_migration::{Migrator, MigratorTrait};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde_json::{Value, json};

type Sessions = WebSessions<AuthStore>;

/// 401 JSON when nobody is signed in; renewals re-send next-auth's cookie.
async fn me(SignedIn { session, .. }: SignedIn<SessionAndUser>) -> Json<Value> {
    Json(json!({ "id": session.user.id, "email": session.user.email }))
}

/// Ends the session for both apps and expires the cookie in the browser.
async fn sign_out(
    State(sessions): State<Sessions>,
    signed_in: SignedIn<SessionAndUser>,
) -> Result<CookieJar, String> {
    let removal = sessions
        .sign_out(&signed_in)
        .await
        .map_err(|e| e.to_string())?;
    Ok(CookieJar::new().add(removal))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let db = sea_orm::Database::connect(env("DATABASE_URL")?).await?;
    Migrator::up(&db, None).await?; // adopts next-auth's tables; changes no row
    let store = AuthStore::new(db, Config::new(env("NEXTAUTH_SECRET")?)?);
    // https in NEXTAUTH_URL means the `__Secure-next-auth.session-token` cookie.
    let sessions = WebSessions::new(store, &env("NEXTAUTH_URL")?)?;
    let app = Router::new()
        .route("/me", get(me))
        .route("/signout", post(sign_out))
        .layer(sessions.layer())
        .with_state(sessions);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:4000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
