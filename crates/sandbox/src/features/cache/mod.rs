//! Caching (topic 31): cache-aside reads with a TTL, invalidation on write and stampede
//! protection, over a deliberately slow product catalogue (the "database"). The cache lives
//! in process by default and in Redis when the sandbox is started with `--redis-url`.
//!
//! - `GET /api/v1/cache/products/{id}` reads through the cache: `X-Cache: HIT` or `MISS`
//!   (`BYPASS` when Redis cannot be reached and the read falls back to the source),
//!   `X-Cache-Key` and `X-Cache-TTL-Ms`, what is left of the entry's TTL.
//! - `PATCH /api/v1/cache/products/{id}` writes the source first, then deletes the key.
//! - `DELETE /api/v1/cache/products/{id}/entry` evicts the entry by hand.
//! - `POST /api/v1/cache/products/{id}/stampede` evicts the entry, then sends `readers`
//!   concurrent reads at the cold key and reports how many loads reached the source.
//! - `GET /api/v1/cache/stats`: hits, misses, source loads, coalesced waits, the backend.
//!
//! Break it: `cache-skip-invalidation` (writes leave the old entry: readers see the old
//! version until the TTL runs out) and `cache-no-stampede-guard` (every concurrent miss
//! loads the source).
//!
//! Try it: `curl -si http://127.0.0.1:PORT/api/v1/cache/products/1` twice and compare
//! `X-Cache` and the time each took.

mod memory;
mod redis_store;
mod single_flight;
pub mod source;

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::RngExt as _;
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;
use tracing::Instrument as _;
use tracing::instrument::WithSubscriber as _;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::SandboxConfig;
use crate::error::{ApiError, ApiResult, FieldError, Problem, ProblemAnswered};
use crate::extract::ValidJson;
use crate::redis_link::RedisUnavailable;
use crate::state::AppState;
use crate::switches::Switch;

use memory::MemoryStore;
use redis_store::{RedisStore, Waited};
use single_flight::{Flight, Flights};
use source::{Catalog, Change, Product};

/// The version prefix of every key: bump it when the cached shape changes, and no reader
/// ever parses an entry of the old shape.
pub const KEY_VERSION: &str = "v1";

/// The cache key of one product.
pub fn key_of(id: u64) -> String {
    format!("{KEY_VERSION}:product:{id}")
}

/// How the cache behaves; `Default` is what the sandbox starts with.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// How long an entry lives. Each store takes up to a tenth off at random, so entries
    /// filled together do not all expire together.
    pub ttl: Duration,
    /// How long the source of truth takes to answer: what a miss costs.
    pub source_latency: Duration,
    /// How long the Redis fill lock lives; a waiter loads by itself once it has waited
    /// this long.
    pub lock_ttl: Duration,
    /// The Redis key namespace. `None`: one of this sandbox's own, because each sandbox
    /// has its own catalogue; sandboxes given the same namespace share entries and locks.
    pub redis_namespace: Option<String>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl: Duration::from_secs(30),
            source_latency: Duration::from_millis(100),
            lock_ttl: Duration::from_secs(2),
            redis_namespace: None,
        }
    }
}

/// Where entries are kept.
#[derive(Debug)]
enum Store {
    InProcess(MemoryStore),
    Redis(RedisStore),
}

