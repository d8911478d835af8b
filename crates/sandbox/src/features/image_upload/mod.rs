//! Image upload to cloud storage (topic 21). Two ways in, one check:
//!
//! - `POST /api/v1/images`: a `multipart/form-data` body with the file in the `image`
//!   field, checked and stored in the same request (right for avatars and small images);
//! - direct upload: `POST /api/v1/images/uploads` answers a presigned PUT URL into the
//!   store's `incoming/` quarantine, the client sends the bytes straight to the store, and
//!   `POST /api/v1/images/uploads/{id}/complete` checks them and publishes the image.
//!
//! Either way the type comes from the magic bytes, the header's width and height are
//! checked before any pixel is decoded, the decoder runs under limits, the image is
//! encoded again (dropping its metadata) with a thumbnail, both go to the object store
//! under random keys, and the answer carries presigned GET URLs that expire.
//! `GET /api/v1/images/{id}` signs fresh ones. The sandbox starts with one image, `sample`.
//!
//! The `upload-trust-declared-type` switch trusts the client's declared type (or file
//! name) instead and stores the bytes as sent, so an SVG with a script is an "image".
//!
//! Try it: `curl -F image=@photo.jpg http://127.0.0.1:PORT/api/v1/images`

pub mod inspect;

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Mutex;

use axum::Json;
use axum::body::Bytes;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::Semaphore;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::inspect::{ImageKind, MAX_IMAGE_BYTES, Refused};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::features::file_upload::body_limit::is_over_limit;
use crate::features::object_store::{Access, now_secs};
use crate::state::AppState;
use crate::switches::Switch;

/// Where images are uploaded.
pub const IMAGES_PATH: &str = "/api/v1/images";
/// How long a presigned upload URL works.
pub const UPLOAD_URL_TTL_SECS: u64 = 5 * 60;
/// How long a presigned download URL works.
pub const DOWNLOAD_URL_TTL_SECS: u64 = 10 * 60;
/// Decodes that may run at once; more wait their turn instead of exhausting the CPU.
const CONCURRENT_DECODES: usize = 2;
/// The image the sandbox starts with (and gets back on a reset of topic 21).
pub const SAMPLE_ID: &str = "sample";

/// How an image's type was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TypeFrom {
    /// Read from the first bytes, then proven by decoding.
    MagicBytes,
    /// Taken from the client's `Content-Type` or file name (`upload-trust-declared-type`).
    ClientDeclared,
}

/// One published image: where its versions are stored.
#[derive(Debug, Clone)]
struct ImageRecord {
    content_type: String,
    type_from: TypeFrom,
    bytes: usize,
    full: Version,
    thumbnail: Option<Version>,
}

#[derive(Debug, Clone)]
struct Version {
    key: String,
    width: Option<u32>,
    height: Option<u32>,
}

/// A presigned upload handed out and not completed yet.
#[derive(Debug, Clone)]
struct Ticket {
    key: String,
}

/// Published images, open upload tickets, and the decode permits.
#[derive(Debug)]
pub struct ImageStore {
    inner: Mutex<Images>,
    decodes: Semaphore,
}

#[derive(Debug, Default)]
struct Images {
    published: HashMap<String, ImageRecord>,
    tickets: HashMap<String, Ticket>,
    sample_stored: bool,
}

impl Default for ImageStore {
    fn default() -> Self {
        ImageStore {
            inner: Mutex::default(),
            decodes: Semaphore::new(CONCURRENT_DECODES),
        }
    }
}

