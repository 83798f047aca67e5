//! Every better-auth table has `createdAt` and `updatedAt`: filled on save,
//! as better-auth's own adapter fills them (`session.updatedAt` and
//! `account.updatedAt` have no column default).

crate::behavior::row_clocks_and_utc!(user, session, account, verification);
