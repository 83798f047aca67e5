//! Profiles `authjs-pg`, `authjs-drizzle` and `authjs-prisma` (in both of
//! the shapes its docs gave, [`schema_found`]): the database
//! of a next-auth 4.24 or Auth.js v5 app that keeps its users and sessions
//! through `@auth/pg-adapter`, `@auth/drizzle-adapter` or
//! `@auth/prisma-adapter` on PostgreSQL (Drizzle's on SQLite too), shared
//! through the calls its
//! adapter makes (`createUser`, `linkAccount`, `createSession`,
//! `getSessionAndUser`, `useVerificationToken`, …). The store's second type
//! parameter names the adapter ([`AuthJsAdapter`]); `AuthJsStore::new`
//! is `@auth/pg-adapter`'s, and `AuthJsStore::with_adapter` makes the
//! others, whose user ids are the `String`s their writers make.
//!
//! ```no_run
//! use authstore::NewUser;
//! use authstore::authjs::{AuthJsConfig, AuthJsStore, NewAuthJsAccount};
//! use authstore_migration::{Profile, ProfileMigrations};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("postgres://postgres@127.0.0.1/app").await?;
//! Profile::AuthJsPg.up(&db).await?; // adopts the app's tables if they are there
//! let auth = AuthJsStore::new(db, AuthJsConfig::default().secret("the app's AUTH_SECRET")?);
//!
//! let ada = NewUser { email: Some("ada@example.com".into()), ..Default::default() };
//! let user = auth.create_user(ada).await?;
//! auth.link_account(NewAuthJsAccount::oauth(user.id, "github", "1234")).await?;
//! assert_eq!(auth.get_user_by_account("github", "1234").await?, Some(user.clone()));
//!
//! let session = auth.create_session(user.id).await?; // its token goes in `authjs.session-token`
//! let found = auth.get_session_and_user(session.session_token.expose()).await?;
//! assert_eq!(found.map(|valid| valid.user), Some(user));
//! # Ok(()) }
//! ```
//!
//! The rules are Auth.js's, as `@auth/core` 0.41 and next-auth 4.24 apply
//! them to a database session: a session lives `maxAge` (30 days); a read
//! once `expires − maxAge + updateAge` (24 hours) is reached moves
//! `expires` to now + `maxAge` (`fresh`: set the cookie again); a read of a
//! session whose `expires` is past deletes it. Times are whole
//! milliseconds, as a JS `Date` holds them, so both sides draw every
//! boundary at the same instant. Session tokens are random UUIDs, as
//! `crypto.randomUUID()` makes them, stored plain (the cookie's value is
//! the token). Verification tokens are stored as hex SHA-256 of
//! `token + secret`, the app's `AUTH_SECRET`. Where the adapter keeps
//! WebAuthn authenticators (Drizzle's and Prisma's), the store keeps them
//! too ([`AuthJsAuthenticator`]).
//!
//! `@auth/pg-adapter`'s `schema.sql` declares no unique or foreign key (and
//! databases made from Drizzle's old docs lack their composite keys), so
//! the app's own writes are not always checked by the database; authstore's
//! are, under a lock on the key: one user per mailbox (addresses compared
//! in their canonical form, [`canonical_email`](crate::canonical_email),
//! whatever their case or the spelling of their domain in the table), one
//! user per provider account, and no account or session for a user who
//! does not exist. A lookup by address finds the row holding it exactly,
//! as the adapter's does, or else its domain's punycode spelling, which
//! Auth.js keeps as typed.

mod adapter;
mod authenticator;
mod storage;

use authstore_entity::Profile;
use authstore_entity::descriptor::{AuthJsSchema, Descriptor};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, TransactionTrait};
use validator::{Validate, ValidationError, ValidationErrors};

use crate::backend;
use crate::cache::SessionCacheConfig;
use crate::next_auth::{NewUser, UserPatch};
use crate::rules::error::{ConfigError, Conflict, Error, on_write};
use crate::rules::expiry::{ExpiryPolicy, UpdateAgeExpiry};
use crate::rules::token::{self, Secret};
use crate::rules::{self, email, text};
use storage::{Rows, Storage};

