//! Local file upload and download (topic 22).
//!
//! `POST /api/v1/files` streams a file to disk chunk by chunk: a `multipart/form-data`
//! body with the file in the `file` part, or the raw bytes as the body with the name in
//! `?name=` (the way GitHub's release asset upload works). The file is written under a
//! `.part` name, counted as it arrives (413 past 2 MiB, with the partial file removed),
//! then renamed to a random name. The client's name is kept for display only; a name with
//! a path in it is refused.
//!
//! `GET /api/v1/files/{id}` serves it back as an attachment with the type told from its
//! bytes, an ETag, and single `Range` requests (206, or 416 past the end). A symbolic link
//! where the file should be is refused.
//!
//! The `upload-trust-client-filename` switch writes under the client's name instead. The
//! answer shows the path a server doing that would write; the sandbox writes the file at
//! the same place inside a `victim/` folder of its own temp dir, never outside it.
//!
//! Try it: `curl --data-binary @notes.txt 'http://127.0.0.1:PORT/api/v1/files?name=notes.txt'`,
//! then `curl -i -r 0-9 http://127.0.0.1:PORT/api/v1/files/ID` for the first ten bytes.

pub mod body_limit;
pub mod disk;
pub mod range;

use std::io::SeekFrom;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tempfile::TempDir;
use tokio::io::AsyncSeekExt as _;
use tokio_stream::StreamExt as _;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::body_limit::is_over_limit;
use self::disk::{FILE_MAX_BYTES, FileRecord, Incoming, WriteError};
use self::range::{FileChunks, RangeAnswer, parse_range};
use crate::error::{ApiError, ApiResult, Problem, ProblemAnswered};
use crate::state::AppState;
use crate::switches::Switch;

/// Where files are uploaded.
pub const FILES_PATH: &str = "/api/v1/files";
/// Largest body `POST /api/v1/files` takes: the file plus room for multipart framing.
pub const FILE_ROUTE_LIMIT: usize = FILE_MAX_BYTES as usize + 64 * 1024;

/// A stored file as the API answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "5b0e9c2d4f6a8b1c3e5d7f9a0b2c4d6e",
    "name": "notes.txt",
    "size": 58,
    "content_type": "text/plain; charset=utf-8",
    "sha256": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
    "url": "/api/v1/files/5b0e9c2d4f6a8b1c3e5d7f9a0b2c4d6e"
}))]
pub struct FileView {
    pub id: String,
    /// The client's name, for display; never part of a path.
    pub name: String,
    pub size: u64,
    /// Told from the first bytes, not from the name or the declared type.
    pub content_type: String,
    pub sha256: String,
    /// Where to download it.
    pub url: String,
    /// Only with `upload-trust-client-filename` on: where the client's name led.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_path: Option<ClientPath>,
}

/// Where a file went when its path came from the client's name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientPath {
    /// The path a server that trusts the name would write, for an upload directory of
    /// `/srv/app/uploads`.
    pub would_write: String,
    /// Where the sandbox wrote it instead, relative to its own temp dir.
    pub written_to: String,
    /// Whether the name climbed out of the upload directory.
    pub escaped_upload_dir: bool,
    /// Whether a file was already there and is now replaced.
    pub overwrote: bool,
}

/// The `multipart/form-data` body of `POST /api/v1/files`.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "documents the form; never built")]
pub struct FileForm {
    /// The file, at most 2 MiB; its part's `filename` is the name shown.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The query of a raw upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name when the body is the raw file (not multipart).
    name: Option<String>,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    // The multipart extractor honours `DefaultBodyLimit` (2 MB unless told otherwise); the
    // upload route takes a file plus the form's framing. The sandbox-wide body limit layer
    // lets this path through with the same allowance (see `body_limit`).
    let upload = OpenApiRouter::new()
        .routes(routes!(upload_file))
        .route_layer(DefaultBodyLimit::max(FILE_ROUTE_LIMIT));
    OpenApiRouter::new()
        .merge(upload)
        .routes(routes!(download_file))
}

fn trace_decision(layer: &'static str, outcome: Result<&str, (u16, &str)>) {
    match outcome {
        Ok(reason) => {
            tracing::info!(target: "dojo::trace", layer, step = "decision", decision = "passed", reason);
        }
        Err((status, reason)) => {
            tracing::info!(target: "dojo::trace", layer, step = "decision", decision = "short_circuited", status = u64::from(status), reason);
        }
    }
}

