//! `authstore-migration`: the sea-orm-migration CLI for authstore's schemas.
//!
//! `DATABASE_URL` (or `-u`) names the database and `AUTHSTORE_PROFILE` the
//! schema profile (default `next-auth-v3`); `up`, `down`, `status`, `fresh`,
//! `refresh` and `reset` work as in every sea-orm-migration binary.
//! `profiles` lists the profiles' names, one per line (the regeneration
//! script reads them from here rather than keeping a list of its own).

use std::process::ExitCode;

use authstore_migration::{Profile, ProfileMigrations};

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("profiles") {
        for profile in Profile::ALL {
            println!("{profile}");
        }
        return ExitCode::SUCCESS;
    }
    let profile = match Profile::from_env() {
        Ok(profile) => profile,
        Err(why) => {
            eprintln!("authstore-migration: AUTHSTORE_PROFILE: {why}");
            return ExitCode::from(2);
        }
    };
    profile.run_cli().await;
    ExitCode::SUCCESS
}
