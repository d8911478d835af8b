//! Request ids: every request gets one (or keeps a sane one it brought), and every answer
//! echoes it in `X-Request-Id`. The trace, the access log and problem details use it.

use axum::http::{HeaderName, HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};
use uuid::{Builder, Uuid};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Random v4 UUIDs, short enough to read out when reporting a problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeUuid;

impl MakeRequestId for MakeUuid {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        // A v4 UUID from the thread's random generator: no system call per request.
        let id = Builder::from_random_bytes(rand::random()).into_uuid();
        let mut text = Uuid::encode_buffer();
        HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
            .ok()
            .map(RequestId::new)
    }
}

/// A client-supplied id is kept only if it is short and plain, so it cannot inject into
/// logs or traces.
pub fn is_acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Drops an incoming `X-Request-Id` that is not [`is_acceptable`], so a fresh one is made.
pub(crate) fn drop_unacceptable(mut request: axum::extract::Request) -> axum::extract::Request {
    let bad = request
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|value| !value.to_str().is_ok_and(is_acceptable));
    if bad {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}
