//! Backend Dojo content taken out of the app: PDF (cheat sheet, study guide, mock interview
//! report) typeset in process with Typst, Postman collections, `.http` files and Markdown.
//!
//! Topics come from [`dojo_content::Library`]; what the learner wrote comes in as
//! [`LearnerData`] and [`InterviewReport`], plain structs the app fills from its study
//! database. Nothing here reads files or the network.

mod blocks;
mod code_tokens;
mod dot_http;
mod error;
mod learner;
mod markdown;
pub mod pdf;
mod postman;
mod selection;
mod try_it;

pub use dot_http::{HttpExportFile, http_file_per_topic, http_single_file};
pub use error::{Error, Result};
pub use learner::{
    InterviewQuestion, InterviewReport, InterviewSummary, LearnerData, RubricScore, Story,
};
pub use markdown::topic_markdown;
pub use postman::{
    COLLECTION_FILE_NAME, ENVIRONMENT_FILE_NAME, postman_collection, postman_environment,
};
pub use selection::{TopicSelection, find_topic};

/// The base URL written into exported files: the sandbox started with
/// `dojo sandbox --port 8080`.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";
