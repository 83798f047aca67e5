//! Profile `better-auth`: better-auth 1.7's `user`, `session`, `account` and
//! `verification` tables, with their camelCase columns, where the users of
//! every older profile move to (see `docs/leaving-a-deprecated-system.md`).
//!
//! `generated/` is sea-orm-cli's output for this profile's migrated
//! database (`scripts/regenerate-entities.sh better-auth`), never edited;
//! `behavior.rs` holds the `ActiveModelBehavior` impls it leaves out, and
//! `schema.rs` the profile's facts.

// sea-orm-cli writes no docs, and its output is never edited.
#[allow(missing_docs)]
#[path = "generated/lib.rs"]
mod generated;

pub use generated::*;

mod behavior;
mod schema;

pub use schema::{BETTER_AUTH, BetterAuthSchema, BetterAuthTime, column};
