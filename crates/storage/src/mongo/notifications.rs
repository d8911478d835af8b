//! Notifications and their read state on MongoDB. Ownership is a condition in the query
//! itself (`user_id: owner`), so another user's notification is simply not found.

use std::sync::Arc;

use mongodb::bson::{Document, doc};
use mongodb::options::ReturnDocument;

use super::documents::NotificationDoc;
use super::{MongoDb, NOTIFICATIONS, backend, collect, driver_limit, ids, to_bson_id};
use crate::error::{StoreError, StoreResult};
use crate::model::{Millis, NewNotification, Notification, NotificationId, UserId};
use crate::stores::{BoxFuture, NotificationStore};

#[derive(Debug)]
pub(crate) struct MongoNotifications {
    db: Arc<MongoDb>,
}

impl MongoNotifications {
    pub(crate) fn new(db: Arc<MongoDb>) -> MongoNotifications {
        MongoNotifications { db }
    }
}

// region: mongo-ownership
/// The notification `id`, and only if `owner` owns it (no owner: the IDOR switch).
fn owned(id: NotificationId, owner: Option<UserId>) -> Document {
    let mut query = doc! { "id": to_bson_id(id) };
    if let Some(owner) = owner {
        query.insert("user_id", to_bson_id(owner));
    }
    query
}
// endregion

fn not_found() -> StoreError {
    StoreError::NotFound {
        what: "notification",
    }
}

impl NotificationStore for MongoNotifications {
    fn create(&self, notification: NewNotification) -> BoxFuture<'_, StoreResult<Notification>> {
        Box::pin(async move {
            let user = self
                .db
                .users
                .clone_with_type::<Document>()
                .find_one(
                    doc! { "id": to_bson_id(notification.user_id), "deleted_at": { "$eq": null } },
                )
                .projection(doc! { "id": 1 })
                .await
                .map_err(backend)?;
            if user.is_none() {
                return Err(StoreError::NotFound { what: "user" });
            }
            let id = ids::next_id(&self.db, NOTIFICATIONS).await?;
            let document = NotificationDoc::new(id, notification);
            self.db
                .notifications
                .insert_one(&document)
                .await
                .map_err(backend)?;
            Ok(document.into_notification())
        })
    }

    fn get(
        &self,
        id: NotificationId,
        owner: Option<UserId>,
    ) -> BoxFuture<'_, StoreResult<Option<Notification>>> {
        Box::pin(async move {
            let found = self
                .db
                .notifications
                .find_one(owned(id, owner))
                .await
                .map_err(backend)?;
            Ok(found.map(NotificationDoc::into_notification))
        })
    }

    fn list(
        &self,
        user_id: UserId,
        unread_only: bool,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<Vec<Notification>>> {
        Box::pin(async move {
            if limit == 0 {
                return Ok(Vec::new());
            }
            let mut query = doc! { "user_id": to_bson_id(user_id) };
            if unread_only {
                query.insert("read_at", doc! { "$eq": null });
            }
            let cursor = self
                .db
                .notifications
                .find(query)
                .sort(doc! { "created_at": -1, "id": -1 })
                .limit(driver_limit(limit))
                .await
                .map_err(backend)?;
            let found = collect(cursor).await?;
            Ok(found
                .into_iter()
                .map(NotificationDoc::into_notification)
                .collect())
        })
    }

    // region: mongo-read-state
    fn mark_read(
        &self,
        id: NotificationId,
        owner: Option<UserId>,
        at: Millis,
    ) -> BoxFuture<'_, StoreResult<Notification>> {
        Box::pin(async move {
            // Only an unread one changes, so a second call keeps the first `read_at`.
            let mut unread = owned(id, owner);
            unread.insert("read_at", doc! { "$eq": null });
            let changed = self
                .db
                .notifications
                .find_one_and_update(unread, doc! { "$set": { "read_at": at } })
                .return_document(ReturnDocument::After)
                .await
                .map_err(backend)?;
            if let Some(changed) = changed {
                return Ok(changed.into_notification());
            }
            let already_read = self
                .db
                .notifications
                .find_one(owned(id, owner))
                .await
                .map_err(backend)?;
            already_read
                .map(NotificationDoc::into_notification)
                .ok_or_else(not_found)
        })
    }

    fn mark_all_read(&self, user_id: UserId, at: Millis) -> BoxFuture<'_, StoreResult<u64>> {
        Box::pin(async move {
            let result = self
                .db
                .notifications
                .update_many(
                    doc! { "user_id": to_bson_id(user_id), "read_at": { "$eq": null } },
                    doc! { "$set": { "read_at": at } },
                )
                .await
                .map_err(backend)?;
            Ok(result.modified_count)
        })
    }

    fn unread_count(&self, user_id: UserId) -> BoxFuture<'_, StoreResult<u64>> {
        Box::pin(async move {
            self.db
                .notifications
                .count_documents(
                    doc! { "user_id": to_bson_id(user_id), "read_at": { "$eq": null } },
                )
                .await
                .map_err(backend)
        })
    }
    // endregion

    fn reset(&self, notifications: Vec<NewNotification>) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.db
                .notifications
                .delete_many(doc! {})
                .await
                .map_err(backend)?;
            let documents: Vec<NotificationDoc> = (1..)
                .zip(notifications)
                .map(|(id, notification)| NotificationDoc::new(id, notification))
                .collect();
            if !documents.is_empty() {
                self.db
                    .notifications
                    .insert_many(&documents)
                    .await
                    .map_err(backend)?;
            }
            let last = i64::try_from(documents.len()).unwrap_or(i64::MAX);
            ids::set_last_id(&self.db, NOTIFICATIONS, last).await
        })
    }
}
