//! Web-mode routes behind the Upload panel of topics 21 and 22; the work is done by
//! [`Dojo::upload_to_sandbox`] and [`Dojo::fetch_sandbox_object`] (`crate::uploads`).
//!
//! - `POST /api/sandbox/upload` hands the browser's body, with its `Content-Type` (a
//!   `multipart/form-data` boundary included), to the sandbox path named in the
//!   `X-Sandbox-Path` header, and answers like the console. The path travels in a header of
//!   its own so that a page on another site cannot post a plain form here: a custom header
//!   needs a CORS preflight, which this server never grants.
//! - `GET /api/sandbox/object?path=/object-store/...` answers what the object store
//!   answered for that presigned path (the bytes, or its 403/404 problem), so the page shows
//!   images from its own origin; the answer may never run as a page of this origin.

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::problem;
use crate::Dojo;
use crate::console::ConsoleResponse;
use crate::uploads::{SandboxObject, UPLOAD_LIMIT_BYTES};

/// The header that names the sandbox path an upload goes to, such as `/api/v1/images`.
const SANDBOX_PATH_HEADER: &str = "x-sandbox-path";
/// What an object answer may do as a page of this origin: nothing.
const OBJECT_POLICY: &str =
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

/// The upload routes, merged into the web-mode router.
pub(super) fn routes() -> Router<Dojo> {
    Router::new()
        .route(
            "/api/sandbox/upload",
            post(upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES)),
        )
        .route("/api/sandbox/object", get(object))
}

/// The query of `GET /api/sandbox/object`.
#[derive(Debug, Deserialize)]
struct ObjectQuery {
    /// A presigned object store path with its query, as the sandbox answered it.
    path: String,
}

async fn upload(
    State(dojo): State<Dojo>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ConsoleResponse>, Response> {
    let path = header_text(&headers, SANDBOX_PATH_HEADER)?.ok_or_else(|| {
        bad_path("name the sandbox path in the X-Sandbox-Path header, such as /api/v1/images")
    })?;
    let content_type = header_text(&headers, header::CONTENT_TYPE.as_str())?;
    let body = read_body(body)?;
    Ok(Json(
        dojo.upload_to_sandbox(path, content_type, body.into())
            .await?,
    ))
}

async fn object(
    State(dojo): State<Dojo>,
    query: Result<Query<ObjectQuery>, QueryRejection>,
) -> Result<Response, Response> {
    let Ok(Query(ObjectQuery { path })) = query else {
        return Err(bad_path("give the object's presigned path in ?path="));
    };
    Ok(object_response(dojo.fetch_sandbox_object(&path).await?))
}

/// The store's status, type and bytes as they were, under a policy that keeps them from
/// acting as a page.
fn object_response(object: SandboxObject) -> Response {
    let status = StatusCode::from_u16(object.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = HeaderValue::from_str(&object.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    (
        status,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(OBJECT_POLICY),
            ),
        ],
        Body::from(object.bytes),
    )
        .into_response()
}

/// The text of header `name`, if the request has it; a problem when it is not plain text.
#[expect(
    clippy::result_large_err,
    reason = "the error is the finished answer, returned once straight to axum"
)]
fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, Response> {
    headers
        .get(name)
        .map(|value| {
            value
                .to_str()
                .map_err(|_| bad_path(&format!("the {name} header is not plain text")))
        })
        .transpose()
}

/// The request body, or the problem that says why it could not be read (413 above the
/// app's limit).
#[expect(
    clippy::result_large_err,
    reason = "the error is the finished answer, returned once straight to axum"
)]
fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Response> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Upload too large",
                &format!(
                    "the app carries at most {} MiB to the sandbox",
                    UPLOAD_LIMIT_BYTES / (1024 * 1024)
                ),
            )
        } else {
            problem(
                rejection.status(),
                "Upload not read",
                &rejection.body_text(),
            )
        }
    })
}

