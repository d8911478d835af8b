//! Health and readiness (topic 29). `/healthz` says the process answers; `/readyz` says
//! the sandbox can serve learners' requests (its stores are reachable).
//!
//! Try it: `curl -i http://127.0.0.1:PORT/readyz`

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

// region: health-probes
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Json<Value> {
    let users = state.users.count();
    Json(json!({ "status": "ready", "checks": { "users": { "status": "ok", "count": users } } }))
}
// endregion
