//! One trait per aggregate. Every backend implements all of them and passes the same test
//! suite; the contract of each method is its doc comment.
//!
//! The traits are object safe (`Arc<dyn UserStore>`): async methods return a boxed future
//! ([`BoxFuture`]) and take owned arguments, so an implementation is
//! `Box::pin(async move { ... })` whatever its driver. Common rules:
//! - `reset` methods replace the whole aggregate and assign ids `1..=n` in the order given,
//!   so seeds can refer to rows seeded before them; the next `create` gets `n + 1`.
//! - A `limit` is used as given (callers cap it); `0` answers no rows.
//! - Errors: [`StoreError::NotFound`] only where a method says so (reads answer `None` or an
//!   empty list instead), [`StoreError::Conflict`] for uniqueness, [`StoreError::Invalid`]
//!   for input a query cannot be made from, [`StoreError::Backend`] for everything else.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use crate::analytics::{AuthorPosts, DaySignups, MonthRevenue, Report, TimeRange};
#[cfg(doc)]
use crate::error::StoreError;
use crate::error::StoreResult;
use crate::filter::Filter;
use crate::model::{
    Comment, CommentId, Credentials, Millis, NewComment, NewNotification, NewOrder, NewPost,
    NewUser, Notification, NotificationId, Order, OrderId, OrderStatus, Post, PostId, Scope, User,
    UserId, UserPatch,
};
use crate::query::{Cursor, KeysetPage, OffsetPage, PostFilter, PostSort, SearchHit, SearchQuery};
use crate::schema::{ExplainTarget, QueryPlan, SchemaDescription};

/// What every async store method returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// User accounts (topics 8, 11, 13).
///
/// Soft deletion: a deleted account keeps its row with `deleted_at` set. Unless a method
/// takes a [`Scope`], it sees live accounts only (the default scope). Email uniqueness
/// holds among **live** accounts only: a soft-deleted account's email may be taken by a new
/// account (SQLite: a partial unique index `WHERE deleted_at IS NULL`), and restoring an
/// account whose email a live account now holds fails with `Conflict { field: "email" }`.
/// Emails are compared exactly as stored (callers lowercase them).
pub trait UserStore: Send + Sync + Debug {
    /// Creates a live account. `Conflict { field: "email" }` if a live account has the
    /// email.
    fn create(&self, user: NewUser) -> BoxFuture<'_, StoreResult<User>>;

    /// The account with this id in `scope`, or `None`.
    fn get(&self, id: UserId, scope: Scope) -> BoxFuture<'_, StoreResult<Option<User>>>;

    /// The live account with exactly this email, or `None`.
    fn by_email(&self, email: String) -> BoxFuture<'_, StoreResult<Option<User>>>;

