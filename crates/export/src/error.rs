//! The one error type of the export crate.

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A topic id that the library does not have.
    #[error("there is no topic {id}; topics are numbered {first} to {last}")]
    UnknownTopic {
        /// The id asked for.
        id: u32,
        /// The lowest id in the library.
        first: u32,
        /// The highest id in the library.
        last: u32,
    },
    /// The selection left nothing to export.
    #[error("no topics selected")]
    NoTopics,
    /// None of the selected topics has requests to export yet.
    #[error("{}", no_requests_message(.ids))]
    NoRequests {
        /// The topics asked for; empty when all were.
        ids: Vec<u32>,
    },
    /// A "Try it" block that the `.http` parser refuses (the library checks them at load,
    /// so this means the library was built without checks).
    #[error("topic {topic}: an http block does not parse at its line {line}: {message}")]
    HttpBlock {
        /// The topic the block belongs to.
        topic: u32,
        /// 1-based line within the block.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// Two topics define the same `.http` variable differently, so one file cannot hold
    /// both.
    #[error(
        "variable @{name} is defined as {first:?} in one topic and {second:?} in topic {topic}; \
         export one file per topic instead"
    )]
    ConflictingVariable {
        /// The variable name.
        name: String,
        /// The value seen first.
        first: String,
        /// The other value.
        second: String,
        /// The topic with the other value.
        topic: u32,
    },
    /// A rubric score outside 1 to 4.
    #[error("the score for {criterion:?} in question {question} is {score}; scores go from 1 to 4")]
    ScoreOutOfRange {
        /// 1-based question number in the report.
        question: usize,
        /// The rubric criterion.
        criterion: String,
        /// The score given.
        score: u8,
    },
    /// Typst refused the document; names the first problems it reported.
    #[error("the PDF could not be typeset: {0}")]
    Typeset(String),
    /// The typeset document could not be written as PDF or PNG.
    #[error("the PDF could not be written: {0}")]
    Write(String),
    /// The document data could not be encoded as JSON.
    #[error("the export data could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

fn no_requests_message(ids: &[u32]) -> String {
    let list: Vec<String> = ids.iter().map(u32::to_string).collect();
    match ids {
        [] => "none of the topics has \"Try it\" requests yet".into(),
        [_] => format!("topic {} has no \"Try it\" requests yet", list.join("")),
        _ => format!("topics {} have no \"Try it\" requests yet", list.join(", ")),
    }
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
