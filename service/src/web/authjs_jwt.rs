//! The session cookie of a next-auth 4.24 or Auth.js v5 app on the JWT
//! strategy (the default without a database adapter): an encrypted token
//! (JWE, `dir`) that holds the session itself.
//!
//! [`AuthJsJwt`] reads such a cookie as the app's `getToken` does and writes
//! one the app reads, for either major:
//!
//! | | next-auth 4.24 | Auth.js v5 |
//! |---|---|---|
//! | cookie | `next-auth.session-token` | `authjs.session-token` |
//! | content cipher | `A256GCM` | `A256CBC-HS512` (`A256GCM` read too) |
//! | key (HKDF-SHA256 of the secret) | salt `""`, 32 bytes | salt = the cookie's name, 64 bytes (32 for `A256GCM`) |
//! | `kid` | none | the key's JWK thumbprint, checked when present |
//! | secrets | one | several (`AUTH_SECRET_1..3`): written with the first, read with each |
//!
//! Over https the cookie's name carries `__Secure-`, and for v5 that name is
//! the salt, so the key changes with it. A value longer than the major's
//! chunk size is split into `<name>.0`, `<name>.1`, …; every cookie of the
//! old shape is cleared when the shape changes, as the app does.
//!
//! A token is refused ([`JwtRefused`]) unless it is exactly what the app
//! would accept, and some the app would accept are refused too (each a
//! refusal, never a grant): a header with `zip`, `crit` or claims copied
//! into it, a claims set without `exp`, and on next-auth 4 a cipher other
//! than the one it writes. A tag or IV of another size than the cipher's is
//! refused before any decryption, and `A256CBC-HS512`'s tag is checked in
//! constant time first.
//! `exp` and `nbf` get the app's 15 seconds of clock tolerance.
//!
//! ```
//! use authstore::authjs::NextAuthMajor;
//! use authstore::web::authjs_jwt::{AuthJsJwt, JwtClaims};
//! use chrono::Utc;
//! use serde_json::json;
//!
//! let jwt = AuthJsJwt::new(NextAuthMajor::V5, ["the app's AUTH_SECRET"])?;
//! let claims = JwtClaims::new(json!({"sub": "42", "email": "ada@example.com"}))?;
//! let token = jwt.encode(&claims, Utc::now());
//! let read = jwt.decode(token.expose(), Utc::now()).expect("a token it wrote");
//! assert_eq!(read.sub(), Some("42"));
//! assert!(read.exp().is_some());
//! # Ok::<(), authstore::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request};
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{DateTime, TimeDelta, Utc};
use data_encoding::BASE64URL_NOPAD;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use josekit::jwe::{self, Dir, JweDecrypter, JweEncrypter, JweHeader};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

use super::cookies::{read_cookie, sent_names_starting_with};
use super::layer::{Origins, PublicUrl, Resolved, ResolvesSessions, SessionLayer, SignedIn};
use crate::authjs::{AuthJsStore, AuthJsUser, NextAuthMajor};
use crate::rules::error::{ConfigError, Error};
use crate::rules::token::{Secret, random_uuid};
use authstore_entity::RepeatedCookie;

/// Both majors accept `exp` up to this long past and `nbf` this long ahead.
const CLOCK_TOLERANCE_SECONDS: i64 = 15;

/// The content ciphers, as JWE names them.
const A256GCM: &str = "A256GCM";
const A256CBC_HS512: &str = "A256CBC-HS512";

/// What each major writes and reads: its HKDF inputs, its ciphers and its
/// chunk size.
struct Dialect {
    /// The ciphers it reads, the one it writes first.
    reads: &'static [&'static str],
    /// The largest cookie value before the value is chunked: 4096 less
    /// the major's estimate of a cookie's other bytes.
    chunk_size: usize,
}

impl Dialect {
    const fn of(major: NextAuthMajor) -> &'static Dialect {
        match major {
            NextAuthMajor::V4 => &Dialect {
                reads: &[A256GCM],
                chunk_size: 4096 - 163,
            },
            NextAuthMajor::V5 => &Dialect {
                reads: &[A256CBC_HS512, A256GCM],
                chunk_size: 4096 - 160,
            },
        }
    }
}

