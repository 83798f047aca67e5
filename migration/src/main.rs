//! `authstore-migration`: the sea-orm-migration CLI for authstore's schema.
//!
//! `DATABASE_URL` names the database; `up`, `down`, `status`, `fresh`,
//! `refresh` and `reset` work as in every sea-orm-migration binary.

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(authstore_migration::Migrator).await;
}
