//! The learner's STAR stories on a topic page: list, add, edit, delete, and the check that
//! each part is there and the result is measurable. Drafts save whatever the check says;
//! the `study` crate stores them and runs the check.

use serde::Deserialize;
use ts_rs::TS;

use dojo_study::{StoryDraft, StoryIssue, StoryView};

use crate::{Dojo, Error, Result};

/// The five fields of a story as the form sends them; the topic comes from the address.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
pub struct StoryFields {
    pub title: String,
    pub situation: String,
    pub task: String,
    pub action: String,
    pub result: String,
}

impl StoryFields {
    fn draft(&self, topic_id: u32) -> StoryDraft {
        StoryDraft {
            topic_id,
            title: self.title.clone(),
            situation: self.situation.clone(),
            task: self.task.clone(),
            action: self.action.clone(),
            result: self.result.clone(),
        }
    }
}

impl Dojo {
    /// A topic's stories, oldest first, each with what it still lacks.
    pub fn topic_stories(&self, key: &str) -> Result<Vec<StoryView>> {
        Ok(self.study()?.topic_stories(story_topic(self, key)?)?)
    }

    /// Saves a new story on a topic, finished or not.
    pub fn save_story(&self, key: &str, fields: &StoryFields) -> Result<StoryView> {
        let topic_id = story_topic(self, key)?;
        Ok(self.study()?.save_story(&fields.draft(topic_id))?)
    }

    /// Replaces a story's fields; it stays on its topic.
    pub fn update_story(&self, story_id: i64, fields: &StoryFields) -> Result<StoryView> {
        let study = self.study()?;
        let topic_id = study.story(story_id)?.topic_id;
        Ok(study.update_story(story_id, &fields.draft(topic_id))?)
    }

    /// Deletes a story; answers with the stories its topic has left.
    pub fn delete_story(&self, story_id: i64) -> Result<Vec<StoryView>> {
        let study = self.study()?;
        let topic_id = study.story(story_id)?.topic_id;
        study.delete_story(story_id)?;
        Ok(study.topic_stories(topic_id)?)
    }

    /// What a story being written still lacks, without saving it.
    pub fn check_story(&self, fields: &StoryFields) -> Vec<StoryIssue> {
        dojo_study::check_story(&fields.draft(0))
    }
}

/// The id of the topic named by `key` (an id or a slug).
fn story_topic(dojo: &Dojo, key: &str) -> Result<u32> {
    dojo.library
        .get(key)
        .map(|topic| topic.front.id)
        .map_err(|_| Error::TopicNotFound(key.to_owned()))
}
