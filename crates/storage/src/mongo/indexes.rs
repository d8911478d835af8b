//! The indexes every collection gets at start, the MongoDB side of the schema (topic 9).
//! Each allowlisted sort has an index ending in `id`, the tie-break that keeps keyset
//! paging exact; an index serves its sort in both directions.

use mongodb::IndexModel;
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;

use super::{COMMENTS, MongoDb, NOTIFICATIONS, ORDERS, POSTS, USERS, backend};
use crate::error::StoreResult;

/// The shared integer id: unique, and how every document is looked up.
fn id_index(collection: &str) -> IndexModel {
    IndexModel::builder()
        .keys(doc! { "id": 1 })
        .options(
            IndexOptions::builder()
                .name(format!("{collection}_id"))
                .unique(true)
                .build(),
        )
        .build()
}

fn index(name: &str, keys: Document) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(IndexOptions::builder().name(name.to_owned()).build())
        .build()
}

fn partial_index(name: &str, keys: Document, only: Document, unique: bool) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(
            IndexOptions::builder()
                .name(name.to_owned())
                .unique(unique.then_some(true))
                .partial_filter_expression(only)
                .build(),
        )
        .build()
}

// region: mongo-indexes
/// Every index, by collection.
pub(crate) fn definitions() -> Vec<(&'static str, Vec<IndexModel>)> {
    vec![
        (
            USERS,
            vec![
                id_index(USERS),
                // Unique among live accounts only: the partial filter leaves soft-deleted
                // accounts out of the index, so their address can be taken again (topic 13).
                partial_index(
                    "users_email_live",
                    doc! { "email": 1 },
                    doc! { "deleted_at": { "$eq": null } },
                    true,
                ),
                // The trash and the purge job: only deleted accounts are in it.
                partial_index(
                    "users_deleted_at",
                    doc! { "deleted_at": 1 },
                    doc! { "deleted_at": { "$type": "date" } },
                    false,
                ),
                index("users_created_at", doc! { "created_at": 1 }),
            ],
        ),
        (
            POSTS,
            vec![
                id_index(POSTS),
                index("posts_created", doc! { "created_at": 1, "id": 1 }),
                index("posts_likes", doc! { "likes": 1, "id": 1 }),
                index("posts_title", doc! { "title": 1, "id": 1 }),
                index(
                    "posts_author_created",
                    doc! { "author_id": 1, "created_at": 1, "id": 1 },
                ),
                index(
                    "posts_tag_created",
                    doc! { "tag": 1, "created_at": 1, "id": 1 },
                ),
            ],
        ),
        (
            COMMENTS,
            vec![
                id_index(COMMENTS),
                // A post's whole thread in tree order is one range of this index; a subtree
                // is the same range filtered on `ancestors` (threads are small, so no
                // multikey index on `ancestors` is needed).
                index("comments_post_path", doc! { "post_id": 1, "path": 1 }),
            ],
        ),
        (
            NOTIFICATIONS,
            vec![
                id_index(NOTIFICATIONS),
                index(
                    "notifications_user_newest",
                    doc! { "user_id": 1, "created_at": -1, "id": -1 },
                ),
                // The unread badge counts only unread documents: a small partial index.
                partial_index(
                    "notifications_unread",
                    doc! { "user_id": 1 },
                    doc! { "read_at": { "$eq": null } },
                    false,
                ),
            ],
        ),
        (
            ORDERS,
            vec![
                id_index(ORDERS),
                index(
                    "orders_user_newest",
                    doc! { "user_id": 1, "created_at": -1, "id": -1 },
                ),
                index(
                    "orders_status_created",
                    doc! { "status": 1, "created_at": 1 },
                ),
            ],
        ),
    ]
}
// endregion

/// Creates every index (a no-op for the ones that already exist as defined).
pub(crate) async fn create_all(db: &MongoDb) -> StoreResult<()> {
    for (collection, models) in definitions() {
        db.database
            .collection::<Document>(collection)
            .create_indexes(models)
            .await
            .map_err(backend)?;
    }
    Ok(())
}
