//! Profile `next-auth-v2-beta` (seed 002): next-auth 2.0 beta's built-in
//! TypeORM models, `users`, `accounts`, `sessions` and
//! `verification_requests` (with its `identifer` column), with `created` /
//! `updated` row clocks and wall-clock times (`timestamp without time zone`,
//! hence `DateTime` = `chrono::NaiveDateTime` fields).
//!
//! `generated/` is sea-orm-cli's output for this profile's migrated
//! database (`scripts/regenerate-entities.sh next-auth-v2-beta`), never
//! edited; `behavior.rs` holds the `ActiveModelBehavior` impls it leaves out.

// sea-orm-cli writes no docs, and its output is never edited.
#[allow(missing_docs)]
#[path = "generated/lib.rs"]
mod generated;

pub use generated::*;

mod behavior;
