//! WebAuthn authenticators (passkeys), as Auth.js v5's passkey provider
//! keeps them through `@auth/prisma-adapter` and `@auth/drizzle-adapter`
//! (`createAuthenticator`, `getAuthenticator`, `listAuthenticatorsByUserId`,
//! `updateAuthenticatorCounter`). The credential's id and public key are
//! stored as standard base64 (`Buffer.toString("base64")`, not base64url),
//! the signature counter as a 32-bit `integer`, the transports joined by
//! commas. `@auth/pg-adapter` keeps none, and an app without passkeys may
//! have left the table out: there every call is
//! [`ConfigError::NoAuthenticators`].

use data_encoding::BASE64;
use sea_orm::{ConnectionTrait, DbErr, QueryResult, TransactionTrait};
use validator::{ValidationError, ValidationErrors};

use super::storage::{self, Storage};
use super::{AuthJsAdapter, AuthJsStore, IdOf};
use crate::backend;
use crate::rules::error::{ConfigError, Conflict, Error, on_write};
use crate::rules::{self, text};
use authstore_entity::descriptor::AuthJsSchema;

/// The device types `@simplewebauthn/server` reports, which Auth.js stores.
const DEVICE_TYPES: [&str; 2] = ["singleDevice", "multiDevice"];

/// A WebAuthn authenticator (a passkey) of a user: Auth.js's
/// `AdapterAuthenticator`, its credential as bytes.
///
/// ```
/// use authstore::authjs::AuthJsAuthenticator;
/// let passkey = AuthJsAuthenticator {
///     user_id: "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed".to_owned(),
///     credential_id: vec![0x63, 0x72, 0x65, 0x64],
///     // Auth.js names the passkey's account after its credential.
///     provider_account_id: "Y3JlZA==".to_owned(),
///     credential_public_key: vec![0xa5, 0x01, 0x02],
///     counter: 0,
///     credential_device_type: "singleDevice".to_owned(),
///     credential_backed_up: false,
///     transports: Some("usb,nfc".to_owned()),
/// };
/// assert_eq!(passkey.credential_id_base64(), "Y3JlZA==");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthJsAuthenticator<Id = String> {
    /// Whose passkey it is.
    pub user_id: Id,
    /// The credential's id (`credentialID`, stored as base64).
    pub credential_id: Vec<u8>,
    /// The passkey's account (`providerAccountId`): the credential's id in
    /// base64 ([`credential_id_base64`](Self::credential_id_base64)), as
    /// Auth.js names it, and nothing else.
    pub provider_account_id: String,
    /// The credential's public key, COSE-encoded (`credentialPublicKey`,
    /// stored as base64).
    pub credential_public_key: Vec<u8>,
    /// The signature counter (an `integer`: up to 2,147,483,647).
    pub counter: u32,
    /// `singleDevice` or `multiDevice`.
    pub credential_device_type: String,
    /// Whether the credential is backed up.
    pub credential_backed_up: bool,
    /// The transports, joined by commas (`usb,nfc`), if known.
    pub transports: Option<String>,
}

impl<Id> AuthJsAuthenticator<Id> {
    /// The credential's id as the row holds it: standard base64.
    pub fn credential_id_base64(&self) -> String {
        BASE64.encode(&self.credential_id)
    }

    /// [`Error::Validation`] for a field the table or Auth.js cannot take.
    fn check(&self) -> Result<(), Error> {
        let mut errors = ValidationErrors::new();
        if self.credential_id.is_empty() {
            errors.add("credential_id", ValidationError::new("required"));
        }
        if self.credential_public_key.is_empty() {
            errors.add("credential_public_key", ValidationError::new("required"));
        }
        // Auth.js finds the person a passkey signs in through the account
        // named after its credential, never through the passkey's own
        // `userId`: an account named otherwise would sign someone else in.
        if self.provider_account_id != self.credential_id_base64() {
            errors.add(
                "provider_account_id",
                ValidationError::new("not_the_credential"),
            );
        }
        if i32::try_from(self.counter).is_err() {
            errors.add("counter", ValidationError::new("out_of_range"));
        }
        if !DEVICE_TYPES.contains(&self.credential_device_type.as_str()) {
            errors.add(
                "credential_device_type",
                ValidationError::new("device_type"),
            );
        }
        if let Some(Err(error)) = self.transports.as_deref().map(text::no_control_chars) {
            errors.add("transports", error);
        }
        match errors.is_empty() {
            true => Ok(()),
            false => Err(Error::Validation(errors)),
        }
    }
}

/// A row, its base64 decoded; a value that is no base64 is
/// [`DbErr::Type`], naming the column.
pub(super) fn authenticator_from<Id: sea_orm::TryGetable>(
    row: &QueryResult,
) -> Result<AuthJsAuthenticator<Id>, DbErr> {
    let bytes = |column: &str| -> Result<Vec<u8>, DbErr> {
        let text: String = row.try_get("", column)?;
        BASE64
            .decode(text.as_bytes())
            .map_err(|_| DbErr::Type(format!("authenticator.{column} is no base64")))
    };
    let counter: i32 = row.try_get("", AuthJsSchema::COUNTER)?;
    Ok(AuthJsAuthenticator {
        user_id: row.try_get("", AuthJsSchema::USER_ID)?,
        credential_id: bytes(AuthJsSchema::CREDENTIAL_ID)?,
        provider_account_id: row.try_get("", AuthJsSchema::PROVIDER_ACCOUNT_ID)?,
        credential_public_key: bytes(AuthJsSchema::CREDENTIAL_PUBLIC_KEY)?,
        counter: u32::try_from(counter)
            .map_err(|_| DbErr::Type("authenticator.counter is negative".into()))?,
        credential_device_type: row.try_get("", AuthJsSchema::CREDENTIAL_DEVICE_TYPE)?,
        credential_backed_up: row.try_get("", AuthJsSchema::CREDENTIAL_BACKED_UP)?,
        transports: row.try_get("", AuthJsSchema::TRANSPORTS)?,
    })
}

