//! All secret handling: random tokens, hashing, and the redacting wrapper.

use std::fmt;

use sha2::{Digest, Sha256};

/// A token or other secret string. `Debug` and `Display` print
/// `[redacted]`; [`Secret::expose`] is the one way to read it.
///
/// ```
/// use authstore::Secret;
/// let token = Secret::from("f00d");
/// assert_eq!(format!("{token:?}"), "[redacted]");
/// assert_eq!(token.expose(), "f00d");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself: for a cookie, an email link or a request header,
    /// never for a log line.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How session tokens are kept in the `sessions` table.
///
/// ```
/// use authstore::{Config, TokenStorage};
/// let config = Config::builder("secret").session_token_storage(TokenStorage::Hashed).build()?;
/// # Ok::<(), authstore::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenStorage {
    /// The token itself, as next-auth v3 stores it. Required when next-auth
    /// shares the database; a leaked dump then holds live session tokens.
    #[default]
    Plain,
    /// Hex SHA-256 of the token. The client's token (256 bits from the OS
    /// RNG) is never stored, so a dump of the table opens no session; next-auth
    /// can no longer read these sessions. A plain hash suffices because the
    /// token is random and long: there is nothing to brute-force.
    Hashed,
}

impl TokenStorage {
    /// The form of `token` that the column holds, and that lookups compare.
    pub(crate) fn stored_form(self, token: &str) -> String {
        match self {
            TokenStorage::Plain => token.to_owned(),
            TokenStorage::Hashed => sha256_hex(&[token]),
        }
    }
}

/// `N` bytes from the operating system's RNG.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS RNG failing means the machine cannot make secrets at all;
    // continuing with anything weaker would be worse than stopping.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes
}

/// 32 bytes from the operating system's RNG as 64 lowercase hex characters,
/// the shape of next-auth v3's `randomBytes(32).toString('hex')`.
pub(crate) fn random_token() -> Secret {
    Secret(hex::encode(random_bytes::<32>()))
}

/// A random UUID (version 4) from the OS RNG, in its hyphenated lowercase
/// form: Auth.js v5's session token (`crypto.randomUUID()`).
pub(crate) fn random_uuid() -> Secret {
    let uuid = uuid::Builder::from_random_bytes(random_bytes::<16>()).into_uuid();
    Secret(uuid.hyphenated().to_string())
}

/// Lowercase base32 without padding (RFC 4648's alphabet, lowercased), as
/// Lucia's `encodeBase32LowerCaseNoPadding`.
fn base32_lower(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD
        .encode(bytes)
        .to_ascii_lowercase()
}

/// A Lucia v3.2 session id: 25 bytes from the OS RNG as 40 characters of
/// `[a-z2-7]` (Lucia's `generateIdFromEntropySize(25)`).
pub(crate) fn lucia_session_id() -> Secret {
    Secret(base32_lower(&random_bytes::<25>()))
}

/// A user id in the shape Lucia v3's docs make them: 10 bytes from the OS
/// RNG as 16 characters of `[a-z2-7]` (`generateIdFromEntropySize(10)`).
pub(crate) fn lucia_user_id() -> String {
    base32_lower(&random_bytes::<10>())
}

const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters of `[a-zA-Z0-9]`, each uniform: bytes from the OS RNG,
/// those at or above 248 (the largest multiple of 62 that fits in a byte)
/// skipped so that no character is likelier than another. The shape of
/// lucia-auth v1's `generateRandomString` (ids and password salts).
pub(crate) fn alphanumeric(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in random_bytes::<32>() {
            if out.len() < len && byte < 248 {
                out.push(char::from(ALPHANUMERIC[usize::from(byte) % 62]));
            }
        }
    }
    out
}

/// The length of a lucia-auth v1 session id; its every session call refuses
/// an id of another length.
pub(crate) const LUCIA_V1_SESSION_ID_LEN: usize = 40;

/// A lucia-auth v1 session id: 40 characters of `[a-zA-Z0-9]` (about 238
/// bits).
pub(crate) fn lucia_v1_session_id() -> Secret {
    Secret(alphanumeric(LUCIA_V1_SESSION_ID_LEN))
}

/// Whether `id` could be a lucia-auth v1 session id: 40 ASCII alphanumerics.
pub(crate) fn plausible_lucia_v1_session_id(id: &str) -> bool {
    id.len() == LUCIA_V1_SESSION_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A lucia-auth v1 user id: 15 characters of `[a-zA-Z0-9]`.
pub(crate) fn lucia_v1_user_id() -> String {
    alphanumeric(15)
}

/// Lowercase hex SHA-256 of the concatenated parts.
pub(crate) fn sha256_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// next-auth v3's stored form of a verification token: hex SHA-256 of
/// `token + secret`. The plain token never reaches the database.
pub(crate) fn verification_hash(token: &str, secret: &str) -> String {
    sha256_hex(&[token, secret])
}

/// next-auth v3's `compound_id`: hex SHA-256 of
/// `"{provider_id}:{provider_account_id}"`.
pub(crate) fn compound_id(provider_id: &str, provider_account_id: &str) -> String {
    sha256_hex(&[provider_id, ":", provider_account_id])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_lowercase_hex_and_distinct() {
        let tokens: Vec<Secret> = (0..1000).map(|_| random_token()).collect();
        for token in &tokens {
            assert_eq!(token.expose().len(), 64);
            assert!(
                token
                    .expose()
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
        }
        let mut unique: Vec<&str> = tokens.iter().map(Secret::expose).collect();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), tokens.len());
    }

    #[test]
    fn lucia_ids_have_lucias_shape() {
        let alphabet = |id: &str| {
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        };
        let session = lucia_session_id();
        assert_eq!(session.expose().len(), 40);
        assert!(alphabet(session.expose()), "{}", session.expose());
        let user = lucia_user_id();
        assert_eq!(user.len(), 16);
        assert!(alphabet(&user), "{user}");
        // RFC 4648's test vector, lowercased: "foobar" -> "mzxw6ytboi".
        assert_eq!(base32_lower(b"foobar"), "mzxw6ytboi");
    }

    #[test]
    fn lucia_v1_ids_are_alphanumeric_and_use_the_whole_alphabet() {
        let session = lucia_v1_session_id();
        assert!(plausible_lucia_v1_session_id(session.expose()));
        assert_eq!(lucia_v1_user_id().len(), 15);
        // 62 * 40 characters: every letter and digit turns up (a byte-modulo
        // bug that never reaches the last characters would fail here).
        let seen: std::collections::BTreeSet<u8> = (0..62)
            .flat_map(|_| lucia_v1_session_id().expose().bytes().collect::<Vec<_>>())
            .collect();
        assert_eq!(seen.len(), 62);
        assert!(!plausible_lucia_v1_session_id(&session.expose()[1..]));
        assert!(!plausible_lucia_v1_session_id(&"-".repeat(40)));
    }

    #[test]
    fn hashes_match_known_sha256_values() {
        // sha256("") and sha256("github:1234"), computed independently.
        assert_eq!(
            sha256_hex(&[]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(compound_id("github", "1234"), sha256_hex(&["github:1234"]));
        assert_eq!(verification_hash("tok", "sec"), sha256_hex(&["toksec"]));
    }
}
