//! Passwords as better-auth keeps them in `account.password`:
//! `{salt}:{key}`, where `salt` is 16 random bytes written as 32 lowercase
//! hex characters whose UTF-8 bytes are the salt, and `key` the lowercase
//! hex of scrypt(NFKC(password), N = 16384, r = 16, p = 1, 64 bytes).
//!
//! better-auth reads any `{salt}:{key}` the same way, whatever the salt's
//! length, so oslo's `Scrypt` hashes (Lucia v3's guides) and lucia-auth v1's
//! `s2:{salt}:{key}` with its `s2:` removed verify as they are. lucia-auth
//! 0.x's hashes (r = 8) cannot: the carry-over stores them behind
//! [`BetterAuthSchema::LUCIA_AUTH_0X`], which better-auth refuses as a wrong
//! password and authstore checks and replaces by a better-auth hash at the
//! user's next sign-in.

use unicode_normalization::UnicodeNormalization;

use crate::rules::password::{self as lucia_v1, scrypt_hex};
use crate::rules::token::random_bytes;
use authstore_entity::better_auth::BetterAuthSchema;

/// What checking a password against `account.password` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    /// The password matches.
    Valid,
    /// The password matches a carried lucia-auth 0.x hash: store
    /// better-auth's own hash of it now.
    NeedsRehash,
    /// It does not match, or the value is no hash.
    Invalid,
}

/// better-auth's hash of `password`, with a new salt.
pub(crate) fn hash(password: &str) -> String {
    let salt = hex::encode(random_bytes::<16>());
    let key = scrypt_hex(&password.nfkc().collect::<String>(), &salt, 16);
    format!("{salt}:{key}")
}

/// Checks `password` as better-auth does (NFKC, then scrypt with the
/// stored salt), comparing in constant time; a carried lucia-auth 0.x hash
/// is checked as lucia-auth did.
pub fn verify(password: &str, stored: &str) -> Checked {
    if let Some(old) = stored.strip_prefix(BetterAuthSchema::LUCIA_AUTH_0X) {
        return match lucia_v1::verify(password, old) {
            lucia_v1::Verified::Valid | lucia_v1::Verified::NeedsRehash => Checked::NeedsRehash,
            _ => Checked::Invalid,
        };
    }
    let Some((salt, key)) = stored.split_once(':') else {
        return Checked::Invalid;
    };
    if salt.is_empty() || key.contains(':') {
        return Checked::Invalid;
    }
    let computed = scrypt_hex(&password.nfkc().collect::<String>(), salt, 16);
    if subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), key.as_bytes()).into() {
        Checked::Valid
    } else {
        Checked::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use authstore_entity::better_auth::BETTER_AUTH;

    #[test]
    fn a_hash_verifies_its_password_and_its_nfkc_form_only() {
        let stored = hash("ｐａｓｓ word");
        let (salt, key) = stored.split_once(':').unwrap();
        assert_eq!((salt.len(), key.len()), (32, 128));
        assert!(
            salt.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(verify("ｐａｓｓ word", &stored), Checked::Valid);
        assert_eq!(verify("pass word", &stored), Checked::Valid);
        assert_eq!(verify("pass words", &stored), Checked::Invalid);
        assert_eq!(verify("pass word", "no hash"), Checked::Invalid);
    }

    #[test]
    fn lucia_v1_hashes_carry_over() {
        let current = lucia_v1::hash("hunter22");
        let carried = BETTER_AUTH.password_from_lucia_v1(&current).unwrap();
        assert_eq!(verify("hunter22", &carried), Checked::Valid);
        assert_eq!(
            BETTER_AUTH.password_from_lucia_v1("$2a$10$abcdefghijklmnopqrstuv"),
            None
        );
        let salt = "aBcDeFgHiJkLmNoP";
        let zero_x = format!("{salt}:{}", scrypt_hex("hunter22", salt, 8));
        let carried = BETTER_AUTH.password_from_lucia_v1(&zero_x).unwrap();
        assert_eq!(verify("hunter22", &carried), Checked::NeedsRehash);
        assert_eq!(verify("hunter23", &carried), Checked::Invalid);
        // better-auth's own reading of the marked value fails, as intended.
        assert_eq!(
            verify(
                "hunter22",
                carried
                    .strip_prefix(BetterAuthSchema::LUCIA_AUTH_0X)
                    .unwrap()
            ),
            Checked::Invalid
        );
    }
}