pub use adapter::{AuthJsAdapter, DrizzleAdapter, PgAdapter, PrismaAdapter, PrismaV4Adapter};
pub use authenticator::AuthJsAuthenticator;

/// Which shape of an Auth.js profile's tables `db` holds: the profile's
/// schema, or the earlier one its adapter's docs gave
/// ([`AuthJsSchema::earlier_shape`]: for `authjs-prisma`, next-auth 4's,
/// served by [`PrismaV4Adapter`]), told apart by whether accounts have an
/// `id` of their own (and sessions with them), as the two shapes do not
/// agree on it; tables are found as the app's unqualified SQL finds them,
/// through the `search_path`. A database whose accounts and sessions
/// disagree is [`Error::Database`]. Its
/// [`adapter`](AuthJsSchema::adapter) names the adapter type to serve it
/// with. `None` for a profile that is not Auth.js's;
/// [`ConfigError::NotOnBackend`] where the adapter's tables are not served
/// on the database's backend.
///
/// ```no_run
/// # async fn run(db: sea_orm::DatabaseConnection) -> Result<(), authstore::Error> {
/// use authstore::authjs::schema_found;
/// use authstore::entity::{Profile, descriptor::AuthJsAdapterKind};
/// let found = schema_found(&db, Profile::AuthJsPrisma).await?.expect("an Auth.js profile");
/// if found.adapter == AuthJsAdapterKind::PrismaV4 {
///     // AuthJsStore::with_adapter(PrismaV4Adapter, db, config)
/// }
/// # Ok(()) }
/// ```
pub async fn schema_found<C: ConnectionTrait>(
    db: &C,
    profile: Profile,
) -> Result<Option<&'static AuthJsSchema>, Error> {
    let Descriptor::AuthJs(schema) = profile.descriptor() else {
        return Ok(None);
    };
    let backend = db.get_database_backend();
    if !schema.on(backend) {
        return Err(ConfigError::NotOnBackend(profile).into());
    }
    // The earlier shapes are PostgreSQL's.
    let Some(earlier) = schema
        .earlier_shape
        .filter(|_| backend == DbBackend::Postgres)
    else {
        return Ok(Some(schema));
    };
    let accounts = storage::column_held(db, schema.accounts, "id").await?;
    let sessions = storage::column_held(db, schema.sessions, "id").await?;
    if accounts != sessions {
        // Neither shape: the migration's adoption refuses it too.
        return Err(Error::Database(DbErr::Custom(format!(
            "the database holds neither shape of {}: \"{}\" and \"{}\" disagree on an `id`",
            schema.described_as, schema.accounts, schema.sessions
        ))));
    }
    Ok(Some(match accounts == earlier.row_ids.is_some() {
        true => earlier,
        false => schema,
    }))
}

/// A user row. `Id` is the adapter's
/// ([`AuthJsAdapter::Id`]): `i32` for `@auth/pg-adapter`, `String` for
/// Drizzle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthJsUser<Id = i32> {
    /// The user's id: a serial, or a UUID the writer made.
    pub id: Id,
    /// The display name, if any.
    pub name: Option<String>,
    /// The address, as the row holds it (authstore writes the canonical
    /// form; the app may have written another case).
    pub email: Option<String>,
    /// When the address was verified (an email sign-in sets it).
    pub email_verified: Option<DateTime<Utc>>,
    /// A URL of the user's picture, if any.
    pub image: Option<String>,
}

/// A linked account row: how a user signs in with a provider. Its key is
/// the provider and the user's id there (some adapters also number the
/// rows; nothing reads that number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthJsAccount<Id = i32> {
    /// The account's fields, its user among them.
    pub linked: NewAuthJsAccount<Id>,
}

/// An account to link: Auth.js's `AdapterAccount`. Its `type` must be one
/// the configured next-auth major writes (v5: `oauth`, `oidc`, `email`,
/// `webauthn`; next-auth 4: `oauth`, `email`, `credentials`).
#[derive(Clone, Debug, PartialEq, Eq, Validate)]
pub struct NewAuthJsAccount<Id = i32> {
    /// The user it is linked to.
    #[validate(skip)]
    pub user_id: Id,
    /// `accounts.type`.
    pub kind: String,
    /// The provider's id (`github`), 1 to 255 characters.
    #[validate(custom(function = "text::provider_key"))]
    pub provider: String,
    /// The user's id at the provider, 1 to 255 characters.
    #[validate(custom(function = "text::provider_key"))]
    pub provider_account_id: String,
    /// The provider's tokens, as its token endpoint gave them.
    #[validate(skip)]
    pub tokens: AuthJsTokens,
}