impl Store {
    fn name(&self) -> &'static str {
        match self {
            Store::InProcess(_) => "in-process",
            Store::Redis(_) => "redis",
        }
    }

    async fn get(&self, key: &str) -> Result<Option<(Product, Duration)>, RedisUnavailable> {
        match self {
            Store::InProcess(memory) => Ok(memory.get(key)),
            Store::Redis(redis) => redis.get(key).await,
        }
    }

    async fn put(
        &self,
        key: &str,
        product: &Product,
        ttl: Duration,
    ) -> Result<(), RedisUnavailable> {
        match self {
            Store::InProcess(memory) => {
                memory.put(key, product.clone(), ttl);
                Ok(())
            }
            Store::Redis(redis) => redis.put(key, product, ttl).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<bool, RedisUnavailable> {
        match self {
            Store::InProcess(memory) => Ok(memory.delete(key)),
            Store::Redis(redis) => redis.delete(key).await,
        }
    }

    fn clear(&self) {
        match self {
            Store::InProcess(memory) => memory.clear(),
            Store::Redis(redis) => redis.clear(),
        }
    }
}

/// The result of one fill, shared by every request that waited for it.
#[derive(Debug, Clone)]
enum Fill {
    Found {
        product: Product,
        ttl: Duration,
        how: Filled,
    },
    Missing,
}

#[derive(Debug, Clone)]
enum Filled {
    /// Loaded from the source and stored.
    Loaded,
    /// Another instance held the fill lock and stored the value; we read it.
    ByOtherInstance,
    /// Found on the second look, taken once this request was the only one filling: a fill
    /// that finished after our first look had stored it.
    AlreadyStored,
    /// Redis could not be used: loaded from the source, not stored.
    Bypassed(String),
}

/// What one read did, as `X-Cache` and the stats tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Hit,
    /// A miss this request loaded from the source.
    Loaded,
    /// A miss that waited for another request's load in this process (single flight).
    Coalesced,
    /// A miss that waited for another instance's load (the Redis lock).
    LockWaited,
    /// Redis could not be used; served from the source.
    Bypassed,
}

impl Outcome {
    /// The `X-Cache` value.
    fn header(self) -> &'static str {
        match self {
            Outcome::Hit => "HIT",
            Outcome::Bypassed => "BYPASS",
            Outcome::Loaded | Outcome::Coalesced | Outcome::LockWaited => "MISS",
        }
    }
}

/// One read's answer.
#[derive(Debug)]
struct Read {
    product: Product,
    outcome: Outcome,
    /// What is left of the entry's TTL (nothing when it was not cached).
    ttl_left: Option<Duration>,
    /// Whether this request itself read the source.
    loaded_source: bool,
}

/// Counters the stats route shows.
#[derive(Debug, Default)]
struct Counters {
    hits: std::sync::atomic::AtomicU64,
    misses: std::sync::atomic::AtomicU64,
    bypasses: std::sync::atomic::AtomicU64,
    coalesced: std::sync::atomic::AtomicU64,
    lock_waits: std::sync::atomic::AtomicU64,
    invalidations: std::sync::atomic::AtomicU64,
}

