//! Health and readiness (topic 29). `/healthz` says the process answers; `/readyz` says
//! the sandbox can serve learners' requests (its stores are reachable).
//!
//! Try it: `curl -i http://127.0.0.1:PORT/readyz`

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

// region: health-probes
/// Liveness: the process answers
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((
        status = 200,
        description = "Alive",
        body = Value,
        example = json!({ "status": "ok" }),
    )),
)]
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the sandbox can serve requests
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses((status = 200, description = "Ready, with each check's result", body = Value,
        example = json!({
            "status": "ready",
            "checks": { "users": { "status": "ok", "count": 3 } }
        }))),
)]
async fn readyz(State(state): State<AppState>) -> Json<Value> {
    let users = state.users.count();
    Json(json!({ "status": "ready", "checks": { "users": { "status": "ok", "count": users } } }))
}
// endregion
