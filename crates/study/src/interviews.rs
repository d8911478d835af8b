//! Mock interviews run by a mentor: the questions (topic interview questions, with their
//! model answers and follow-ups copied in at creation so past interviews stay readable),
//! the current question and its timer, rubric scores and notes per question, and the
//! summary whose weak topics are pushed into the learner's review queue.
//!
//! Two views exist on purpose: [`CandidateView`] carries only what the candidate may see
//! (never the model answer); [`MentorView`] carries everything.

use dojo_content::{Library, SectionKind};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::db::{Study, UnixSeconds};
use crate::error::{Error, Result};
use crate::material::{self, FollowUp};
use crate::rubric::{self, InterviewPreset, RubricCriterion, RubricCriterionView, SCORE_RANGE};

/// Allowed time per question, in seconds.
pub const SECONDS_PER_QUESTION: std::ops::RangeInclusive<u32> = 30..=3600;
/// The longest interview name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Criteria averaging at least this are strengths.
pub const STRENGTH_THRESHOLD: f64 = 3.0;
/// Criteria and questions averaging below this are gaps and topics to review.
pub const GAP_THRESHOLD: f64 = 2.5;
/// The name used when the mentor leaves it blank.
const DEFAULT_NAME: &str = "Mock interview";

/// What a mentor fills in to create an interview: a preset or an explicit list of topics
/// (exactly one of the two).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct InterviewSetup {
    /// The candidate's name or a label for the session.
    pub name: String,
    pub preset: Option<InterviewPreset>,
    /// Topic ids in the order they are asked; empty when a preset is used.
    #[serde(default)]
    pub topic_ids: Vec<u32>,
    pub seconds_per_question: u32,
}

/// Where an interview is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum InterviewStatus {
    NotStarted,
    InProgress,
    Finished,
}

/// The current question's timer, as of the moment the view was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct TimerView {
    pub seconds_per_question: u32,
    /// Seconds spent on the current question.
    #[ts(type = "number")]
    pub elapsed_seconds: i64,
    /// Seconds left; negative once over time.
    #[ts(type = "number")]
    pub remaining_seconds: i64,
    pub running: bool,
    /// The clock time the view was made, so the UI can keep counting from it.
    #[ts(type = "number")]
    pub as_of: UnixSeconds,
}

/// All the candidate window may show: the current question and the timer. Never the
/// model answer, follow-ups, scores or notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct CandidateView {
    #[ts(type = "number")]
    pub interview_id: i64,
    pub status: InterviewStatus,
    /// The question being asked; `None` before the start and after the end.
    pub question: Option<String>,
    /// 0-based position of the current question.
    pub index: u32,
    pub total: u32,
    pub timer: TimerView,
}

/// A follow-up question the mentor can ask, with its short answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FollowUpView {
    pub question: String,
    pub answer: String,
}

/// One criterion's score for one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CriterionScore {
    pub criterion: RubricCriterion,
    pub score: u32,
}

/// A question as the mentor sees it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct MentorQuestion {
    /// 0-based position in the interview.
    pub position: u32,
    pub topic_id: u32,
    pub topic_title: String,
    pub question: String,
    /// The topic's interview answer (Markdown) when the interview was created.
    pub model_answer: String,
    pub follow_ups: Vec<FollowUpView>,
    /// Scores given so far, in rubric order.
    pub scores: Vec<CriterionScore>,
    pub note: String,
    /// Mean of the scores given; `None` before any.
    pub average: Option<f64>,
}

/// Everything the mentor window shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct MentorView {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub preset: Option<InterviewPreset>,
    pub status: InterviewStatus,
    /// 0-based position of the current question.
    pub current_index: u32,
    pub total: u32,
    pub timer: TimerView,
    pub rubric: Vec<RubricCriterionView>,
    pub questions: Vec<MentorQuestion>,
    #[ts(type = "number")]
    pub created_at: UnixSeconds,
    #[ts(type = "number | null")]
    pub started_at: Option<UnixSeconds>,
    #[ts(type = "number | null")]
    pub finished_at: Option<UnixSeconds>,
}

