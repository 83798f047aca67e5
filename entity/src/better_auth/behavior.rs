//! Every better-auth table has `createdAt` and `updatedAt`: filled on save,
//! as better-auth's own adapter fills them (`session.updatedAt` and
//! `account.updatedAt` have no column default). authstore's own records of
//! a carry-over (what was carried, and from which sources) have no row
//! clocks: the default behaviour.

crate::behavior::row_clocks_and_utc!(user, session, account, verification);

impl sea_orm::ActiveModelBehavior for super::authstore_carried::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::authstore_carried_source::ActiveModel {}
