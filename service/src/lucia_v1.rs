//! Profile `lucia-v1`: lucia-auth v1's `auth_user`, `auth_session` and
//! `auth_key` tables. This release has the profile's schema (migration,
//! entities, adoption) and its password format; the store of users, keys
//! and sessions comes next.
//!
//! Passwords are kept as lucia-auth v1 keeps them in `auth_key.hashed_password`
//! (see [`hash_password`]), so a Rust service can check the passwords of
//! users a Lucia v1 app signed up, and Lucia can check the ones set here.
//!
//! ```
//! use authstore::lucia_v1::{PasswordCheck, hash_password, verify_password};
//! let stored = hash_password("correct horse battery staple");
//! assert!(stored.starts_with("s2:"));
//! assert_eq!(verify_password("correct horse battery staple", &stored), PasswordCheck::Valid);
//! assert_eq!(verify_password("wrong", &stored), PasswordCheck::Invalid);
//! ```

use crate::rules::password;

/// What checking a password against a stored hash found.
pub use crate::rules::password::Verified as PasswordCheck;

/// `password` hashed in lucia-auth v1's format, `s2:{salt}:{key}`: a
/// 16-character alphanumeric salt from the OS RNG and the hex of
/// scrypt(NFKC(password), N = 16384, r = 16, p = 1, 64 bytes). Deliberately
/// slow (about 0.1 s and 16 MiB per call on this project's CI machine; see
/// BENCHMARKS.md): run it off the async executor (`tokio::task::spawn_blocking`)
/// in a server.
pub fn hash_password(password: &str) -> String {
    password::hash(password)
}

/// Checks `password` against a hash lucia-auth v1 (`s2:…`), lucia-auth 0.x
/// (`salt:key`, r = 8) or this crate wrote, in constant time; a bcrypt hash
/// (`$2a…`) is [`PasswordCheck::Outdated`].
///
/// The password is NFKC-normalised before it is checked, as it was when it
/// was hashed. (lucia-auth v1 itself skips that step when verifying, so a
/// password NFKC changes fails there against its own hash; here it is
/// accepted.)
pub fn verify_password(password: &str, stored: &str) -> PasswordCheck {
    password::verify(password, stored)
}
