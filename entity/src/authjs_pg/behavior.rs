//! The adapter's tables have no row clocks: the default behaviour.

impl sea_orm::ActiveModelBehavior for super::users::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::accounts::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::sessions::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::verification_token::ActiveModel {}
