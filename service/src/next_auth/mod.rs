//! The next-auth family (profiles `next-auth-v3`, `next-auth-v4-beta` and
//! `next-auth-v2-beta`): [`AuthStore`](store::AuthStore) and its tables'
//! methods above, the storage adapter below ([`storage`]), and the public
//! data types between them ([`model`]).

mod accounts;
mod config;
mod model;
mod sessions;
mod sign_in;
mod storage;
mod store;
mod users;
mod verification;

pub use accounts::Accounts;
pub use config::{Config, ConfigBuilder};
pub use model::{
    Account, NewAccount, NewUser, OAuthTokens, Session, SessionAndUser, User, UserPatch,
    VerificationRequest,
};
pub use sessions::Sessions;
pub use sign_in::EmailSignIn;
pub use store::{AuthStore, Scope};
pub use users::Users;
pub use verification::Verification;

use chrono::{DateTime, SubsecRound, Utc};

use crate::core::CoreRef;

/// What every table's methods need: the store's core on one connection,
/// and the rules.
pub(crate) struct Ctx<'a, C> {
    pub(crate) core: CoreRef<'a, C, SessionAndUser>,
    pub(crate) config: &'a Config,
}

// Manual impls: deriving would demand `C: Clone`, and `C` is only borrowed.
impl<C> Clone for Ctx<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C> Copy for Ctx<'_, C> {}

impl<'a, C> Ctx<'a, C> {
    /// The same rules and clock on another connection, such as a
    /// transaction begun on this one.
    pub(crate) fn on<'b, D>(&self, db: &'b D) -> Ctx<'b, D>
    where
        'a: 'b,
    {
        Ctx {
            core: self.core.on(db),
            config: self.config,
        }
    }

    /// Now, in UTC, to the microsecond: the finest precision PostgreSQL and
    /// MySQL keep, so a time computed here equals the same time read back.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.core.now().trunc_subsecs(6)
    }

    /// The configured profile's tables on this connection.
    pub(crate) fn storage(&self) -> storage::Storage<'a, C> {
        storage::Storage {
            db: self.core.db,
            schema: self.schema(),
            zone: self.config.wall_clock_zone(),
        }
    }

    /// The configured profile's schema.
    fn schema(&self) -> &'static storage::Schema {
        storage::Schema::of(self.config.profile())
            .expect("Config::build admits next-auth profiles only")
    }
}
