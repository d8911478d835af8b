//! One module per sandbox feature, each with its own `router()`.

pub mod analytics;
pub mod cache;
pub mod chat;
pub mod comments;
pub mod data_suite;
pub mod email_verification;
pub mod errors;
pub mod file_upload;
pub mod google_oauth;
pub mod health;
pub mod image_upload;
pub mod jwt;
pub mod logger;
pub mod mail_delivery;
pub mod mailbox;
pub mod mock_google;
pub mod notifications;
pub mod object_store;
pub mod otp;
pub mod pagination;
pub mod password_reset;
pub mod payment_provider;
pub mod payments;
pub mod rate_limit;
pub mod rbac;
pub mod realtime;
pub mod refresh_tokens;
pub mod schema;
pub mod search;
pub mod secrets;
pub mod security_headers;
pub mod session_store;
pub mod sessions;
pub mod soft_delete;
pub mod structured_logging;
pub mod user_events;
pub mod users;
pub mod users_crud;
pub mod validation;
pub mod versioning;
pub mod webhook_signature;
pub mod webhooks;

use crate::state::AppState;

/// What resetting a topic clears, besides closing its break-it switches: one entry per
/// feature that keeps state between requests. `/_dojo/topics/{id}/reset` runs the hooks of
/// that topic.
pub(crate) const RESET_HOOKS: &[ResetHook] = &[
    ResetHook {
        topic: 8,
        what: "data suite accounts and notifications",
        reset: |state| state.data.schedule_reset(8),
    },
    ResetHook {
        topic: 10,
        what: "data suite posts (the large data set) and comments",
        reset: |state| state.data.schedule_reset(10),
    },
    ResetHook {
        topic: 11,
        what: "data suite accounts and notifications",
        reset: |state| state.data.schedule_reset(11),
    },
    ResetHook {
        topic: 12,
        what: "data suite comments",
        reset: |state| state.data.schedule_reset(12),
    },
    ResetHook {
        topic: 13,
        what: "data suite accounts (one seeded account in the trash) and notifications",
        reset: |state| state.data.schedule_reset(13),
    },
    ResetHook {
        topic: 26,
        what: "data suite notifications",
        reset: |state| state.data.schedule_reset(26),
    },
    ResetHook {
        topic: 28,
        what: "the whole data suite: accounts, posts, comments, notifications, orders",
        reset: |state| state.data.schedule_reset(28),
    },
    ResetHook {
        topic: 2,
        what: "every session",
        reset: |state| {
            if let Err(error) = state.sessions.clear() {
                tracing::warn!(%error, "sessions could not be cleared");
            }
        },
    },
    ResetHook {
        topic: 3,
        what: "profile display names",
        reset: |state| state.profiles.clear(),
    },
    ResetHook {
        topic: 4,
        what: "the mailbox and every signed-up account",
        reset: |state| {
            state.mailbox.clear();
            state.signups.clear();
        },
    },
    ResetHook {
        topic: 5,
        what: "every refresh token family",
        reset: |state| state.refresh_tokens.clear(),
    },
    ResetHook {
        topic: 6,
        what: "the mailbox, reset links and changed passwords",
        reset: |state| {
            state.mailbox.clear();
            state.reset_tokens.clear();
            state.users.restore_passwords();
        },
    },
    ResetHook {
        topic: 7,
        what: "Google sign-in attempts, linked identities and accounts, the mock provider's \
               codes and tokens, sign-in outcomes no app collected",
        reset: |state| {
            state.google_logins.clear();
            state.mock_google.clear();
        },
    },
    ResetHook {
        topic: 16,
        what: "the access log",
        reset: |state| state.access_log.clear(),
    },
    ResetHook {
        topic: 17,
        what: "every client's and every user's token bucket (in Redis too, with --redis-url)",
        reset: |state| state.rate_limiter.clear(),
    },
    ResetHook {
        topic: 21,
        what: "every stored object, image and upload ticket (the sample image comes back)",
        reset: |state| {
            state.object_store.clear();
            state.images.clear();
        },
    },
    ResetHook {
        topic: 22,
        what: "the upload directory and every file in it",
        reset: |state| state.files.clear(),
    },
    ResetHook {
        topic: 23,
        what: "the webhook receiver's events and the sender's last event",
        reset: |state| state.webhooks.clear(),
    },
    ResetHook {
        topic: 25,
        what: "chat history (back to the seeded room general)",
        reset: |state| {
            if let Err(error) = state.chat.reset() {
                tracing::warn!(%error, "chat history could not be reset");
            }
        },
    },
    ResetHook {
        topic: 31,
        what: "every cache entry and counter; the product catalogue as seeded",
        reset: |state| state.cache.reset(),
    },
    ResetHook {
        topic: 32,
        what: "the mailbox, pending codes and cooldowns",
        reset: |state| {
            state.mailbox.clear();
            state.otp.clear();
        },
    },
    ResetHook {
        topic: 33,
        what: "orders, payment intents, provider events and the mailbox",
        reset: |state| {
            state.shop.clear();
            state.payment_provider.clear();
            state.mailbox.clear();
        },
    },
];

/// One feature's reset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResetHook {
    pub(crate) topic: u32,
    /// What it clears, as the reset's answer names it.
    pub(crate) what: &'static str,
    pub(crate) reset: fn(&AppState),
}
