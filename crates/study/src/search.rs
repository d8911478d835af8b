//! Full-text search over topic text and the learner's notes (SQLite FTS5, ranked by
//! bm25). Queries are reduced to words, each searched as a quoted prefix, so nothing a
//! learner types can be an FTS syntax error; snippets come back as plain parts with a
//! highlighted flag, so the UI never inserts HTML.

use dojo_content::{Library, SectionKind, Topic};
use rusqlite::{Connection, params};
use serde::Serialize;
use ts_rs::TS;

use crate::catalog::store_catalog;
use crate::db::Study;
use crate::error::Result;
use crate::material::{self, MATCH_END, MATCH_START};

/// The `section` of a hit in a learner's note.
pub const NOTE_SECTION: &str = "note";
/// The most hits one search returns.
pub const MAX_HITS: u32 = 200;
/// Words of a query beyond this many are ignored.
const MAX_TERMS: usize = 16;
/// Words of context a snippet shows around the matches.
const SNIPPET_WORDS: i64 = 20;
/// bm25 column weights: topic_id, section (unindexed), heading, body. A word in a title or
/// a follow-up question counts far more than the same word in running text.
const RANK: &str = "bm25(search_index, 0.0, 0.0, 8.0, 1.0)";

/// One stretch of a snippet; matched words are `highlighted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SnippetPart {
    pub text: String,
    pub highlighted: bool,
}

/// A place that matches a search, best first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SearchHit {
    pub topic_id: u32,
    /// The topic section key (`answer`, `key-points`, `follow-ups`, `pitfalls`, `express`,
    /// `rust`, ...) or `note` for the learner's note.
    pub section: String,
    /// The topic title for `answer` hits, the question for `follow-ups` hits.
    pub heading: Option<String>,
    /// Text around the matches.
    pub snippet: Vec<SnippetPart>,
    /// Relevance; higher is better. Only comparable within one search.
    pub score: f64,
}

impl Study {
    /// Rebuilds the search index of topic text from `library` (notes are kept); also
    /// refreshes the topic catalogue. Idempotent. Returns the number of indexed sections.
    pub fn index_topics(&self, library: &Library) -> Result<u32> {
        self.write(|tx| {
            store_catalog(tx, library)?;
            index_library(tx, library)
        })
    }

