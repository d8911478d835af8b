//! The topic catalogue the study database knows: ids, titles, groups and drill counts,
//! copied from the content library at sync time so progress, plans and checks of topic ids
//! work without the library at hand. [`Study::sync_library`] is the one call the app
//! makes after opening the database.

use dojo_content::Library;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;

use crate::cards::CardSyncReport;
use crate::db::Study;
use crate::error::{Error, Result};

/// What [`Study::sync_library`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LibrarySyncReport {
    /// Topics in the catalogue after the sync.
    pub topics: u32,
    /// Rows written to the search index for topic text (notes not counted).
    pub indexed_sections: u32,
    /// How the generated flashcards changed.
    pub cards: CardSyncReport,
}

impl Study {
    /// Brings the database in line with the topic library, in one transaction: the topic
    /// catalogue, the search index of topic text and the generated flashcards (review
    /// history kept). Safe to call at every start.
    pub fn sync_library(&self, library: &Library) -> Result<LibrarySyncReport> {
        let now = self.now();
        self.write(|tx| {
            let topics = store_catalog(tx, library)?;
            let indexed_sections = crate::search::index_library(tx, library)?;
            let cards = crate::cards::sync_generated(tx, library, now)?;
            Ok(LibrarySyncReport {
                topics,
                indexed_sections,
                cards,
            })
        })
    }
}

/// Upserts every topic of `library` into the catalogue; returns how many it holds.
pub(crate) fn store_catalog(conn: &Connection, library: &Library) -> Result<u32> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO topics (id, slug, title, group_key, drill_count) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, title = excluded.title,
             group_key = excluded.group_key, drill_count = excluded.drill_count",
    )?;
    for topic in library.topics() {
        let front = &topic.front;
        let drills = library.drills(front.id).len() as i64;
        upsert.execute(params![
            front.id,
            front.slug,
            front.title,
            front.group.key(),
            drills
        ])?;
    }
    Ok(conn.query_row("SELECT count(*) FROM topics", [], |row| row.get(0))?)
}

/// Fails with [`Error::UnknownTopic`] unless `topic_id` is in the catalogue.
pub(crate) fn ensure_topic(conn: &Connection, topic_id: u32) -> Result<()> {
    topic_title(conn, topic_id).map(|_| ())
}

/// The catalogue title of a topic; [`Error::UnknownTopic`] when it is not there.
pub(crate) fn topic_title(conn: &Connection, topic_id: u32) -> Result<String> {
    conn.query_row(
        "SELECT title FROM topics WHERE id = ?1",
        [topic_id],
        |row| row.get(0),
    )
    .optional()?
    .ok_or(Error::UnknownTopic(topic_id))
}
