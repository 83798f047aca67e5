//! `cargo run -p authstore-examples [-- --dev-outbox]`
//!
//! Environment:
//! - `PORT`: the port to listen on, on 127.0.0.1 (default 3000);
//! - `AUTHSTORE_BASE_URL`: the public URL that sign-in links point at
//!   (default `http://127.0.0.1:PORT`), e.g. `https://auth.example.com`;
//! - `DATABASE_URL`: default a SQLite file `authstore.sqlite` in the working
//!   directory, or a PostgreSQL or MySQL URL of an existing database;
//! - `DATABASE_REPLICA_URL`: PostgreSQL streaming replicas of `DATABASE_URL`
//!   (comma-separated) that session lookups read where they may (see
//!   `docs/scale-out.md`); unset, every read goes to `DATABASE_URL`;
//!   A replica that does not answer at start is used once it does (one
//!   warning); one that is another database stops the server;
//! - `AUTHSTORE_TRUSTED_ORIGINS`: origins besides the public URL's whose
//!   pages may send this server writes (comma-separated, e.g.
//!   `https://app.example.com` for a server on `api.example.com`; see
//!   `docs/beside-nextjs.md`); default none;
//! - `AUTHSTORE_TRUSTED_PROXIES`: your reverse proxies, as addresses or
//!   CIDR blocks (comma-separated), whose `X-Forwarded-For` names the
//!   client for the per-client limits; default none, so the connection's
//!   address is the client's;
//! - `AUTHSTORE_PROFILE`: the schema profile (default `next-auth-v3`);
//! - `AUTHSTORE_SECRET`: default a random secret per run; on `better-auth`,
//!   the better-auth app's `BETTER_AUTH_SECRET` (its cookie is signed); on
//!   `authjs-*`, the app's `AUTH_SECRET`;
//! - `AUTHSTORE_NEXT_AUTH_MAJOR` (`authjs-*`, the JWT strategy, and
//!   `better-auth` bridging from `authjs-*`): the app's next-auth major,
//!   `4` or `5` (default), which names its session cookie;
//! - `AUTHSTORE_SESSION_STRATEGY`: `database` (default), or `jwt` beside a
//!   next-auth 4 / Auth.js v5 app without an adapter: no database, the
//!   session is the app's encrypted cookie, read with `AUTHSTORE_SECRET`
//!   (required: the app's `AUTH_SECRET`, or `NEXTAUTH_SECRET` on
//!   next-auth 4); `GET /auth/session` and `POST /auth/signout` only;
//! - `AUTHSTORE_CARRY_OVER_FROM` (`better-auth` only): the profile whose
//!   session cookie the cookie bridge turns into better-auth's;
//! - `AUTHSTORE_DEV_OUTBOX=1` (same as `--dev-outbox`), `RUST_LOG`;
//! - request limits per client address and for everyone (see
//!   `authstore_examples::limits`): `AUTHSTORE_LINKS_PER_CLIENT_PER_HOUR`
//!   (default 20), `AUTHSTORE_LINKS_PER_MINUTE` (60),
//!   `AUTHSTORE_SIGNUPS_PER_CLIENT_PER_HOUR` (20),
//!   `AUTHSTORE_SIGNUPS_PER_MINUTE` (60);
//! - slow clients (see `authstore_examples::Timeouts`):
//!   `AUTHSTORE_HEADER_READ_TIMEOUT` (seconds, default 10; also the idle
//!   timeout of a kept-alive connection), `AUTHSTORE_BODY_READ_TIMEOUT`
//!   (seconds, default 30).
//!
//! A setting that cannot work stops the server with one line on stderr
//! saying what to change. Ctrl-C and SIGTERM shut it down cleanly.

use std::io::IsTerminal;
use std::num::NonZeroU32;
use std::process::ExitCode;
use std::time::Duration;

use authstore::authjs::{
    self, AuthJsAdapter, AuthJsConfig, AuthJsStore, DrizzleAdapter, NextAuthMajor, PgAdapter,
    PrismaAdapter, PrismaV4Adapter,
};
use authstore::better_auth::{BetterAuthConfig, BetterAuthStore};
use authstore::entity::descriptor::{AuthJsAdapterKind, Descriptor};
use authstore::lucia_v1::{LuciaV1Config, LuciaV1Store};
use authstore::lucia_v3::{LuciaConfig, LuciaStore};
use authstore::web::authjs_jwt::{AuthJsJwt, JwtSessions};
use authstore::{AuthStore, Config, ReplicaConfig, Tz};
use authstore_examples::authjs::{AuthJsState, authjs_app};
use authstore_examples::authjs_jwt::authjs_jwt_app;
use authstore_examples::better_auth::{BetterAuthState, better_auth_app};
use authstore_examples::guard::TrustedProxies;
use authstore_examples::limits::{Limits, RequestLimit};
use authstore_examples::lucia::{LuciaState, lucia_app};
use authstore_examples::lucia_v1::lucia_v1_app;
use authstore_examples::{
    AppState, Outbox, Site, Timeouts, app, connect_options, link_policy, redacted, serve,
};
use authstore_migration::{Profile, ProfileMigrations};
use sea_orm::{Database, DatabaseConnection, DbErr, RuntimeErr};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("authstore-examples: {why}");
            ExitCode::FAILURE
        }
    }
}

