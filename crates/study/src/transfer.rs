//! Export of all study data as one JSON document, and import that replaces everything in
//! one transaction. An import is checked in full before anything is touched; a refused
//! import changes nothing. The topic catalogue and the topic search index are not part of
//! an export: they come from the topic library.

use std::collections::BTreeSet;

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::cards::CardKind;
use crate::db::{Study, UnixSeconds};
use crate::error::{Error, Result};
use crate::interviews::{CriterionScore, FollowUpView, SECONDS_PER_QUESTION};
use crate::migrations::CURRENT_VERSION;
use crate::profile::{self, ProfileRecord};
use crate::progress::TopicState;
use crate::rubric::{InterviewPreset, SCORE_RANGE};
use crate::schedule::ReviewGrade;

/// The `format` tag of every export.
pub const EXPORT_FORMAT: &str = "backend-dojo-study";

/// All of a learner's study data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct StudyExport {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    /// The schema version of the database that wrote it.
    #[ts(type = "number")]
    pub schema_version: i64,
    #[ts(type = "number")]
    pub exported_at: UnixSeconds,
    pub progress: Vec<ProgressRecord>,
    pub notes: Vec<NoteRecord>,
    pub cards: Vec<CardRecord>,
    pub reviews: Vec<ReviewRecord>,
    pub stories: Vec<StoryRecord>,
    pub interviews: Vec<InterviewRecord>,
    /// The first run's answers and Settings' choices; absent (or `null`) when the learner
    /// had none, and an import then offers the guided start again.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub profile: Option<ProfileRecord>,
}

/// One topic's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProgressRecord {
    pub topic_id: u32,
    pub state: TopicState,
    pub drills_passed: Option<u32>,
    pub drills_total: Option<u32>,
    #[ts(type = "number | null")]
    pub drills_run_at: Option<UnixSeconds>,
    #[ts(type = "number | null")]
    pub last_opened_at: Option<UnixSeconds>,
    #[ts(type = "number | null")]
    pub last_reviewed_at: Option<UnixSeconds>,
    #[ts(type = "number")]
    pub updated_at: UnixSeconds,
}

/// One topic's note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NoteRecord {
    pub topic_id: u32,
    pub markdown: String,
    #[ts(type = "number")]
    pub updated_at: UnixSeconds,
}

/// A flashcard with its schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CardRecord {
    #[ts(type = "number")]
    pub id: i64,
    pub topic_id: u32,
    pub kind: CardKind,
    /// Set for generated cards, absent for learner cards.
    pub source_key: Option<String>,
    pub prompt: String,
    pub prompt_code_lang: Option<String>,
    pub answer: String,
    pub answer_code_lang: Option<String>,
    pub retired: bool,
    #[ts(type = "number")]
    pub created_at: UnixSeconds,
    #[ts(type = "number")]
    pub updated_at: UnixSeconds,
    #[ts(type = "number")]
    pub due_at: UnixSeconds,
    pub stability: Option<f64>,
    pub difficulty: Option<f64>,
    pub reps: u32,
    pub lapses: u32,
    #[ts(type = "number | null")]
    pub last_review_at: Option<UnixSeconds>,
}

/// One review of a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReviewRecord {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub card_id: i64,
    #[ts(type = "number")]
    pub reviewed_at: UnixSeconds,
    pub grade: ReviewGrade,
    pub elapsed_days: u32,
    pub stability_before: Option<f64>,
    pub difficulty_before: Option<f64>,
    pub stability: f64,
    pub difficulty: f64,
    #[ts(type = "number")]
    pub due_at: UnixSeconds,
}

/// A STAR story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct StoryRecord {
    #[ts(type = "number")]
    pub id: i64,
    pub topic_id: u32,
    pub title: String,
    pub situation: String,
    pub task: String,
    pub action: String,
    pub result: String,
    #[ts(type = "number")]
    pub created_at: UnixSeconds,
    #[ts(type = "number")]
    pub updated_at: UnixSeconds,
}

/// A mock interview with its questions, scores and notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct InterviewRecord {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub preset: Option<InterviewPreset>,
    pub seconds_per_question: u32,
    pub current_index: u32,
    #[ts(type = "number")]
    pub created_at: UnixSeconds,
    #[ts(type = "number | null")]
    pub started_at: Option<UnixSeconds>,
    #[ts(type = "number | null")]
    pub finished_at: Option<UnixSeconds>,
    #[ts(type = "number")]
    pub timer_elapsed: i64,
    #[ts(type = "number | null")]
    pub timer_running_since: Option<UnixSeconds>,
    /// In the order they are asked.
    pub questions: Vec<InterviewQuestionRecord>,
}

