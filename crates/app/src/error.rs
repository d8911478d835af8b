//! The app crate's error: what the UI can be told went wrong.

/// Errors from the app API. Each knows its HTTP status for web mode.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no topic has the id or slug {0:?}; topic ids run from 1 to 33")]
    TopicNotFound(String),
    #[error(transparent)]
    Content(#[from] dojo_content::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn status(&self) -> u16 {
        match self {
            Error::TopicNotFound(_) => 404,
            Error::Content(_) => 500,
        }
    }

    /// A short title for problem details.
    pub fn title(&self) -> &'static str {
        match self {
            Error::TopicNotFound(_) => "Topic not found",
            Error::Content(_) => "Content could not be loaded",
        }
    }
}
