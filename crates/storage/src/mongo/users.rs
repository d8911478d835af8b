//! Users on MongoDB: soft delete with `deleted_at`, email unique among live accounts
//! through a partial unique index, and the filter language as query documents.
//!
//! Writes that can hit the unique index use `updateOne` and read the document back,
//! rather than `findOneAndUpdate`: both report a duplicate key on MongoDB, but the result
//! of `updateOne` also tells "no such account" apart without a second round of guessing.

use std::sync::Arc;

use mongodb::bson::{Document, doc};
use mongodb::options::ReturnDocument;

use super::documents::UserDoc;
use super::filter_bson::{and, scope as scope_filter, to_document};
use super::{
    MongoDb, NOTIFICATIONS, USERS, backend, collect, driver_limit, email_conflict_or_backend, ids,
    int_member, to_bson_id,
};
use crate::error::{StoreError, StoreResult};
use crate::filter::Filter;
use crate::model::{Credentials, Millis, NewUser, Scope, User, UserId, UserPatch};
use crate::query::OffsetPage;
use crate::stores::{BoxFuture, UserStore};

#[derive(Debug)]
pub(crate) struct MongoUsers {
    db: Arc<MongoDb>,
}

impl MongoUsers {
    pub(crate) fn new(db: Arc<MongoDb>) -> MongoUsers {
        MongoUsers { db }
    }

    async fn find_one(&self, query: Document) -> StoreResult<Option<User>> {
        let found = self.db.users.find_one(query).await.map_err(backend)?;
        Ok(found.map(UserDoc::into_user))
    }

    /// The account after a write that matched it; gone only if purged in between.
    async fn reread(&self, id: i64) -> StoreResult<User> {
        self.find_one(doc! { "id": id })
            .await?
            .ok_or(StoreError::NotFound { what: "user" })
    }
}

fn not_found() -> StoreError {
    StoreError::NotFound { what: "user" }
}

