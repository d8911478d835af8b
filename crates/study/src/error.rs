//! The one error type of the study database.

use std::path::PathBuf;

/// Everything that can go wrong while reading or writing study data. Each message names
/// its cause, so the UI can show it as is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite refused an operation.
    #[error("study database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database folder could not be created.
    #[error("cannot create the study data folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file was written by a newer Backend Dojo; opening it could corrupt it.
    #[error(
        "the study database {path} has schema version {found}, but this Backend Dojo only \
         knows up to version {supported}; update the app to open it"
    )]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },
    /// No data folder could be found for this user (no home directory, no override).
    #[error("cannot find a data folder: set DOJO_DATA_DIR or HOME")]
    NoDataDir,
    /// A topic id that is not in the topic library the database was synced with.
    #[error("unknown topic {0}: it is not in the topic library (has sync_library run?)")]
    UnknownTopic(u32),
    /// No flashcard with this id.
    #[error("no flashcard with id {0}")]
    CardNotFound(i64),
    /// No STAR story with this id.
    #[error("no STAR story with id {0}")]
    StoryNotFound(i64),
    /// No mock interview with this id.
    #[error("no mock interview with id {0}")]
    InterviewNotFound(i64),
    /// Input that breaks a rule: the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The FSRS scheduler refused a card's memory state.
    #[error("scheduler: {0}")]
    Scheduler(String),
    /// An import file that cannot be restored; nothing was changed.
    #[error("import refused: {0}")]
    Import(String),
}

/// The study crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
