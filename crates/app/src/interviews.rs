//! Mock interviews as the mentor and the candidate see them. The `study` crate keeps the
//! sessions, scores and notes; this module adds what only the app knows: the model answers
//! and follow-ups rendered to safe HTML for the mentor, the setup choices for the create
//! form, and the split between the mentor's screen and the candidate's (which never carries
//! an answer).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use dojo_content::render;
use dojo_study::interviews::SECONDS_PER_QUESTION;
use dojo_study::{
    CandidateView, InterviewListItem, InterviewSetup, InterviewSummary, MentorView, PresetView,
    RubricCriterion, RubricCriterionView,
};

use crate::{Dojo, Result};

/// The time per question the create form starts with: the pace of a spoken answer.
const DEFAULT_SECONDS_PER_QUESTION: u32 = 300;

/// What the create form offers: the presets with their topics, the rubric every answer is
/// scored on, and the allowed time per question.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct InterviewOptions {
    pub presets: Vec<PresetView>,
    pub rubric: Vec<RubricCriterionView>,
    pub min_seconds_per_question: u32,
    pub max_seconds_per_question: u32,
    pub default_seconds_per_question: u32,
}

/// A follow-up the mentor can ask, as safe HTML.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FollowUpHtml {
    /// Inline HTML (no paragraph around it), to sit in a line of its own.
    pub question_html: String,
    pub answer_html: String,
}

/// The parts of one question that are Markdown, rendered to safe HTML for the mentor.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RenderedQuestion {
    /// 0-based position, as in [`MentorView::questions`].
    pub position: u32,
    pub model_answer_html: String,
    pub follow_ups: Vec<FollowUpHtml>,
}

/// Everything the mentor's screen shows: the interview with its scores, notes, timer and
/// rubric, plus each question's model answer and follow-ups ready to insert.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MentorScreen {
    pub interview: MentorView,
    /// One per question, in order.
    pub rendered: Vec<RenderedQuestion>,
}

/// A rubric score for one answer.
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[ts(export)]
pub struct ScoreInput {
    pub criterion: RubricCriterion,
    pub score: u32,
}

impl Dojo {
    /// The presets, the rubric and the time limits for the create form.
    pub fn interview_options(&self) -> InterviewOptions {
        InterviewOptions {
            presets: dojo_study::interview_presets(),
            rubric: dojo_study::rubric(),
            min_seconds_per_question: *SECONDS_PER_QUESTION.start(),
            max_seconds_per_question: *SECONDS_PER_QUESTION.end(),
            default_seconds_per_question: DEFAULT_SECONDS_PER_QUESTION,
        }
    }

    /// Every interview, newest first, with its overall average.
    pub fn list_interviews(&self) -> Result<Vec<InterviewListItem>> {
        Ok(self.study()?.list_interviews()?)
    }

    /// Creates an interview from a preset or a list of topics; it starts when the mentor
    /// says so.
    pub fn create_interview(&self, setup: &InterviewSetup) -> Result<MentorScreen> {
        let view = self.study()?.create_interview(&self.library, setup)?;
        Ok(self.mentor_screen(view))
    }

    /// The mentor's screen of one interview.
    pub fn mentor_view(&self, interview_id: i64) -> Result<MentorScreen> {
        Ok(self.mentor_screen(self.study()?.mentor_view(interview_id)?))
    }

    /// What the candidate's window shows: the current question and the timer, nothing else.
    pub fn candidate_view(&self, interview_id: i64) -> Result<CandidateView> {
        Ok(self.study()?.candidate_view(interview_id)?)
    }

    /// Starts the interview at its first question with the timer running.
    pub fn start_interview(&self, interview_id: i64) -> Result<MentorScreen> {
        Ok(self.mentor_screen(self.study()?.start_interview(interview_id)?))
    }

    /// Moves on to the next question and restarts the timer.
    pub fn advance_interview(&self, interview_id: i64) -> Result<MentorScreen> {
        Ok(self.mentor_screen(self.study()?.advance_interview(interview_id)?))
    }

    /// Jumps to the question at 0-based `index` and restarts the timer.
    pub fn go_to_question(&self, interview_id: i64, index: u32) -> Result<MentorScreen> {
        Ok(self.mentor_screen(self.study()?.go_to_question(interview_id, index)?))
    }

    /// Pauses the current question's timer.
    pub fn pause_interview_timer(&self, interview_id: i64) -> Result<MentorScreen> {
        Ok(self.mentor_screen(self.study()?.pause_timer(interview_id)?))
    }

    /// Lets a paused timer run again.
    pub fn resume_interview_timer(&self, interview_id: i64) -> Result<MentorScreen> {
        Ok(self.mentor_screen(self.study()?.resume_timer(interview_id)?))
    }

    /// Scores the answer at 0-based `position` on one criterion (1 to 4).
    pub fn score_answer(
        &self,
        interview_id: i64,
        position: u32,
        input: ScoreInput,
    ) -> Result<MentorScreen> {
        let view =
            self.study()?
                .score_answer(interview_id, position, input.criterion, input.score)?;
        Ok(self.mentor_screen(view))
    }

    /// Replaces the mentor's note on the question at 0-based `position`.
    pub fn set_interview_note(
        &self,
        interview_id: i64,
        position: u32,
        note: &str,
    ) -> Result<MentorScreen> {
        let view = self
            .study()?
            .set_interview_note(interview_id, position, note)?;
        Ok(self.mentor_screen(view))
    }

    /// Ends the interview; the topics that went badly become due for review.
    pub fn finish_interview(&self, interview_id: i64) -> Result<InterviewSummary> {
        Ok(self.study()?.finish_interview(interview_id)?)
    }

    /// Averages, strengths, gaps and topics to review, so far or at the end.
    pub fn interview_summary(&self, interview_id: i64) -> Result<InterviewSummary> {
        Ok(self.study()?.interview_summary(interview_id)?)
    }

    /// Deletes an interview with its scores and notes; answers with the interviews left.
    pub fn delete_interview(&self, interview_id: i64) -> Result<Vec<InterviewListItem>> {
        let study = self.study()?;
        study.delete_interview(interview_id)?;
        Ok(study.list_interviews()?)
    }

    fn mentor_screen(&self, interview: MentorView) -> MentorScreen {
        let html = |markdown: &str| render::to_html(markdown, self.library.regions());
        let rendered = interview
            .questions
            .iter()
            .map(|question| RenderedQuestion {
                position: question.position,
                model_answer_html: html(&question.model_answer),
                follow_ups: question
                    .follow_ups
                    .iter()
                    .map(|follow_up| FollowUpHtml {
                        question_html: inline(html(&follow_up.question)),
                        answer_html: html(&follow_up.answer),
                    })
                    .collect(),
            })
            .collect();
        MentorScreen {
            interview,
            rendered,
        }
    }
}

/// One rendered paragraph without its `<p>` wrapper, so it fits where only inline content
/// may go; anything longer stays as it is.
fn inline(html: String) -> String {
    let trimmed = html.trim();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|rest| rest.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_owned(),
        _ => html,
    }
}

#[cfg(test)]
mod tests {
    use super::inline;

    #[test]
    fn a_single_paragraph_loses_its_wrapper_and_anything_else_is_kept() {
        assert_eq!(
            inline("<p>Why <code>429</code>?</p>\n".into()),
            "Why <code>429</code>?"
        );
        let two = "<p>One.</p>\n<p>Two.</p>\n".to_owned();
        assert_eq!(inline(two.clone()), two);
        let list = "<ul>\n<li>a</li>\n</ul>\n".to_owned();
        assert_eq!(inline(list.clone()), list);
    }
}
