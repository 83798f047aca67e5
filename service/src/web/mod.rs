//! The web layer (feature `axum`): an axum service recognises the people
//! signed in to the JS app that shares its database, reading and writing the
//! session cookie exactly as that app does.
//!
//! One [`WebSessions`] per service holds the store and the app's public URL.
//! Its [`layer`](WebSessions::layer) looks every request's session up once
//! (the cookie the JS system sets, or for Lucia v3 a bearer token), and sends
//! the cookie again when the lookup renewed it; handlers take [`SignedIn`]
//! (401 when nobody is signed in) or `Option<SignedIn>`.
//!
//! ```
//! use authstore::web::{SignedIn, WebSessions};
//! use authstore::{AuthStore, Config, SessionAndUser};
//! use axum::{Router, routing::get};
//!
//! async fn me(SignedIn { session, .. }: SignedIn<SessionAndUser>) -> String {
//!     format!("signed in as user {}", session.user.id)
//! }
//!
//! fn app(store: AuthStore) -> Result<Router, authstore::Error> {
//!     // The URL the browser sees, as next-auth's NEXTAUTH_URL: https means the
//!     // `__Secure-next-auth.session-token` cookie.
//!     let sessions = WebSessions::new(store, "https://app.example.com")?;
//!     Ok(Router::new().route("/me", get(me)).layer(sessions.layer()))
//! }
//! ```
//!
//! The cookie, per profile: next-auth's `next-auth.session-token`, or
//! `__Secure-next-auth.session-token` when the public URL is https (then the
//! unprefixed name is not read, as next-auth does not read it); Lucia's
//! `auth_session`; better-auth's `better-auth.session_token` (signed), with
//! `__Secure-` over https; for an Auth.js app (`authjs-pg`) its major's,
//! `authjs.session-token` (v5) or `next-auth.session-token` (next-auth 4),
//! `__Secure-` prefixed over https, and read whole or in its chunks. Every
//! cookie written is HttpOnly, SameSite=Lax,
//! Path=/, and Secure over https; next-auth's, Auth.js's and lucia-auth
//! v1's expire with the session, Lucia v3's and better-auth's carry their `Max-Age`.
//!
//! Cookies are read as browsers scope them and as each JS system parses
//! them ([`cookies`]): by their literal names, values decoded once, and of
//! a repeated session cookie the JS system's pick, served but never
//! written back. Writes from other origins are refused unless named in
//! [`WebSessions::trusting_origins`].

pub mod authjs_jwt;
pub mod cookies;
mod layer;
mod stores;

use std::sync::Arc;

use axum::body::Body;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Request};
use axum_extra::extract::cookie::{Cookie, SameSite};

pub use authstore_entity::RepeatedCookie;
pub use layer::{
    NotSignedIn, ResolvesSessions, SessionLayer, SessionService, SignedIn, from_this_site,
    from_trusted_site,
};
use layer::{Origins, PublicUrl, Resolved};
pub use stores::{CookieLife, SessionStore, Validated};

use crate::authjs::NextAuthMajor;
use crate::better_auth::carry_over;
use crate::rules::error::{ConfigError, Error};
use crate::rules::token::Secret;
use authjs_jwt::AuthJsJwt;
use authstore_entity::Profile;
use authstore_entity::descriptor::Descriptor;

/// A store with the app's public URL: everything the layer, the extractors
/// and sign-out need. Cloning is cheap.
#[derive(Clone)]
pub struct WebSessions<S> {
    store: S,
    cookie: &'static str,
    secure: bool,
    bearer: bool,
    /// Where writes may come from: the public URL's origin, and others
    /// named in [`WebSessions::trusting_origins`] (none by default).
    origins: Origins,
    /// The system the users were carried over from and its cookie, if any
    /// ([`WebSessions::carrying_over_from`]).
    bridge: Option<(Profile, &'static str)>,
    /// The Auth.js app the users were carried from and its JWT cookie, if
    /// any ([`WebSessions::carrying_over_jwt_from`]).
    jwt_bridge: Option<(Profile, Arc<AuthJsJwt>)>,
    /// The next-auth major of an old Auth.js app, which names the cookie
    /// the bridge reads ([`WebSessions::old_app_major`]).
    old_major: NextAuthMajor,
}

impl<S: SessionStore> std::fmt::Debug for WebSessions<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSessions")
            .field("profile", &self.store.profile())
            .field("cookie", &self.cookie)
            .field("secure", &self.secure)
            .finish()
    }
}

