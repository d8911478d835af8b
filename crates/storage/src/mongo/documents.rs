//! The stored documents, one struct per collection, and their conversions to and from the
//! model. Member names are the document keys learners see in the schema panel; times are
//! 64-bit integers of milliseconds since the epoch, exactly as the model and SQLite hold
//! them (the report pipelines turn them into dates with `$toDate`).

use serde::{Deserialize, Serialize};

use super::{from_bson_id, to_bson_id};
use crate::model::{
    Comment, Credentials, Millis, NewNotification, NewOrder, NewPost, NewUser, Notification, Order,
    OrderStatus, Post, User, UserRole,
};

/// A `users` document. The password hash lives here and nowhere else; it only leaves the
/// store inside [`Credentials`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UserDoc {
    pub(crate) id: i64,
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) role: UserRole,
    pub(crate) password_hash: String,
    pub(crate) created_at: Millis,
    pub(crate) updated_at: Millis,
    /// `null` for a live account: stored, not left out, so every document has the key.
    pub(crate) deleted_at: Option<Millis>,
}

impl UserDoc {
    pub(crate) fn new(id: i64, user: NewUser) -> UserDoc {
        UserDoc {
            id,
            email: user.email,
            name: user.name,
            role: user.role,
            password_hash: user.password_hash,
            created_at: user.created_at,
            updated_at: user.created_at,
            deleted_at: None,
        }
    }

    pub(crate) fn into_user(self) -> User {
        self.into_credentials().user
    }

    pub(crate) fn into_credentials(self) -> Credentials {
        Credentials {
            user: User {
                id: from_bson_id(self.id),
                email: self.email,
                name: self.name,
                role: self.role,
                created_at: self.created_at,
                updated_at: self.updated_at,
                deleted_at: self.deleted_at,
            },
            password_hash: self.password_hash,
        }
    }
}

/// A `posts` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PostDoc {
    pub(crate) id: i64,
    pub(crate) author_id: i64,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) tag: String,
    pub(crate) likes: i64,
    pub(crate) created_at: Millis,
}

impl PostDoc {
    pub(crate) fn new(id: i64, post: NewPost) -> PostDoc {
        PostDoc {
            id,
            author_id: to_bson_id(post.author_id),
            title: post.title,
            body: post.body,
            tag: post.tag,
            likes: post.likes,
            created_at: post.created_at,
        }
    }

    pub(crate) fn into_post(self) -> Post {
        Post {
            id: from_bson_id(self.id),
            author_id: from_bson_id(self.author_id),
            title: self.title,
            body: self.body,
            tag: self.tag,
            likes: self.likes,
            created_at: self.created_at,
        }
    }
}

/// A `comments` document: the reference to its parent plus a materialized path and the
/// ancestor list, so threads and subtrees are single queries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CommentDoc {
    pub(crate) id: i64,
    pub(crate) post_id: i64,
    pub(crate) parent_id: Option<i64>,
    pub(crate) author_id: i64,
    pub(crate) body: String,
    pub(crate) depth: i64,
    /// Direct replies, kept up to date with `$inc` when one is added.
    pub(crate) reply_count: i64,
    pub(crate) created_at: Millis,
    /// The ids from the top-level comment down to this one, zero-padded so that sorting
    /// the strings is tree order (see [`path_segment`]).
    pub(crate) path: String,
    /// Every comment above this one, top-level first.
    pub(crate) ancestors: Vec<i64>,
}

impl CommentDoc {
    pub(crate) fn into_comment(self) -> Comment {
        Comment {
            id: from_bson_id(self.id),
            post_id: from_bson_id(self.post_id),
            parent_id: self.parent_id.map(from_bson_id),
            author_id: from_bson_id(self.author_id),
            body: self.body,
            depth: u32::try_from(self.depth).unwrap_or(u32::MAX),
            reply_count: from_bson_id(self.reply_count),
            created_at: self.created_at,
        }
    }
}

/// One id in a materialized path: 19 digits, the width of `i64::MAX`, so that byte order
/// of paths is numeric order of ids, and `/` (which sorts before every digit) puts a
/// comment right before its replies.
pub(crate) fn path_segment(id: i64) -> String {
    format!("{id:019}")
}

/// A `notifications` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct NotificationDoc {
    pub(crate) id: i64,
    pub(crate) user_id: i64,
    pub(crate) kind: String,
    pub(crate) message: String,
    pub(crate) created_at: Millis,
    /// `null` while unread.
    pub(crate) read_at: Option<Millis>,
}

impl NotificationDoc {
    pub(crate) fn new(id: i64, notification: NewNotification) -> NotificationDoc {
        NotificationDoc {
            id,
            user_id: to_bson_id(notification.user_id),
            kind: notification.kind,
            message: notification.message,
            created_at: notification.created_at,
            read_at: None,
        }
    }

    pub(crate) fn into_notification(self) -> Notification {
        Notification {
            id: from_bson_id(self.id),
            user_id: from_bson_id(self.user_id),
            kind: self.kind,
            message: self.message,
            created_at: self.created_at,
            read_at: self.read_at,
        }
    }
}

/// An `orders` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OrderDoc {
    pub(crate) id: i64,
    pub(crate) user_id: i64,
    pub(crate) total_cents: i64,
    pub(crate) currency: String,
    pub(crate) status: OrderStatus,
    pub(crate) created_at: Millis,
}

impl OrderDoc {
    pub(crate) fn new(id: i64, order: NewOrder) -> OrderDoc {
        OrderDoc {
            id,
            user_id: to_bson_id(order.user_id),
            total_cents: order.total_cents,
            currency: order.currency,
            status: order.status,
            created_at: order.created_at,
        }
    }

    pub(crate) fn into_order(self) -> Order {
        Order {
            id: from_bson_id(self.id),
            user_id: from_bson_id(self.user_id),
            total_cents: self.total_cents,
            currency: self.currency,
            status: self.status,
            created_at: self.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_as_tree_order() {
        let parent = path_segment(2);
        let child = format!("{parent}/{}", path_segment(10));
        let next_sibling = path_segment(3);
        let mut paths = vec![next_sibling.clone(), child.clone(), parent.clone()];
        paths.sort();
        assert_eq!(paths, [parent, child, next_sibling]);
        assert_eq!(path_segment(i64::MAX).len(), path_segment(1).len());
    }
}
