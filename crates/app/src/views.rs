//! What the UI receives. TypeScript types for these are generated into `ui/src/bindings`
//! by `cargo test` (ts-rs), so the two sides never drift.

use serde::Serialize;
use ts_rs::TS;

use dojo_content::Topic;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TopicSummary {
    pub id: u32,
    pub slug: String,
    pub title: String,
    /// Group key: auth, data, middleware, realtime, testing-ops, addons.
    pub group: String,
    pub tags: Vec<String>,
    /// junior, mid or senior.
    pub difficulty: String,
    /// outline or complete.
    pub status: String,
}

impl From<&Topic> for TopicSummary {
    fn from(topic: &Topic) -> Self {
        let front = &topic.front;
        TopicSummary {
            id: front.id,
            slug: front.slug.clone(),
            title: front.title.clone(),
            group: front.group.key().to_owned(),
            tags: front.tags.clone(),
            difficulty: front.difficulty.key().to_owned(),
            status: front.status.key().to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct GroupView {
    pub key: String,
    pub title: String,
    pub topics: Vec<TopicSummary>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TopicIndex {
    pub groups: Vec<GroupView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SectionView {
    /// Stable key: answer, star, key-points, follow-ups, pitfalls, express, rust, ...
    pub key: String,
    pub title: String,
    /// Rendered, safe to insert: raw HTML in the source is escaped.
    pub html: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TopicView {
    pub summary: TopicSummary,
    pub group_title: String,
    pub sections: Vec<SectionView>,
    /// The "Try it" requests, in order, templates unresolved.
    pub try_it: Vec<TryRequest>,
    /// `@name = value` variables defined in the topic's `.http` blocks.
    pub http_variables: Vec<(String, String)>,
}

/// One request of a topic's "Try it" section.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TryRequest {
    pub index: u32,
    pub title: Option<String>,
    /// `# @name`: later requests can use this one's response.
    pub name: Option<String>,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}
