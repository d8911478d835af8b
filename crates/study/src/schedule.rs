//! Spaced repetition with FSRS (the `fsrs` crate, default parameters, 90% desired
//! retention): the review queue, grading a card, the four intervals the grade buttons
//! show, due counts and each card's review log.
//!
//! A generated card enters the queue once its topic is started (opened, drilled, or
//! pushed by a mock interview), so a new learner is not greeted by every card of all 33
//! topics at once; learner cards are due as soon as they are written.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::cards::{self, CARD_COLUMNS, CardView};
use crate::db::{Study, UnixSeconds};
use crate::error::{Error, Result};

/// The share of cards FSRS aims to have remembered when they come due.
pub const DESIRED_RETENTION: f32 = 0.9;
/// The most cards one `due_cards` call returns.
pub const MAX_DUE_BATCH: u32 = 1000;
const SECONDS_PER_DAY: i64 = 86_400;
/// No interval is longer than a hundred years.
const MAX_INTERVAL_SECONDS: i64 = 36_500 * SECONDS_PER_DAY;

/// SQL condition for "card `c` is in the review queue at `?1`".
pub(crate) const IN_QUEUE: &str = "c.retired = 0 AND c.due_at <= ?1 AND (c.reps > 0
    OR c.kind = 'learner'
    OR EXISTS (SELECT 1 FROM progress p WHERE p.topic_id = c.topic_id AND p.state != 'not-started'))";

/// How well the learner recalled a card, as on the four buttons (keys 1 to 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ReviewGrade {
    /// Forgotten.
    Again,
    /// Recalled with serious effort.
    Hard,
    /// Recalled.
    Good,
    /// Recalled at once.
    Easy,
}

impl ReviewGrade {
    /// All grades, from again to easy.
    pub const ALL: [ReviewGrade; 4] = [
        ReviewGrade::Again,
        ReviewGrade::Hard,
        ReviewGrade::Good,
        ReviewGrade::Easy,
    ];

    /// FSRS's rating: 1 (again) to 4 (easy).
    pub fn rating(self) -> u32 {
        match self {
            ReviewGrade::Again => 1,
            ReviewGrade::Hard => 2,
            ReviewGrade::Good => 3,
            ReviewGrade::Easy => 4,
        }
    }

    /// The position in [`ReviewGrade::ALL`].
    fn index(self) -> usize {
        self.rating() as usize - 1
    }

    /// The grade for an FSRS rating 1 to 4.
    pub fn from_rating(rating: u32) -> Option<ReviewGrade> {
        ReviewGrade::ALL
            .into_iter()
            .find(|grade| grade.rating() == rating)
    }
}

/// When a card would next be due after one grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct GradePreview {
    pub grade: ReviewGrade,
    #[ts(type = "number")]
    pub due_at: UnixSeconds,
    #[ts(type = "number")]
    pub interval_seconds: i64,
}

/// The next due time for each grade button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReviewPreview {
    #[ts(type = "number")]
    pub card_id: i64,
    pub again: GradePreview,
    pub hard: GradePreview,
    pub good: GradePreview,
    pub easy: GradePreview,
}

/// The result of grading a card.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ReviewOutcome {
    /// The review log row written.
    #[ts(type = "number")]
    pub review_id: i64,
    /// The card with its new schedule.
    pub card: CardView,
}

/// One past review of a card.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ReviewLogView {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub card_id: i64,
    #[ts(type = "number")]
    pub reviewed_at: UnixSeconds,
    pub grade: ReviewGrade,
    /// Whole days since the review before it.
    pub elapsed_days: u32,
    pub stability: f64,
    pub difficulty: f64,
    #[ts(type = "number")]
    pub due_at: UnixSeconds,
}

/// Cards due for one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct TopicDueCount {
    pub topic_id: u32,
    pub due: u32,
}

