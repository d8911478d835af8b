//! The data suite's domain types, the same on every backend.
//!
//! Conventions every store keeps:
//! - ids are positive integers assigned by the store, increasing in insertion order, and
//!   never above `i64::MAX` (SQLite's integer range);
//! - times are milliseconds since the Unix epoch, UTC ([`Millis`]), chosen by the caller
//!   (the store never reads the clock, so tests and seeds are reproducible);
//! - text is stored exactly as given: callers normalise (the sandbox trims and lowercases
//!   emails before they reach a store).

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;
/// A user's id.
pub type UserId = u64;
/// A post's id.
pub type PostId = u64;
/// A comment's id.
pub type CommentId = u64;
/// A notification's id.
pub type NotificationId = u64;
/// An order's id.
pub type OrderId = u64;

/// What a user may do. Stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    User,
    Moderator,
    Admin,
}

impl UserRole {
    /// The stored name: `user`, `moderator` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::User => "user",
            UserRole::Moderator => "moderator",
            UserRole::Admin => "admin",
        }
    }

    /// The role with this stored name.
    pub fn parse(name: &str) -> Option<UserRole> {
        match name {
            "user" => Some(UserRole::User),
            "moderator" => Some(UserRole::Moderator),
            "admin" => Some(UserRole::Admin),
            _ => None,
        }
    }
}

/// A user account as the rest of the program sees it. It has no password member at all:
/// the hash only leaves a store inside [`Credentials`], so it cannot be serialised into an
/// answer by accident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: UserRole,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// When it was soft-deleted; `None` for a live account.
    pub deleted_at: Option<Millis>,
}

/// A user with the password hash, for the login check only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: User,
    /// An Argon2id PHC string.
    pub password_hash: String,
}

/// A user to create. `updated_at` starts equal to `created_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: UserRole,
    /// Already hashed by the caller (Argon2id PHC string); stores never see passwords.
    pub password_hash: String,
    pub created_at: Millis,
}

/// A partial update: `None` leaves a member as it is. `updated_at` is always set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<UserRole>,
    pub password_hash: Option<String>,
    pub updated_at: Millis,
}

/// Which users a read sees with respect to soft deletion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Only accounts that are not deleted: the default scope.
    #[default]
    Live,
    /// Only soft-deleted accounts (the "trash").
    Deleted,
    /// Both.
    All,
}

/// A blog post: the large collection paged, filtered and searched in topics 10 and 11.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    pub author_id: UserId,
    pub title: String,
    pub body: String,
    /// One lowercase tag, such as `rust` or `databases`.
    pub tag: String,
    pub likes: i64,
    pub created_at: Millis,
}

/// A post to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    pub author_id: UserId,
    pub title: String,
    pub body: String,
    pub tag: String,
    pub likes: i64,
    pub created_at: Millis,
}

/// A comment on a post, possibly a reply to another comment of the same post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: CommentId,
    pub post_id: PostId,
    /// The comment this one answers; `None` for a top-level comment.
    pub parent_id: Option<CommentId>,
    pub author_id: UserId,
    pub body: String,
    /// 0 for a top-level comment, the parent's depth + 1 for a reply.
    pub depth: u32,
    /// How many comments answer this one directly.
    pub reply_count: u64,
    pub created_at: Millis,
}

/// A comment to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    pub post_id: PostId,
    pub parent_id: Option<CommentId>,
    pub author_id: UserId,
    pub body: String,
    pub created_at: Millis,
}

/// Something that happened to a user, with its read state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    /// The owner: the only user who may read it or mark it read.
    pub user_id: UserId,
    /// What happened, such as `comment.reply` or `order.paid`.
    pub kind: String,
    pub message: String,
    pub created_at: Millis,
    /// When the owner first read it; `None` while unread.
    pub read_at: Option<Millis>,
}

/// A notification to create (unread).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user_id: UserId,
    pub kind: String,
    pub message: String,
    pub created_at: Millis,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Paid,
    Refunded,
}

impl OrderStatus {
    /// The stored name: `pending`, `paid` or `refunded`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// The status with this stored name.
    pub fn parse(name: &str) -> Option<OrderStatus> {
        match name {
            "pending" => Some(OrderStatus::Pending),
            "paid" => Some(OrderStatus::Paid),
            "refunded" => Some(OrderStatus::Refunded),
            _ => None,
        }
    }
}

/// An order, kept minimal: enough for revenue analytics (topic 28).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    /// The amount in integer minor units (cents), never a float.
    pub total_cents: i64,
    /// ISO 4217 code, uppercase (`EUR`, `USD`).
    pub currency: String,
    pub status: OrderStatus,
    pub created_at: Millis,
}

/// An order to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub user_id: UserId,
    pub total_cents: i64,
    pub currency: String,
    pub status: OrderStatus,
    pub created_at: Millis,
}