/// One key derived from one secret for one cipher.
struct Key {
    enc: &'static str,
    /// The key's JWK thumbprint (v5 writes it as `kid`); `None` for v4.
    kid: Option<String>,
    /// For `A256CBC-HS512`, the key's first half, which authenticates the
    /// token (RFC 7518 §5.2.2.1): checked before anything is decrypted.
    mac_key: Option<Vec<u8>>,
    encrypter: Box<dyn JweEncrypter>,
    decrypter: Box<dyn JweDecrypter>,
}

impl Key {
    /// The key for `enc` from `secret`, as `major` derives it for the
    /// cookie `cookie`.
    fn derive(major: NextAuthMajor, secret: &Secret, cookie: &str, enc: &'static str) -> Key {
        let (salt, info, length) = match major {
            NextAuthMajor::V4 => ("", "NextAuth.js Generated Encryption Key".to_owned(), 32),
            NextAuthMajor::V5 => (
                cookie,
                format!("Auth.js Generated Encryption Key ({cookie})"),
                if enc == A256GCM { 32 } else { 64 },
            ),
        };
        let mut bytes = vec![0u8; length];
        Hkdf::<Sha256>::new(Some(salt.as_bytes()), secret.expose().as_bytes())
            .expand(info.as_bytes(), &mut bytes)
            .expect("32 or 64 bytes is a valid HKDF-SHA256 length");
        let kid = (major == NextAuthMajor::V5).then(|| thumbprint(&bytes));
        let mac_key = (enc == A256CBC_HS512).then(|| bytes[..32].to_vec());
        Key {
            enc,
            kid,
            mac_key,
            encrypter: Box::new(Dir.encrypter_from_bytes(&bytes).expect("a raw key")),
            decrypter: Box::new(Dir.decrypter_from_bytes(&bytes).expect("a raw key")),
        }
    }
}

/// The RFC 7638 thumbprint of an `oct` JWK holding `key`, with the SHA-2
/// of the key's own size, as Auth.js computes its `kid`.
fn thumbprint(key: &[u8]) -> String {
    // The members in lexicographic order, no spaces: RFC 7638 §3.
    let jwk = format!(r#"{{"k":"{}","kty":"oct"}}"#, BASE64URL_NOPAD.encode(key));
    match key.len() {
        64 => BASE64URL_NOPAD.encode(&Sha512::digest(jwk.as_bytes())),
        _ => BASE64URL_NOPAD.encode(&Sha256::digest(jwk.as_bytes())),
    }
}

/// An Auth.js app's JWT session cookie: its major, its secrets, its session
/// length and whether its URL is https. See the [module docs](self).
pub struct AuthJsJwt {
    major: NextAuthMajor,
    cookie: &'static str,
    https: bool,
    max_age: TimeDelta,
    /// The app's secrets, the first writing: kept to derive the keys again
    /// when the cookie's name (a v5 key's salt) changes.
    secrets: Vec<Secret>,
    /// Per secret, in order, a key per cipher the major reads.
    keys: Vec<Vec<Key>>,
}

impl fmt::Debug for AuthJsJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthJsJwt")
            .field("major", &self.major)
            .field("cookie", &self.cookie)
            .field("max_age", &self.max_age)
            .field("secrets", &self.secrets)
            .finish()
    }
}