impl<Id> NewAuthJsAccount<Id> {
    /// An OAuth account with no tokens kept.
    pub fn oauth(user_id: Id, provider: &str, provider_account_id: &str) -> Self {
        NewAuthJsAccount {
            user_id,
            kind: "oauth".to_owned(),
            provider: provider.to_owned(),
            provider_account_id: provider_account_id.to_owned(),
            tokens: AuthJsTokens::default(),
        }
    }
}

/// The token fields Auth.js keeps on an account. Tokens are [`Secret`]s.
/// A token is 1 to 16 KiB of text without control characters; the other
/// fields have no control characters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthJsTokens {
    /// `access_token`.
    pub access_token: Option<Secret>,
    /// `refresh_token`.
    pub refresh_token: Option<Secret>,
    /// `id_token` (OpenID Connect).
    pub id_token: Option<Secret>,
    /// `expires_at`: when the access token ends, in epoch seconds.
    pub expires_at: Option<i64>,
    /// `token_type`, `scope` and `session_state`, as the provider sent them.
    pub token_type: Option<String>,
    /// See `token_type`.
    pub scope: Option<String>,
    /// See `token_type`.
    pub session_state: Option<String>,
}

impl AuthJsTokens {
    /// Adds the fields' rules to `checked`. Not derived: `validator` copies
    /// a failing value into its error, and tokens are secrets.
    fn check(&self, checked: Result<(), ValidationErrors>) -> Result<(), Error> {
        let token = |token: &Option<Secret>| token.as_ref().map_or(Ok(()), text::oauth_token);
        let plain =
            |value: &Option<String>| value.as_deref().map_or(Ok(()), text::no_control_chars);
        let checked = rules::merge(checked, "access_token", token(&self.access_token));
        let checked = rules::merge(checked, "refresh_token", token(&self.refresh_token));
        let checked = rules::merge(checked, "id_token", token(&self.id_token));
        let checked = rules::merge(checked, "token_type", plain(&self.token_type));
        let checked = rules::merge(checked, "scope", plain(&self.scope));
        Ok(rules::merge(
            checked,
            "session_state",
            plain(&self.session_state),
        )?)
    }
}

/// A session row. Its token is the cookie's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthJsSession<Id = i32> {
    /// `sessionToken`.
    pub session_token: Secret,
    /// Whose session it is.
    pub user_id: Id,
    /// When it ends, unless a read renews it first.
    pub expires: DateTime<Utc>,
    /// The expiry was just set (created, or renewed by this read): send
    /// the cookie again, with `Expires` = `expires`.
    pub fresh: bool,
}

crate::cache::valid_session!(
    /// What [`AuthJsStore::get_session_and_user`] finds for a live session.
    ValidSession<Id: adapter::sealed::Key = i32> {
        session: AuthJsSession<Id>,
        user: AuthJsUser<Id>
    },
    token: session_token,
    fresh_replaces: false,
    user_id: Id
);

/// A verification token row, as [`AuthJsStore::use_verification_token`]
/// took it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthJsVerificationToken {
    /// The address it was sent to.
    pub identifier: String,
    /// When it stops working.
    pub expires: DateTime<Utc>,
}

/// The next-auth major of the app: it names the session cookie and the
/// account types it writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NextAuthMajor {
    /// next-auth 4.24 (`next-auth.session-token`).
    V4,
    /// Auth.js v5, next-auth 5 (`authjs.session-token`).
    #[default]
    V5,
}

