//! Error handling and async error propagation (topics 15 and 20): routes that fail on
//! purpose so the learner sees one error type become problem details, a panic caught and
//! hidden, a slow handler stopped by the timeout, and validation with every field's error.
//!
//! Try it: `curl -si http://127.0.0.1:PORT/api/v1/errors/panic`

use std::time::Duration;

use axum::Json;
use axum::extract::Query;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::ValidJson;
use crate::state::AppState;

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(panics))
        .routes(routes!(internal))
        .routes(routes!(slow))
        .routes(routes!(echo))
}

// region: error-internal
/// A handler that panics
///
/// The panic is caught and answered as a 500 problem that hides the message.
#[utoipa::path(
    get,
    path = "/api/v1/errors/panic",
    tag = "errors",
    responses((status = 500, response = crate::openapi::InternalError)),
)]
async fn panics() -> Json<Value> {
    panic!("a bug in a handler: index out of bounds while building the answer")
}

/// A handler that fails
///
/// Its cause (a database address and user) goes to the trace; the answer only carries the
/// request id.
#[utoipa::path(
    get,
    path = "/api/v1/errors/internal",
    tag = "errors",
    responses((status = 500, response = crate::openapi::InternalError)),
)]
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

/// How long a slow handler slept.
#[derive(Debug, Serialize, ToSchema)]
struct Slept {
    slept_ms: u64,
}

/// A handler that takes its time
///
/// Sleeps `ms` milliseconds (100 by default, 60 000 at most). Past the request timeout
/// (5 s) the timeout layer answers 503 and the handler's work is dropped.
#[utoipa::path(
    get,
    path = "/api/v1/errors/slow",
    tag = "errors",
    params(("ms" = Option<u64>, Query, description = "Milliseconds to sleep", maximum = 60000)),
    responses(
        (status = 200, description = "Finished in time", body = Slept),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 503, response = crate::openapi::TimedOut),
    ),
)]
// region: async-timeout
async fn slow(Query(query): Query<SlowQuery>) -> ApiResult<Json<Slept>> {
    let ms = match query.ms.as_deref() {
        None => 100,
        Some(raw) => raw.trim().parse::<u64>().map_err(|_| {
            ApiError::BadRequest(format!(
                "ms must be a whole number of milliseconds, not {raw:?}"
            ))
        })?,
    };
    let wait = Duration::from_millis(ms.min(60_000));
    tokio::time::sleep(wait).await;
    Ok(Json(Slept {
        slept_ms: wait.as_millis() as u64,
    }))
}
// endregion

/// A person to validate. Unknown members are refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Ada", "email": "ada@dojo.test", "age": 36 }))]
struct EchoBody {
    /// 1 to 50 characters.
    #[schema(min_length = 1, max_length = 50)]
    name: Option<String>,
    /// Must contain an `@` with text on both sides.
    #[schema(format = Email)]
    email: Option<String>,
    /// From 13 to 130, when given.
    #[schema(minimum = 13, maximum = 130)]
    age: Option<i64>,
}

/// The validated person, echoed back.
#[derive(Debug, Serialize, ToSchema)]
struct Echoed {
    age: Option<i64>,
    email: String,
    name: String,
}

/// Validate a body and echo it
///
/// Checks every field and answers one 422 listing all of them, or the body back.
#[utoipa::path(
    post,
    path = "/api/v1/echo",
    tag = "errors",
    request_body = EchoBody,
    responses(
        (status = 200, description = "Every field is valid", body = Echoed),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: error-validation
async fn echo(ValidJson(body): ValidJson<EchoBody>) -> ApiResult<Json<Echoed>> {
    let mut errors = Vec::new();
    let name = body.name.unwrap_or_default();
    if name.trim().is_empty() || name.chars().count() > 50 {
        errors.push(FieldError {
            field: "name".into(),
            message: "required, 1 to 50 characters".into(),
        });
    }
    let email = body.email.unwrap_or_default();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        errors.push(FieldError {
            field: "email".into(),
            message: "must be an email address".into(),
        });
    }
    if let Some(age) = body.age
        && !(13..=130).contains(&age)
    {
        errors.push(FieldError {
            field: "age".into(),
            message: "must be between 13 and 130".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(Json(Echoed {
        age: body.age,
        email,
        name,
    }))
}
// endregion
