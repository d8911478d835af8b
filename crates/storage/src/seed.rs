//! The data every topic reset starts from, the same on every backend: a dozen users (the
//! first three are the sandbox's seeded learners, same ids), generated posts, a comment
//! thread, notifications and orders. Deterministic: no clock, no randomness.

use crate::model::{
    Millis, NewComment, NewNotification, NewOrder, NewPost, NewUser, OrderStatus, UserRole,
};

/// 2025-01-06T00:00:00Z, a Monday: the seed's day zero.
pub const EPOCH: Millis = 1_736_121_600_000;
const MINUTE: Millis = 60_000;
const DAY: Millis = 24 * 60 * MINUTE;

/// How many posts the large data set holds (topic 10).
pub const POST_COUNT: u64 = 100_000;

/// The seeded accounts: (email, name, role, days after [`EPOCH`] they signed up).
pub const USERS: [(&str, &str, UserRole, i64); 12] = [
    ("ada@dojo.test", "Ada Lovelace", UserRole::User, 0),
    ("grace@dojo.test", "Grace Hopper", UserRole::Admin, 0),
    ("linus@dojo.test", "Linus Torvalds", UserRole::Moderator, 1),
    ("barbara@dojo.test", "Barbara Liskov", UserRole::User, 1),
    ("edsger@dojo.test", "Edsger Dijkstra", UserRole::User, 1),
    ("margaret@dojo.test", "Margaret Hamilton", UserRole::User, 3),
    ("donald@dojo.test", "Donald Knuth", UserRole::User, 4),
    ("radia@dojo.test", "Radia Perlman", UserRole::User, 4),
    ("ken@dojo.test", "Ken Thompson", UserRole::User, 4),
    ("frances@dojo.test", "Frances Allen", UserRole::User, 6),
    ("tim@dojo.test", "Tim Berners-Lee", UserRole::User, 9),
    (
        "katherine@dojo.test",
        "Katherine Johnson",
        UserRole::User,
        9,
    ),
];

/// The seeded accounts, all with the same (already hashed) password.
pub fn users(password_hash: &str) -> Vec<NewUser> {
    USERS
        .iter()
        .enumerate()
        .map(|(index, (email, name, role, day))| NewUser {
            email: (*email).to_owned(),
            name: (*name).to_owned(),
            role: *role,
            password_hash: password_hash.to_owned(),
            // Minutes apart within a day, so creation order is the id order.
            created_at: EPOCH + day * DAY + 9 * 60 * MINUTE + index as i64 * MINUTE,
        })
        .collect()
}

const TAGS: [&str; 8] = [
    "rust",
    "databases",
    "security",
    "testing",
    "performance",
    "api",
    "devops",
    "frontend",
];
const OPENERS: [&str; 8] = [
    "Practical",
    "Notes on",
    "A field guide to",
    "Debugging",
    "Rethinking",
    "Lessons from",
    "Scaling",
    "Why we chose",
];
const SUBJECTS: [&str; 16] = [
    "connection pools",
    "keyset pagination",
    "refresh tokens",
    "database indexes",
    "rate limiters",
    "async runtimes",
    "schema migrations",
    "full text search",
    "soft deletes",
    "webhook retries",
    "query plans",
    "cache invalidation",
    "error budgets",
    "password hashing",
    "message queues",
    "nested comments",
];
const CLOSERS: [&str; 8] = [
    "in production",
    "at scale",
    "for small teams",
    "without downtime",
    "the hard way",
    "in one afternoon",
    "with SQLite",
    "with MongoDB",
];

/// splitmix64: a fixed, well-mixed number per index.
fn mix(index: u64) -> u64 {
    let mut z = index.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<'a>(words: &[&'a str], bits: u64) -> &'a str {
    words[(bits % words.len() as u64) as usize]
}

/// The `index`-th generated post (`index` from 0): one a minute from [`EPOCH`], authors
/// taking turns among the first eight users, likes from 0 to 499 (many ties, which sorting
/// by likes must break by id).
pub fn post(index: u64) -> NewPost {
    let bits = mix(index);
    let subject = pick(&SUBJECTS, bits >> 8);
    let title = format!(
        "{} {} {}",
        pick(&OPENERS, bits),
        subject,
        pick(&CLOSERS, bits >> 16)
    );
    let body = format!(
        "Post {} on {subject}: what broke, what we measured and the fix that held. \
         Tagged {}.",
        index + 1,
        pick(&TAGS, bits >> 24)
    );
    NewPost {
        author_id: index % 8 + 1,
        title,
        body,
        tag: pick(&TAGS, bits >> 24).to_owned(),
        likes: ((bits >> 32) % 500) as i64,
        created_at: EPOCH + index as i64 * MINUTE,
    }
}