impl NextAuthMajor {
    /// The major named by `AUTHSTORE_NEXT_AUTH_MAJOR` (`4` or `5`), or v5
    /// when it is unset. Anything else is
    /// [`ConfigError::NextAuthMajor`], naming the value.
    pub fn from_env() -> Result<Self, Error> {
        match std::env::var("AUTHSTORE_NEXT_AUTH_MAJOR") {
            Err(_) => Ok(NextAuthMajor::V5),
            Ok(value) => match value.trim() {
                "4" => Ok(NextAuthMajor::V4),
                "5" => Ok(NextAuthMajor::V5),
                _ => Err(ConfigError::NextAuthMajor(value).into()),
            },
        }
    }

    /// The session cookie's name, `__Secure-` prefixed when the app's URL
    /// is https, as both majors name it.
    pub const fn session_cookie(self, https: bool) -> &'static str {
        match (self, https) {
            (NextAuthMajor::V4, false) => "next-auth.session-token",
            (NextAuthMajor::V4, true) => "__Secure-next-auth.session-token",
            (NextAuthMajor::V5, false) => "authjs.session-token",
            (NextAuthMajor::V5, true) => "__Secure-authjs.session-token",
        }
    }

    /// The account types this major writes.
    const fn account_types(self) -> &'static [&'static str] {
        match self {
            NextAuthMajor::V4 => &["oauth", "email", "credentials"],
            NextAuthMajor::V5 => &["oauth", "oidc", "email", "webauthn"],
        }
    }
}

/// The app's session lengths (`session.maxAge`, `session.updateAge`), its
/// secret (for verification tokens), its next-auth major and whether reads
/// are cached.
///
/// ```
/// use authstore::authjs::{AuthJsConfig, NextAuthMajor};
/// use chrono::TimeDelta;
/// let config = AuthJsConfig::default()
///     .max_age(TimeDelta::days(7), TimeDelta::hours(1))?
///     .secret("the app's AUTH_SECRET")?
///     .next_auth_major(NextAuthMajor::V4);
/// assert_eq!(config.session_max_age(), TimeDelta::days(7));
/// # Ok::<(), authstore::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AuthJsConfig {
    expiry: UpdateAgeExpiry,
    secret: Option<Secret>,
    major: NextAuthMajor,
    session_cache: Option<SessionCacheConfig>,
}

impl Default for AuthJsConfig {
    /// Auth.js's defaults: 30 days, renewed after a day; v5; no secret.
    fn default() -> Self {
        AuthJsConfig {
            expiry: UpdateAgeExpiry {
                expires_in: TimeDelta::days(30),
                update_age: TimeDelta::days(1),
            },
            secret: None,
            major: NextAuthMajor::V5,
            session_cache: None,
        }
    }
}

impl std::fmt::Debug for AuthJsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthJsConfig")
            .field("expiry", &self.expiry)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("major", &self.major)
            .field("session_cache", &self.session_cache)
            .finish()
    }
}

impl AuthJsConfig {
    /// Sets the app's `session.maxAge` and `session.updateAge`;
    /// `max_age` must be positive, and `update_age` no longer than it (0,
    /// as Auth.js allows, renews on every read).
    pub fn max_age(mut self, max_age: TimeDelta, update_age: TimeDelta) -> Result<Self, Error> {
        if max_age <= TimeDelta::zero() {
            return Err(ConfigError::NotPositive("max_age").into());
        }
        if update_age < TimeDelta::zero() {
            return Err(ConfigError::NotPositive("update_age").into());
        }
        if update_age > max_age {
            return Err(ConfigError::UpdateAgeExceedsMaxAge.into());
        }
        self.expiry = UpdateAgeExpiry {
            expires_in: max_age,
            update_age,
        };
        Ok(self)
    }

    /// The session lifetime (`maxAge`).
    pub fn session_max_age(&self) -> TimeDelta {
        self.expiry.expires_in
    }

    /// The app's secret (`AUTH_SECRET`, `NEXTAUTH_SECRET`), which verification
    /// tokens are hashed with; [`ConfigError::EmptySecret`] if empty. An
    /// Auth.js v5 app given several secrets (`AUTH_SECRET_1`, …) hashes with
    /// all of them joined by commas, the newest first: pass that string.
    pub fn secret(mut self, secret: &str) -> Result<Self, Error> {
        if secret.trim().is_empty() {
            return Err(ConfigError::EmptySecret.into());
        }
        self.secret = Some(Secret::from(secret.to_owned()));
        Ok(self)
    }

