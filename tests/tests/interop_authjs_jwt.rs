//! Auth.js's JWT session cookie, both ways, against the real packages:
//! `@auth/core` 0.41.3 (Auth.js v5) and next-auth 4.24.15, run by
//! `tests/interop/authjs/jwt.mjs` under Node, and `web::authjs_jwt`.
//! Tokens each side writes are read by the other's `decode` and `getToken`
//! (with one secret and several, whole and chunked); expired, tampered and
//! the other major's tokens are refused by both; and the app's session
//! route accepts and renews a cookie authstore wrote.
//!
//! Needs `npm ci --prefix tests/interop/authjs` (CI does it); without it
//! the tests are skipped with a note, or fail when `CI` is set.

use authstore::authjs::NextAuthMajor;
use authstore::web::authjs_jwt::{AuthJsJwt, JwtClaims, JwtRefused};
use authstore::{ConfigError, Error, Secret};
use authstore_tests::interop::{self, MAX_AGE, NextAuth, SECRET};
use axum::http::{HeaderMap, HeaderValue, header::COOKIE};
use axum_extra::extract::cookie::Cookie;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

const MAJORS: [NextAuthMajor; 2] = [NextAuthMajor::V4, NextAuthMajor::V5];

fn number(major: NextAuthMajor) -> u8 {
    match major {
        NextAuthMajor::V4 => 4,
        NextAuthMajor::V5 => 5,
    }
}

/// The packages' JWT functions, with `secrets` and https or not.
fn packages(secrets: Value, secure: bool) -> Option<(NextAuth, Value)> {
    interop::authjs_installed().then(|| {
        let settings = json!({ "secret": secrets, "secure": secure });
        (NextAuth::new("authjs/jwt.mjs", ""), settings)
    })
}

fn run(js: &(NextAuth, Value), ops: Value) -> Vec<Value> {
    js.0.run_with(js.1.clone(), ops)
}

fn jwt(major: NextAuthMajor, secrets: &[&str]) -> AuthJsJwt {
    AuthJsJwt::new(major, secrets.iter().copied()).unwrap()
}

fn ada() -> JwtClaims {
    JwtClaims::new(json!({
        "sub": "42", "name": "Ada", "email": "ada@example.com", "picture": null,
        "role": "admin", "teams": [1, 2]
    }))
    .unwrap()
}

