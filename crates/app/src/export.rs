//! PDF exports as the UI runs them: a job per export, typeset on the blocking pool while
//! the UI polls its stage, then the PDF and a picture of its first page to preview.
//! The learner's notes and STAR stories come from the study database when it is open.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use dojo_export::pdf::{self, CodeLang, ExportDate, PdfKind, PdfOptions, Stage};
use dojo_export::{
    InterviewQuestion, InterviewReport, InterviewSummary, LearnerData, RubricScore, Story,
    TopicSelection,
};

use crate::{Dojo, Error, Result};

/// Finished exports kept for download; older ones are dropped.
const KEPT_JOBS: usize = 4;
/// Scale of the first-page preview (pixels per typographic point).
const PREVIEW_SCALE: f64 = 1.0;

/// What the Export dialog asks for.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ExportRequest {
    /// `cheat-sheet` or `guide`.
    pub kind: String,
    /// Topic ids; empty means all 33.
    pub topics: Vec<u32>,
    /// For cheat sheets: `express` or `rust`.
    pub code: String,
    /// Put the learner's notes and STAR stories in (the guide shows them).
    pub include_notes: bool,
    /// For `report`: the mock interview to report on.
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub interview_id: Option<i64>,
}

/// Where an export job stands.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ExportJob {
    pub id: u32,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// What is happening now, in words.
    pub stage: String,
    /// 0 to 1, for the progress bar.
    pub progress: f64,
    pub pages: u32,
    pub bytes: u32,
    /// The file name to save under, e.g. `backend-dojo-cheat-sheet.pdf`.
    pub file_name: String,
    pub error: Option<String>,
}

/// The export jobs of one app: their state and, once done, their files.
#[derive(Debug, Default)]
pub(crate) struct ExportJobs {
    inner: Mutex<JobTable>,
}

#[derive(Debug, Default)]
struct JobTable {
    next_id: u32,
    jobs: VecDeque<(ExportJob, Option<Arc<Output>>)>,
}

/// A finished export.
#[derive(Debug)]
struct Output {
    pdf: Vec<u8>,
    preview_png: Vec<u8>,
}

impl ExportJobs {
    fn table(&self) -> std::sync::MutexGuard<'_, JobTable> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn create(&self, file_name: String) -> ExportJob {
        let mut table = self.table();
        table.next_id += 1;
        let job = ExportJob {
            id: table.next_id,
            state: "running".into(),
            stage: "Starting".into(),
            progress: 0.0,
            pages: 0,
            bytes: 0,
            file_name,
            error: None,
        };
        table.jobs.push_back((job.clone(), None));
        while table.jobs.len() > KEPT_JOBS {
            table.jobs.pop_front();
        }
        job
    }

    fn update(&self, id: u32, change: impl FnOnce(&mut ExportJob)) {
        if let Some((job, _)) = self.table().jobs.iter_mut().find(|(job, _)| job.id == id) {
            change(job);
        }
    }

    fn finish(&self, id: u32, output: Output) {
        if let Some(entry) = self.table().jobs.iter_mut().find(|(job, _)| job.id == id) {
            entry.0.state = "done".into();
            entry.0.stage = "Ready".into();
            entry.0.progress = 1.0;
            entry.1 = Some(Arc::new(output));
        }
    }

    fn get(&self, id: u32) -> Option<(ExportJob, Option<Arc<Output>>)> {
        self.table()
            .jobs
            .iter()
            .find(|(job, _)| job.id == id)
            .cloned()
    }
}

impl Dojo {
    /// Starts a PDF export; poll [`Dojo::export_job`] for its progress.
    pub fn start_export(&self, request: &ExportRequest) -> Result<ExportJob> {
        let options = self.pdf_options(request)?;
        let learner = if request.include_notes {
            self.learner_data()
        } else {
            LearnerData::default()
        };
        let job = self.exports.create(match request.interview_id {
            Some(id) if request.kind == "report" => format!("backend-dojo-interview-{id}.pdf"),
            _ => format!("backend-dojo-{}.pdf", request.kind),
        });
        let id = job.id;
        let dojo = self.clone();
        // Typst blocks for up to seconds; its own thread keeps the UI's calls answered
        // whichever shell (and runtime, if any) called this.
        std::thread::Builder::new()
            .name(format!("export-{id}"))
            .spawn(move || dojo.run_export(id, &options, &learner))
            .map_err(|error| Error::BadExport(format!("could not start the export: {error}")))?;
        Ok(job)
    }

    /// Where an export stands.
    pub fn export_job(&self, id: u32) -> Result<ExportJob> {
        self.exports
            .get(id)
            .map(|(job, _)| job)
            .ok_or(Error::ExportNotFound(id))
    }

    /// The finished PDF of an export.
    pub fn export_pdf(&self, id: u32) -> Result<(ExportJob, Vec<u8>)> {
        let (job, output) = self.exports.get(id).ok_or(Error::ExportNotFound(id))?;
        let output = output.ok_or(Error::ExportNotReady(id))?;
        Ok((job, output.pdf.clone()))
    }

    /// A PNG of the export's first page.
    pub fn export_preview(&self, id: u32) -> Result<Vec<u8>> {
        let (_, output) = self.exports.get(id).ok_or(Error::ExportNotFound(id))?;
        Ok(output.ok_or(Error::ExportNotReady(id))?.preview_png.clone())
    }

