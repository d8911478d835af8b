//! Error handling and async error propagation (topics 15 and 20): routes that fail on
//! purpose so the learner sees one error type become problem details, a panic caught and
//! hidden, a slow handler stopped by the timeout, and validation with every field's error.
//!
//! Try it: `curl -si http://127.0.0.1:PORT/api/v1/errors/panic`

use std::time::Duration;

use axum::extract::Query;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::ValidJson;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/errors/panic", get(panics))
        .route("/api/v1/errors/internal", get(internal))
        .route("/api/v1/errors/slow", get(slow))
        .route("/api/v1/echo", post(echo))
}

// region: error-internal
async fn panics() -> Json<Value> {
    panic!("a bug in a handler: index out of bounds while building the answer")
}

async fn internal() -> ApiResult<Json<Value>> {
    // A failure whose cause must stay in the trace, never in the answer.
    let cause = "connection to the database at 10.0.0.5:5432 refused (password authentication failed for user \"app\")";
    Err(ApiError::Internal(cause.into()))
}
// endregion

#[derive(Debug, Deserialize)]
struct SlowQuery {
    ms: Option<String>,
}

// region: async-timeout
async fn slow(Query(query): Query<SlowQuery>) -> ApiResult<Json<Value>> {
    let ms = match query.ms.as_deref() {
        None => 100,
        Some(raw) => raw.trim().parse::<u64>().map_err(|_| {
            ApiError::BadRequest(format!("ms must be a whole number of milliseconds, not {raw:?}"))
        })?,
    };
    let wait = Duration::from_millis(ms.min(60_000));
    tokio::time::sleep(wait).await;
    Ok(Json(json!({ "slept_ms": wait.as_millis() as u64 })))
}
// endregion

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoBody {
    name: Option<String>,
    email: Option<String>,
    age: Option<i64>,
}

// region: error-validation
async fn echo(ValidJson(body): ValidJson<EchoBody>) -> ApiResult<Json<Value>> {
    let mut errors = Vec::new();
    let name = body.name.unwrap_or_default();
    if name.trim().is_empty() || name.chars().count() > 50 {
        errors.push(FieldError { field: "name".into(), message: "required, 1 to 50 characters".into() });
    }
    let email = body.email.unwrap_or_default();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        errors.push(FieldError { field: "email".into(), message: "must be an email address".into() });
    }
    if let Some(age) = body.age
        && !(13..=130).contains(&age)
    {
        errors.push(FieldError { field: "age".into(), message: "must be between 13 and 130".into() });
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(Json(json!({ "name": name, "email": email, "age": body.age })))
}
// endregion
