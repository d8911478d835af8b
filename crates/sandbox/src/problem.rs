//! The error mapper on the way out: every 4xx and 5xx leaves the sandbox as problem
//! details carrying the request id in `instance`, whichever layer produced it (a handler,
//! the router's 404 and 405, the body limit's 413, the timeout's 503, a caught panic).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{PROBLEM_JSON, Problem, ProblemAnswered};
use crate::request_id::REQUEST_ID;

/// Problem bodies are small; anything larger is not ours to rewrite.
const MAX_PROBLEM_BYTES: usize = 64 * 1024;

pub(crate) async fn finish(request: Request, next: Next) -> Response {
    let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let answered = response.extensions().get::<ProblemAnswered>().is_some();
    let (parts, body) = response.into_parts();
    let mut problem = if answered {
        match to_bytes(body, MAX_PROBLEM_BYTES).await.ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()) {
            Some(mut value) => {
                value["instance"] = request_id.clone().map_or(serde_json::Value::Null, serde_json::Value::String);
                let mut response = Response::from_parts(parts, Body::from(value.to_string()));
                response.headers_mut().remove(header::CONTENT_LENGTH);
                return response;
            }
            None => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the error answer could not be read"),
        }
    } else {
        Problem::new(status, slug_for(status), default_detail(status, &method, &path))
    };
    problem.instance = request_id;
    let mut response = problem.into_response();
    // Keep the headers the failing layer set (Allow, Retry-After, CORS, ...), but not its
    // body's length or type.
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

fn slug_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
        StatusCode::SERVICE_UNAVAILABLE => "timeout",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        status if status.is_server_error() => "internal",
        _ => "bad-request",
    }
}

fn default_detail(status: StatusCode, method: &axum::http::Method, path: &str) -> String {
    match status {
        StatusCode::NOT_FOUND => format!("the sandbox has no route for {method} {path}"),
        StatusCode::METHOD_NOT_ALLOWED => format!("{path} does not accept {method}; the Allow header lists what it does"),
        StatusCode::PAYLOAD_TOO_LARGE => "the body is larger than the sandbox accepts".into(),
        StatusCode::SERVICE_UNAVAILABLE => "the handler did not finish in time and was stopped".into(),
        status if status.is_server_error() => {
            "Something went wrong on our side. Quote the request id when you report it.".into()
        }
        status => status.canonical_reason().unwrap_or("the request was refused").to_owned(),
    }
}