fn bump(counter: &std::sync::atomic::AtomicU64) {
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

fn read(counter: &std::sync::atomic::AtomicU64) -> u64 {
    counter.load(std::sync::atomic::Ordering::Relaxed)
}

impl Counters {
    fn count(&self, outcome: Outcome) {
        match outcome {
            Outcome::Hit => bump(&self.hits),
            Outcome::Bypassed => bump(&self.bypasses),
            Outcome::Loaded => bump(&self.misses),
            Outcome::Coalesced => {
                bump(&self.misses);
                bump(&self.coalesced);
            }
            Outcome::LockWaited => {
                bump(&self.misses);
                bump(&self.lock_waits);
            }
        }
    }

    fn reset(&self) {
        for counter in [
            &self.hits,
            &self.misses,
            &self.bypasses,
            &self.coalesced,
            &self.lock_waits,
            &self.invalidations,
        ] {
            counter.store(0, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// The cache, its source of truth and its counters: one per sandbox.
#[derive(Debug)]
pub struct Cache {
    config: CacheConfig,
    source: Catalog,
    store: Store,
    flights: Flights<Fill>,
    counters: Counters,
}

impl Cache {
    /// In process, or in Redis when `config.redis_url` is set. Never connects here.
    pub fn new(config: &SandboxConfig) -> Cache {
        let settings = config.cache.clone();
        let store = match config.redis_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => {
                let namespace = settings
                    .redis_namespace
                    .clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..8].to_owned());
                Store::Redis(RedisStore::new(url, namespace, settings.lock_ttl))
            }
            _ => Store::InProcess(MemoryStore::default()),
        };
        Cache {
            source: Catalog::new(settings.source_latency),
            config: settings,
            store,
            flights: Flights::default(),
            counters: Counters::default(),
        }
    }

    /// `in-process` or `redis`.
    pub fn backend(&self) -> &'static str {
        self.store.name()
    }

    /// Topic 31's reset: no entries, counters at zero, the catalogue as seeded.
    pub fn reset(&self) {
        self.store.clear();
        self.counters.reset();
        self.source.reset();
    }

    /// The entry's lifetime for one store: the TTL less up to a tenth, at random.
    fn jittered_ttl(&self) -> Duration {
        self.config.ttl.mul_f64(rand::rng().random_range(0.9..=1.0))
    }
}

fn trace_step(step: &'static str, reason: &str) {
    tracing::info!(target: "dojo::trace", layer = "cache", step, reason);
}

fn trace_decision(reason: &str) {
    tracing::info!(target: "dojo::trace", layer = "cache", step = "decision", decision = "passed", reason);
}

fn trace_refusal(status: u64, reason: &str) {
    tracing::info!(target: "dojo::trace", layer = "cache", step = "decision", decision = "short_circuited", status, reason);
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

// region: cache-aside-read
/// Cache-aside: the cache first; on a miss, one fill per key (single flight in this
/// process, the Redis lock across instances) loads the source and stores the value with
/// a TTL. Redis trouble never fails a read: it falls back to the source (`BYPASS`).
async fn read_through(state: &AppState, id: u64) -> ApiResult<Read> {
    let cache = &state.cache;
    let key = key_of(id);
    match cache.store.get(&key).await {
        Ok(Some((product, left))) => {
            cache.counters.count(Outcome::Hit);
            trace_decision(&format!(
                "HIT: {key} came from the {} cache, {} ms of its TTL left",
                cache.backend(),
                millis(left)
            ));
            return Ok(Read {
                product,
                outcome: Outcome::Hit,
                ttl_left: Some(left),
                loaded_source: false,
            });
        }
        Ok(None) => trace_step("lookup", &format!("{key} is not in the cache")),
        Err(down) => trace_step("lookup", &down.to_string()),
    }

    let guarded = !state.switches.is_on(Switch::CacheNoStampedeGuard);
    let (fill, flight) = if guarded {
        cache
            .flights
            .run(&key, || fill(cache, id, &key, true))
            .await
    } else {
        (fill(cache, id, &key, false).await, Flight::Ran)
    };
    let Fill::Found { product, ttl, how } = fill else {
        cache.counters.count(Outcome::Loaded);
        let reason = format!("MISS: the source has no product {id}; nothing cached");
        trace_refusal(404, &reason);
        return Err(ApiError::NotFound(format!("no product has id {id}")));
    };
    let (outcome, reason) = match (&how, flight) {
        (Filled::Bypassed(cause), _) => (
            Outcome::Bypassed,
            format!("BYPASS: {cause}; served from the source, nothing cached"),
        ),
        (_, Flight::Joined) => (
            Outcome::Coalesced,
            format!("MISS: waited for another request's load of {key} (single flight)"),
        ),
        (Filled::AlreadyStored, Flight::Ran) => (
            Outcome::Hit,
            format!("HIT: {key} was stored by a fill that finished after the first look"),
        ),
        (Filled::ByOtherInstance, Flight::Ran) => (
            Outcome::LockWaited,
            format!("MISS: another instance held the fill lock on {key}; used the value it stored"),
        ),
        (Filled::Loaded, Flight::Ran) => (
            Outcome::Loaded,
            format!(
                "MISS: loaded {key} from the source ({} ms) and stored it for {} ms{}",
                millis(cache.source.latency()),
                millis(ttl),
                if guarded {
                    ""
                } else {
                    " (cache-no-stampede-guard is on: no single flight, no lock)"
                }
            ),
        ),
    };
    cache.counters.count(outcome);
    trace_decision(&reason);
    Ok(Read {
        product,
        outcome,
        ttl_left: (outcome != Outcome::Bypassed).then_some(ttl),
        loaded_source: flight == Flight::Ran && matches!(how, Filled::Loaded | Filled::Bypassed(_)),
    })
}
// endregion

// region: cache-fill
/// Loads `id` from the source and stores it. With the guard on and Redis in use, only the
/// holder of the key's fill lock loads; the others wait for the value it stores. With the
/// guard on, the cache is looked at once more before loading: another fill may have
/// stored the value since this request's first look.
async fn fill(cache: &Cache, id: u64, key: &str, guarded: bool) -> Fill {
    let mut held = None;
    if let (true, Store::Redis(redis)) = (guarded, &cache.store) {
        match redis.try_lock(key).await {
            Ok(Some(lock)) => held = Some(lock),
            Ok(None) => match redis.wait_for_fill(key).await {
                Ok(Waited::Filled(product, left)) => {
                    return Fill::Found {
                        product,
                        ttl: left,
                        how: Filled::ByOtherInstance,
                    };
                }
                Ok(Waited::LockFreed | Waited::TimedOut) => {
                    trace_step(
                        "lock",
                        "the lock holder stored nothing in time; loading here",
                    );
                }
                Err(down) => return load_bypassing(cache, id, &down).await,
            },
            Err(down) => return load_bypassing(cache, id, &down).await,
        }
    }
    if guarded && let Ok(Some((product, left))) = cache.store.get(key).await {
        release(cache, held).await;
        return Fill::Found {
            product,
            ttl: left,
            how: Filled::AlreadyStored,
        };
    }
    let generation = cache.store_generation();
    let Some(product) = cache.source.load(id).await else {
        release(cache, held).await;
        return Fill::Missing;
    };
    let ttl = cache.jittered_ttl();
    // A reset while the load ran: this value belongs to the old catalogue.
    let how = if generation != cache.store_generation() {
        Filled::Bypassed("the cache was reset during the load".to_owned())
    } else {
        match cache.store.put(key, &product, ttl).await {
            Ok(()) => Filled::Loaded,
            Err(down) => Filled::Bypassed(down.to_string()),
        }
    };
    release(cache, held).await;
    Fill::Found { product, ttl, how }
}
// endregion

async fn load_bypassing(cache: &Cache, id: u64, down: &RedisUnavailable) -> Fill {
    match cache.source.load(id).await {
        Some(product) => Fill::Found {
            product,
            ttl: Duration::ZERO,
            how: Filled::Bypassed(down.to_string()),
        },
        None => Fill::Missing,
    }
}

/// Gives the fill lock back; if that fails it expires by itself.
async fn release(cache: &Cache, held: Option<redis_store::HeldLock>) {
    if let (Some(lock), Store::Redis(redis)) = (held, &cache.store)
        && let Err(down) = redis.unlock(lock).await
    {
        trace_step("lock", &format!("{down}; the lock expires by itself"));
    }
}

impl Cache {
    /// Changes on every reset, so a load that started before one does not store.
    fn store_generation(&self) -> u64 {
        match &self.store {
            Store::InProcess(memory) => memory.generation(),
            Store::Redis(redis) => redis.generation(),
        }
    }
}

/// A refusal of the cache routes: the sandbox's usual errors, or Redis out of reach for
/// something only the cache can do (an eviction). Both leave as problem details.
#[derive(Debug)]
enum CacheRefusal {
    Api(ApiError),
    Unavailable(RedisUnavailable),
}

impl From<ApiError> for CacheRefusal {
    fn from(error: ApiError) -> Self {
        CacheRefusal::Api(error)
    }
}

impl From<RedisUnavailable> for CacheRefusal {
    fn from(down: RedisUnavailable) -> Self {
        CacheRefusal::Unavailable(down)
    }
}

impl IntoResponse for CacheRefusal {
    fn into_response(self) -> Response {
        match self {
            CacheRefusal::Api(error) => error.into_response(),
            CacheRefusal::Unavailable(down) => {
                let detail = down.to_string();
                trace_refusal(503, &detail);
                let mut response =
                    Problem::new(StatusCode::SERVICE_UNAVAILABLE, "cache-unavailable", detail)
                        .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                response.extensions_mut().insert(ProblemAnswered);
                response
            }
        }
    }
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_product, update_product))
        .routes(routes!(evict_entry))
        .routes(routes!(stampede))
        .routes(routes!(stats))
}

