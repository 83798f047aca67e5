//! `authstore-migration`: the sea-orm-migration CLI for authstore's schemas.
//!
//! `DATABASE_URL` (or `-u`) names the database and `AUTHSTORE_PROFILE` the
//! schema profile (default `next-auth-v3`); `up`, `down`, `status`, `fresh`,
//! `refresh` and `reset` work as in every sea-orm-migration binary.
//! `profiles` lists the profiles' names, one per line (the regeneration
//! script reads them from here rather than keeping a list of its own).
//!
//! `carry-over` moves an older profile's users into a better-auth database
//! (`AUTHSTORE_PROFILE=better-auth`, `DATABASE_URL` the target):
//!
//! ```text
//! carry-over --from <profile> --source <url> [--dry-run] [--batch <users>]
//!            [--email-column <column>] [--password-column <column>]
//! ```
//!
//! It migrates the target first if needed, shows a progress bar, and ends
//! with the report: what moved, and each user or part of one that did not,
//! with why (docs/leaving-a-deprecated-system.md).

use std::process::ExitCode;

use authstore_migration::{Profile, ProfileMigrations};

mod carry_over;

#[tokio::main]
async fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("profiles") => {
            for profile in Profile::ALL {
                println!("{profile}");
            }
            return ExitCode::SUCCESS;
        }
        Some("carry-over") => return carry_over::main(std::env::args().skip(2)).await,
        _ => {}
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
