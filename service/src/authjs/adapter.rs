//! Which Auth.js adapter's tables a store speaks. The adapters share one
//! data model and differ in their names, in who makes a user's id and in
//! how they store a time; the names and kinds are the profile's descriptor
//! (`authstore_entity::descriptor`), the id's Rust type is here.

use authstore_entity::Profile;
use authstore_entity::descriptor::{AUTHJS_DRIZZLE, AUTHJS_PG, AUTHJS_PRISMA, AuthJsSchema};

use crate::backend::BuiltOnce;
use crate::rules::token;

/// An Auth.js database adapter whose tables an
/// [`AuthJsStore`](super::AuthJsStore) speaks: [`PgAdapter`] (the default),
/// [`DrizzleAdapter`] or [`PrismaAdapter`]. Its [`Id`](AuthJsAdapter::Id) is the type of a
/// user's id in that adapter's tables.
///
/// ```
/// use authstore::authjs::{AuthJsAdapter, AuthJsUser, DrizzleAdapter};
/// let user: AuthJsUser<<DrizzleAdapter as AuthJsAdapter>::Id> = AuthJsUser {
///     id: "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed".to_owned(),
///     name: None, email: None, email_verified: None, image: None,
/// };
/// # let _ = user;
/// ```
pub trait AuthJsAdapter:
    sealed::Sealed + Clone + Copy + std::fmt::Debug + Default + PartialEq + Eq + Send + Sync + 'static
{
    /// A user's id: `i32` where the database numbers users, `String`
    /// where the writer makes a UUID.
    type Id: sealed::Key;

    /// The profile whose tables these are.
    const PROFILE: Profile;

    /// Its tables' names and kinds.
    const SCHEMA: &'static AuthJsSchema;

    /// The id a new user gets from the writer; `None` where the database
    /// numbers users.
    fn new_user_id() -> Option<Self::Id>;

    /// The per-request lookup's SQL, built once per adapter (a static of
    /// each implementation's own).
    #[doc(hidden)]
    #[allow(
        private_interfaces,
        reason = "sealed: only authstore implements and calls it"
    )]
    fn lookup() -> &'static BuiltOnce;
}

pub(crate) mod sealed {
    /// Only authstore's adapters: their ids must be keys the session
    /// lifecycle knows.
    pub trait Sealed {}

    /// What the store needs of an id: a key the session lifecycle and
    /// cache know, a column value. Only `i32` and `String` are.
    #[allow(private_bounds, reason = "sealed: only authstore implements it")]
    pub trait Key:
        crate::lifecycle::UserKey
        + std::str::FromStr
        + std::fmt::Debug
        + std::fmt::Display
        + Eq
        + std::hash::Hash
        + Send
        + Sync
        + Into<sea_orm::Value>
        + sea_orm::TryGetable
        + serde::Serialize
        + 'static
    {
    }

    impl Key for i32 {}
    impl Key for String {}
}

/// `@auth/pg-adapter`'s `schema.sql`: profile `authjs-pg`, serial ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PgAdapter;

/// `@auth/drizzle-adapter`'s default PostgreSQL tables: profile
/// `authjs-drizzle`, UUID text ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrizzleAdapter;

/// `@auth/prisma-adapter`'s documented PostgreSQL schema: profile
/// `authjs-prisma`, CUID text ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrismaAdapter;

impl sealed::Sealed for PgAdapter {}
impl sealed::Sealed for DrizzleAdapter {}
impl sealed::Sealed for PrismaAdapter {}

impl AuthJsAdapter for PgAdapter {
    type Id = i32;
    const PROFILE: Profile = Profile::AuthJsPg;
    const SCHEMA: &'static AuthJsSchema = &AUTHJS_PG;

    fn new_user_id() -> Option<i32> {
        None
    }

    #[allow(
        private_interfaces,
        reason = "sealed: only authstore implements and calls it"
    )]
    fn lookup() -> &'static BuiltOnce {
        static LOOKUP: BuiltOnce = BuiltOnce::new();
        &LOOKUP
    }
}

impl AuthJsAdapter for DrizzleAdapter {
    type Id = String;
    const PROFILE: Profile = Profile::AuthJsDrizzle;
    const SCHEMA: &'static AuthJsSchema = &AUTHJS_DRIZZLE;

    /// `crypto.randomUUID()`, as the schema's `$defaultFn` makes it.
    fn new_user_id() -> Option<String> {
        Some(token::random_uuid().expose().to_owned())
    }

    #[allow(
        private_interfaces,
        reason = "sealed: only authstore implements and calls it"
    )]
    fn lookup() -> &'static BuiltOnce {
        static LOOKUP: BuiltOnce = BuiltOnce::new();
        &LOOKUP
    }
}

impl AuthJsAdapter for PrismaAdapter {
    type Id = String;
    const PROFILE: Profile = Profile::AuthJsPrisma;
    const SCHEMA: &'static AuthJsSchema = &AUTHJS_PRISMA;

    /// A CUID, as the schema's `@default(cuid())` has Prisma's client make
    /// it (the database makes none).
    fn new_user_id() -> Option<String> {
        Some(cuid::cuid1())
    }

    #[allow(
        private_interfaces,
        reason = "sealed: only authstore implements and calls it"
    )]
    fn lookup() -> &'static BuiltOnce {
        static LOOKUP: BuiltOnce = BuiltOnce::new();
        &LOOKUP
    }
}
