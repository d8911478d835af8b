//! Request ids: every request gets one (or keeps a sane one it brought), and every answer
//! echoes it in `X-Request-Id`. The trace, the access log and problem details use it.

use axum::http::{HeaderName, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Random v4 UUIDs, short enough to read out when reporting a problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeUuid;

impl MakeRequestId for MakeUuid {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::new_v4().to_string();
        id.parse().ok().map(RequestId::new)
    }
}

/// A client-supplied id is kept only if it is short and plain, so it cannot inject into
/// logs or traces.
pub fn is_acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Drops an incoming `X-Request-Id` that is not [`is_acceptable`], so a fresh one is made.
pub(crate) async fn drop_unacceptable(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let bad = request
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|value| !value.to_str().is_ok_and(is_acceptable));
    if bad {
        request.headers_mut().remove(REQUEST_ID);
    }
    next.run(request).await
}
