//! `ActiveModelBehavior` for every entity: the hand-written part of this
//! crate, one rule per kind of row clock.
//! sea-orm-cli runs with `--impl-active-model-behavior=false`, so
//! regenerating the entities never overwrites these impls. Each profile's
//! `behavior.rs` names its entities.

use chrono::{DateTime, FixedOffset, Utc};

/// One rule for every table, so it is written once:
/// - the row clocks are filled on save, unless the caller set them;
/// - every timestamp is stored with a UTC offset.
///
/// The second matters on SQLite, which keeps a timestamp as the text it was
/// given: `expires` values with mixed offsets would compare as strings in the
/// wrong order. PostgreSQL and MySQL store instants and do not care.
macro_rules! row_clocks_and_utc {
    ($($entity:ident),+ $(,)?) => {$(
        #[sea_orm::entity::prelude::async_trait::async_trait]
        impl sea_orm::ActiveModelBehavior for super::$entity::ActiveModel {
            async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, sea_orm::DbErr>
            where
                C: sea_orm::ConnectionTrait,
            {
                use sea_orm::{ActiveModelTrait, ActiveValue, Iterable, Set, Value};
                // Written from Rust rather than by the column default so every
                // backend stores the same format, with microseconds (SQLite's
                // CURRENT_TIMESTAMP has none).
                let now = chrono::Utc::now().fixed_offset();
                if insert && !self.created_at.is_set() {
                    self.created_at = Set(now);
                }
                if !self.updated_at.is_set() {
                    self.updated_at = Set(now);
                }
                for column in super::$entity::Column::iter() {
                    if let ActiveValue::Set(Value::ChronoDateTimeWithTimeZone(Some(at))) = self.get(column) {
                        if at.offset().local_minus_utc() != 0 {
                            self.set(column, Value::ChronoDateTimeWithTimeZone(Some($crate::behavior::in_utc(at))));
                        }
                    }
                }
                Ok(self)
            }
        }
    )+};
}

pub(crate) fn in_utc(at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    at.with_timezone(&Utc).fixed_offset()
}

pub(crate) use row_clocks_and_utc;

/// Tables whose row clocks are wall-clock times (`created`/`updated`,
/// next-auth 2.0 beta): an insert leaves them to the column default, the
/// database's `now()` in its session's zone, exactly as next-auth's own
/// inserts do. Filling them from Rust would need the zone the JS app writes
/// in, which only the `authstore` store is configured with.
macro_rules! database_clocks {
    ($($entity:ident),+ $(,)?) => {$(
        impl sea_orm::ActiveModelBehavior for super::$entity::ActiveModel {}
    )+};
}

pub(crate) use database_clocks;