/// A reason to stop, in one line for a person to act on.
type Fatal = String;

async fn run() -> Result<(), Fatal> {
    let port = port()?;
    let site = Site {
        base_url: base_url(port)?,
        trusted_origins: list("AUTHSTORE_TRUSTED_ORIGINS"),
    };
    let base_url = site.base_url.clone();
    let proxies =
        TrustedProxies::parse(&std::env::var("AUTHSTORE_TRUSTED_PROXIES").unwrap_or_default())
            .map_err(|why| format!("AUTHSTORE_TRUSTED_PROXIES: {why}"))?;
    let database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "sqlite://authstore.sqlite?mode=rwc".to_string());
    let dev_outbox =
        std::env::args().any(|arg| arg == "--dev-outbox") || env_flag("AUTHSTORE_DEV_OUTBOX");
    let timeouts = Timeouts {
        header_read: Duration::from_secs(
            positive("AUTHSTORE_HEADER_READ_TIMEOUT", 10)?.get().into(),
        ),
        body_read: Duration::from_secs(positive("AUTHSTORE_BODY_READ_TIMEOUT", 30)?.get().into()),
    };
    if session_strategy()? == SessionStrategy::Jwt {
        let router = jwt_router(&site)?;
        return listen(port, router, proxies, timeouts, "jwt").await;
    }
    let secret = match std::env::var("AUTHSTORE_SECRET") {
        Ok(secret) => secret,
        Err(_) => {
            tracing::warn!(
                "AUTHSTORE_SECRET is not set: using a random secret, so sign-in links die with this process"
            );
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|err| format!("no random secret: {err}"))?;
            hex::encode(bytes)
        }
    };
    let profile = Profile::from_env().map_err(|why| format!("AUTHSTORE_PROFILE: {why}"))?;
    let zone: Tz = match std::env::var("AUTHSTORE_WALL_CLOCK_ZONE") {
        Ok(name) => name.trim().parse().map_err(|_| {
            format!("AUTHSTORE_WALL_CLOCK_ZONE: {name:?} is not an IANA time zone name (e.g. Europe/Berlin)")
        })?,
        Err(_) => Tz::UTC,
    };
    let limits = Limits {
        links: RequestLimit::new(
            positive("AUTHSTORE_LINKS_PER_CLIENT_PER_HOUR", 20)?,
            positive("AUTHSTORE_LINKS_PER_MINUTE", 60)?,
        ),
        sign_ups: RequestLimit::new(
            positive("AUTHSTORE_SIGNUPS_PER_CLIENT_PER_HOUR", 20)?,
            positive("AUTHSTORE_SIGNUPS_PER_MINUTE", 60)?,
        ),
    };
    // Each profile's store is chosen here, before anything touches the
    // database, so a bad setting stops the server before it migrates. The
    // registry says which family's store serves the profile
    // (`Profile::descriptor`); the match is exhaustive, so a new family does
    // not compile until it is served, and a new profile of a family is
    // served as its family is.
    let served = match profile.descriptor() {
        Descriptor::NextAuth(_) => Served::NextAuth(
            link_policy(Config::builder(secret))
                .profile(profile)
                .wall_clock_zone(zone)
                .build()
                .map_err(|err| format!("AUTHSTORE_SECRET: {err}"))?,
        ),
        Descriptor::LuciaV1(_) => Served::LuciaV1,
        Descriptor::LuciaV3(_) => Served::LuciaV3,
        Descriptor::BetterAuth(_) => Served::BetterAuth {
            config: BetterAuthConfig::default()
                .secret(&secret)
                .map_err(|err| format!("AUTHSTORE_SECRET: {err}"))?,
            old: match std::env::var("AUTHSTORE_CARRY_OVER_FROM") {
                Ok(name) => Some(
                    Profile::from_name(name.trim())
                        .map_err(|why| format!("AUTHSTORE_CARRY_OVER_FROM: {why}"))?,
                ),
                Err(_) => None,
            },
            old_major: NextAuthMajor::from_env().map_err(|err| err.to_string())?,
        },
        Descriptor::AuthJs(schema) => Served::AuthJs {
            config: AuthJsConfig::default()
                .secret(&secret)
                .map_err(|err| format!("AUTHSTORE_SECRET: {err}"))?
                .next_auth_major(NextAuthMajor::from_env().map_err(|err| err.to_string())?),
            adapter: schema.adapter,
        },
    };

    let db = connect(&database_url).await?;
    let replicas = replicas(&db).await?;

    // The app is built before the migration, which it does not touch, so a
    // setting it refuses (AUTHSTORE_BASE_URL, DATABASE_REPLICA_URL) stops the
    // server before anything is written.
    // AUTHSTORE_BASE_URL decides the cookie: https means `Secure`, and for
    // next-auth the `__Secure-next-auth.session-token` name, as next-auth
    // derives it from NEXTAUTH_URL.
    let settings =
        |err: authstore::Error| format!("AUTHSTORE_BASE_URL or AUTHSTORE_TRUSTED_ORIGINS: {err}");
    let router = match served {
        Served::NextAuth(config) => {
            let store = replicated(
                AuthStore::new(db.clone(), config),
                replicas,
                AuthStore::with_replicas,
            )?;
            let outbox = dev_outbox.then(Outbox::default);
            app(AppState::new(store, site, outbox, limits).map_err(settings)?)
        }
        Served::LuciaV1 => {
            let lucia = LuciaV1Store::new(db.clone(), LuciaV1Config::default());
            let lucia = replicated(lucia, replicas, LuciaV1Store::with_replicas)?;
            lucia_v1_app(LuciaState::new(lucia, site, limits).map_err(settings)?)
        }
        Served::LuciaV3 => {
            let lucia = LuciaStore::new(db.clone(), LuciaConfig::default());
            let lucia = replicated(lucia, replicas, LuciaStore::with_replicas)?;
            lucia_app(LuciaState::new(lucia, site, limits).map_err(settings)?)
        }
        Served::BetterAuth {
            config,
            old,
            old_major,
        } => {
            let store = BetterAuthStore::new(db.clone(), config);
            let store = replicated(store, replicas, BetterAuthStore::with_replicas)?;
            let mut state = BetterAuthState::new(store, site, old).map_err(settings)?;
            state.sessions = state.sessions.old_app_major(old_major);
            better_auth_app(state)
        }
        Served::AuthJs { config, adapter } => {
            let outbox = dev_outbox.then(Outbox::default);
            let served = Beside {
                db: &db,
                replicas,
                site,
                outbox,
                limits,
            };
            // The store of the adapter whose tables the database holds: the
            // profile's, or the earlier shape of them its docs gave.
            let found = authjs::schema_found(&db, profile)
                .await
                .map_err(|err| format!("reading the database's tables: {err}"))?;
            match found.map_or(adapter, |schema| schema.adapter) {
                AuthJsAdapterKind::Pg => served.authjs(PgAdapter, config, settings)?,
                AuthJsAdapterKind::Drizzle => served.authjs(DrizzleAdapter, config, settings)?,
                AuthJsAdapterKind::Prisma => served.authjs(PrismaAdapter, config, settings)?,
                AuthJsAdapterKind::PrismaV4 => served.authjs(PrismaV4Adapter, config, settings)?,
            }
        }
    };
    profile
        .up(&db)
        .await
        .map_err(|err| format!("migrating {}: {err}", redacted(&database_url)))?;
    tracing::info!(database = %redacted(&database_url), profile = profile.name(), "database migrated");
    tracing::info!(base_url = %base_url, dev_outbox, "serving {}", profile.name());
    listen(port, router, proxies, timeouts, profile.name()).await
}