impl AuthJsJwt {
    /// The cookie of an app on `major` with `secrets` (the app's
    /// `AUTH_SECRET`, or for v5 `AUTH_SECRET_1`, `AUTH_SECRET_2`, … in that
    /// order), on http, with Auth.js's 30-day `maxAge`.
    /// [`ConfigError::EmptySecret`] if there is none or one is blank;
    /// [`ConfigError::SecretRotation`] for several on next-auth 4, which
    /// takes one.
    pub fn new<S: Into<Secret>>(
        major: NextAuthMajor,
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self, Error> {
        let secrets: Vec<Secret> = secrets.into_iter().map(Into::into).collect();
        if secrets.is_empty() || secrets.iter().any(|s| s.expose().trim().is_empty()) {
            return Err(ConfigError::EmptySecret.into());
        }
        if major == NextAuthMajor::V4 && secrets.len() > 1 {
            return Err(ConfigError::SecretRotation.into());
        }
        Ok(AuthJsJwt {
            major,
            cookie: major.session_cookie(false),
            https: false,
            max_age: TimeDelta::days(30),
            keys: Vec::new(),
            secrets,
        }
        .with_keys())
    }

    /// The keys of every secret for the cookie's current name.
    fn with_keys(mut self) -> Self {
        let dialect = Dialect::of(self.major);
        self.keys = self
            .secrets
            .iter()
            .map(|secret| {
                dialect
                    .reads
                    .iter()
                    .map(|enc| Key::derive(self.major, secret, self.cookie, enc))
                    .collect()
            })
            .collect();
        self
    }

    /// The app's `session.maxAge` (Auth.js v5's `jwt.maxAge` follows it):
    /// the life a written token gets. [`ConfigError::NotPositive`] unless
    /// positive, [`ConfigError::TooLong`] past a hundred years.
    pub fn max_age(mut self, max_age: TimeDelta) -> Result<Self, Error> {
        if max_age <= TimeDelta::zero() {
            return Err(ConfigError::NotPositive("max_age").into());
        }
        // Every renewal adds it to now: keep the sum a time chrono has.
        if max_age > TimeDelta::days(100 * 366) {
            return Err(ConfigError::TooLong("max_age").into());
        }
        self.max_age = max_age;
        Ok(self)
    }

    /// The app's URL is https: the cookie is `__Secure-` prefixed and
    /// Secure, and on v5 its keys change with its name.
    pub fn https(self, https: bool) -> Self {
        AuthJsJwt {
            cookie: self.major.session_cookie(https),
            https,
            ..self
        }
        .with_keys()
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &'static str {
        self.cookie
    }

    /// The token's claims if the app would accept `token` at `now`.
    pub fn decode(&self, token: &str, now: DateTime<Utc>) -> Result<JwtClaims, JwtRefused> {
        let parts = Compact::split(token)?;
        let key = self.key_for(&parts.header)?;
        parts.authenticate(key)?;
        let (payload, _) = jwe::deserialize_compact(token, key.decrypter.as_ref())
            .map_err(|_| JwtRefused::Undecryptable)?;
        let claims = JwtClaims::parse(&payload)?;
        claims.check_times(now.timestamp())?;
        Ok(claims)
    }

    /// The key the header asks for, as the app picks it: the cipher must be
    /// one the major reads; with a `kid`, the first secret whose key has
    /// that thumbprint; without, the first secret's.
    fn key_for(&self, header: &Map<String, Value>) -> Result<&Key, JwtRefused> {
        let text = |name: &str| header.get(name).map(|value| value.as_str());
        // Claims replicated into the header (which jose compares with the
        // payload's) are refused outright: Auth.js writes none.
        let unread = ["zip", "crit", "iss", "sub", "aud"];
        if text("alg") != Some(Some("dir")) || unread.iter().any(|name| header.contains_key(*name))
        {
            return Err(JwtRefused::Header);
        }
        let Some(Some(enc)) = text("enc") else {
            return Err(JwtRefused::Header);
        };
        let kid = match text("kid") {
            None => None,
            Some(Some(kid)) => Some(kid),
            Some(None) => return Err(JwtRefused::Header),
        };
        let mut keys = self
            .keys
            .iter()
            .filter_map(|per_cipher| per_cipher.iter().find(|key| key.enc == enc));
        match kid {
            // next-auth 4 never reads a `kid`.
            Some(kid) if self.major == NextAuthMajor::V5 => keys
                .find(|key| key.kid.as_deref() == Some(kid))
                .ok_or(JwtRefused::NoMatchingSecret),
            _ => keys.next().ok_or(JwtRefused::Header),
        }
    }

    /// A token of `claims` as the app writes it at `now`: `iat` now, `exp`
    /// after [`max_age`](Self::max_age), a new random `jti`, encrypted with
    /// the first secret.
    pub fn encode(&self, claims: &JwtClaims, now: DateTime<Utc>) -> Secret {
        // The first secret's key for the cipher the major writes.
        let key = &self.keys[0][0];
        let mut header = JweHeader::new();
        header.set_content_encryption(key.enc);
        if let Some(kid) = &key.kid {
            header.set_key_id(kid);
        }
        let mut payload = claims.claims.clone();
        let iat = now.timestamp();
        payload.insert("iat".into(), iat.into());
        payload.insert("exp".into(), (iat + self.max_age.num_seconds()).into());
        payload.insert("jti".into(), random_uuid().expose().into());
        let bytes = serde_json::to_vec(&payload).expect("a JSON object serialises");
        Secret::from(
            jwe::serialize_compact(&bytes, &header, key.encrypter.as_ref())
                .expect("dir encryption with a key of the cipher's size"),
        )
    }

    /// The session in the request's cookie, whole or in chunks, read as
    /// the app reads it (see [`cookies`](super::cookies)): `None` when
    /// there is no cookie, `Err` when there is one the app would refuse.
    pub fn read(
        &self,
        headers: &HeaderMap,
        now: DateTime<Utc>,
    ) -> Option<Result<JwtClaims, JwtRefused>> {
        let sent = read_cookie(headers, self.cookie, RepeatedCookie::Chunked)?;
        Some(self.decode(&sent.value, now))
    }

    /// The cookies that store `token` in the browser as the app stores it:
    /// whole, or in chunks when it is longer than the major's chunk size,
    /// each expiring after [`max_age`](Self::max_age) from `now`, and before
    /// them the removal of every cookie of the old shape the request sent.
    pub fn session_cookies(
        &self,
        token: &Secret,
        sent: &HeaderMap,
        now: DateTime<Utc>,
    ) -> Vec<Cookie<'static>> {
        let value = token.expose();
        let size = Dialect::of(self.major).chunk_size;
        let fresh: Vec<(String, String)> = if value.len() <= size {
            vec![(self.cookie.to_owned(), value.to_owned())]
        } else {
            // A JWE compact token is ASCII: any byte offset is a boundary.
            value
                .as_bytes()
                .chunks(size)
                .enumerate()
                .map(|(at, chunk)| {
                    let chunk = std::str::from_utf8(chunk).expect("a JWE is ASCII");
                    (format!("{}.{at}", self.cookie), chunk.to_owned())
                })
                .collect()
        };
        let expires = time::OffsetDateTime::from_unix_timestamp((now + self.max_age).timestamp())
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let mut cookies = self.removals(sent, |name| fresh.iter().all(|(kept, _)| *kept != name));
        cookies.extend(fresh.into_iter().map(|(name, value)| {
            let mut cookie = self.base_cookie(name, value);
            cookie.set_expires(expires);
            cookie
        }));
        cookies
    }

