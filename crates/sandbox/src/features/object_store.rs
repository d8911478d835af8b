//! A mock object store (topic 21) that behaves the way S3 or Cloud Storage do for what an
//! upload flow needs: objects by key, and presigned URLs. The bucket is private; a client
//! reaches an object only through a URL the sandbox signed for one method, one key and an
//! expiry, so handing out a URL hands out exactly that right and nothing more.
//!
//! `PUT /object-store/{key}?expires=..&signature=..` stores the body as sent (a store does
//! not look inside objects); `GET` (and `HEAD`) answers it with the type it was stored
//! with. A tampered or expired URL is a 403, the way a cloud store answers.
//!
//! Try it: `curl -s http://127.0.0.1:PORT/api/v1/images/sample` answers two presigned URLs;
//! `curl -i 'http://127.0.0.1:PORT<url>'` follows one, and any change to it is a 403.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use tokio_stream::StreamExt as _;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{ApiError, ApiResult};
use crate::features::file_upload::body_limit::is_over_limit;
use crate::state::AppState;

/// Where the store answers; every presigned URL starts with it.
pub const STORE_PATH: &str = "/object-store";
/// The largest object a presigned PUT may store, like the size cap a POST policy sets.
pub const MAX_OBJECT_BYTES: usize = 4 * 1024 * 1024;
/// All objects together; past it the store refuses new ones until topic 21 is reset.
const MAX_STORE_BYTES: usize = 64 * 1024 * 1024;

type HmacSha256 = Hmac<Sha256>;

/// What a presigned URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read the object (`GET`, and `HEAD`, which reads its headers).
    Read,
    /// Write the object (`PUT`).
    Write,
}

impl Access {
    fn method(self) -> &'static str {
        match self {
            Access::Read => "GET",
            Access::Write => "PUT",
        }
    }
}

/// One stored object.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub bytes: Bytes,
    /// The type the object was written with; the store serves it back unchanged.
    pub content_type: String,
    /// The quoted SHA-256 of the bytes.
    pub etag: String,
}

/// Why a presigned URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefused {
    Unsigned,
    BadSignature,
    Expired,
}

impl UrlRefused {
    pub fn reason(self) -> &'static str {
        match self {
            UrlRefused::Unsigned => {
                "the URL carries no expires and signature: the bucket is private, ask the API \
                 for a presigned URL"
            }
            UrlRefused::BadSignature => {
                "the signature does not match the method, key and expiry of this URL: it was \
                 altered or signed for something else"
            }
            UrlRefused::Expired => "the presigned URL has expired: ask the API for a fresh one",
        }
    }
}

/// The store: objects in memory and the key that signs their URLs.
pub struct ObjectStore {
    /// HMAC-SHA256 key, random per sandbox. One block (64 bytes), the size HMAC uses as is.
    signing_key: [u8; 64],
    objects: Mutex<Objects>,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore")
            .field("signing_key", &"..")
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Objects {
    by_key: BTreeMap<String, StoredObject>,
    total_bytes: usize,
}

impl Default for ObjectStore {
    fn default() -> Self {
        ObjectStore {
            signing_key: rand::random(),
            objects: Mutex::default(),
        }
    }
}

/// Seconds since the Unix epoch: the unit presigned URLs carry.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl ObjectStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Objects> {
        self.objects.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets every object.
    pub fn clear(&self) {
        *self.lock() = Objects::default();
    }

    // region: store-presign
    /// A URL (path and query, relative to the sandbox) that allows `access` to `key` until
    /// `expires_at` (Unix seconds). The signature covers the method, the key and the expiry,
    /// so changing any of them breaks it; the secret never leaves the server.
    pub fn presign(&self, access: Access, key: &str, expires_at: u64) -> String {
        let signature = hex(&self.mac(access, key, expires_at).finalize().into_bytes());
        format!("{STORE_PATH}/{key}?expires={expires_at}&signature={signature}")
    }

    fn mac(&self, access: Access, key: &str, expires_at: u64) -> HmacSha256 {
        let mut mac = HmacSha256::new(&self.signing_key.into());
        mac.update(format!("{}\n{key}\n{expires_at}", access.method()).as_bytes());
        mac
    }

