//! Which Auth.js adapter's tables a store speaks. The adapters share one
//! data model and differ in their names, in who makes a user's id and in
//! how they store a time; the names and kinds are the profile's descriptor
//! (`authstore_entity::descriptor`), the id's Rust type is here.

use authstore_entity::Profile;
use authstore_entity::descriptor::{
    AUTHJS_DRIZZLE, AUTHJS_PG, AUTHJS_PRISMA, AUTHJS_PRISMA_V4, AuthJsSchema,
};

use crate::backend::BuiltOnce;
use crate::rules::token;

/// An Auth.js database adapter whose tables an
/// [`AuthJsStore`](super::AuthJsStore) speaks: [`PgAdapter`] (the default),
/// [`DrizzleAdapter`], [`PrismaAdapter`] or [`PrismaV4Adapter`]. Its [`Id`](AuthJsAdapter::Id) is the type of a
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

    /// The id a new user gets from the writer, as the schema's own writer
    /// makes it; `None` where the database numbers users.
    fn new_user_id() -> Option<Self::Id> {
        sealed::Key::made(Self::SCHEMA.user_ids)
    }

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
    use super::token;
    use authstore_entity::descriptor::AuthJsIds;

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
        /// A new id as the writer makes it for `ids`; `None` where the
        /// database numbers rows.
        fn made(ids: AuthJsIds) -> Option<Self>;
    }

    impl Key for i32 {
        fn made(_: AuthJsIds) -> Option<i32> {
            None
        }
    }

    impl Key for String {
        fn made(ids: AuthJsIds) -> Option<String> {
            match ids {
                AuthJsIds::Serial => None,
                // `crypto.randomUUID()`, as Drizzle's `$defaultFn` makes it.
                AuthJsIds::Uuid => Some(token::random_uuid().expose().to_owned()),
                // Prisma's client's `@default(cuid())`: a CUID (version 1).
                AuthJsIds::Cuid => Some(cuid::cuid1()),
            }
        }
    }
}

/// An adapter type: its docs, name, id type, profile and descriptor. Its
/// lookup's SQL is cached in a static of its own.
macro_rules! adapter {
    ($(#[$doc:meta])* $name:ident, $id:ty, $profile:ident, $schema:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name;

        impl sealed::Sealed for $name {}

        impl AuthJsAdapter for $name {
            type Id = $id;
            const PROFILE: Profile = Profile::$profile;
            const SCHEMA: &'static AuthJsSchema = &$schema;

            #[allow(
                private_interfaces,
                reason = "sealed: only authstore implements and calls it"
            )]
            fn lookup() -> &'static BuiltOnce {
                static LOOKUP: BuiltOnce = BuiltOnce::new();
                &LOOKUP
            }
        }
    };
}

adapter!(
    /// `@auth/pg-adapter`'s `schema.sql`: profile `authjs-pg`, serial ids.
    PgAdapter, i32, AuthJsPg, AUTHJS_PG
);
adapter!(
    /// `@auth/drizzle-adapter`'s default PostgreSQL tables: profile
    /// `authjs-drizzle`, UUID text ids.
    DrizzleAdapter, String, AuthJsDrizzle, AUTHJS_DRIZZLE
);
adapter!(
    /// `@auth/prisma-adapter`'s documented PostgreSQL schema: profile
    /// `authjs-prisma`, CUID text ids.
    PrismaAdapter, String, AuthJsPrisma, AUTHJS_PRISMA
);
adapter!(
    /// `@auth/prisma-adapter` on the PostgreSQL schema next-auth 4's docs
    /// gave (`@next-auth/prisma-adapter`'s): profile `authjs-prisma`,
    /// adopted from an app made then, CUID ids on users, accounts and
    /// sessions. [`schema_found`](super::schema_found) tells which of the
    /// two Prisma shapes a database holds.
    PrismaV4Adapter, String, AuthJsPrisma, AUTHJS_PRISMA_V4
);
