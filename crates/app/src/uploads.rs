//! Files and images to and from the sandbox, for the Upload panel of topics 21 and 22. A
//! console request carries text only, so an upload takes a door of its own:
//!
//! - [`Dojo::upload_to_sandbox`] posts a finished request body (the UI builds the
//!   `multipart/form-data` form, boundary and all) byte for byte to a sandbox path under
//!   `/api/`, and answers like the console: status, headers, body and the sandbox's trace.
//! - [`Dojo::fetch_sandbox_object`] follows one presigned URL of the sandbox's object store
//!   and hands back what the store answered: its status, type and bytes, so the UI can show
//!   the stored image and its thumbnail, or why the store refused.
//!
//! Both shells use these: web mode behind `POST /api/sandbox/upload` and
//! `GET /api/sandbox/object`, the desktop app behind two Tauri commands.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use reqwest::header;

use crate::console::{ConsoleResponse, MAX_BODY_SHOWN, Received, receive, request_id_of};
use crate::traffic::TraceView;
use crate::{Dojo, Error, Problem, Result};

/// The largest body the app carries to the sandbox: above the sandbox's own limits (4 MiB
/// for images, 2 MiB for files), so a learner sees the sandbox's 413 for too large a file.
pub const UPLOAD_LIMIT_BYTES: usize = 8 * 1024 * 1024;
/// Uploads go to the sandbox's API; nothing else is posted through here.
const UPLOAD_PREFIX: &str = "/api/";
/// Objects are read from the sandbox's object store only.
const OBJECT_PREFIX: &str = "/object-store/";

/// One client for both doors: no cookies (the console's jar stays the console's), no
/// redirects, and the console's 30 s patience.
static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
});

/// What the sandbox's object store answered for one presigned URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxObject {
    /// The store's HTTP status: 200 for the object, 403 for a bad or expired signature, 404
    /// for an object that is gone.
    pub status: u16,
    /// The store's `Content-Type` (`application/octet-stream` when it sent none).
    pub content_type: String,
    /// The object's bytes, or the store's problem document when it refused.
    pub bytes: Vec<u8>,
}