    /// Checks a presented URL. The signature is compared in constant time, and before the
    /// expiry: an altered expiry is a bad signature, not a "still valid" URL.
    pub fn verify(
        &self,
        access: Access,
        key: &str,
        expires: Option<&str>,
        signature: Option<&str>,
        now: u64,
    ) -> Result<(), UrlRefused> {
        let (Some(expires), Some(signature)) = (expires, signature) else {
            return Err(UrlRefused::Unsigned);
        };
        let expires_at: u64 = expires.parse().map_err(|_| UrlRefused::BadSignature)?;
        let signature = unhex(signature).ok_or(UrlRefused::BadSignature)?;
        self.mac(access, key, expires_at)
            .verify_slice(&signature)
            .map_err(|_| UrlRefused::BadSignature)?;
        if now >= expires_at {
            return Err(UrlRefused::Expired);
        }
        Ok(())
    }
    // endregion

    /// Stores `bytes` under `key`, replacing what was there; answers the ETag.
    pub fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> ApiResult<String> {
        let etag = format!("\"{}\"", hex(&Sha256::digest(&bytes)));
        let mut objects = self.lock();
        let replaced = objects.by_key.get(key).map_or(0, |o| o.bytes.len());
        let total = objects.total_bytes - replaced + bytes.len();
        if total > MAX_STORE_BYTES {
            return Err(ApiError::PayloadTooLarge(format!(
                "the sandbox's object store is full ({} MiB); reset topic 21 to empty it",
                MAX_STORE_BYTES / (1024 * 1024)
            )));
        }
        objects.total_bytes = total;
        objects.by_key.insert(
            key.to_owned(),
            StoredObject {
                bytes,
                content_type: content_type.to_owned(),
                etag: etag.clone(),
            },
        );
        Ok(etag)
    }

    pub fn get(&self, key: &str) -> Option<StoredObject> {
        self.lock().by_key.get(key).cloned()
    }

    pub fn delete(&self, key: &str) {
        let mut objects = self.lock();
        if let Some(gone) = objects.by_key.remove(key) {
            objects.total_bytes -= gone.bytes.len();
        }
    }

    /// How many objects are stored.
    pub fn len(&self) -> usize {
        self.lock().by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// The store's routes. They are the "cloud", not the sandbox's API, so they are left out of
/// `/openapi.json`; they still pass the traced stack, so a refused URL shows in the trace.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route(
        &format!("{STORE_PATH}/{{*key}}"),
        get(read_object).put(write_object),
    )
}

/// The query of a presigned URL.
#[derive(Debug, Deserialize)]
struct Signed {
    expires: Option<String>,
    signature: Option<String>,
}

fn trace_url(access: Access, outcome: Result<(), UrlRefused>) {
    match outcome {
        Ok(()) => {
            let reason = match access {
                Access::Read => "presigned GET URL: signature valid and not expired",
                Access::Write => "presigned PUT URL: signature valid and not expired",
            };
            tracing::info!(target: "dojo::trace", layer = "object_store", step = "decision", decision = "passed", reason);
        }
        Err(refused) => {
            tracing::info!(target: "dojo::trace", layer = "object_store", step = "decision", decision = "short_circuited", status = 403u64, reason = refused.reason());
        }
    }
}

// region: store-check-url
/// Lets a request through only with a URL this store signed for its method and key.
fn check_url(state: &AppState, access: Access, key: &str, signed: &Signed) -> ApiResult<()> {
    let outcome = state.object_store.verify(
        access,
        key,
        signed.expires.as_deref(),
        signed.signature.as_deref(),
        now_secs(),
    );
    trace_url(access, outcome);
    outcome.map_err(|refused| ApiError::Forbidden(refused.reason().into()))
}
// endregion

