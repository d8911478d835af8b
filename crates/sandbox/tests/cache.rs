//! Topic 31, caching: cache-aside reads with `X-Cache: HIT|MISS`, TTL expiry, invalidation
//! on write, stampede protection, both break-it switches, the reset and bad input. Every
//! behaviour case runs twice: against the in-process cache and against a real
//! `redis-server` started for the test (`support/redis_server.rs`). Then Redis-only cases:
//! two sandboxes sharing one Redis, a Redis that is down or goes away.

mod common;
#[path = "support/redis_server.rs"]
mod redis_server;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{DEADLINE, Dojo, Reply, assert_problem, config, layer, problem_detail, request};
use dojo_sandbox::SandboxConfig;
use dojo_sandbox::features::cache::CacheConfig;
use redis_server::RedisServer;
use serde_json::{Value, json};
use tokio::task::JoinSet;

const PRODUCTS: &str = "/api/v1/cache/products";
const STATS: &str = "/api/v1/cache/stats";

/// Where a case keeps its cache.
#[derive(Debug, Clone, Copy)]
enum Backend<'a> {
    InProcess,
    Redis(&'a RedisServer),
}

impl Backend<'_> {
    fn sandbox_config(self, cache: CacheConfig) -> SandboxConfig {
        SandboxConfig {
            redis_url: match self {
                Backend::InProcess => None,
                Backend::Redis(server) => Some(server.url()),
            },
            cache,
            ..config()
        }
    }

    fn dojo(self, cache: CacheConfig) -> Dojo {
        Dojo::with(self.sandbox_config(cache))
    }

    fn name(self) -> &'static str {
        match self {
            Backend::InProcess => "in-process",
            Backend::Redis(_) => "redis",
        }
    }
}

/// The default cache, with a TTL long enough that nothing expires during a test.
fn settings() -> CacheConfig {
    CacheConfig {
        ttl: Duration::from_secs(60),
        source_latency: Duration::from_millis(100),
        ..CacheConfig::default()
    }
}

fn product_path(id: u64) -> String {
    format!("{PRODUCTS}/{id}")
}

async fn get_product(dojo: &Dojo, id: u64) -> Reply {
    let reply = dojo.get(&product_path(id)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply
}

fn x_cache(reply: &Reply) -> &str {
    reply
        .header("x-cache")
        .expect("every product read says X-Cache")
}

fn ttl_ms(reply: &Reply) -> u64 {
    reply
        .header("x-cache-ttl-ms")
        .expect("a cached answer says its TTL")
        .parse()
        .expect("the TTL is a number of milliseconds")
}

async fn stats(dojo: &Dojo) -> Value {
    let reply = dojo.get(STATS).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

async fn patch(dojo: &Dojo, id: u64, body: &Value) -> Reply {
    dojo.send_json(Method::PATCH, &product_path(id), body).await
}

/// The reason the trace's `cache` layer gives for one request.
async fn cache_reason(dojo: &Dojo, reply: &Reply) -> String {
    let trace = dojo.trace(&reply.request_id()).await;
    layer(&trace, "cache")["reason"]
        .as_str()
        .expect("the cache layer has a reason")
        .to_owned()
}

/// `n` reads of one product, all sent at once.
async fn concurrent_reads(dojo: &Dojo, id: u64, n: usize) -> Vec<Reply> {
    let mut readers = JoinSet::new();
    for _ in 0..n {
        let dojo = dojo.clone();
        readers.spawn(async move { dojo.get(&product_path(id)).await });
    }
    let mut replies = Vec::new();
    while let Some(reply) = readers.join_next().await {
        replies.push(reply.expect("a reader finishes"));
    }
    replies
}

/// Runs each named case once per backend; the Redis half starts its own server.
macro_rules! on_both_backends {
    ($($case:ident),+ $(,)?) => {
        mod in_process {
            $(
                #[tokio::test]
                async fn $case() {
                    super::cases::$case(super::Backend::InProcess).await;
                }
            )+
        }
        mod on_redis {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(server) = super::redis_server::start() else {
                        return;
                    };
                    super::cases::$case(super::Backend::Redis(&server)).await;
                }
            )+
        }
    };
}

