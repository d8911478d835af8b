//! Web-mode routes behind the Upload panel of topics 21 and 22. A console request carries
//! text only, so files and images take these two doors to the sandbox instead:
//!
//! - `POST /api/sandbox/upload` sends the browser's body byte for byte, with its
//!   `Content-Type` (a `multipart/form-data` boundary included), to the sandbox path named in
//!   the `X-Sandbox-Path` header, and answers like the console: status, headers, body and
//!   the sandbox's trace. The path travels in a header of its own so that a page on another
//!   site cannot post a plain form here: a custom header needs a CORS preflight, which this
//!   server never grants.
//! - `GET /api/sandbox/object?path=/object-store/...` follows one presigned URL of the
//!   sandbox's object store and hands back what the store answered (the bytes, or its
//!   403/404 problem), so the page shows images from its own origin. Only object store
//!   paths are followed, and the answer may never run as a page of this origin.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::problem;
use crate::console::ConsoleResponse;
use crate::traffic::TraceView;
use crate::{Dojo, Error};

/// The header that names the sandbox path an upload goes to, such as `/api/v1/images`.
const SANDBOX_PATH_HEADER: &str = "x-sandbox-path";
/// The largest body the app carries to the sandbox: above the sandbox's own limits (4 MiB
/// for images, 2 MiB for files), so a learner sees the sandbox's 413 for too large a file.
const UPLOAD_LIMIT_BYTES: usize = 8 * 1024 * 1024;
/// Uploads go to the sandbox's API; nothing else is posted through here.
const UPLOAD_PREFIX: &str = "/api/";
/// Objects are read from the sandbox's object store only.
const OBJECT_PREFIX: &str = "/object-store/";
/// A JSON answer longer than this is shown as it came rather than pretty-printed.
const MAX_BODY_SHOWN: usize = 256 * 1024;
/// What an object answer may do as a page of this origin: nothing.
const OBJECT_POLICY: &str =
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

