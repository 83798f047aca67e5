//! The next-auth profiles' public data types: what goes into a table
//! (validated here, before any statement) and what comes out. They sit
//! below both the storage adapter and the table modules, so neither imports
//! the other's types.

mod account;
mod session;
mod user;
mod verification;

pub(crate) use account::check_oauth_tokens;
pub use account::{Account, NewAccount, OAuthTokens};
pub use session::{Session, SessionAndUser};
pub use user::{NewUser, User, UserPatch};
pub use verification::VerificationRequest;