/// One question of a mock interview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct InterviewQuestionRecord {
    pub topic_id: u32,
    pub topic_title: String,
    pub question: String,
    pub model_answer: String,
    pub follow_ups: Vec<FollowUpView>,
    pub note: String,
    pub scores: Vec<CriterionScore>,
}

/// How many records an import restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ImportSummary {
    pub progress: u32,
    pub notes: u32,
    pub cards: u32,
    pub reviews: u32,
    pub stories: u32,
    pub interviews: u32,
}

impl StudyExport {
    /// Reads an export file's text; the error names what is wrong with it.
    pub fn from_json(text: &str) -> Result<StudyExport> {
        serde_json::from_str(text)
            .map_err(|error| Error::Import(format!("not a study export: {error}")))
    }

    /// The export as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|error| Error::Invalid(error.to_string()))
    }
}

impl Study {
    /// Every piece of study data, read as one consistent snapshot.
    pub fn export_all(&self) -> Result<StudyExport> {
        let now = self.now();
        self.read(|conn| {
            let snapshot = conn.unchecked_transaction()?;
            let export = StudyExport {
                format: EXPORT_FORMAT.to_owned(),
                schema_version: CURRENT_VERSION,
                exported_at: now,
                progress: read_progress(&snapshot)?,
                notes: read_notes(&snapshot)?,
                cards: read_cards(&snapshot)?,
                reviews: read_reviews(&snapshot)?,
                stories: read_stories(&snapshot)?,
                interviews: read_interviews(&snapshot)?,
                profile: profile::read_record(&snapshot)?,
            };
            snapshot.finish()?;
            Ok(export)
        })
    }

    /// Replaces all study data with `data`, the profile included, in one transaction. Data
    /// that breaks a rule (unknown topic, a review of a missing card, a score outside 1 to 4,
    /// an interview date that is not a date, ...) is refused with [`Error::Import`] and
    /// nothing changes.
    pub fn import_all(&self, data: &StudyExport) -> Result<ImportSummary> {
        check(data)?;
        self.write(|tx| {
            let known: BTreeSet<u32> = tx
                .prepare("SELECT id FROM topics")?
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if let Some(unknown) = topic_ids(data).find(|id| !known.contains(id)) {
                return Err(Error::Import(format!(
                    "topic {unknown} is not in this app's topic library"
                )));
            }
            clear(tx)?;
            write_all(tx, data).map_err(|error| match error {
                Error::Sqlite(cause) => Error::Import(format!("the data breaks a rule: {cause}")),
                other => other,
            })?;
            Ok(ImportSummary {
                progress: data.progress.len() as u32,
                notes: data
                    .notes
                    .iter()
                    .filter(|n| !n.markdown.trim().is_empty())
                    .count() as u32,
                cards: data.cards.len() as u32,
                reviews: data.reviews.len() as u32,
                stories: data.stories.len() as u32,
                interviews: data.interviews.len() as u32,
            })
        })
    }
}

fn topic_ids(data: &StudyExport) -> impl Iterator<Item = u32> + '_ {
    data.progress
        .iter()
        .map(|p| p.topic_id)
        .chain(data.notes.iter().map(|n| n.topic_id))
        .chain(data.cards.iter().map(|c| c.topic_id))
        .chain(data.stories.iter().map(|s| s.topic_id))
        .chain(
            data.interviews
                .iter()
                .flat_map(|i| i.questions.iter().map(|q| q.topic_id)),
        )
}