    /// The cookies that sign the browser out: the removal of the session
    /// cookie and of every chunk of it the request sent.
    pub fn sign_out_cookies(&self, sent: &HeaderMap) -> Vec<Cookie<'static>> {
        let mut cookies = self.removals(sent, |name| name != self.cookie);
        cookies.push(self.removal(self.cookie.to_owned()));
        cookies
    }

    /// Removals of the cookies the request sent whose names start with the
    /// session cookie's and `keep` holds for.
    fn removals(&self, sent: &HeaderMap, keep: impl Fn(&str) -> bool) -> Vec<Cookie<'static>> {
        sent_names_starting_with(sent, self.cookie)
            .into_iter()
            .filter(|name| keep(name))
            .map(|name| self.removal(name))
            .collect()
    }

    fn removal(&self, name: String) -> Cookie<'static> {
        let mut cookie = self.base_cookie(name, String::new());
        cookie.make_removal();
        cookie
    }

    fn base_cookie(&self, name: String, value: String) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.https)
            .build()
    }
}

/// A compact JWE's parts: its protected header (as sent, and parsed), and
/// the initialization vector, ciphertext and tag, decoded.
struct Compact<'t> {
    encoded_header: &'t str,
    header: Map<String, Value>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

impl<'t> Compact<'t> {
    /// The parts of `token`, refused unless it has the five of a compact
    /// JWE, no encrypted key (`dir` has none) and a JSON object for header.
    fn split(token: &'t str) -> Result<Self, JwtRefused> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
            return Err(JwtRefused::Malformed);
        };
        if !encrypted_key.is_empty() {
            return Err(JwtRefused::Header);
        }
        let decode = |part: &str| {
            BASE64URL_NOPAD
                .decode(part.as_bytes())
                .map_err(|_| JwtRefused::Malformed)
        };
        Ok(Compact {
            encoded_header: header,
            header: serde_json::from_slice(&decode(header)?).map_err(|_| JwtRefused::Malformed)?,
            iv: decode(iv)?,
            ciphertext: decode(ciphertext)?,
            tag: decode(tag)?,
        })
    }

    /// Refuses the token unless its IV and tag have the sizes `key`'s
    /// cipher makes (jose checks both; OpenSSL would take a GCM tag of one
    /// byte, which an attacker guesses, and an empty IV panics it) and, for
    /// `A256CBC-HS512`, unless its tag is the HMAC-SHA-512 of the header,
    /// IV and ciphertext, compared in constant time before any decryption.
    fn authenticate(&self, key: &Key) -> Result<(), JwtRefused> {
        let (iv, tag) = if key.enc == A256GCM {
            (12, 16)
        } else {
            (16, 32)
        };
        if self.iv.len() != iv || self.tag.len() != tag {
            return Err(JwtRefused::Malformed);
        }
        let Some(mac_key) = &key.mac_key else {
            return Ok(());
        };
        let mut mac = Hmac::<Sha512>::new_from_slice(mac_key).expect("HMAC takes any key size");
        mac.update(self.encoded_header.as_bytes());
        mac.update(&self.iv);
        mac.update(&self.ciphertext);
        // AL: the additional data's length in bits, 64-bit big-endian.
        mac.update(&(self.encoded_header.len() as u64 * 8).to_be_bytes());
        mac.verify_truncated_left(&self.tag)
            .map_err(|_| JwtRefused::Undecryptable)
    }
}

