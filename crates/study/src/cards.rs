//! Flashcards as stored: generated ones kept in step with the topic library (text
//! updated, review history kept, vanished ones retired), and the learner's own cards.
//! Scheduling lives in `schedule`.

use std::collections::BTreeSet;

use dojo_content::Library;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog::{ensure_topic, store_catalog};
use crate::db::{Study, UnixSeconds};
use crate::error::{Error, Result};
use crate::generate::{self, GeneratedCard};

/// The largest prompt or answer a learner card accepts, in bytes.
pub const MAX_CARD_TEXT_BYTES: usize = 100_000;

/// Where a card comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum CardKind {
    /// The topic's interview question; the answer is the interview answer.
    Question,
    /// A follow-up question with its short answer.
    FollowUp,
    /// "What goes wrong with ...?"; the answer is the pitfall list.
    Pitfalls,
    /// "What does this code do?": an Express template block and the prose explaining it.
    Code,
    /// Written by the learner.
    Learner,
}

impl CardKind {
    /// The stored and serialized name, e.g. `follow-up`.
    pub fn key(self) -> &'static str {
        match self {
            CardKind::Question => "question",
            CardKind::FollowUp => "follow-up",
            CardKind::Pitfalls => "pitfalls",
            CardKind::Code => "code",
            CardKind::Learner => "learner",
        }
    }

    /// The kind named by [`CardKind::key`].
    pub fn from_key(key: &str) -> Option<CardKind> {
        [
            CardKind::Question,
            CardKind::FollowUp,
            CardKind::Pitfalls,
            CardKind::Code,
            CardKind::Learner,
        ]
        .into_iter()
        .find(|kind| kind.key() == key)
    }
}

/// A flashcard with its schedule.
///
/// `prompt` and `answer` are Markdown, except when the matching `*_code_lang` is set: then
/// the text is raw code in that language (`js`) for the UI to highlight.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CardView {
    #[ts(type = "number")]
    pub id: i64,
    pub topic_id: u32,
    pub kind: CardKind,
    pub prompt: String,
    pub prompt_code_lang: Option<String>,
    pub answer: String,
    pub answer_code_lang: Option<String>,
    /// The card's source left the topic: kept with its history, never shown for review.
    pub retired: bool,
    /// Never reviewed yet.
    pub is_new: bool,
    #[ts(type = "number")]
    pub due_at: UnixSeconds,
    pub reps: u32,
    pub lapses: u32,
    /// FSRS stability in days; `None` for a new card.
    pub stability: Option<f64>,
    /// FSRS difficulty, 1 to 10; `None` for a new card.
    pub difficulty: Option<f64>,
    #[ts(type = "number | null")]
    pub last_review_at: Option<UnixSeconds>,
}

/// What a card sync changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct CardSyncReport {
    /// New cards for new sources.
    pub added: u32,
    /// Cards whose text changed; their history is kept.
    pub updated: u32,
    /// Cards whose source disappeared.
    pub retired: u32,
    /// Retired cards whose source came back.
    pub restored: u32,
    /// Cards left as they were.
    pub unchanged: u32,
}

pub(crate) const CARD_COLUMNS: &str = "id, topic_id, kind, prompt, prompt_code_lang, answer,
    answer_code_lang, retired, due_at, reps, lapses, stability, difficulty, last_review_at";

impl Study {
    /// Brings the generated cards in line with `library` (and refreshes the topic
    /// catalogue): new sources get new cards, changed text is updated in place keeping
    /// the schedule and review history, cards whose source vanished are retired.
    pub fn sync_cards(&self, library: &Library) -> Result<CardSyncReport> {
        let now = self.now();
        self.write(|tx| {
            store_catalog(tx, library)?;
            sync_generated(tx, library, now)
        })
    }

    /// Adds a learner card to a topic; it is due at once. Prompt and answer are Markdown.
    pub fn add_card(&self, topic_id: u32, prompt: &str, answer: &str) -> Result<CardView> {
        check_card_text(prompt, answer)?;
        let now = self.now();
        self.write(|tx| {
            ensure_topic(tx, topic_id)?;
            tx.execute(
                "INSERT INTO cards (topic_id, kind, prompt, answer, created_at, updated_at, due_at)
                 VALUES (?1, 'learner', ?2, ?3, ?4, ?4, ?4)",
                params![topic_id, prompt.trim(), answer.trim(), now],
            )?;
            load(tx, tx.last_insert_rowid())
        })
    }

    /// Changes the text of a learner card; its schedule stays. Generated cards follow the
    /// topic text and cannot be edited.
    pub fn edit_card(&self, card_id: i64, prompt: &str, answer: &str) -> Result<CardView> {
        check_card_text(prompt, answer)?;
        let now = self.now();
        self.write(|tx| {
            ensure_learner_card(tx, card_id)?;
            tx.execute(
                "UPDATE cards SET prompt = ?2, answer = ?3, updated_at = ?4 WHERE id = ?1",
                params![card_id, prompt.trim(), answer.trim(), now],
            )?;
            load(tx, card_id)
        })
    }

    /// Deletes a learner card and its review log. Generated cards cannot be deleted.
    pub fn delete_card(&self, card_id: i64) -> Result<()> {
        self.write(|tx| {
            ensure_learner_card(tx, card_id)?;
            tx.execute("DELETE FROM cards WHERE id = ?1", [card_id])?;
            Ok(())
        })
    }

