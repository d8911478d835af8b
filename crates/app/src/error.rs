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
    #[error("the sandbox is not running; start it from the status bar")]
    SandboxNotRunning,
    /// The sandbox could not bind its address; the message names the address and why.
    #[error("{0}")]
    SandboxStart(String),
    #[error("no trace has the id {0:?}; the sandbox keeps the newest 2000")]
    TraceNotFound(String),
    /// The console could not build the request (variables, URL, method).
    #[error("{0}")]
    Console(String),
    /// A sandbox path the Upload panel may not use: the message says which rule it breaks.
    #[error("{0}")]
    BadSandboxPath(String),
    /// An upload larger than the app carries to the sandbox.
    #[error("{0}")]
    UploadTooLarge(String),
    /// The request was built but the server could not be reached.
    #[error("{0}")]
    Unreachable(String),
    #[error("{0:?} is not a server address; give one like http://127.0.0.1:3000")]
    BadBaseUrl(String),
    /// The study database could not be opened; the reason is in the message.
    #[error("study data is not available: {0}")]
    StudyUnavailable(String),
    #[error(transparent)]
    Study(#[from] dojo_study::Error),
    #[error("no export has the id {0}; the app keeps the last few")]
    ExportNotFound(u32),
    #[error("export {0} is not finished yet")]
    ExportNotReady(u32),
    #[error("a reset deletes all study data; confirm it by sending {{\"confirm\": \"reset\"}}")]
    BadReset,
    /// An export request the exporter cannot make: the message says why.
    #[error("{0}")]
    BadExport(String),
    /// A sandbox setting that cannot be used: the field, and why in words.
    #[error("{1}")]
    SandboxSetting(crate::sandbox_settings::SandboxField, String),
    /// The sandbox settings file could not be read or written.
    #[error("{0}")]
    SandboxSettingsFile(String),
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
        Problem {
            kind: "about:blank".into(),
            title: title.into(),
            status,
            detail: detail.into(),
        }
    }
}

impl Error {
    /// The problem the UI is shown. Server-side failures keep their details in the
    /// terminal, not in the answer.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let shown_as_is = matches!(
            self,
            Error::Unreachable(_)
                | Error::SandboxNotRunning
                | Error::SandboxStart(_)
                | Error::StudyUnavailable(_)
                | Error::SandboxSettingsFile(_)
        );
        if status >= 500 && !shown_as_is {
            eprintln!("backend dojo: {self}");
            let detail = match self {
                Error::Study(_) => {
                    "Backend Dojo could not read or write its study data; the terminal running it has the details."
                }
                _ => {
                    "Backend Dojo could not load its content; the terminal running it has the details."
                }
            };
            return Problem::new(status, self.title(), detail);
        }
        Problem::new(status, self.title(), &self.to_string())
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::TopicNotFound(_) | Error::TraceNotFound(_) => 404,
            Error::Console(_) => 422,
            Error::BadSandboxPath(_) => 400,
            Error::UploadTooLarge(_) => 413,
            Error::BadBaseUrl(_) => 400,
            Error::Unreachable(_) => 502,
            Error::SandboxNotRunning | Error::SandboxStart(_) => 503,
            Error::Content(_) => 500,
            Error::StudyUnavailable(_) => 503,
            Error::ExportNotFound(_) => 404,
            Error::ExportNotReady(_) => 409,
            Error::BadExport(_) | Error::BadReset => 422,
            Error::SandboxSetting(..) => 422,
            Error::SandboxSettingsFile(_) => 500,
            Error::Study(error) => study_status(error),
        }
    }

    /// A short title for problem details.
    pub fn title(&self) -> &'static str {
        match self {
            Error::TopicNotFound(_) => "Topic not found",
            Error::TraceNotFound(_) => "Trace not found",
            Error::Console(_) => "The request could not be prepared",
            Error::BadSandboxPath(_) => "Bad sandbox path",
            Error::UploadTooLarge(_) => "Upload too large",
            Error::BadBaseUrl(_) => "Not a server address",
            Error::Unreachable(_) => "The server could not be reached",
            Error::SandboxNotRunning => "Sandbox not running",
            Error::SandboxStart(_) => "Sandbox could not start",
            Error::Content(_) => "Content could not be loaded",
            Error::StudyUnavailable(_) => "Study data not available",
            Error::ExportNotFound(_) => "Export not found",
            Error::ExportNotReady(_) => "Export not ready",
            Error::BadExport(_) => "Export not possible",
            Error::BadReset => "Reset not confirmed",
            Error::SandboxSetting(field, _) => field.title(),
            Error::SandboxSettingsFile(_) => "Sandbox settings file not usable",
            Error::Study(error) => match study_status(error) {
                404 => "Not found",
                422 => "Not saved",
                _ => "Study data error",
            },
        }
    }
}

/// Which study errors are the learner's input (4xx) and which are the database's (5xx).
fn study_status(error: &dojo_study::Error) -> u16 {
    use dojo_study::Error as E;
    match error {
        E::UnknownTopic(_) | E::CardNotFound(_) | E::StoryNotFound(_) | E::InterviewNotFound(_) => {
            404
        }
        E::Invalid(_) | E::Import(_) => 422,
        _ => 500,
    }
}
