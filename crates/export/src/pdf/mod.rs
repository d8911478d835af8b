//! PDF export with Typst, in process: cheat sheets, the study guide and mock interview
//! reports.
//!
//! The document is laid out by one Typst template (`template.typ`) that reads all of its
//! text from a JSON file: topic and learner text are data, never markup, so any character
//! a learner types prints as itself. Code arrives already split into coloured runs
//! (`code_tokens`), which is much faster than Typst's own highlighting and lets wrapped
//! code lines keep a hanging indent.

mod data;
mod world;

use dojo_content::Library;
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;

use crate::learner::{InterviewReport, LearnerData};
use crate::selection::TopicSelection;
use crate::{Error, Result};

use world::ExportWorld;

/// Which document to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfKind {
    /// Two dense columns: per topic the key points, the core code and the pitfalls.
    CheatSheet {
        /// Which topics.
        topics: TopicSelection,
        /// Which implementation's code to show.
        code: CodeLang,
    },
    /// Every section of every selected topic, with contents, page numbers, bookmarks and
    /// the learner's notes and STAR stories.
    Guide {
        /// Which topics.
        topics: TopicSelection,
    },
    /// Questions, rubric scores, mentor notes and the summary of a mock interview.
    Report(InterviewReport),
}

/// The code a cheat sheet shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CodeLang {
    /// The Express template (`js` blocks).
    #[default]
    Express,
    /// The sandbox's Rust source regions.
    Rust,
}

impl CodeLang {
    /// The name printed on the sheet.
    pub fn label(self) -> &'static str {
        match self {
            CodeLang::Express => "Express",
            CodeLang::Rust => "Rust",
        }
    }

    pub(crate) fn fence(self) -> &'static str {
        match self {
            CodeLang::Express => "js",
            CodeLang::Rust => "rust",
        }
    }
}

/// A calendar date, printed on documents and returned by Typst's `datetime.today()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportDate {
    /// Full year, e.g. 2026.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
}

impl ExportDate {
    /// Today's date in UTC, from the system clock.
    pub fn today_utc() -> ExportDate {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        ExportDate::from_days_since_epoch(i64::try_from(seconds / 86_400).unwrap_or(0))
    }

    /// The civil date `days` after 1970-01-01 (proleptic Gregorian calendar).
    pub fn from_days_since_epoch(days: i64) -> ExportDate {
        // Count from 0000-03-01 so that leap days fall at the end of each year.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_index + 2) / 5 + 1;
        let month = if month_index < 10 {
            month_index + 3
        } else {
            month_index - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        ExportDate {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }
}

impl std::fmt::Display for ExportDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// What to make and the date to print on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfOptions {
    /// The kind of document and its choices.
    pub kind: PdfKind,
    /// Printed on the document; fixed so the same input gives the same PDF.
    pub date: ExportDate,
}

/// How far a render has come, for a progress indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Collecting topics and learner data into the document's data.
    Preparing,
    /// Typst is laying out the pages (most of the time goes here).
    Typesetting {
        /// How many topics the document holds.
        topics: usize,
    },
    /// Writing the laid-out pages as PDF.
    Writing {
        /// How many pages were laid out.
        pages: usize,
    },
    /// The PDF is complete.
    Finished {
        /// Pages in the PDF.
        pages: usize,
        /// Size of the PDF in bytes.
        bytes: usize,
    },
}

/// A laid-out document, ready to be written as PDF or shown as page images.
#[derive(Debug)]
pub struct Typeset {
    document: PagedDocument,
}

/// How many recent compilations Typst's caches keep between renders; older entries are
/// dropped after each render so a long-running app does not grow.
const CACHE_GENERATIONS: usize = 3;

/// Lays out the document `options` describes. `progress` hears each stage as it starts.
pub fn typeset(
    options: &PdfOptions,
    library: &Library,
    learner: &LearnerData,
    progress: &dyn Fn(Stage),
) -> Result<Typeset> {
    progress(Stage::Preparing);
    let data = data::document_data(&options.kind, options.date.to_string(), library, learner)?;
    progress(Stage::Typesetting {
        topics: data.topic_count(),
    });
    let json = serde_json::to_vec(&data)?;
    let today = Datetime::from_ymd(options.date.year, options.date.month, options.date.day)
        .or_else(|| Datetime::from_ymd(2026, 1, 1))
        .ok_or_else(|| Error::Typeset("no valid date".into()))?;
    let world = ExportWorld::new(json, today)?;
    let compiled = typst::compile::<PagedDocument>(&world).output;
    typst::comemo::evict(CACHE_GENERATIONS);
    let document = compiled.map_err(|errors| {
        let messages: Vec<String> = errors
            .iter()
            .take(3)
            .map(|error| {
                let mut message = error.message.to_string();
                for hint in &error.hints {
                    message.push_str(&format!(" (hint: {})", hint.v));
                }
                message
            })
            .collect();
        Error::Typeset(messages.join("; "))
    })?;
    Ok(Typeset { document })
}

impl Typeset {
    /// Number of pages laid out.
    pub fn page_count(&self) -> usize {
        self.document.pages().len()
    }

    /// The document as PDF bytes, fonts embedded.
    pub fn to_pdf(&self) -> Result<Vec<u8>> {
        let options = typst_pdf::PdfOptions {
            ident: Smart::Custom("backend-dojo-export".into()),
            creator: Smart::Custom(Some("Backend Dojo".into())),
            ..typst_pdf::PdfOptions::default()
        };
        let pdf = typst_pdf::pdf(&self.document, &options).map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(|e| e.message.to_string()).collect();
            Error::Write(messages.join("; "))
        });
        typst::comemo::evict(CACHE_GENERATIONS);
        pdf
    }

    /// One page (0-based) as a PNG image, `pixels_per_point` pixels per typographic point
    /// (1.0 is 72 dpi; clamped to 0.1 ..= 8).
    pub fn page_png(&self, index: usize, pixels_per_point: f64) -> Result<Vec<u8>> {
        let page = self.document.pages().get(index).ok_or_else(|| {
            Error::Write(format!(
                "page {} does not exist; the document has {}",
                index + 1,
                self.page_count()
            ))
        })?;
        let scale = if pixels_per_point.is_finite() {
            pixels_per_point.clamp(0.1, 8.0)
        } else {
            1.0
        };
        let options = typst_render::RenderOptions {
            pixel_per_pt: typst::utils::Scalar::new(scale),
            ..typst_render::RenderOptions::default()
        };
        let pixmap = typst_render::render(page, &options);
        pixmap
            .encode_png()
            .map_err(|error| Error::Write(format!("PNG encoding failed: {error}")))
    }
}

/// Lays out and writes the PDF in one call.
pub fn render_pdf(
    options: &PdfOptions,
    library: &Library,
    learner: &LearnerData,
    progress: &dyn Fn(Stage),
) -> Result<Vec<u8>> {
    let typeset = typeset(options, library, learner, progress)?;
    let pages = typeset.page_count();
    progress(Stage::Writing { pages });
    let pdf = typeset.to_pdf()?;
    progress(Stage::Finished {
        pages,
        bytes: pdf.len(),
    });
    Ok(pdf)
}

#[cfg(test)]
mod tests {
    use super::ExportDate;

    #[test]
    fn days_since_the_epoch_become_calendar_dates() {
        let date = |days| ExportDate::from_days_since_epoch(days).to_string();
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(19_782), "2024-02-29");
        assert_eq!(date(20_526), "2026-03-14");
    }
}