fn bad_path(reason: &str) -> Response {
    problem(StatusCode::BAD_REQUEST, "Bad sandbox path", reason)
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{HeaderMap, Request, StatusCode, header};
    use http_body_util::BodyExt as _;
    use serde_json::Value;
    use tower::ServiceExt as _;

    use super::{SANDBOX_PATH_HEADER, routes};
    use crate::Dojo;
    use crate::sandbox::SandboxOptions;
    use crate::uploads::UPLOAD_LIMIT_BYTES;
    use crate::uploads::test_files::{form, form_type, png};

    struct Reply {
        status: StatusCode,
        headers: HeaderMap,
        body: Vec<u8>,
    }

    impl Reply {
        fn json(&self) -> Value {
            serde_json::from_slice(&self.body).expect("a JSON answer")
        }

        fn header(&self, name: header::HeaderName) -> &str {
            self.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        }
    }

    async fn call(router: &Router, request: Request<Body>) -> Reply {
        let response = router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .expect("the body reads")
            .to_bytes()
            .to_vec();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    fn upload_request(path: Option<&str>, body: Vec<u8>) -> Request<Body> {
        let mut request =
            Request::post("/api/sandbox/upload").header(header::CONTENT_TYPE, form_type());
        if let Some(path) = path {
            request = request.header(SANDBOX_PATH_HEADER, path);
        }
        request.body(Body::from(body)).expect("a valid request")
    }

    fn object_request(path: &str) -> Request<Body> {
        let query: String = url_encode(path);
        Request::get(format!("/api/sandbox/object?path={query}"))
            .body(Body::empty())
            .expect("a valid request")
    }

    fn url_encode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_image_goes_through_and_its_thumbnail_comes_back_through_the_signed_url() {
        let dojo = Dojo::load().expect("embedded content loads");
        dojo.launch_sandbox(SandboxOptions::default())
            .await
            .expect("the sandbox starts");
        let router = routes().with_state(dojo.clone());

        let sent = call(
            &router,
            upload_request(
                Some("/api/v1/images"),
                form("image", "wide.png", "image/png", &png(300, 150)),
            ),
        )
        .await;
        assert_eq!(sent.status, StatusCode::OK, "the app answered");
        let answer = sent.json();
        assert_eq!(answer["status"], 201, "the sandbox stored it: {answer}");
        let image: Value = serde_json::from_str(answer["body"].as_str().expect("a body"))
            .expect("the sandbox answered JSON");
        assert_eq!(
            (
                image["thumbnail_width"].as_u64(),
                image["thumbnail_height"].as_u64()
            ),
            (Some(256), Some(128)),
            "the thumbnail fits 256 x 256"
        );
        assert!(
            answer["trace"]["layers"].is_array(),
            "the upload's trace came along"
        );

        let thumbnail = image["thumbnail_url"].as_str().expect("a thumbnail URL");
        let fetched = call(&router, object_request(thumbnail)).await;
        assert_eq!(fetched.status, StatusCode::OK);
        assert_eq!(fetched.header(header::CONTENT_TYPE), "image/png");
        assert!(
            fetched.body.starts_with(b"\x89PNG"),
            "the thumbnail's bytes"
        );
        assert!(
            fetched
                .header(header::CONTENT_SECURITY_POLICY)
                .contains("sandbox"),
            "an object never runs as a page of the app"
        );

        // One character of the signature changed: the store refuses, and the app says so.
        let forged = thumbnail.replace("signature=", "signature=0");
        let refused = call(&router, object_request(&forged)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        dojo.stop_sandbox().await.expect("the sandbox stops");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_upload_must_name_an_api_path_and_needs_a_running_sandbox() {
        let dojo = Dojo::load().expect("embedded content loads");
        let router = routes().with_state(dojo.clone());

        let unnamed = call(
            &router,
            upload_request(None, form("image", "a.png", "image/png", b"x")),
        )
        .await;
        assert_eq!(unnamed.status, StatusCode::BAD_REQUEST);
        assert!(
            unnamed.json()["detail"]
                .as_str()
                .unwrap_or("")
                .contains("X-Sandbox-Path")
        );

        let tooling = call(
            &router,
            upload_request(
                Some("/_dojo/topics/21/reset"),
                form("image", "a.png", "image/png", b"x"),
            ),
        )
        .await;
        assert_eq!(tooling.status, StatusCode::BAD_REQUEST);
        assert_eq!(tooling.json()["title"], "Bad sandbox path");
        assert!(
            tooling.json()["detail"]
                .as_str()
                .unwrap_or("")
                .contains("is not under /api/"),
            "the reason is given"
        );

        let stopped = call(
            &router,
            upload_request(
                Some("/api/v1/images"),
                form("image", "a.png", "image/png", b"x"),
            ),
        )
        .await;
        assert_eq!(stopped.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(stopped.json()["title"], "Sandbox not running");

        let elsewhere = call(&router, object_request("/api/v1/images/sample")).await;
        assert_eq!(
            elsewhere.status,
            StatusCode::BAD_REQUEST,
            "only object store paths are read"
        );

        let unnamed_object = call(
            &router,
            Request::get("/api/sandbox/object")
                .body(Body::empty())
                .expect("a valid request"),
        )
        .await;
        assert_eq!(unnamed_object.status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_body_over_the_apps_limit_is_refused_with_413() {
        let dojo = Dojo::load().expect("embedded content loads");
        let router = routes().with_state(dojo);
        let too_large = call(
            &router,
            upload_request(Some("/api/v1/files"), vec![b'x'; UPLOAD_LIMIT_BYTES + 1]),
        )
        .await;
        assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(too_large.json()["title"], "Upload too large");
    }
}