/// Serves `router` on 127.0.0.1:`port` until Ctrl-C or SIGTERM.
async fn listen(
    port: u16,
    router: axum::Router,
    proxies: TrustedProxies,
    timeouts: Timeouts,
    serving: &str,
) -> Result<(), Fatal> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|err| {
            format!("cannot listen on 127.0.0.1:{port}: {err} (set PORT to another port)")
        })?;
    tracing::info!(address = %format!("127.0.0.1:{port}"), serving, "authstore example listening");
    let router = router.layer(axum::Extension(proxies));
    serve(listener, router, timeouts, shutdown_signal())
        .await
        .map_err(|err| format!("server failed: {err}"))
}

/// Where the sessions are: `AUTHSTORE_SESSION_STRATEGY`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SessionStrategy {
    /// A session row per sign-in, in the profile's tables (the default).
    Database,
    /// An Auth.js app's encrypted cookie, no database.
    Jwt,
}

fn session_strategy() -> Result<SessionStrategy, Fatal> {
    match std::env::var("AUTHSTORE_SESSION_STRATEGY") {
        Err(_) => Ok(SessionStrategy::Database),
        Ok(value) => match value.trim() {
            "database" => Ok(SessionStrategy::Database),
            "jwt" => Ok(SessionStrategy::Jwt),
            _ => Err(format!(
                "AUTHSTORE_SESSION_STRATEGY={value:?}: expected database or jwt"
            )),
        },
    }
}