/// One criterion's average over the interview.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CriterionAverage {
    pub criterion: RubricCriterion,
    /// `None` when no answer was scored on it.
    pub average: Option<f64>,
    /// How many answers were scored on it.
    pub scored: u32,
}

/// A topic whose answer averaged below [`GAP_THRESHOLD`].
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct TopicToReview {
    pub topic_id: u32,
    pub title: String,
    pub average: f64,
}

/// The end-of-interview report.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct InterviewSummary {
    #[ts(type = "number")]
    pub interview_id: i64,
    pub name: String,
    pub status: InterviewStatus,
    /// Mean of every score given; `None` before any.
    pub overall_average: Option<f64>,
    /// In rubric order.
    pub criteria: Vec<CriterionAverage>,
    /// Criteria averaging at least [`STRENGTH_THRESHOLD`].
    pub strengths: Vec<RubricCriterion>,
    /// Criteria averaging below [`GAP_THRESHOLD`].
    pub gaps: Vec<RubricCriterion>,
    /// Topics whose answers averaged below [`GAP_THRESHOLD`]; when the interview finishes,
    /// their cards are made due for review.
    pub topics_to_review: Vec<TopicToReview>,
    /// Each question's average, in order.
    pub questions: Vec<QuestionAverage>,
}

/// One question's average in a summary.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct QuestionAverage {
    pub position: u32,
    pub topic_id: u32,
    pub topic_title: String,
    pub average: Option<f64>,
}

/// A past or current interview in the list, comparable over time.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct InterviewListItem {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub preset: Option<InterviewPreset>,
    pub status: InterviewStatus,
    pub question_count: u32,
    pub overall_average: Option<f64>,
    #[ts(type = "number")]
    pub created_at: UnixSeconds,
    #[ts(type = "number | null")]
    pub started_at: Option<UnixSeconds>,
    #[ts(type = "number | null")]
    pub finished_at: Option<UnixSeconds>,
}

/// An interview row.
struct Session {
    id: i64,
    name: String,
    preset: Option<InterviewPreset>,
    seconds_per_question: u32,
    current_index: u32,
    created_at: UnixSeconds,
    started_at: Option<UnixSeconds>,
    finished_at: Option<UnixSeconds>,
    timer_elapsed: i64,
    timer_running_since: Option<UnixSeconds>,
}

impl Session {
    fn status(&self) -> InterviewStatus {
        match (self.started_at, self.finished_at) {
            (_, Some(_)) => InterviewStatus::Finished,
            (Some(_), None) => InterviewStatus::InProgress,
            (None, None) => InterviewStatus::NotStarted,
        }
    }

    fn elapsed(&self, now: UnixSeconds) -> i64 {
        let running = self
            .timer_running_since
            .map_or(0, |since| now.saturating_sub(since).max(0));
        self.timer_elapsed.saturating_add(running)
    }

    fn timer(&self, now: UnixSeconds) -> TimerView {
        let elapsed_seconds = self.elapsed(now);
        TimerView {
            seconds_per_question: self.seconds_per_question,
            elapsed_seconds,
            remaining_seconds: i64::from(self.seconds_per_question) - elapsed_seconds,
            running: self.timer_running_since.is_some(),
            as_of: now,
        }
    }

    fn ensure_open(&self) -> Result<()> {
        match self.status() {
            InterviewStatus::Finished => Err(Error::Invalid(format!(
                "interview {} is finished; its scores and questions can no longer change",
                self.id
            ))),
            _ => Ok(()),
        }
    }
}