impl<S: SessionStore> WebSessions<S> {
    /// Sessions of `store`, for an app whose public URL is `public_url` (the
    /// one the browser sees: next-auth's `NEXTAUTH_URL`). An https URL gives
    /// Secure cookies and, for next-auth, the `__Secure-` name.
    /// [`ConfigError::PublicUrl`] if it is no absolute http(s) URL.
    pub fn new(store: S, public_url: &str) -> Result<Self, Error> {
        store.ready_for_web()?;
        let PublicUrl { https, origins } = PublicUrl::parse(public_url)?;
        let profile = store.profile().descriptor();
        Ok(WebSessions {
            cookie: store.session_cookie(https),
            secure: https,
            bearer: profile.reads_bearer_token(),
            origins,
            bridge: None,
            jwt_bridge: None,
            old_major: NextAuthMajor::V5,
            store,
        })
    }

    /// The cookie bridge of a carry-over (`authstore::better_auth::carry_over`):
    /// a request with no session cookie of the store's but with `old`'s (the
    /// system the users were carried from, e.g. next-auth's) is looked up by
    /// that cookie's token, which the carry-over kept. When the session is
    /// there, the response sets the store's cookie for it and expires the
    /// old one, so nobody is signed out at the cutover.
    ///
    /// The bridge serves only a session the carry-over carried (never one
    /// better-auth made, whose token someone may have read from its table),
    /// and only while the old system, whose tables must be in the store's
    /// database, still holds it alive: a sign-out in the old app counts at
    /// once. [`WebSessions::sign_out`] of a bridged session ends the old
    /// system's session too.
    ///
    /// The old cookie's name follows the public URL as the old system
    /// chose it (next-auth's `__Secure-` over https).
    pub fn carrying_over_from(mut self, old: Profile) -> Self {
        self.bridge = Some((old, self.old_cookie(old)));
        self
    }

    /// The next-auth major of the old app when it is an Auth.js app
    /// (`authjs-*`): the bridge reads that major's cookie,
    /// `authjs.session-token` (v5, the default) or next-auth 4's
    /// `next-auth.session-token`. Other profiles' cookies have one name.
    pub fn old_app_major(mut self, major: NextAuthMajor) -> Self {
        self.old_major = major;
        if let Some((old, _)) = self.bridge {
            self.bridge = Some((old, self.old_cookie(old)));
        }
        self
    }