/// Where an upload is written.
#[derive(Debug)]
struct Target {
    /// Keeps the temp dir alive while the upload runs, even across a reset.
    _root: Arc<TempDir>,
    /// The directory of the `.part` file: the final file's own, so the rename is atomic.
    dir: PathBuf,
    path: PathBuf,
    client_path: Option<ClientPath>,
}

// region: file-target
/// Decides where a file named `name` goes. Normally: a random name in `uploads/`, after
/// refusing names with a path in them. With `upload-trust-client-filename` on: wherever the
/// name leads, kept inside the sandbox's temp dir.
fn target(state: &AppState, name: &str) -> ApiResult<Target> {
    let root = state
        .files
        .root()
        .map_err(|error| ApiError::Internal(format!("the upload directory: {error}")))?;
    if state.switches.is_on(Switch::UploadTrustClientFilename) {
        return target_from_client_name(root, name);
    }
    if let Err(refused) = disk::check_name(name) {
        let reason = format!("{}: {name:?}", refused.reason());
        trace_decision("upload_name", Err((400, &reason)));
        return Err(ApiError::BadRequest(format!(
            "{reason}; send a plain name such as report.pdf (files are stored under random \
             names, the name is only shown)"
        )));
    }
    trace_decision(
        "upload_name",
        Ok("plain name, kept for display; the file gets a random name on disk"),
    );
    let dir = root.path().join("uploads");
    Ok(Target {
        path: dir.join(disk::random_name()),
        dir,
        _root: root,
        client_path: None,
    })
}
// endregion

/// The hole, contained: the client's name is the path.
fn target_from_client_name(root: Arc<TempDir>, name: &str) -> ApiResult<Target> {
    if name.contains('\0') {
        return Err(ApiError::BadRequest(
            "the file name contains a NUL byte, which no file system path can".into(),
        ));
    }
    let pretend = disk::pretend_path(name);
    if pretend.file_name().is_none() || name.ends_with(['/', '\\']) {
        return Err(ApiError::BadRequest(format!(
            "the file name {name:?} names a directory, not a file"
        )));
    }
    let (path, escaped) = disk::contained_path(root.path(), &pretend);
    if disk::has_symlink_below(root.path(), &path) {
        let reason = "the path passes through a symbolic link; the sandbox does not follow links";
        trace_decision("upload_name", Err((403, reason)));
        return Err(ApiError::Forbidden(reason.into()));
    }
    let dir = path
        .parent()
        .map_or_else(|| root.path().to_path_buf(), FsPath::to_path_buf);
    std::fs::create_dir_all(&dir)
        .map_err(|error| ApiError::Internal(format!("the upload directory: {error}")))?;
    let would_write = pretend.display().to_string();
    trace_decision(
        "upload_name",
        Ok(&format!(
            "the client's name is the path (upload-trust-client-filename is on): a server would \
             write {would_write}"
        )),
    );
    let written_to = path
        .strip_prefix(root.path())
        .unwrap_or(&path)
        .display()
        .to_string();
    Ok(Target {
        client_path: Some(ClientPath {
            would_write,
            written_to,
            escaped_upload_dir: escaped,
            overwrote: path.exists(),
        }),
        dir,
        path,
        _root: root,
    })
}

fn too_large() -> ApiError {
    let reason = format!(
        "files are limited to {} MiB; the partial file was removed",
        FILE_MAX_BYTES / (1024 * 1024)
    );
    trace_decision("upload_size", Err((413, &reason)));
    ApiError::PayloadTooLarge(reason)
}

fn write_error(error: WriteError) -> ApiError {
    match error {
        WriteError::TooLarge => too_large(),
        WriteError::Io(error) => ApiError::Internal(format!("writing the upload: {error}")),
    }
}

fn multipart_error(error: &MultipartError) -> ApiError {
    // Past the limit, the error may come from several layers down (the body limit layer
    // under `DefaultBodyLimit`'s own), so look through its causes.
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE || is_over_limit(error) {
        too_large()
    } else {
        ApiError::BadRequest(format!(
            "the multipart body could not be read: {}",
            error.body_text()
        ))
    }
}

async fn start(target: &Target) -> ApiResult<Incoming> {
    Incoming::start(&target.dir, FILE_MAX_BYTES)
        .await
        .map_err(|error| ApiError::Internal(format!("starting the upload: {error}")))
}

// region: file-receive
/// Streams one multipart file part to disk.
async fn receive_part(state: &AppState, mut field: Field<'_>) -> ApiResult<(Incoming, Target)> {
    let name = field.file_name().unwrap_or_default().to_owned();
    let target = target(state, &name)?;
    let mut incoming = start(&target).await?;
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
        incoming.write(&chunk).await.map_err(write_error)?;
    }
    Ok((incoming, target))
}

