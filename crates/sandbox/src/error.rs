//! One HTTP error type for the whole sandbox, answered as RFC 9457
//! `application/problem+json`. Server errors keep their cause in the trace, never in the
//! answer.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Problem type URIs live under this prefix; each names one kind of failure.
pub const PROBLEM_BASE: &str = "https://backend-dojo.dev/problems/";
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field's validation failure.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[schema(example = json!({ "field": "email", "message": "must be an email address" }))]
pub struct FieldError {
    /// The JSON member that was wrong.
    pub field: String,
    /// What a valid value looks like.
    pub message: String,
}

/// Everything a sandbox handler or extractor can refuse a request with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{reason}")]
    Unauthorized { reason: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("the request has {} invalid field(s)", .0.len())]
    Validation(Vec<FieldError>),
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A service the sandbox needs (Redis) cannot be reached; the message names it.
    #[error("{0}")]
    Unavailable(String),
    /// A failure on our side. The message is for the trace and the log, not the client.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::NotAcceptable(_) => "not-acceptable",
            ApiError::Conflict(_) => "conflict",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::Validation(_) => "validation",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::Unavailable(_) => "service-unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

/// An RFC 9457 problem document: the body of every error answer.
// `instance` (the request id) is filled in on the way out by `problem::finish`, which knows
// the id. The OpenAPI document calls this schema `ProblemDetails`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ProblemDetails, example = json!({
    "type": "https://backend-dojo.dev/problems/validation",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "the request has 1 invalid field(s)",
    "instance": "7f3c9a52-1d2e-4b7a-9c1f-0a6e5d4b3c21",
    "errors": [{ "field": "email", "message": "must be an email address" }]
}))]
pub struct Problem {
    /// A URI naming the kind of failure; the same kind always has the same URI.
    #[serde(rename = "type")]
    #[schema(format = "uri")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status code, repeated for clients that lose the status line.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong with this request, in a sentence. Server errors say only that
    /// something failed and ask for the request id.
    pub detail: String,
    /// The request id (also in `X-Request-Id`): quote it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = true)]
    pub instance: Option<String>,
    /// On 422: one entry per invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("{PROBLEM_BASE}{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            errors: Vec::new(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(&self)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(target: "dojo::trace", layer = "handler", step = "error", reason = cause.as_str());
                "Something went wrong on our side. Quote the request id when you report it."
                    .to_owned()
            }
            other => other.to_string(),
        };
        let mut problem = Problem::new(status, self.slug(), detail);
        let mut response = match self {
            ApiError::Validation(errors) => {
                problem.errors = errors;
                problem.into_response()
            }
            ApiError::Unauthorized { .. } => {
                let mut response = problem.into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"backend-dojo\""),
                );
                response
            }
            ApiError::RateLimited { retry_after_secs } => {
                let mut response = problem.into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                response
            }
            _ => problem.into_response(),
        };
        response.extensions_mut().insert(ProblemAnswered);
        response
    }
}

/// Marks answers already written as problem details, so the mapper leaves them be.
#[derive(Debug, Clone, Copy)]
pub struct ProblemAnswered;

/// Body extraction failures (malformed JSON, wrong content type, too large) as problems.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ),
            JsonRejection::JsonSyntaxError(error) => {
                ApiError::BadRequest(format!("the body is not valid JSON: {}", error.body_text()))
            }
            JsonRejection::JsonDataError(error) => ApiError::Validation(vec![FieldError {
                field: "body".into(),
                message: error.body_text(),
            }]),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge("the body is larger than the sandbox accepts".into())
            }
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}
