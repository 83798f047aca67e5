//! Profile `authjs-pg`: the tables of `@auth/pg-adapter` 1.11's
//! `schema.sql` (`users`, `accounts`, `sessions`, `verification_token`),
//! which next-auth 4.24 and Auth.js v5 apps on PostgreSQL share. Ids are
//! `serial`; the schema declares no unique or foreign key.
//!
//! `generated/` is sea-orm-cli's output for this profile's migrated
//! database (`scripts/regenerate-entities.sh authjs-pg`), never edited;
//! `behavior.rs` holds the `ActiveModelBehavior` impls it leaves out.

// sea-orm-cli writes no docs, and its output is never edited.
#[allow(missing_docs)]
#[path = "generated/lib.rs"]
mod generated;

pub use generated::*;

mod behavior;
