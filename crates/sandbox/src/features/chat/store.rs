//! Where chat messages live: SQLite (in memory), one table ordered by a per-room sequence,
//! with the seeded conversation of room `general`.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};

/// One stored message.
// Members in alphabetical order, like every other JSON object the sandbox writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChatMessage {
    /// The sender's display name.
    pub author: String,
    pub body: String,
    /// The id the sending client gave the message, so its retries are recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// When the server stored it, milliseconds since the Unix epoch.
    pub created_at: u64,
    /// The server's id for the message.
    pub id: u64,
    pub room: String,
    /// Its place in the room: 1, 2, 3, ... in the order the server stored them.
    pub seq: u64,
    pub user_id: u64,
}

/// One page of a room's history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HistoryPage {
    pub messages: Vec<ChatMessage>,
    /// Pass as `before` to get the page before this one; null on the first page of the
    /// room.
    pub next_before: Option<u64>,
    pub room: String,
}

/// A message about to be stored.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage<'a> {
    pub(crate) room: &'a str,
    pub(crate) user_id: u64,
    pub(crate) author: &'a str,
    pub(crate) body: &'a str,
    pub(crate) client_id: Option<&'a str>,
}

/// What storing a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    pub(crate) message: ChatMessage,
    /// True when the same sender already stored a message with this client id: a retry.
    pub(crate) duplicate: bool,
}

/// Chat messages in SQLite: one table, a unique per-room sequence (which is also the index
/// history pages walk) and a unique client id per sender and room (which makes retries
/// idempotent).
#[derive(Debug)]
pub struct ChatStore {
    /// The open database, or why it could not be opened (then every call says so).
    connection: Result<Mutex<Connection>, String>,
}

// region: chat-schema
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS messages (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        room       TEXT    NOT NULL,
        seq        INTEGER NOT NULL,
        user_id    INTEGER NOT NULL,
        author     TEXT    NOT NULL,
        body       TEXT    NOT NULL,
        client_id  TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (room, seq),
        UNIQUE (room, user_id, client_id)
    ) STRICT;";
// endregion

impl ChatStore {
    /// A private in-memory database holding the seeded history of `general`.
    pub fn seeded() -> ChatStore {
        let connection = Connection::open_in_memory()
            .and_then(|mut connection| {
                connection.execute_batch(SCHEMA)?;
                seed(&mut connection)?;
                Ok(connection)
            })
            .map(Mutex::new)
            .map_err(|e| e.to_string());
        ChatStore { connection }
    }

    fn with<T>(&self, work: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> ApiResult<T> {
        let connection = self
            .connection
            .as_ref()
            .map_err(|cause| ApiError::Internal(format!("chat store unavailable: {cause}")))?;
        let mut connection = connection.lock().unwrap_or_else(|e| e.into_inner());
        work(&mut connection).map_err(|e| ApiError::Internal(format!("chat store failed: {e}")))
    }

    /// Forgets every message and puts the seeded history back.
    pub fn reset(&self) -> ApiResult<()> {
        self.with(|connection| {
            connection.execute_batch(
                "DELETE FROM messages; DELETE FROM sqlite_sequence WHERE name = 'messages';",
            )?;
            seed(connection)
        })
    }

    // region: chat-store
    /// Stores a message with the room's next sequence number, unless its sender already
    /// stored one with the same client id: then that one is answered again.
    pub(crate) fn append(&self, new: &NewMessage<'_>) -> ApiResult<Stored> {
        self.with(|connection| {
            let transaction = connection.transaction()?;
            if let Some(client_id) = new.client_id {
                let earlier = transaction
                    .query_row(
                        "SELECT id, room, seq, user_id, author, body, client_id, created_at
                         FROM messages WHERE room = ?1 AND user_id = ?2 AND client_id = ?3",
                        params![new.room, new.user_id, client_id],
                        read_message,
                    )
                    .optional()?;
                if let Some(message) = earlier {
                    return Ok(Stored {
                        message,
                        duplicate: true,
                    });
                }
            }
            let seq: u64 = transaction.query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE room = ?1",
                params![new.room],
                |row| row.get(0),
            )?;
            let created_at = now_ms();
            transaction.execute(
                "INSERT INTO messages (room, seq, user_id, author, body, client_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    new.room,
                    seq,
                    new.user_id,
                    new.author,
                    new.body,
                    new.client_id,
                    created_at
                ],
            )?;
            let id = u64::try_from(transaction.last_insert_rowid()).unwrap_or_default();
            transaction.commit()?;
            Ok(Stored {
                message: ChatMessage {
                    author: new.author.to_owned(),
                    body: new.body.to_owned(),
                    client_id: new.client_id.map(str::to_owned),
                    created_at,
                    id,
                    room: new.room.to_owned(),
                    seq,
                    user_id: new.user_id,
                },
                duplicate: false,
            })
        })
    }

    /// Up to `limit` messages of `room` older than `before` (the newest ones without it),
    /// oldest first. Keyset paging: the query walks the `(room, seq)` index from the
    /// cursor, so a deep page costs what the first one does, and messages arriving
    /// meanwhile neither shift nor repeat a page.
    pub fn page(&self, room: &str, before: Option<u64>, limit: u32) -> ApiResult<HistoryPage> {
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let mut messages = self.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, room, seq, user_id, author, body, client_id, created_at
                 FROM messages WHERE room = ?1 AND seq < ?2
                 ORDER BY seq DESC LIMIT ?3",
            )?;
            // One more than asked tells whether an older page exists.
            let rows = statement.query_map(params![room, before, limit + 1], read_message)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        let has_older = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        messages.reverse();
        let next_before = has_older.then(|| messages.first().map(|m| m.seq)).flatten();
        Ok(HistoryPage {
            messages,
            next_before,
            room: room.to_owned(),
        })
    }
    // endregion
}

