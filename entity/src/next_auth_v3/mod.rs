//! Profile `next-auth-v3` (seed 000): next-auth v3's TypeORM schema,
//! `users`, `accounts`, `sessions` and `verification_requests`.
//!
//! `generated/` is sea-orm-cli's output for this profile's migrated
//! database (`scripts/regenerate-entities.sh next-auth-v3`), never edited;
//! `behavior.rs` holds the `ActiveModelBehavior` impls it leaves out.

// sea-orm-cli writes no docs, and its output is never edited.
#[allow(missing_docs)]
#[path = "generated/lib.rs"]
mod generated;

pub use generated::*;

mod behavior;