impl ImageStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Images> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets every image and ticket; the sample comes back on next use.
    pub fn clear(&self) {
        *self.lock() = Images::default();
    }

    fn insert(&self, id: String, record: ImageRecord) {
        self.lock().published.insert(id, record);
    }

    fn get(&self, id: &str) -> Option<ImageRecord> {
        self.lock().published.get(id).cloned()
    }

    /// How many images are published.
    pub fn len(&self) -> usize {
        self.lock().published.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An image as the API answers it. The URLs are relative to the sandbox; a cloud store's
/// would be absolute URLs on its own host.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "3f0c6f9d1b7a4c2e8d5b9a0e7c6f1d2a",
    "content_type": "image/png",
    "type_from": "magic_bytes",
    "width": 640,
    "height": 480,
    "bytes": 18342,
    "url": "/object-store/images/3f0c6f9d1b7a4c2e8d5b9a0e7c6f1d2a/full.png?expires=1767225600&signature=9b1c...",
    "thumbnail_url": "/object-store/images/3f0c6f9d1b7a4c2e8d5b9a0e7c6f1d2a/thumb.png?expires=1767225600&signature=4e7a...",
    "thumbnail_width": 256,
    "thumbnail_height": 192,
    "urls_expire_at": 1767225600
}))]
pub struct ImageView {
    pub id: String,
    /// The type it is stored and served with.
    pub content_type: String,
    pub type_from: TypeFrom,
    /// Of the stored version (scaled down to fit 2048 x 2048). Unknown when the bytes
    /// were stored unchecked.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Size of the stored version.
    pub bytes: usize,
    /// A presigned GET URL for the image.
    pub url: String,
    /// A presigned GET URL for the thumbnail; none when the bytes were stored unchecked.
    pub thumbnail_url: Option<String>,
    pub thumbnail_width: Option<u32>,
    pub thumbnail_height: Option<u32>,
    /// When both URLs stop working (Unix seconds).
    pub urls_expire_at: u64,
}

/// A presigned upload: where to PUT the bytes, and where to say they are there.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "upload_id": "8d2e4f6a0b1c3d5e7f9a1b3c5d7e9f0a",
    "key": "incoming/8d2e4f6a0b1c3d5e7f9a1b3c5d7e9f0a",
    "method": "PUT",
    "upload_url": "/object-store/incoming/8d2e4f6a0b1c3d5e7f9a1b3c5d7e9f0a?expires=1767225600&signature=0c5d...",
    "expires_at": 1767225600,
    "max_bytes": 4194304,
    "complete_url": "/api/v1/images/uploads/8d2e4f6a0b1c3d5e7f9a1b3c5d7e9f0a/complete"
}))]
pub struct UploadTicket {
    pub upload_id: String,
    /// The quarantine key the bytes land under; nothing serves it.
    pub key: String,
    pub method: &'static str,
    pub upload_url: String,
    /// When the upload URL stops working (Unix seconds).
    pub expires_at: u64,
    /// The largest object the store takes.
    pub max_bytes: usize,
    /// `POST` here once the upload is done.
    pub complete_url: String,
}

/// The `multipart/form-data` body of `POST /api/v1/images`.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "documents the form; never built")]
pub struct ImageForm {
    /// The image file: PNG, JPEG or WebP, at most 4 MiB and 16 megapixels.
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    // The multipart extractor honours `DefaultBodyLimit` (2 MB unless told otherwise); this
    // route takes an image plus the form's framing. The sandbox-wide body limit layer lets
    // this path through with the same allowance (see `file_upload::body_limit`).
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload_image))
        .route_layer(DefaultBodyLimit::max(IMAGE_ROUTE_LIMIT));
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(start_upload))
        .routes(routes!(complete_upload))
        .routes(routes!(image))
}

/// Largest body `POST /api/v1/images` takes: one image and its multipart framing.
pub const IMAGE_ROUTE_LIMIT: usize = MAX_IMAGE_BYTES + 64 * 1024;

