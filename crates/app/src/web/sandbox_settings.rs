//! Web-mode routes for the sandbox's settings: `GET`/`PUT /api/sandbox/settings`,
//! `POST /api/sandbox/settings/test-mongodb`, `POST /api/sandbox/settings/test-redis` and
//! `POST /api/sandbox/settings/test-smtp`. Each handler is one call into [`Dojo`].

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::json_body;
use crate::sandbox_settings::{
    ConnectionTest, ConnectionTestRequest, SandboxSettings, SandboxSettingsInput,
    SandboxSettingsSaved,
};
use crate::{Dojo, Error};

/// The sandbox settings routes, merged into the web-mode router.
pub(super) fn routes() -> Router<Dojo> {
    Router::new()
        .route(
            "/api/sandbox/settings",
            get(sandbox_settings).put(save_sandbox_settings),
        )
        .route("/api/sandbox/settings/test-mongodb", post(test_mongodb))
        .route("/api/sandbox/settings/test-redis", post(test_redis))
        .route("/api/sandbox/settings/test-smtp", post(test_smtp))
}

async fn sandbox_settings(State(dojo): State<Dojo>) -> Result<Json<SandboxSettings>, Error> {
    dojo.sandbox_settings().map(Json)
}

async fn save_sandbox_settings(
    State(dojo): State<Dojo>,
    body: Result<Json<SandboxSettingsInput>, JsonRejection>,
) -> Result<Json<SandboxSettingsSaved>, Response> {
    let input = json_body(body, "Bad sandbox settings")?;
    Ok(Json(dojo.save_sandbox_settings(&input).await?))
}

async fn test_mongodb(
    State(dojo): State<Dojo>,
    body: Result<Json<ConnectionTestRequest>, JsonRejection>,
) -> Result<Json<ConnectionTest>, Response> {
    let request = json_body(body, "Bad connection test")?;
    Ok(Json(dojo.test_mongodb(&request).await))
}

async fn test_redis(
    State(dojo): State<Dojo>,
    body: Result<Json<ConnectionTestRequest>, JsonRejection>,
) -> Result<Json<ConnectionTest>, Response> {
    let request = json_body(body, "Bad connection test")?;
    Ok(Json(dojo.test_redis(&request).await))
}

async fn test_smtp(
    State(dojo): State<Dojo>,
    body: Result<Json<ConnectionTestRequest>, JsonRejection>,
) -> Result<Json<ConnectionTest>, Response> {
    let request = json_body(body, "Bad connection test")?;
    Ok(Json(dojo.test_smtp(&request).await))
}