/// Streams a raw body to disk.
async fn receive_body(state: &AppState, name: &str, body: Body) -> ApiResult<(Incoming, Target)> {
    let target = target(state, name)?;
    let mut incoming = start(&target).await?;
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|error| {
            if is_over_limit(&error) {
                too_large()
            } else {
                ApiError::BadRequest(format!("the upload stopped before its end: {error}"))
            }
        })?;
        incoming.write(&chunk).await.map_err(write_error)?;
    }
    Ok((incoming, target))
}
// endregion

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Upload a file
///
/// Either `multipart/form-data` with the file in the `file` part, or the raw bytes as the
/// body with `?name=`. Streamed to disk under a random name; 2 MiB at most.
#[utoipa::path(
    post,
    path = "/api/v1/files",
    operation_id = "upload_file",
    tag = "uploads",
    params(UploadQuery),
    request_body(
        description = "The file, as a form or as the raw body",
        content(
            (FileForm = "multipart/form-data"),
            ("application/octet-stream"),
        ),
    ),
    responses(
        (status = 201, description = "Stored; `Location` names the download", body = FileView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 413, response = crate::openapi::PayloadTooLarge),
    ),
)]
async fn upload_file(
    State(state): State<AppState>,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> ApiResult<Response> {
    let (incoming, target, name) = if is_multipart(request.headers()) {
        let mut multipart =
            Multipart::from_request(request, &state)
                .await
                .map_err(|rejection| {
                    ApiError::BadRequest(format!(
                        "the multipart body could not be read: {}",
                        rejection.body_text()
                    ))
                })?;
        let field = multipart
            .next_field()
            .await
            .map_err(|e| multipart_error(&e))?
            .ok_or_else(|| ApiError::BadRequest("send one file in the `file` part".into()))?;
        if field.name() != Some("file") || field.file_name().is_none() {
            return Err(ApiError::BadRequest(format!(
                "unexpected part {:?}: send one file (with a filename) in the `file` part",
                field.name().unwrap_or_default()
            )));
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        let (incoming, target) = receive_part(&state, field).await?;
        if multipart
            .next_field()
            .await
            .map_err(|e| multipart_error(&e))?
            .is_some()
        {
            // `incoming` is dropped on the way out, and its file with it.
            return Err(ApiError::BadRequest("send exactly one part, `file`".into()));
        }
        (incoming, target, name)
    } else {
        let name = query.name.ok_or_else(|| {
            ApiError::BadRequest(
                "name the file: `POST /api/v1/files?name=report.pdf` with the bytes as the body, \
                 or send multipart/form-data with a `file` part"
                    .into(),
            )
        })?;
        let (incoming, target) = receive_body(&state, &name, request.into_body()).await?;
        (incoming, target, name)
    };

    let saved = incoming
        .keep_as(&target.path)
        .await
        .map_err(|error| ApiError::Internal(format!("finishing the upload: {error}")))?;
    trace_decision(
        "upload_size",
        Ok(&format!(
            "{} bytes streamed to disk, within the limit",
            saved.size
        )),
    );
    let id = disk::random_name();
    state.files.insert(
        id.clone(),
        FileRecord {
            path: target.path.clone(),
            name: name.clone(),
            size: saved.size,
            content_type: saved.content_type,
            sha256: saved.sha256.clone(),
        },
    );
    let url = format!("{FILES_PATH}/{id}");
    let view = FileView {
        id,
        name,
        size: saved.size,
        content_type: saved.content_type.to_owned(),
        sha256: saved.sha256,
        url: url.clone(),
        client_path: target.client_path,
    };
    Ok((StatusCode::CREATED, [(header::LOCATION, url)], Json(view)).into_response())
}

/// Download a file
///
/// Sent as an attachment with the type told from its bytes. Supports one `Range`
/// (`bytes=0-99`, `bytes=100-`, `bytes=-100`) and `If-Range` with the ETag.
#[utoipa::path(
    get,
    path = "/api/v1/files/{id}",
    operation_id = "download_file",
    tag = "uploads",
    params(
        ("id" = String, Path, description = "The id the upload answered"),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-99`"),
        ("If-Range" = Option<String>, Header, description = "Honour `Range` only if the ETag still matches"),
    ),
    responses(
        (status = 200, description = "The whole file, its type told from its bytes (text/plain, image/png, application/pdf, ... or application/octet-stream)", content_type = "*/*"),
        (status = 206, description = "The requested range, typed like the whole file; `Content-Range` says which", content_type = "*/*"),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 416, description = "The range starts past the end; `Content-Range: bytes */size`", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
async fn download_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let not_found = || ApiError::NotFound(format!("no file with id {id:?}"));
    // Only ids the server made are looked up; `../../etc/passwd` ends here.
    if !disk::is_random_name(&id) {
        return Err(not_found());
    }
    let record = state.files.get(&id).ok_or_else(not_found)?;
    let file = open_stored(&state, &record).await?;
    let size = file
        .metadata()
        .await
        .map_err(|error| ApiError::Internal(format!("reading the file's size: {error}")))?
        .len();
    serve(file, size, &record, &headers).await
}

// region: file-open-stored
/// Opens a stored file, refusing a symbolic link in its place (or above it): a link
/// planted in the upload directory must not turn a download into a read of any file.
async fn open_stored(state: &AppState, record: &FileRecord) -> ApiResult<tokio::fs::File> {
    let root = state
        .files
        .root_path()
        .ok_or_else(|| ApiError::NotFound("no file has been uploaded yet".into()))?;
    if disk::has_symlink_below(&root, &record.path) {
        let reason = "the stored path is a symbolic link; downloads never follow links";
        trace_decision("file_open", Err((403, reason)));
        return Err(ApiError::Forbidden(reason.into()));
    }
    match tokio::fs::symlink_metadata(&record.path).await {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => {
            let reason = "the stored path is not a regular file";
            trace_decision("file_open", Err((403, reason)));
            return Err(ApiError::Forbidden(reason.into()));
        }
        Err(_) => return Err(ApiError::NotFound("the file is gone from disk".into())),
    }
    trace_decision(
        "file_open",
        Ok("a regular file inside the upload directory"),
    );
    tokio::fs::File::open(&record.path)
        .await
        .map_err(|error| ApiError::Internal(format!("opening the file: {error}")))
}
// endregion

// region: file-serve-range
/// The whole file (200) or one range of it (206), or 416 for a range past the end. Only
/// the answered bytes are read, in chunks.
async fn serve(
    mut file: tokio::fs::File,
    size: u64,
    record: &FileRecord,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let etag = format!("\"{}\"", record.sha256);
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    // If-Range: the client's copy is of this version, or the range would splice two.
    let same_version = headers
        .get(header::IF_RANGE)
        .is_none_or(|value| value.as_bytes() == etag.as_bytes());
    let answer = if same_version {
        parse_range(range_header, size)
    } else {
        RangeAnswer::Whole
    };

    let mut response_headers = HeaderMap::new();
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(record.content_type),
    );
    response_headers.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(&record.name),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, etag);
    }

    let (status, start, length) = match answer {
        RangeAnswer::Whole => {
            let reason = match (range_header, same_version) {
                (None, _) => "no Range header: the whole file".to_owned(),
                (Some(_), false) => "If-Range does not match the ETag: the whole file".to_owned(),
                (Some(asked), true) => format!("{asked:?} is not one byte range: the whole file"),
            };
            trace_decision("range", Ok(&reason));
            (StatusCode::OK, 0, size)
        }
        RangeAnswer::Part { start, end } => {
            let content_range = format!("bytes {start}-{end}/{size}");
            trace_decision("range", Ok(&format!("206 with {content_range}")));
            if let Ok(value) = HeaderValue::from_str(&content_range) {
                response_headers.insert(header::CONTENT_RANGE, value);
            }
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeAnswer::Unsatisfiable => {
            let detail = format!(
                "the range {:?} starts at or past the end of the file ({size} bytes)",
                range_header.unwrap_or_default()
            );
            trace_decision("range", Err((416, &detail)));
            let mut response = Problem::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range-not-satisfiable",
                detail,
            )
            .into_response();
            response.extensions_mut().insert(ProblemAnswered);
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
    };
    if start > 0 {
        file.seek(SeekFrom::Start(start))
            .await
            .map_err(|error| ApiError::Internal(format!("seeking in the file: {error}")))?;
    }
    response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    let body = Body::from_stream(FileChunks::new(file, length));
    Ok((status, response_headers, body).into_response())
}
// endregion

/// `attachment` with the name twice (RFC 6266): an ASCII stand-in for old clients and the
/// exact UTF-8 name in `filename*`. Quotes, backslashes and control characters cannot
/// break out of the header.
fn content_disposition(name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let value = format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}");
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_quotes_and_encodes_the_name() {
        assert_eq!(
            content_disposition("notes.txt"),
            "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"
        );
        assert_eq!(
            content_disposition("résumé \"final\".pdf"),
            "attachment; filename=\"r_sum_ _final_.pdf\"; \
             filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
        );
    }
}