/// Checks an export before anything is written.
fn check(data: &StudyExport) -> Result<()> {
    let refuse = |message: String| Err(Error::Import(message));
    if data.format != EXPORT_FORMAT {
        return refuse(format!(
            "format is {:?}, expected {EXPORT_FORMAT:?}",
            data.format
        ));
    }
    if !(1..=CURRENT_VERSION).contains(&data.schema_version) {
        return refuse(format!(
            "it was written with schema version {}; this app reads 1 to {CURRENT_VERSION}",
            data.schema_version
        ));
    }
    unique(
        "progress topic",
        data.progress.iter().map(|p| i64::from(p.topic_id)),
    )?;
    unique(
        "note topic",
        data.notes.iter().map(|n| i64::from(n.topic_id)),
    )?;
    unique("card id", data.cards.iter().map(|c| c.id))?;
    unique("review id", data.reviews.iter().map(|r| r.id))?;
    unique("story id", data.stories.iter().map(|s| s.id))?;
    unique("interview id", data.interviews.iter().map(|i| i.id))?;
    if let Some(p) = data
        .progress
        .iter()
        .find(|p| match (p.drills_passed, p.drills_total) {
            (Some(passed), Some(total)) => passed > total,
            (None, None) => false,
            _ => true,
        })
    {
        return refuse(format!(
            "topic {}: drills passed and total must both be set, passed ≤ total",
            p.topic_id
        ));
    }
    let mut keys = BTreeSet::new();
    for card in &data.cards {
        let generated = card.kind != CardKind::Learner;
        if generated != card.source_key.is_some() {
            return refuse(format!(
                "card {}: generated cards need a source key, learner cards none",
                card.id
            ));
        }
        if let Some(key) = &card.source_key
            && !keys.insert(key.as_str())
        {
            return refuse(format!(
                "card {}: source key {key:?} is used twice",
                card.id
            ));
        }
        let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
        if card.stability.is_some() != card.difficulty.is_some()
            || !finite(card.stability)
            || !finite(card.difficulty)
        {
            return refuse(format!(
                "card {}: stability and difficulty must both be numbers or both absent",
                card.id
            ));
        }
    }
    let card_ids: BTreeSet<i64> = data.cards.iter().map(|c| c.id).collect();
    if let Some(review) = data.reviews.iter().find(|r| !card_ids.contains(&r.card_id)) {
        return refuse(format!(
            "review {} is of card {}, which is not in the export",
            review.id, review.card_id
        ));
    }
    if let Some(review) = data
        .reviews
        .iter()
        .find(|r| !r.stability.is_finite() || !r.difficulty.is_finite())
    {
        return refuse(format!(
            "review {}: stability and difficulty must be numbers",
            review.id
        ));
    }
    if let Some(record) = &data.profile {
        profile::check_record(record)
            .map_err(|error| Error::Import(format!("profile: {error}")))?;
    }
    for interview in &data.interviews {
        let id = interview.id;
        if !SECONDS_PER_QUESTION.contains(&interview.seconds_per_question) {
            return refuse(format!(
                "interview {id}: {} seconds per question is out of range",
                interview.seconds_per_question
            ));
        }
        if interview.current_index as usize >= interview.questions.len().max(1) {
            return refuse(format!(
                "interview {id}: current question {} does not exist",
                interview.current_index
            ));
        }
        for (position, question) in interview.questions.iter().enumerate() {
            let mut criteria = BTreeSet::new();
            for score in &question.scores {
                if !SCORE_RANGE.contains(&score.score) {
                    return refuse(format!(
                        "interview {id}, question {position}: score {} is outside 1 to 4",
                        score.score
                    ));
                }
                if !criteria.insert(score.criterion) {
                    return refuse(format!(
                        "interview {id}, question {position}: {} is scored twice",
                        score.criterion.key()
                    ));
                }
            }
        }
    }
    Ok(())
}

fn unique(what: &str, values: impl Iterator<Item = i64>) -> Result<()> {
    let mut seen = BTreeSet::new();
    for value in values {
        if !seen.insert(value) {
            return Err(Error::Import(format!("{what} {value} appears twice")));
        }
    }
    Ok(())
}

fn clear(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM interview_scores; DELETE FROM interview_questions; DELETE FROM interviews;
         DELETE FROM reviews; DELETE FROM cards; DELETE FROM stories; DELETE FROM notes;
         DELETE FROM progress;",
    )?;
    crate::search::remove_all_notes(conn)
}