/// The app beside an Auth.js app on the JWT strategy: its secret is
/// required (a random one would read no cookie).
fn jwt_router(site: &Site) -> Result<axum::Router, Fatal> {
    let secret = std::env::var("AUTHSTORE_SECRET").map_err(|_| {
        "AUTHSTORE_SECRET is not set: with AUTHSTORE_SESSION_STRATEGY=jwt it must be the app's AUTH_SECRET (NEXTAUTH_SECRET on next-auth 4)".to_owned()
    })?;
    let major = NextAuthMajor::from_env().map_err(|err| err.to_string())?;
    let jwt = AuthJsJwt::new(major, [secret]).map_err(|err| format!("AUTHSTORE_SECRET: {err}"))?;
    let sessions = JwtSessions::new(jwt, &site.base_url)
        .and_then(|sessions| {
            sessions.trusting_origins(site.trusted_origins.iter().map(String::as_str))
        })
        .map_err(|err| format!("AUTHSTORE_BASE_URL or AUTHSTORE_TRUSTED_ORIGINS: {err}"))?;
    Ok(authjs_jwt_app(sessions))
}

/// Which store serves the profile: next-auth's with its config, or a Lucia
/// store (which need no secret).
enum Served {
    NextAuth(Config),
    LuciaV1,
    LuciaV3,
    /// better-auth's store with its secret, and the profile whose cookie it
    /// bridges from (`AUTHSTORE_CARRY_OVER_FROM`), if any.
    BetterAuth {
        config: BetterAuthConfig,
        old: Option<Profile>,
        /// An old Auth.js app's next-auth major (`AUTHSTORE_NEXT_AUTH_MAJOR`),
        /// which names the cookie the bridge reads.
        old_major: NextAuthMajor,
    },
    /// An Auth.js adapter's store, with the app's secret and major.
    AuthJs {
        config: AuthJsConfig,
        adapter: AuthJsAdapterKind,
    },
}

/// What an Auth.js app's router is served with, whichever the adapter.
struct Beside<'a> {
    db: &'a DatabaseConnection,
    replicas: Vec<DatabaseConnection>,
    site: Site,
    outbox: Option<Outbox>,
    limits: Limits,
}

impl Beside<'_> {
    /// The Auth.js example on `adapter`'s tables; `settings` says which
    /// setting a refusal of the site's is about.
    fn authjs<A: AuthJsAdapter>(
        self,
        adapter: A,
        config: AuthJsConfig,
        settings: impl FnOnce(authstore::Error) -> Fatal,
    ) -> Result<axum::Router, Fatal> {
        let store = AuthJsStore::with_adapter(adapter, self.db.clone(), config);
        let store = replicated(store, self.replicas, AuthJsStore::with_replicas)?;
        let state = AuthJsState::new(store, self.site, self.outbox, self.limits);
        Ok(authjs_app(state.map_err(settings)?))
    }
}

/// The connections named by `DATABASE_REPLICA_URL`, if set, each checked
/// to be a copy of `primary`'s database. A replica that does not answer
/// yet is kept (connected lazily): the store reads the primary until it
/// answers and checks out.
async fn replicas(primary: &DatabaseConnection) -> Result<Vec<DatabaseConnection>, Fatal> {
    let mut replicas = Vec::new();
    for url in list("DATABASE_REPLICA_URL") {
        if url::Url::parse(&url).is_err() {
            return Err(
                "DATABASE_REPLICA_URL is not a URL (e.g. postgres://user:password@host/db)"
                    .to_owned(),
            );
        }
        let mut options = connect_options(&url);
        options.connect_lazy(true);
        let replica = Database::connect(options)
            .await
            .map_err(|err| format!("DATABASE_REPLICA_URL {}: {err}", redacted(&url)))?;
        let checked = tokio::time::timeout(
            Duration::from_secs(5),
            authstore::check_replica(primary, &replica),
        );
        let unreachable = match checked.await {
            Ok(Ok(())) => None,
            Ok(Err(authstore::Error::Database(err))) => Some(err.to_string()),
            Err(_) => Some("no answer within 5 s".to_owned()),
            Ok(Err(err)) => return Err(format!("DATABASE_REPLICA_URL {}: {err}", redacted(&url))),
        };
        if let Some(why) = unreachable {
            tracing::warn!(
                replica = %redacted(&url),
                error = %why,
                "read replica not reachable; reading the primary until it answers"
            );
        }
        replicas.push(replica);
    }
    Ok(replicas)
}

