//! Web-mode routes for study data: the dashboard, progress, notes, search, review, and
//! the Settings screen's backup, restore and reset.
//! Each handler is one call into [`Dojo`]; bodies that do not parse get a 400 problem.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use dojo_study::{CardView, NoteView, ProgressView, ReviewGrade, TopicState};

use super::json_body;
use crate::settings::{ResetRequest, RestoreSummary, StudyInfo};
use crate::study::{DashboardView, NewCard, ReviewQueue, SearchResult};
use crate::{Dojo, Error};

/// The study routes, merged into the web-mode router.
pub(super) fn routes() -> Router<Dojo> {
    Router::new()
        .route("/api/study/dashboard", get(dashboard))
        .route("/api/search", get(search))
        .route("/api/review", get(review_queue))
        .route("/api/review/cards/{id}", post(review_card))
        .route("/api/topics/{key}/opened", post(topic_opened))
        .route("/api/topics/{key}/state", axum::routing::put(set_state))
        .route("/api/topics/{key}/note", get(note).put(save_note))
        .route("/api/topics/{key}/cards", post(add_card))
        .route("/api/study/info", get(study_info))
        .route("/api/study/backup", get(backup))
        .route("/api/study/restore", post(restore))
        .route("/api/study/reset", post(reset))
}

async fn study_info(State(dojo): State<Dojo>) -> Result<Json<StudyInfo>, Error> {
    dojo.study_info().map(Json)
}

/// Every piece of study data as a JSON file to keep.
async fn backup(State(dojo): State<Dojo>) -> Result<Response, Error> {
    let json = dojo.study_backup()?;
    let headers = [
        (header::CONTENT_TYPE, "application/json"),
        (
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"backend-dojo-study.json\"",
        ),
    ];
    Ok((headers, json).into_response())
}

/// Restores a backup sent as the request body (the file as it was downloaded).
async fn restore(State(dojo): State<Dojo>, body: String) -> Result<Json<RestoreSummary>, Error> {
    dojo.study_restore(&body).map(Json)
}

async fn reset(
    State(dojo): State<Dojo>,
    body: Result<Json<ResetRequest>, JsonRejection>,
) -> Result<Json<RestoreSummary>, Response> {
    let request = json_body(body, "Bad reset request")?;
    Ok(Json(dojo.study_reset(&request)?))
}

#[derive(Debug, Deserialize)]
struct StateBody {
    state: TopicState,
}

#[derive(Debug, Deserialize)]
struct NoteBody {
    markdown: String,
}

#[derive(Debug, Deserialize)]
struct GradeBody {
    grade: ReviewGrade,
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: String,
}

async fn dashboard(State(dojo): State<Dojo>) -> Result<Json<DashboardView>, Error> {
    dojo.dashboard().map(Json)
}

async fn topic_opened(
    State(dojo): State<Dojo>,
    UrlPath(key): UrlPath<String>,
) -> Result<Json<ProgressView>, Error> {
    dojo.topic_opened(&key).map(Json)
}

async fn set_state(
    State(dojo): State<Dojo>,
    UrlPath(key): UrlPath<String>,
    body: Result<Json<StateBody>, JsonRejection>,
) -> Result<Json<ProgressView>, Response> {
    let body = json_body(body, "Bad progress state")?;
    Ok(Json(dojo.set_topic_state(&key, body.state)?))
}

async fn note(
    State(dojo): State<Dojo>,
    UrlPath(key): UrlPath<String>,
) -> Result<Json<NoteView>, Error> {
    dojo.note(&key).map(Json)
}

async fn save_note(
    State(dojo): State<Dojo>,
    UrlPath(key): UrlPath<String>,
    body: Result<Json<NoteBody>, JsonRejection>,
) -> Result<Json<NoteView>, Response> {
    let body = json_body(body, "Bad note")?;
    Ok(Json(dojo.save_note(&key, &body.markdown)?))
}

async fn search(
    State(dojo): State<Dojo>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Json<Vec<SearchResult>>, Response> {
    let Query(query) = query.map_err(|rejection| {
        super::problem(
            axum::http::StatusCode::BAD_REQUEST,
            "Bad search",
            &rejection.body_text(),
        )
    })?;
    Ok(Json(dojo.search(&query.q)?))
}

async fn review_queue(State(dojo): State<Dojo>) -> Result<Json<ReviewQueue>, Error> {
    dojo.review_queue().map(Json)
}

async fn review_card(
    State(dojo): State<Dojo>,
    UrlPath(id): UrlPath<i64>,
    body: Result<Json<GradeBody>, JsonRejection>,
) -> Result<Json<ReviewQueue>, Response> {
    let body = json_body(body, "Bad grade")?;
    Ok(Json(dojo.review(id, body.grade)?))
}

async fn add_card(
    State(dojo): State<Dojo>,
    UrlPath(key): UrlPath<String>,
    body: Result<Json<NewCard>, JsonRejection>,
) -> Result<Json<CardView>, Response> {
    let card = json_body(body, "Bad flashcard")?;
    Ok(Json(dojo.add_card(&key, &card)?))
}
