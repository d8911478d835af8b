//! The study-data part of Settings: where the database is, a backup of everything as one
//! JSON file, restoring such a file, and starting over. Restores and resets replace all
//! study data in one transaction; the topic library's flashcards are generated again after.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use dojo_study::{ImportSummary, StudyExport};

use crate::{Dojo, Error, Result};

/// The word a reset must be confirmed with, so no stray call wipes a learner's history.
pub const RESET_CONFIRMATION: &str = "reset";

/// Where the study data lives.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StudyInfo {
    /// The database file; `None` when the data is only in memory.
    pub path: Option<String>,
    pub schema_version: i64,
}

/// What a restore or a reset left in the database.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RestoreSummary {
    pub progress: u32,
    pub notes: u32,
    pub cards: u32,
    pub reviews: u32,
    pub stories: u32,
    pub interviews: u32,
}

impl From<ImportSummary> for RestoreSummary {
    fn from(summary: ImportSummary) -> Self {
        RestoreSummary {
            progress: summary.progress,
            notes: summary.notes,
            cards: summary.cards,
            reviews: summary.reviews,
            stories: summary.stories,
            interviews: summary.interviews,
        }
    }
}

/// A reset request: `confirm` must be [`RESET_CONFIRMATION`].
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ResetRequest {
    pub confirm: String,
}

impl Dojo {
    /// Where the study database is.
    pub fn study_info(&self) -> Result<StudyInfo> {
        let study = self.study()?;
        Ok(StudyInfo {
            path: study.path().map(|path| path.display().to_string()),
            schema_version: study.schema_version()?,
        })
    }

    /// All study data as the pretty-printed JSON of a backup file.
    pub fn study_backup(&self) -> Result<String> {
        Ok(self.study()?.export_all()?.to_json()?)
    }

    /// Writes a backup file to `path` (the desktop app's Save dialog chose it).
    pub fn save_study_backup_to(&self, path: &std::path::Path) -> Result<String> {
        let json = self.study_backup()?;
        std::fs::write(path, json).map_err(|error| {
            Error::BadExport(format!("could not write {}: {error}", path.display()))
        })?;
        Ok(path.display().to_string())
    }

    /// Replaces all study data with a backup file's content; a file that does not fit
    /// is refused whole and nothing changes.
    pub fn study_restore(&self, json: &str) -> Result<RestoreSummary> {
        let study = self.study()?;
        let summary = study.import_all(&StudyExport::from_json(json)?)?;
        study.sync_library(&self.library)?;
        Ok(summary.into())
    }

    /// Deletes every note, story, review, interview, all progress and the profile (so the
    /// guided start is offered again), then makes the topics' flashcards again.
    pub fn study_reset(&self, request: &ResetRequest) -> Result<RestoreSummary> {
        if request.confirm != RESET_CONFIRMATION {
            return Err(Error::BadReset);
        }
        let study = self.study()?;
        let mut empty = study.export_all()?;
        empty.progress.clear();
        empty.notes.clear();
        empty.cards.clear();
        empty.reviews.clear();
        empty.stories.clear();
        empty.interviews.clear();
        empty.profile = None;
        study.import_all(&empty)?;
        study.sync_library(&self.library)?;
        let left = study.export_all()?;
        Ok(RestoreSummary {
            progress: count(left.progress.len()),
            notes: count(left.notes.len()),
            cards: count(left.cards.len()),
            reviews: count(left.reviews.len()),
            stories: count(left.stories.len()),
            interviews: count(left.interviews.len()),
        })
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
