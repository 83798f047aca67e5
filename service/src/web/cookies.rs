//! Reading one cookie from a request as the JS systems read it, and as
//! browsers scope it.
//!
//! - **Names are literal.** Browsers apply the `__Secure-` and `__Host-`
//!   rules to the name exactly as it was set, so `__Secure%2Dname` is a
//!   different, unprotected cookie that a plain-http sibling can set. A
//!   reader that decoded names would take it for the protected one.
//! - **Values are decoded once**, as the `cookie` package's `tryDecode`
//!   does: `decodeURIComponent` when the value holds a `%`, the value as it
//!   is when that would fail; a leading double quote and the last
//!   character are dropped first.
//! - **Of a repeated name** the profile's parser decides which is read
//!   ([`RepeatedCookie`]; Auth.js joins a long value's chunks), and the
//!   reading says that the name was repeated:
//!   another site may have added one (a sibling's `Domain` cookie, a longer
//!   `Path`), so the browser did not present one session unambiguously.

use authstore_entity::RepeatedCookie;
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use percent_encoding::percent_decode_str;

/// A cookie as the request presented it.
#[derive(Debug, PartialEq, Eq)]
pub struct SentCookie {
    /// The value the profile's parser reads, decoded once.
    pub value: String,
    /// The name came once: only then may a response set the cookie again.
    pub alone: bool,
}

/// The cookie named exactly `name` in `headers` (every `Cookie` header, in
/// order, as Node joins them), read as `which` says when it is repeated;
/// see the [module docs](self) for the rules. The web layer reads the
/// session cookie with it; a handler may read the app's other cookies so.
///
/// ```
/// use authstore::web::cookies::{read_cookie, SentCookie};
/// use authstore::web::RepeatedCookie;
/// use axum::http::{HeaderMap, HeaderValue, header::COOKIE};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static("__Secure%2Dsid=planted; sid=a%3Db; sid=c"));
/// assert_eq!(read_cookie(&headers, "__Secure-sid", RepeatedCookie::First), None);
/// let sid = read_cookie(&headers, "sid", RepeatedCookie::First).unwrap();
/// assert_eq!(sid, SentCookie { value: "a=b".to_owned(), alone: false });
/// ```
pub fn read_cookie(headers: &HeaderMap, name: &str, which: RepeatedCookie) -> Option<SentCookie> {
    let texts: Vec<String> = headers
        .get_all(COOKIE)
        .iter()
        .map(|header| latin1(header.as_bytes()))
        .collect();
    let sent: Vec<Pair> = texts.iter().flat_map(|text| pairs(text)).collect();
    // A pair that some JS parser might take for this cookie (or, for
    // Auth.js, one of its chunks) and another would not: no session, rather
    // than a guess at which the JS system reads.
    if sent
        .iter()
        .any(|pair| pair.ambiguous && pair.might_be(name))
    {
        return None;
    }
    let sent = sent.into_iter().filter(|pair| !pair.ambiguous);
    if which == RepeatedCookie::Chunked {
        return read_chunks(sent, name);
    }
    let mut values = sent
        .filter(|pair| pair.name == name)
        .map(|pair| pair.value.to_owned());
    let first = values.next()?;
    let (value, alone) = match (values.next_back(), which) {
        (None, _) => (first, true),
        (Some(last), RepeatedCookie::Last) => (last, false),
        (Some(_), _) => (first, false),
    };
    Some(SentCookie {
        value: decode_once(&value),
        alone,
    })
}

/// Whether `headers` may hold the cookie `name` for some JS parser: a pair
/// of that name, or an ambiguous one that [`read_cookie`] refuses to read
/// for it (another site may have planted it to hide the real one). What a
/// bridge checks before it hands out a session.
pub(crate) fn may_be_sent(headers: &HeaderMap, name: &str) -> bool {
    headers.get_all(COOKIE).iter().any(|header| {
        pairs(&latin1(header.as_bytes()))
            .any(|pair| pair.name == name || (pair.ambiguous && pair.might_be(name)))
    })
}

