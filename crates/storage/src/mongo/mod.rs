//! The MongoDB backend (`--mongodb-uri`): one collection per aggregate, indexes created at
//! start, the same contracts as SQLite (see [`crate::stores`]).
//!
//! Document shapes, the MongoDB side of topic 9:
//! - `_id` is MongoDB's own ObjectId, made by the driver. The integer `id` every backend
//!   shares is a field of its own with a unique index, handed out by the `counters`
//!   collection (`{_id: "users", seq: 12}`, bumped with `$inc` in `findOneAndUpdate`), so
//!   both backends answer with the same ids and seeds can refer to each other's rows.
//!   Every sort index ends in `id`, the tie-break of keyset paging.
//! - Times are 64-bit integers of milliseconds since the epoch, as in the model and on
//!   SQLite: range queries and keyset cursors compare plain numbers, and the report
//!   pipelines make dates of them with `$toDate` to group by day and month.
//! - Nullable members are always stored, as `null` when empty (`deleted_at`, `read_at`,
//!   `parent_id`): every document of a collection has the same keys, and `{deleted_at:
//!   {$eq: null}}` is the live scope (the same query as `{deleted_at: null}`, spelled with
//!   its operator).
//! - Comments reference their post and parent and also keep a materialized path (`path`,
//!   the zero-padded ids from the root down) and the list of `ancestors`: a whole thread is
//!   one `find` sorted by `path`, a subtree one `find` on `ancestors`.
//!
//! Written for real MongoDB (4.4 and later). The test server, nx-27017, lacks a few things
//! (partial indexes are built as full ones, no `$toDate`, no compound `$group` keys, plans
//! in SQLite's words); the shared test suite (`tests/shared_suite.rs`) says where, and the
//! code does not work around them. Among equally right shapes, the ones above also keep
//! clear of its other gaps, so keep them: `{$eq: null}` rather than bare `null` (nx-27017
//! miscounts the bare form), conditions merged at top level rather than in `$and`, `_id`
//! out of compound indexes and no multikey index (both break its inserts or matches), and
//! times as numbers (its `$set` turns BSON dates into strings).
//!
//! Notes on the shared API from writing this backend (nothing blocking):
//! - Ids come from a counter, so a `create` refused by the unique email index leaves a gap
//!   in the ids (SQLite's rowid does not). No contract promises gapless ids.
//! - There is no transaction around multi-document writes (a standalone server has none):
//!   a comment and its parent's `reply_count`, or a purge's users and notifications, are
//!   two writes; a failure between them leaves the first one done.

mod analytics;
mod comments;
mod documents;
mod filter_bson;
mod ids;
mod indexes;
mod notifications;
mod orders;
mod posts;
mod schema_info;
mod users;

use std::sync::Arc;
use std::time::Duration;

use mongodb::bson::{Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Cursor, Database};
use serde::de::DeserializeOwned;

use crate::Storage;
use crate::error::{StoreError, StoreResult};
use crate::schema::Backend;

use documents::{CommentDoc, NotificationDoc, OrderDoc, PostDoc, UserDoc};
pub use indexes::index_catalogue;

/// The database used when the connection string names none.
pub const DEFAULT_DATABASE: &str = "backend_dojo";

/// How long a call waits for a reachable server before failing (the driver's default is
/// 30 s; a sandbox with a wrong URI should say so sooner).
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// The duplicate key error code (a unique index refused a write).
const DUPLICATE_KEY: i32 = 11000;

/// Connects to `uri`, uses the database it names (or [`DEFAULT_DATABASE`]), checks the
/// server answers, creates the indexes and returns every store on it.
pub async fn connect(uri: &str) -> StoreResult<Storage> {
    let mut options = ClientOptions::parse(uri)
        .await
        .map_err(|e| StoreError::invalid("mongodb_uri", e.to_string()))?;
    if options.server_selection_timeout.is_none() {
        options.server_selection_timeout = Some(SERVER_SELECTION_TIMEOUT);
    }
    if options.app_name.is_none() {
        options.app_name = Some("backend-dojo".to_owned());
    }
    let name = options
        .default_database
        .clone()
        .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
    let client = Client::with_options(options).map_err(backend)?;
    open(client.database(&name)).await
}

