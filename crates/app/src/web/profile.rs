//! Web-mode routes for the learner's profile and today's plan:
//! `GET`/`PUT /api/profile`, `POST /api/profile/skip`, `POST /api/profile/restart` and
//! `GET /api/profile/plan?today=YYYY-MM-DD`. Each handler is one call into [`Dojo`].

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use dojo_study::{DailyPlan, Profile, ProfileChoices};

use super::{json_body, problem};
use crate::{Dojo, Error};

/// The profile routes, merged into the web-mode router.
pub(super) fn routes() -> Router<Dojo> {
    Router::new()
        .route("/api/profile", get(profile).put(save_profile))
        .route("/api/profile/skip", post(skip_first_run))
        .route("/api/profile/restart", post(restart_first_run))
        .route("/api/profile/plan", get(daily_plan))
}

async fn profile(State(dojo): State<Dojo>) -> Result<Json<Profile>, Error> {
    dojo.profile().map(Json)
}

async fn save_profile(
    State(dojo): State<Dojo>,
    body: Result<Json<ProfileChoices>, JsonRejection>,
) -> Result<Json<Profile>, Response> {
    let choices = json_body(body, "Bad profile")?;
    Ok(Json(dojo.save_profile(&choices)?))
}

async fn skip_first_run(State(dojo): State<Dojo>) -> Result<Json<Profile>, Error> {
    dojo.skip_first_run().map(Json)
}

async fn restart_first_run(State(dojo): State<Dojo>) -> Result<Json<Profile>, Error> {
    dojo.restart_first_run().map(Json)
}

#[derive(Debug, Deserialize)]
struct PlanQuery {
    today: Option<String>,
}

async fn daily_plan(
    State(dojo): State<Dojo>,
    query: Result<Query<PlanQuery>, QueryRejection>,
) -> Result<Json<DailyPlan>, Response> {
    let Query(query) = query.map_err(|rejection| {
        problem(
            StatusCode::BAD_REQUEST,
            "Bad plan request",
            &rejection.body_text(),
        )
    })?;
    Ok(Json(dojo.daily_plan(query.today.as_deref())?))
}
