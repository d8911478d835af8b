//! One module per sandbox feature, each with its own `router()`.

pub mod errors;
pub mod health;
pub mod jwt;
pub mod logger;
pub mod rate_limit;
pub mod security_headers;
pub mod structured_logging;
pub mod users;
pub mod versioning;

use crate::state::AppState;

/// What resetting a topic clears, besides closing its break-it switches: one entry per
/// feature that keeps state between requests. `/_dojo/topics/{id}/reset` runs the hooks of
/// that topic.
pub(crate) const RESET_HOOKS: [ResetHook; 2] = [
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
];

/// One feature's reset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResetHook {
    pub(crate) topic: u32,
    /// What it clears, as the reset's answer names it.
    pub(crate) what: &'static str,
    pub(crate) reset: fn(&AppState),
}