async fn read_object(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(signed): Query<Signed>,
) -> ApiResult<Response> {
    check_url(&state, Access::Read, &key, &signed)?;
    let object = state
        .object_store
        .get(&key)
        .ok_or_else(|| ApiError::NotFound(format!("the store has no object {key:?}")))?;
    let mut headers = HeaderMap::new();
    let content_type = HeaderValue::from_str(&object.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    if let Ok(etag) = HeaderValue::from_str(&object.etag) {
        headers.insert(header::ETAG, etag);
    }
    // Every URL is unique and short-lived, so only the browser that holds it may cache it.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok((headers, object.bytes).into_response())
}

async fn write_object(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(signed): Query<Signed>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    check_url(&state, Access::Write, &key, &signed)?;
    let bytes = read_capped(body, MAX_OBJECT_BYTES).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    let etag = state.object_store.put(&key, bytes, content_type)?;
    let mut answer = StatusCode::OK.into_response();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        answer.headers_mut().insert(header::ETAG, etag);
    }
    Ok(answer)
}

/// Reads a body of at most `limit` bytes, refusing as soon as it grows past it (here, or in
/// the body limit layer, which lets this route carry a little more than `limit`).
async fn read_capped(body: Body, limit: usize) -> ApiResult<Bytes> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let too_large = || {
            ApiError::PayloadTooLarge(format!(
                "an object is limited to {} MiB",
                limit / (1024 * 1024)
            ))
        };
        let chunk = chunk.map_err(|error| {
            if is_over_limit(&error) {
                too_large()
            } else {
                ApiError::BadRequest(format!("the upload stopped before its end: {error}"))
            }
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (String, String, String) {
        let (path, query) = url.split_once('?').expect("a query");
        let key = path.strip_prefix("/object-store/").expect("the store path");
        let mut expires = "";
        let mut signature = "";
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("expires", value)) => expires = value,
                Some(("signature", value)) => signature = value,
                _ => {}
            }
        }
        (key.to_owned(), expires.to_owned(), signature.to_owned())
    }

    #[test]
    fn a_presigned_url_works_for_its_method_key_and_time_only() {
        let store = ObjectStore::default();
        let url = store.presign(Access::Read, "images/a/full.png", 2_000);
        let (key, expires, signature) = parts(&url);
        let check = |access, key: &str, expires: &str, now| {
            store.verify(access, key, Some(expires), Some(&signature), now)
        };
        assert_eq!(check(Access::Read, &key, &expires, 1_999), Ok(()));
        assert_eq!(
            check(Access::Read, &key, &expires, 2_000),
            Err(UrlRefused::Expired)
        );
        assert_eq!(
            check(Access::Write, &key, &expires, 1_000),
            Err(UrlRefused::BadSignature)
        );
        assert_eq!(
            check(Access::Read, "images/b/full.png", &expires, 1_000),
            Err(UrlRefused::BadSignature)
        );
        assert_eq!(
            check(Access::Read, &key, "9999999999", 1_000),
            Err(UrlRefused::BadSignature)
        );
        assert_eq!(
            check(Access::Read, &key, "soon", 1_000),
            Err(UrlRefused::BadSignature)
        );
        assert_eq!(
            store.verify(Access::Read, &key, Some(&expires), None, 1_000),
            Err(UrlRefused::Unsigned)
        );
        assert_eq!(
            store.verify(Access::Read, &key, Some(&expires), Some("zz"), 1_000),
            Err(UrlRefused::BadSignature)
        );
    }

    #[test]
    fn another_store_signs_differently() {
        let url = ObjectStore::default().presign(Access::Read, "k", 2_000);
        let (key, expires, signature) = parts(&url);
        let other = ObjectStore::default();
        assert_eq!(
            other.verify(Access::Read, &key, Some(&expires), Some(&signature), 1_000),
            Err(UrlRefused::BadSignature)
        );
    }

    #[test]
    fn objects_count_against_the_store_size() {
        let store = ObjectStore::default();
        store
            .put("a", Bytes::from(vec![0; 10]), "image/png")
            .expect("room");
        store
            .put("a", Bytes::from(vec![0; 20]), "image/png")
            .expect("a replacement counts once");
        assert_eq!(store.lock().total_bytes, 20);
        store.delete("a");
        assert!(store.is_empty());
        assert_eq!(store.lock().total_bytes, 0);
        let big = Bytes::from(vec![0; MAX_STORE_BYTES + 1]);
        assert!(store.put("b", big, "image/png").is_err());
    }
}
