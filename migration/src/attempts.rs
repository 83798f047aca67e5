//! authstore's own table of sign-in attempts (`authstore_sign_in_attempt`),
//! for the sign-in attempt limit of the profiles with password sign-in.
//! The JS app never reads it: it only holds a SHA-256 digest of each
//! attempt's scope (a key or a client address) and when it was made, in
//! milliseconds since the epoch.

use sea_orm_migration::prelude::*;

use authstore_entity::own_tables::{SIGN_IN_ATTEMPTS as ATTEMPTS, SIGN_IN_ATTEMPTS_BY_SCOPE};

use crate::column::big_id;

/// The migration that adds the table and its one index.
pub(crate) struct SignInAttempts {
    /// The migration's name, recorded in `seaql_migrations`; never changes.
    pub(crate) name: &'static str,
}

crate::named_by_field!(SignInAttempts);

#[async_trait::async_trait]
impl MigrationTrait for SignInAttempts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(ATTEMPTS)
                    .col(big_id(backend, "id"))
                    .col(ColumnDef::new("scope").char_len(64).not_null())
                    .col(ColumnDef::new("attempted_at").big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // Counting a scope's attempts in the window, and dropping old ones.
        manager
            .create_index(
                Index::create()
                    .name(SIGN_IN_ATTEMPTS_BY_SCOPE)
                    .table(ATTEMPTS)
                    .col("scope")
                    .col("attempted_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ATTEMPTS).to_owned())
            .await
    }
}
