//! Profile `authjs-prisma`: the PostgreSQL tables of `@auth/prisma-adapter`
//! 2.11's documented schema (`User`, `Account`, `Session`,
//! `VerificationToken`, `Authenticator`), as Prisma maps its models. Ids
//! are CUIDs and `updatedAt` has no default: Prisma's client writes both.
//! `Session` has no primary key (its token is only unique), and a SeaORM
//! entity needs one: there is no `session` entity, and its rows are the
//! store's (`authstore::authjs::AuthJsStore<_, PrismaAdapter>`).
//!
//! `generated/` is sea-orm-cli's output for this profile's migrated
//! database (`scripts/regenerate-entities.sh authjs-prisma`), never
//! edited; `behavior.rs` holds the `ActiveModelBehavior` impls it leaves
//! out.

// sea-orm-cli writes no docs, and its output is never edited.
#[allow(missing_docs)]
#[path = "generated/lib.rs"]
mod generated;

pub use generated::*;

mod behavior;