/// One client for both routes: no cookies (the console's jar stays the console's), no
/// redirects, and the console's 30 s patience.
static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
});

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
) -> Response {
    let path = match headers.get(SANDBOX_PATH_HEADER).map(HeaderValue::to_str) {
        Some(Ok(path)) => path,
        Some(Err(_)) => return bad_path("the X-Sandbox-Path header is not plain text"),
        None => {
            return bad_path(
                "name the sandbox path in the X-Sandbox-Path header, such as /api/v1/images",
            );
        }
    };
    if let Err(reason) = checked_path(path, UPLOAD_PREFIX) {
        return bad_path(&reason);
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Upload too large",
                &format!(
                    "the app carries at most {} MiB to the sandbox",
                    UPLOAD_LIMIT_BYTES / (1024 * 1024)
                ),
            );
        }
        Err(rejection) => {
            return problem(
                rejection.status(),
                "Upload not read",
                &rejection.body_text(),
            );
        }
    };
    match forward_upload(&dojo, path, headers.get(header::CONTENT_TYPE), body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Posts `body` to the sandbox at `path` and answers what came back, with its trace.
async fn forward_upload(
    dojo: &Dojo,
    path: &str,
    content_type: Option<&HeaderValue>,
    body: Bytes,
) -> Result<ConsoleResponse, Error> {
    let link = dojo.sandbox.link().ok_or(Error::SandboxNotRunning)?;
    let url = format!("{}{path}", link.base_url.trim_end_matches('/'));
    let mut request = CLIENT.post(&url).body(body);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let started = Instant::now();
    let response = request
        .send()
        .await
        .map_err(|error| Error::Unreachable(format!("{url}: {}", describe(&error))))?;
    let status = response.status();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let bytes = response
        .bytes()
        .await
        .map_err(|error| Error::Unreachable(format!("{url}: {}", describe(&error))))?;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (body, pretty) = shown_body(&bytes);
    let request_id = headers
        .iter()
        .find(|(name, _)| name == "x-request-id")
        .map(|(_, value)| value.clone());
    let trace = request_id
        .as_deref()
        .and_then(|id| link.traces.get(id))
        .map(|trace| TraceView::from(trace.as_ref()));
    Ok(ConsoleResponse {
        status: status.as_u16(),
        status_text: status.canonical_reason().unwrap_or("").to_owned(),
        headers,
        body,
        pretty,
        duration_ms,
        request_id,
        resolved_url: url,
        trace,
    })
}

async fn object(
    State(dojo): State<Dojo>,
    query: Result<Query<ObjectQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(ObjectQuery { path })) = query else {
        return bad_path("give the object's presigned path in ?path=");
    };
    if let Err(reason) = checked_path(&path, OBJECT_PREFIX) {
        return bad_path(&reason);
    }
    match fetch_object(&dojo, &path).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// Reads one object through its presigned path; the store's status, type and bytes come
/// back as they were, under a policy that keeps them from acting as a page.
async fn fetch_object(dojo: &Dojo, path: &str) -> Result<Response, Error> {
    let link = dojo.sandbox.link().ok_or(Error::SandboxNotRunning)?;
    let url = format!("{}{path}", link.base_url.trim_end_matches('/'));
    let response = CLIENT
        .get(&url)
        .send()
        .await
        .map_err(|error| Error::Unreachable(format!("{url}: {}", describe(&error))))?;
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| HeaderValue::from_bytes(value.as_bytes()).ok())
        .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"));
    let bytes = response
        .bytes()
        .await
        .map_err(|error| Error::Unreachable(format!("{url}: {}", describe(&error))))?;
    Ok((
        status,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(OBJECT_POLICY),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// `Ok` when `path` is a plain absolute path (with an optional query) under `prefix`;
/// otherwise the reason in words.
fn checked_path(path: &str, prefix: &str) -> Result<(), String> {
    if !path.starts_with(prefix) {
        return Err(format!("{path:?} is not under {prefix}"));
    }
    if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("{path:?} holds spaces or control characters"));
    }
    if path.contains('\\') || path.contains('#') {
        return Err(format!("{path:?} holds a backslash or a fragment"));
    }
    let route = path.split('?').next().unwrap_or(path);
    if route
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
        || route.contains("//")
    {
        return Err(format!(
            "{path:?} is not a plain path: it has empty, . or .. segments"
        ));
    }
    Ok(())
}

/// The body as the console shows it: JSON pretty-printed, anything else as text, cut short.
fn shown_body(bytes: &[u8]) -> (String, bool) {
    if bytes.len() <= MAX_BODY_SHOWN
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Ok(pretty) = serde_json::to_string_pretty(&value)
    {
        return (pretty, true);
    }
    let shown = &bytes[..bytes.len().min(MAX_BODY_SHOWN)];
    (String::from_utf8_lossy(shown).into_owned(), false)
}

fn bad_path(reason: &str) -> Response {
    problem(StatusCode::BAD_REQUEST, "Bad sandbox path", reason)
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_connect() {
        "nothing is listening there (connection refused)".into()
    } else if error.is_timeout() {
        "no answer within 30 s".into()
    } else {
        error.to_string()
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{HeaderMap, Request, StatusCode, header};
    use http_body_util::BodyExt as _;
    use serde_json::Value;
    use tower::ServiceExt as _;

    use super::{
        OBJECT_PREFIX, SANDBOX_PATH_HEADER, UPLOAD_PREFIX, checked_path, routes, shown_body,
    };
    use crate::Dojo;
    use crate::sandbox::SandboxOptions;

    const BOUNDARY: &str = "dojo-upload-test-boundary";

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

    /// A `multipart/form-data` body with one file part.
    fn form(field: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; \
             filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    fn upload_request(path: Option<&str>, body: Vec<u8>) -> Request<Body> {
        let mut request = Request::post("/api/sandbox/upload").header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
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

    /// A real RGB PNG of `width` x `height`, its pixel data in stored (uncompressed)
    /// deflate blocks, so the test needs no encoder.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut raw = Vec::new();
        for y in 0..height {
            raw.push(0); // filter: none
            for x in 0..width {
                raw.extend_from_slice(&[(x % 256) as u8, (y % 256) as u8, 120]);
            }
        }
        let mut zlib = vec![0x78, 0x01];
        let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
        for (index, block) in blocks.iter().enumerate() {
            zlib.push(u8::from(index + 1 == blocks.len()));
            let len = u16::try_from(block.len()).expect("a stored block fits 16 bits");
            zlib.extend_from_slice(&len.to_le_bytes());
            zlib.extend_from_slice(&(!len).to_le_bytes());
            zlib.extend_from_slice(block);
        }
        let (mut a, mut b) = (1u32, 0u32);
        for byte in &raw {
            a = (a + u32::from(*byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());

        let mut header = Vec::new();
        header.extend_from_slice(&width.to_be_bytes());
        header.extend_from_slice(&height.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [(b"IHDR", header), (b"IDAT", zlib), (b"IEND", Vec::new())] {
            out.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
            let mut chunk = kind.to_vec();
            chunk.extend_from_slice(&data);
            out.extend_from_slice(&chunk);
            out.extend_from_slice(&crc32(&chunk).to_be_bytes());
        }
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
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
            (image["width"].as_u64(), image["height"].as_u64()),
            (Some(300), Some(150))
        );
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
    async fn bytes_named_png_that_are_no_image_get_the_sandboxs_415_and_its_reason() {
        let dojo = Dojo::load().expect("embedded content loads");
        dojo.launch_sandbox(SandboxOptions::default())
            .await
            .expect("the sandbox starts");
        let router = routes().with_state(dojo.clone());

        let sent = call(
            &router,
            upload_request(
                Some("/api/v1/images"),
                form(
                    "image",
                    "holiday.png",
                    "image/png",
                    b"these are words, not pixels",
                ),
            ),
        )
        .await;
        let answer = sent.json();
        assert_eq!(answer["status"], 415, "{answer}");
        let refused_by: Vec<&str> = answer["trace"]["layers"]
            .as_array()
            .expect("the trace's layers")
            .iter()
            .filter(|layer| layer["decision"] == "short_circuited")
            .filter_map(|layer| layer["layer"].as_str())
            .collect();
        assert_eq!(refused_by, ["upload_type"], "the type check refused it");
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
    }

    #[test]
    fn plain_paths_under_the_prefix_pass() {
        assert_eq!(checked_path("/api/v1/images", UPLOAD_PREFIX), Ok(()));
        assert_eq!(
            checked_path("/api/v1/files?name=notes.txt", UPLOAD_PREFIX),
            Ok(())
        );
        assert_eq!(
            checked_path(
                "/object-store/images/abc/thumb.png?expires=17&signature=9b1c",
                OBJECT_PREFIX
            ),
            Ok(())
        );
    }

    #[test]
    fn other_places_and_tricks_are_refused_with_the_reason() {
        let cases = [
            (
                "/_dojo/topics/21/reset",
                UPLOAD_PREFIX,
                "is not under /api/",
            ),
            (
                "http://example.com/api/x",
                UPLOAD_PREFIX,
                "is not under /api/",
            ),
            (
                "/api/v1/../../_dojo/traces",
                UPLOAD_PREFIX,
                "not a plain path",
            ),
            ("/api//v1/images", UPLOAD_PREFIX, "not a plain path"),
            ("/api/v1/images\\..", UPLOAD_PREFIX, "backslash"),
            ("/api/v1/images#x", UPLOAD_PREFIX, "fragment"),
            ("/api/v1/images x", UPLOAD_PREFIX, "spaces"),
            (
                "/api/v1/images",
                OBJECT_PREFIX,
                "is not under /object-store/",
            ),
        ];
        for (path, prefix, expected) in cases {
            let reason = checked_path(path, prefix).expect_err(path);
            assert!(reason.contains(expected), "{path}: {reason}");
        }
    }

    #[test]
    fn json_is_pretty_printed_and_other_bodies_stay_text() {
        let (body, pretty) = shown_body(br#"{"status":415}"#);
        assert!(pretty);
        assert_eq!(body, "{\n  \"status\": 415\n}");
        let (body, pretty) = shown_body(b"plain words");
        assert!(!pretty);
        assert_eq!(body, "plain words");
    }
}
