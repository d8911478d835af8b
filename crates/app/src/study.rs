//! The learner's study data as the UI sees it: progress and the dashboard, notes, search,
//! and flashcard review. Every call goes to the `study` crate, which alone writes the
//! database; this module resolves topic keys, renders card text to safe HTML and turns
//! study errors into problems.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use dojo_content::{Library, highlight, render};
use dojo_study::{
    CardView, DueCounts, NoteView, ProgressView, ReviewGrade, ReviewPreview, SearchHit, Study,
    StudyPlan, TopicState,
};

use crate::{Dojo, Error, Result};

/// How many cards one review session fetches at a time.
const REVIEW_BATCH: u32 = 50;
/// The most search hits one query returns.
const SEARCH_LIMIT: u32 = 30;

/// The study database, or why it could not be opened (the rest of the app still works).
#[derive(Debug, Clone)]
pub(crate) enum StudySlot {
    Open(Arc<Study>),
    Unavailable(Arc<str>),
}

impl StudySlot {
    pub(crate) fn not_opened() -> StudySlot {
        StudySlot::Unavailable("this part of Backend Dojo runs without study data".into())
    }

    /// Opens the database and brings its topic catalogue, cards and search index up to
    /// date with the content compiled into this build.
    pub(crate) fn open(study: dojo_study::Result<Study>, library: &Library) -> StudySlot {
        let ready = study.and_then(|study| study.sync_library(library).map(|_| study));
        match ready {
            Ok(study) => StudySlot::Open(Arc::new(study)),
            Err(error) => {
                eprintln!("backend dojo: study data unavailable: {error}");
                StudySlot::Unavailable(error.to_string().into())
            }
        }
    }
}

/// The dashboard: every topic's progress, what to do next, and the reviews due.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DashboardView {
    pub progress: Vec<ProgressView>,
    pub plan: StudyPlan,
    pub due: DueCounts,
}

/// A flashcard ready to show: its schedule plus prompt and answer as safe HTML.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReviewCard {
    pub card: CardView,
    pub topic_title: String,
    pub prompt_html: String,
    pub answer_html: String,
    /// When the card comes back after each grade, for the buttons.
    pub preview: ReviewPreview,
}

/// What the review screen starts with.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReviewQueue {
    pub cards: Vec<ReviewCard>,
    pub due: DueCounts,
}

/// A search hit with its topic's title and slug, so the UI can link it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SearchResult {
    pub hit: SearchHit,
    pub topic_title: String,
    pub topic_slug: String,
}

/// A learner's own flashcard.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct NewCard {
    pub prompt: String,
    pub answer: String,
}

impl Dojo {
    pub(crate) fn study(&self) -> Result<&Study> {
        match &self.study {
            StudySlot::Open(study) => Ok(study),
            StudySlot::Unavailable(why) => Err(Error::StudyUnavailable(why.to_string())),
        }
    }

    fn topic_id(&self, key: &str) -> Result<u32> {
        self.library
            .get(key)
            .map(|topic| topic.front.id)
            .map_err(|_| Error::TopicNotFound(key.to_owned()))
    }

    /// Everything the dashboard shows.
    pub fn dashboard(&self) -> Result<DashboardView> {
        let study = self.study()?;
        let now = study.now();
        Ok(DashboardView {
            progress: study.progress_all()?,
            plan: study.next_steps(now)?,
            due: study.due_counts(now)?,
        })
    }

    /// One topic's progress.
    pub fn progress(&self, key: &str) -> Result<ProgressView> {
        Ok(self.study()?.progress(self.topic_id(key)?)?)
    }

    /// Records that the learner opened a topic: not started becomes learning.
    pub fn topic_opened(&self, key: &str) -> Result<ProgressView> {
        Ok(self.study()?.touch_topic(self.topic_id(key)?)?)
    }

    /// Sets a topic's state by hand (`learning` or `confident`, or back to not started).
    pub fn set_topic_state(&self, key: &str, state: TopicState) -> Result<ProgressView> {
        Ok(self.study()?.set_topic_state(self.topic_id(key)?, state)?)
    }

    /// The learner's note on a topic; empty when there is none.
    pub fn note(&self, key: &str) -> Result<NoteView> {
        let id = self.topic_id(key)?;
        let note = self.study()?.note(id)?;
        Ok(note.unwrap_or(NoteView {
            topic_id: id,
            markdown: String::new(),
            updated_at: None,
        }))
    }

    /// Saves a topic's note (blank text deletes it).
    pub fn save_note(&self, key: &str, markdown: &str) -> Result<NoteView> {
        Ok(self.study()?.save_note(self.topic_id(key)?, markdown)?)
    }

    /// Full-text search over topics and notes, best first.
    pub fn search(&self, query: &str) -> Result<Vec<SearchResult>> {
        let hits = self.study()?.search(query, SEARCH_LIMIT)?;
        Ok(hits
            .into_iter()
            .filter_map(|hit| {
                let topic = self.library.get(&hit.topic_id.to_string()).ok()?;
                Some(SearchResult {
                    topic_title: topic.front.title.clone(),
                    topic_slug: topic.front.slug.clone(),
                    hit,
                })
            })
            .collect())
    }

    /// The cards due now, most overdue first, with what each grade would do.
    pub fn review_queue(&self) -> Result<ReviewQueue> {
        let study = self.study()?;
        let now = study.now();
        let cards = study
            .due_cards(now, REVIEW_BATCH)?
            .into_iter()
            .map(|card| self.review_card(study, card, now))
            .collect::<Result<Vec<_>>>()?;
        Ok(ReviewQueue {
            cards,
            due: study.due_counts(now)?,
        })
    }

    /// Grades a card; answers with the queue as it stands after the review.
    pub fn review(&self, card_id: i64, grade: ReviewGrade) -> Result<ReviewQueue> {
        let study = self.study()?;
        study.review(card_id, grade, study.now())?;
        self.review_queue()
    }

    /// Adds a flashcard of the learner's own to a topic.
    pub fn add_card(&self, key: &str, card: &NewCard) -> Result<CardView> {
        Ok(self
            .study()?
            .add_card(self.topic_id(key)?, &card.prompt, &card.answer)?)
    }

    /// Records a drill run of the embedded sandbox in the topic's progress.
    pub(crate) fn record_drills(&self, topic_id: u32, passed: u32, total: u32) {
        if let Ok(study) = self.study()
            && let Err(error) = study.record_drill_run(topic_id, passed, total)
        {
            eprintln!("backend dojo: could not save the drill result of topic {topic_id}: {error}");
        }
    }

    fn review_card(&self, study: &Study, card: CardView, now: i64) -> Result<ReviewCard> {
        let topic_title = self
            .library
            .get(&card.topic_id.to_string())
            .map(|topic| topic.front.title.clone())
            .unwrap_or_default();
        Ok(ReviewCard {
            prompt_html: self.card_html(&card.prompt, card.prompt_code_lang.as_deref()),
            answer_html: self.card_html(&card.answer, card.answer_code_lang.as_deref()),
            preview: study.preview_intervals(card.id, now)?,
            topic_title,
            card,
        })
    }

    /// Card text as HTML: code highlighted in its language, anything else as Markdown.
    fn card_html(&self, text: &str, code_lang: Option<&str>) -> String {
        match code_lang {
            Some(lang) => format!(
                "<pre class=\"code hl-code\" data-lang=\"{}\"><code>{}</code></pre>",
                highlight::escape(lang),
                highlight::highlight(text, lang)
            ),
            None => render::to_html(text, self.library.regions()),
        }
    }
}
