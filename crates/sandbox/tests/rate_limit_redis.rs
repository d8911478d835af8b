//! Topic 17 with `--redis-url`: the token buckets live in a real `redis-server` started for
//! each test (`support/redis_server.rs`), so two sandboxes sharing it share every client's
//! and user's bucket, concurrent requests never overspend a bucket, a topic reset deletes
//! only the rate limiter's keys, and a Redis that cannot be reached lets requests through
//! (fail open) with the reason in the trace.

mod common;
#[path = "support/redis_server.rs"]
mod redis_server;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use common::{ADA, Dojo, Reply, assert_problem, config, layer, request};
use dojo_sandbox::SandboxConfig;
use redis::Commands as _;
use redis_server::RedisServer;

const BURST: u32 = 4;

/// A sandbox whose buckets live in `server`: bursts of [`BURST`] per client and 2 per user,
/// refilling so slowly that no test sees a token come back.
fn sandbox(server: &RedisServer) -> Dojo {
    Dojo::with(SandboxConfig {
        redis_url: Some(server.url()),
        rate_limit_burst: BURST,
        rate_limit_per_second: 0.001,
        rate_limit_user_burst: Some(2),
        rate_limit_user_per_second: Some(0.001),
        ..config()
    })
}

/// A plain client on the same server, to look at the keys the sandboxes wrote.
fn inspect(server: &RedisServer) -> redis::Connection {
    redis::Client::open(server.url())
        .expect("a Redis URL")
        .get_connection()
        .expect("the test server answers")
}

/// `GET /api/v1/users/1` (or `/api/v1/me` with a token) from `peer`.
async fn get_from(dojo: &Dojo, peer: &str, token: Option<&str>) -> Reply {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let (path, headers) = match &bearer {
        Some(value) => ("/api/v1/me", vec![("authorization", value.as_str())]),
        None => ("/api/v1/users/1", Vec::new()),
    };
    let mut get = request(Method::GET, path, &headers, Body::empty());
    let peer: SocketAddr = peer.parse().expect("a socket address");
    get.extensions_mut().insert(ConnectInfo(peer));
    dojo.send(get).await
}

#[tokio::test]
async fn two_sandboxes_sharing_redis_share_a_clients_bucket() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let (first, second) = (sandbox(&server), sandbox(&server));
    let peer = "203.0.113.5:4000";
    for n in 0..BURST {
        let dojo = if n % 2 == 0 { &first } else { &second };
        let reply = get_from(dojo, peer, None).await;
        assert_eq!(reply.status, StatusCode::OK, "request {n}");
        assert_eq!(
            reply.header("ratelimit"),
            // n + 1 tokens spent, each 1000 s to come back.
            Some(format!("\"per-client\";r={};t={}", BURST - n - 1, (n + 1) * 1000).as_str()),
            "both sandboxes count in one bucket"
        );
    }
    for dojo in [&first, &second] {
        let refused = get_from(dojo, peer, None).await;
        let body = assert_problem(&refused, 429);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("client's bucket")),
            "{body}"
        );
        assert_eq!(refused.header("retry-after"), Some("1000"));
        let trace = dojo.trace(&refused.request_id()).await;
        assert_eq!(
            layer(&trace, "rate_limit")["reason"],
            "the client's token bucket is empty"
        );
    }
    // Another address has its own bucket.
    assert_eq!(
        get_from(&first, "203.0.113.6:4000", None).await.status,
        StatusCode::OK
    );

    // The bucket is a hash in Redis that expires once it would be full again.
    let mut redis = inspect(&server);
    let key = "dojo:ratelimit:client:203.0.113.5";
    let tokens: String = redis.hget(key, "tokens").expect("HGET tokens");
    assert!(tokens.parse::<f64>().expect("a number") < 1.0, "{tokens}");
    let ts: u64 = redis.hget(key, "ts").expect("HGET ts");
    assert!(ts > 1_600_000_000_000, "Redis's clock in ms: {ts}");
    let ttl_ms: i64 = redis.pttl(key).expect("PTTL");
    assert!((3_000_000..=4_001_000).contains(&ttl_ms), "TTL {ttl_ms} ms");
}

