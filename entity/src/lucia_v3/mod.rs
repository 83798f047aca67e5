//! Profile `lucia-v3` (seed 004): Lucia v3's `auth_user` and `user_session`
//! tables. Apps add attribute columns to both; these entities hold Lucia's
//! own columns only, so an app reads its attributes with an entity of its
//! own (see `api-examples/examples/lucia_attributes.rs`).
//!
//! `generated/` is sea-orm-cli's output for this profile's migrated
//! database (`scripts/regenerate-entities.sh lucia-v3`), never edited;
//! `behavior.rs` holds the `ActiveModelBehavior` impls it leaves out.

// sea-orm-cli writes no docs, and its output is never edited.
#[allow(missing_docs)]
#[path = "generated/lib.rs"]
mod generated;

pub use generated::*;

mod behavior;
