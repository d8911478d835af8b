//! Progress per topic (not started, learning, confident; drill results; when it was last
//! opened and reviewed) and the daily plan the dashboard shows.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog::ensure_topic;
use crate::db::{Study, UnixSeconds};
use crate::error::{Error, Result};

/// How far a learner says they are with a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum TopicState {
    /// Never opened.
    NotStarted,
    /// Opened, drilled or reviewed, but not yet marked confident.
    Learning,
    /// Marked confident by the learner; a failed review moves it back to learning.
    Confident,
}

impl TopicState {
    /// The stored and serialized name: `not-started`, `learning`, `confident`.
    pub fn key(self) -> &'static str {
        match self {
            TopicState::NotStarted => "not-started",
            TopicState::Learning => "learning",
            TopicState::Confident => "confident",
        }
    }

    /// The state named by [`TopicState::key`].
    pub fn from_key(key: &str) -> Option<TopicState> {
        [
            TopicState::NotStarted,
            TopicState::Learning,
            TopicState::Confident,
        ]
        .into_iter()
        .find(|state| state.key() == key)
    }
}

/// One topic's progress, for the dashboard grid and the topic sidebar.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProgressView {
    pub topic_id: u32,
    pub title: String,
    /// Group key: auth, data, middleware, realtime, testing-ops, addons.
    pub group: String,
    pub state: TopicState,
    /// How many drills the topic has in the library.
    pub drill_count: u32,
    /// Steps passed in the last drill run; `None` before the first run.
    pub drills_passed: Option<u32>,
    /// Steps in the last drill run; `None` before the first run.
    pub drills_total: Option<u32>,
    #[ts(type = "number | null")]
    pub drills_run_at: Option<UnixSeconds>,
    #[ts(type = "number | null")]
    pub last_opened_at: Option<UnixSeconds>,
    #[ts(type = "number | null")]
    pub last_reviewed_at: Option<UnixSeconds>,
}

/// A topic the plan suggests, with why.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PlanStep {
    pub topic_id: u32,
    pub title: String,
    pub state: TopicState,
    /// One short sentence for the dashboard, e.g. "2 of 5 drill steps passed last run".
    pub reason: String,
}

/// What to do next: the dashboard's "today" box.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct StudyPlan {
    /// Flashcards due for review now.
    pub reviews_due: u32,
    /// The topic to study next: the least advanced topic not yet confident, lowest id first.
    pub next_topic: Option<PlanStep>,
    /// A topic being learned whose drills have not all passed.
    pub drill_to_run: Option<PlanStep>,
}

const PROGRESS_SELECT: &str = "SELECT t.id, t.title, t.group_key, t.drill_count, p.state,
    p.drills_passed, p.drills_total, p.drills_run_at, p.last_opened_at, p.last_reviewed_at
    FROM topics t LEFT JOIN progress p ON p.topic_id = t.id";

impl Study {
    /// Records that the learner opened a topic: not started becomes learning.
    pub fn touch_topic(&self, topic_id: u32) -> Result<ProgressView> {
        let now = self.now();
        self.write(|tx| {
            ensure_topic(tx, topic_id)?;
            start_learning(tx, topic_id, now)?;
            tx.execute(
                "UPDATE progress SET last_opened_at = ?2, updated_at = ?2 WHERE topic_id = ?1",
                params![topic_id, now],
            )?;
            load(tx, topic_id)
        })
    }

    /// Sets a topic's state as the learner chose it (typically to confident).
    pub fn set_topic_state(&self, topic_id: u32, state: TopicState) -> Result<ProgressView> {
        let now = self.now();
        self.write(|tx| {
            ensure_topic(tx, topic_id)?;
            ensure_row(tx, topic_id, now)?;
            tx.execute(
                "UPDATE progress SET state = ?2, updated_at = ?3 WHERE topic_id = ?1",
                params![topic_id, state.key(), now],
            )?;
            load(tx, topic_id)
        })
    }

    /// Stores the result of a drill run: `passed` of `total` steps. A topic not started
    /// yet becomes learning.
    pub fn record_drill_run(&self, topic_id: u32, passed: u32, total: u32) -> Result<ProgressView> {
        if passed > total {
            return Err(Error::Invalid(format!(
                "a drill run cannot pass {passed} of only {total} steps"
            )));
        }
        let now = self.now();
        self.write(|tx| {
            ensure_topic(tx, topic_id)?;
            start_learning(tx, topic_id, now)?;
            tx.execute(
                "UPDATE progress SET drills_passed = ?2, drills_total = ?3, drills_run_at = ?4,
                     updated_at = ?4 WHERE topic_id = ?1",
                params![topic_id, passed, total, now],
            )?;
            load(tx, topic_id)
        })
    }

    /// One topic's progress.
    pub fn progress(&self, topic_id: u32) -> Result<ProgressView> {
        self.read(|conn| load(conn, topic_id))
    }

    /// Every catalogue topic's progress, by id; topics never touched are not started.
    pub fn progress_all(&self) -> Result<Vec<ProgressView>> {
        self.read(all)
    }

