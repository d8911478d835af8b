//! The one error type every store answers with, whatever the backend.

/// Why a store call failed. The first three are the caller's doing and map to 404, 409 and
/// 400/422; `Backend` is ours (the database is down, a query failed) and maps to 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The row the call names does not exist (or is outside the scope asked for, such as a
    /// soft-deleted user or another user's notification).
    #[error("no such {what}")]
    NotFound {
        /// What was looked for: `user`, `post`, `comment`, `notification`, `order`.
        what: &'static str,
    },
    /// A uniqueness rule refused the write: another live row already holds this value.
    #[error("{field} is already taken")]
    Conflict {
        /// The field whose value is taken, such as `email`.
        field: &'static str,
    },
    /// The input cannot be turned into a query or a write: an unknown filter field or
    /// operator, a cursor for another sort, a reply deeper than the limit.
    #[error("{field}: {message}")]
    Invalid {
        /// The input member at fault (`filter.password`, `cursor`, `parent_id`, ...).
        field: String,
        /// What a valid value looks like.
        message: String,
    },
    /// The database failed. The message is for logs and traces, not for clients.
    #[error("storage backend failed: {0}")]
    Backend(String),
}

impl StoreError {
    /// An [`StoreError::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What every store call returns.
pub type StoreResult<T> = Result<T, StoreError>;