impl<Db: ConnectionTrait + TransactionTrait, A: AuthJsAdapter> AuthJsStore<Db, A> {
    /// The authenticator table, where the adapter has one and the database
    /// holds it.
    async fn authenticators(&self) -> Result<&'static str, Error> {
        let table = A::SCHEMA
            .authenticators
            .ok_or(ConfigError::NoAuthenticators)?;
        match storage::table_held(&self.core.db, table).await? {
            true => Ok(table),
            false => Err(ConfigError::NoAuthenticators.into()),
        }
    }

    /// Stores a new passkey (`createAuthenticator`), after its account, as
    /// Auth.js's passkey registration does: the user's `webauthn` account
    /// named after the credential ([`link_account`](Self::link_account)
    /// with kind `webauthn`, provider `passkey` or the app's passkey
    /// provider id, and [`credential_id_base64`](AuthJsAuthenticator::credential_id_base64)),
    /// through which Auth.js will find whom the passkey signs in. Under a
    /// lock on the credential.
    ///
    /// [`Error::Conflict`]`(`[`Conflict::Credential`]`)` if the credential
    /// is stored already; [`Error::Conflict`]`(`[`Conflict::Account`]`)` if
    /// a `webauthn` account of another user names it;
    /// [`Error::Validation`] on `provider_account_id` if it is not the
    /// credential's id in base64 or the user has no such account, and for
    /// a field the table or Auth.js cannot take (a counter past
    /// 2³¹ − 1, a device type other than `singleDevice` or `multiDevice`).
    /// Nothing is written then.
    pub async fn create_authenticator(
        &self,
        authenticator: AuthJsAuthenticator<IdOf<A>>,
    ) -> Result<AuthJsAuthenticator<IdOf<A>>, Error> {
        authenticator.check()?;
        let table = self.authenticators().await?;
        let credential = authenticator.credential_id_base64();
        let key = format!("authjs passkey {credential}");
        backend::serialized(&self.core.db, table, &key, async |txn| {
            let storage = Storage::<_, A>::on(txn);
            if storage.authenticator(table, &credential).await?.is_some() {
                return Err(Error::Conflict(Conflict::Credential));
            }
            let holders = storage.passkey_account_holders(&credential).await?;
            if holders.is_empty() {
                let missing = ValidationError::new("no_passkey_account");
                return Err(rules::invalid("provider_account_id", missing));
            }
            if holders
                .iter()
                .any(|holder| *holder != authenticator.user_id)
            {
                return Err(Error::Conflict(Conflict::Account));
            }
            storage
                .insert_authenticator(table, &authenticator)
                .await
                .map_err(on_write(Conflict::Credential))?
                .ok_or(Error::UnknownUser)
        })
        .await
    }

    /// The passkey with this credential id (`getAuthenticator`), if any.
    pub async fn get_authenticator(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<AuthJsAuthenticator<IdOf<A>>>, Error> {
        let table = self.authenticators().await?;
        let storage = Storage::<_, A>::on(&self.core.db);
        Ok(storage
            .authenticator(table, &BASE64.encode(credential_id))
            .await?)
    }

    /// A user's passkeys (`listAuthenticatorsByUserId`), in the table's
    /// order, as the adapter lists them.
    pub async fn list_authenticators(
        &self,
        user_id: IdOf<A>,
    ) -> Result<Vec<AuthJsAuthenticator<IdOf<A>>>, Error> {
        let table = self.authenticators().await?;
        let storage = Storage::<_, A>::on(&self.core.db);
        Ok(storage.authenticators_of(table, &user_id).await?)
    }

    /// Sets a passkey's signature counter after a sign-in with it
    /// (`updateAuthenticatorCounter`). Counters only go up (or stay 0, for
    /// an authenticator that keeps none): a lower or equal one, as a cloned
    /// authenticator or a raced sign-in would write, is
    /// [`Error::Validation`] on `counter` (`counter_not_increasing`), as is
    /// one past 2³¹ − 1, and nothing is written. [`Error::NotFound`] if no
    /// passkey has the credential.
    pub async fn update_authenticator_counter(
        &self,
        credential_id: &[u8],
        counter: u32,
    ) -> Result<AuthJsAuthenticator<IdOf<A>>, Error> {
        let counter = i32::try_from(counter)
            .map_err(|_| rules::invalid("counter", ValidationError::new("out_of_range")))?;
        let table = self.authenticators().await?;
        let credential = BASE64.encode(credential_id);
        let storage = Storage::<_, A>::on(&self.core.db);
        if let Some(set) = storage
            .set_authenticator_counter(table, &credential, counter)
            .await?
        {
            return Ok(set);
        }
        match storage.authenticator(table, &credential).await? {
            Some(_) => Err(rules::invalid(
                "counter",
                ValidationError::new("counter_not_increasing"),
            )),
            None => Err(Error::NotFound),
        }
    }
}