#[tokio::test]
async fn a_user_is_limited_across_sandboxes_and_addresses() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let (first, second) = (sandbox(&server), sandbox(&server));
    let token = first.login_as(ADA).await;
    let ok = get_from(&first, "198.51.100.1:1000", Some(&token)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(
        ok.header("ratelimit-policy"),
        Some("\"per-client\";q=4;w=4000, \"per-user\";q=2;w=2000")
    );
    assert_eq!(ok.header("ratelimit"), Some("\"per-user\";r=1;t=1000"));
    // The second sandbox checks the same token (same key) against the same bucket.
    let ok = get_from(&second, "198.51.100.2:1000", Some(&token)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let refused = get_from(&second, "198.51.100.3:1000", Some(&token)).await;
    let body = assert_problem(&refused, 429);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("user's bucket (per-user)")),
        "{body}"
    );
    let trace = second.trace(&refused.request_id()).await;
    assert_eq!(
        layer(&trace, "rate_limit")["reason"],
        "the user's token bucket is empty"
    );
    // The refusal spent nothing: the third address still has its whole bucket.
    let mut redis = inspect(&server);
    let tokens: String = redis
        .hget("dojo:ratelimit:client:198.51.100.3", "tokens")
        .expect("HGET tokens");
    assert_eq!(tokens.parse::<f64>().expect("a number").floor(), 4.0);
}

#[tokio::test]
async fn concurrent_requests_from_two_sandboxes_never_overspend_a_bucket() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let (first, second) = (sandbox(&server), sandbox(&server));
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..20 {
        let dojo = if n % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        requests.spawn(async move { get_from(&dojo, "192.0.2.44:80", None).await.status });
    }
    let statuses = requests.join_all().await;
    let passed = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((passed, refused), (BURST as usize, 20 - BURST as usize));
}

#[tokio::test]
async fn a_topic_reset_deletes_only_the_rate_limiters_keys() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let (first, second) = (sandbox(&server), sandbox(&server));
    let mut redis = inspect(&server);
    let () = redis.set("dojo:session:someone", "kept").expect("SET");
    let () = redis.set("another-app:key", "kept").expect("SET");
    for _ in 0..BURST {
        get_from(&first, "192.0.2.10:80", None).await;
    }
    assert_problem(&get_from(&second, "192.0.2.10:80", None).await, 429);

    first.reset_topic(17).await;
    // The clear runs before the next request is counted, on whichever sandbox it reaches.
    let reply = get_from(&first, "192.0.2.10:80", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("ratelimit"), Some("\"per-client\";r=3;t=1000"));
    let reply = get_from(&second, "192.0.2.10:80", None).await;
    assert_eq!(reply.header("ratelimit"), Some("\"per-client\";r=2;t=2000"));
    let kept: Vec<String> = redis
        .mget(&["dojo:session:someone", "another-app:key"])
        .expect("MGET");
    assert_eq!(kept, ["kept", "kept"]);
}

#[tokio::test]
async fn an_unreachable_redis_lets_requests_through_and_the_trace_says_why() {
    let port = redis_server::free_port().expect("a free port");
    let dojo = Dojo::with(SandboxConfig {
        redis_url: Some(format!("redis://:s3cret@127.0.0.1:{port}/0")),
        rate_limit_burst: 1,
        rate_limit_per_second: 0.001,
        ..config()
    });
    // Past the burst of 1: nothing is counted, everything passes.
    for _ in 0..3 {
        let reply = get_from(&dojo, "192.0.2.20:80", None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.header("ratelimit"), None, "nothing was counted");
        let trace = dojo.trace(&reply.request_id()).await;
        let rate_limit = layer(&trace, "rate_limit");
        assert_eq!(rate_limit["decision"], "passed");
        let reason = rate_limit["reason"].as_str().expect("a reason");
        assert!(
            reason.starts_with("rate limit store unavailable: "),
            "{reason}"
        );
        assert!(
            reason.contains(&format!("redis://:***@127.0.0.1:{port}/0")),
            "{reason}"
        );
        assert!(!reason.contains("s3cret"), "{reason}");
    }
}

#[tokio::test]
async fn a_redis_that_goes_away_fails_open_and_comes_back_counting() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = sandbox(&server);
    for _ in 0..BURST {
        get_from(&dojo, "192.0.2.30:80", None).await;
    }
    assert_problem(&get_from(&dojo, "192.0.2.30:80", None).await, 429);
    drop(server);
    let reply = get_from(&dojo, "192.0.2.30:80", None).await;
    assert_eq!(reply.status, StatusCode::OK, "fail open: {}", reply.text());
    let trace = dojo.trace(&reply.request_id()).await;
    assert!(
        layer(&trace, "rate_limit")["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("rate limit store unavailable")),
        "{trace}"
    );
}
