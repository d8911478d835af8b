//! What the learner brings to an export: their notes and STAR stories, and the record of a
//! mock interview. The app fills these from the study database; this crate only reads them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The learner's own writing, by topic id. Missing topics simply have nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerData {
    /// Free-text notes, shown exactly as written (no markup is interpreted).
    pub notes: BTreeMap<u32, String>,
    /// STAR stories the learner wrote for a topic.
    pub stories: BTreeMap<u32, Vec<Story>>,
}

/// One STAR story: situation, task, action, result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    /// A short name for the story.
    pub title: String,
    /// Where and when it happened.
    pub situation: String,
    /// What had to be done.
    pub task: String,
    /// What the learner did.
    pub action: String,
    /// What came of it, ideally with a number.
    pub result: String,
}

/// A finished mock interview, as the mentor recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterviewReport {
    /// The report's heading, e.g. "Mock interview: backend, mid level".
    pub title: String,
    /// Who was interviewed.
    pub candidate: String,
    /// When, as the app wants it printed (e.g. `2026-03-14`).
    pub date: String,
    /// The questions in the order they were asked.
    pub questions: Vec<InterviewQuestion>,
    /// The mentor's overall verdict.
    pub summary: InterviewSummary,
}

/// One question of a mock interview with its rubric scores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterviewQuestion {
    /// The topic the question came from.
    pub topic_id: u32,
    /// The question as asked.
    pub question: String,
    /// One score per rubric criterion, each from 1 (weak) to 4 (strong).
    pub scores: Vec<RubricScore>,
    /// The mentor's notes on the answer.
    pub notes: String,
}

/// A score on one rubric criterion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RubricScore {
    /// What was judged, e.g. "Correctness" or "Trade-offs".
    pub criterion: String,
    /// 1 to 4.
    pub score: u8,
}

/// The end of a mock interview report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterviewSummary {
    /// What went well.
    pub strengths: String,
    /// What was missing or wrong.
    pub gaps: String,
    /// Topic ids to study next.
    pub topics_to_review: Vec<u32>,
}
