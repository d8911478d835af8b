//! The learner's own STAR stories per topic, and the check that each has a situation,
//! task, action and a measurable result. Drafts are saved whatever the check says; the
//! check comes back with every saved story.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog::ensure_topic;
use crate::db::{Study, UnixSeconds};
use crate::error::{Error, Result};

/// Fewer words than this in a STAR part is reported as too thin.
pub const MIN_PART_WORDS: usize = 5;
/// The longest text one story field accepts, in bytes.
pub const MAX_STORY_FIELD_BYTES: usize = 20_000;

/// A story as the learner is writing it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StoryDraft {
    pub topic_id: u32,
    pub title: String,
    pub situation: String,
    pub task: String,
    pub action: String,
    pub result: String,
}

/// The field of a story an issue is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum StoryPart {
    Title,
    Situation,
    Task,
    Action,
    Result,
}

/// Something a story still lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct StoryIssue {
    pub part: StoryPart,
    /// What to fix, in one sentence.
    pub message: String,
}

/// A saved story with the result of its check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct StoryView {
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
    /// Empty when the story passes the check.
    pub issues: Vec<StoryIssue>,
}

/// What a STAR story still lacks: a title, each part present with at least
/// [`MIN_PART_WORDS`] words, and a result with a number in it.
pub fn check_story(draft: &StoryDraft) -> Vec<StoryIssue> {
    let mut issues = Vec::new();
    if draft.title.trim().is_empty() {
        issues.push(StoryIssue {
            part: StoryPart::Title,
            message: "Give the story a short title.".to_owned(),
        });
    }
    let parts = [
        (StoryPart::Situation, "situation", &draft.situation),
        (StoryPart::Task, "task", &draft.task),
        (StoryPart::Action, "action", &draft.action),
        (StoryPart::Result, "result", &draft.result),
    ];
    for (part, name, text) in parts {
        let words = text.split_whitespace().count();
        let message = match words {
            0 => format!("The {name} is missing."),
            n if n < MIN_PART_WORDS => format!(
                "The {name} has {n} word{}; say it in at least {MIN_PART_WORDS}.",
                if n == 1 { "" } else { "s" }
            ),
            _ => continue,
        };
        issues.push(StoryIssue { part, message });
    }
    let result = draft.result.trim();
    if !result.is_empty() && !result.chars().any(|c| c.is_numeric()) {
        issues.push(StoryIssue {
            part: StoryPart::Result,
            message: "The result is not measurable: add a number (a percentage, a time, a count)."
                .to_owned(),
        });
    }
    issues
}

const STORY_COLUMNS: &str =
    "id, topic_id, title, situation, task, action, result, created_at, updated_at";

impl Study {
    /// Saves a new story (drafts are welcome) and returns it with its check.
    pub fn save_story(&self, draft: &StoryDraft) -> Result<StoryView> {
        check_sizes(draft)?;
        let now = self.now();
        self.write(|tx| {
            ensure_topic(tx, draft.topic_id)?;
            tx.execute(
                "INSERT INTO stories (topic_id, title, situation, task, action, result, created_at,
                     updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![
                    draft.topic_id,
                    draft.title.trim(),
                    draft.situation.trim(),
                    draft.task.trim(),
                    draft.action.trim(),
                    draft.result.trim(),
                    now
                ],
            )?;
            load(tx, tx.last_insert_rowid())
        })
    }

    /// Replaces a story's fields (it may move to another topic).
    pub fn update_story(&self, story_id: i64, draft: &StoryDraft) -> Result<StoryView> {
        check_sizes(draft)?;
        let now = self.now();
        self.write(|tx| {
            ensure_topic(tx, draft.topic_id)?;
            let changed = tx.execute(
                "UPDATE stories SET topic_id = ?2, title = ?3, situation = ?4, task = ?5,
                     action = ?6, result = ?7, updated_at = ?8 WHERE id = ?1",
                params![
                    story_id,
                    draft.topic_id,
                    draft.title.trim(),
                    draft.situation.trim(),
                    draft.task.trim(),
                    draft.action.trim(),
                    draft.result.trim(),
                    now
                ],
            )?;
            if changed == 0 {
                return Err(Error::StoryNotFound(story_id));
            }
            load(tx, story_id)
        })
    }

