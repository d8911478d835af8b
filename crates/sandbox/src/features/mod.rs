//! One module per sandbox feature, each with its own `router()`.

pub mod email_verification;
pub mod errors;
pub mod health;
pub mod jwt;
pub mod logger;
pub mod mailbox;
pub mod otp;
pub mod password_reset;
pub mod rate_limit;
pub mod rbac;
pub mod refresh_tokens;
pub mod secrets;
pub mod security_headers;
pub mod session_store;
pub mod sessions;
pub mod structured_logging;
pub mod user_events;
pub mod users;
pub mod versioning;

use crate::state::AppState;

/// What resetting a topic clears, besides closing its break-it switches: one entry per
/// feature that keeps state between requests. `/_dojo/topics/{id}/reset` runs the hooks of
/// that topic.
pub(crate) const RESET_HOOKS: &[ResetHook] = &[
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
        topic: 16,
        what: "the access log",
        reset: |state| state.access_log.clear(),
    },
    ResetHook {
        topic: 17,
        what: "every client's token bucket",
        reset: |state| state.rate_limiter.clear(),
    },
    ResetHook {
        topic: 32,
        what: "the mailbox, pending codes and cooldowns",
        reset: |state| {
            state.mailbox.clear();
            state.otp.clear();
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
