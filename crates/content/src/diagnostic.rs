//! Errors that point at a file and line, so a content author can jump straight to them.

use std::fmt;

/// One problem found in a content file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File name, e.g. `01-jwt-protected-routes.md`.
    pub file: String,
    /// 1-based line in that file; 0 when the problem is about the file as a whole.
    pub line: usize,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.message),
            line => write!(f, "{}:{line}: {}", self.file, self.message),
        }
    }
}

/// The content crate's error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more problems in topic files, each naming file and line.
    #[error("{} problem(s) in the topic files:\n{}", .0.len(), list(.0))]
    Invalid(Vec<Diagnostic>),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("no topic with id or slug {0:?}")]
    UnknownTopic(String),
}

pub type Result<T> = std::result::Result<T, Error>;

fn list(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}