    /// The daily plan: reviews due at `now`, the next topic to study and a drill to run.
    pub fn next_steps(&self, now: UnixSeconds) -> Result<StudyPlan> {
        self.read(|conn| {
            let reviews_due = crate::schedule::count_due(conn, now)?;
            let topics = all(conn)?;
            Ok(StudyPlan {
                reviews_due,
                next_topic: next_topic(&topics),
                drill_to_run: drill_to_run(&topics),
            })
        })
    }
}

/// Creates the topic's progress row when missing, as not started.
fn ensure_row(conn: &Connection, topic_id: u32, now: UnixSeconds) -> Result<()> {
    conn.execute(
        "INSERT INTO progress (topic_id, updated_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![topic_id, now],
    )?;
    Ok(())
}

/// Moves a topic that is not started to learning; other states stay.
pub(crate) fn start_learning(conn: &Connection, topic_id: u32, now: UnixSeconds) -> Result<()> {
    ensure_row(conn, topic_id, now)?;
    conn.execute(
        "UPDATE progress SET state = 'learning', updated_at = ?2
         WHERE topic_id = ?1 AND state = 'not-started'",
        params![topic_id, now],
    )?;
    Ok(())
}

/// Records a flashcard review of one of the topic's cards; a failed one ("again") moves a
/// confident topic back to learning.
pub(crate) fn record_review(
    conn: &Connection,
    topic_id: u32,
    now: UnixSeconds,
    failed: bool,
) -> Result<()> {
    ensure_row(conn, topic_id, now)?;
    conn.execute(
        "UPDATE progress SET last_reviewed_at = ?2, updated_at = ?2,
             state = CASE WHEN ?3 AND state = 'confident' THEN 'learning' ELSE state END
         WHERE topic_id = ?1",
        params![topic_id, now, failed],
    )?;
    Ok(())
}

fn load(conn: &Connection, topic_id: u32) -> Result<ProgressView> {
    conn.query_row(
        &format!("{PROGRESS_SELECT} WHERE t.id = ?1"),
        [topic_id],
        from_row,
    )
    .optional()?
    .ok_or(Error::UnknownTopic(topic_id))
}

fn all(conn: &Connection) -> Result<Vec<ProgressView>> {
    let mut statement = conn.prepare_cached(&format!("{PROGRESS_SELECT} ORDER BY t.id"))?;
    let rows = statement.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ProgressView> {
    let state: Option<String> = row.get(4)?;
    Ok(ProgressView {
        topic_id: row.get(0)?,
        title: row.get(1)?,
        group: row.get(2)?,
        drill_count: row.get(3)?,
        state: state
            .as_deref()
            .and_then(TopicState::from_key)
            .unwrap_or(TopicState::NotStarted),
        drills_passed: row.get(5)?,
        drills_total: row.get(6)?,
        drills_run_at: row.get(7)?,
        last_opened_at: row.get(8)?,
        last_reviewed_at: row.get(9)?,
    })
}

/// How far along a topic is, for ordering: not started < learning (by drill pass rate)
/// < confident.
pub(crate) fn advancement(topic: &ProgressView) -> f64 {
    match topic.state {
        TopicState::NotStarted => 0.0,
        TopicState::Learning => 1.0 + drill_pass_rate(topic).unwrap_or(0.0),
        TopicState::Confident => 3.0,
    }
}

fn drill_pass_rate(topic: &ProgressView) -> Option<f64> {
    match (topic.drills_passed, topic.drills_total) {
        (Some(passed), Some(total)) if total > 0 => Some(f64::from(passed) / f64::from(total)),
        _ => None,
    }
}

fn next_topic(topics: &[ProgressView]) -> Option<PlanStep> {
    let chosen = topics
        .iter()
        .filter(|t| t.state != TopicState::Confident)
        .min_by(|a, b| {
            advancement(a)
                .total_cmp(&advancement(b))
                .then(a.topic_id.cmp(&b.topic_id))
        })?;
    let reason = match chosen.state {
        TopicState::NotStarted => "Not started yet".to_owned(),
        _ => match (chosen.drills_passed, chosen.drills_total) {
            (Some(passed), Some(total)) => {
                format!("Learning: {passed} of {total} drill steps passed last run")
            }
            _ => "Learning: not yet marked confident".to_owned(),
        },
    };
    Some(step(chosen, reason))
}

fn drill_to_run(topics: &[ProgressView]) -> Option<PlanStep> {
    topics
        .iter()
        .filter(|t| t.state == TopicState::Learning && t.drill_count > 0)
        .find_map(|t| match (t.drills_passed, t.drills_total) {
            (None, _) | (_, None) => Some(step(t, "Its drills have not been run yet".to_owned())),
            (Some(passed), Some(total)) if passed < total => Some(step(
                t,
                format!("{passed} of {total} drill steps passed last run"),
            )),
            _ => None,
        })
}

fn step(topic: &ProgressView, reason: String) -> PlanStep {
    PlanStep {
        topic_id: topic.topic_id,
        title: topic.title.clone(),
        state: topic.state,
        reason,
    }
}
