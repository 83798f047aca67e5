//! The default behaviour: the row clocks (`createdAt`, `updatedAt`) are
//! Prisma's client's to write, and authstore's store writes them; code that
//! saves these entities directly must set them itself.

impl sea_orm::ActiveModelBehavior for super::user::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::account::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::verification_token::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::authenticator::ActiveModel {}
