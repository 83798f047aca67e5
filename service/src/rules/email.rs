//! The canonical form of an email address: one mailbox, one string.
//!
//! Every address that enters authstore (user create and update, lookups,
//! verification identifiers) goes through [`canonical_email`], so two
//! spellings of one mailbox can never become two users, and a look-alike can
//! never match someone else's row. The steps:
//!
//! 1. Surrounding whitespace is trimmed.
//! 2. Any invisible character left is refused: control and format characters
//!    (NUL, CR, LF, ESC, zero-width space, byte-order mark, soft hyphen…),
//!    separators, private-use and unassigned code points.
//! 3. The local part is NFKC-normalised (fullwidth `ａ` becomes `a`) and
//!    lowercased, as next-auth lowercases sign-in addresses.
//! 4. The domain goes through UTS-46 (IDNA) processing to its Unicode form:
//!    lowercased, NFC, width-folded, punycode decoded, so `café.example`,
//!    `cafe\u{301}.example`, `xn--caf-dma.example` and `ｃａｆé.example` are
//!    one domain.
//! 5. The result must be a valid address (HTML5's rule, as the `validator`
//!    crate checks it: an ASCII local part of at most 64 characters) of at
//!    most 255 characters.
//!
//! For a plain ASCII address the result is the trimmed, lowercased input,
//! exactly what next-auth stores, so users it created are found.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
use validator::{ValidateEmail, ValidationError};

use crate::rules::error::Error;

/// `users.email` and `verification_requests.identifier` are VARCHAR(255).
pub const EMAIL_MAX: usize = 255;

/// The canonical form of `raw`, or [`Error::Validation`] on the field
/// `email` saying why it cannot be an address. See the module docs for the
/// steps.
///
/// ```
/// use authstore::canonical_email;
/// assert_eq!(canonical_email("  Ada@Example.COM\n")?, "ada@example.com");
/// assert_eq!(canonical_email("zoe@xn--caf-dma.example")?, "zoe@café.example");
/// assert_eq!(canonical_email("zoe@ｃａｆé.example")?, "zoe@café.example");
/// assert!(canonical_email("ada@example.com\u{200b}").is_err());
/// assert!(canonical_email("not an address").is_err());
/// # Ok::<(), authstore::Error>(())
/// ```
pub fn canonical_email(raw: &str) -> Result<String, Error> {
    canonical(raw).map_err(|error| super::invalid("email", error))
}

/// [`canonical_email`] with the bare [`ValidationError`], for input types
/// that name the field themselves.
pub(crate) fn canonical(raw: &str) -> Result<String, ValidationError> {
    let trimmed = raw.trim();
    if trimmed.chars().any(invisible) {
        return Err(ValidationError::new("invisible_characters"));
    }
    let (local, domain) = trimmed
        .rsplit_once('@')
        .ok_or_else(|| ValidationError::new("email"))?;
    let local: String = local
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect();
    // An address literal (`a@[10.0.0.5]`, `a@[IPv6:::1]`) is valid in RFC
    // 5321, and the `validator` crate takes it, but it is no address in
    // HTML5's sense, and a sign-in link sent to a host by its IP is never
    // wanted (it is how a mail server on a private network gets reached).
    if domain.starts_with('[') || domain.parse::<std::net::IpAddr>().is_ok() {
        return Err(ValidationError::new("ip_literal"));
    }
    let (domain, idna) = idna::domain_to_unicode(domain);
    if idna.is_err() {
        return Err(ValidationError::new("email"));
    }
    let email = format!("{local}@{domain}");
    if email.chars().count() > EMAIL_MAX {
        let mut error = ValidationError::new("length");
        error.add_param("max".into(), &EMAIL_MAX);
        return Err(error);
    }
    if !email.validate_email() {
        return Err(ValidationError::new("email"));
    }
    Ok(email)
}

/// The spellings of a canonical address that name its mailbox: itself, and
/// with its domain in ASCII (punycode) where that differs, as a system that
/// keeps the domain as typed (Auth.js) may have stored it.
pub(crate) fn spellings(canonical: &str) -> Vec<String> {
    let mut spellings = vec![canonical.to_owned()];
    if let Some((local, domain)) = canonical.rsplit_once('@')
        && let Ok(ascii) = idna::domain_to_ascii(domain)
        && ascii != domain
    {
        spellings.push(format!("{local}@{ascii}"));
    }
    spellings
}

/// Characters a person cannot see or type into an address on purpose.
fn invisible(c: char) -> bool {
    matches!(
        c.general_category_group(),
        GeneralCategoryGroup::Other | GeneralCategoryGroup::Separator
    )
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn one_mailbox_is_one_string() {
        let spellings = [
            "zoe@café.example",
            "zoe@cafe\u{301}.example",
            "zoe@xn--caf-dma.example",
            "zoe@ｃａｆé.example",
            "ZOE@CAFÉ.EXAMPLE",
            "ｚｏｅ@café.example",
        ];
        for spelling in spellings {
            assert_eq!(
                canonical(spelling).unwrap(),
                "zoe@café.example",
                "{spelling:?}"
            );
        }
    }

    #[test]
    fn ascii_addresses_are_only_trimmed_and_lowercased() {
        for raw in [
            "Ada@Example.com",
            " ada.lovelace+tag@example.co.uk\t",
            "A_B@x-y.io",
        ] {
            assert_eq!(canonical(raw).unwrap(), raw.trim().to_lowercase());
        }
    }

    #[test]
    fn invisible_and_control_characters_are_refused() {
        for bad in [
            "ada@example.com\u{feff}",
            "ada@example.com\u{200b}x",
            "ada@exam\u{ad}ple.com",
            "ad\u{200d}a@example.com",
            "nul\0@example.com",
            "victim@example.com\r\nBcc: attacker@evil.com",
            "\u{1b}[31mada@example.com",
            "ada @example.com",
            "ada@exa\u{3000}mple.com",
        ] {
            assert_eq!(
                canonical(bad).unwrap_err().code,
                "invisible_characters",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn what_cannot_receive_a_link_is_refused() {
        for bad in [
            "not an email at all",
            "",
            "@example.com",
            "ada@",
            "josé@exämple.com", // a non-ASCII local part: no HTML5 address
            "ada@exa_mple.com",
            "' OR 1=1 --@example.com",
            "ada@xn--zz.example",
        ] {
            assert!(canonical(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        assert_eq!(canonical(&long).unwrap_err().code, "length");
    }

    #[test]
    fn ip_literals_are_refused() {
        for literal in [
            "a@[10.0.0.5]",
            "a@[::1]",
            "a@[IPv6:::1]",
            "a@10.0.0.5",
            " A@[127.0.0.1] ",
        ] {
            assert_eq!(
                canonical(literal).unwrap_err().code,
                "ip_literal",
                "{literal:?}"
            );
        }
        // A domain that merely starts with digits is a domain.
        assert_eq!(canonical("a@10x.example").unwrap(), "a@10x.example");
    }
}
