//! SeaORM entities, one module per schema profile ([`Profile`]): [`next_auth_v3`]
//! (`users`, `accounts`, `sessions`, `verification_requests`; also
//! re-exported at the crate root, as the default profile),
//! [`next_auth_v4_beta`] (`users`, `accounts`, `sessions`,
//! `verification_tokens`), [`next_auth_v2_beta`] (as v3, with `created` /
//! `updated` and wall-clock times), [`lucia_v3`] (`auth_user`,
//! `user_session`), [`lucia_v1`] (`auth_user`, `auth_session`,
//! `auth_key`), [`better_auth`] (`user`, `session`, `account`,
//! `verification`), [`authjs_pg`] (`users`, `accounts`, `sessions`,
//! `verification_token`, as `@auth/pg-adapter` names them) and
//! [`authjs_drizzle`] (`user`, `account`, `session`, `verificationToken`,
//! `authenticator`, as `@auth/drizzle-adapter` names them) and
//! [`authjs_prisma`] (`User`, `Account`, `Session`, `VerificationToken`,
//! `Authenticator`, the Prisma adapter's models).
//!
//! Each profile's `generated/` folder is written by
//! `scripts/regenerate-entities.sh <profile>` (sea-orm-cli) and never edited
//! by hand; CI regenerates every profile and fails on any difference. The one
//! hand-written file of a profile is its `behavior.rs` (see
//! [row clocks](self#row-clocks)), the `ActiveModelBehavior` impls the
//! generator is told to leave out.
//!
//! # Row clocks
//!
//! Every table has `created_at` and `updated_at`. Saving an `ActiveModel`
//! fills `created_at` and `updated_at` on insert and refreshes `updated_at`
//! on update, unless the caller set them, so code that writes the entities
//! directly keeps them true without thinking about it:
//!
//! ```
//! use authstore_entity::users;
//! use sea_orm::{ActiveModelBehavior, Set};
//!
//! let user = users::ActiveModel { email: Set(Some("ada@example.com".into())), ..users::ActiveModel::new() };
//! assert!(user.updated_at.is_not_set()); // filled in by `before_save`
//! ```
//!
//! # Secrets
//!
//! `sessions::Model` and `accounts::Model` hold live tokens in plain fields
//! and derive `Debug`, as generated code does. Do not log them; the
//! `authstore` crate hands out wrappers whose `Debug` redacts the tokens.

pub mod authjs_drizzle;
pub mod authjs_pg;
pub mod authjs_prisma;
mod behavior;
pub mod better_auth;
pub mod descriptor;
pub mod lucia_v1;
pub mod lucia_v3;
pub mod next_auth_v2_beta;
pub mod next_auth_v3;
pub mod next_auth_v4_beta;
pub mod own_tables;
mod profile;

pub use descriptor::{Descriptor, RepeatedCookie};
pub use profile::{NotifyChannels, Profile};

pub use next_auth_v3::*;