impl Study {
    /// Creates a mock interview from a preset or a list of topics, copying each topic's
    /// interview question, model answer and follow-ups from `library`.
    pub fn create_interview(
        &self,
        library: &Library,
        setup: &InterviewSetup,
    ) -> Result<MentorView> {
        let topic_ids = chosen_topics(setup)?;
        if !SECONDS_PER_QUESTION.contains(&setup.seconds_per_question) {
            return Err(Error::Invalid(format!(
                "{} seconds per question is outside {} to {}",
                setup.seconds_per_question,
                SECONDS_PER_QUESTION.start(),
                SECONDS_PER_QUESTION.end()
            )));
        }
        let name = match setup.name.trim() {
            "" => DEFAULT_NAME.to_owned(),
            name if name.chars().count() > MAX_NAME_CHARS => {
                return Err(Error::Invalid(format!(
                    "the interview name is longer than {MAX_NAME_CHARS} characters"
                )));
            }
            name => name.to_owned(),
        };
        let mut questions = Vec::new();
        for topic_id in topic_ids {
            let topic = library
                .topics()
                .iter()
                .find(|t| t.front.id == topic_id)
                .ok_or(Error::UnknownTopic(topic_id))?;
            questions.push((
                topic_id,
                topic.front.title.clone(),
                material::interview_question(&topic.front.title),
                material::section_text(topic, SectionKind::InterviewAnswer)
                    .unwrap_or("")
                    .to_owned(),
                serde_json::to_string(&material::follow_ups(topic))
                    .map_err(|error| Error::Invalid(error.to_string()))?,
            ));
        }
        let now = self.now();
        let id = self.write(|tx| {
            tx.execute(
                "INSERT INTO interviews (name, preset, seconds_per_question, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    name,
                    setup.preset.map(InterviewPreset::key),
                    setup.seconds_per_question,
                    now
                ],
            )?;
            let id = tx.last_insert_rowid();
            for (position, (topic_id, title, question, answer, follow_ups)) in
                questions.iter().enumerate()
            {
                tx.execute(
                    "INSERT INTO interview_questions (interview_id, position, topic_id, topic_title,
                         question, model_answer, follow_ups) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![id, position as i64, topic_id, title, question, answer, follow_ups],
                )?;
            }
            Ok(id)
        })?;
        self.mentor_view(id)
    }

    /// Starts the interview at its first question with the timer running. Starting an
    /// interview already under way changes nothing.
    pub fn start_interview(&self, interview_id: i64) -> Result<MentorView> {
        let now = self.now();
        self.write(|tx| {
            let session = load_session(tx, interview_id)?;
            session.ensure_open()?;
            if session.started_at.is_none() {
                tx.execute(
                    "UPDATE interviews SET started_at = ?2, current_index = 0, timer_elapsed = 0,
                         timer_running_since = ?2 WHERE id = ?1",
                    params![interview_id, now],
                )?;
            }
            mentor(tx, interview_id, now)
        })
    }

    /// Moves to the next question and restarts the timer. Fails on the last question: finish
    /// the interview instead.
    pub fn advance_interview(&self, interview_id: i64) -> Result<MentorView> {
        let now = self.now();
        self.write(|tx| {
            let session = load_session(tx, interview_id)?;
            let total = question_count(tx, interview_id)?;
            if session.current_index + 1 >= total {
                return Err(Error::Invalid(format!(
                    "interview {interview_id} is on its last question; finish it instead"
                )));
            }
            move_to(tx, &session, session.current_index + 1, now)?;
            mentor(tx, interview_id, now)
        })
    }

    /// Jumps to the question at 0-based `index` (back or forward) and restarts the timer.
    pub fn go_to_question(&self, interview_id: i64, index: u32) -> Result<MentorView> {
        let now = self.now();
        self.write(|tx| {
            let session = load_session(tx, interview_id)?;
            ensure_position(tx, interview_id, index)?;
            move_to(tx, &session, index, now)?;
            mentor(tx, interview_id, now)
        })
    }

    /// Stops the current question's timer.
    pub fn pause_timer(&self, interview_id: i64) -> Result<MentorView> {
        let now = self.now();
        self.write(|tx| {
            let session = load_session(tx, interview_id)?;
            session.ensure_open()?;
            if session.timer_running_since.is_some() {
                tx.execute(
                    "UPDATE interviews SET timer_elapsed = ?2, timer_running_since = NULL WHERE id = ?1",
                    params![interview_id, session.elapsed(now)],
                )?;
            }
            mentor(tx, interview_id, now)
        })
    }

    /// Lets a paused timer run again.
    pub fn resume_timer(&self, interview_id: i64) -> Result<MentorView> {
        let now = self.now();
        self.write(|tx| {
            let session = load_session(tx, interview_id)?;
            session.ensure_open()?;
            if session.started_at.is_none() {
                return Err(Error::Invalid(format!(
                    "interview {interview_id} has not started"
                )));
            }
            if session.timer_running_since.is_none() {
                tx.execute(
                    "UPDATE interviews SET timer_running_since = ?2 WHERE id = ?1",
                    params![interview_id, now],
                )?;
            }
            mentor(tx, interview_id, now)
        })
    }

    /// Scores the answer to the question at 0-based `position` on one criterion, 1 to 4;
    /// a second score replaces the first.
    pub fn score_answer(
        &self,
        interview_id: i64,
        position: u32,
        criterion: RubricCriterion,
        score: u32,
    ) -> Result<MentorView> {
        if !SCORE_RANGE.contains(&score) {
            return Err(Error::Invalid(format!(
                "a rubric score is {} to {}, not {score}",
                SCORE_RANGE.start(),
                SCORE_RANGE.end()
            )));
        }
        let now = self.now();
        self.write(|tx| {
            load_session(tx, interview_id)?.ensure_open()?;
            ensure_position(tx, interview_id, position)?;
            tx.execute(
                "INSERT INTO interview_scores (interview_id, position, criterion, score)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (interview_id, position, criterion) DO UPDATE SET score = excluded.score",
                params![interview_id, position, criterion.key(), score],
            )?;
            mentor(tx, interview_id, now)
        })
    }

    /// Replaces the mentor's note on the question at 0-based `position`.
    pub fn set_interview_note(
        &self,
        interview_id: i64,
        position: u32,
        note: &str,
    ) -> Result<MentorView> {
        if note.len() > crate::notes::MAX_NOTE_BYTES {
            return Err(Error::Invalid(format!(
                "the note is {} bytes; notes are limited to {} bytes",
                note.len(),
                crate::notes::MAX_NOTE_BYTES
            )));
        }
        let now = self.now();
        self.write(|tx| {
            load_session(tx, interview_id)?;
            ensure_position(tx, interview_id, position)?;
            tx.execute(
                "UPDATE interview_questions SET note = ?3 WHERE interview_id = ?1 AND position = ?2",
                params![interview_id, position, note],
            )?;
            mentor(tx, interview_id, now)
        })
    }

    /// Ends the interview, stops the timer and pushes the topics to review into the review
    /// queue: each one's cards become due now (a topic not started becomes learning so its
    /// cards show). Finishing twice returns the same summary and pushes nothing again.
    pub fn finish_interview(&self, interview_id: i64) -> Result<InterviewSummary> {
        let now = self.now();
        self.write(|tx| {
            let session = load_session(tx, interview_id)?;
            if session.finished_at.is_some() {
                return summary(tx, interview_id);
            }
            tx.execute(
                "UPDATE interviews SET finished_at = ?2, started_at = coalesce(started_at, ?2),
                     timer_elapsed = ?3, timer_running_since = NULL WHERE id = ?1",
                params![interview_id, now, session.elapsed(now)],
            )?;
            let report = summary(tx, interview_id)?;
            for topic in &report.topics_to_review {
                crate::progress::start_learning(tx, topic.topic_id, now)?;
                crate::schedule::make_topic_due(tx, topic.topic_id, now)?;
            }
            Ok(report)
        })
    }

    /// The report: averages per criterion and question, strengths, gaps and topics to
    /// review. Available while the interview runs, too.
    pub fn interview_summary(&self, interview_id: i64) -> Result<InterviewSummary> {
        self.read(|conn| summary(conn, interview_id))
    }

    /// What the candidate window shows: the current question and the timer only.
    pub fn candidate_view(&self, interview_id: i64) -> Result<CandidateView> {
        let now = self.now();
        self.read(|conn| {
            let session = load_session(conn, interview_id)?;
            let total = question_count(conn, interview_id)?;
            let status = session.status();
            let question = match status {
                InterviewStatus::InProgress => conn
                    .query_row(
                        "SELECT question FROM interview_questions
                         WHERE interview_id = ?1 AND position = ?2",
                        params![interview_id, session.current_index],
                        |row| row.get(0),
                    )
                    .optional()?,
                _ => None,
            };
            Ok(CandidateView {
                interview_id,
                status,
                question,
                index: session.current_index,
                total,
                timer: session.timer(now),
            })
        })
    }

    /// What the mentor window shows: every question with its model answer, follow-ups,
    /// scores and notes, the rubric and the timer.
    pub fn mentor_view(&self, interview_id: i64) -> Result<MentorView> {
        let now = self.now();
        self.read(|conn| mentor(conn, interview_id, now))
    }

    /// Every interview, newest first, with its overall average.
    pub fn list_interviews(&self) -> Result<Vec<InterviewListItem>> {
        self.read(|conn| {
            let ids: Vec<i64> = conn
                .prepare_cached("SELECT id FROM interviews ORDER BY created_at DESC, id DESC")?
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut items = Vec::with_capacity(ids.len());
            for id in ids {
                let session = load_session(conn, id)?;
                let overall_average: Option<f64> = conn.query_row(
                    "SELECT avg(score) FROM interview_scores WHERE interview_id = ?1",
                    [id],
                    |row| row.get(0),
                )?;
                items.push(InterviewListItem {
                    id,
                    status: session.status(),
                    question_count: question_count(conn, id)?,
                    overall_average,
                    name: session.name,
                    preset: session.preset,
                    created_at: session.created_at,
                    started_at: session.started_at,
                    finished_at: session.finished_at,
                });
            }
            Ok(items)
        })
    }

    /// Deletes an interview with its scores and notes.
    pub fn delete_interview(&self, interview_id: i64) -> Result<()> {
        self.write(|tx| {
            match tx.execute("DELETE FROM interviews WHERE id = ?1", [interview_id])? {
                0 => Err(Error::InterviewNotFound(interview_id)),
                _ => Ok(()),
            }
        })
    }
}