    /// Searches topics and notes; at most `limit` hits (capped at [`MAX_HITS`]), best first.
    /// A query without letters or digits finds nothing.
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let Some(expression) = match_expression(query) else {
            return Ok(Vec::new());
        };
        let limit = limit.min(MAX_HITS);
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT topic_id, section, heading,
                     snippet(search_index, -1, ?2, ?3, '…', {SNIPPET_WORDS}), {RANK} AS rank
                 FROM search_index WHERE search_index MATCH ?1 ORDER BY rank, rowid LIMIT ?4"
            ))?;
            let rows = statement.query_map(
                params![
                    expression,
                    MATCH_START.to_string(),
                    MATCH_END.to_string(),
                    limit
                ],
                |row| {
                    let heading: String = row.get(2)?;
                    let snippet: String = row.get(3)?;
                    let rank: f64 = row.get(4)?;
                    Ok(SearchHit {
                        topic_id: row.get(0)?,
                        section: row.get(1)?,
                        heading: Some(heading).filter(|h| !h.is_empty()),
                        snippet: snippet_parts(&snippet),
                        score: -rank,
                    })
                },
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// An FTS5 query matching every word of `query` as a prefix; `None` when it has no words.
/// Words are runs of letters and digits, so quotes, operators and brackets never reach
/// FTS5's query parser.
fn match_expression(query: &str) -> Option<String> {
    let terms: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(MAX_TERMS)
        .map(|word| format!("\"{word}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// Turns a snippet with match markers into parts.
fn snippet_parts(snippet: &str) -> Vec<SnippetPart> {
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut highlighted = false;
    let mut current = String::new();
    let mut flush = |text: &mut String, highlighted: bool| {
        if !text.is_empty() {
            parts.push(SnippetPart {
                text: std::mem::take(text),
                highlighted,
            });
        }
    };
    for c in snippet.chars() {
        match c {
            MATCH_START => {
                flush(&mut current, highlighted);
                highlighted = true;
            }
            MATCH_END => {
                flush(&mut current, highlighted);
                highlighted = false;
            }
            _ => current.push(c),
        }
    }
    flush(&mut current, highlighted);
    parts
}

/// Replaces every topic row of the index with the text of `library`; returns the rows
/// written.
pub(crate) fn index_library(conn: &Connection, library: &Library) -> Result<u32> {
    conn.execute(
        "DELETE FROM search_index WHERE section != ?1",
        [NOTE_SECTION],
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO search_index (topic_id, section, heading, body) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut rows = 0;
    for topic in library.topics() {
        for (section, heading, body) in topic_rows(topic, library) {
            if body.trim().is_empty() && heading.trim().is_empty() {
                continue;
            }
            insert.execute(params![topic.front.id, section, heading, body])?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// `(section key, heading, body)` rows for one topic: one per section, one per follow-up
/// question, the title as the heading of the interview answer.
fn topic_rows(topic: &Topic, library: &Library) -> Vec<(&'static str, String, String)> {
    let mut rows = Vec::new();
    for section in &topic.sections {
        let key = section.kind.key();
        match section.kind {
            SectionKind::FollowUps => {
                for follow_up in material::follow_ups(topic) {
                    rows.push((
                        key,
                        material::without_markers(&follow_up.question),
                        material::plain_text(&follow_up.answer),
                    ));
                }
            }
            kind => {
                let mut body = material::plain_text(&section.markdown);
                for block in &section.code_blocks {
                    let region = block
                        .attr("region")
                        .and_then(|name| library.regions().get(name));
                    if let Some(region) = region {
                        body.push_str("\n\n");
                        body.push_str(&material::without_markers(&region.code));
                    }
                }
                let heading = if kind == SectionKind::InterviewAnswer {
                    material::without_markers(&topic.front.title)
                } else {
                    String::new()
                };
                rows.push((key, heading, body));
            }
        }
    }
    rows
}

/// Adds a note's text to the index.
pub(crate) fn index_note(conn: &Connection, topic_id: u32, markdown: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO search_index (topic_id, section, heading, body) VALUES (?1, ?2, '', ?3)",
        params![topic_id, NOTE_SECTION, material::plain_text(markdown)],
    )?;
    Ok(())
}

/// Removes a topic's note from the index.
pub(crate) fn remove_note(conn: &Connection, topic_id: u32) -> Result<()> {
    conn.execute(
        "DELETE FROM search_index WHERE section = ?1 AND topic_id = ?2",
        params![NOTE_SECTION, topic_id],
    )?;
    Ok(())
}

/// Removes every note from the index (before an import restores them).
pub(crate) fn remove_all_notes(conn: &Connection) -> Result<()> {
    conn.execute(
        "DELETE FROM search_index WHERE section = ?1",
        [NOTE_SECTION],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_queries_become_quoted_prefix_words() {
        assert_eq!(
            match_expression("rate limit"),
            Some("\"rate\"* \"limit\"*".into())
        );
        assert_eq!(
            match_expression("\"NEAR(a b\" OR *x"),
            Some("\"NEAR\"* \"a\"* \"b\"* \"OR\"* \"x\"*".into())
        );
        assert_eq!(
            match_expression("req.user?.id"),
            Some("\"req\"* \"user\"* \"id\"*".into())
        );
        for nothing in ["", "   ", "\"", "*", "()^-:", "\u{2}\u{3}"] {
            assert_eq!(match_expression(nothing), None, "{nothing:?}");
        }
    }

    #[test]
    fn snippets_split_on_markers_into_flagged_parts() {
        let parts = snippet_parts("…the \u{2}token\u{3} and \u{2}refresh\u{3}");
        let flat: Vec<(&str, bool)> = parts
            .iter()
            .map(|p| (p.text.as_str(), p.highlighted))
            .collect();
        assert_eq!(
            flat,
            vec![
                ("…the ", false),
                ("token", true),
                (" and ", false),
                ("refresh", true)
            ]
        );
    }
}