/// The `Cookie` header a browser sends after taking `cookies`.
fn browser_sends(cookies: &[Cookie<'static>]) -> String {
    cookies
        .iter()
        .filter(|cookie| !cookie.value().is_empty())
        .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn headers(cookie: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
    headers
}

fn epoch(value: &Value) -> DateTime<Utc> {
    DateTime::from_timestamp(value.as_i64().expect("a NumericDate"), 0).unwrap()
}

#[test]
fn tokens_the_packages_write_are_read_with_every_claim() {
    let Some(js) = packages(json!(SECRET), false) else {
        return;
    };
    for major in MAJORS {
        let m = number(major);
        let out = run(
            &js,
            json!([
                { "op": "encode", "args": [m, ada().claims()] },
                { "op": "decode", "args": [m, "$0"] },
            ]),
        );
        let token = out[0].as_str().unwrap();
        let read = jwt(major, &[SECRET]).decode(token, Utc::now()).unwrap();
        assert_eq!(read.claims(), out[1].as_object().unwrap(), "{major:?}");
        assert_eq!(read.sub(), Some("42"));
        assert_eq!(read.email(), Some("ada@example.com"));
        assert_eq!(read.picture(), None);
        assert_eq!(read.claims()["teams"], json!([1, 2]));
        assert_eq!(read.exp(), Some(epoch(&out[1]["exp"])));
        assert_eq!(read.iat(), Some(epoch(&out[1]["iat"])));
        assert_eq!(read.jti(), out[1]["jti"].as_str());
        // Another secret's key opens nothing.
        let other = jwt(major, &["another secret"]).decode(token, Utc::now());
        assert!(other.is_err(), "{major:?}: {other:?}");
    }
}

#[test]
fn tokens_authstore_writes_are_read_by_decode_and_get_token() {
    for secure in [false, true] {
        let Some(js) = packages(json!(SECRET), secure) else {
            return;
        };
        for major in MAJORS {
            let jwt = jwt(major, &[SECRET]).https(secure);
            let now = Utc::now();
            let token = jwt.encode(&ada(), now);
            let cookie = browser_sends(&jwt.session_cookies(&token, &HeaderMap::new(), now));
            assert!(cookie.starts_with(&format!("{}=", jwt.cookie_name())));
            let m = number(major);
            let out = run(
                &js,
                json!([
                    { "op": "decode", "args": [m, token.expose()] },
                    { "op": "getToken", "args": [m, cookie] },
                ]),
            );
            for read in &out {
                assert_eq!(read["sub"], "42", "{major:?} secure={secure}: {read}");
                assert_eq!(read["role"], "admin");
                assert_eq!(read["iat"], now.timestamp());
                assert_eq!(read["exp"], now.timestamp() + MAX_AGE);
                assert_eq!(read["jti"].as_str().unwrap().len(), 36);
            }
        }
    }
}

#[test]
fn v5_reads_with_every_secret_and_writes_with_the_first() {
    let Some(rotated) = packages(json!(["new secret", "old secret"]), false) else {
        return;
    };
    let Some(old_only) = packages(json!(["old secret"]), false) else {
        return;
    };
    let Some(new_only) = packages(json!(["new secret"]), false) else {
        return;
    };
    let both = jwt(NextAuthMajor::V5, &["new secret", "old secret"]);
    // A token from before the rotation is read with the old secret.
    let before = run(
        &old_only,
        json!([{ "op": "encode", "args": [5, ada().claims()] }]),
    );
    let read = both
        .decode(before[0].as_str().unwrap(), Utc::now())
        .unwrap();
    assert_eq!(read.sub(), Some("42"));
    // One written after it is written with the first: the app with only the
    // new secret reads it, the app with only the old one does not.
    let token = both.encode(&ada(), Utc::now());
    let by_new = run(
        &new_only,
        json!([{ "op": "decode", "args": [5, token.expose()] }]),
    );
    assert_eq!(by_new[0]["sub"], "42");
    let by_old = run(
        &old_only,
        json!([{ "op": "decode", "args": [5, token.expose()] }]),
    );
    assert!(by_old[0]["error"].is_string(), "{by_old:?}");
    let by_both = run(
        &rotated,
        json!([{ "op": "decode", "args": [5, token.expose()] }]),
    );
    assert_eq!(by_both[0]["sub"], "42");
    // authstore with only the new secret: the old token's kid matches none.
    let new = jwt(NextAuthMajor::V5, &["new secret"]);
    let refused = new.decode(before[0].as_str().unwrap(), Utc::now());
    assert_eq!(refused, Err(JwtRefused::NoMatchingSecret));
}

#[test]
fn next_auth_4_takes_one_secret() {
    let refusal = |result: Result<AuthJsJwt, Error>| match result {
        Err(Error::Config(config)) => config,
        other => panic!("expected a config error, got {other:?}"),
    };
    let several = AuthJsJwt::new(NextAuthMajor::V4, ["a", "b"]);
    assert_eq!(refusal(several), ConfigError::SecretRotation);
    let none = AuthJsJwt::new(NextAuthMajor::V5, Vec::<String>::new());
    assert_eq!(refusal(none), ConfigError::EmptySecret);
    let blank = AuthJsJwt::new(NextAuthMajor::V5, ["ok", " "]);
    assert_eq!(refusal(blank), ConfigError::EmptySecret);
    // v5 takes several.
    assert!(AuthJsJwt::new(NextAuthMajor::V5, ["a", "b", "c"]).is_ok());
}

#[test]
fn long_tokens_are_chunked_as_the_packages_chunk_them() {
    let Some(js) = packages(json!(SECRET), false) else {
        return;
    };
    let padding = "p".repeat(9000);
    let big = JwtClaims::new(json!({ "sub": "42", "padding": padding })).unwrap();
    for major in MAJORS {
        let m = number(major);
        let jwt = jwt(major, &[SECRET]);
        let now = Utc::now();
        let token = jwt.encode(&big, now);
        // The names and values the package writes for this very value.
        let theirs = run(&js, json!([{ "op": "chunk", "args": [m, token.expose()] }]));
        let ours = jwt.session_cookies(&token, &HeaderMap::new(), now);
        let ours: Vec<Value> = ours
            .iter()
            .map(|c| json!({ "name": c.name(), "value": c.value() }))
            .collect();
        assert_eq!(&ours, theirs[0].as_array().unwrap(), "{major:?}");
        assert!(ours.len() > 1, "{major:?}: {} cookies", ours.len());
        // getToken joins authstore's chunks; authstore joins the package's.
        let cookie = browser_sends(&jwt.session_cookies(&token, &HeaderMap::new(), now));
        let read = run(&js, json!([{ "op": "getToken", "args": [m, cookie] }]));
        assert_eq!(read[0]["padding"].as_str().map(str::len), Some(9000));
        let encoded = run(
            &js,
            json!([
                { "op": "encode", "args": [m, { "sub": "7", "padding": padding }] },
                { "op": "chunk", "args": [m, "$0"] },
            ]),
        );
        let sent = encoded[1]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{}={}",
                    c["name"].as_str().unwrap(),
                    c["value"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let claims = jwt.read(&headers(&sent), Utc::now()).unwrap().unwrap();
        assert_eq!(claims.sub(), Some("7"));
    }
}

#[test]
fn a_new_shape_clears_the_old_one() {
    let jwt = jwt(NextAuthMajor::V5, &[SECRET]);
    let now = Utc::now();
    let small = jwt.encode(&ada(), now);
    let sent = headers("authjs.session-token.0=a; authjs.session-token.1=b; other=c");
    let cookies = jwt.session_cookies(&small, &sent, now);
    let shape: Vec<(&str, bool)> = cookies
        .iter()
        .map(|c| (c.name(), c.value().is_empty()))
        .collect();
    assert_eq!(
        shape,
        [
            ("authjs.session-token.0", true),
            ("authjs.session-token.1", true),
            ("authjs.session-token", false)
        ]
    );
    let out = jwt.sign_out_cookies(&sent);
    let names: Vec<&str> = out.iter().map(Cookie::name).collect();
    assert_eq!(
        names,
        [
            "authjs.session-token.0",
            "authjs.session-token.1",
            "authjs.session-token"
        ]
    );
    assert!(
        out.iter()
            .all(|c| c.value().is_empty() && c.max_age().is_some_and(|a| a.is_zero()))
    );
}

#[test]
fn expired_tampered_and_other_major_tokens_are_refused_by_both() {
    let Some(js) = packages(json!(SECRET), false) else {
        return;
    };
    for major in MAJORS {
        let m = number(major);
        let jwt = jwt(major, &[SECRET]);
        let long_ago = Utc::now() - TimeDelta::days(31);
        let expired = jwt.encode(&ada(), long_ago);
        let fresh = jwt.encode(&ada(), Utc::now());
        let tampered = tamper(fresh.expose());
        let other_major = match major {
            NextAuthMajor::V4 => self::jwt(NextAuthMajor::V5, &[SECRET]),
            NextAuthMajor::V5 => self::jwt(NextAuthMajor::V4, &[SECRET]),
        }
        .encode(&ada(), Utc::now());
        let out = run(
            &js,
            json!([
                { "op": "decode", "args": [m, expired.expose()] },
                { "op": "decode", "args": [m, tampered] },
                { "op": "decode", "args": [m, other_major.expose()] },
                { "op": "decode", "args": [m, fresh.expose()] },
            ]),
        );
        assert_eq!(out[0]["error"], "ERR_JWT_EXPIRED", "{major:?}");
        for refused in &out[1..3] {
            assert!(refused["error"].is_string(), "{major:?}: {refused}");
        }
        assert_eq!(out[3]["sub"], "42", "the untouched token is read");
        let now = Utc::now();
        assert_eq!(jwt.decode(expired.expose(), now), Err(JwtRefused::Expired));
        assert_eq!(jwt.decode(&tampered, now), Err(JwtRefused::Undecryptable));
        assert!(jwt.decode(other_major.expose(), now).is_err(), "{major:?}");
    }
}

/// The token with one bit of its ciphertext flipped.
fn tamper(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut bytes = parts[3].clone().into_bytes();
    bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
    parts[3] = String::from_utf8(bytes).unwrap();
    parts.join(".")
}

#[test]
fn the_clock_tolerance_is_fifteen_seconds_past_exp_and_ahead_of_nbf() {
    let jwt = jwt(NextAuthMajor::V5, &[SECRET])
        .max_age(TimeDelta::minutes(1))
        .unwrap();
    let written = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let token = jwt.encode(&ada(), written);
    let exp = written + TimeDelta::minutes(1);
    let at = |offset: i64| jwt.decode(token.expose(), exp + TimeDelta::seconds(offset));
    assert!(at(14).is_ok());
    assert_eq!(at(15), Err(JwtRefused::Expired));
    let later = JwtClaims::new(json!({ "sub": "42", "nbf": 1_800_000_100 })).unwrap();
    let month = self::jwt(NextAuthMajor::V5, &[SECRET]);
    let token = month.encode(&later, written);
    let at = |seconds: i64| {
        month.decode(
            token.expose(),
            DateTime::from_timestamp(seconds, 0).unwrap(),
        )
    };
    assert_eq!(at(1_800_000_084), Err(JwtRefused::NotYetValid));
    assert!(at(1_800_000_085).is_ok());
}

#[test]
fn the_https_cookie_has_its_own_v5_key() {
    let http = jwt(NextAuthMajor::V5, &[SECRET]);
    let https = jwt(NextAuthMajor::V5, &[SECRET]).https(true);
    assert_eq!(https.cookie_name(), "__Secure-authjs.session-token");
    let token = http.encode(&ada(), Utc::now());
    assert!(https.decode(token.expose(), Utc::now()).is_err());
    // next-auth 4's key does not depend on the name.
    let v4 = jwt(NextAuthMajor::V4, &[SECRET]);
    let token = v4.encode(&ada(), Utc::now());
    let v4_https = jwt(NextAuthMajor::V4, &[SECRET]).https(true);
    assert_eq!(
        v4_https.decode(token.expose(), Utc::now()).unwrap().sub(),
        Some("42")
    );
}

#[test]
fn headers_the_apps_would_not_read_are_refused() {
    let jwt = jwt(NextAuthMajor::V5, &[SECRET]);
    let token = jwt.encode(&ada(), Utc::now());
    let body = token.expose().split_once('.').unwrap().1;
    for header in [
        json!({ "alg": "dir", "enc": "A256CBC-HS512", "zip": "DEF" }),
        json!({ "alg": "dir", "enc": "A256CBC-HS512", "crit": ["exp"] }),
        json!({ "alg": "A256KW", "enc": "A256CBC-HS512" }),
        json!({ "alg": "dir", "enc": "A128GCM" }),
        json!({ "alg": "dir", "enc": "A256CBC-HS512", "kid": 7 }),
        json!({ "alg": "dir" }),
    ] {
        let encoded = data_encoding::BASE64URL_NOPAD.encode(header.to_string().as_bytes());
        let forged = format!("{encoded}.{body}");
        let refused = jwt.decode(&forged, Utc::now());
        assert_eq!(refused, Err(JwtRefused::Header), "{header}");
    }
    assert_eq!(jwt.decode("a.b.c", Utc::now()), Err(JwtRefused::Malformed));
    // No key id: the first secret's key, the header itself authenticated.
    let without_kid = json!({ "alg": "dir", "enc": "A256CBC-HS512" });
    let encoded = data_encoding::BASE64URL_NOPAD.encode(without_kid.to_string().as_bytes());
    let forged = format!("{encoded}.{body}");
    assert_eq!(
        jwt.decode(&forged, Utc::now()),
        Err(JwtRefused::Undecryptable)
    );
}

/// A browser's cookies for one site: what `Set-Cookie` leaves it, and the
/// `Cookie` header it sends.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, cookies: &[Cookie<'static>]) {
        for cookie in cookies {
            self.0.retain(|(name, _)| name != cookie.name());
            let removed = cookie.max_age().is_some_and(|age| age.is_zero());
            if !removed {
                self.0
                    .push((cookie.name().to_owned(), cookie.value().to_owned()));
            }
        }
    }

    fn sends(&self) -> String {
        let pairs: Vec<String> = self
            .0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        pairs.join("; ")
    }
}

#[test]
fn the_apps_session_route_accepts_renews_and_ends_authstores_cookie() {
    let Some(js) = packages(json!(SECRET), false) else {
        return;
    };
    let padding = "p".repeat(5000);
    for major in MAJORS {
        let m = number(major);
        let jwt = jwt(major, &[SECRET]);
        let written = Utc::now() - TimeDelta::days(2);
        let mut claims = ada();
        let mut jar = Jar::default();
        jar.take(&[Cookie::new("theme", "dark")]);
        jar.take(&jwt.session_cookies(&jwt.encode(&claims, written), &HeaderMap::new(), written));
        let out = run(&js, json!([{ "op": "session", "args": [m, jar.sends()] }]));
        let route = &out[0];
        assert_eq!(
            route["body"]["user"]["email"], "ada@example.com",
            "{major:?}: {route}"
        );
        // The route re-sets the cookie with a new token, which authstore reads.
        let renewed = route["cookies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == jwt.cookie_name())
            .unwrap_or_else(|| panic!("{major:?}: no renewed cookie in {route}"));
        let read = jwt
            .decode(renewed["value"].as_str().unwrap(), Utc::now())
            .unwrap();
        assert_eq!(read.claims()["role"], "admin");
        assert!(read.exp().unwrap() > Utc::now() + TimeDelta::days(29));
        // A longer session in chunks, then authstore's sign-out: the browser
        // keeps its other cookies and no part of the session.
        claims = JwtClaims::new(json!({ "sub": "42", "padding": padding })).unwrap();
        let now = Utc::now();
        let sent = headers(&jar.sends());
        jar.take(&jwt.session_cookies(&jwt.encode(&claims, now), &sent, now));
        assert_eq!(
            jar.0.len(),
            3,
            "{major:?}: theme and two chunks: {:?}",
            jar.0
        );
        let out = run(&js, json!([{ "op": "getToken", "args": [m, jar.sends()] }]));
        assert_eq!(out[0]["sub"], "42");
        jar.take(&jwt.sign_out_cookies(&headers(&jar.sends())));
        assert_eq!(jar.sends(), "theme=dark");
        let out = run(&js, json!([{ "op": "session", "args": [m, jar.sends()] }]));
        assert!(out[0]["body"]["user"].is_null(), "{major:?}: {}", out[0]);
    }
}

#[test]
fn debug_output_names_no_secret() {
    let jwt = jwt(NextAuthMajor::V5, &["hunter2-very-secret"]);
    let shown = format!("{jwt:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    let token: Secret = jwt.encode(&ada(), Utc::now());
    assert_eq!(format!("{token:?}"), "[redacted]");
}

/// `token` with its part `at` (0 header … 4 tag) replaced by `bytes`.
fn with_part(token: &str, at: usize, bytes: &[u8]) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[at] = data_encoding::BASE64URL_NOPAD.encode(bytes);
    parts.join(".")
}

fn part(token: &str, at: usize) -> Vec<u8> {
    let encoded = token.split('.').nth(at).unwrap();
    data_encoding::BASE64URL_NOPAD
        .decode(encoded.as_bytes())
        .unwrap()
}

#[test]
fn a_shortened_tag_or_iv_is_refused_as_by_jose() {
    let Some(js) = packages(json!(SECRET), false) else {
        return;
    };
    for major in MAJORS {
        let jwt = jwt(major, &[SECRET]);
        let token = jwt.encode(&ada(), Utc::now());
        let token = token.expose();
        let tag = part(token, 4);
        // OpenSSL compares only the tag bytes it is given: one genuine byte
        // would pass, and one byte is guessed in 256 tries.
        let one_byte = with_part(token, 4, &tag[..1]);
        let short_iv = with_part(token, 2, &part(token, 2)[..8]);
        let no_iv = with_part(token, 2, &[]);
        for (what, forged) in [
            ("1-byte tag", &one_byte),
            ("8-byte IV", &short_iv),
            ("no IV", &no_iv),
        ] {
            assert_eq!(
                jwt.decode(forged, Utc::now()),
                Err(JwtRefused::Malformed),
                "{major:?}: {what}"
            );
            let theirs = run(
                &js,
                json!([{ "op": "decode", "args": [number(major), forged] }]),
            );
            assert!(
                theirs[0]["error"].is_string(),
                "{major:?}: {what}: {}",
                theirs[0]
            );
        }
        let every_guess_refused = (0..=255u8).all(|guess| {
            jwt.decode(&with_part(token, 4, &[guess]), Utc::now())
                .is_err()
        });
        assert!(every_guess_refused, "{major:?}");
    }
}

#[test]
fn claims_are_read_as_json_parse_reads_them() {
    let Some(js) = packages(json!(SECRET), false) else {
        return;
    };
    // serde_json's `Value` (with its `raw_value` feature on in this build)
    // would read this object as the JSON text inside it.
    let prefs = json!({ "$serde_json::private::RawValue": "{\"role\":\"admin\"}" });
    for major in MAJORS {
        let m = number(major);
        let made = run(
            &js,
            json!([{ "op": "encode", "args": [m, { "sub": "42", "prefs": prefs }] }]),
        );
        let jwt = jwt(major, &[SECRET]);
        let claims = jwt.decode(made[0].as_str().unwrap(), Utc::now()).unwrap();
        assert_eq!(claims.claims()["prefs"], prefs, "{major:?}");
        // Renewed as it was read: the package reads the same from both
        // tokens (compared after the same trip through this harness's own
        // JSON reading, which is serde_json's).
        let renewed = jwt.encode(&claims, Utc::now());
        let read = run(
            &js,
            json!([
                { "op": "decode", "args": [m, made[0]] },
                { "op": "decode", "args": [m, renewed.expose()] },
            ]),
        );
        assert_eq!(read[0]["prefs"], read[1]["prefs"], "{major:?}");
    }
}

#[test]
fn claims_replicated_into_the_header_are_refused() {
    let jwt = jwt(NextAuthMajor::V5, &[SECRET]);
    let token = jwt.encode(&ada(), Utc::now());
    let header: Value = serde_json::from_slice(&part(token.expose(), 0)).unwrap();
    for (name, value) in [("sub", "42"), ("iss", "x"), ("aud", "y")] {
        let mut replicated = header.clone();
        replicated[name] = json!(value);
        let forged = with_part(token.expose(), 0, replicated.to_string().as_bytes());
        assert_eq!(
            jwt.decode(&forged, Utc::now()),
            Err(JwtRefused::Header),
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_layer_renews_unless_told_to_leave_renewal_to_the_app() {
    use authstore::web::SignedIn;
    use authstore::web::authjs_jwt::JwtSessions;
    use axum::{Router, body::Body, http::Request, routing::get};
    use tower::ServiceExt;

    async fn me(SignedIn { session, .. }: SignedIn<JwtClaims>) -> String {
        session.sub().unwrap_or_default().to_owned()
    }
    let cookie = {
        let jwt = jwt(NextAuthMajor::V5, &[SECRET]);
        format!(
            "{}={}",
            jwt.cookie_name(),
            jwt.encode(&ada(), Utc::now()).expose()
        )
    };
    for renew in [true, false] {
        let sessions = JwtSessions::new(jwt(NextAuthMajor::V5, &[SECRET]), "http://localhost:3000")
            .unwrap()
            .renewing(renew);
        let app = Router::new().route("/me", get(me)).layer(sessions.layer());
        let request = Request::get("/me")
            .header(COOKIE, &cookie)
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let set = response.headers().get_all("set-cookie").iter().count();
        assert_eq!(set, usize::from(renew), "renew={renew}");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], b"42");
    }
}

#[test]
fn a_session_longer_than_a_century_and_claims_in_debug_output_are_refused() {
    let too_long = jwt(NextAuthMajor::V5, &[SECRET]).max_age(TimeDelta::days(1_000_000));
    assert!(matches!(
        too_long,
        Err(Error::Config(ConfigError::TooLong("max_age")))
    ));
    let claims =
        JwtClaims::new(json!({ "sub": "42", "access_token": "ya29.provider-secret" })).unwrap();
    let shown = format!("{claims:?}");
    assert!(
        shown.contains("access_token") && shown.contains("42"),
        "{shown}"
    );
    assert!(!shown.contains("ya29"), "{shown}");
}