/// The topic ids an interview setup asks for, checked.
fn chosen_topics(setup: &InterviewSetup) -> Result<Vec<u32>> {
    let ids = match (setup.preset, setup.topic_ids.is_empty()) {
        (Some(preset), true) => preset.topic_ids().to_vec(),
        (None, false) => setup.topic_ids.clone(),
        (Some(_), false) => {
            return Err(Error::Invalid(
                "choose a preset or a list of topics, not both".to_owned(),
            ));
        }
        (None, true) => {
            return Err(Error::Invalid(
                "choose a preset or at least one topic".to_owned(),
            ));
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = ids.iter().find(|id| !seen.insert(**id)) {
        return Err(Error::Invalid(format!("topic {twice} is listed twice")));
    }
    Ok(ids)
}

fn move_to(conn: &Connection, session: &Session, index: u32, now: UnixSeconds) -> Result<()> {
    session.ensure_open()?;
    if session.started_at.is_none() {
        return Err(Error::Invalid(format!(
            "interview {} has not started",
            session.id
        )));
    }
    conn.execute(
        "UPDATE interviews SET current_index = ?2, timer_elapsed = 0, timer_running_since = ?3
         WHERE id = ?1",
        params![session.id, index, now],
    )?;
    Ok(())
}

fn ensure_position(conn: &Connection, interview_id: i64, position: u32) -> Result<()> {
    let total = question_count(conn, interview_id)?;
    if position >= total {
        let questions = if total == 1 { "question" } else { "questions" };
        return Err(Error::Invalid(format!(
            "interview {interview_id} has {total} {questions}; there is no question {position} \
             (positions start at 0)"
        )));
    }
    Ok(())
}

fn question_count(conn: &Connection, interview_id: i64) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM interview_questions WHERE interview_id = ?1",
        [interview_id],
        |row| row.get(0),
    )?)
}

