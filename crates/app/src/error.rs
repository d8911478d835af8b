//! The app crate's error: what the UI can be told went wrong.

use serde::Serialize;
use ts_rs::TS;

/// Errors from the app API. Each knows its HTTP status for web mode.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no topic has the id or slug {0:?}; topic ids run from 1 to 33")]
    TopicNotFound(String),
    #[error(transparent)]
    Content(#[from] dojo_content::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

/// RFC 9457 problem details: what the UI shows when a call fails, over HTTP and over IPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

impl Problem {
    pub fn new(status: u16, title: &str, detail: &str) -> Problem {
        Problem { kind: "about:blank".into(), title: title.into(), status, detail: detail.into() }
    }
}

impl Error {
    /// The problem the UI is shown. Server-side failures keep their details in the
    /// terminal, not in the answer.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        if status >= 500 {
            eprintln!("backend dojo: {self}");
            let detail = "Backend Dojo could not load its content; the terminal running it has the details.";
            return Problem::new(status, self.title(), detail);
        }
        Problem::new(status, self.title(), &self.to_string())
    }

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
