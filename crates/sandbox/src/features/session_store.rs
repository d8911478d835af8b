//! Where server-side sessions live (topic 2). [`SessionStore`] is the seam: the sandbox
//! ships [`SqliteSessionStore`] (in-memory SQLite unless given a path), and another backend
//! (Redis) only has to implement the same few calls. Records are keyed by the SHA-256 of
//! the session id, never by the id itself.

use std::fmt::Debug;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::error::{ApiError, ApiResult};

/// One session as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRecord {
    /// The signed-in user.
    pub user_id: u64,
    /// When the session began (ms since the epoch): the absolute expiry counts from here.
    pub created_at: u64,
    /// The last request that used it: the idle expiry counts from here.
    pub last_seen: u64,
}

/// A place to keep sessions. Every call is short and synchronous.
pub trait SessionStore: Send + Sync + Debug {
    /// Stores (or replaces) the session whose id hashes to `id_hash`.
    fn put(&self, id_hash: &str, record: SessionRecord) -> ApiResult<()>;
    fn get(&self, id_hash: &str) -> ApiResult<Option<SessionRecord>>;
    /// Records activity now, for the idle expiry.
    fn touch(&self, id_hash: &str, now: u64) -> ApiResult<()>;
    /// Destroys one session; true if it existed.
    fn remove(&self, id_hash: &str) -> ApiResult<bool>;
    /// Destroys every session of a user (after a password reset); how many there were.
    fn remove_user(&self, user_id: u64) -> ApiResult<usize>;
    /// Destroys every session.
    fn clear(&self) -> ApiResult<()>;
}

// region: session-store
/// Sessions in SQLite: one table, the id's hash as primary key.
#[derive(Debug)]
pub struct SqliteSessionStore {
    /// The open database, or why it could not be opened (then every call says so).
    connection: Result<Mutex<Connection>, String>,
}

impl SqliteSessionStore {
    /// A private in-memory database, gone when the sandbox stops.
    pub fn in_memory() -> SqliteSessionStore {
        SqliteSessionStore {
            connection: open_in_memory().map(Mutex::new).map_err(|e| e.to_string()),
        }
    }

    fn with<T>(&self, work: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> ApiResult<T> {
        let connection = self
            .connection
            .as_ref()
            .map_err(|cause| ApiError::Internal(format!("session store unavailable: {cause}")))?;
        let connection = connection.lock().unwrap_or_else(|e| e.into_inner());
        work(&connection).map_err(db_error)
    }
}

fn open_in_memory() -> rusqlite::Result<Connection> {
    let connection = Connection::open_in_memory()?;
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS sessions (
                    id_hash    TEXT PRIMARY KEY,
                    user_id    INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    last_seen  INTEGER NOT NULL
                 ) STRICT;
                 CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id);",
    )?;
    Ok(connection)
}

impl SessionStore for SqliteSessionStore {
    fn put(&self, id_hash: &str, record: SessionRecord) -> ApiResult<()> {
        self.with(|db| {
            db.execute(
                "INSERT OR REPLACE INTO sessions (id_hash, user_id, created_at, last_seen)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    id_hash,
                    to_sql(record.user_id),
                    to_sql(record.created_at),
                    to_sql(record.last_seen)
                ],
            )
            .map(|_| ())
        })
    }

    fn get(&self, id_hash: &str) -> ApiResult<Option<SessionRecord>> {
        self.with(|db| {
            db.query_row(
                "SELECT user_id, created_at, last_seen FROM sessions WHERE id_hash = ?1",
                [id_hash],
                |row| {
                    Ok(SessionRecord {
                        user_id: from_sql(row.get(0)?),
                        created_at: from_sql(row.get(1)?),
                        last_seen: from_sql(row.get(2)?),
                    })
                },
            )
            .optional()
        })
    }

    fn touch(&self, id_hash: &str, now: u64) -> ApiResult<()> {
        self.with(|db| {
            db.execute(
                "UPDATE sessions SET last_seen = ?2 WHERE id_hash = ?1",
                params![id_hash, to_sql(now)],
            )
            .map(|_| ())
        })
    }

    fn remove(&self, id_hash: &str) -> ApiResult<bool> {
        self.with(|db| db.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash]))
            .map(|n| n > 0)
    }

    fn remove_user(&self, user_id: u64) -> ApiResult<usize> {
        self.with(|db| db.execute("DELETE FROM sessions WHERE user_id = ?1", [to_sql(user_id)]))
    }

    fn clear(&self) -> ApiResult<()> {
        self.with(|db| db.execute("DELETE FROM sessions", []).map(|_| ()))
    }
}
// endregion

/// SQLite integers are signed; the sandbox's ids and times fit with room to spare.
fn to_sql(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn from_sql(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn db_error(error: rusqlite::Error) -> ApiError {
    ApiError::Internal(format!("session store: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_stored_touched_and_destroyed_by_id_or_by_user() {
        let store = SqliteSessionStore::in_memory();
        let record = SessionRecord {
            user_id: 7,
            created_at: 10,
            last_seen: 10,
        };
        store.put("a", record).expect("put");
        store.put("b", record).expect("put");
        store
            .put(
                "c",
                SessionRecord {
                    user_id: 8,
                    ..record
                },
            )
            .expect("put");
        store.touch("a", 99).expect("touch");
        assert_eq!(store.get("a").expect("get").map(|r| r.last_seen), Some(99));
        assert!(store.remove("a").expect("remove"));
        assert!(!store.remove("a").expect("remove"));
        assert_eq!(store.remove_user(7).expect("remove_user"), 1);
        assert_eq!(store.get("b").expect("get"), None);
        assert!(store.get("c").expect("get").is_some());
        store.clear().expect("clear");
        assert_eq!(store.get("c").expect("get"), None);
    }
}