    /// Deletes a story.
    pub fn delete_story(&self, story_id: i64) -> Result<()> {
        self.write(
            |tx| match tx.execute("DELETE FROM stories WHERE id = ?1", [story_id])? {
                0 => Err(Error::StoryNotFound(story_id)),
                _ => Ok(()),
            },
        )
    }

    /// One story.
    pub fn story(&self, story_id: i64) -> Result<StoryView> {
        self.read(|conn| load(conn, story_id))
    }

    /// A topic's stories, oldest first.
    pub fn topic_stories(&self, topic_id: u32) -> Result<Vec<StoryView>> {
        self.read(|conn| list(conn, Some(topic_id)))
    }

    /// Every story, by topic then age.
    pub fn stories_all(&self) -> Result<Vec<StoryView>> {
        self.read(|conn| list(conn, None))
    }
}

fn check_sizes(draft: &StoryDraft) -> Result<()> {
    let fields = [
        ("title", &draft.title),
        ("situation", &draft.situation),
        ("task", &draft.task),
        ("action", &draft.action),
        ("result", &draft.result),
    ];
    match fields
        .iter()
        .find(|(_, text)| text.len() > MAX_STORY_FIELD_BYTES)
    {
        Some((name, text)) => Err(Error::Invalid(format!(
            "the story's {name} is {} bytes; the limit is {MAX_STORY_FIELD_BYTES}",
            text.len()
        ))),
        None => Ok(()),
    }
}

fn load(conn: &Connection, story_id: i64) -> Result<StoryView> {
    conn.query_row(
        &format!("SELECT {STORY_COLUMNS} FROM stories WHERE id = ?1"),
        [story_id],
        from_row,
    )
    .optional()?
    .ok_or(Error::StoryNotFound(story_id))
}

fn list(conn: &Connection, topic_id: Option<u32>) -> Result<Vec<StoryView>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {STORY_COLUMNS} FROM stories WHERE ?1 IS NULL OR topic_id = ?1
         ORDER BY topic_id, created_at, id"
    ))?;
    let rows = statement.query_map([topic_id], from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<StoryView> {
    let draft = StoryDraft {
        topic_id: row.get(1)?,
        title: row.get(2)?,
        situation: row.get(3)?,
        task: row.get(4)?,
        action: row.get(5)?,
        result: row.get(6)?,
    };
    let issues = check_story(&draft);
    Ok(StoryView {
        id: row.get(0)?,
        topic_id: draft.topic_id,
        title: draft.title,
        situation: draft.situation,
        task: draft.task,
        action: draft.action,
        result: draft.result,
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
        issues,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> StoryDraft {
        StoryDraft {
            topic_id: 17,
            title: "Login brute force".into(),
            situation: "Our login endpoint was hammered by a credential stuffing bot.".into(),
            task: "Stop the attack without locking out real users.".into(),
            action: "Added a per-account and per-IP token bucket in Redis.".into(),
            result: "Failed logins dropped by 97% within a day.".into(),
        }
    }

    #[test]
    fn a_complete_story_has_no_issues() {
        assert_eq!(check_story(&complete()), vec![]);
    }

    #[test]
    fn missing_thin_and_unmeasurable_parts_are_each_reported() {
        let draft = StoryDraft {
            title: "  ".into(),
            task: "Fix it".into(),
            action: String::new(),
            result: "Everyone was much happier afterwards, truly.".into(),
            ..complete()
        };
        let parts: Vec<(StoryPart, String)> = check_story(&draft)
            .into_iter()
            .map(|i| (i.part, i.message))
            .collect();
        assert_eq!(
            parts,
            vec![
                (StoryPart::Title, "Give the story a short title.".to_owned()),
                (
                    StoryPart::Task,
                    "The task has 2 words; say it in at least 5.".to_owned()
                ),
                (StoryPart::Action, "The action is missing.".to_owned()),
                (
                    StoryPart::Result,
                    "The result is not measurable: add a number (a percentage, a time, a count)."
                        .to_owned()
                ),
            ]
        );
    }
}