impl SandboxObject {
    /// Whether the store handed over the object (a 2xx status).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The object's bytes when the store handed it over; otherwise the store's refusal as a
    /// problem with the store's own status, title and detail.
    pub fn into_bytes(self) -> std::result::Result<Vec<u8>, Problem> {
        if self.is_success() {
            return Ok(self.bytes);
        }
        let said = serde_json::from_slice::<serde_json::Value>(&self.bytes).ok();
        let text = |key: &str| {
            said.as_ref()
                .and_then(|value| value.get(key))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let title = text("title").unwrap_or_else(|| "The object store refused".to_owned());
        let detail = text("detail")
            .unwrap_or_else(|| format!("the sandbox's object store answered {}", self.status));
        Err(Problem::new(self.status, &title, &detail))
    }
}

impl Dojo {
    /// Posts `body` to the sandbox at `path` (under `/api/`, with an optional query) with
    /// `content_type`, such as a `multipart/form-data` type with its boundary, and answers
    /// what the sandbox said, with its trace. A refusal by the sandbox (4xx, 5xx) is an
    /// answer; errors are a bad path, too large a body, or no sandbox to reach.
    pub async fn upload_to_sandbox(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<ConsoleResponse> {
        checked_path(path, UPLOAD_PREFIX).map_err(Error::BadSandboxPath)?;
        if body.len() > UPLOAD_LIMIT_BYTES {
            return Err(Error::UploadTooLarge(format!(
                "the app carries at most {} MiB to the sandbox; this upload is {:.1} MiB",
                UPLOAD_LIMIT_BYTES / (1024 * 1024),
                mebibytes(body.len())
            )));
        }
        let link = self.sandbox.link().ok_or(Error::SandboxNotRunning)?;
        let url = format!("{}{path}", link.base_url.trim_end_matches('/'));
        let mut request = CLIENT.post(&url).body(body);
        if let Some(content_type) = content_type {
            let value = header::HeaderValue::from_str(content_type).map_err(|_| {
                Error::Console(format!("{content_type:?} is not a usable Content-Type"))
            })?;
            request = request.header(header::CONTENT_TYPE, value);
        }
        let started = Instant::now();
        let Received {
            status,
            headers,
            bytes,
        } = receive(request, &url).await?;
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let (body, pretty) = shown_body(&bytes);
        let request_id = request_id_of(&headers);
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

    /// Reads one object of the sandbox's store through its presigned `path`
    /// (`/object-store/...?expires=...&signature=...`, as the sandbox answered it). The
    /// store's status, type and bytes come back as they were, a refusal included.
    pub async fn fetch_sandbox_object(&self, path: &str) -> Result<SandboxObject> {
        checked_path(path, OBJECT_PREFIX).map_err(Error::BadSandboxPath)?;
        let link = self.sandbox.link().ok_or(Error::SandboxNotRunning)?;
        let url = format!("{}{path}", link.base_url.trim_end_matches('/'));
        let Received {
            status,
            headers,
            bytes,
        } = receive(CLIENT.get(&url), &url).await?;
        let content_type = headers
            .into_iter()
            .find(|(name, _)| name == header::CONTENT_TYPE.as_str())
            .map_or_else(|| "application/octet-stream".to_owned(), |(_, value)| value);
        Ok(SandboxObject {
            status: status.as_u16(),
            content_type,
            bytes,
        })
    }
}

/// `Ok` when `path` is a plain absolute path (with an optional query) under `prefix`;
/// otherwise the reason in words.
fn checked_path(path: &str, prefix: &str) -> std::result::Result<(), String> {
    if !path.starts_with(prefix) {
        return Err(format!("the sandbox path {path:?} is not under {prefix}"));
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

fn mebibytes(bytes: usize) -> f64 {
    // Precision is no concern here: the figure is shown with one decimal.
    #[expect(clippy::cast_precision_loss, reason = "shown rounded to one decimal")]
    let bytes = bytes as f64;
    bytes / (1024.0 * 1024.0)
}

/// Request bodies for the upload tests of this crate: real PNGs and `multipart/form-data`
/// forms, made without an encoder.
#[cfg(test)]
pub(crate) mod test_files {
    /// The boundary of [`form`]'s bodies.
    pub(crate) const BOUNDARY: &str = "dojo-upload-test-boundary";

    /// The `Content-Type` of [`form`]'s bodies.
    pub(crate) fn form_type() -> String {
        format!("multipart/form-data; boundary={BOUNDARY}")
    }

    /// A `multipart/form-data` body with one file part.
    pub(crate) fn form(field: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; \
             filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    /// A real RGB PNG of `width` x `height`, its pixel data in stored (uncompressed)
    /// deflate blocks, so the tests need no encoder.
    pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
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
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::test_files::{form, form_type, png};
    use super::{
        OBJECT_PREFIX, SandboxObject, UPLOAD_LIMIT_BYTES, UPLOAD_PREFIX, checked_path, shown_body,
    };
    use crate::sandbox::SandboxOptions;
    use crate::{Dojo, Error};

    async fn running_dojo() -> Dojo {
        let dojo = Dojo::load().expect("embedded content loads");
        dojo.launch_sandbox(SandboxOptions::default())
            .await
            .expect("the sandbox starts");
        dojo
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_image_is_stored_and_its_thumbnail_read_back_through_its_signed_url() {
        let dojo = running_dojo().await;
        let answer = dojo
            .upload_to_sandbox(
                "/api/v1/images",
                Some(&form_type()),
                form("image", "wide.png", "image/png", &png(300, 150)),
            )
            .await
            .expect("the sandbox answers");
        assert_eq!(answer.status, 201, "the sandbox stored it: {}", answer.body);
        let image: Value = serde_json::from_str(&answer.body).expect("the sandbox answered JSON");
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
        let trace = answer
            .trace
            .as_ref()
            .expect("the upload's trace came along");
        assert!(
            !trace.layers.is_empty(),
            "the trace has the sandbox's layers"
        );

        let thumbnail = image["thumbnail_url"].as_str().expect("a thumbnail URL");
        let object = dojo
            .fetch_sandbox_object(thumbnail)
            .await
            .expect("the store answers");
        assert_eq!(object.status, 200);
        assert_eq!(object.content_type, "image/png");
        let bytes = object.into_bytes().expect("the store handed it over");
        assert!(bytes.starts_with(b"\x89PNG"), "the thumbnail's bytes");

        // One character of the signature changed: the store refuses, and says why.
        let forged = thumbnail.replace("signature=", "signature=0");
        let refused = dojo
            .fetch_sandbox_object(&forged)
            .await
            .expect("the store answers");
        assert_eq!(refused.status, 403);
        let problem = refused.into_bytes().expect_err("a forged URL gets nothing");
        assert_eq!(problem.status, 403);
        assert!(
            !problem.detail.is_empty(),
            "the store's reason: {problem:?}"
        );
        dojo.stop_sandbox().await.expect("the sandbox stops");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn bytes_named_png_that_are_no_image_get_the_sandboxs_415_and_its_reason() {
        let dojo = running_dojo().await;
        let answer = dojo
            .upload_to_sandbox(
                "/api/v1/images",
                Some(&form_type()),
                form(
                    "image",
                    "holiday.png",
                    "image/png",
                    b"these are words, not pixels",
                ),
            )
            .await
            .expect("the sandbox answers");
        assert_eq!(answer.status, 415, "{}", answer.body);
        let trace = answer.trace.expect("the refusal's trace");
        let refused_by: Vec<&str> = trace
            .layers
            .iter()
            .filter(|layer| layer.decision == "short_circuited")
            .map(|layer| layer.layer.as_str())
            .collect();
        assert_eq!(refused_by, ["upload_type"], "the type check refused it");
        dojo.stop_sandbox().await.expect("the sandbox stops");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn uploads_need_an_api_path_a_sane_size_and_a_running_sandbox() {
        let dojo = Dojo::load().expect("embedded content loads");
        let body = || form("image", "a.png", "image/png", b"x");

        let tooling = dojo
            .upload_to_sandbox("/_dojo/topics/21/reset", Some(&form_type()), body())
            .await
            .expect_err("tooling is out of reach");
        assert!(
            matches!(&tooling, Error::BadSandboxPath(reason) if reason.contains("is not under /api/")),
            "{tooling:?}"
        );

        let huge = dojo
            .upload_to_sandbox(
                "/api/v1/files",
                Some(&form_type()),
                vec![b'x'; UPLOAD_LIMIT_BYTES + 1],
            )
            .await
            .expect_err("too large to carry");
        assert!(huge.to_string().contains("at most 8 MiB"), "{huge}");
        assert_eq!(
            huge.status(),
            413,
            "the desktop app hears 413 like web mode"
        );

        let stopped = dojo
            .upload_to_sandbox("/api/v1/images", Some(&form_type()), body())
            .await
            .expect_err("no sandbox to reach");
        assert!(matches!(stopped, Error::SandboxNotRunning), "{stopped:?}");

        let elsewhere = dojo
            .fetch_sandbox_object("/api/v1/images/sample")
            .await
            .expect_err("only object store paths are read");
        assert!(
            elsewhere
                .to_string()
                .contains("is not under /object-store/"),
            "{elsewhere}"
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
            ("", UPLOAD_PREFIX, "is not under /api/"),
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

    #[test]
    fn a_refusal_of_the_store_becomes_its_problem_and_other_bodies_a_plain_one() {
        let refused = SandboxObject {
            status: 403,
            content_type: "application/problem+json".into(),
            bytes: br#"{"title":"Forbidden","detail":"the URL expired at 17"}"#.to_vec(),
        };
        let problem = refused.into_bytes().expect_err("a 403 hands nothing over");
        assert_eq!(
            (
                problem.status,
                problem.title.as_str(),
                problem.detail.as_str()
            ),
            (403, "Forbidden", "the URL expired at 17")
        );

        let gone = SandboxObject {
            status: 404,
            content_type: "text/plain".into(),
            bytes: b"gone".to_vec(),
        };
        let problem = gone.into_bytes().expect_err("a 404 hands nothing over");
        assert_eq!(problem.status, 404);
        assert!(problem.detail.contains("404"), "{problem:?}");

        let found = SandboxObject {
            status: 200,
            content_type: "image/png".into(),
            bytes: b"\x89PNG".to_vec(),
        };
        assert_eq!(found.into_bytes().expect("a 200 hands over"), b"\x89PNG");
    }
}