/// The comma-separated setting `name`, trimmed, empty entries dropped;
/// empty when unset.
fn list(name: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `store` reading `replicas` (with the default bounds), or as it is
/// without any.
fn replicated<S>(
    store: S,
    replicas: Vec<DatabaseConnection>,
    with_replicas: impl FnOnce(S, Vec<DatabaseConnection>, ReplicaConfig) -> Result<S, authstore::Error>,
) -> Result<S, Fatal> {
    if replicas.is_empty() {
        return Ok(store);
    }
    let count = replicas.len();
    let store = with_replicas(store, replicas, ReplicaConfig::default())
        .map_err(|err| format!("DATABASE_REPLICA_URL: {err}"))?;
    tracing::info!(
        replicas = count,
        "session lookups read the replicas where they may"
    );
    Ok(store)
}

/// A whole number setting above zero, or its default when it is unset.
fn positive(name: &str, default: u32) -> Result<NonZeroU32, Fatal> {
    let Ok(raw) = std::env::var(name) else {
        return Ok(NonZeroU32::new(default).expect("defaults are positive"));
    };
    raw.trim()
        .parse::<NonZeroU32>()
        .map_err(|_| format!("{name} must be a whole number above zero, not {raw:?}"))
}

/// `PORT`, or 3000. Anything but a port number is an error, not a silent
/// fallback to the default.
fn port() -> Result<u16, Fatal> {
    match std::env::var("PORT") {
        Err(_) => Ok(3000),
        Ok(raw) => match raw.trim().parse::<u16>() {
            Ok(port) if port > 0 => Ok(port),
            _ => Err(format!(
                "PORT must be a number from 1 to 65535, not {raw:?}"
            )),
        },
    }
}

/// `AUTHSTORE_BASE_URL` without its trailing slash, or the local address.
fn base_url(port: u16) -> Result<String, Fatal> {
    let Ok(raw) = std::env::var("AUTHSTORE_BASE_URL") else {
        return Ok(format!("http://127.0.0.1:{port}"));
    };
    let trimmed = raw.trim().trim_end_matches('/');
    let is_http = trimmed.starts_with("http://") || trimmed.starts_with("https://");
    if !is_http || trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "AUTHSTORE_BASE_URL must be an http(s) URL such as https://auth.example.com, not {raw:?}"
        ));
    }
    Ok(trimmed.to_owned())
}

/// Opens the database with [`connect_options`] (SQLite in WAL mode).
async fn connect(database_url: &str) -> Result<DatabaseConnection, Fatal> {
    // sea-orm quotes a URL it cannot parse in its error, password and all.
    if url::Url::parse(database_url).is_err() {
        return Err("DATABASE_URL is not a URL (e.g. postgres://user:password@host/db)".to_owned());
    }
    Database::connect(connect_options(database_url)).await.map_err(|err| {
        let shown = redacted(database_url);
        if missing_database(&err) {
            let name = database_name(database_url);
            format!(
                "the database {name:?} does not exist on {shown}: create it first \
                 (PostgreSQL: `createdb {name}`; MySQL/MariaDB: `mariadb -e 'CREATE DATABASE {name}'`), \
                 or leave DATABASE_URL unset to use a local SQLite file"
            )
        } else {
            format!("cannot open the database {shown}: {err}")
        }
    })
}

/// PostgreSQL's `3D000 invalid_catalog_name`, MySQL's `1049 Unknown database`.
fn missing_database(err: &DbErr) -> bool {
    let (DbErr::Conn(RuntimeErr::SqlxError(sqlx)) | DbErr::Exec(RuntimeErr::SqlxError(sqlx))) = err
    else {
        return false;
    };
    let Some(database) = sqlx.as_database_error() else {
        return false;
    };
    match database.code().as_deref() {
        Some("3D000") => true,
        _ => database
            .try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>()
            .is_some_and(|mysql| mysql.number() == 1049),
    }
}

/// The last path segment of a database URL, without its query.
fn database_name(url: &str) -> &str {
    let path = url.split('?').next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or(path)
}

/// Ctrl-C, or SIGTERM (what systemd, Docker and Kubernetes send).
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
}
