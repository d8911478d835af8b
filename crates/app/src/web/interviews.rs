//! Web-mode routes for mock interviews (the mentor's screen, the candidate's view, scores,
//! notes and the summary) and for the STAR stories on topic pages.
//! Each handler is one call into [`Dojo`]; an address or a body that does not parse gets a
//! problem that says which part was wrong.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path as UrlPath, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use dojo_study::{CandidateView, InterviewListItem, InterviewSetup, InterviewSummary};
use dojo_study::{StoryIssue, StoryView};

use super::json_body;
use crate::interviews::{InterviewOptions, MentorScreen, ScoreInput};
use crate::stories::StoryFields;
use crate::{Dojo, Error, Problem};

/// The interview and story routes, merged into the web-mode router.
pub(super) fn routes() -> Router<Dojo> {
    Router::new()
        .route(
            "/api/interviews",
            get(list_interviews).post(create_interview),
        )
        .route("/api/interviews/options", get(interview_options))
        .route(
            "/api/interviews/{id}",
            get(mentor_view).delete(delete_interview),
        )
        .route("/api/interviews/{id}/candidate", get(candidate_view))
        .route("/api/interviews/{id}/start", post(start_interview))
        .route("/api/interviews/{id}/next", post(advance_interview))
        .route("/api/interviews/{id}/question", put(go_to_question))
        .route("/api/interviews/{id}/pause", post(pause_timer))
        .route("/api/interviews/{id}/resume", post(resume_timer))
        .route("/api/interviews/{id}/finish", post(finish_interview))
        .route("/api/interviews/{id}/summary", get(interview_summary))
        .route(
            "/api/interviews/{id}/questions/{position}/score",
            put(score_answer),
        )
        .route(
            "/api/interviews/{id}/questions/{position}/note",
            put(set_note),
        )
        .route(
            "/api/topics/{key}/stories",
            get(topic_stories).post(save_story),
        )
        .route("/api/stories/check", post(check_story))
        .route("/api/stories/{id}", put(update_story).delete(delete_story))
}

/// Numbers from the address (an interview or story id, a question position); anything
/// else there is refused with a 400 problem that says so.
#[derive(Debug)]
struct Numbers<T>(T);

impl<T, S> FromRequestParts<S> for Numbers<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match UrlPath::<T>::from_request_parts(parts, state).await {
            Ok(UrlPath(value)) => Ok(Numbers(value)),
            Err(rejection) => Err(Problem::new(
                StatusCode::BAD_REQUEST.as_u16(),
                "Bad address",
                &format!(
                    "ids and question positions in this address are whole numbers (positions \
                     start at 0): {}",
                    rejection.body_text()
                ),
            )),
        }
    }
}

async fn interview_options(State(dojo): State<Dojo>) -> Json<InterviewOptions> {
    Json(dojo.interview_options())
}

async fn list_interviews(State(dojo): State<Dojo>) -> Result<Json<Vec<InterviewListItem>>, Error> {
    dojo.list_interviews().map(Json)
}

async fn create_interview(
    State(dojo): State<Dojo>,
    body: Result<Json<InterviewSetup>, JsonRejection>,
) -> Result<Json<MentorScreen>, Response> {
    let setup = json_body(body, "Bad interview setup")?;
    Ok(Json(dojo.create_interview(&setup)?))
}

async fn mentor_view(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
) -> Result<Json<MentorScreen>, Response> {
    Ok(Json(dojo.mentor_view(id)?))
}

async fn candidate_view(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
) -> Result<Json<CandidateView>, Response> {
    Ok(Json(dojo.candidate_view(id)?))
}

async fn delete_interview(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
) -> Result<Json<Vec<InterviewListItem>>, Response> {
    Ok(Json(dojo.delete_interview(id)?))
}

async fn start_interview(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
) -> Result<Json<MentorScreen>, Response> {
    Ok(Json(dojo.start_interview(id)?))
}

async fn advance_interview(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
) -> Result<Json<MentorScreen>, Response> {
    Ok(Json(dojo.advance_interview(id)?))
}

#[derive(Debug, Deserialize)]
struct QuestionIndex {
    index: u32,
}

async fn go_to_question(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
    body: Result<Json<QuestionIndex>, JsonRejection>,
) -> Result<Json<MentorScreen>, Response> {
    let body = json_body(body, "Bad question index")?;
    Ok(Json(dojo.go_to_question(id, body.index)?))
}

async fn pause_timer(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
) -> Result<Json<MentorScreen>, Response> {
    Ok(Json(dojo.pause_interview_timer(id)?))
}

async fn resume_timer(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
) -> Result<Json<MentorScreen>, Response> {
    Ok(Json(dojo.resume_interview_timer(id)?))
}

async fn finish_interview(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
) -> Result<Json<InterviewSummary>, Response> {
    Ok(Json(dojo.finish_interview(id)?))
}

async fn interview_summary(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
) -> Result<Json<InterviewSummary>, Response> {
    Ok(Json(dojo.interview_summary(id)?))
}

async fn score_answer(
    State(dojo): State<Dojo>,
    Numbers((id, position)): Numbers<(i64, u32)>,
    body: Result<Json<ScoreInput>, JsonRejection>,
) -> Result<Json<MentorScreen>, Response> {
    let input = json_body(body, "Bad score")?;
    Ok(Json(dojo.score_answer(id, position, input)?))
}

#[derive(Debug, Deserialize)]
struct NoteBody {
    note: String,
}

async fn set_note(
    State(dojo): State<Dojo>,
    Numbers((id, position)): Numbers<(i64, u32)>,
    body: Result<Json<NoteBody>, JsonRejection>,
) -> Result<Json<MentorScreen>, Response> {
    let body = json_body(body, "Bad note")?;
    Ok(Json(dojo.set_interview_note(id, position, &body.note)?))
}

async fn topic_stories(
    State(dojo): State<Dojo>,
    UrlPath(key): UrlPath<String>,
) -> Result<Json<Vec<StoryView>>, Error> {
    dojo.topic_stories(&key).map(Json)
}

async fn save_story(
    State(dojo): State<Dojo>,
    UrlPath(key): UrlPath<String>,
    body: Result<Json<StoryFields>, JsonRejection>,
) -> Result<Json<StoryView>, Response> {
    let fields = json_body(body, "Bad story")?;
    Ok(Json(dojo.save_story(&key, &fields)?))
}

async fn update_story(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
    body: Result<Json<StoryFields>, JsonRejection>,
) -> Result<Json<StoryView>, Response> {
    let fields = json_body(body, "Bad story")?;
    Ok(Json(dojo.update_story(id, &fields)?))
}

async fn delete_story(
    State(dojo): State<Dojo>,
    Numbers(id): Numbers<i64>,
) -> Result<Json<Vec<StoryView>>, Response> {
    Ok(Json(dojo.delete_story(id)?))
}

async fn check_story(
    State(dojo): State<Dojo>,
    body: Result<Json<StoryFields>, JsonRejection>,
) -> Result<Json<Vec<StoryIssue>>, Response> {
    let fields = json_body(body, "Bad story")?;
    Ok(Json(dojo.check_story(&fields)))
}
