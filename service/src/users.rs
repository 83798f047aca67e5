//! The `users` table: its input types, its rules and its queries.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect, QueryTrait, RelationTrait, Statement, TransactionSession,
    TransactionTrait,
};
use validator::{Validate, ValidationError};

use crate::backend::BuiltOnce;
use crate::entity::{accounts, sessions, users};
use crate::error::{Conflict, Error, on_write};
use crate::{Ctx, token};

/// A user as stored. Holds no secrets, so it is the entity's model itself.
pub type User = users::Model;

/// The fields of a new user. All are optional, as in next-auth.
///
/// `email` is trimmed and lowercased before it is checked and stored; see
/// [`normalize_email`].
///
/// ```
/// use authstore::NewUser;
/// let user = NewUser { email: Some(" Ada@Example.COM ".into()), ..Default::default() };
/// ```
#[derive(Clone, Debug, Default, Validate)]
pub struct NewUser {
    /// At most 255 characters, no control characters.
    #[validate(length(max = 255), custom(function = "no_control_chars"))]
    pub name: Option<String>,
    /// A valid address of at most 255 characters.
    #[validate(email, length(max = 255))]
    pub email: Option<String>,
    pub email_verified: Option<DateTime<Utc>>,
    /// An absolute `http` or `https` URL of at most 2048 characters.
    #[validate(length(max = 2048), custom(function = "http_url"))]
    pub image: Option<String>,
}

/// A partial update: `None` leaves a field alone, `Some(None)` clears it,
/// `Some(Some(v))` sets it. The same rules as [`NewUser`] apply to set values.
///
/// ```
/// use authstore::UserPatch;
/// let patch = UserPatch { name: Some(Some("Ada".into())), image: Some(None), ..Default::default() };
/// ```
#[derive(Clone, Debug, Default, Validate)]
pub struct UserPatch {
    #[validate(length(max = 255), custom(function = "no_control_chars"))]
    pub name: Option<Option<String>>,
    #[validate(email, length(max = 255))]
    pub email: Option<Option<String>>,
    pub email_verified: Option<Option<DateTime<Utc>>>,
    #[validate(length(max = 2048), custom(function = "http_url"))]
    pub image: Option<Option<String>>,
}

/// Emails are compared case-insensitively by lowercasing them everywhere
/// they enter: create, update, lookup and email verification. next-auth v3
/// lowercases sign-in emails in its core too, so both sides agree.
///
/// ```
/// assert_eq!(authstore::normalize_email("  Ada@Example.COM\n"), "ada@example.com");
/// ```
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl NewUser {
    /// Normalises, then validates: the one gate before the database.
    fn prepare(mut self) -> Result<Self, Error> {
        self.email = self.email.as_deref().map(normalize_email);
        self.validate()?;
        Ok(self)
    }
}

impl UserPatch {
    fn prepare(mut self) -> Result<Self, Error> {
        if let Some(Some(email)) = &self.email {
            self.email = Some(Some(normalize_email(email)));
        }
        self.validate()?;
        Ok(self)
    }
}

fn no_control_chars(value: &str) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new("control_characters"));
    }
    Ok(())
}

fn http_url(value: &str) -> Result<(), ValidationError> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(()),
        _ => Err(ValidationError::new("http_url")),
    }
}

/// The `users` table. Get one from [`crate::AuthStore::users`] or, inside
/// your own transaction, from [`crate::AuthStore::on`].
pub struct Users<'a, C> {
    pub(crate) ctx: Ctx<'a, C>,
}