    /// One card, retired or not.
    pub fn card(&self, card_id: i64) -> Result<CardView> {
        self.read(|conn| load(conn, card_id))
    }

    /// The topic's cards that are not retired, generated ones in reading order first.
    pub fn topic_cards(&self, topic_id: u32) -> Result<Vec<CardView>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {CARD_COLUMNS} FROM cards WHERE topic_id = ?1 AND retired = 0
                 ORDER BY kind = 'learner', id"
            ))?;
            let rows = statement.query_map([topic_id], from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// Applies the generated cards of every topic in `library`; new cards are due at `now`.
pub(crate) fn sync_generated(
    conn: &Connection,
    library: &Library,
    now: UnixSeconds,
) -> Result<CardSyncReport> {
    let mut report = CardSyncReport::default();
    let mut current = BTreeSet::new();
    for topic in library.topics() {
        for card in generate::cards_for(topic) {
            apply(conn, &card, now, &mut report)?;
            current.insert(card.source_key);
        }
    }
    let mut active = conn.prepare_cached(
        "SELECT id, source_key FROM cards WHERE source_key IS NOT NULL AND retired = 0",
    )?;
    let vanished: Vec<i64> = active
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter(|(_, key)| !current.contains(key))
        .map(|(id, _)| id)
        .collect();
    for id in vanished {
        conn.execute(
            "UPDATE cards SET retired = 1, updated_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        report.retired += 1;
    }
    Ok(report)
}

fn apply(
    conn: &Connection,
    card: &GeneratedCard,
    now: UnixSeconds,
    report: &mut CardSyncReport,
) -> Result<()> {
    type Stored = (
        i64,
        u32,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        bool,
    );
    let stored: Option<Stored> = conn
        .query_row(
            "SELECT id, topic_id, kind, prompt, prompt_code_lang, answer, answer_code_lang, retired
             FROM cards WHERE source_key = ?1",
            [&card.source_key],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get(7)?,
                ))
            },
        )
        .optional()?;
    let Some((id, topic_id, kind, prompt, prompt_lang, answer, answer_lang, retired)) = stored
    else {
        conn.execute(
            "INSERT INTO cards (topic_id, kind, source_key, prompt, prompt_code_lang, answer,
                 answer_code_lang, created_at, updated_at, due_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8)",
            params![
                card.topic_id,
                card.kind.key(),
                card.source_key,
                card.prompt,
                card.prompt_code_lang,
                card.answer,
                card.answer_code_lang,
                now
            ],
        )?;
        report.added += 1;
        return Ok(());
    };
    let same_text = topic_id == card.topic_id
        && kind == card.kind.key()
        && prompt == card.prompt
        && prompt_lang == card.prompt_code_lang
        && answer == card.answer
        && answer_lang == card.answer_code_lang;
    if same_text && !retired {
        report.unchanged += 1;
        return Ok(());
    }
    conn.execute(
        "UPDATE cards SET topic_id = ?2, kind = ?3, prompt = ?4, prompt_code_lang = ?5,
             answer = ?6, answer_code_lang = ?7, retired = 0, updated_at = ?8 WHERE id = ?1",
        params![
            id,
            card.topic_id,
            card.kind.key(),
            card.prompt,
            card.prompt_code_lang,
            card.answer,
            card.answer_code_lang,
            now
        ],
    )?;
    if retired {
        report.restored += 1;
    } else {
        report.updated += 1;
    }
    Ok(())
}

fn check_card_text(prompt: &str, answer: &str) -> Result<()> {
    for (name, text) in [("prompt", prompt), ("answer", answer)] {
        if text.trim().is_empty() {
            return Err(Error::Invalid(format!("the card's {name} is empty")));
        }
        if text.len() > MAX_CARD_TEXT_BYTES {
            return Err(Error::Invalid(format!(
                "the card's {name} is {} bytes; the limit is {MAX_CARD_TEXT_BYTES}",
                text.len()
            )));
        }
    }
    Ok(())
}

fn ensure_learner_card(conn: &Connection, card_id: i64) -> Result<()> {
    let card = load(conn, card_id)?;
    if card.kind != CardKind::Learner {
        return Err(Error::Invalid(format!(
            "card {card_id} is generated from topic {}; only cards you wrote can be edited or \
             deleted",
            card.topic_id
        )));
    }
    Ok(())
}

/// A card by id; [`Error::CardNotFound`] when there is none.
pub(crate) fn load(conn: &Connection, card_id: i64) -> Result<CardView> {
    conn.query_row(
        &format!("SELECT {CARD_COLUMNS} FROM cards WHERE id = ?1"),
        [card_id],
        from_row,
    )
    .optional()?
    .ok_or(Error::CardNotFound(card_id))
}

/// Reads a row selected with [`CARD_COLUMNS`].
pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<CardView> {
    let kind: String = row.get(2)?;
    let reps: u32 = row.get(9)?;
    Ok(CardView {
        id: row.get(0)?,
        topic_id: row.get(1)?,
        kind: CardKind::from_key(&kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                format!("unknown card kind {kind:?}").into(),
            )
        })?,
        prompt: row.get(3)?,
        prompt_code_lang: row.get(4)?,
        answer: row.get(5)?,
        answer_code_lang: row.get(6)?,
        retired: row.get(7)?,
        is_new: reps == 0,
        due_at: row.get(8)?,
        reps,
        lapses: row.get(10)?,
        stability: row.get(11)?,
        difficulty: row.get(12)?,
        last_review_at: row.get(13)?,
    })
}
