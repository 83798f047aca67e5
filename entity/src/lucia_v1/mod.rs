//! Profile `lucia-v1` (seed 003): lucia-auth v1's `auth_user`,
//! `auth_session` (expiries in milliseconds since the epoch) and `auth_key`
//! tables, and authstore's own `authstore_sign_in_attempt` (the sign-in
//! attempt limit's counts; Lucia never reads it).
//!
//! `generated/` is sea-orm-cli's output for this profile's migrated
//! database (`scripts/regenerate-entities.sh lucia-v1`), never edited;
//! `behavior.rs` holds the `ActiveModelBehavior` impls it leaves out.

// sea-orm-cli writes no docs, and its output is never edited.
#[allow(missing_docs)]
#[path = "generated/lib.rs"]
mod generated;

pub use generated::*;

mod behavior;
