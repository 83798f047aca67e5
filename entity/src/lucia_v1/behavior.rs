//! Lucia's tables have no row clocks: the default behaviour.

impl sea_orm::ActiveModelBehavior for super::auth_user::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::auth_session::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::auth_key::ActiveModel {}