fn write_all(conn: &Connection, data: &StudyExport) -> Result<()> {
    profile::replace_record(conn, data.profile.as_ref())?;
    for p in &data.progress {
        conn.execute(
            "INSERT INTO progress (topic_id, state, drills_passed, drills_total, drills_run_at,
                 last_opened_at, last_reviewed_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                p.topic_id,
                p.state.key(),
                p.drills_passed,
                p.drills_total,
                p.drills_run_at,
                p.last_opened_at,
                p.last_reviewed_at,
                p.updated_at
            ],
        )?;
    }
    for note in &data.notes {
        crate::notes::store(conn, note.topic_id, &note.markdown, note.updated_at)?;
    }
    for c in &data.cards {
        conn.execute(
            "INSERT INTO cards (id, topic_id, kind, source_key, prompt, prompt_code_lang, answer,
                 answer_code_lang, retired, created_at, updated_at, due_at, stability, difficulty,
                 reps, lapses, last_review_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                c.id,
                c.topic_id,
                c.kind.key(),
                c.source_key,
                c.prompt,
                c.prompt_code_lang,
                c.answer,
                c.answer_code_lang,
                c.retired,
                c.created_at,
                c.updated_at,
                c.due_at,
                c.stability,
                c.difficulty,
                c.reps,
                c.lapses,
                c.last_review_at
            ],
        )?;
    }
    for r in &data.reviews {
        conn.execute(
            "INSERT INTO reviews (id, card_id, reviewed_at, grade, elapsed_days, stability_before,
                 difficulty_before, stability, difficulty, due_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                r.id,
                r.card_id,
                r.reviewed_at,
                r.grade.rating(),
                r.elapsed_days,
                r.stability_before,
                r.difficulty_before,
                r.stability,
                r.difficulty,
                r.due_at
            ],
        )?;
    }
    for s in &data.stories {
        conn.execute(
            "INSERT INTO stories (id, topic_id, title, situation, task, action, result, created_at,
                 updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                s.id,
                s.topic_id,
                s.title,
                s.situation,
                s.task,
                s.action,
                s.result,
                s.created_at,
                s.updated_at
            ],
        )?;
    }
    for i in &data.interviews {
        conn.execute(
            "INSERT INTO interviews (id, name, preset, seconds_per_question, current_index,
                 created_at, started_at, finished_at, timer_elapsed, timer_running_since)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                i.id,
                i.name,
                i.preset.map(InterviewPreset::key),
                i.seconds_per_question,
                i.current_index,
                i.created_at,
                i.started_at,
                i.finished_at,
                i.timer_elapsed,
                i.timer_running_since
            ],
        )?;
        for (position, q) in i.questions.iter().enumerate() {
            let follow_ups =
                serde_json::to_string(&q.follow_ups).map_err(|e| Error::Import(e.to_string()))?;
            conn.execute(
                "INSERT INTO interview_questions (interview_id, position, topic_id, topic_title,
                     question, model_answer, follow_ups, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![i.id, position as i64, q.topic_id, q.topic_title, q.question, q.model_answer, follow_ups, q.note],
            )?;
            for score in &q.scores {
                conn.execute(
                    "INSERT INTO interview_scores (interview_id, position, criterion, score)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![i.id, position as i64, score.criterion.key(), score.score],
                )?;
            }
        }
    }
    Ok(())
}

fn collect<T>(
    conn: &Connection,
    sql: &str,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut statement = conn.prepare(sql)?;
    let rows = statement.query_map([], map)?;
    Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
}

fn decode_error(column: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, message.into())
}

fn read_progress(conn: &Connection) -> Result<Vec<ProgressRecord>> {
    collect(
        conn,
        "SELECT topic_id, state, drills_passed, drills_total, drills_run_at, last_opened_at,
             last_reviewed_at, updated_at FROM progress ORDER BY topic_id",
        |row| {
            let state: String = row.get(1)?;
            Ok(ProgressRecord {
                topic_id: row.get(0)?,
                state: TopicState::from_key(&state)
                    .ok_or_else(|| decode_error(1, format!("unknown topic state {state:?}")))?,
                drills_passed: row.get(2)?,
                drills_total: row.get(3)?,
                drills_run_at: row.get(4)?,
                last_opened_at: row.get(5)?,
                last_reviewed_at: row.get(6)?,
                updated_at: row.get(7)?,
            })
        },
    )
}

fn read_notes(conn: &Connection) -> Result<Vec<NoteRecord>> {
    Ok(crate::notes::all(conn)?
        .into_iter()
        .map(|note| NoteRecord {
            topic_id: note.topic_id,
            markdown: note.markdown,
            updated_at: note.updated_at.unwrap_or_default(),
        })
        .collect())
}

