//! Profile `authjs-drizzle`: the default PostgreSQL tables of
//! `@auth/drizzle-adapter` 1.11 (`user`, `account`, `session`,
//! `verificationToken`, `authenticator`), which next-auth 4.24 and Auth.js
//! v5 apps on Drizzle share. Ids are text (UUIDs the writer makes), times
//! `timestamp` without time zone holding UTC.
//!
//! `generated/` is sea-orm-cli's output for this profile's migrated
//! database (`scripts/regenerate-entities.sh authjs-drizzle`), never
//! edited; `behavior.rs` holds the `ActiveModelBehavior` impls it leaves
//! out.

// sea-orm-cli writes no docs, and its output is never edited.
#[allow(missing_docs)]
#[path = "generated/lib.rs"]
mod generated;

pub use generated::*;

mod behavior;