    /// Live accounts matching `filter`, with their password hashes, ordered by id
    /// ascending, at most `limit`. For the login check; the filter may name `password`,
    /// which compares the stored hash (see [`crate::filter`]).
    fn credentials(
        &self,
        filter: Filter,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<Vec<Credentials>>>;

    /// Accounts in `scope` matching `filter`, ordered by id ascending, skipping `offset`;
    /// `total` counts every match in `scope`.
    fn list(
        &self,
        filter: Filter,
        scope: Scope,
        offset: u64,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<OffsetPage<User>>>;

    /// Applies the members of `patch` that are `Some`, and `updated_at`, to a live account.
    /// `NotFound { what: "user" }` if no live account has the id; `Conflict { field:
    /// "email" }` if another live account has the new email.
    fn update(&self, id: UserId, patch: UserPatch) -> BoxFuture<'_, StoreResult<User>>;

    /// Soft-deletes a live account: sets `deleted_at` (and `updated_at`) to `at`.
    /// `NotFound { what: "user" }` if no live account has the id (deleting twice is
    /// NotFound the second time).
    fn soft_delete(&self, id: UserId, at: Millis) -> BoxFuture<'_, StoreResult<User>>;

    /// Restores a soft-deleted account: clears `deleted_at`, sets `updated_at` to `at`.
    /// `NotFound { what: "user" }` if no deleted account has the id; `Conflict { field:
    /// "email" }` if a live account now holds its email (it stays deleted).
    fn restore(&self, id: UserId, at: Millis) -> BoxFuture<'_, StoreResult<User>>;

    /// Hard-deletes every account soft-deleted strictly before `deleted_before`, with their
    /// notifications. Their posts, comments and orders stay (reports then show the author
    /// as unknown). Answers how many accounts were removed.
    fn purge_deleted(&self, deleted_before: Millis) -> BoxFuture<'_, StoreResult<u64>>;

    /// Replaces every account (and so every notification) with `users`, ids `1..=n`.
    fn reset(&self, users: Vec<NewUser>) -> BoxFuture<'_, StoreResult<()>>;
}

/// Posts: the large collection behind paging, filtering, sorting and search (topics 10,
/// 11). A post's comments belong to it: deleting posts deletes their comments.
pub trait PostStore: Send + Sync + Debug {
    /// Creates a post. Its author is not checked (posts outlive purged authors).
    fn create(&self, post: NewPost) -> BoxFuture<'_, StoreResult<Post>>;

    /// The post with this id, or `None`.
    fn get(&self, id: PostId) -> BoxFuture<'_, StoreResult<Option<Post>>>;

    /// How many posts match `filter`.
    fn count(&self, filter: PostFilter) -> BoxFuture<'_, StoreResult<u64>>;

    /// Offset paging: posts matching `filter` in `sort` order (then id, same direction),
    /// skipping `offset`, at most `limit`; `total` counts every match.
    fn page_by_offset(
        &self,
        filter: PostFilter,
        sort: PostSort,
        offset: u64,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<OffsetPage<Post>>>;

    /// Keyset paging: posts matching `filter` in `sort` order (then id, same direction)
    /// that come strictly after `after` (from the first row when `None`), at most `limit`.
    /// Rows inserted or deleted between calls never make a page skip or repeat a row that
    /// existed throughout. `Invalid { field: "cursor" }` if `after.sort != sort` or its
    /// value's type does not fit the field (`Text` only for title).
    fn page_after(
        &self,
        filter: PostFilter,
        sort: PostSort,
        after: Option<Cursor>,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<KeysetPage<Post>>>;

    /// Full-text search (see [`SearchQuery`] for what matches), most relevant first, ties by
    /// id descending. `Invalid { field: "q" }` if the text has no words.
    fn search(&self, query: SearchQuery) -> BoxFuture<'_, StoreResult<Vec<SearchHit>>>;

    /// Replaces every post (and so every comment) with `count` generated ones:
    /// `crate::seed::post(i)` for `i` in `0..count`, ids `1..=count`. Must be fast: one
    /// transaction or batched inserts (100 000 posts in well under two seconds).
    fn regenerate(&self, count: u64) -> BoxFuture<'_, StoreResult<()>>;
}

/// Threaded comments (topic 12).
///
/// Tree order, used by [`CommentStore::thread`]: pre-order, depth first. A comment comes
/// right before its replies' subtrees; siblings (top-level comments of a post, or replies
/// to one comment) are in id order (creation order).
pub trait CommentStore: Send + Sync + Debug {
    /// Creates a comment, with `depth` 0 at top level or the parent's depth + 1.
    /// `NotFound { what: "post" }` if the post does not exist; `NotFound { what: "comment"
    /// }` if the parent does not exist; `Invalid { field: "parent_id" }` if the parent
    /// belongs to another post or if the new depth would exceed `max_depth`.
    fn create(&self, comment: NewComment, max_depth: u32) -> BoxFuture<'_, StoreResult<Comment>>;

    /// The comment with this id (with its current `reply_count`), or `None`.
    fn get(&self, id: CommentId) -> BoxFuture<'_, StoreResult<Option<Comment>>>;

    /// A post's comments in tree order, down to depth `max_depth` (absolute: top level is
    /// 0). Deeper comments are left out but still counted in their parent's
    /// `reply_count`. With `root`, only that comment and its subtree (an empty list if the
    /// root is not a comment of this post). One query on SQLite (a recursive CTE).
    fn thread(
        &self,
        post_id: PostId,
        root: Option<CommentId>,
        max_depth: u32,
    ) -> BoxFuture<'_, StoreResult<Vec<Comment>>>;

    /// Replaces every comment with `comments`, ids `1..=n`; a seed's `parent_id` refers to
    /// an earlier entry's id. `depth` is computed as in `create` (no depth limit).
    fn reset(&self, comments: Vec<NewComment>) -> BoxFuture<'_, StoreResult<()>>;
}

/// Notifications and their read state (topic 26).
///
/// Ownership: methods taking `owner: Option<UserId>` only see a notification whose
/// `user_id` equals the owner; another user's notification is exactly as absent as a
/// missing one (no way to tell them apart). `None` means no ownership check at all: the
/// break-it switch's IDOR, never used otherwise.
pub trait NotificationStore: Send + Sync + Debug {
    /// Creates an unread notification. `NotFound { what: "user" }` if no live user has
    /// `user_id`.
    fn create(&self, notification: NewNotification) -> BoxFuture<'_, StoreResult<Notification>>;

    /// The notification with this id, subject to `owner`, or `None`.
    fn get(
        &self,
        id: NotificationId,
        owner: Option<UserId>,
    ) -> BoxFuture<'_, StoreResult<Option<Notification>>>;

    /// A user's notifications, newest first (`created_at` descending, then id descending),
    /// only unread ones when `unread_only`, at most `limit`.
    fn list(
        &self,
        user_id: UserId,
        unread_only: bool,
        limit: u32,
    ) -> BoxFuture<'_, StoreResult<Vec<Notification>>>;

    /// Marks one notification read at `at`, subject to `owner`; answers it. Idempotent: an
    /// already read notification keeps its first `read_at`. `NotFound { what:
    /// "notification" }` if missing or not the owner's.
    fn mark_read(
        &self,
        id: NotificationId,
        owner: Option<UserId>,
        at: Millis,
    ) -> BoxFuture<'_, StoreResult<Notification>>;

    /// Marks every unread notification of `user_id` read at `at`; answers how many changed.
    fn mark_all_read(&self, user_id: UserId, at: Millis) -> BoxFuture<'_, StoreResult<u64>>;

    /// How many of `user_id`'s notifications are unread.
    fn unread_count(&self, user_id: UserId) -> BoxFuture<'_, StoreResult<u64>>;

    /// Replaces every notification with `notifications`, ids `1..=n`. Every `user_id`
    /// must be an existing user (SQLite enforces it with a foreign key; whether deleted
    /// is not checked).
    fn reset(&self, notifications: Vec<NewNotification>) -> BoxFuture<'_, StoreResult<()>>;
}

/// Orders, kept minimal: revenue analytics reads them (topic 28).
pub trait OrderStore: Send + Sync + Debug {
    /// Creates an order. The user is not checked.
    fn create(&self, order: NewOrder) -> BoxFuture<'_, StoreResult<Order>>;

    /// The order with this id, or `None`.
    fn get(&self, id: OrderId) -> BoxFuture<'_, StoreResult<Option<Order>>>;

    /// A user's orders, newest first (`created_at` descending, then id descending).
    fn list_for_user(&self, user_id: UserId) -> BoxFuture<'_, StoreResult<Vec<Order>>>;

    /// Sets an order's status. `NotFound { what: "order" }` if missing.
    fn set_status(&self, id: OrderId, status: OrderStatus) -> BoxFuture<'_, StoreResult<Order>>;

    /// Replaces every order with `orders`, ids `1..=n`.
    fn reset(&self, orders: Vec<NewOrder>) -> BoxFuture<'_, StoreResult<()>>;
}

/// Group-by reports across aggregates (topic 28), each one query (SQL `GROUP BY` or one
/// aggregation pipeline).
pub trait AnalyticsStore: Send + Sync + Debug {
    /// Posts and likes per author, most posts first, ties by author id ascending, at most
    /// `limit` authors. The name comes from users in any scope.
    fn posts_per_author(&self, limit: u32) -> BoxFuture<'_, StoreResult<Vec<AuthorPosts>>>;

    /// Accounts created per UTC day within `range` (soft-deleted ones included: they did
    /// sign up), oldest day first; days without signups are left out.
    fn signups_per_day(&self, range: TimeRange) -> BoxFuture<'_, StoreResult<Vec<DaySignups>>>;

    /// Paid orders and their revenue per UTC month of `created_at` and currency, oldest
    /// month first, then currency ascending.
    fn revenue_per_month(&self) -> BoxFuture<'_, StoreResult<Vec<MonthRevenue>>>;

    /// The query a report runs, as shown to learners beside its result: SQL text, or the
    /// pipeline as pretty-printed JSON.
    fn report_query(&self, report: Report) -> String;
}

/// The schema as the database holds it, and query plans (topic 9).
pub trait SchemaStore: Send + Sync + Debug {
    /// Every table, index, trigger and virtual table (SQLite), or every collection with its
    /// indexes (MongoDB), ordered by `on` then name.
    fn describe(&self) -> BoxFuture<'_, StoreResult<SchemaDescription>>;

    /// How the database would run one allowlisted query.
    fn explain(&self, target: ExplainTarget) -> BoxFuture<'_, StoreResult<QueryPlan>>;
}
