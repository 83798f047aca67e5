//! The adapter's tables have no row clocks: the default behaviour.

impl sea_orm::ActiveModelBehavior for super::user::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::account::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::session::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::verification_token::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::authenticator::ActiveModel {}
