//! Every better-auth table has `createdAt` and `updatedAt`: filled on save,
//! as better-auth's own adapter fills them (`session.updatedAt` and
//! `account.updatedAt` have no column default). authstore's own record of
//! a carry-over has no row clocks: the default behaviour.

crate::behavior::row_clocks_and_utc!(user, session, account, verification);

impl sea_orm::ActiveModelBehavior for super::authstore_carried::ActiveModel {}