on_both_backends!(
    a_miss_loads_the_source_and_the_next_read_is_a_hit,
    an_entry_expires_after_its_ttl,
    a_write_deletes_the_key_so_the_next_read_loads_the_new_version,
    skip_invalidation_serves_the_old_version_after_a_write,
    concurrent_misses_on_a_cold_key_load_the_source_once,
    without_the_stampede_guard_every_concurrent_miss_loads_the_source,
    the_stampede_route_reports_one_load_with_the_guard_and_many_without,
    reset_empties_the_cache_and_restores_the_catalogue,
    bad_input_is_refused_with_problem_details,
);

mod cases {
    use super::*;

    pub(super) async fn a_miss_loads_the_source_and_the_next_read_is_a_hit(backend: Backend<'_>) {
        let dojo = backend.dojo(settings());
        let started = Instant::now();
        let miss = get_product(&dojo, 1).await;
        let miss_took = started.elapsed();
        assert_eq!(x_cache(&miss), "MISS");
        assert_eq!(miss.header("x-cache-key"), Some("v1:product:1"));
        assert!(
            miss_took >= Duration::from_millis(100),
            "a miss pays the source's latency: {miss_took:?}"
        );
        let product = miss.json();
        assert_eq!(product["id"], 1);
        assert_eq!(product["name"], "Mechanical keyboard");
        assert_eq!(product["version"], 1);
        assert!(
            cache_reason(&dojo, &miss)
                .await
                .starts_with("MISS: loaded v1:product:1 from the source")
        );

        let hit = get_product(&dojo, 1).await;
        assert_eq!(x_cache(&hit), "HIT");
        assert_eq!(hit.json(), product, "a hit answers what the miss stored");
        let left = ttl_ms(&hit);
        assert!(left > 0 && left <= 60_000, "{left}");
        let reason = cache_reason(&dojo, &hit).await;
        assert!(reason.starts_with("HIT: v1:product:1"), "{reason}");
        assert!(reason.contains(backend.name()), "{reason}");

        let counters = stats(&dojo).await;
        assert_eq!(counters["backend"], backend.name());
        assert_eq!(counters["hits"], 1, "{counters}");
        assert_eq!(counters["misses"], 1, "{counters}");
        assert_eq!(counters["source_loads"], 1, "{counters}");
        assert_eq!(counters["hit_ratio"], 0.5, "{counters}");
        assert_eq!(counters["ttl_ms"], 60_000);

        // Another product has a key of its own.
        assert_eq!(x_cache(&get_product(&dojo, 2).await), "MISS");
    }

