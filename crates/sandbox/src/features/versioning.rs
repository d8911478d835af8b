//! API versioning (topic 14): one user resource in two shapes. `/api/v1/users/{id}` is
//! the old flat shape and announces its end with `Deprecation`, `Sunset` and a `Link` to
//! its successor; `/api/v2/users/{id}` nests the name. `/api/users/{id}` picks by the
//! `Accept: application/vnd.dojo.v1+json` (or v2) header, v2 by default.
//!
//! Try it: `curl -si http://127.0.0.1:PORT/api/v1/users/1`

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::features::users::User;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users/{id}", get(user_v1))
        .route("/api/v2/users/{id}", get(user_v2))
        .route("/api/users/{id}", get(user_negotiated))
}

/// When v1 stops answering (an HTTP date, as `Sunset` wants).
const V1_SUNSET: &str = "Wed, 30 Jun 2027 00:00:00 GMT";

// region: versioning
fn v1(user: &User) -> Response {
    let body = json!({ "id": user.id, "name": format!("{} {}", user.first_name, user.last_name), "email": user.email });
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert("deprecation", HeaderValue::from_static("true"));
    headers.insert("sunset", HeaderValue::from_static(V1_SUNSET));
    if let Ok(link) = HeaderValue::from_str(&format!("</api/v2/users/{}>; rel=\"successor-version\"", user.id)) {
        headers.insert(header::LINK, link);
    }
    response
}

fn v2(user: &User) -> Response {
    let body = json!({
        "id": user.id,
        "name": { "first": user.first_name, "last": user.last_name },
        "email": user.email,
    });
    Json(body).into_response()
}

async fn user_negotiated(State(state): State<AppState>, Path(id): Path<u64>, headers: HeaderMap) -> ApiResult<Response> {
    let user = find(&state, id)?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut response = if accept.contains("application/vnd.dojo.v1+json") { v1(user) } else { v2(user) };
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(response)
}
// endregion

async fn user_v1(State(state): State<AppState>, Path(id): Path<u64>) -> ApiResult<Response> {
    Ok(v1(find(&state, id)?))
}

async fn user_v2(State(state): State<AppState>, Path(id): Path<u64>) -> ApiResult<Response> {
    Ok(v2(find(&state, id)?))
}

fn find(state: &AppState, id: u64) -> ApiResult<&User> {
    state.users.by_id(id).ok_or_else(|| ApiError::NotFound(format!("no user has id {id}")))
}