impl UserStore for MongoUsers {
    fn create(&self, user: NewUser) -> BoxFuture<'_, StoreResult<User>> {
        Box::pin(async move {
            let id = ids::next_id(&self.db, USERS).await?;
            let document = UserDoc::new(id, user);
            self.db
                .users
                .insert_one(&document)
                .await
                .map_err(email_conflict_or_backend)?;
            Ok(document.into_user())
        })
    }

    fn get(&self, id: UserId, scope: Scope) -> BoxFuture<'_, StoreResult<Option<User>>> {
        Box::pin(async move {
            let id = doc! { "id": to_bson_id(id) };
            let query = and(scope_filter(scope).into_iter().chain([id]).collect());
            self.find_one(query).await
        })
    }

    fn by_email(&self, email: String) -> BoxFuture<'_, StoreResult<Option<User>>> {
        Box::pin(async move {
            self.find_one(doc! { "email": email, "deleted_at": { "$eq": null } })
                .await
        })
    }

    fn credentials(
        &self,
        filter: Filter,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<Vec<Credentials>>> {
        Box::pin(async move {
            if limit == 0 {
                return Ok(Vec::new());
            }
            let query = to_document(&filter, scope_filter(Scope::Live));
            let cursor = self
                .db
                .users
                .find(query)
                .sort(doc! { "id": 1 })
                .limit(driver_limit(limit))
                .await
                .map_err(backend)?;
            let found = collect(cursor).await?;
            Ok(found.into_iter().map(UserDoc::into_credentials).collect())
        })
    }

    fn list(
        &self,
        filter: Filter,
        scope: Scope,
        offset: u64,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<OffsetPage<User>>> {
        Box::pin(async move {
            let query = to_document(&filter, scope_filter(scope));
            let total = self
                .db
                .users
                .count_documents(query.clone())
                .await
                .map_err(backend)?;
            if limit == 0 {
                return Ok(OffsetPage {
                    items: Vec::new(),
                    total,
                });
            }
            let cursor = self
                .db
                .users
                .find(query)
                .sort(doc! { "id": 1 })
                .skip(offset)
                .limit(driver_limit(limit))
                .await
                .map_err(backend)?;
            let items = collect(cursor)
                .await?
                .into_iter()
                .map(UserDoc::into_user)
                .collect();
            Ok(OffsetPage { items, total })
        })
    }

    // region: mongo-user-patch
    fn update(&self, id: UserId, patch: UserPatch) -> BoxFuture<'_, StoreResult<User>> {
        Box::pin(async move {
            let id = to_bson_id(id);
            let mut set = doc! { "updated_at": patch.updated_at };
            if let Some(email) = patch.email {
                set.insert("email", email);
            }
            if let Some(name) = patch.name {
                set.insert("name", name);
            }
            if let Some(role) = patch.role {
                set.insert("role", role.as_str());
            }
            if let Some(password_hash) = patch.password_hash {
                set.insert("password_hash", password_hash);
            }
            let result = self
                .db
                .users
                .update_one(
                    doc! { "id": id, "deleted_at": { "$eq": null } },
                    doc! { "$set": set },
                )
                .await
                .map_err(email_conflict_or_backend)?;
            if result.matched_count == 0 {
                return Err(not_found());
            }
            self.reread(id).await
        })
    }
    // endregion

    // region: mongo-soft-delete
    fn soft_delete(&self, id: UserId, at: Millis) -> BoxFuture<'_, StoreResult<User>> {
        Box::pin(async move {
            let deleted = self
                .db
                .users
                .find_one_and_update(
                    doc! { "id": to_bson_id(id), "deleted_at": { "$eq": null } },
                    doc! { "$set": { "deleted_at": at, "updated_at": at } },
                )
                .return_document(ReturnDocument::After)
                .await
                .map_err(backend)?;
            deleted.map(UserDoc::into_user).ok_or_else(not_found)
        })
    }

    fn restore(&self, id: UserId, at: Millis) -> BoxFuture<'_, StoreResult<User>> {
        Box::pin(async move {
            let id = to_bson_id(id);
            // Back into the partial unique index: a duplicate key if a live account took
            // the address meanwhile, and then nothing changed.
            let result = self
                .db
                .users
                .update_one(
                    doc! { "id": id, "deleted_at": { "$ne": null } },
                    doc! { "$set": { "deleted_at": null, "updated_at": at } },
                )
                .await
                .map_err(email_conflict_or_backend)?;
            if result.matched_count == 0 {
                return Err(not_found());
            }
            self.reread(id).await
        })
    }

    fn purge_deleted(&self, deleted_before: Millis) -> BoxFuture<'_, StoreResult<u64>> {
        Box::pin(async move {
            let expired = doc! { "deleted_at": { "$type": "number", "$lt": deleted_before } };
            let cursor = self
                .db
                .users
                .clone_with_type::<Document>()
                .find(expired)
                .projection(doc! { "id": 1 })
                .await
                .map_err(backend)?;
            let ids: Vec<i64> = collect(cursor)
                .await?
                .iter()
                .filter_map(|user| int_member(user, "id"))
                .collect();
            if ids.is_empty() {
                return Ok(0);
            }
            self.db
                .notifications
                .delete_many(doc! { "user_id": { "$in": &ids } })
                .await
                .map_err(backend)?;
            let removed = self
                .db
                .users
                .delete_many(doc! { "id": { "$in": &ids } })
                .await
                .map_err(backend)?;
            Ok(removed.deleted_count)
        })
    }
    // endregion

    fn reset(&self, users: Vec<NewUser>) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.db
                .notifications
                .delete_many(doc! {})
                .await
                .map_err(backend)?;
            self.db.users.delete_many(doc! {}).await.map_err(backend)?;
            let count = i64::try_from(users.len()).unwrap_or(i64::MAX);
            let documents: Vec<UserDoc> = (1..)
                .zip(users)
                .map(|(id, user)| UserDoc::new(id, user))
                .collect();
            if !documents.is_empty() {
                self.db
                    .users
                    .insert_many(&documents)
                    .await
                    .map_err(email_conflict_or_backend)?;
            }
            ids::set_last_id(&self.db, USERS, count).await?;
            ids::set_last_id(&self.db, NOTIFICATIONS, 0).await
        })
    }
}
