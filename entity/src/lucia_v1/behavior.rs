//! Lucia's tables, and authstore's own table of sign-in attempts, have no
//! row clocks: the default behaviour.

impl sea_orm::ActiveModelBehavior for super::auth_user::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::auth_session::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::auth_key::ActiveModel {}
impl sea_orm::ActiveModelBehavior for super::authstore_sign_in_attempt::ActiveModel {}