/// What the client said about the file. Used only when `upload-trust-declared-type` is on.
#[derive(Debug, Clone, Default)]
struct Declared {
    content_type: Option<String>,
    file_name: Option<String>,
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

/// Traces a refusal under `layer` and turns it into the answer a client gets: 415 for
/// bytes that are no accepted image, 422 (on the `image` field) for too many pixels or
/// data that does not decode.
fn refuse(layer: &'static str, refused: &Refused) -> ApiError {
    let reason = refused.reason();
    let error = match refused {
        Refused::NotAnImage { .. } => ApiError::UnsupportedMediaType(reason.clone()),
        Refused::TooManyPixels { .. } | Refused::Unreadable { .. } => {
            ApiError::Validation(vec![FieldError {
                field: "image".into(),
                message: reason.clone(),
            }])
        }
    };
    trace_decision(layer, Err((error.status().as_u16(), &reason)));
    error
}

// region: image-accept
/// Checks an uploaded file and publishes it: type from the magic bytes, size from the
/// header before decoding, then decode, re-encode and thumbnail under limits.
async fn accept(state: &AppState, bytes: Bytes, declared: Declared) -> ApiResult<ImageView> {
    if state.switches.is_on(Switch::UploadTrustDeclaredType) {
        return accept_as_declared(state, bytes, &declared);
    }
    if bytes.is_empty() {
        return Err(refuse(
            "upload_type",
            &Refused::NotAnImage {
                starts_with: "nothing: the file is empty".into(),
            },
        ));
    }
    let kind = ImageKind::sniff(&bytes).ok_or_else(|| {
        let starts_with = inspect::describe_start(&bytes);
        refuse("upload_type", &Refused::NotAnImage { starts_with })
    })?;
    trace_decision(
        "upload_type",
        Ok(&format!(
            "{} by its magic bytes; the declared type and file name were not used",
            kind.mime()
        )),
    );

    let (width, height) =
        inspect::declared_size(kind, &bytes).map_err(|r| refuse("image_limits", &r))?;
    inspect::check_pixels(width, height).map_err(|r| refuse("image_limits", &r))?;
    trace_decision(
        "image_limits",
        Ok(&format!(
            "{width} x {height} pixels by the header, within the limits"
        )),
    );

    // A permit per decode: a burst of uploads queues here instead of using every core.
    let _permit = state
        .images
        .decodes
        .acquire()
        .await
        .map_err(|_| ApiError::Internal("the decode permits were closed".into()))?;
    let input = bytes.clone();
    let processed = tokio::task::spawn_blocking(move || inspect::process(kind, &input))
        .await
        .map_err(|error| ApiError::Internal(format!("the decode task failed: {error}")))?
        .map_err(|r| refuse("decode", &r))?;
    trace_decision(
        "decode",
        Ok("decoded under limits and encoded again without metadata; thumbnail made"),
    );
    publish(state, kind, processed)
}
// endregion

/// Stores both versions under a new random id and answers their presigned URLs.
fn publish(
    state: &AppState,
    kind: ImageKind,
    processed: inspect::Processed,
) -> ApiResult<ImageView> {
    let id = new_id();
    let full_key = format!("images/{id}/full.{}", kind.extension());
    let thumb_key = format!("images/{id}/thumb.{}", kind.extension());
    let bytes = processed.full.bytes.len();
    state
        .object_store
        .put(&full_key, Bytes::from(processed.full.bytes), kind.mime())?;
    if let Err(error) = state.object_store.put(
        &thumb_key,
        Bytes::from(processed.thumbnail.bytes),
        kind.mime(),
    ) {
        state.object_store.delete(&full_key);
        return Err(error);
    }
    let record = ImageRecord {
        content_type: kind.mime().to_owned(),
        type_from: TypeFrom::MagicBytes,
        bytes,
        full: Version {
            key: full_key,
            width: Some(processed.full.width),
            height: Some(processed.full.height),
        },
        thumbnail: Some(Version {
            key: thumb_key,
            width: Some(processed.thumbnail.width),
            height: Some(processed.thumbnail.height),
        }),
    };
    state.images.insert(id.clone(), record.clone());
    Ok(view(state, &id, &record))
}

/// The hole: the type is whatever the client declared (or its file name suggests), and the
/// bytes are stored as sent, unchecked and undecoded.
fn accept_as_declared(state: &AppState, bytes: Bytes, declared: &Declared) -> ApiResult<ImageView> {
    let Some(content_type) = declared_image_type(declared) else {
        let reason = "neither the declared type nor the file name says image \
                      (upload-trust-declared-type is on, so nothing else was looked at)";
        trace_decision("upload_type", Err((415, reason)));
        return Err(ApiError::UnsupportedMediaType(reason.into()));
    };
    trace_decision(
        "upload_type",
        Ok(&format!(
            "{content_type} as the client declared it; the bytes were not looked at \
             (upload-trust-declared-type is on)"
        )),
    );
    let id = new_id();
    let extension = content_type
        .strip_prefix("image/")
        .map(|sub| sub.split('+').next().unwrap_or(sub))
        .unwrap_or("bin");
    let key = format!("images/{id}/as-uploaded.{extension}");
    let size = bytes.len();
    state.object_store.put(&key, bytes, &content_type)?;
    let record = ImageRecord {
        content_type,
        type_from: TypeFrom::ClientDeclared,
        bytes: size,
        full: Version {
            key,
            width: None,
            height: None,
        },
        thumbnail: None,
    };
    state.images.insert(id.clone(), record.clone());
    Ok(view(state, &id, &record))
}

/// `image/...` from the declared type, else from the file name's extension.
fn declared_image_type(declared: &Declared) -> Option<String> {
    if let Some(content_type) = &declared.content_type {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if essence.to_ascii_lowercase().starts_with("image/") {
            return Some(essence.to_ascii_lowercase());
        }
    }
    let extension = declared
        .file_name
        .as_deref()?
        .rsplit_once('.')?
        .1
        .to_ascii_lowercase();
    let by_name = match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        _ => return None,
    };
    Some(by_name.to_owned())
}