/// How many cards are due, in all and per topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DueCounts {
    pub total: u32,
    /// Of `total`, cards never reviewed.
    pub new: u32,
    /// Topics with at least one due card, by id.
    pub by_topic: Vec<TopicDueCount>,
}

/// FSRS's view of a card before a review.
struct Memory {
    state: Option<fsrs::MemoryState>,
    elapsed_days: u32,
}

/// The state after one grade.
struct Scheduled {
    stability: f32,
    difficulty: f32,
    interval_seconds: i64,
}

impl Study {
    /// Cards to review at `now`, most overdue first; at most `limit` (capped at
    /// [`MAX_DUE_BATCH`]).
    pub fn due_cards(&self, now: UnixSeconds, limit: u32) -> Result<Vec<CardView>> {
        let limit = limit.min(MAX_DUE_BATCH);
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {CARD_COLUMNS} FROM cards c WHERE {IN_QUEUE} ORDER BY c.due_at, c.id LIMIT ?2"
            ))?;
            let rows = statement.query_map(params![now, limit], cards::from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Grades a card at `now`: updates its stability, difficulty, due time, reps and lapses,
    /// logs the review and marks the topic reviewed ("again" moves a confident topic back
    /// to learning).
    pub fn review(
        &self,
        card_id: i64,
        grade: ReviewGrade,
        now: UnixSeconds,
    ) -> Result<ReviewOutcome> {
        self.write(|tx| {
            let card = cards::load(tx, card_id)?;
            if card.retired {
                return Err(Error::Invalid(format!(
                    "card {card_id} is retired: its source left the topic"
                )));
            }
            let memory = memory_of(&card, now);
            let next = self.next_states(&memory)?;
            let chosen = &next[grade.index()];
            let due_at = now.saturating_add(chosen.interval_seconds);
            let lapsed = grade == ReviewGrade::Again && !card.is_new;
            tx.execute(
                "UPDATE cards SET stability = ?2, difficulty = ?3, due_at = ?4, reps = reps + 1,
                     lapses = lapses + ?5, last_review_at = ?6 WHERE id = ?1",
                params![
                    card_id,
                    f64::from(chosen.stability),
                    f64::from(chosen.difficulty),
                    due_at,
                    u32::from(lapsed),
                    now
                ],
            )?;
            tx.execute(
                "INSERT INTO reviews (card_id, reviewed_at, grade, elapsed_days, stability_before,
                     difficulty_before, stability, difficulty, due_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    card_id,
                    now,
                    grade.rating(),
                    memory.elapsed_days,
                    card.stability,
                    card.difficulty,
                    f64::from(chosen.stability),
                    f64::from(chosen.difficulty),
                    due_at
                ],
            )?;
            let review_id = tx.last_insert_rowid();
            crate::progress::record_review(tx, card.topic_id, now, grade == ReviewGrade::Again)?;
            Ok(ReviewOutcome {
                review_id,
                card: cards::load(tx, card_id)?,
            })
        })
    }

    /// When the card would be due after each grade, if graded at `now`.
    pub fn preview_intervals(&self, card_id: i64, now: UnixSeconds) -> Result<ReviewPreview> {
        let card = self.card(card_id)?;
        let next = self.next_states(&memory_of(&card, now))?;
        let preview = |grade: ReviewGrade| {
            let interval_seconds = next[grade.index()].interval_seconds;
            GradePreview {
                grade,
                due_at: now.saturating_add(interval_seconds),
                interval_seconds,
            }
        };
        Ok(ReviewPreview {
            card_id,
            again: preview(ReviewGrade::Again),
            hard: preview(ReviewGrade::Hard),
            good: preview(ReviewGrade::Good),
            easy: preview(ReviewGrade::Easy),
        })
    }

    /// Cards due at `now`, in all and per topic.
    pub fn due_counts(&self, now: UnixSeconds) -> Result<DueCounts> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT c.topic_id, count(*), sum(c.reps = 0) FROM cards c WHERE {IN_QUEUE}
                 GROUP BY c.topic_id ORDER BY c.topic_id"
            ))?;
            let rows = statement
                .query_map([now], |row| {
                    Ok((
                        row.get::<_, u32>(0)?,
                        row.get::<_, u32>(1)?,
                        row.get::<_, u32>(2)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(DueCounts {
                total: rows.iter().map(|(_, due, _)| due).sum(),
                new: rows.iter().map(|(_, _, new)| new).sum(),
                by_topic: rows
                    .iter()
                    .map(|&(topic_id, due, _)| TopicDueCount { topic_id, due })
                    .collect(),
            })
        })
    }

    /// A card's reviews, oldest first.
    pub fn card_reviews(&self, card_id: i64) -> Result<Vec<ReviewLogView>> {
        self.read(|conn| {
            cards::load(conn, card_id)?;
            let mut statement = conn.prepare_cached(
                "SELECT id, card_id, reviewed_at, grade, elapsed_days, stability, difficulty, due_at
                 FROM reviews WHERE card_id = ?1 ORDER BY reviewed_at, id",
            )?;
            let rows = statement.query_map([card_id], |row| {
                let rating: u32 = row.get(3)?;
                Ok(ReviewLogView {
                    id: row.get(0)?,
                    card_id: row.get(1)?,
                    reviewed_at: row.get(2)?,
                    grade: ReviewGrade::from_rating(rating).unwrap_or(ReviewGrade::Again),
                    elapsed_days: row.get(4)?,
                    stability: row.get(5)?,
                    difficulty: row.get(6)?,
                    due_at: row.get(7)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The four possible next states, indexed by [`ReviewGrade::index`].
    fn next_states(&self, memory: &Memory) -> Result<[Scheduled; 4]> {
        let next = self
            .scheduler
            .next_states(memory.state, DESIRED_RETENTION, memory.elapsed_days)
            .map_err(|error| Error::Scheduler(error.to_string()))?;
        let scheduled = |state: fsrs::ItemState| Scheduled {
            stability: state.memory.stability,
            difficulty: state.memory.difficulty,
            interval_seconds: interval_seconds(state.interval),
        };
        Ok([
            scheduled(next.again),
            scheduled(next.hard),
            scheduled(next.good),
            scheduled(next.easy),
        ])
    }
}

/// How many cards are in the queue at `now`.
pub(crate) fn count_due(conn: &Connection, now: UnixSeconds) -> Result<u32> {
    Ok(conn.query_row(
        &format!("SELECT count(*) FROM cards c WHERE {IN_QUEUE}"),
        [now],
        |row| row.get(0),
    )?)
}

/// Makes every active card of a topic due at `now` (cards due earlier stay as they are).
pub(crate) fn make_topic_due(conn: &Connection, topic_id: u32, now: UnixSeconds) -> Result<()> {
    conn.execute(
        "UPDATE cards SET due_at = ?2 WHERE topic_id = ?1 AND retired = 0 AND due_at > ?2",
        params![topic_id, now],
    )?;
    Ok(())
}

fn memory_of(card: &CardView, now: UnixSeconds) -> Memory {
    let state = match (card.stability, card.difficulty) {
        (Some(stability), Some(difficulty)) if card.reps > 0 => Some(fsrs::MemoryState {
            stability: stability as f32,
            difficulty: difficulty as f32,
        }),
        _ => None,
    };
    let elapsed_seconds = card
        .last_review_at
        .map_or(0, |last| now.saturating_sub(last).max(0));
    let elapsed_days = u32::try_from(elapsed_seconds / SECONDS_PER_DAY).unwrap_or(u32::MAX);
    Memory {
        state,
        elapsed_days,
    }
}

/// FSRS intervals are fractional days; the database keeps whole seconds.
fn interval_seconds(interval_days: f32) -> i64 {
    let seconds = (f64::from(interval_days) * SECONDS_PER_DAY as f64).round();
    if seconds.is_nan() {
        return 1;
    }
    (seconds as i64).clamp(1, MAX_INTERVAL_SECONDS)
}
