//! Rules for plain strings: names, provider ids, URLs, OAuth tokens and the
//! tokens handed in for lookups.
//!
//! No stored string may hold a control character (`Cc`: NUL, CR, LF, ESC,
//! DEL and the C1 range). PostgreSQL cannot store NUL at all, and CR/LF in a
//! value that reaches a log or a mail header forges lines.

use validator::ValidationError;

/// `provider_id` and `provider_account_id`: the columns are VARCHAR(255).
pub const PROVIDER_KEY_MAX: usize = 255;

/// `name`: VARCHAR(255).
pub const NAME_MAX: usize = 255;

/// `image`: a URL of at most this many characters.
pub const URL_MAX: usize = 2048;

/// OAuth `access_token` and `refresh_token` (TEXT columns, so the limit is
/// ours): room for the largest JWTs providers issue (a few KiB) with a wide
/// margin, while a megabyte of garbage is refused.
pub const OAUTH_TOKEN_MAX: usize = 16 * 1024;

/// Session and verification tokens handed in for a lookup. authstore and
/// next-auth issue 64 hex characters (next-auth v4 also UUIDs); the column
/// is VARCHAR(255).
pub const LOOKUP_TOKEN_MAX: usize = 255;

/// No control characters anywhere.
pub(crate) fn no_control_chars(value: &str) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new("control_characters"));
    }
    Ok(())
}

/// At most `max` characters (what VARCHAR(n) counts) and no control characters.
fn bounded_text(value: &str, min: usize, max: usize) -> Result<(), ValidationError> {
    let length = value.chars().count();
    if length < min || length > max {
        let mut error = ValidationError::new("length");
        error.add_param("min".into(), &min);
        error.add_param("max".into(), &max);
        return Err(error);
    }
    no_control_chars(value)
}

/// A user's display name.
pub(crate) fn name(value: &str) -> Result<(), ValidationError> {
    bounded_text(value, 0, NAME_MAX)
}

/// `provider_id` or `provider_account_id`: 1 to 255 characters, no control
/// characters. Lookups by provider account apply the same rule, so a key
/// that could never be linked is "not found" without a query.
pub(crate) fn provider_key(value: &str) -> Result<(), ValidationError> {
    bounded_text(value, 1, PROVIDER_KEY_MAX)
}

/// An id the app chooses (a Lucia user id): the same rule as a provider key,
/// 1 to 255 characters and no control characters.
pub(crate) fn app_id(value: &str) -> Result<(), ValidationError> {
    provider_key(value)
}

/// Whether a provider account with these keys could have been linked. Keys
/// that could not are "not found" everywhere, without a query.
pub(crate) fn linkable(provider_id: &str, provider_account_id: &str) -> bool {
    provider_key(provider_id).is_ok() && provider_key(provider_account_id).is_ok()
}

/// An OAuth access or refresh token as a provider returns it.
pub(crate) fn oauth_token(value: &crate::rules::token::Secret) -> Result<(), ValidationError> {
    bounded_text(value.expose(), 1, OAUTH_TOKEN_MAX)
}

/// An absolute `http(s)` URL with a host. The input itself is stored, not
/// the parsed URL (which would silently drop tabs and newlines), so the
/// control-character rule applies to it too.
pub(crate) fn http_url(value: &str) -> Result<(), ValidationError> {
    bounded_text(value, 1, URL_MAX)?;
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(()),
        _ => Err(ValidationError::new("http_url")),
    }
}

/// Whether a token handed in for a lookup could be one anybody stored:
/// 1 to 255 visible ASCII characters. Anything else is answered "not found"
/// without touching the database.
pub(crate) fn plausible_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= LOOKUP_TOKEN_MAX
        && token.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_everywhere() {
        for bad in [
            "a\0b",
            "a\r\nb",
            "\u{1b}[31m",
            "tab\there",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            assert!(name(bad).is_err(), "{bad:?}");
            assert!(provider_key(bad).is_err(), "{bad:?}");
            assert!(
                oauth_token(&crate::rules::token::Secret::from(bad)).is_err(),
                "{bad:?}"
            );
            assert!(!plausible_token(bad), "{bad:?}");
        }
        assert!(http_url("https://example.com/a\0b").is_err());
        assert!(http_url("https://example.com/a\tb").is_err());
    }

    #[test]
    fn limits_are_inclusive() {
        assert!(provider_key(&"x".repeat(PROVIDER_KEY_MAX)).is_ok());
        assert!(provider_key(&"x".repeat(PROVIDER_KEY_MAX + 1)).is_err());
        assert!(provider_key("").is_err());
        let token = |n| crate::rules::token::Secret::from("t".repeat(n));
        assert!(oauth_token(&token(OAUTH_TOKEN_MAX)).is_ok());
        assert!(oauth_token(&token(OAUTH_TOKEN_MAX + 1)).is_err());
        assert!(plausible_token(&"a".repeat(LOOKUP_TOKEN_MAX)));
        assert!(!plausible_token(&"a".repeat(LOOKUP_TOKEN_MAX + 1)));
        assert!(!plausible_token(""));
        assert!(!plausible_token("é"));
    }
}