    /// The old system's cookie name at this public URL's scheme.
    fn old_cookie(&self, old: Profile) -> &'static str {
        match old.descriptor() {
            Descriptor::AuthJs(_) => self.old_major.session_cookie(self.secure),
            other => other.session_cookie(self.secure),
        }
    }

    /// The JWT bridge of a carry-over from an Auth.js app on JWT sessions
    /// (`old`, an `authjs-*` profile whose tables are in the store's
    /// database; `jwt`, the app's cookie with its secret): a request with
    /// no session cookie of the store's but with the app's JWT cookie,
    /// which decrypts and has not expired, for a user the carry-over
    /// carried from `old` and `old` still holds, is handed a new session
    /// of the store's; the response sets its cookie and clears the JWT
    /// cookie. A token for anybody else, expired, tampered with or
    /// undecryptable starts nothing. As a JWT cannot be revoked, a copy of
    /// the cookie starts sessions until its `exp`, as it signs in to the
    /// old app until then.
    ///
    /// [`ConfigError::JwtBridge`] unless `old` is an Auth.js profile whose
    /// tables can be in better-auth's database (not `authjs-drizzle`, whose
    /// `user`, `account` and `session` are better-auth's names:
    /// [`named_as_better_auths`](crate::better_auth::carry_over::named_as_better_auths)).
    pub fn carrying_over_jwt_from(mut self, old: Profile, jwt: AuthJsJwt) -> Result<Self, Error> {
        let authjs = matches!(old.descriptor(), Descriptor::AuthJs(_));
        if !authjs || carry_over::named_as_better_auths(old) {
            return Err(ConfigError::JwtBridge(old).into());
        }
        self.jwt_bridge = Some((old, Arc::new(jwt.https(self.secure))));
        Ok(self)
    }

    /// Also admits writes from pages at `origins` (`https://app.example.com`,
    /// as a browser's `Origin` header names them): a service on
    /// a sibling origin of the app (`api.example.com` beside
    /// `app.example.com`) gets `Sec-Fetch-Site: same-site` on the app's own
    /// requests, which the layer otherwise refuses. As better-auth's
    /// `trustedOrigins`; an origin is compared whole, so a look-alike
    /// (`https://app.example.com.evil.test`) and `null` stay refused.
    ///
    /// [`ConfigError::TrustedOrigin`] for anything but an http(s) origin:
    /// a scheme and a host (and a port), no path, query or user.
    ///
    /// ```
    /// # use authstore::web::WebSessions;
    /// # fn with(sessions: WebSessions<authstore::AuthStore>) -> Result<(), authstore::Error> {
    /// let sessions = sessions.trusting_origins(["https://app.example.com"])?;
    /// assert!(sessions.clone().trusting_origins(["https://app.example.com/path"]).is_err());
    /// # Ok(()) }
    /// ```
    pub fn trusting_origins<'a>(
        mut self,
        origins: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, Error> {
        self.origins.trust(origins)?;
        Ok(self)
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Turns on hearing every writer's session changes (the JS app's
    /// sign-outs, plain SQL) from PostgreSQL, so the store's session cache
    /// (on in its config: `ConfigBuilder::session_cache`,
    /// `LuciaConfig::session_cache`) drops a revoked session within
    /// milliseconds rather than its staleness bound. Feature
    /// `postgres-listen`; errors as the store's `listen_for_session_changes`.
    #[cfg(feature = "postgres-listen")]
    pub fn listening(self) -> Result<Self, Error> {
        // The task ends with the store's last clone.
        drop(self.store.listen()?);
        Ok(self)
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &'static str {
        self.cookie
    }

    /// The layer that resolves every request's session; see the
    /// [module docs](self). It also refuses, with 403, every request but
    /// `GET`, `HEAD` and `OPTIONS` that a browser sends from another
    /// origin than the public URL's, unless it is one of
    /// [`trusting_origins`](WebSessions::trusting_origins)
    /// ([`from_trusted_site`]): with the session in a cookie, such a
    /// request would act as the visitor (login CSRF, forced sign-out).
    pub fn layer(&self) -> SessionLayer<Self> {
        SessionLayer::new(self.clone())
    }

    /// The cookie that carries a new session to the browser (after a
    /// sign-in your handler made), as the JS system writes it.
    pub fn session_cookie(&self, token: &Secret, life: CookieLife) -> Cookie<'static> {
        let mut cookie = self.base_cookie(self.cookie, self.store.cookie_value(token));
        match life {
            CookieLife::Until(at) => {
                let at = time::OffsetDateTime::from_unix_timestamp(at.timestamp())
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
                cookie.set_expires(at);
            }
            CookieLife::For(period) => {
                cookie.set_max_age(time::Duration::seconds(period.num_seconds()));
            }
        }
        cookie
    }

    /// The cookie that deletes the session cookie in the browser: empty,
    /// `Max-Age=0` and an `Expires` in the past.
    pub fn removal_cookie(&self) -> Cookie<'static> {
        self.removal_of(self.cookie)
    }

    fn removal_of(&self, name: &'static str) -> Cookie<'static> {
        let mut cookie = self.base_cookie(name, String::new());
        cookie.make_removal();
        cookie
    }

    /// Ends the signed-in session and answers the cookie that deletes it in
    /// the browser; put it in the response (`CookieJar::new().add(…)`).
    pub async fn sign_out<T>(&self, signed_in: &SignedIn<T>) -> Result<Cookie<'static>, Error> {
        self.store.invalidate(signed_in.token.expose()).await?;
        if let Some((old, _)) = self.bridge {
            self.store
                .end_carried(old, signed_in.token.expose())
                .await?;
        }
        Ok(self.removal_cookie())
    }

    fn base_cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure)
            .build()
    }

    /// The request's session token, where it came from, and whether the
    /// browser presented it alone: the cookie (a value that is no token,
    /// such as a badly signed one, counts as none), the old system's
    /// cookie with a bridge, or where the JS system accepts one, a bearer
    /// token. Cookies are read as [`cookies`] says: names literally, each
    /// profile's pick of a repeated one.
    fn token(&self, headers: &HeaderMap) -> Option<Presented> {
        let profile = self.store.profile().descriptor();
        if let Some(cookie) = cookies::read_cookie(headers, self.cookie, profile.repeated_cookie())
        {
            return Some(Presented {
                token: self.store.token_from_cookie(&cookie.value)?,
                carrier: Carrier::Cookie,
                alone: cookie.alone,
            });
        }
        // A cookie that may be the store's, even one the JS parsers read
        // differently (which another site can plant), keeps the bridges
        // shut: they never replace a session the browser may hold.
        let store_cookie_sent = cookies::may_be_sent(headers, self.cookie);
        if let Some((old, name)) = self.bridge
            && !store_cookie_sent
            && let Some(cookie) =
                cookies::read_cookie(headers, name, old.descriptor().repeated_cookie())
        {
            return Some(Presented {
                token: cookie.value,
                carrier: Carrier::OldCookie,
                alone: cookie.alone,
            });
        }
        let bearer = headers.get(AUTHORIZATION)?.to_str().ok()?;
        let token = bearer.strip_prefix("Bearer ").filter(|_| self.bearer)?;
        Some(Presented {
            token: token.to_owned(),
            carrier: Carrier::Bearer,
            alone: true,
        })
    }

    /// Looks the request's session up and records it for the extractors;
    /// the cookies to send: the session's again if the lookup renewed it,
    /// and across a carry-over's bridge the new one and the old one's
    /// removal.
    async fn resolve(&self, request: &mut Request<Body>) -> Vec<Cookie<'static>> {
        let mut resolved: Resolved<S::Session> = Resolved(None);
        let mut reissue = Vec::new();
        let presented = self.token(request.headers());
        // The store's own cookie, even one that names no session (a bad
        // signature) or that the JS parsers read differently, keeps the JWT
        // bridge shut, as it keeps the old cookie's.
        let store_cookie = cookies::may_be_sent(request.headers(), self.cookie);
        if let Some(Presented {
            token,
            carrier,
            alone,
        }) = presented
        {
            let found = match (carrier, self.bridge) {
                (Carrier::OldCookie, Some((old, _))) => {
                    self.store.validate_carried(old, &token).await
                }
                _ => self.store.validate(&token).await,
            };
            match found {
                Ok(Some(found)) => {
                    match (carrier, found.reissue) {
                        // Never a cookie for a session the browser did not
                        // present alone: it may be one another site planted.
                        _ if !alone => {}
                        (Carrier::Bearer, _) | (Carrier::Cookie, None) => {}
                        (Carrier::Cookie, Some((value, life))) => {
                            reissue.push(self.session_cookie(&value, life));
                        }
                        (Carrier::OldCookie, renewed) => {
                            let (value, life) = renewed.unwrap_or_else(|| {
                                (
                                    Secret::from(token.clone()),
                                    self.store.cookie_life(&found.session),
                                )
                            });
                            reissue.push(self.session_cookie(&value, life));
                            if let Some((_, old)) = self.bridge {
                                reissue.push(self.removal_of(old));
                            }
                        }
                    }
                    resolved = Resolved(Some(SignedIn {
                        session: found.session,
                        token: Secret::from(token),
                    }));
                }
                Ok(None) => {}
                // Answered as "not signed in"; the error names no token.
                Err(err) => tracing::warn!(error = %err, "session lookup failed"),
            }
        }
        if resolved.0.is_none()
            && !store_cookie
            && let Some((old, jwt)) = &self.jwt_bridge
            && let Some((signed_in, cookies)) = self.bridge_jwt(*old, jwt, request.headers()).await
        {
            resolved = Resolved(Some(signed_in));
            reissue = cookies;
        }
        request.extensions_mut().insert(resolved);
        reissue
    }

    /// Across the JWT bridge: for the old app's JWT cookie, read as the app
    /// reads it, a new session of the store's if it allows one for the
    /// token's user; its cookie and the JWT cookie's removal.
    async fn bridge_jwt(
        &self,
        old: Profile,
        jwt: &AuthJsJwt,
        headers: &HeaderMap,
    ) -> Option<(SignedIn<S::Session>, Vec<Cookie<'static>>)> {
        let claims = jwt.read(headers, chrono::Utc::now())?.ok()?;
        match self.store.start_carried_jwt(old, claims.sub()?).await {
            Ok(Some(Validated {
                session,
                reissue: Some((token, life)),
            })) => {
                let mut cookies = vec![self.session_cookie(&token, life)];
                cookies.extend(jwt.sign_out_cookies(headers));
                Some((SignedIn { session, token }, cookies))
            }
            Ok(_) => None,
            Err(err) => {
                tracing::warn!(error = %err, "the JWT bridge's lookup failed");
                None
            }
        }
    }
}

/// A request's session token as [`WebSessions::token`] found it.
struct Presented {
    token: String,
    carrier: Carrier,
    /// The only cookie of its name (always, for a bearer token).
    alone: bool,
}

/// Where a request's session token came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Carrier {
    /// The store's own cookie.
    Cookie,
    /// The cookie of the system the users were carried from.
    OldCookie,
    /// `Authorization: Bearer`, which is never answered with a cookie.
    Bearer,
}

impl<S: SessionStore> ResolvesSessions for WebSessions<S> {
    fn origins(&self) -> &Origins {
        &self.origins
    }

    async fn resolve(&self, request: &mut Request<Body>) -> Vec<Cookie<'static>> {
        WebSessions::resolve(self, request).await
    }

    fn cookie_name(&self) -> &str {
        self.cookie
    }
}
