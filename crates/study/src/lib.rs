//! Backend Dojo's study database: progress per topic, notes, full-text search, flashcards
//! scheduled with FSRS, STAR stories and mock interviews, in one SQLite file.
//!
//! Only this crate writes the study database. Open it with [`Study::open`] (or
//! [`Study::open_default`] for the file in the user's data folder), then call
//! [`Study::sync_library`] with the topic library so the catalogue, the search index and
//! the generated flashcards follow the content. Every method that writes does so in one
//! transaction; the file is in WAL mode with full sync, so a crash or kill never loses a
//! write that returned.
//!
//! Each module has one purpose:
//! - [`db`]: opening the file, connection settings, the clock, transactions;
//!   `migrations` keeps the schema;
//! - [`catalog`]: the topic catalogue and [`Study::sync_library`];
//! - [`progress`]: topic states, drill results and the daily plan;
//! - [`profile`]: the learner's choices from the first run and Settings (stack focus,
//!   interview date, daily time budget, code font), and [`daily_plan`]: today's plan
//!   sized to them;
//! - [`notes`]: one Markdown note per topic;
//! - [`search`]: FTS5 search over topic text and notes;
//! - [`cards`] (storage and sync) with `generate` (cards from topic text) and [`schedule`]
//!   (FSRS reviews, the queue, due counts);
//! - [`stories`]: STAR stories and their check;
//! - [`rubric`] (criteria, levels, presets) and [`interviews`] (mock interview sessions);
//! - [`transfer`]: export and import of everything as JSON;
//! - [`error`]: the one error type.
//!
//! Views returned to the UI derive `Serialize` and `ts_rs::TS`; `cargo test` writes their
//! TypeScript into `ui/src/bindings`. Times are [`UnixSeconds`].

pub mod cards;
pub mod catalog;
pub mod daily_plan;
pub mod db;
pub mod error;
mod generate;
pub mod interviews;
mod material;
mod migrations;
pub mod notes;
pub mod profile;
pub mod progress;
pub mod rubric;
pub mod schedule;
pub mod search;
pub mod stories;
pub mod transfer;

pub use cards::{CardKind, CardSyncReport, CardView};
pub use catalog::LibrarySyncReport;
pub use daily_plan::{DailyPlan, PlanItem, PlanItemKind};
pub use db::{DATA_DIR_ENV, Study, UnixSeconds};
pub use error::{Error, Result};
pub use interviews::{
    CandidateView, CriterionAverage, CriterionScore, FollowUpView, InterviewListItem,
    InterviewSetup, InterviewStatus, InterviewSummary, MentorQuestion, MentorView, QuestionAverage,
    TimerView, TopicToReview,
};
pub use notes::NoteView;
pub use profile::{CivilDate, CodeFont, FirstRun, Profile, ProfileChoices, StackFocus};
pub use progress::{PlanStep, ProgressView, StudyPlan, TopicState};
pub use rubric::{
    InterviewPreset, PresetView, RubricCriterion, RubricCriterionView, RubricLevel,
    interview_presets, rubric,
};
pub use schedule::{
    DueCounts, GradePreview, ReviewGrade, ReviewLogView, ReviewOutcome, ReviewPreview,
    TopicDueCount,
};
pub use search::{SearchHit, SnippetPart};
pub use stories::{StoryDraft, StoryIssue, StoryPart, StoryView, check_story};
pub use transfer::{
    CardRecord, ImportSummary, InterviewQuestionRecord, InterviewRecord, NoteRecord,
    ProgressRecord, ReviewRecord, StoryRecord, StudyExport,
};

/// The schema version this build of Backend Dojo writes.
pub const SCHEMA_VERSION: i64 = migrations::CURRENT_VERSION;

#[cfg(test)]
mod thread_safety {
    #[test]
    fn study_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::Study>();
    }
}