/// Read a product through the cache
///
/// Cache-aside: a hit answers from the cache; a miss loads the slow source (about 100 ms)
/// and stores the product with a TTL. Concurrent misses on one key share one load.
#[utoipa::path(
    get,
    path = "/api/v1/cache/products/{id}",
    operation_id = "cache_get_product",
    tag = "cache",
    params(("id" = u64, Path, description = "The product's id (1 to 4)")),
    responses(
        (status = 200, description = "The product", body = Product, headers(
            ("X-Cache" = String, description = "`HIT`, `MISS`, or `BYPASS` when Redis cannot be reached and the source answered"),
            ("X-Cache-Key" = String, description = "The cache key, such as `v1:product:1`"),
            ("X-Cache-TTL-Ms" = u64, description = "Milliseconds the entry has left (absent on `BYPASS`)"),
        )),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
    ),
)]
async fn get_product(State(state): State<AppState>, Path(id): Path<u64>) -> ApiResult<Response> {
    let read = read_through(&state, id).await?;
    let mut response = Json(&read.product).into_response();
    let headers = response.headers_mut();
    headers.insert("x-cache", HeaderValue::from_static(read.outcome.header()));
    if let Ok(key) = HeaderValue::from_str(&key_of(id)) {
        headers.insert("x-cache-key", key);
    }
    if let Some(left) = read.ttl_left {
        headers.insert("x-cache-ttl-ms", HeaderValue::from(millis(left)));
    }
    Ok(response)
}