impl<C: ConnectionTrait + TransactionTrait> Users<'_, C> {
    /// Creates a user; one `INSERT`. A taken email is
    /// [`Error::Conflict`]`(`[`Conflict::Email`]`)`.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// use authstore::NewUser;
    /// let user = store.users().create(NewUser { email: Some("Ada@Example.com".into()), ..Default::default() }).await?;
    /// assert_eq!(user.email.as_deref(), Some("ada@example.com"));
    /// # Ok(()) });
    /// ```
    pub async fn create(&self, input: NewUser) -> Result<User, Error> {
        let input = input.prepare()?;
        let now = self.ctx.now();
        users::ActiveModel {
            name: Set(input.name),
            email: Set(input.email),
            email_verified: Set(input.email_verified.map(|at| at.fixed_offset())),
            image: Set(input.image),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.ctx.db)
        .await
        .map_err(on_write(Conflict::Email))
    }

    /// The user with this id, if any.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert!(store.users().get(42).await?.is_none());
    /// # Ok(()) });
    /// ```
    pub async fn get(&self, id: i32) -> Result<Option<User>, Error> {
        Ok(users::Entity::find_by_id(id).one(self.ctx.db).await?)
    }

    /// The user with this email, compared after [`normalize_email`].
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # use authstore::NewUser;
    /// store.users().create(NewUser { email: Some("ada@example.com".into()), ..Default::default() }).await?;
    /// assert!(store.users().get_by_email(" ADA@example.com").await?.is_some());
    /// # Ok(()) });
    /// ```
    pub async fn get_by_email(&self, email: &str) -> Result<Option<User>, Error> {
        let email = normalize_email(email);
        Ok(users::Entity::find()
            .filter(users::Column::Email.eq(email))
            .one(self.ctx.db)
            .await?)
    }

    /// The user who linked this provider account: one `SELECT … JOIN`,
    /// looked up by the unique `compound_id`.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// assert!(store.users().get_by_account("github", "1234").await?.is_none());
    /// # Ok(()) });
    /// ```
    pub async fn get_by_account(
        &self,
        provider_id: &str,
        provider_account_id: &str,
    ) -> Result<Option<User>, Error> {
        static BY_ACCOUNT: BuiltOnce = BuiltOnce::new();
        let backend = self.ctx.db.get_database_backend();
        // Built once per backend: `$1` is the compound id; no `LIMIT`, since
        // compound_id is unique.
        let sql = BY_ACCOUNT.sql(backend, || {
            users::Entity::find()
                .join(
                    sea_orm::JoinType::InnerJoin,
                    users::Relation::Accounts.def(),
                )
                .filter(accounts::Column::CompoundId.eq(""))
                .build(backend)
                .sql
        });
        let compound_id = token::compound_id(provider_id, provider_account_id);
        let lookup = Statement::from_sql_and_values(backend, sql, [compound_id.into()]);
        match self.ctx.db.query_one_raw(lookup).await? {
            Some(row) => Ok(Some(User::from_query_result(&row, "")?)),
            None => Ok(None),
        }
    }

    /// Applies a partial update and refreshes `updated_at`.
    /// [`Error::NotFound`] if there is no such user.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # use authstore::{NewUser, UserPatch};
    /// let user = store.users().create(NewUser::default()).await?;
    /// let user = store.users().update(user.id, UserPatch { name: Some(Some("Ada".into())), ..Default::default() }).await?;
    /// assert_eq!(user.name.as_deref(), Some("Ada"));
    /// # Ok(()) });
    /// ```
    pub async fn update(&self, id: i32, patch: UserPatch) -> Result<User, Error> {
        let patch = patch.prepare()?;
        let mut row = users::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id),
            updated_at: Set(self.ctx.now()),
            ..Default::default()
        };
        if let Some(name) = patch.name {
            row.name = Set(name);
        }
        if let Some(email) = patch.email {
            row.email = Set(email);
        }
        if let Some(verified) = patch.email_verified {
            row.email_verified = Set(verified.map(|at| at.fixed_offset()));
        }
        if let Some(image) = patch.image {
            row.image = Set(image);
        }
        row.update(self.ctx.db)
            .await
            .map_err(on_write(Conflict::Email))
    }

    /// Deletes the user with their sessions and accounts, in one transaction.
    /// It deletes the children explicitly, so it also works on a database
    /// next-auth created, which has no cascading foreign keys.
    /// [`Error::NotFound`] if there is no such user; then nothing changes.
    ///
    /// ```
    /// # mod setup { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doctest_setup.rs")); }
    /// # setup::doc_example(async |store| {
    /// # use authstore::NewUser;
    /// let user = store.users().create(NewUser::default()).await?;
    /// store.users().delete(user.id).await?;
    /// assert!(store.users().get(user.id).await?.is_none());
    /// # Ok(()) });
    /// ```
    pub async fn delete(&self, id: i32) -> Result<(), Error> {
        let txn = self.ctx.db.begin().await?;
        sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
        accounts::Entity::delete_many()
            .filter(accounts::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
        let deleted = users::Entity::delete_many()
            .filter(users::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            txn.rollback().await?;
            return Err(Error::NotFound);
        }
        txn.commit().await?;
        tracing::debug!(
            user_id = id,
            "deleted user with their sessions and accounts"
        );
        Ok(())
    }
}