fn read_message(row: &rusqlite::Row<'_>) -> rusqlite::Result<ChatMessage> {
    Ok(ChatMessage {
        id: row.get(0)?,
        room: row.get(1)?,
        seq: row.get(2)?,
        user_id: row.get(3)?,
        author: row.get(4)?,
        body: row.get(5)?,
        client_id: row.get(6)?,
        created_at: row.get(7)?,
    })
}

/// The conversation room `general` starts with, oldest first: (user id, author, body).
const SEED: [(u64, &str, &str); 25] = [
    (
        2,
        "Grace Hopper",
        "Morning! The release train leaves at 11:00. Anything blocking?",
    ),
    (
        1,
        "Ada Lovelace",
        "The refresh-token migration still needs a review.",
    ),
    (3, "Linus Torvalds", "I can take it after standup."),
    (2, "Grace Hopper", "Thanks. Ada, did the load test finish?"),
    (
        1,
        "Ada Lovelace",
        "Yes: history p95 went from 180 ms to 95 ms after the index.",
    ),
    (3, "Linus Torvalds", "Which index?"),
    (
        1,
        "Ada Lovelace",
        "messages(room, seq). Older pages were scanning the whole room.",
    ),
    (2, "Grace Hopper", "Nice catch. Cursor paging from now on?"),
    (1, "Ada Lovelace", "Already merged: ?before=<seq>&limit=20."),
    (3, "Linus Torvalds", "Reviewing the migration now."),
    (3, "Linus Torvalds", "Left two comments, both small."),
    (1, "Ada Lovelace", "Fixed and pushed."),
    (2, "Grace Hopper", "Staging is green."),
    (
        3,
        "Linus Torvalds",
        "Typing indicators still flicker on slow networks.",
    ),
    (
        1,
        "Ada Lovelace",
        "They hide after 5 s without a refresh; I'll send them less often.",
    ),
    (
        2,
        "Grace Hopper",
        "Presence looks right now, even with two tabs open.",
    ),
    (
        3,
        "Linus Torvalds",
        "Closing one tab no longer shows me offline. Good.",
    ),
    (
        1,
        "Ada Lovelace",
        "That was the count per connection instead of a flag per user.",
    ),
    (2, "Grace Hopper", "Ten minutes to the release."),
    (3, "Linus Torvalds", "The rollback plan is in the ticket."),
    (
        1,
        "Ada Lovelace",
        "The feature flag is off by default; we turn it on at 11:15.",
    ),
    (2, "Grace Hopper", "Deploying."),
    (2, "Grace Hopper", "Done. Watching the dashboards."),
    (3, "Linus Torvalds", "Error rate flat, no new alerts."),
    (1, "Ada Lovelace", "Turning the flag on for 10% of rooms."),
];

/// The seeded room.
pub const SEEDED_ROOM: &str = "general";
/// When the seeded conversation starts: 2026-01-05 09:00 UTC, one message a minute.
const SEED_START_MS: u64 = 1_767_603_600_000;

fn seed(connection: &mut Connection) -> rusqlite::Result<()> {
    let transaction = connection.transaction()?;
    {
        let mut insert = transaction.prepare(
            "INSERT INTO messages (room, seq, user_id, author, body, client_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
        )?;
        for (index, (user_id, author, body)) in SEED.iter().enumerate() {
            let seq = index as u64 + 1;
            insert.execute(params![
                SEEDED_ROOM,
                seq,
                user_id,
                author,
                body,
                SEED_START_MS + seq * 60_000
            ])?;
        }
    }
    transaction.commit()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
