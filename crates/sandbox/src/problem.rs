//! The error mapper on the way out: every 4xx and 5xx leaves the sandbox as problem
//! details carrying the request id in `instance`, whichever layer produced it (a handler,
//! the router's 404 and 405, the body limit's 413, the timeout's 503, a caught panic).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::error::{PROBLEM_JSON, Problem, ProblemAnswered};
use crate::features::security_headers::{AllowedOrigins, add_security_headers};
use crate::request_id::REQUEST_ID;
use crate::state::AppState;

/// Problem bodies are small; anything larger is not ours to rewrite.
const MAX_PROBLEM_BYTES: usize = 64 * 1024;

/// The error mapper. Successful answers pass straight through; only errors take the
/// (asynchronous) [`rewrite`].
///
/// Errors from layers outside the security-header and CORS layers (the body limit's 413,
/// the timeout's 503, a caught panic's 500, the router's 404 for an unknown path) never
/// passed those layers on their way out, so the mapper adds what they would have: the
/// security headers, and CORS headers for an allowed origin, so a browser app can read
/// the refusal.
pub(crate) fn finish(state: &AppState) -> ProblemLayer {
    ProblemLayer {
        origins: AllowedOrigins::of(state),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ProblemLayer {
    origins: AllowedOrigins,
}

impl<S> Layer<S> for ProblemLayer {
    type Service = Problems<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Problems {
            inner,
            origins: self.origins.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Problems<S> {
    inner: S,
    origins: AllowedOrigins,
}

/// What the mapper needs from the request to explain a failure.
#[derive(Debug)]
pub(crate) struct Asked {
    request_id: Option<HeaderValue>,
    method: Method,
    uri: Uri,
    /// The `Origin` of a cross-origin request, if this sandbox lets it read answers.
    allowed_origin: Option<HeaderValue>,
}

impl<S, B> Service<Request> for Problems<S>
where
    S: Service<Request, Response = Response<B>>,
    S::Future: Unpin,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ProblemFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let asked = Asked {
            request_id: request.headers().get(REQUEST_ID).cloned(),
            method: request.method().clone(),
            uri: request.uri().clone(),
            allowed_origin: request
                .headers()
                .get(header::ORIGIN)
                .filter(|o| self.origins.allows(o))
                .cloned(),
        };
        ProblemFuture::Answering {
            inner: self.inner.call(request),
            asked: Some(asked),
        }
    }
}

/// The response of [`Problems`].
pub(crate) enum ProblemFuture<F> {
    Answering {
        inner: F,
        asked: Option<Asked>,
    },
    Rewriting {
        rewrite: Pin<Box<dyn Future<Output = Response> + Send>>,
    },
}

impl<F> std::fmt::Debug for ProblemFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProblemFuture")
    }
}

impl<F, B, E> Future for ProblemFuture<F>
where
    F: Future<Output = Result<Response<B>, E>> + Unpin,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match this {
                ProblemFuture::Answering { inner, asked } => {
                    let response = ready!(Pin::new(inner).poll(cx))?.map(Body::new);
                    let status = response.status();
                    let asked = asked.take().expect("the answer is only taken once");
                    if !(status.is_client_error() || status.is_server_error()) {
                        return Poll::Ready(Ok(response));
                    }
                    *this = ProblemFuture::Rewriting {
                        rewrite: Box::pin(rewrite(response, asked)),
                    };
                }
                ProblemFuture::Rewriting { rewrite } => return rewrite.as_mut().poll(cx).map(Ok),
            }
        }
    }
}

/// Turns an error answer into problem details carrying the request id, with the headers
/// every answer gets.
async fn rewrite(response: Response, mut asked: Asked) -> Response {
    let allowed_origin = asked.allowed_origin.take();
    let mut response = problem_details(response, asked).await;
    let headers = response.headers_mut();
    add_security_headers(headers);
    if let Some(origin) = allowed_origin
        && !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        headers.append(header::VARY, HeaderValue::from_static("origin"));
    }
    response
}

async fn problem_details(response: Response, asked: Asked) -> Response {
    let request_id = asked
        .request_id
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let method = asked.method;
    let path = asked.uri.path();
    let status = response.status();
    let answered = response.extensions().get::<ProblemAnswered>().is_some();
    let (parts, body) = response.into_parts();
    let mut problem = if answered {
        match to_bytes(body, MAX_PROBLEM_BYTES)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        {
            Some(mut value) => {
                value["instance"] = request_id
                    .clone()
                    .map_or(serde_json::Value::Null, serde_json::Value::String);
                let mut response = Response::from_parts(parts, Body::from(value.to_string()));
                response.headers_mut().remove(header::CONTENT_LENGTH);
                return response;
            }
            None => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the error answer could not be read",
            ),
        }
    } else {
        // A short plain-text refusal (axum's path and query rejections) says what was
        // wrong with the input; keep it. Server errors keep theirs private.
        let text = match to_bytes(body, MAX_PROBLEM_BYTES).await {
            Ok(bytes) if status == StatusCode::BAD_REQUEST && is_plain_text(&parts.headers) => {
                String::from_utf8_lossy(&bytes).trim().to_owned()
            }
            _ => String::new(),
        };
        let detail = if text.is_empty() || text.len() > 300 {
            default_detail(status, &method, path)
        } else {
            text
        };
        Problem::new(status, slug_for(status), detail)
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
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

fn is_plain_text(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"))
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
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("{path} does not accept {method}; the Allow header lists what it does")
        }
        StatusCode::PAYLOAD_TOO_LARGE => "the body is larger than the sandbox accepts".into(),
        StatusCode::SERVICE_UNAVAILABLE => {
            "the handler did not finish in time and was stopped".into()
        }
        status if status.is_server_error() => {
            "Something went wrong on our side. Quote the request id when you report it.".into()
        }
        status => status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_owned(),
    }
}