/// The body of `PATCH /api/v1/cache/products/{id}`: at least one field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "price_cents": 7900 }))]
pub struct ProductPatch {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    /// The new price in cents, at most 100,000,000.
    #[schema(maximum = 100_000_000)]
    price_cents: Option<u64>,
}

impl ProductPatch {
    fn into_change(self) -> ApiResult<Change> {
        let mut problems = Vec::new();
        let name = self.name.map(|n| n.trim().to_owned());
        if let Some(name) = &name
            && (name.is_empty() || name.chars().count() > 100)
        {
            problems.push(FieldError {
                field: "name".into(),
                message: "must be 1 to 100 characters".into(),
            });
        }
        if self.price_cents.is_some_and(|p| p > 100_000_000) {
            problems.push(FieldError {
                field: "price_cents".into(),
                message: "must be at most 100000000".into(),
            });
        }
        if name.is_none() && self.price_cents.is_none() {
            problems.push(FieldError {
                field: "body".into(),
                message: "change at least one of name and price_cents".into(),
            });
        }
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        Ok(Change {
            name,
            price_cents: self.price_cents,
        })
    }
}

/// Change a product, then invalidate its cache entry
///
/// Writes the source first, then deletes the key, so the next read loads the new
/// version. A failed delete does not fail the write: the TTL bounds the staleness.
#[utoipa::path(
    patch,
    path = "/api/v1/cache/products/{id}",
    operation_id = "cache_update_product",
    tag = "cache",
    params(("id" = u64, Path, description = "The product's id (1 to 4)")),
    request_body = ProductPatch,
    responses(
        (status = 200, description = "The product as the source holds it now", body = Product),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
async fn update_product(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    ValidJson(patch): ValidJson<ProductPatch>,
) -> ApiResult<Json<Product>> {
    let change = patch.into_change()?;
    let cache = &state.cache;
    let product = cache
        .source
        .update(id, change)
        .await
        .ok_or_else(|| ApiError::NotFound(format!("no product has id {id}")))?;
    invalidate(&state, &key_of(id), product.version).await;
    Ok(Json(product))
}

// region: cache-invalidate
/// After the write has committed: delete the key (not overwrite it), so the next reader
/// loads whatever the source holds, whichever of two concurrent writers finished last.
async fn invalidate(state: &AppState, key: &str, version: u64) {
    let cache = &state.cache;
    if state.switches.is_on(Switch::CacheSkipInvalidation) {
        trace_decision(&format!(
            "write committed (version {version}); {key} left in the cache \
             (cache-skip-invalidation is on): readers get the old version until its TTL runs out"
        ));
        return;
    }
    match cache.store.delete(key).await {
        Ok(was_cached) => {
            bump(&cache.counters.invalidations);
            trace_decision(&if was_cached {
                format!(
                    "write committed (version {version}), then {key} deleted: the next read loads it"
                )
            } else {
                format!("write committed (version {version}); {key} was not cached")
            });
        }
        Err(down) => trace_decision(&format!(
            "write committed (version {version}), but {key} could not be deleted ({down}); \
             the TTL bounds how long readers see the old version"
        )),
    }
}
// endregion

/// What an eviction did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Eviction {
    pub key: String,
    /// Whether there was a live entry to remove.
    pub evicted: bool,
}