/// The names, each once, of the cookies in `headers` whose names start with
/// `prefix` (Auth.js's session cookie and its chunks), literal as sent:
/// what a response clears when it writes that cookie in another shape.
pub(crate) fn sent_names_starting_with(headers: &HeaderMap, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for header in headers.get_all(COOKIE) {
        for pair in pairs(&latin1(header.as_bytes())) {
            // A name past ASCII cannot be written back in a `Set-Cookie`.
            let writable = pair.name.is_ascii();
            if writable && pair.name.starts_with(prefix) && !names.iter().any(|n| n == pair.name) {
                names.push(pair.name.to_owned());
            }
        }
    }
    names
}

/// One `name=value` pair of a `Cookie` header, trimmed of spaces and tabs,
/// the only blanks every JS parser trims.
struct Pair<'t> {
    name: &'t str,
    value: &'t str,
    /// The name or value would still begin or end with another blank (a
    /// no-break space, a NEL: bytes past ASCII, read as Latin-1, such as
    /// the last byte of a UTF-8 `à`). The JS parsers disagree on such a
    /// pair (one trims the blank, another keeps it), so which cookie it is
    /// cannot be known.
    ambiguous: bool,
}

impl Pair<'_> {
    /// Whether the pair might be a cookie whose name starts with `name`
    /// for some JS parser: its name with every blank trimmed does.
    fn might_be(&self, name: &str) -> bool {
        self.name.trim().starts_with(name)
    }
}

/// The pairs of one `Cookie` header.
fn pairs(text: &str) -> impl Iterator<Item = Pair<'_>> {
    let blank = |c: char| c == ' ' || c == '\t';
    let untrimmed =
        |part: &str| part.starts_with(char::is_whitespace) || part.ends_with(char::is_whitespace);
    text.split(';').filter_map(move |pair| {
        let (name, value) = pair.split_once('=')?;
        let (name, value) = (name.trim_matches(blank), value.trim_matches(blank));
        let ambiguous = untrimmed(name) || untrimmed(value);
        (!name.trim().is_empty()).then_some(Pair {
            name,
            value,
            ambiguous,
        })
    })
}

/// Auth.js's session cookie, which a long value splits into `name.0`,
/// `name.1`, …: its reader keeps the first cookie of each name that
/// starts with `name` and is not empty, and joins them in the order of the
/// number after the last `.`. Only the shapes Auth.js writes are read: the
/// cookie `name` alone, or chunks `name.0` to `name.{n}` with none
/// missing. Anything else (a stale chunk beside the whole cookie, a gap, a
/// cookie whose name merely starts like the session's) is no session:
/// refusing it can sign nobody in that Auth.js would refuse, whatever order
/// its sort gives such a set.
fn read_chunks<'t>(sent: impl Iterator<Item = Pair<'t>>, name: &str) -> Option<SentCookie> {
    // The first of each name, as Auth.js's parser keeps it, even when it is
    // empty (an empty first one hides a later one of its name). A repeated
    // name is no session: Auth.js's own parser keeps the first, but an app
    // on next-auth 4 reading cookies through Next.js's `cookies()` keeps the
    // last.
    let mut first: Vec<(&str, String)> = Vec::new();
    for pair in sent.filter(|pair| pair.name.starts_with(name)) {
        if first.iter().any(|(kept, _)| *kept == pair.name) {
            return None;
        }
        // Auth.js's copy of the `cookie` package decodes, without dropping
        // quotes.
        first.push((pair.name, decode_escapes(pair.value)));
    }
    let kept: Vec<(&str, String)> = first
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .collect();
    if let [(only, value)] = kept.as_slice()
        && *only == name
    {
        return Some(SentCookie {
            value: value.clone(),
            alone: true,
        });
    }
    let mut chunks: Vec<(usize, String)> = Vec::with_capacity(kept.len());
    for (chunk, value) in kept {
        let index = chunk.strip_prefix(name)?.strip_prefix('.')?;
        let canonical = index == "0" || (!index.starts_with('0') && !index.is_empty());
        if !canonical || !index.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        chunks.push((index.parse().ok()?, value));
    }
    chunks.sort_by_key(|(index, _)| *index);
    let complete = chunks
        .iter()
        .enumerate()
        .all(|(at, (index, _))| at == *index);
    if chunks.is_empty() || !complete {
        return None;
    }
    Some(SentCookie {
        value: chunks.into_iter().map(|(_, value)| value).collect(),
        alone: true,
    })
}