fn load_session(conn: &Connection, interview_id: i64) -> Result<Session> {
    conn.query_row(
        "SELECT id, name, preset, seconds_per_question, current_index, created_at, started_at,
             finished_at, timer_elapsed, timer_running_since FROM interviews WHERE id = ?1",
        [interview_id],
        |row| {
            let preset: Option<String> = row.get(2)?;
            Ok(Session {
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
            })
        },
    )
    .optional()?
    .ok_or(Error::InterviewNotFound(interview_id))
}

fn load_questions(conn: &Connection, interview_id: i64) -> Result<Vec<MentorQuestion>> {
    let mut statement = conn.prepare_cached(
        "SELECT position, topic_id, topic_title, question, model_answer, follow_ups, note
         FROM interview_questions WHERE interview_id = ?1 ORDER BY position",
    )?;
    let rows = statement
        .query_map([interview_id], |row| {
            Ok((
                row.get::<_, u32>(0)?,
                row.get::<_, u32>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut scores_of = conn.prepare_cached(
        "SELECT criterion, score FROM interview_scores WHERE interview_id = ?1 AND position = ?2",
    )?;
    let mut questions = Vec::with_capacity(rows.len());
    for (position, topic_id, topic_title, question, model_answer, follow_ups, note) in rows {
        let follow_ups: Vec<FollowUp> = serde_json::from_str(&follow_ups).unwrap_or_default();
        let mut scores: Vec<CriterionScore> = scores_of
            .query_map(params![interview_id, position], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter_map(|(key, score)| {
                RubricCriterion::from_key(&key).map(|criterion| CriterionScore { criterion, score })
            })
            .collect();
        scores.sort_by_key(|s| s.criterion);
        questions.push(MentorQuestion {
            position,
            topic_id,
            topic_title,
            question,
            model_answer,
            follow_ups: follow_ups
                .into_iter()
                .map(|f| FollowUpView {
                    question: f.question,
                    answer: f.answer,
                })
                .collect(),
            average: mean(scores.iter().map(|s| s.score)),
            scores,
            note,
        });
    }
    Ok(questions)
}

fn mentor(conn: &Connection, interview_id: i64, now: UnixSeconds) -> Result<MentorView> {
    let session = load_session(conn, interview_id)?;
    let questions = load_questions(conn, interview_id)?;
    Ok(MentorView {
        id: session.id,
        status: session.status(),
        current_index: session.current_index,
        total: questions.len() as u32,
        timer: session.timer(now),
        rubric: rubric::rubric(),
        questions,
        preset: session.preset,
        created_at: session.created_at,
        started_at: session.started_at,
        finished_at: session.finished_at,
        name: session.name,
    })
}

fn summary(conn: &Connection, interview_id: i64) -> Result<InterviewSummary> {
    let session = load_session(conn, interview_id)?;
    let questions = load_questions(conn, interview_id)?;
    let criteria: Vec<CriterionAverage> = RubricCriterion::ALL
        .into_iter()
        .map(|criterion| {
            let scores: Vec<u32> = questions
                .iter()
                .flat_map(|q| &q.scores)
                .filter(|s| s.criterion == criterion)
                .map(|s| s.score)
                .collect();
            CriterionAverage {
                criterion,
                scored: scores.len() as u32,
                average: mean(scores.into_iter()),
            }
        })
        .collect();
    let pick = |keep: fn(f64) -> bool| -> Vec<RubricCriterion> {
        criteria
            .iter()
            .filter(|c| c.average.is_some_and(keep))
            .map(|c| c.criterion)
            .collect()
    };
    let strengths = pick(|average| average >= STRENGTH_THRESHOLD);
    let gaps = pick(|average| average < GAP_THRESHOLD);
    let topics_to_review = questions
        .iter()
        .filter_map(|q| {
            q.average
                .filter(|a| *a < GAP_THRESHOLD)
                .map(|average| TopicToReview {
                    topic_id: q.topic_id,
                    title: q.topic_title.clone(),
                    average,
                })
        })
        .collect();
    Ok(InterviewSummary {
        interview_id,
        status: session.status(),
        overall_average: mean(questions.iter().flat_map(|q| &q.scores).map(|s| s.score)),
        criteria,
        strengths,
        gaps,
        topics_to_review,
        questions: questions
            .iter()
            .map(|q| QuestionAverage {
                position: q.position,
                topic_id: q.topic_id,
                topic_title: q.topic_title.clone(),
                average: q.average,
            })
            .collect(),
        name: session.name,
    })
}

fn mean(scores: impl Iterator<Item = u32>) -> Option<f64> {
    let (sum, count) = scores.fold((0u64, 0u64), |(sum, count), s| {
        (sum + u64::from(s), count + 1)
    });
    (count > 0).then(|| sum as f64 / count as f64)
}