    /// Sets the app's next-auth major (v5 by default).
    pub fn next_auth_major(mut self, major: NextAuthMajor) -> Self {
        self.major = major;
        self
    }

    /// The app's next-auth major.
    pub fn major(&self) -> NextAuthMajor {
        self.major
    }

    crate::core::session_cache_setting!(AuthJsStore, get_session_and_user);
}

crate::core::profile_store!(
    /// The store of an Auth.js adapter's database: a connection, an
    /// [`AuthJsConfig`] and a clock. Cloning is cheap. `A` names the
    /// adapter whose tables it speaks: [`PgAdapter`] (`authjs-pg`, the
    /// default) or [`DrizzleAdapter`] (`authjs-drizzle`:
    /// `AuthJsStore::with_adapter(DrizzleAdapter, db, config)`, whose users'
    /// ids are `String`s).
    AuthJsStore<A: AuthJsAdapter = PgAdapter>(AuthJsConfig, A::PROFILE),
    on_example = r#"
```no_run
# async fn run(auth: authstore::authjs::AuthJsStore) -> Result<(), authstore::Error> {
use authstore::NewUser;
use sea_orm::TransactionTrait;
let txn = auth.connection().begin().await?;
let user = auth.on(&txn).create_user(NewUser::default()).await?;
txn.rollback().await?;
assert_eq!(auth.get_user(user.id).await?, None);
# Ok(()) }
```
"#
);

/// How long a verification token works: Auth.js's default `maxAge` of the
/// email provider.
const VERIFICATION_MAX_AGE: TimeDelta = TimeDelta::days(1);

/// A user's id in adapter `A`'s tables.
type IdOf<A> = <A as AuthJsAdapter>::Id;

impl<Db: ConnectionTrait + TransactionTrait, A: AuthJsAdapter> AuthJsStore<Db, A> {
    /// Now, in whole milliseconds, as a JS `Date` holds it.
    fn now(&self) -> DateTime<Utc> {
        self.core.now().trunc_subsecs(3)
    }

    /// Creates a user, as the adapter's `createUser` (the fields are
    /// next-auth's, [`NewUser`], the address stored in its canonical form);
    /// one `INSERT` under a lock on the mailbox.
    /// [`Error::Conflict`]`(`[`Conflict::Email`]`)` if a user has the
    /// address in any case (as the database's `lower()` folds it);
    /// [`Error::Validation`] for a bad field, or for no address where the
    /// schema requires one (`authjs-prisma`), and nothing is written.
    pub async fn create_user(&self, input: NewUser) -> Result<AuthJsUser<IdOf<A>>, Error> {
        let user = input.prepare(self.core.db.get_database_backend())?;
        let Some(address) = user.email.clone() else {
            Self::address_optional()?;
            return Ok(self.storage().insert_user(&user).await?);
        };
        self.for_mailbox(&address, async |storage| {
            if storage.mailbox_taken(&address).await? {
                return Err(Error::Conflict(Conflict::Email));
            }
            storage
                .insert_user(&user)
                .await
                .map_err(on_write(Conflict::Email))
        })
        .await
    }

    /// [`Error::Validation`] on `email` where the schema requires every
    /// user to have an address (Prisma's documented `email String
    /// @unique`), before anything is written.
    fn address_optional() -> Result<(), Error> {
        match A::SCHEMA.email_required {
            true => Err(rules::invalid("email", ValidationError::new("required"))),
            false => Ok(()),
        }
    }