/// A header's bytes as Node reads them, one character per byte (Latin-1),
/// so a cookie of bytes past ASCII (a sibling's `x=é`) neither hides the
/// session cookie beside it nor a repetition of it.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&byte| char::from(byte)).collect()
}

/// `tryDecode` of the `cookie` package: quotes dropped, then
/// `decodeURIComponent` if there is a `%` and it succeeds (every `%`
/// followed by two hex digits, the bytes UTF-8).
fn decode_once(raw: &str) -> String {
    let unquoted = match raw.strip_prefix('"') {
        // `slice(1, -1)`: the last character goes whatever it is.
        Some(rest) => {
            let mut chars = rest.chars();
            chars.next_back();
            chars.as_str()
        }
        None => raw,
    };
    decode_escapes(unquoted)
}

/// `decodeURIComponent` of a value holding a `%`, if it succeeds (every
/// `%` followed by two hex digits, the bytes UTF-8); else the value as it
/// is.
fn decode_escapes(raw: &str) -> String {
    if !raw.contains('%') || !well_formed_escapes(raw) {
        return raw.to_owned();
    }
    match percent_decode_str(raw).decode_utf8() {
        Ok(decoded) => decoded.into_owned(),
        Err(_) => raw.to_owned(),
    }
}

fn well_formed_escapes(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.iter().enumerate().all(|(at, byte)| {
        *byte != b'%'
            || bytes
                .get(at + 1..at + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(cookie_headers: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in cookie_headers {
            headers.append(COOKIE, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn read_first(cookie_headers: &[&str], name: &str) -> Option<SentCookie> {
        read_cookie(&headers(cookie_headers), name, RepeatedCookie::First)
    }

    fn alone(value: &str) -> Option<SentCookie> {
        Some(SentCookie {
            value: value.to_owned(),
            alone: true,
        })
    }

    #[test]
    fn names_are_never_decoded() {
        let name = "__Secure-next-auth.session-token";
        for encoded in [
            "__Secure%2Dnext-auth.session-token=planted",
            "%5F%5FSecure-next-auth.session-token=planted",
            "__secure-next-auth.session-token=planted",
        ] {
            assert_eq!(read_first(&[encoded], name), None, "{encoded}");
        }
        assert_eq!(
            read_first(
                &[
                    "__Secure%2Dnext-auth.session-token=planted; __Secure-next-auth.session-token=real"
                ],
                name
            ),
            alone("real"),
            "an encoded look-alike is another cookie, not a repetition"
        );
    }

    #[test]
    fn a_repeated_name_is_read_as_the_profile_reads_it_and_flagged() {
        let headers = headers(&["a=1; s=first", "s=second; b=2"]);
        let first = read_cookie(&headers, "s", RepeatedCookie::First).unwrap();
        let last = read_cookie(&headers, "s", RepeatedCookie::Last).unwrap();
        assert_eq!((first.value.as_str(), first.alone), ("first", false));
        assert_eq!((last.value.as_str(), last.alone), ("second", false));
        assert!(!read_first(&["s=x; s=x"], "s").unwrap().alone);
    }

    #[test]
    fn bytes_past_ascii_hide_nothing() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("s=real"));
        headers.append(
            COOKIE,
            HeaderValue::from_bytes("x=\u{e9}; s=planted".as_bytes()).unwrap(),
        );
        let read = read_cookie(&headers, "s", RepeatedCookie::First).unwrap();
        assert_eq!(
            (read.value.as_str(), read.alone),
            ("real", false),
            "a repetition"
        );
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_bytes("x=\u{e9}; s=real".as_bytes()).unwrap(),
        );
        assert_eq!(
            read_cookie(&headers, "s", RepeatedCookie::First),
            alone("real")
        );
    }

    /// Bytes past ASCII that Rust counts as blanks and JS parsers do not all
    /// trim (NEL, no-break space), read as Latin-1.
    #[test]
    fn blanks_the_parsers_disagree_on_name_no_cookie() {
        let read = |bytes: &[u8], which| {
            let mut headers = HeaderMap::new();
            headers.append(COOKIE, HeaderValue::from_bytes(bytes).unwrap());
            read_cookie(&headers, "__Secure-s", which)
        };
        for which in [RepeatedCookie::First, RepeatedCookie::Last] {
            assert_eq!(read(b"\x85__Secure-s=planted", which), None);
            assert_eq!(read(b"__Secure-s=value\xa0", which), None);
            // Next.js's parser trims the blank and reads `planted`: no
            // guess at `real`.
            assert_eq!(
                read(b"__Secure-s\xa0=planted; __Secure-s=real", which),
                None
            );
            assert_eq!(read(b"__Secure-s=bad\x85; __Secure-s=real", which), None);
            assert_eq!(
                read(b"__Secure-s=real; __Secure-s=planted\xa0", which),
                None
            );
            assert_eq!(read(b"other\xa0=x; __Secure-s=real", which), alone("real"));
            assert_eq!(read(b" \t__Secure-s=value \t; a=1", which), alone("value"));
        }
        assert_eq!(
            read(b"\xa0__Secure-s.0=planted", RepeatedCookie::Chunked),
            None
        );
    }

    #[test]
    fn values_are_decoded_exactly_once() {
        assert_eq!(read_first(&["s=a%3Db"], "s"), alone("a=b"));
        assert_eq!(read_first(&["s=a%253Db"], "s"), alone("a%3Db"));
        // decodeURIComponent would throw: the value stays as sent.
        assert_eq!(read_first(&["s=a%3Db%zz"], "s"), alone("a%3Db%zz"));
        assert_eq!(read_first(&["s=%FF"], "s"), alone("%FF"));
        assert_eq!(read_first(&["s=\"quoted\""], "s"), alone("quoted"));
        assert_eq!(read_first(&["s= spaced ; t=1"], "s"), alone("spaced"));
    }

    fn read_chunked(cookie_headers: &[&str]) -> Option<SentCookie> {
        read_cookie(
            &headers(cookie_headers),
            "authjs.session-token",
            RepeatedCookie::Chunked,
        )
    }

    #[test]
    fn chunks_are_joined_in_their_order_as_authjs_joins_them() {
        assert_eq!(
            read_chunked(&["authjs.session-token=whole"]),
            alone("whole")
        );
        assert_eq!(
            read_chunked(&[
                "authjs.session-token.1=b; x=1; authjs.session-token.0=a",
                "authjs.session-token.2=c"
            ]),
            alone("abc")
        );
        // An empty cookie is no chunk (Auth.js skips it).
        assert_eq!(
            read_chunked(&["authjs.session-token=; authjs.session-token.0=a"]),
            alone("a")
        );
        assert_eq!(
            read_chunked(&["authjs.session-token.0=a%3Db"]),
            alone("a=b")
        );
    }

    #[test]
    fn shapes_authjs_never_writes_are_no_session() {
        for odd in [
            "authjs.session-token=whole; authjs.session-token.0=stale",
            "authjs.session-token.0=a; authjs.session-token.2=c",
            "authjs.session-token.1=b",
            "authjs.session-token.00=a",
            "authjs.session-token.0=a; authjs.session-token.01=b",
            "authjs.session-tokenX=planted",
            "authjs.session-token=whole; authjs.session-token-planted=x",
            "authjs.session-token.x=a",
            "authjs.session-token.-0=a",
            "authjs.session-token=",
            "other=1",
            // Auth.js keeps the first (empty) one of a name, and so no session.
            "authjs.session-token=; authjs.session-token=planted",
            // A repeated name: Auth.js keeps the first, Next.js's `cookies()`
            // (next-auth 4 in the App Router) the last.
            "authjs.session-token=a; authjs.session-token=b",
            "authjs.session-token.0=a; authjs.session-token.0=z; authjs.session-token.1=b",
        ] {
            assert_eq!(read_chunked(&[odd]), None, "{odd}");
        }
    }
}
