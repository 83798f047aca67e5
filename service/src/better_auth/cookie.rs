//! better-auth's signed session cookie: `better-auth.session_token` holds
//! `encodeURIComponent(token + "." + base64(HMAC-SHA256(secret, token)))`,
//! and better-auth ignores a value whose signature does not check, so a
//! cookie only the holder of the secret can make.

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::Sha256;

use crate::rules::token::Secret;

/// What `encodeURIComponent` leaves as it is, besides letters and digits.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// The length of a base64 HMAC-SHA256, which better-auth checks first.
const SIGNATURE_LEN: usize = 44;

fn mac(secret: &Secret) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes a key of any length")
}

/// The cookie value better-auth reads as the session `token`, signed with
/// the app's secret (its `BETTER_AUTH_SECRET`).
pub fn signed_session_cookie(token: &Secret, secret: &Secret) -> String {
    let mut mac = mac(secret);
    mac.update(token.expose().as_bytes());
    let signature = data_encoding::BASE64.encode(&mac.finalize().into_bytes());
    utf8_percent_encode(&format!("{}.{signature}", token.expose()), URI_COMPONENT).to_string()
}

/// The session token in a `better-auth.session_token` cookie value, if its
/// signature checks with `secret` (in constant time); `None` for an
/// unsigned, tampered or malformed value, which better-auth ignores too.
///
/// `value` is the value as a cookie parser gives it, decoded once (the
/// web layer's reader does that); it is not decoded again, as better-auth
/// does not decode it again: a value escaped twice is refused. For the
/// value as written in a `Set-Cookie` header, use
/// [`token_from_set_cookie`].
pub fn token_from_cookie(value: &str, secret: &Secret) -> Option<Secret> {
    let (token, signature) = value.rsplit_once('.')?;
    if signature.len() != SIGNATURE_LEN || !signature.ends_with('=') || token.is_empty() {
        return None;
    }
    let signature = data_encoding::BASE64.decode(signature.as_bytes()).ok()?;
    let mut mac = mac(secret);
    mac.update(token.as_bytes());
    mac.verify_slice(&signature).ok()?;
    Some(Secret::from(token.to_owned()))
}

/// [`token_from_cookie`] of a value as [`signed_session_cookie`] and
/// better-auth write it (percent-encoded), decoded once first.
pub fn token_from_set_cookie(value: &str, secret: &Secret) -> Option<Secret> {
    let decoded = percent_decode_str(value).decode_utf8().ok()?;
    token_from_cookie(&decoded, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::from("better-auth-secret-of-32-characters!".to_owned())
    }

    #[test]
    fn a_signed_cookie_gives_its_token_back() {
        let token = Secret::from("abcDEF0123456789abcDEF0123456789".to_owned());
        let cookie = signed_session_cookie(&token, &secret());
        // The base64 signature's `=` (and any `+` or `/`) are escaped.
        assert!(cookie.ends_with("%3D"), "{cookie}");
        assert_eq!(
            token_from_set_cookie(&cookie, &secret()),
            Some(token.clone())
        );
        let decoded = percent_decode_str(&cookie).decode_utf8().unwrap();
        assert_eq!(token_from_cookie(&decoded, &secret()), Some(token));
    }

    #[test]
    fn a_value_escaped_twice_is_refused_as_better_auth_refuses_it() {
        let token = Secret::from("abcDEF0123456789abcDEF0123456789".to_owned());
        let once = signed_session_cookie(&token, &secret());
        // What a parser hands over for `encodeURIComponent` applied twice.
        assert_eq!(token_from_cookie(&once, &secret()), None);
    }

    #[test]
    fn unsigned_tampered_or_foreign_cookies_give_nothing() {
        let token = Secret::from("abcDEF0123456789abcDEF0123456789".to_owned());
        let cookie = signed_session_cookie(&token, &secret());
        assert_eq!(token_from_cookie(token.expose(), &secret()), None);
        let other = Secret::from("another-secret-another-secret-xx".to_owned());
        assert_eq!(token_from_set_cookie(&cookie, &other), None);
        let tampered = cookie.replacen('a', "b", 1);
        assert_eq!(token_from_set_cookie(&tampered, &secret()), None);
        assert_eq!(token_from_set_cookie("%FF.%FF", &secret()), None);
    }
}
