//! The SQLite backend (the default): embedded, in memory or in one file.
//!
//! Every call runs on tokio's blocking pool, never on an async worker. A file database
//! opens in WAL mode with one writer connection and a few reader connections, so reads go
//! on while a write commits; an in-memory database is one connection (SQLite cannot share
//! a private in-memory database between connections). Statements are prepared once per
//! connection and cached (`prepare_cached`). The schema is embedded and migrated at open.

mod analytics;
mod comments;
mod connection;
mod filter_sql;
mod migrations;
mod notifications;
mod orders;
mod posts;
mod schema_info;
mod users;

use std::path::PathBuf;
use std::sync::Arc;

use crate::Storage;
use crate::error::{StoreError, StoreResult};
use crate::schema::Backend;

pub(crate) use connection::Db;

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A private database in memory, gone when the last store is dropped.
    Memory,
    /// A database file (created if missing), shared by every process that opens it.
    File(PathBuf),
}

/// Opens (and migrates) the database and returns every store on it.
pub fn open(location: Location) -> StoreResult<Storage> {
    let db = Arc::new(Db::open(&location)?);
    Ok(Storage {
        backend: Backend::Sqlite,
        users: Arc::new(users::SqliteUsers::new(db.clone())),
        posts: Arc::new(posts::SqlitePosts::new(db.clone())),
        comments: Arc::new(comments::SqliteComments::new(db.clone())),
        notifications: Arc::new(notifications::SqliteNotifications::new(db.clone())),
        orders: Arc::new(orders::SqliteOrders::new(db.clone())),
        analytics: Arc::new(analytics::SqliteAnalytics::new(db.clone())),
        schema: Arc::new(schema_info::SqliteSchema::new(db)),
    })
}

/// The whole SQL schema, every migration in order: what a fresh database is created with.
pub fn schema_sql() -> String {
    migrations::all().join("\n")
}

/// The SQL a report runs on SQLite, as shown beside its result.
pub fn report_sql(report: crate::analytics::Report) -> &'static str {
    analytics::sql(report)
}

/// SQLite integers are signed; ids and counts fit with room to spare.
pub(crate) fn to_sql(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A non-negative integer read back from SQLite.
pub(crate) fn from_sql(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Any SQLite failure we did not expect: a backend error, cause kept for the trace.
pub(crate) fn backend(error: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("sqlite: {error}"))
}

// region: sqlite-email-conflict
/// A unique-index violation on `users.email` is a conflict on `email`; anything else is a
/// backend failure.
pub(crate) fn conflict_or_backend(error: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, Some(message)) = &error
        && failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
        && message.contains("users.email")
    {
        return StoreError::Conflict { field: "email" };
    }
    backend(error)
}
// endregion

#[cfg(test)]
mod tests;