    pub(super) async fn an_entry_expires_after_its_ttl(backend: Backend<'_>) {
        let ttl = Duration::from_millis(400);
        let dojo = backend.dojo(CacheConfig {
            ttl,
            source_latency: Duration::from_millis(5),
            ..settings()
        });
        let stored_after = Instant::now();
        assert_eq!(x_cache(&get_product(&dojo, 3).await), "MISS");
        let first_hit = get_product(&dojo, 3).await;
        assert_eq!(x_cache(&first_hit), "HIT");
        assert!(ttl_ms(&first_hit) <= 400, "{}", ttl_ms(&first_hit));

        // Poll until the entry is gone; a hit never extends it.
        let deadline = Instant::now() + DEADLINE;
        let mut last_left = ttl_ms(&first_hit);
        let expired_at = loop {
            let reply = get_product(&dojo, 3).await;
            if x_cache(&reply) == "MISS" {
                break stored_after.elapsed();
            }
            let left = ttl_ms(&reply);
            assert!(
                left <= last_left,
                "reads do not extend the TTL: {left} > {last_left}"
            );
            last_left = left;
            assert!(Instant::now() < deadline, "the entry never expired");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        // Each store takes up to a tenth off the TTL (jitter), never more.
        assert!(
            expired_at >= ttl.mul_f64(0.9) - Duration::from_millis(5),
            "expired after {expired_at:?}, before 90% of {ttl:?}"
        );
        let counters = stats(&dojo).await;
        assert_eq!(counters["source_loads"], 2, "{counters}");
    }

    pub(super) async fn a_write_deletes_the_key_so_the_next_read_loads_the_new_version(
        backend: Backend<'_>,
    ) {
        let dojo = backend.dojo(settings());
        assert_eq!(x_cache(&get_product(&dojo, 1).await), "MISS");
        assert_eq!(x_cache(&get_product(&dojo, 1).await), "HIT");

        let written = patch(&dojo, 1, &json!({ "price_cents": 7900 })).await;
        assert_eq!(written.status, StatusCode::OK, "{}", written.text());
        let product = written.json();
        assert_eq!(product["price_cents"], 7900);
        assert_eq!(product["version"], 2);
        assert_eq!(
            product["name"], "Mechanical keyboard",
            "PATCH keeps other fields"
        );
        let reason = cache_reason(&dojo, &written).await;
        assert!(
            reason.contains("v1:product:1 deleted"),
            "the trace says the key went: {reason}"
        );

        let after = get_product(&dojo, 1).await;
        assert_eq!(x_cache(&after), "MISS", "the write removed the entry");
        assert_eq!(after.json(), product, "the next read sees the write");
        assert_eq!(x_cache(&get_product(&dojo, 1).await), "HIT");

        // A write to a product nobody cached deletes nothing, and says so.
        let cold = patch(&dojo, 4, &json!({ "name": "  34-inch ultrawide  " })).await;
        assert_eq!(cold.status, StatusCode::OK, "{}", cold.text());
        assert_eq!(
            cold.json()["name"],
            "34-inch ultrawide",
            "names are trimmed"
        );
        assert!(cache_reason(&dojo, &cold).await.contains("was not cached"));

        let counters = stats(&dojo).await;
        assert_eq!(counters["invalidations"], 2, "{counters}");
        assert_eq!(counters["invalidate_on_write"], true);
    }

    pub(super) async fn skip_invalidation_serves_the_old_version_after_a_write(
        backend: Backend<'_>,
    ) {
        let dojo = backend.dojo(settings());
        dojo.switch("cache-skip-invalidation", true).await;
        assert_eq!(stats(&dojo).await["invalidate_on_write"], false);
        assert_eq!(x_cache(&get_product(&dojo, 2).await), "MISS");
        let written = patch(&dojo, 2, &json!({ "price_cents": 14900 })).await;
        assert_eq!(written.status, StatusCode::OK, "{}", written.text());
        assert_eq!(written.json()["version"], 2);
        assert!(
            cache_reason(&dojo, &written)
                .await
                .contains("cache-skip-invalidation is on")
        );

        let stale = get_product(&dojo, 2).await;
        assert_eq!(x_cache(&stale), "HIT");
        assert_eq!(
            stale.json()["price_cents"],
            19900,
            "the old price is served"
        );
        assert_eq!(stale.json()["version"], 1);

        // Fixed: the next write deletes the key again, and readers see it.
        dojo.switch("cache-skip-invalidation", false).await;
        let fixed = patch(&dojo, 2, &json!({ "price_cents": 13900 })).await;
        assert_eq!(fixed.status, StatusCode::OK);
        let fresh = get_product(&dojo, 2).await;
        assert_eq!(x_cache(&fresh), "MISS");
        assert_eq!(fresh.json()["price_cents"], 13900);
        assert_eq!(fresh.json()["version"], 3);
    }

    pub(super) async fn concurrent_misses_on_a_cold_key_load_the_source_once(backend: Backend<'_>) {
        let dojo = backend.dojo(settings());
        let replies = concurrent_reads(&dojo, 3, 20).await;
        for reply in &replies {
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
            assert_eq!(reply.json()["name"], "USB-C dock");
        }
        let misses = replies.iter().filter(|r| x_cache(r) == "MISS").count();
        assert!(misses >= 1, "somebody missed the cold key");

        let counters = stats(&dojo).await;
        assert_eq!(
            counters["source_loads"], 1,
            "one load for 20 readers: {counters}"
        );
        assert_eq!(counters["max_concurrent_loads"], 1, "{counters}");
        assert_eq!(counters["stampede_guard"], true);
        let hits = counters["hits"].as_u64().expect("hits");
        let misses = counters["misses"].as_u64().expect("misses");
        let coalesced = counters["coalesced"].as_u64().expect("coalesced");
        assert_eq!(hits + misses, 20, "{counters}");
        assert_eq!(misses, 1 + coalesced, "every other miss waited: {counters}");

        // The waiters' traces say whose load they took.
        let mut waited = 0;
        for reply in &replies {
            if cache_reason(&dojo, reply).await.contains("(single flight)") {
                waited += 1;
            }
        }
        assert_eq!(u64::try_from(waited).expect("small"), coalesced);
    }

    pub(super) async fn without_the_stampede_guard_every_concurrent_miss_loads_the_source(
        backend: Backend<'_>,
    ) {
        let dojo = backend.dojo(settings());
        dojo.switch("cache-no-stampede-guard", true).await;
        let replies = concurrent_reads(&dojo, 4, 20).await;
        assert!(replies.iter().all(|r| r.status == StatusCode::OK));
        let counters = stats(&dojo).await;
        let loads = counters["source_loads"].as_u64().expect("source_loads");
        assert!(loads > 1, "the stampede reaches the source: {counters}");
        assert!(
            counters["max_concurrent_loads"].as_u64().expect("max") > 1,
            "loads ran side by side: {counters}"
        );
        assert_eq!(counters["coalesced"], 0, "{counters}");
        assert_eq!(counters["stampede_guard"], false);
        let miss = replies
            .iter()
            .find(|r| x_cache(r) == "MISS")
            .expect("a miss");
        assert!(
            cache_reason(&dojo, miss)
                .await
                .contains("cache-no-stampede-guard is on")
        );
    }

    pub(super) async fn the_stampede_route_reports_one_load_with_the_guard_and_many_without(
        backend: Backend<'_>,
    ) {
        let dojo = backend.dojo(settings());
        let path = format!("{PRODUCTS}/1/stampede");
        // Warm the key first: the run evicts it, so its readers still meet a cold key.
        assert_eq!(x_cache(&get_product(&dojo, 1).await), "MISS");

        let guarded = dojo.post_json(&path, &json!({ "readers": 20 })).await;
        assert_eq!(guarded.status, StatusCode::OK, "{}", guarded.text());
        let report = guarded.json();
        assert_eq!(report["key"], "v1:product:1");
        assert_eq!(report["backend"], backend.name());
        assert_eq!(report["readers"], 20);
        assert_eq!(report["stampede_guard"], true);
        assert_eq!(report["source_loads"], 1, "{report}");
        let served_without_loading = report["coalesced"].as_u64().expect("coalesced")
            + report["hits"].as_u64().expect("hits")
            + report["lock_waits"].as_u64().expect("lock_waits");
        assert_eq!(served_without_loading, 19, "{report}");
        let reason = cache_reason(&dojo, &guarded).await;
        assert!(reason.contains("20 readers, 1 source load(s)"), "{reason}");

        dojo.switch("cache-no-stampede-guard", true).await;
        let unguarded = dojo.post_json(&path, &json!({ "readers": 20 })).await;
        assert_eq!(unguarded.status, StatusCode::OK, "{}", unguarded.text());
        let report = unguarded.json();
        assert_eq!(report["stampede_guard"], false);
        assert!(
            report["source_loads"].as_u64().expect("loads") > 1,
            "{report}"
        );
        assert_eq!(report["coalesced"], 0, "{report}");
    }

    pub(super) async fn reset_empties_the_cache_and_restores_the_catalogue(backend: Backend<'_>) {
        let dojo = backend.dojo(settings());
        dojo.switch("cache-skip-invalidation", true).await;
        assert_eq!(x_cache(&get_product(&dojo, 1).await), "MISS");
        let written = patch(&dojo, 1, &json!({ "name": "Renamed" })).await;
        assert_eq!(written.status, StatusCode::OK);

        dojo.reset_topic(31).await;

        let counters = stats(&dojo).await;
        for counter in [
            "hits",
            "misses",
            "source_loads",
            "invalidations",
            "coalesced",
        ] {
            assert_eq!(counters[counter], 0, "{counter}: {counters}");
        }
        assert_eq!(
            counters["invalidate_on_write"], true,
            "the reset closes the switch"
        );
        let after = get_product(&dojo, 1).await;
        assert_eq!(x_cache(&after), "MISS", "no entry survives the reset");
        assert_eq!(after.json()["name"], "Mechanical keyboard");
        assert_eq!(after.json()["version"], 1);
    }

    pub(super) async fn bad_input_is_refused_with_problem_details(backend: Backend<'_>) {
        let dojo = backend.dojo(CacheConfig {
            source_latency: Duration::from_millis(5),
            ..settings()
        });
        let unknown = dojo.get(&product_path(99)).await;
        assert!(problem_detail(&unknown, 404).contains("no product has id 99"));
        assert!(unknown.header("x-cache").is_none());
        let reason = cache_reason(&dojo, &unknown).await;
        assert!(reason.contains("nothing cached"), "{reason}");
        assert_problem(&dojo.get(&format!("{PRODUCTS}/abc")).await, 400);
        assert_problem(&dojo.get(&format!("{PRODUCTS}/-1")).await, 400);

        assert_problem(&patch(&dojo, 99, &json!({ "price_cents": 1 })).await, 404);
        let malformed = dojo
            .send(request(
                Method::PATCH,
                &product_path(1),
                &[("content-type", "application/json")],
                Body::from("{\"price_cents\": "),
            ))
            .await;
        assert_problem(&malformed, 400);
        let not_json = dojo
            .send(request(
                Method::PATCH,
                &product_path(1),
                &[("content-type", "text/plain")],
                Body::from("price=1"),
            ))
            .await;
        assert_problem(&not_json, 415);
        for body in [
            json!({}),
            json!({ "name": "   " }),
            json!({ "name": "x".repeat(101) }),
            json!({ "price_cents": 100_000_001u64 }),
            json!({ "price_cents": -1 }),
            json!({ "price_cents": "cheap" }),
            json!({ "price": 1 }),
        ] {
            let refused = patch(&dojo, 1, &body).await;
            let problem = assert_problem(&refused, 422);
            assert!(problem["errors"].is_array(), "{body}: {problem}");
        }
        // Nothing above changed the product.
        assert_eq!(get_product(&dojo, 1).await.json()["version"], 1);

        let stampede = format!("{PRODUCTS}/1/stampede");
        for readers in [0, 1, 101] {
            let refused = dojo
                .post_json(&stampede, &json!({ "readers": readers }))
                .await;
            assert_problem(&refused, 422);
        }
        let unknown = dojo
            .post_json(&format!("{PRODUCTS}/99/stampede"), &json!({ "readers": 5 }))
            .await;
        assert_problem(&unknown, 404);
    }
}

#[tokio::test]
async fn sandboxes_sharing_one_redis_load_a_cold_key_once_between_them() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let shared = CacheConfig {
        redis_namespace: Some("shared-by-two".into()),
        ..settings()
    };
    let first = Backend::Redis(&server).dojo(shared.clone());
    let second = Backend::Redis(&server).dojo(shared);
    let (a, b) = tokio::join!(
        concurrent_reads(&first, 2, 10),
        concurrent_reads(&second, 2, 10)
    );
    assert!(a.iter().chain(&b).all(|r| r.status == StatusCode::OK));
    let (one, two) = (stats(&first).await, stats(&second).await);
    let loads =
        one["source_loads"].as_u64().expect("loads") + two["source_loads"].as_u64().expect("loads");
    assert_eq!(loads, 1, "one load across both instances: {one} {two}");
    // The instance that did not load was served by the other's value.
    let idle = if one["source_loads"] == 0 { &one } else { &two };
    let served =
        idle["lock_waits"].as_u64().expect("lock_waits") + idle["hits"].as_u64().expect("hits");
    assert!(served >= 1, "{idle}");