    /// Runs `body` in a transaction holding the lock on the mailbox
    /// `address` (canonical), so "is it taken? then insert" cannot be
    /// interleaved by another of authstore's writers.
    async fn for_mailbox<T>(
        &self,
        address: &str,
        body: impl AsyncFnOnce(Storage<'_, Db::Transaction, A>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let key = format!("authjs mailbox {}", address.to_lowercase());
        backend::serialized(&self.core.db, A::SCHEMA.users, &key, async |txn| {
            body(Storage::on(txn)).await
        })
        .await
    }

    /// The app's secret, which sign-in links need.
    fn secret(&self) -> Result<&Secret, Error> {
        Ok(self
            .config
            .secret
            .as_ref()
            .ok_or(ConfigError::EmptySecret)?)
    }

    /// A sign-in link's address in its canonical form and its token's
    /// stored form, or `None` when neither could be one anybody stored.
    fn link_key(&self, identifier: &str, token: &str) -> Result<Option<(String, String)>, Error> {
        let secret = self.secret()?;
        let Ok(address) = email::canonical(identifier) else {
            return Ok(None);
        };
        if !text::plausible_token(token) {
            return Ok(None);
        }
        Ok(Some((
            address,
            token::verification_hash(token, secret.expose()),
        )))
    }

    /// The user with this id (`getUser`).
    pub async fn get_user(&self, id: IdOf<A>) -> Result<Option<AuthJsUser<IdOf<A>>>, Error> {
        Ok(self.storage().user(&id).await?)
    }

    /// The user with this address (`getUserByEmail`): the row holding its
    /// canonical form exactly, as the adapter compares (of two such rows,
    /// the older), or else exactly the spelling with its domain in ASCII
    /// (punycode), which Auth.js keeps when that is what was typed. An
    /// input that is no address is `None`, without a query.
    pub async fn get_user_by_email(
        &self,
        address: &str,
    ) -> Result<Option<AuthJsUser<IdOf<A>>>, Error> {
        let Ok(address) = email::canonical(address) else {
            return Ok(None);
        };
        Ok(self.storage().user_by_email(&address).await?)
    }

    /// The user who linked this provider account (`getUserByAccount`).
    pub async fn get_user_by_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<AuthJsUser<IdOf<A>>>, Error> {
        if !text::linkable(provider, provider_account_id) {
            return Ok(None);
        }
        Ok(self
            .storage()
            .user_by_account(provider, provider_account_id)
            .await?)
    }

    /// Applies a partial update (`updateUser`), with next-auth's
    /// [`UserPatch`]: a new address is stored in its canonical form, under
    /// the mailbox's lock, and is [`Error::Conflict`]`(`[`Conflict::Email`]`)`
    /// if another user has it in any case. [`Error::NotFound`] if there is
    /// no such user; [`Error::Validation`] for a bad field. Nothing is
    /// written then.
    pub async fn update_user(
        &self,
        id: IdOf<A>,
        patch: UserPatch,
    ) -> Result<AuthJsUser<IdOf<A>>, Error> {
        let patch = patch.prepare(self.core.db.get_database_backend())?;
        if patch.email == Some(None) {
            Self::address_optional()?;
        }
        let updated = match patch.email.clone().flatten() {
            None => self.storage().update_user(&id, &patch).await?,
            Some(address) => {
                self.for_mailbox(&address, async |storage| {
                    if storage.mailbox_taken_by_another(&address, &id).await? {
                        return Err(Error::Conflict(Conflict::Email));
                    }
                    storage
                        .update_user(&id, &patch)
                        .await
                        .map_err(on_write(Conflict::Email))
                })
                .await?
            }
        };
        let user = updated.ok_or(Error::NotFound)?;
        self.core.here().changed(crate::cache::Change::User(id));
        Ok(user)
    }

    /// Deletes the user with their sessions, accounts and WebAuthn
    /// authenticators in one transaction (`deleteUser`), whether or not
    /// foreign keys would cascade. [`Error::NotFound`] if there is no such
    /// user; then nothing changes.
    pub async fn delete_user(&self, id: IdOf<A>) -> Result<(), Error> {
        let sessions = self.sessions();
        let txn = sessions.begin_user_deletion(&id).await?;
        let storage = Storage::<_, A>::on(&txn);
        storage.delete_accounts_of(&id).await?;
        storage.delete_authenticators_of(&id).await?;
        let found = storage.delete_user(&id).await?;
        sessions.core.finish_user_deletion(txn, id, found).await
    }

    /// Links an account to its user (`linkAccount`), under a lock on the
    /// provider account. [`Error::Conflict`]`(`[`Conflict::Account`]`)` if
    /// it is linked already, [`Error::UnknownUser`] if the user does not
    /// exist, [`Error::Validation`] for a bad field, an account type the
    /// configured next-auth major does not write, or an `expires_at` the
    /// adapter's column cannot hold (Drizzle's is 32 bits).
    pub async fn link_account(
        &self,
        account: NewAuthJsAccount<IdOf<A>>,
    ) -> Result<AuthJsAccount<IdOf<A>>, Error> {
        let kind = match self
            .config
            .major
            .account_types()
            .contains(&account.kind.as_str())
        {
            true => Ok(()),
            false => Err(ValidationError::new("account_type")),
        };
        // Drizzle's `expires_at` is an `integer`: epoch seconds past
        // 2038-01-19 do not fit.
        let backend = self.core.db.get_database_backend();
        let expires_at = match (
            A::SCHEMA.expires_at_32_bit_on(backend),
            account.tokens.expires_at,
        ) {
            (true, Some(at)) if i32::try_from(at).is_err() => {
                Err(ValidationError::new("out_of_range"))
            }
            _ => Ok(()),
        };
        let checked = rules::merge(account.validate(), "kind", kind);
        account
            .tokens
            .check(rules::merge(checked, "expires_at", expires_at))?;
        let key = format!(
            "authjs account {}:{}",
            account.provider, account.provider_account_id
        );
        backend::serialized(&self.core.db, A::SCHEMA.accounts, &key, async |txn| {
            let storage = Storage::<_, A>::on(txn);
            let taken = storage.user_by_account(&account.provider, &account.provider_account_id);
            if taken.await?.is_some() {
                return Err(Error::Conflict(Conflict::Account));
            }
            storage
                .insert_account(&account)
                .await
                .map_err(on_write(Conflict::Account))?
                .ok_or(Error::UnknownUser)
        })
        .await
    }

    /// Unlinks a provider account (`unlinkAccount`); whether it was linked.
    pub async fn unlink_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<bool, Error> {
        if !text::linkable(provider, provider_account_id) {
            return Ok(false);
        }
        let storage = self.storage();
        Ok(storage
            .delete_account(provider, provider_account_id)
            .await?
            > 0)
    }

    /// The account linking this provider account, if any (Auth.js's
    /// `getAccount`, whose arguments come the other way round).
    pub async fn get_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<AuthJsAccount<IdOf<A>>>, Error> {
        if !text::linkable(provider, provider_account_id) {
            return Ok(None);
        }
        Ok(self
            .storage()
            .account(provider, provider_account_id)
            .await?)
    }

    /// A user's accounts, oldest first.
    pub async fn user_accounts(
        &self,
        user_id: IdOf<A>,
    ) -> Result<Vec<AuthJsAccount<IdOf<A>>>, Error> {
        Ok(self.storage().accounts_of(&user_id).await?)
    }

    /// Starts a session for a user (`createSession`): a random UUID token
    /// and `expires` = now + `maxAge`; one `INSERT`, which writes nothing
    /// if the user does not exist ([`Error::UnknownUser`]).
    pub async fn create_session(&self, user_id: IdOf<A>) -> Result<AuthJsSession<IdOf<A>>, Error> {
        let expires = self.config.expiry.starting_at(self.now());
        let token = token::random_uuid();
        let created = self
            .storage()
            .insert_session(token.expose(), &user_id, expires)
            .await?;
        if !created {
            return Err(Error::UnknownUser);
        }
        Ok(AuthJsSession {
            session_token: token,
            user_id,
            expires,
            fresh: true,
        })
    }

    /// The session a cookie's token names, and its user, as Auth.js's
    /// session route finds it: one `SELECT … JOIN`; an expired session is
    /// deleted, one due for renewal gets `expires` = now + `maxAge`
    /// (`fresh`). With the session cache on, a live session not yet due is
    /// served from memory.
    pub async fn get_session_and_user(
        &self,
        token: &str,
    ) -> Result<Option<ValidSession<IdOf<A>>>, Error> {
        self.sessions().validate(token).await
    }

    /// Ends one session (`deleteSession`); whether it existed.
    pub async fn delete_session(&self, token: &str) -> Result<bool, Error> {
        self.sessions().revoke(token).await
    }

    /// Ends every session of a user; how many.
    pub async fn delete_user_sessions(&self, user_id: IdOf<A>) -> Result<u64, Error> {
        self.sessions().revoke_user(&user_id).await
    }

    /// Deletes expired sessions in batches of [`PURGE_BATCH`](crate::PURGE_BATCH); how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64, Error> {
        self.sessions().purge().await
    }

