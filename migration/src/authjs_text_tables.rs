//! What the Auth.js adapters whose tables are all `text` (Drizzle's and
//! Prisma's) lay down alike: the columns of an account, of a verification
//! token and of a WebAuthn authenticator, in the order both adapters'
//! schemas declare them. Each
//! profile adds its own keys, names and row clocks.

use sea_orm_migration::prelude::*;

use authstore_entity::descriptor::AuthJsSchema;

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().to_owned()
}

/// An account's columns: who, which provider, and the provider's tokens
/// (`expires_at` an `integer` of epoch seconds).
pub(crate) fn account_columns(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(text(AuthJsSchema::USER_ID).not_null())
        .col(text(AuthJsSchema::TYPE).not_null())
        .col(text(AuthJsSchema::PROVIDER).not_null())
        .col(text(AuthJsSchema::PROVIDER_ACCOUNT_ID).not_null())
        .col(text(AuthJsSchema::REFRESH_TOKEN))
        .col(text(AuthJsSchema::ACCESS_TOKEN))
        .col(ColumnDef::new(AuthJsSchema::EXPIRES_AT).integer())
        .col(text(AuthJsSchema::TOKEN_TYPE))
        .col(text(AuthJsSchema::SCOPE))
        .col(text(AuthJsSchema::ID_TOKEN))
        .col(text(AuthJsSchema::SESSION_STATE))
}

/// A WebAuthn authenticator's columns (its credential as base64 text), its
/// `credentialBackedUp` a `flag` of the adapter's kind.
pub(crate) fn authenticator_columns(
    table: &mut TableCreateStatement,
    flag: fn(&'static str) -> ColumnDef,
) -> &mut TableCreateStatement {
    table
        .col(text(AuthJsSchema::CREDENTIAL_ID).not_null())
        .col(text(AuthJsSchema::USER_ID).not_null())
        .col(text(AuthJsSchema::PROVIDER_ACCOUNT_ID).not_null())
        .col(text(AuthJsSchema::CREDENTIAL_PUBLIC_KEY).not_null())
        .col(ColumnDef::new(AuthJsSchema::COUNTER).integer().not_null())
        .col(text(AuthJsSchema::CREDENTIAL_DEVICE_TYPE).not_null())
        .col(flag(AuthJsSchema::CREDENTIAL_BACKED_UP).not_null())
        .col(text(AuthJsSchema::TRANSPORTS))
}

/// A verification token's columns, its expiry in the adapter's kind of
/// `time`.
pub(crate) fn verification_columns(
    table: &mut TableCreateStatement,
    time: fn(&'static str) -> ColumnDef,
) -> &mut TableCreateStatement {
    table
        .col(text("identifier").not_null())
        .col(text("token").not_null())
        .col(time("expires").not_null())
}