    // A write on one instance deletes the shared key for both.
    let written = patch(&first, 2, &json!({ "price_cents": 18900 })).await;
    assert_eq!(written.status, StatusCode::OK);
    assert_eq!(x_cache(&get_product(&second, 2).await), "MISS");
}

#[tokio::test]
async fn sandboxes_on_one_redis_keep_apart_unless_they_share_a_namespace() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let first = Backend::Redis(&server).dojo(settings());
    let second = Backend::Redis(&server).dojo(settings());
    assert_eq!(x_cache(&get_product(&first, 1).await), "MISS");
    assert_eq!(
        x_cache(&get_product(&second, 1).await),
        "MISS",
        "each sandbox has its own catalogue, so its own keys"
    );
}

/// A URL with a password, to a port nobody listens on.
fn unreachable_redis() -> (String, String) {
    let port = redis_server::free_port().expect("a free port");
    (
        format!("redis://:hunter2-secret@127.0.0.1:{port}/0"),
        format!("redis://:***@127.0.0.1:{port}/0"),
    )
}

#[tokio::test]
async fn an_unreachable_redis_falls_back_to_the_source_and_refuses_evictions_with_503() {
    let (url, shown) = unreachable_redis();
    let dojo = Dojo::with(SandboxConfig {
        redis_url: Some(url),
        cache: settings(),
        ..config()
    });
    // The sandbox started without touching Redis; the first read finds it down.
    let read = get_product(&dojo, 1).await;
    assert_eq!(x_cache(&read), "BYPASS");
    assert!(read.header("x-cache-ttl-ms").is_none());
    assert_eq!(read.json()["name"], "Mechanical keyboard");
    let reason = cache_reason(&dojo, &read).await;
    assert!(reason.starts_with("BYPASS: Redis at "), "{reason}");
    assert!(reason.contains(&shown), "{reason}");
    assert!(!reason.contains("hunter2"), "{reason}");

    // Only the cache can evict, so that is refused, clearly and never as a 500.
    let evict = dojo
        .send(request(
            Method::DELETE,
            &format!("{PRODUCTS}/1/entry"),
            &[],
            Body::empty(),
        ))
        .await;
    let detail = problem_detail(&evict, 503);
    assert!(
        detail.contains(&format!("Redis at {shown} cannot be used")),
        "{detail}"
    );
    assert!(!detail.contains("hunter2"), "{detail}");
    assert_eq!(evict.header("retry-after"), Some("5"));
    let stampede = dojo
        .post_json(&format!("{PRODUCTS}/1/stampede"), &json!({ "readers": 3 }))
        .await;
    assert_problem(&stampede, 503);

    // A write still commits; the failed delete is in the trace.
    let written = patch(&dojo, 1, &json!({ "price_cents": 100 })).await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    let reason = cache_reason(&dojo, &written).await;
    assert!(reason.contains("could not be deleted"), "{reason}");
    assert_eq!(get_product(&dojo, 1).await.json()["price_cents"], 100);

    let counters = stats(&dojo).await;
    assert_eq!(counters["backend"], "redis");
    assert_eq!(counters["redis_url"], shown.as_str());
    assert_eq!(counters["bypasses"], 2, "{counters}");
}

