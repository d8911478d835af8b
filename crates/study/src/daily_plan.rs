//! Today's plan sized to the learner's profile: the flashcards due, a drill to rerun and as
//! many topics as the daily time budget holds, with the days left until the interview and
//! whether that pace covers the topics still to learn.
//!
//! The time each kind of work takes is an estimate ([`REVIEW_SECONDS_PER_CARD`],
//! [`DRILL_MINUTES`], [`TOPIC_MINUTES`]); reviews take at most a third of the budget so
//! new material always gets time.

use serde::Serialize;
use ts_rs::TS;

use crate::db::{Study, UnixSeconds};
use crate::error::Result;
use crate::profile::{CivilDate, StackFocus};
use crate::progress::{ProgressView, TopicState, advancement};

/// How long one flashcard review takes, on average.
pub const REVIEW_SECONDS_PER_CARD: u32 = 45;
/// How long rerunning a topic's drills and fixing what failed takes.
pub const DRILL_MINUTES: u32 = 10;
/// How long a topic takes: the answer, the code and its requests.
pub const TOPIC_MINUTES: u32 = 25;
/// The shortest slot worth opening a topic for.
const MIN_TOPIC_MINUTES: u32 = 10;
/// The least time reviews get when cards are due.
const MIN_REVIEW_MINUTES: u32 = 5;

/// What one plan entry asks the learner to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum PlanItemKind {
    Review,
    Drill,
    Topic,
}

/// One thing to do today and the minutes it is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PlanItem {
    pub kind: PlanItemKind,
    /// The topic to open; `None` for reviews.
    pub topic_id: Option<u32>,
    pub title: String,
    pub minutes: u32,
    /// One short sentence: why, or how to go about it.
    pub detail: String,
}

/// The dashboard's plan for today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DailyPlan {
    /// The learner's date the plan is for, `YYYY-MM-DD`.
    pub today: String,
    pub budget_minutes: u32,
    /// The minutes of all items together; never more than the budget.
    pub planned_minutes: u32,
    pub stack_first: StackFocus,
    pub interview_date: Option<String>,
    /// Days from today to the interview (0 on the day, negative once it has passed);
    /// `None` without a date.
    #[ts(type = "number | null")]
    pub days_left: Option<i64>,
    /// Topics not yet marked confident.
    pub topics_left: u32,
    /// Whether today's pace covers those topics before the interview, in one sentence;
    /// `None` without a date.
    pub pace: Option<String>,
    pub items: Vec<PlanItem>,
}

impl Study {
    /// The plan for the learner's `today`, with reviews counted as due at `now`.
    pub fn daily_plan(&self, today: CivilDate, now: UnixSeconds) -> Result<DailyPlan> {
        let profile = self.profile()?;
        let steps = self.next_steps(now)?;
        let progress = self.progress_all()?;
        let budget = profile.daily_minutes;
        let mut remaining = budget;
        let mut items = Vec::new();

        if steps.reviews_due > 0 {
            let cap_minutes = (budget / 3).max(MIN_REVIEW_MINUTES).min(budget);
            let cards = steps
                .reviews_due
                .min(cap_minutes * 60 / REVIEW_SECONDS_PER_CARD)
                .max(1);
            let minutes = (cards * REVIEW_SECONDS_PER_CARD)
                .div_ceil(60)
                .min(remaining);
            let detail = if cards < steps.reviews_due {
                format!(
                    "{cards} of the {} cards due; the rest wait for tomorrow",
                    steps.reviews_due
                )
            } else if cards == 1 {
                "1 card due".to_owned()
            } else {
                format!("{cards} cards due")
            };
            items.push(PlanItem {
                kind: PlanItemKind::Review,
                topic_id: None,
                title: "Review flashcards".to_owned(),
                minutes,
                detail,
            });
            remaining -= minutes;
        }

        let mut candidates: Vec<&ProgressView> = progress
            .iter()
            .filter(|topic| topic.state != TopicState::Confident)
            .collect();
        candidates.sort_by(|a, b| {
            advancement(a)
                .total_cmp(&advancement(b))
                .then(a.topic_id.cmp(&b.topic_id))
        });

        if let Some(drill) = &steps.drill_to_run {
            let others_to_study = candidates.iter().any(|t| t.topic_id != drill.topic_id);
            let room = if others_to_study {
                DRILL_MINUTES + MIN_TOPIC_MINUTES
            } else {
                DRILL_MINUTES
            };
            if remaining >= room {
                items.push(PlanItem {
                    kind: PlanItemKind::Drill,
                    topic_id: Some(drill.topic_id),
                    title: drill.title.clone(),
                    minutes: DRILL_MINUTES,
                    detail: drill.reason.clone(),
                });
                remaining -= DRILL_MINUTES;
            }
        }

        let drilled = steps.drill_to_run.as_ref().map(|drill| drill.topic_id);
        for topic in candidates.iter().filter(|t| Some(t.topic_id) != drilled) {
            if remaining < MIN_TOPIC_MINUTES {
                break;
            }
            let minutes = TOPIC_MINUTES.min(remaining);
            items.push(PlanItem {
                kind: PlanItemKind::Topic,
                topic_id: Some(topic.topic_id),
                title: topic.title.clone(),
                minutes,
                detail: topic_detail(topic, profile.stack_first),
            });
            remaining -= minutes;
        }

        let topics_left = u32::try_from(candidates.len()).unwrap_or(u32::MAX);
        let interview = profile
            .interview_date
            .as_deref()
            .and_then(|text| CivilDate::parse(text).ok());
        let days_left = interview.map(|date| today.days_until(date));
        let topics_today = items
            .iter()
            .filter(|item| item.kind == PlanItemKind::Topic)
            .count();
        let pace = days_left.map(|days| pace(days, topics_left, topics_today));
        Ok(DailyPlan {
            today: today.to_string(),
            budget_minutes: budget,
            planned_minutes: budget - remaining,
            stack_first: profile.stack_first,
            interview_date: profile.interview_date,
            days_left,
            topics_left,
            pace,
            items,
        })
    }
}

fn topic_detail(topic: &ProgressView, stack: StackFocus) -> String {
    let read = format!(
        "read the answer, then the {}, and fire its requests",
        stack.implementation()
    );
    match topic.state {
        TopicState::NotStarted => format!("Not started: {read}"),
        _ => match (topic.drills_passed, topic.drills_total) {
            (Some(passed), Some(total)) => {
                format!("Learning, {passed} of {total} drill steps passed: {read}")
            }
            _ => format!("Learning: {read}"),
        },
    }
}

/// Whether studying `topics_today` topics a day covers `topics_left` in `days` days.
fn pace(days: i64, topics_left: u32, topics_today: usize) -> String {
    if days < 0 {
        return "Your interview date has passed; set the next one in Settings.".to_owned();
    }
    if days == 0 {
        return "The interview is today: review what you know rather than start new topics."
            .to_owned();
    }
    if topics_left == 0 {
        return "Every topic is marked confident: keep reviewing until the day.".to_owned();
    }
    let days_word = if days == 1 { "day" } else { "days" };
    let needed = u64::from(topics_left).div_ceil(days.unsigned_abs());
    let fits = u64::try_from(topics_today).unwrap_or(u64::MAX);
    if fits >= needed {
        format!(
            "{topics_left} topics to go in {days} {days_word}: {needed} a day keeps you on track."
        )
    } else {
        format!(
            "{topics_left} topics to go in {days} {days_word} needs {needed} a day, but today's \
             time fits {fits}: a longer daily time would cover them all."
        )
    }
}
