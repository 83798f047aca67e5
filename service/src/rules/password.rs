//! Passwords in lucia-auth v1's format, so users whose passwords a Lucia v1
//! app hashed can sign in here, and the other way round.
//!
//! - `s2:{salt}:{key}`: `salt` is 16 characters of `[a-zA-Z0-9]`, used as
//!   its UTF-8 bytes; `key` is the lowercase hex of scrypt(NFKC(password),
//!   N = 16384, r = 16, p = 1, 64 bytes). What [`hash`] writes.
//! - `{salt}:{key}`: lucia-auth 0.x, the same with r = 8. Verified, never
//!   written.
//! - `$2a…`: bcrypt, from an older stack: reported [`Verified::Outdated`].
//!
//! Lucia v1 normalises a password (NFKC) when it hashes it but not when it
//! verifies it, so a password that NFKC changes (full-width letters, some
//! ligatures) fails against its own hash there; lucia-auth 0.x never
//! normalised at all. authstore checks the password exactly as typed first,
//! as lucia-auth does, so every password lucia-auth accepts is accepted here
//! whatever the stored format; only if that fails, and NFKC changes the
//! password, is its NFKC form checked too. The leniency adds acceptance and
//! never removes it: a user can sign in with the password they chose even
//! where lucia-auth would refuse it, and a hash written here verifies in
//! Lucia for every password NFKC leaves alone.

use scrypt::Params;
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;

use super::token;

/// What checking a password against a stored hash found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verified {
    /// The password matches, and the stored hash should stay: a current
    /// (`s2`) hash, or a lucia-auth 0.x one of a password NFKC changes
    /// (whose new hash, of the NFKC form, lucia-auth v1 would refuse for
    /// the password as typed).
    Valid,
    /// The password matches, but the hash is lucia-auth 0.x's (r = 8): store
    /// a new hash of it now, while the password is at hand.
    NeedsRehash,
    /// The password does not match, or the hash is in no format Lucia v1
    /// knows.
    Invalid,
    /// A bcrypt hash (`$2a`), which this crate does not check, as Lucia v1
    /// does not: the user must reset their password.
    Outdated,
}

const SALT_LEN: usize = 16;

/// The longest password accepted for hashing, in bytes: room for any
/// passphrase, while a megabyte of input is refused before it reaches
/// scrypt.
pub const PASSWORD_MAX_BYTES: usize = 4096;

/// A password that may be hashed: 1 to [`PASSWORD_MAX_BYTES`] bytes. (An
/// empty one is refused: lucia-auth v1 stores no hash for it, so the key
/// would open without a password.)
pub(crate) fn acceptable(password: &str) -> Result<(), validator::ValidationError> {
    if password.is_empty() || password.len() > PASSWORD_MAX_BYTES {
        let mut error = validator::ValidationError::new("length");
        error.add_param("max_bytes".into(), &PASSWORD_MAX_BYTES);
        return Err(error);
    }
    Ok(())
}

/// A well-formed `s2` hash of no password anyone has: verifying against it
/// costs what a real check costs, so a sign-in for an unknown key takes as
/// long as one with a wrong password.
pub(crate) const DECOY_HASH: &str = concat!(
    "s2:0000000000000000:",
    "00000000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000000000000000000000000000000000000000"
);

/// The hash of `password` in Lucia v1's current (`s2`) format, with a new
/// salt from the OS RNG.
pub(crate) fn hash(password: &str) -> String {
    let salt = token::alphanumeric(SALT_LEN);
    format!("s2:{salt}:{}", scrypt_hex(&nfkc(password), &salt, 16))
}

/// Checks `password` against a stored hash in any format Lucia v1 verifies:
/// as typed (lucia-auth's own check), then, if NFKC changes it, its NFKC
/// form. Comparison is constant-time.
pub(crate) fn verify(password: &str, stored: &str) -> Verified {
    if stored.starts_with("$2a") {
        return Verified::Outdated;
    }
    let parts: Vec<&str> = stored.split(':').collect();
    let (salt, key, r) = match parts[..] {
        ["s2", salt, key] => (salt, key, 16),
        [salt, key] => (salt, key, 8),
        _ => return Verified::Invalid,
    };
    let matches = |candidate: &str| -> bool {
        let computed = scrypt_hex(candidate, salt, r);
        computed.as_bytes().ct_eq(key.as_bytes()).into()
    };
    let normalised = nfkc(password);
    let found = matches(password) || (normalised != password && matches(&normalised));
    match (found, r) {
        (false, _) => Verified::Invalid,
        (true, 16) => Verified::Valid,
        // A new hash would be of the NFKC form, which lucia-auth v1 checks
        // the typed password against: for a password NFKC changes, the user
        // could then no longer sign in to the Lucia app. The old hash stays.
        (true, _) if normalised != password => Verified::Valid,
        (true, _) => Verified::NeedsRehash,
    }
}

fn nfkc(password: &str) -> String {
    password.nfkc().collect()
}

pub(crate) fn scrypt_hex(password: &str, salt: &str, r: u32) -> String {
    let params = Params::new(14, r, 1, 64).expect("Lucia's scrypt parameters are valid");
    let mut key = [0u8; 64];
    scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut key)
        .expect("64 bytes is a valid scrypt output length");
    hex::encode(key)
}

/// Runs slow work (scrypt) on tokio's blocking pool, so the executor's
/// threads keep serving other requests meanwhile.
pub(crate) async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done,
        Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
        Err(_) => panic!("the tokio runtime shut down during a password hash"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse");
        let [version, salt, key] = stored.split(':').collect::<Vec<_>>()[..] else {
            panic!("{stored}")
        };
        assert_eq!(version, "s2");
        assert_eq!(salt.len(), 16);
        assert!(salt.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(key.len(), 128);
        assert_eq!(verify("correct horse", &stored), Verified::Valid);
        assert_eq!(verify("correct horsf", &stored), Verified::Invalid);
        assert_ne!(hash("correct horse"), stored, "a new salt each time");
    }

    #[test]
    fn a_password_is_checked_as_typed_before_its_nfkc_form() {
        // lucia-auth 0.x hashed what was typed: a decomposed "é" (e and a
        // combining acute) stays decomposed in the hash, and NFKC would
        // compose it.
        let decomposed = "cafe\u{301}";
        let legacy_salt = "0123456789abcdef";
        let legacy = format!("{legacy_salt}:{}", scrypt_hex(decomposed, legacy_salt, 8));
        // Valid, not NeedsRehash: an s2 hash (of the NFKC form) would lock
        // the user out of the Lucia app, which checks the password as typed.
        assert_eq!(verify(decomposed, &legacy), Verified::Valid);
        assert_eq!(verify("caf\u{e9}", &legacy), Verified::Invalid);
        // An s2 hash of the raw password (as lucia-auth 1.x's
        // updateKeyPassword would never write, but a hand-made row might)
        // and of its NFKC form both verify for the raw password.
        let raw_s2 = format!(
            "s2:{legacy_salt}:{}",
            scrypt_hex(decomposed, legacy_salt, 16)
        );
        assert_eq!(verify(decomposed, &raw_s2), Verified::Valid);
        assert_eq!(verify(decomposed, &hash(decomposed)), Verified::Valid);
    }

    #[test]
    fn bcrypt_is_outdated_and_junk_is_invalid() {
        let bcrypt = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
        assert_eq!(verify("anything", bcrypt), Verified::Outdated);
        for junk in ["", "s2", "s3:salt:key", "a:b:c:d"] {
            assert_eq!(verify("anything", junk), Verified::Invalid, "{junk}");
        }
    }
}