/// A thread on post 1 four levels deep, and two comments on post 2. Parent ids refer to
/// the seed's own ids (`1..=n` in this order).
pub fn comments() -> Vec<NewComment> {
    let at = |minutes: i64| EPOCH + 30 * DAY + minutes * MINUTE;
    let comment = |post_id, parent_id, author_id, body: &str, minutes| NewComment {
        post_id,
        parent_id,
        author_id,
        body: body.to_owned(),
        created_at: at(minutes),
    };
    vec![
        comment(1, None, 2, "Which pool size did you settle on?", 0),
        comment(1, Some(1), 1, "Twice the cores, then we measured.", 5),
        comment(1, Some(2), 3, "Measured how: p99 or throughput?", 9),
        comment(
            1,
            Some(3),
            1,
            "p99 under load, with the real query mix.",
            12,
        ),
        comment(
            1,
            Some(1),
            4,
            "We pinned ours to the database's max_connections.",
            15,
        ),
        comment(1, None, 5, "Great write-up, thanks.", 20),
        comment(1, Some(6), 2, "Agreed, bookmarking it.", 22),
        comment(2, None, 6, "Does this hold for MongoDB too?", 30),
        comment(2, Some(8), 7, "Yes: sort on an indexed key plus _id.", 31),
    ]
}

/// Notifications for Ada (user 1, ids 1-3) and Grace (user 2, ids 4-5), all unread.
pub fn notifications() -> Vec<NewNotification> {
    let at = |minutes: i64| EPOCH + 30 * DAY + minutes * MINUTE;
    let note = |user_id, kind: &str, message: &str, minutes| NewNotification {
        user_id,
        kind: kind.to_owned(),
        message: message.to_owned(),
        created_at: at(minutes),
    };
    vec![
        note(1, "comment.reply", "Linus replied to your comment", 9),
        note(1, "comment.reply", "Grace commented on your post", 0),
        note(1, "order.paid", "Your order #1 was paid", 40),
        note(2, "comment.reply", "Ada replied to your comment", 5),
        note(2, "mention", "Barbara mentioned you", 50),
    ]
}

/// Orders over six months in two currencies; most paid, some pending or refunded.
pub fn orders() -> Vec<NewOrder> {
    (0..36u64)
        .map(|index| {
            let bits = mix(1_000_000 + index);
            let status = match bits % 10 {
                0 => OrderStatus::Refunded,
                1 | 2 => OrderStatus::Pending,
                _ => OrderStatus::Paid,
            };
            NewOrder {
                user_id: index % 6 + 1,
                total_cents: 500 + ((bits >> 8) % 20_000) as i64,
                currency: if index % 4 == 3 { "USD" } else { "EUR" }.to_owned(),
                status,
                created_at: EPOCH + (index as i64 * 5 + 1) * DAY,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_are_deterministic_in_time_order_and_spread_over_authors_and_tags() {
        assert_eq!(post(7), post(7));
        assert!(post(1).created_at > post(0).created_at);
        let authors: std::collections::HashSet<u64> = (0..64).map(|i| post(i).author_id).collect();
        assert_eq!(authors.len(), 8);
        let tags: std::collections::HashSet<String> = (0..64).map(|i| post(i).tag).collect();
        assert!(tags.len() >= 6, "{tags:?}");
        assert!((0..1000).all(|i| (0..500).contains(&post(i).likes)));
    }

    #[test]
    fn seeded_users_sign_up_in_id_order_and_replies_point_backwards() {
        let users = users("hash");
        assert!(users.windows(2).all(|w| w[0].created_at < w[1].created_at));
        assert_eq!(users[0].email, "ada@dojo.test");
        for (index, comment) in comments().iter().enumerate() {
            if let Some(parent) = comment.parent_id {
                assert!(
                    parent <= index as u64,
                    "comment {} answers a later one",
                    index + 1
                );
            }
        }
    }
}
