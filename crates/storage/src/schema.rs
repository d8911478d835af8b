//! What the schema endpoint shows (topic 9): the live schema of a backend and the plan of a
//! query chosen from an allowlist.

use serde::{Deserialize, Serialize};

use crate::model::{PostId, UserId};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Mongodb,
}

/// One table, index, collection or view, with its definition as the database reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaObject {
    /// `table`, `index`, `virtual table`, `trigger`, `collection`.
    pub kind: String,
    pub name: String,
    /// The table or collection it belongs to (itself for tables and collections).
    pub on: String,
    /// SQL DDL on SQLite; on MongoDB the index key document and options (or the
    /// collection's validator) as JSON text.
    pub definition: String,
}

/// A backend's schema, read from the live database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaDescription {
    pub backend: Backend,
    pub objects: Vec<SchemaObject>,
}

/// The queries a learner may ask a plan for. An allowlist: no query text from clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case")]
pub enum ExplainTarget {
    /// A live user by email (the unique index).
    UserByEmail { email: String },
    /// An author's newest posts (the `(author_id, created_at)` index).
    PostsByAuthor { author_id: UserId },
    /// Newest posts skipping `offset` rows (offset paging).
    PostsPageByOffset { offset: u64 },
    /// Newest posts older than a keyset position (cursor paging).
    PostsPageAfter { created_at: i64, id: PostId },
    /// Posts whose text matches words (full-text index).
    SearchPosts { text: String },
    /// A post's whole comment tree (recursive query or path index).
    CommentTree { post_id: PostId },
    /// A user's unread notifications (the partial/compound index).
    UnreadNotifications { user_id: UserId },
}

/// A query and how the database would run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryPlan {
    pub backend: Backend,
    /// The query as the backend receives it (SQL with `?` placeholders, or the
    /// find/aggregate command as JSON).
    pub query: String,
    /// The plan, one step per line, indented by nesting (SQLite `EXPLAIN QUERY PLAN`), or
    /// the winning plan's stages (MongoDB `explain()`).
    pub plan: Vec<String>,
    /// Whether the plan reads through an index rather than scanning every row/document.
    pub uses_index: bool,
}