    /// The first-page preview as a `data:` URL, for the desktop window (which has no HTTP
    /// route to load it from).
    pub fn export_preview_data_url(&self, id: u32) -> Result<String> {
        use base64::Engine as _;
        let png = self.export_preview(id)?;
        Ok(format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(png)
        ))
    }

    /// Writes a finished export's PDF to `path` (the desktop app's Save dialog chose it).
    pub fn save_export_to(&self, id: u32, path: &std::path::Path) -> Result<String> {
        let (_, pdf) = self.export_pdf(id)?;
        std::fs::write(path, pdf).map_err(|error| {
            Error::BadExport(format!("could not write {}: {error}", path.display()))
        })?;
        Ok(path.display().to_string())
    }

    fn pdf_options(&self, request: &ExportRequest) -> Result<PdfOptions> {
        let topics = if request.topics.is_empty() {
            TopicSelection::All
        } else {
            for id in &request.topics {
                self.library
                    .get(&id.to_string())
                    .map_err(|_| Error::TopicNotFound(id.to_string()))?;
            }
            TopicSelection::Only(request.topics.clone())
        };
        let kind = match request.kind.as_str() {
            "guide" => PdfKind::Guide { topics },
            "cheat-sheet" => {
                let code = match request.code.as_str() {
                    "express" => CodeLang::Express,
                    "rust" => CodeLang::Rust,
                    other => {
                        return Err(Error::BadExport(format!(
                            "{other:?} is not a code choice; use express or rust"
                        )));
                    }
                };
                PdfKind::CheatSheet { topics, code }
            }
            "report" => {
                let id = request.interview_id.ok_or_else(|| {
                    Error::BadExport("a report needs the interview_id of a mock interview".into())
                })?;
                PdfKind::Report(self.interview_report(id)?)
            }
            other => {
                return Err(Error::BadExport(format!(
                    "{other:?} is not an export kind; use cheat-sheet, guide or report"
                )));
            }
        };
        Ok(PdfOptions {
            kind,
            date: ExportDate::today_utc(),
        })
    }

    /// A mock interview from the study database, as the report prints it.
    fn interview_report(&self, id: i64) -> Result<InterviewReport> {
        let study = self.study()?;
        let interview = study.mentor_view(id)?;
        let summary = study.interview_summary(id)?;
        let date = interview
            .finished_at
            .or(interview.started_at)
            .unwrap_or(interview.created_at);
        let names = |criteria: &[dojo_study::RubricCriterion]| {
            criteria
                .iter()
                .map(|c| c.title())
                .collect::<Vec<_>>()
                .join(", ")
        };
        Ok(InterviewReport {
            title: format!("Mock interview: {}", interview.name),
            candidate: interview.name.clone(),
            date: ExportDate::from_days_since_epoch(date.div_euclid(86_400)).to_string(),
            questions: interview
                .questions
                .iter()
                .map(|question| InterviewQuestion {
                    topic_id: question.topic_id,
                    question: question.question.clone(),
                    scores: question
                        .scores
                        .iter()
                        .map(|score| RubricScore {
                            criterion: score.criterion.title().to_owned(),
                            score: u8::try_from(score.score).unwrap_or(u8::MAX),
                        })
                        .collect(),
                    notes: question.note.clone(),
                })
                .collect(),
            summary: InterviewSummary {
                strengths: names(&summary.strengths),
                gaps: names(&summary.gaps),
                topics_to_review: summary
                    .topics_to_review
                    .iter()
                    .map(|t| t.topic_id)
                    .collect(),
            },
        })
    }

    /// The learner's notes and stories, or nothing when study data is not open.
    fn learner_data(&self) -> LearnerData {
        let Ok(study) = self.study() else {
            return LearnerData::default();
        };
        let notes = study
            .notes_all()
            .map(|notes| {
                notes
                    .into_iter()
                    .map(|note| (note.topic_id, note.markdown))
                    .collect()
            })
            .unwrap_or_default();
        let mut stories: BTreeMap<u32, Vec<Story>> = BTreeMap::new();
        for story in study.stories_all().unwrap_or_default() {
            stories.entry(story.topic_id).or_default().push(Story {
                title: story.title,
                situation: story.situation,
                task: story.task,
                action: story.action,
                result: story.result,
            });
        }
        LearnerData { notes, stories }
    }

    fn run_export(&self, id: u32, options: &PdfOptions, learner: &LearnerData) {
        let progress = |stage: Stage| {
            let (text, fraction) = match stage {
                Stage::Preparing => ("Collecting topics".to_owned(), 0.05),
                Stage::Typesetting { topics } => (format!("Typesetting {topics} topics"), 0.15),
                Stage::Writing { pages } => (format!("Writing {pages} pages"), 0.8),
                Stage::Finished { pages, .. } => (format!("Finished {pages} pages"), 0.95),
            };
            self.exports.update(id, |job| {
                job.stage = text;
                job.progress = fraction;
            });
        };
        let result = pdf::typeset(options, &self.library, learner, &progress).and_then(|typeset| {
            progress(Stage::Writing {
                pages: typeset.page_count(),
            });
            let pdf = typeset.to_pdf()?;
            let preview_png = typeset.page_png(0, PREVIEW_SCALE)?;
            progress(Stage::Finished {
                pages: typeset.page_count(),
                bytes: pdf.len(),
            });
            Ok((typeset.page_count(), Output { pdf, preview_png }))
        });
        match result {
            Ok((pages, output)) => {
                self.exports.update(id, |job| {
                    job.pages = u32::try_from(pages).unwrap_or(u32::MAX);
                    job.bytes = u32::try_from(output.pdf.len()).unwrap_or(u32::MAX);
                });
                self.exports.finish(id, output);
            }
            Err(error) => {
                eprintln!("backend dojo: export {id} failed: {error}");
                self.exports.update(id, |job| {
                    job.state = "failed".into();
                    job.stage = "Failed".into();
                    job.error = Some(error.to_string());
                });
            }
        }
    }
}
