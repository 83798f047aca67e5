//! Profile `next-auth-v4-beta` (seed 001): the schema of next-auth's TypeORM
//! docs of August 2021, `users`, `accounts` (with `type` and `provider`),
//! `sessions` and `verification_tokens`.
//!
//! `generated/` is sea-orm-cli's output for this profile's migrated
//! database (`scripts/regenerate-entities.sh next-auth-v4-beta`), never
//! edited; `behavior.rs` holds the `ActiveModelBehavior` impls it leaves out.

// sea-orm-cli writes no docs, and its output is never edited.
#[allow(missing_docs)]
#[path = "generated/lib.rs"]
mod generated;

pub use generated::*;

mod behavior;
