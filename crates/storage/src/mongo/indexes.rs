//! The indexes every collection gets at start, the MongoDB side of the schema (topic 9).
//! Each allowlisted sort has an index ending in `id`, the tie-break that keeps keyset
//! paging exact; an index serves its sort in both directions.
//!
//! [`index_catalogue`] renders the same definitions as JSON for the schema panel, so what
//! learners are shown is what the store creates.

use mongodb::IndexModel;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::{Error, ErrorKind};
use mongodb::options::IndexOptions;
use serde_json::{Map, Value};

use super::{COMMENTS, MongoDb, NOTIFICATIONS, ORDERS, POSTS, USERS, backend};
use crate::error::StoreResult;

/// The server's code for "no such collection" (listing the indexes of one not made yet).
const NAMESPACE_NOT_FOUND: i32 = 26;
/// The server's code for "no index of that name" (another process dropped it first).
const INDEX_NOT_FOUND: i32 = 27;

/// Indexes that earlier versions created and this one replaced, by collection. Each is
/// dropped at start where it still exists, before its replacement is created.
const RETIRED: &[(&str, &str)] = &[
    // Filtered on `{$type: "date"}` while `deleted_at` is stored as a number of
    // milliseconds, so it never held a document; `users_trash` replaces it.
    (USERS, "users_deleted_at"),
];

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
                // The trash and the purge job: only deleted accounts are in it. `deleted_at`
                // is a number of milliseconds (null while live), so the filter asks for a
                // number. The name is new because the first version filtered on `date`,
                // which matched nothing, and MongoDB refuses to create an index under an
                // existing name with other options: databases made by that version still
                // have it, and `create_all` drops it first.
                partial_index(
                    "users_trash",
                    doc! { "deleted_at": 1 },
                    doc! { "deleted_at": { "$type": "number" } },
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

/// Every index the store creates, by collection, each shown the way MongoDB's
/// `getIndexes()` lists it: `name`, `key` (the fields in index order, `1` ascending and
/// `-1` descending), `unique` when set, `partialFilterExpression` when set. Collections
/// come in the order the store creates their indexes; the shared `_id_` index that
/// MongoDB makes for every collection is not listed.
pub fn index_catalogue() -> Vec<(&'static str, Value)> {
    definitions()
        .into_iter()
        .map(|(collection, models)| {
            let shown = models.iter().map(describe).collect();
            (collection, Value::Array(shown))
        })
        .collect()
}

/// One index as JSON; BSON values in their relaxed extended JSON form (plain numbers).
fn describe(model: &IndexModel) -> Value {
    let options = model.options.as_ref();
    let mut shown = Map::new();
    if let Some(name) = options.and_then(|o| o.name.clone()) {
        shown.insert("name".to_owned(), Value::String(name));
    }
    shown.insert("key".to_owned(), as_json(&model.keys));
    if options.and_then(|o| o.unique) == Some(true) {
        shown.insert("unique".to_owned(), Value::Bool(true));
    }
    if let Some(filter) = options.and_then(|o| o.partial_filter_expression.as_ref()) {
        shown.insert("partialFilterExpression".to_owned(), as_json(filter));
    }
    Value::Object(shown)
}

fn as_json(document: &Document) -> Value {
    Bson::Document(document.clone()).into_relaxed_extjson()
}

/// Whether the server answered `code` to a command.
fn is_command_error(error: &Error, code: i32) -> bool {
    matches!(error.kind.as_ref(), ErrorKind::Command(failure) if failure.code == code)
}

/// Drops the [`RETIRED`] indexes that exist.
async fn drop_retired(db: &MongoDb) -> StoreResult<()> {
    for (collection, name) in RETIRED {
        let collection = db.database.collection::<Document>(collection);
        let existing = match collection.list_index_names().await {
            Ok(names) => names,
            Err(error) if is_command_error(&error, NAMESPACE_NOT_FOUND) => continue,
            Err(error) => return Err(backend(error)),
        };
        if !existing.iter().any(|existing| existing == name) {
            continue;
        }
        match collection.drop_index(*name).await {
            Ok(()) => {}
            Err(error) if is_command_error(&error, INDEX_NOT_FOUND) => {}
            Err(error) => return Err(backend(error)),
        }
    }
    Ok(())
}

/// Drops the retired indexes, then creates every index (a no-op for the ones that already
/// exist as defined).
pub(crate) async fn create_all(db: &MongoDb) -> StoreResult<()> {
    drop_retired(db).await?;
    for (collection, models) in definitions() {
        db.database
            .collection::<Document>(collection)
            .create_indexes(models)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::json;

    use super::*;

    fn shown(collection: &str) -> Vec<Value> {
        let catalogue = index_catalogue();
        let (_, indexes) = catalogue
            .iter()
            .find(|(name, _)| *name == collection)
            .expect("the collection is catalogued");
        indexes.as_array().expect("a list of indexes").clone()
    }

    fn named<'a>(indexes: &'a [Value], name: &str) -> &'a Value {
        indexes
            .iter()
            .find(|index| index["name"] == name)
            .unwrap_or_else(|| panic!("{name} is catalogued: {indexes:?}"))
    }

    #[test]
    fn the_catalogue_shows_every_definition_with_its_options() {
        let catalogue = index_catalogue();
        let definitions = definitions();
        assert_eq!(catalogue.len(), definitions.len());
        for ((collection, shown), (defined, models)) in catalogue.iter().zip(&definitions) {
            assert_eq!(collection, defined);
            let shown = shown.as_array().expect("a list of indexes");
            assert_eq!(shown.len(), models.len(), "{collection}");
            assert_eq!(
                shown[0],
                json!({ "name": format!("{collection}_id"), "key": { "id": 1 }, "unique": true }),
                "every collection is looked up by its unique integer id"
            );
        }
        let names: Vec<&Value> = catalogue
            .iter()
            .flat_map(|(_, shown)| shown.as_array().into_iter().flatten())
            .map(|index| &index["name"])
            .collect();
        let distinct: HashSet<String> = names.iter().map(|name| name.to_string()).collect();
        assert_eq!(
            distinct.len(),
            names.len(),
            "index names are unique: {names:?}"
        );
    }

    #[test]
    fn keys_keep_their_order_and_direction() {
        let posts = shown(POSTS);
        let key = named(&posts, "posts_author_created")["key"]
            .as_object()
            .expect("a key document");
        let fields: Vec<&String> = key.keys().collect();
        assert_eq!(fields, ["author_id", "created_at", "id"]);
        let notifications = shown(NOTIFICATIONS);
        assert_eq!(
            named(&notifications, "notifications_user_newest")["key"],
            json!({ "user_id": 1, "created_at": -1, "id": -1 })
        );
    }

    #[test]
    fn the_partial_indexes_filter_on_what_the_documents_store() {
        let users = shown(USERS);
        assert_eq!(
            named(&users, "users_email_live"),
            &json!({
                "name": "users_email_live",
                "key": { "email": 1 },
                "unique": true,
                "partialFilterExpression": { "deleted_at": { "$eq": null } }
            })
        );
        // `deleted_at` holds a number of milliseconds once an account is deleted.
        assert_eq!(
            named(&users, "users_trash"),
            &json!({
                "name": "users_trash",
                "key": { "deleted_at": 1 },
                "partialFilterExpression": { "deleted_at": { "$type": "number" } }
            })
        );
        for (collection, retired) in RETIRED {
            assert!(
                shown(collection)
                    .iter()
                    .all(|index| index["name"] != *retired),
                "{retired} is dropped at start, never created again"
            );
        }
    }
}
