//! Integer ids from the `counters` collection: one document per collection holding the
//! last id handed out, bumped atomically with `$inc` (upserted on first use). MongoDB has
//! no auto-increment; this is the usual way to get small, ordered ids like SQLite's.

use mongodb::bson::{Bson, doc};
use mongodb::options::ReturnDocument;

use super::{MongoDb, backend};
use crate::error::{StoreError, StoreResult};

/// The next id for `collection` (1 on first use).
pub(crate) async fn next_id(db: &MongoDb, collection: &str) -> StoreResult<i64> {
    let counter = db
        .counters
        .find_one_and_update(
            doc! { "_id": collection },
            doc! { "$inc": { "seq": 1_i64 } },
        )
        .upsert(true)
        .return_document(ReturnDocument::After)
        .await
        .map_err(backend)?
        .ok_or_else(|| StoreError::Backend(format!("mongodb: no counter for {collection}")))?;
    match counter.get("seq") {
        Some(Bson::Int64(seq)) => Ok(*seq),
        Some(Bson::Int32(seq)) => Ok(i64::from(*seq)),
        other => Err(StoreError::Backend(format!(
            "mongodb: the {collection} counter holds {other:?}, not an integer"
        ))),
    }
}

/// Sets `collection`'s counter so that the next id is `last + 1` (after a reset).
pub(crate) async fn set_last_id(db: &MongoDb, collection: &str, last: i64) -> StoreResult<()> {
    db.counters
        .update_one(doc! { "_id": collection }, doc! { "$set": { "seq": last } })
        .upsert(true)
        .await
        .map_err(backend)?;
    Ok(())
}
