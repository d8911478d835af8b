//! One Markdown note per topic, saved as the learner types and kept searchable.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use ts_rs::TS;

use crate::catalog::ensure_topic;
use crate::db::{Study, UnixSeconds};
use crate::error::{Error, Result};

/// The largest note accepted, in bytes of UTF-8.
pub const MAX_NOTE_BYTES: usize = 1_000_000;

/// A learner's note on a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct NoteView {
    pub topic_id: u32,
    /// Markdown as the learner wrote it; empty when there is no note.
    pub markdown: String,
    /// When it was last saved; `None` when there is no note.
    #[ts(type = "number | null")]
    pub updated_at: Option<UnixSeconds>,
}

impl Study {
    /// Saves the topic's note, replacing the previous text. Saving blank text deletes the
    /// note. The search index follows in the same transaction.
    pub fn save_note(&self, topic_id: u32, markdown: &str) -> Result<NoteView> {
        if markdown.len() > MAX_NOTE_BYTES {
            return Err(Error::Invalid(format!(
                "the note is {} bytes; notes are limited to {MAX_NOTE_BYTES} bytes",
                markdown.len()
            )));
        }
        let now = self.now();
        self.write(|tx| {
            ensure_topic(tx, topic_id)?;
            store(tx, topic_id, markdown, now)?;
            Ok(if markdown.trim().is_empty() {
                NoteView {
                    topic_id,
                    markdown: String::new(),
                    updated_at: None,
                }
            } else {
                NoteView {
                    topic_id,
                    markdown: markdown.to_owned(),
                    updated_at: Some(now),
                }
            })
        })
    }

    /// The topic's note, or `None` when the learner has not written one.
    pub fn note(&self, topic_id: u32) -> Result<Option<NoteView>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT topic_id, body, updated_at FROM notes WHERE topic_id = ?1",
                    [topic_id],
                    from_row,
                )
                .optional()?)
        })
    }

    /// Every note, by topic id.
    pub fn notes_all(&self) -> Result<Vec<NoteView>> {
        self.read(all)
    }
}

/// Writes (or, for blank text, deletes) a note and its search index row.
pub(crate) fn store(
    conn: &Connection,
    topic_id: u32,
    markdown: &str,
    updated_at: UnixSeconds,
) -> Result<()> {
    crate::search::remove_note(conn, topic_id)?;
    if markdown.trim().is_empty() {
        conn.execute("DELETE FROM notes WHERE topic_id = ?1", [topic_id])?;
        return Ok(());
    }
    conn.execute(
        "INSERT INTO notes (topic_id, body, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (topic_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        params![topic_id, markdown, updated_at],
    )?;
    crate::search::index_note(conn, topic_id, markdown)
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<NoteView>> {
    let mut statement =
        conn.prepare_cached("SELECT topic_id, body, updated_at FROM notes ORDER BY topic_id")?;
    let rows = statement.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<NoteView> {
    Ok(NoteView {
        topic_id: row.get(0)?,
        markdown: row.get(1)?,
        updated_at: row.get(2)?,
    })
}