/// The API's view of a record, with freshly signed URLs.
fn view(state: &AppState, id: &str, record: &ImageRecord) -> ImageView {
    let expires_at = now_secs() + DOWNLOAD_URL_TTL_SECS;
    let sign = |key: &str| state.object_store.presign(Access::Read, key, expires_at);
    ImageView {
        id: id.to_owned(),
        content_type: record.content_type.clone(),
        type_from: record.type_from,
        width: record.full.width,
        height: record.full.height,
        bytes: record.bytes,
        url: sign(&record.full.key),
        thumbnail_url: record.thumbnail.as_ref().map(|t| sign(&t.key)),
        thumbnail_width: record.thumbnail.as_ref().and_then(|t| t.width),
        thumbnail_height: record.thumbnail.as_ref().and_then(|t| t.height),
        urls_expire_at: expires_at,
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn created(view: ImageView) -> Response {
    let location = format!("{IMAGES_PATH}/{}", view.id);
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view),
    )
        .into_response()
}

fn multipart_error(error: &MultipartError) -> ApiError {
    // Past the limit, the error may come from several layers down (the body limit layer
    // under `DefaultBodyLimit`'s own), so look through its causes.
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE || is_over_limit(error) {
        ApiError::PayloadTooLarge(format!(
            "images are limited to {} MiB",
            MAX_IMAGE_BYTES / (1024 * 1024)
        ))
    } else {
        ApiError::BadRequest(format!(
            "the multipart body could not be read: {}",
            error.body_text()
        ))
    }
}

/// Reads one file part into memory (an image is decoded in memory anyway), refusing as soon
/// as it grows past the limit.
async fn read_part(mut field: Field<'_>) -> ApiResult<Bytes> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
        if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
            let reason = format!(
                "the image is larger than {} MiB",
                MAX_IMAGE_BYTES / (1024 * 1024)
            );
            trace_decision("image_limits", Err((413, &reason)));
            return Err(ApiError::PayloadTooLarge(reason));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(bytes))
}

/// Upload an image (multipart)
///
/// Send `multipart/form-data` with the file in the `image` field. The type is read from
/// the bytes; the file name and the part's `Content-Type` are ignored. The answer carries
/// presigned URLs for the image and its thumbnail.
#[utoipa::path(
    post,
    path = "/api/v1/images",
    operation_id = "upload_image",
    tag = "uploads",
    request_body(content = ImageForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored; `Location` names the image", body = ImageView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 415, description = "Not multipart, or the bytes are not a PNG, JPEG or WebP image", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn upload_image(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let mut multipart = multipart.map_err(|_| {
        ApiError::UnsupportedMediaType(
            "send the image as multipart/form-data with the file in the `image` field".into(),
        )
    })?;
    let mut upload = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "image" {
            return Err(ApiError::BadRequest(format!(
                "unexpected part {name:?}: send one file in the `image` field"
            )));
        }
        if upload.is_some() {
            return Err(ApiError::BadRequest("send exactly one image".into()));
        }
        let declared = Declared {
            content_type: field.content_type().map(str::to_owned),
            file_name: field.file_name().map(str::to_owned),
        };
        upload = Some((read_part(field).await?, declared));
    }
    let (bytes, declared) =
        upload.ok_or_else(|| ApiError::BadRequest("send one file in the `image` field".into()))?;
    Ok(created(accept(&state, bytes, declared).await?))
}