/// The claims of an Auth.js session token: `sub` (the user's id), `name`,
/// `email`, `picture`, `iat`, `exp`, `jti`, and whatever the app's `jwt`
/// callback added, all kept as the JSON object the app wrote so that a
/// renewal writes them back unchanged.
#[derive(Clone, PartialEq)]
pub struct JwtClaims {
    claims: Map<String, Value>,
}

/// `sub` and the claims' names: an app may keep a provider's access token
/// among them, which no log line should hold.
impl fmt::Debug for JwtClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtClaims")
            .field("sub", &self.sub())
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl JwtClaims {
    /// Claims from a JSON object, for [`AuthJsJwt::encode`] (which sets
    /// `iat`, `exp` and `jti` itself). [`ConfigError::JwtClaims`] if it is
    /// no object.
    pub fn new(claims: Value) -> Result<Self, Error> {
        match claims {
            Value::Object(claims) => Ok(JwtClaims { claims }),
            _ => Err(ConfigError::JwtClaims.into()),
        }
    }

    fn parse(payload: &[u8]) -> Result<Self, JwtRefused> {
        match serde_json::from_slice(payload) {
            Ok(PlainJson(Value::Object(claims))) => Ok(JwtClaims { claims }),
            _ => Err(JwtRefused::Claims),
        }
    }

    /// jose's checks, as both majors run them: `iat`, `nbf` and `exp`
    /// numbers where present, `nbf` not ahead and `exp` not past, each by
    /// more than the tolerance; and (stricter) `exp` present.
    fn check_times(&self, now: i64) -> Result<(), JwtRefused> {
        let number = |claim: &str| match self.claims.get(claim) {
            None => Ok(None),
            Some(value) => value.as_f64().map(Some).ok_or(JwtRefused::Claims),
        };
        number("iat")?;
        let tolerance = CLOCK_TOLERANCE_SECONDS as f64;
        if number("nbf")?.is_some_and(|nbf| nbf > now as f64 + tolerance) {
            return Err(JwtRefused::NotYetValid);
        }
        match number("exp")? {
            None => Err(JwtRefused::Claims),
            Some(exp) if exp <= now as f64 - tolerance => Err(JwtRefused::Expired),
            Some(_) => Ok(()),
        }
    }

    fn text(&self, claim: &str) -> Option<&str> {
        self.claims.get(claim).and_then(Value::as_str)
    }

    fn seconds(&self, claim: &str) -> Option<DateTime<Utc>> {
        let seconds = self.claims.get(claim)?.as_f64()?;
        DateTime::from_timestamp(seconds.floor() as i64, 0)
    }

    /// The user's id (`sub`).
    pub fn sub(&self) -> Option<&str> {
        self.text("sub")
    }

    /// The user's name, if the app put one in.
    pub fn name(&self) -> Option<&str> {
        self.text("name")
    }

    /// The user's address, if the app put one in.
    pub fn email(&self) -> Option<&str> {
        self.text("email")
    }

    /// The user's picture URL, if the app put one in.
    pub fn picture(&self) -> Option<&str> {
        self.text("picture")
    }

    /// When the token was written (`iat`).
    pub fn iat(&self) -> Option<DateTime<Utc>> {
        self.seconds("iat")
    }

    /// When the token stops being accepted (`exp`, less the tolerance).
    pub fn exp(&self) -> Option<DateTime<Utc>> {
        self.seconds("exp")
    }

    /// The token's id (`jti`), new on every write.
    pub fn jti(&self) -> Option<&str> {
        self.text("jti")
    }

    /// Every claim, the app's own among them.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }
}

