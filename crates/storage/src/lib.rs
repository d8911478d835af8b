//! Storage for the sandbox's data suite (topics 8-13, 26, 28, 31): one trait per
//! aggregate ([`stores`]), implemented on SQLite (the default) and on MongoDB, both held by
//! one [`Storage`].
//!
//! The domain types are in [`model`], paging and the allowlisted post queries in [`query`],
//! the JSON filter language of the operator-injection lesson in [`filter`], the seed data in
//! [`seed`].

pub mod analytics;
pub mod error;
pub mod filter;
pub mod model;
pub mod mongo;
pub mod query;
pub mod schema;
pub mod seed;
pub mod sqlite;
pub mod stores;

use std::sync::Arc;

pub use error::{StoreError, StoreResult};
pub use schema::Backend;
pub use stores::{
    AnalyticsStore, BoxFuture, CommentStore, NotificationStore, OrderStore, PostStore, SchemaStore,
    UserStore,
};

/// Every store of one backend. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Storage {
    pub backend: Backend,
    pub users: Arc<dyn UserStore>,
    pub posts: Arc<dyn PostStore>,
    pub comments: Arc<dyn CommentStore>,
    pub notifications: Arc<dyn NotificationStore>,
    pub orders: Arc<dyn OrderStore>,
    pub analytics: Arc<dyn AnalyticsStore>,
    pub schema: Arc<dyn SchemaStore>,
}

impl Storage {
    /// Puts every aggregate back to the seed (see [`seed`]), with `posts` generated posts.
    /// Order matters: users first (resetting them clears notifications), posts before
    /// comments (regenerating posts clears comments).
    pub async fn reset_all(&self, password_hash: &str, posts: u64) -> StoreResult<()> {
        self.users.reset(seed::users(password_hash)).await?;
        self.posts.regenerate(posts).await?;
        self.comments.reset(seed::comments()).await?;
        self.notifications.reset(seed::notifications()).await?;
        self.orders.reset(seed::orders()).await
    }
}