/// Start a direct upload
///
/// Answers a presigned PUT URL for one quarantine key, valid five minutes. PUT the raw
/// bytes there, then call `complete_url`.
#[utoipa::path(
    post,
    path = "/api/v1/images/uploads",
    operation_id = "start_image_upload",
    tag = "uploads",
    responses(
        (status = 201, description = "A presigned upload", body = UploadTicket),
    ),
)]
// region: image-presign-upload
async fn start_upload(State(state): State<AppState>) -> Response {
    let upload_id = new_id();
    let key = format!("incoming/{upload_id}");
    let expires_at = now_secs() + UPLOAD_URL_TTL_SECS;
    let upload_url = state.object_store.presign(Access::Write, &key, expires_at);
    state
        .images
        .lock()
        .tickets
        .insert(upload_id.clone(), Ticket { key: key.clone() });
    let ticket = UploadTicket {
        complete_url: format!("{IMAGES_PATH}/uploads/{upload_id}/complete"),
        upload_id,
        key,
        method: "PUT",
        upload_url,
        expires_at,
        max_bytes: crate::features::object_store::MAX_OBJECT_BYTES,
    };
    (StatusCode::CREATED, Json(ticket)).into_response()
}
// endregion

/// Finish a direct upload
///
/// Takes the uploaded bytes out of quarantine, checks them like a multipart upload, and
/// publishes the image. A ticket is used once.
#[utoipa::path(
    post,
    path = "/api/v1/images/uploads/{id}/complete",
    operation_id = "complete_image_upload",
    tag = "uploads",
    params(("id" = String, Path, description = "The `upload_id` of the ticket")),
    responses(
        (status = 201, description = "Checked and stored", body = ImageView),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, description = "Nothing was uploaded to the ticket's URL yet", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The bytes are not a PNG, JPEG or WebP image", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn complete_upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let ticket = state.images.lock().tickets.remove(&id).ok_or_else(|| {
        ApiError::NotFound(format!("no open upload {id:?}; each ticket completes once"))
    })?;
    let Some(object) = state.object_store.get(&ticket.key) else {
        state.images.lock().tickets.insert(id, ticket.clone());
        return Err(ApiError::Conflict(format!(
            "nothing was uploaded to {} yet: PUT the file to the ticket's upload_url first",
            ticket.key
        )));
    };
    // Out of quarantine whatever the verdict: refused bytes are not kept.
    state.object_store.delete(&ticket.key);
    let declared = Declared {
        content_type: Some(object.content_type),
        file_name: None,
    };
    Ok(created(accept(&state, object.bytes, declared).await?))
}

/// Fresh URLs for an image
///
/// Presigned GET URLs expire; ask here for new ones. `sample` is always there.
#[utoipa::path(
    get,
    path = "/api/v1/images/{id}",
    operation_id = "get_image",
    tag = "uploads",
    params(("id" = String, Path, description = "The image id, or `sample`")),
    responses(
        (status = 200, description = "The image with freshly signed URLs", body = ImageView),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
async fn image(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ImageView>> {
    if id == SAMPLE_ID {
        store_sample(&state)?;
    }
    let record = state
        .images
        .get(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no image with id {id:?}")))?;
    Ok(Json(view(&state, &id, &record)))
}

/// Puts the sample image (a 320 x 200 gradient, checked like any upload) in place once.
fn store_sample(state: &AppState) -> ApiResult<()> {
    if state.images.lock().sample_stored {
        return Ok(());
    }
    let gradient = image::RgbImage::from_fn(320, 200, |x, y| {
        let red = u8::try_from(x * 255 / 320).unwrap_or(u8::MAX);
        let green = u8::try_from(y * 255 / 200).unwrap_or(u8::MAX);
        image::Rgb([red, green, 160])
    });
    let mut png = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(gradient)
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(|error| ApiError::Internal(format!("the sample could not be encoded: {error}")))?;
    let processed = inspect::process(ImageKind::Png, png.get_ref())
        .map_err(|refused| ApiError::Internal(refused.reason()))?;
    let full = format!("images/{SAMPLE_ID}/full.png");
    let thumb = format!("images/{SAMPLE_ID}/thumb.png");
    let bytes = processed.full.bytes.len();
    state
        .object_store
        .put(&full, Bytes::from(processed.full.bytes), "image/png")?;
    state
        .object_store
        .put(&thumb, Bytes::from(processed.thumbnail.bytes), "image/png")?;
    let mut images = state.images.lock();
    images.sample_stored = true;
    images.published.insert(
        SAMPLE_ID.to_owned(),
        ImageRecord {
            content_type: "image/png".into(),
            type_from: TypeFrom::MagicBytes,
            bytes,
            full: Version {
                key: full,
                width: Some(processed.full.width),
                height: Some(processed.full.height),
            },
            thumbnail: Some(Version {
                key: thumb,
                width: Some(processed.thumbnail.width),
                height: Some(processed.thumbnail.height),
            }),
        },
    );
    Ok(())
}
