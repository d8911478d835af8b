//! The sandbox's body limit, with a larger allowance for the upload routes.
//!
//! Why here and not as a route layer: the limit layer sits in the shared stack, outside the
//! router, so it refuses an oversized body before any route is chosen. tower-http's
//! `RequestBodyLimit` wraps every body it passes in a limit, and a layer further in can
//! only lower that limit, never raise it. axum's `DefaultBodyLimit` on a route does not
//! help either: it only tells axum's own extractors (`Json`, `Bytes`, `Multipart`) how
//! much to read. So the stack keeps one limit layer, and this layer picks its limit per
//! route: 64 KiB for everything (the config's `body_limit`), and each upload route's own
//! size plus room for multipart framing. The upload handlers still count every byte and
//! refuse at their exact limit, because a chunked body declares no length up front; the
//! upload routes also set `DefaultBodyLimit` so axum's multipart extractor agrees.

use std::task::{Context, Poll};

use axum::http::{Method, Request};
use tower::{Layer, Service};
use tower_http::body::Limited;
use tower_http::limit::{RequestBodyLimit, ResponseBody, ResponseFuture};

use crate::features::file_upload::{FILE_ROUTE_LIMIT, FILES_PATH};
use crate::features::image_upload::{IMAGE_ROUTE_LIMIT, IMAGES_PATH};
use crate::features::object_store::{MAX_OBJECT_BYTES, STORE_PATH};

/// A route that takes more than the default.
struct LargerLimit {
    method: Method,
    path: &'static str,
    /// Whether every path under `path/` counts too.
    prefix: bool,
    limit: usize,
}

// region: upload-body-limits
/// Every route allowed a larger body than the sandbox's default, with its allowance.
fn larger_limits() -> [LargerLimit; 3] {
    [
        LargerLimit {
            method: Method::POST,
            path: IMAGES_PATH,
            prefix: false,
            limit: IMAGE_ROUTE_LIMIT,
        },
        LargerLimit {
            method: Method::POST,
            path: FILES_PATH,
            prefix: false,
            limit: FILE_ROUTE_LIMIT,
        },
        LargerLimit {
            method: Method::PUT,
            path: STORE_PATH,
            prefix: true,
            limit: MAX_OBJECT_BYTES + 64 * 1024,
        },
    ]
}
// endregion

/// The body limit for a request: the default unless its route takes more.
fn limit_for(default: usize, method: &Method, path: &str) -> usize {
    larger_limits()
        .into_iter()
        .find(|route| {
            route.method == method
                && match path.strip_prefix(route.path) {
                    Some("") => true,
                    Some(rest) => route.prefix && rest.starts_with('/'),
                    None => false,
                }
        })
        .map_or(default, |route| route.limit.max(default))
}

/// The body limit layer of the sandbox's stack, with `default` for ordinary routes.
pub(crate) fn by_route(default: usize) -> BodyLimitLayer {
    BodyLimitLayer { default }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimitLayer {
    default: usize,
}

impl<S> Layer<S> for BodyLimitLayer {
    type Service = BodyLimit<S>;

    fn layer(&self, inner: S) -> BodyLimit<S> {
        BodyLimit {
            inner,
            default: self.default,
        }
    }
}

/// tower-http's `RequestBodyLimit`, with its limit chosen per request.
#[derive(Debug, Clone)]
pub(crate) struct BodyLimit<S> {
    inner: S,
    default: usize,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for BodyLimit<S>
where
    S: Service<Request<Limited<ReqBody>>, Response = axum::http::Response<ResBody>> + Clone,
    ResBody: axum::body::HttpBody,
{
    type Response = axum::http::Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let limit = limit_for(self.default, request.method(), request.uri().path());
        // The service that was polled ready answers; a clone stays for the next request.
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        RequestBodyLimit::new(ready, limit).call(request)
    }
}

/// Whether a body error is this layer's refusal (the body grew past its limit) rather than
/// a broken connection.
pub(crate) fn is_over_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_upload_routes_get_more() {
        let default = 64 * 1024;
        assert_eq!(
            limit_for(default, &Method::POST, "/api/v1/files"),
            FILE_ROUTE_LIMIT
        );
        assert_eq!(
            limit_for(default, &Method::POST, "/api/v1/images"),
            IMAGE_ROUTE_LIMIT
        );
        assert!(limit_for(default, &Method::PUT, "/object-store/incoming/abc") > default);
        for (method, path) in [
            (Method::GET, "/api/v1/files"),
            (Method::POST, "/api/v1/files/extra"),
            (Method::POST, "/api/v1/filesystem"),
            (Method::POST, "/api/v1/images/uploads"),
            (Method::PUT, "/object-storex/a"),
            (Method::POST, "/api/v1/auth/login"),
        ] {
            assert_eq!(
                limit_for(default, &method, path),
                default,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn a_larger_default_is_never_lowered() {
        let default = 64 * 1024 * 1024;
        assert_eq!(limit_for(default, &Method::POST, "/api/v1/files"), default);
    }
}