#[tokio::test]
async fn a_redis_that_goes_away_mid_run_turns_reads_into_bypasses() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = Backend::Redis(&server).dojo(settings());
    assert_eq!(x_cache(&get_product(&dojo, 3).await), "MISS");
    assert_eq!(x_cache(&get_product(&dojo, 3).await), "HIT");
    drop(server);
    // The stop is asynchronous on the server's side; reads never fail meanwhile.
    let deadline = Instant::now() + DEADLINE;
    loop {
        let reply = get_product(&dojo, 3).await;
        if x_cache(&reply) == "BYPASS" {
            assert_eq!(reply.json()["name"], "USB-C dock");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "reads never noticed Redis was gone"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_cache_routes_are_documented() {
    let dojo = Dojo::new();
    let document = dojo.get("/openapi.json").await.json();
    let paths = &document["paths"];
    for (path, method) in [
        ("/api/v1/cache/products/{id}", "get"),
        ("/api/v1/cache/products/{id}", "patch"),
        ("/api/v1/cache/products/{id}/entry", "delete"),
        ("/api/v1/cache/products/{id}/stampede", "post"),
        ("/api/v1/cache/stats", "get"),
    ] {
        let operation = &paths[path][method];
        assert_eq!(operation["tags"][0], "cache", "{method} {path}");
    }
    let headers = &paths["/api/v1/cache/products/{id}"]["get"]["responses"]["200"]["headers"];
    assert!(headers["X-Cache"].is_object(), "{headers}");
}