/// JSON read as `JSON.parse` reads it. serde_json's own `Value` takes an
/// object whose one key is `$serde_json::private::RawValue` for the JSON
/// text its value holds (when a crate in the build turns on its
/// `raw_value` feature, as sqlx does): a claim the app stored as an
/// ordinary object would be read, and renewed, as another.
struct PlainJson(Value);

impl<'de> serde::Deserialize<'de> for PlainJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PlainVisitor).map(PlainJson)
    }
}

struct PlainVisitor;

impl<'de> serde::de::Visitor<'de> for PlainVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(value.into())
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(value.into())
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(PlainJson(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some((key, PlainJson(value))) = map.next_entry::<String, PlainJson>()? {
            // The last of a repeated key, as `JSON.parse` keeps it.
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Why a session token was refused; none of them says more than which
/// check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtRefused {
    /// Not a compact JWE with a JSON header.
    #[error("the session token is not a compact JWE")]
    Malformed,
    /// An algorithm, cipher or header parameter the app would not read.
    #[error("the session token's header is not one the app reads")]
    Header,
    /// A `kid` that none of the secrets' keys has.
    #[error("no secret's key matches the session token's kid")]
    NoMatchingSecret,
    /// Tampered with, or encrypted with another key.
    #[error("the session token does not decrypt")]
    Undecryptable,
    /// No JSON object, or `iat`, `nbf` or `exp` not numbers, or no `exp`.
    #[error("the session token's claims are not valid")]
    Claims,
    /// Past `exp` (and the tolerance).
    #[error("the session token has expired")]
    Expired,
    /// Before `nbf` (less the tolerance).
    #[error("the session token is not valid yet")]
    NotYetValid,
}

/// An Auth.js app's JWT sessions served to axum, as
/// [`WebSessions`](super::WebSessions) serves a store's: its
/// [`layer`](JwtSessions::layer) reads every request's cookie, records the
/// claims for [`SignedIn<JwtClaims>`](super::SignedIn) (401 without a valid
/// one) and `Option<SignedIn<JwtClaims>>`, and renews the cookie with a
/// fresh token, as the app's session route and its v5 middleware do. A
/// cookie it refuses is left alone (the app clears it on its next session
/// read; a service with a wrong secret would otherwise sign everybody out).
/// Writes from other origins are refused, as by `WebSessions`, unless
/// [trusted](JwtSessions::trusting_origins).
///
/// ```
/// use authstore::authjs::NextAuthMajor;
/// use authstore::web::SignedIn;
/// use authstore::web::authjs_jwt::{AuthJsJwt, JwtClaims, JwtSessions};
/// use axum::{Router, routing::get};
///
/// async fn me(SignedIn { session, .. }: SignedIn<JwtClaims>) -> String {
///     format!("signed in as {}", session.sub().unwrap_or("?"))
/// }
///
/// fn app() -> Result<Router, authstore::Error> {
///     let jwt = AuthJsJwt::new(NextAuthMajor::V5, ["the app's AUTH_SECRET"])?;
///     let sessions = JwtSessions::new(jwt, "https://app.example.com")?;
///     Ok(Router::new().route("/me", get(me)).layer(sessions.layer()))
/// }
/// ```
#[derive(Clone, Debug)]
pub struct JwtSessions {
    jwt: Arc<AuthJsJwt>,
    origins: Origins,
    /// Renew the cookie on every read ([`JwtSessions::renewing`]).
    renew: bool,
    /// Where the users of `sub` are ([`JwtSessions::with_users`]).
    users: Option<AuthJsStore>,
}

/// A JWT session's claims with the user row its `sub` names, for
/// `SignedIn<JwtUser>` behind [`JwtSessions::with_users`]: an app with a
/// database adapter on JWT sessions (as its Credentials provider needs).
#[derive(Clone, Debug)]
pub struct JwtUser {
    /// The token's claims.
    pub claims: JwtClaims,
    /// The row of `users` whose id is `sub`.
    pub user: AuthJsUser,
}

impl JwtSessions {
    /// `jwt`'s sessions for an app whose public URL is `public_url` (the
    /// one the browser sees: `AUTH_URL`, `NEXTAUTH_URL`): https means the
    /// `__Secure-` cookie, and for v5 its key. [`ConfigError::PublicUrl`] if
    /// it is no absolute http(s) URL.
    pub fn new(jwt: AuthJsJwt, public_url: &str) -> Result<Self, Error> {
        let PublicUrl { https, origins } = PublicUrl::parse(public_url)?;
        Ok(JwtSessions {
            jwt: Arc::new(jwt.https(https)),
            origins,
            renew: true,
            users: None,
        })
    }

    /// Also gives handlers the user row of the token's `sub`, from the
    /// app's `authjs-pg` tables: `SignedIn<JwtUser>` answers 401 when the
    /// row is gone (a user the app deleted, whose token it would still
    /// read), while `SignedIn<JwtClaims>` goes on reading the token alone.
    /// One lookup a request (the store's session cache does not hold
    /// users).
    pub fn with_users(mut self, store: AuthJsStore) -> Self {
        self.users = Some(store);
        self
    }

    /// Whether a read renews the cookie (on by default, as the app's
    /// session route renews it). The app's `jwt` callback runs only in the
    /// app: a session it would end or change (a ban, a refreshed role) is
    /// renewed here as it stands. Turn renewal off to leave every renewal,
    /// and so that decision, to the app; the cookie then ends at the `exp`
    /// the app last wrote.
    pub fn renewing(mut self, renew: bool) -> Self {
        self.renew = renew;
        self
    }

    /// Also admits writes sent by pages at `origins`, as
    /// [`WebSessions::trusting_origins`](super::WebSessions::trusting_origins)
    /// does.
    pub fn trusting_origins<'a>(
        mut self,
        origins: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, Error> {
        self.origins.trust(origins)?;
        Ok(self)
    }

    /// The cookie's reader and writer.
    pub fn jwt(&self) -> &AuthJsJwt {
        &self.jwt
    }

    /// The layer that resolves every request's session; see
    /// [`JwtSessions`].
    pub fn layer(&self) -> SessionLayer<Self> {
        SessionLayer::new(self.clone())
    }

    /// The cookies that sign the browser out (the session cookie and every
    /// chunk of it the request sent), for the response. A JWT cannot be
    /// revoked: a copy of the cookie taken before stays valid until its
    /// `exp`.
    pub fn sign_out(&self, sent: &HeaderMap) -> Vec<Cookie<'static>> {
        self.jwt.sign_out_cookies(sent)
    }
}

impl ResolvesSessions for JwtSessions {
    fn origins(&self) -> &Origins {
        &self.origins
    }

    async fn resolve(&self, request: &mut Request<Body>) -> Vec<Cookie<'static>> {
        let now = Utc::now();
        let mut renewal = Vec::new();
        let found = match self.jwt.read(request.headers(), now) {
            Some(Ok(claims)) => {
                let token = if self.renew {
                    let token = self.jwt.encode(&claims, now);
                    renewal = self.jwt.session_cookies(&token, request.headers(), now);
                    token
                } else {
                    // Only a store's sign-out reads it; `sign_out` here
                    // reads the request's cookies.
                    Secret::from(String::new())
                };
                Some(SignedIn {
                    session: claims,
                    token,
                })
            }
            Some(Err(refused)) => {
                tracing::debug!(%refused, "session cookie refused");
                None
            }
            None => None,
        };
        if let Some(users) = &self.users {
            let with_user = match &found {
                Some(signed_in) => user_of(users, signed_in).await,
                None => None,
            };
            request.extensions_mut().insert(Resolved(with_user));
        }
        request.extensions_mut().insert(Resolved(found));
        renewal
    }

    fn cookie_name(&self) -> &str {
        self.jwt.cookie
    }
}

/// The session with the row of its `sub` (an `authjs-pg` id: an integer,
/// written as Auth.js writes it), if there is one.
async fn user_of(
    users: &AuthJsStore,
    signed_in: &SignedIn<JwtClaims>,
) -> Option<SignedIn<JwtUser>> {
    let sub = signed_in.session.sub()?;
    let id: i32 = sub.parse().ok().filter(|id: &i32| id.to_string() == sub)?;
    match users.get_user(id).await {
        Ok(Some(user)) => Some(SignedIn {
            session: JwtUser {
                claims: signed_in.session.clone(),
                user,
            },
            token: signed_in.token.clone(),
        }),
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(error = %err, "the JWT session's user lookup failed");
            None
        }
    }
}