/// Evict a product's cache entry
///
/// Removes the entry without touching the source; the next read is a miss.
#[utoipa::path(
    delete,
    path = "/api/v1/cache/products/{id}/entry",
    operation_id = "cache_evict_entry",
    tag = "cache",
    params(("id" = u64, Path, description = "The product's id")),
    responses(
        (status = 200, description = "The key and whether an entry was removed", body = Eviction),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 503, description = "Redis is configured but cannot be reached", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn evict_entry(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<Eviction>, CacheRefusal> {
    let key = key_of(id);
    let evicted = state.cache.store.delete(&key).await?;
    trace_decision(&if evicted {
        format!("{key} evicted by hand")
    } else {
        format!("{key} was not cached")
    });
    Ok(Json(Eviction { key, evicted }))
}

/// The body of the stampede demo.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "readers": 20 }))]
pub struct StampedeRun {
    /// How many concurrent reads to send at the cold key, 2 to 100.
    #[schema(minimum = 2, maximum = 100)]
    readers: u32,
}

/// What the readers of a stampede did.
#[derive(Debug, Serialize, ToSchema)]
pub struct StampedeReport {
    pub key: String,
    pub backend: &'static str,
    /// Whether single flight and the Redis lock were on (`cache-no-stampede-guard` off).
    pub stampede_guard: bool,
    pub readers: u32,
    /// Readers that read the source themselves: 1 with the guard on.
    pub source_loads: u32,
    /// Readers that waited for another reader's load in this process.
    pub coalesced: u32,
    /// Readers that waited for another instance's load (Redis lock).
    pub lock_waits: u32,
    /// Readers that found the entry already stored.
    pub hits: u32,
    /// Readers served from the source because Redis could not be used.
    pub bypasses: u32,
}

/// Fire concurrent reads at a cold key
///
/// Evicts the product's entry, then sends `readers` reads at once through the same
/// cache-aside path as `GET`, and reports how many of them loaded the source.
#[utoipa::path(
    post,
    path = "/api/v1/cache/products/{id}/stampede",
    operation_id = "cache_stampede",
    tag = "cache",
    params(("id" = u64, Path, description = "The product's id (1 to 4)")),
    request_body = StampedeRun,
    responses(
        (status = 200, description = "What the readers did", body = StampedeReport),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
        (status = 503, description = "Redis is configured but cannot be reached", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn stampede(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    ValidJson(run): ValidJson<StampedeRun>,
) -> Result<Json<StampedeReport>, CacheRefusal> {
    if !(2..=100).contains(&run.readers) {
        return Err(ApiError::Validation(vec![FieldError {
            field: "readers".into(),
            message: "must be 2 to 100".into(),
        }])
        .into());
    }
    if !state.cache.source.contains(id) {
        return Err(ApiError::NotFound(format!("no product has id {id}")).into());
    }
    let key = key_of(id);
    state.cache.store.delete(&key).await?;
    trace_step(
        "stampede",
        &format!("{key} evicted; {} readers start at once", run.readers),
    );

    let mut readers = JoinSet::new();
    for _ in 0..run.readers {
        let reader = state.clone();
        let read = async move { read_through(&reader, id).await };
        // Each reader is a task of its own, traced into this request.
        readers.spawn(
            read.instrument(tracing::Span::current())
                .with_subscriber(state.dispatch.clone()),
        );
    }
    let mut report = StampedeReport {
        key: key.clone(),
        backend: state.cache.backend(),
        stampede_guard: !state.switches.is_on(Switch::CacheNoStampedeGuard),
        readers: run.readers,
        source_loads: 0,
        coalesced: 0,
        lock_waits: 0,
        hits: 0,
        bypasses: 0,
    };
    while let Some(joined) = readers.join_next().await {
        let read =
            joined.map_err(|e| ApiError::Internal(format!("a stampede reader failed: {e}")))??;
        if read.loaded_source {
            report.source_loads += 1;
        }
        match read.outcome {
            Outcome::Hit => report.hits += 1,
            Outcome::Coalesced => report.coalesced += 1,
            Outcome::LockWaited => report.lock_waits += 1,
            Outcome::Bypassed => report.bypasses += 1,
            Outcome::Loaded => {}
        }
    }
    trace_decision(&format!(
        "stampede on {key}: {} readers, {} source load(s), {} waited for another's load",
        report.readers,
        report.source_loads,
        report.coalesced + report.lock_waits
    ));
    Ok(Json(report))
}

/// The cache's counters since the sandbox started (or topic 31 was reset).
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheStats {
    /// `in-process` or `redis`.
    pub backend: &'static str,
    /// The Redis server, password left out; absent in process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<String>,
    pub ttl_ms: u64,
    pub source_latency_ms: u64,
    pub hits: u64,
    pub misses: u64,
    /// Reads served from the source because Redis could not be used.
    pub bypasses: u64,
    /// Hits over all reads, 0 before the first read.
    pub hit_ratio: f64,
    /// Misses that waited for another request's load in this process.
    pub coalesced: u64,
    /// Misses that waited for another instance's load (Redis lock).
    pub lock_waits: u64,
    /// Every read of the source of truth.
    pub source_loads: u64,
    /// The most source loads that ever ran at the same time.
    pub max_concurrent_loads: u64,
    /// Keys deleted after writes.
    pub invalidations: u64,
    /// False while `cache-no-stampede-guard` is on.
    pub stampede_guard: bool,
    /// False while `cache-skip-invalidation` is on.
    pub invalidate_on_write: bool,
}

/// The cache's counters
///
/// Hits, misses, loads of the source and waits, so you can see the stampede guard work.
#[utoipa::path(
    get,
    path = "/api/v1/cache/stats",
    operation_id = "cache_stats",
    tag = "cache",
    responses(
        (status = 200, description = "The counters and the backend in use", body = CacheStats),
        (status = 400, response = crate::openapi::BadRequest),
    ),
)]
async fn stats(State(state): State<AppState>) -> Json<CacheStats> {
    let cache = &state.cache;
    let counters = &cache.counters;
    let (source_loads, max_concurrent_loads) = cache.source.load_counts();
    let (hits, misses, bypasses) = (
        read(&counters.hits),
        read(&counters.misses),
        read(&counters.bypasses),
    );
    let reads = hits + misses + bypasses;
    Json(CacheStats {
        backend: cache.backend(),
        redis_url: match &cache.store {
            Store::Redis(redis) => Some(redis.shown_url().to_owned()),
            Store::InProcess(_) => None,
        },
        ttl_ms: millis(cache.config.ttl),
        source_latency_ms: millis(cache.source.latency()),
        hits,
        misses,
        bypasses,
        hit_ratio: if reads == 0 {
            0.0
        } else {
            hits as f64 / reads as f64
        },
        coalesced: read(&counters.coalesced),
        lock_waits: read(&counters.lock_waits),
        source_loads,
        max_concurrent_loads,
        invalidations: read(&counters.invalidations),
        stampede_guard: !state.switches.is_on(Switch::CacheNoStampedeGuard),
        invalidate_on_write: !state.switches.is_on(Switch::CacheSkipInvalidation),
    })
}