/// Returns every store on `database`, after a ping and creating the indexes (creating an
/// index that already exists with the same definition does nothing).
pub async fn open(database: Database) -> StoreResult<Storage> {
    database
        .run_command(doc! { "ping": 1 })
        .await
        .map_err(backend)?;
    let db = Arc::new(MongoDb::new(database));
    indexes::create_all(&db).await?;
    Ok(Storage {
        backend: Backend::Mongodb,
        users: Arc::new(users::MongoUsers::new(db.clone())),
        posts: Arc::new(posts::MongoPosts::new(db.clone())),
        comments: Arc::new(comments::MongoComments::new(db.clone())),
        notifications: Arc::new(notifications::MongoNotifications::new(db.clone())),
        orders: Arc::new(orders::MongoOrders::new(db.clone())),
        analytics: Arc::new(analytics::MongoAnalytics::new(db.clone())),
        schema: Arc::new(schema_info::MongoSchema::new(db)),
    })
}

/// The aggregation pipeline a report runs on MongoDB, as shown beside its result on either
/// backend (topic 28): the JSON array of the very stages the MongoDB store runs, with
/// `"<limit>"`, `"<from>"` and `"<to>"` where a request's values go.
pub fn report_pipeline(report: crate::analytics::Report) -> serde_json::Value {
    analytics::report_pipeline(report)
}

/// The database and its collections, typed by their documents.
#[derive(Debug)]
pub(crate) struct MongoDb {
    database: Database,
    users: Collection<UserDoc>,
    posts: Collection<PostDoc>,
    comments: Collection<CommentDoc>,
    notifications: Collection<NotificationDoc>,
    orders: Collection<OrderDoc>,
    counters: Collection<Document>,
}

impl MongoDb {
    fn new(database: Database) -> MongoDb {
        MongoDb {
            users: database.collection(USERS),
            posts: database.collection(POSTS),
            comments: database.collection(COMMENTS),
            notifications: database.collection(NOTIFICATIONS),
            orders: database.collection(ORDERS),
            counters: database.collection(COUNTERS),
            database,
        }
    }
}

const USERS: &str = "users";
const POSTS: &str = "posts";
const COMMENTS: &str = "comments";
const NOTIFICATIONS: &str = "notifications";
const ORDERS: &str = "orders";
const COUNTERS: &str = "counters";

/// Ids are stored as BSON 64-bit integers; the model's ids never exceed `i64::MAX`.
pub(crate) fn to_bson_id(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// A stored id or count back as the model's unsigned integer.
pub(crate) fn from_bson_id(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Longest driver message kept in a backend error (a failed bulk insert lists every
/// document's error).
const MAX_MESSAGE: usize = 600;

/// Any driver failure we did not expect: a backend error, cause kept for the trace.
pub(crate) fn backend(error: mongodb::error::Error) -> StoreError {
    let mut message = format!("mongodb: {error}");
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str(" ...");
    }
    StoreError::Backend(message)
}

// region: mongo-email-conflict
/// Whether a unique index refused the write (code 11000), whichever call reported it.
pub(crate) fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(failure)) => failure.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(failure) => failure
            .write_errors
            .as_ref()
            .is_some_and(|errors| errors.iter().any(|e| e.code == DUPLICATE_KEY)),
        ErrorKind::Command(failure) => failure.code == DUPLICATE_KEY,
        _ => false,
    }
}

/// A duplicate key on `users` is a conflict on `email` (its only unique index besides
/// `_id` and `id`, which the driver and the counter make unique); anything else is a
/// backend failure.
pub(crate) fn email_conflict_or_backend(error: mongodb::error::Error) -> StoreError {
    if is_duplicate_key(&error) {
        StoreError::Conflict { field: "email" }
    } else {
        backend(error)
    }
}
// endregion

/// An integer member of a document read without a type, stored as a 32- or 64-bit int.
pub(crate) fn int_member(document: &Document, key: &str) -> Option<i64> {
    match document.get(key)? {
        mongodb::bson::Bson::Int32(value) => Some(i64::from(*value)),
        mongodb::bson::Bson::Int64(value) => Some(*value),
        _ => None,
    }
}

/// Reads a whole cursor. Callers bound it with a limit.
pub(crate) async fn collect<T>(mut cursor: Cursor<T>) -> StoreResult<Vec<T>>
where
    T: DeserializeOwned + Send + Sync,
{
    let mut items = Vec::new();
    while cursor.advance().await.map_err(backend)? {
        items.push(cursor.deserialize_current().map_err(backend)?);
    }
    Ok(items)
}

/// A `limit` for the driver. The driver reads 0 as "no limit", so callers answer a zero
/// limit themselves before asking.
pub(crate) fn driver_limit(limit: u32) -> i64 {
    i64::from(limit)
}