fn read_cards(conn: &Connection) -> Result<Vec<CardRecord>> {
    collect(
        conn,
        "SELECT id, topic_id, kind, source_key, prompt, prompt_code_lang, answer, answer_code_lang,
             retired, created_at, updated_at, due_at, stability, difficulty, reps, lapses,
             last_review_at FROM cards ORDER BY id",
        |row| {
            let kind: String = row.get(2)?;
            Ok(CardRecord {
                id: row.get(0)?,
                topic_id: row.get(1)?,
                kind: CardKind::from_key(&kind)
                    .ok_or_else(|| decode_error(2, format!("unknown card kind {kind:?}")))?,
                source_key: row.get(3)?,
                prompt: row.get(4)?,
                prompt_code_lang: row.get(5)?,
                answer: row.get(6)?,
                answer_code_lang: row.get(7)?,
                retired: row.get(8)?,
                created_at: row.get(9)?,
                updated_at: row.get(10)?,
                due_at: row.get(11)?,
                stability: row.get(12)?,
                difficulty: row.get(13)?,
                reps: row.get(14)?,
                lapses: row.get(15)?,
                last_review_at: row.get(16)?,
            })
        },
    )
}

fn read_reviews(conn: &Connection) -> Result<Vec<ReviewRecord>> {
    collect(
        conn,
        "SELECT id, card_id, reviewed_at, grade, elapsed_days, stability_before, difficulty_before,
             stability, difficulty, due_at FROM reviews ORDER BY id",
        |row| {
            let rating: u32 = row.get(3)?;
            Ok(ReviewRecord {
                id: row.get(0)?,
                card_id: row.get(1)?,
                reviewed_at: row.get(2)?,
                grade: ReviewGrade::from_rating(rating)
                    .ok_or_else(|| decode_error(3, format!("unknown grade {rating}")))?,
                elapsed_days: row.get(4)?,
                stability_before: row.get(5)?,
                difficulty_before: row.get(6)?,
                stability: row.get(7)?,
                difficulty: row.get(8)?,
                due_at: row.get(9)?,
            })
        },
    )
}

fn read_stories(conn: &Connection) -> Result<Vec<StoryRecord>> {
    collect(
        conn,
        "SELECT id, topic_id, title, situation, task, action, result, created_at, updated_at
         FROM stories ORDER BY id",
        |row| {
            Ok(StoryRecord {
                id: row.get(0)?,
                topic_id: row.get(1)?,
                title: row.get(2)?,
                situation: row.get(3)?,
                task: row.get(4)?,
                action: row.get(5)?,
                result: row.get(6)?,
                created_at: row.get(7)?,
                updated_at: row.get(8)?,
            })
        },
    )
}

fn read_interviews(conn: &Connection) -> Result<Vec<InterviewRecord>> {
    let mut interviews = collect(
        conn,
        "SELECT id, name, preset, seconds_per_question, current_index, created_at, started_at,
             finished_at, timer_elapsed, timer_running_since FROM interviews ORDER BY id",
        |row| {
            let preset: Option<String> = row.get(2)?;
            Ok(InterviewRecord {
                id: row.get(0)?,
                name: row.get(1)?,
                preset: preset.as_deref().and_then(InterviewPreset::from_key),
                seconds_per_question: row.get(3)?,
                current_index: row.get(4)?,
                created_at: row.get(5)?,
                started_at: row.get(6)?,
                finished_at: row.get(7)?,
                timer_elapsed: row.get(8)?,
                timer_running_since: row.get(9)?,
                questions: Vec::new(),
            })
        },
    )?;
    let mut questions = conn.prepare(
        "SELECT position, topic_id, topic_title, question, model_answer, follow_ups, note
         FROM interview_questions WHERE interview_id = ?1 ORDER BY position",
    )?;
    let mut scores = conn.prepare(
        "SELECT criterion, score FROM interview_scores WHERE interview_id = ?1 AND position = ?2
         ORDER BY criterion",
    )?;
    for interview in &mut interviews {
        let rows = questions
            .query_map([interview.id], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, u32>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (position, topic_id, topic_title, question, model_answer, follow_ups, note) in rows {
            let mut question_scores = Vec::new();
            for (criterion, score) in scores
                .query_map(params![interview.id, position], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?
            {
                let criterion =
                    crate::rubric::RubricCriterion::from_key(&criterion).ok_or_else(|| {
                        Error::Invalid(format!(
                            "unknown rubric criterion {criterion:?} in the database"
                        ))
                    })?;
                question_scores.push(CriterionScore { criterion, score });
            }
            question_scores.sort_by_key(|s| s.criterion);
            interview.questions.push(InterviewQuestionRecord {
                topic_id,
                topic_title,
                question,
                model_answer,
                follow_ups: serde_json::from_str(&follow_ups).unwrap_or_default(),
                note,
                scores: question_scores,
            });
        }
    }
    Ok(interviews)
}