    /// Creates an email sign-in token for `identifier`, an address stored in
    /// its canonical form, as Auth.js's email provider does: 32 random bytes
    /// as 64 hex characters for the link, only the hex SHA-256 of
    /// `token + secret` stored, working for a day. Needs the secret
    /// ([`ConfigError::EmptySecret`] without one); an identifier that is no
    /// address is [`Error::Validation`], and nothing is written.
    pub async fn create_verification_token(
        &self,
        identifier: &str,
    ) -> Result<(AuthJsVerificationToken, Secret), Error> {
        let secret = self.secret()?;
        let identifier =
            email::canonical(identifier).map_err(|why| rules::invalid("identifier", why))?;
        let expires = self.now() + VERIFICATION_MAX_AGE;
        let token = token::random_token();
        let hash = token::verification_hash(token.expose(), secret.expose());
        self.storage()
            .insert_verification(&identifier, &hash, expires)
            .await?;
        Ok((
            AuthJsVerificationToken {
                identifier,
                expires,
            },
            token,
        ))
    }

    /// Signs in with an email link, as Auth.js's email callback does, in
    /// one transaction under the mailbox's lock: the token is used (spent
    /// even if it has expired); then the user whose address is exactly the
    /// link's gets `emailVerified` = now, or is created with it, and a
    /// session is started (the user is found as
    /// [`get_user_by_email`](Self::get_user_by_email) finds one). `None`
    /// for an unknown, spent or expired token, or another address's.
    /// [`Error::Conflict`]`(`[`Conflict::Email`]`)`, with the token left
    /// unspent, if no user has the address exactly but one has it in
    /// another case: which of them the link is for is not authstore's to
    /// guess.
    ///
    /// The app's own sign-in rules (its `callbacks.signIn`) are the app's:
    /// this signs in anybody who holds a valid link.
    pub async fn sign_in_with_link(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<(AuthJsUser<IdOf<A>>, AuthJsSession<IdOf<A>>)>, Error> {
        let Some((address, hash)) = self.link_key(identifier, token)? else {
            return Ok(None);
        };
        let now = self.now();
        let signed_in = self.for_mailbox(&address, async |storage| {
            let taken = storage.take_verification(&address, &hash).await?;
            if taken.is_none_or(|taken| taken.expires < now) {
                // Committed: a spent or expired token is gone.
                return Ok(None);
            }
            let user = match storage.user_by_email(&address).await? {
                Some(user) => storage.verify_email(&user.id, now).await?,
                None if storage.mailbox_taken(&address).await? => {
                    return Err(Error::Conflict(Conflict::Email));
                }
                None => {
                    let new = NewUser {
                        email: Some(address.clone()),
                        email_verified: Some(now),
                        ..Default::default()
                    };
                    storage
                        .insert_user(&new)
                        .await
                        .map_err(on_write(Conflict::Email))?
                }
            };
            let expires = self.config.expiry.starting_at(now);
            let session_token = token::random_uuid();
            let started = storage.insert_session(session_token.expose(), &user.id, expires);
            if !started.await? {
                return Err(Error::UnknownUser);
            }
            let session = AuthJsSession {
                session_token,
                user_id: user.id.clone(),
                expires,
                fresh: true,
            };
            Ok(Some((user, session)))
        });
        signed_in.await
    }

    /// Uses a sign-in link's token (`useVerificationToken`, then Auth.js's
    /// checks): the row is deleted whether or not it has expired, and
    /// returned only if it has not. `None` for an unknown token, another
    /// address's, or an expired one.
    pub async fn use_verification_token(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<AuthJsVerificationToken>, Error> {
        let Some((address, hash)) = self.link_key(identifier, token)? else {
            return Ok(None);
        };
        let taken = self.storage().take_verification(&address, &hash).await?;
        // Auth.js: `invite.expires.valueOf() < Date.now()` is refused.
        Ok(taken.filter(|taken| taken.expires >= self.now()))
    }
}
