//! Topic 17, rate limiting, as a learner's client sees it: the burst passes, the next
//! request gets 429 with `Retry-After`, every answer says where the bucket stands, and
//! the topic's reset refills it.

mod common;

use axum::http::StatusCode;
use common::{Dojo, Reply, assert_problem, config};
use dojo_sandbox::SandboxConfig;

const BURST: u32 = 5;

/// A bucket of [`BURST`] that refills so slowly no test sees a token come back.
fn limited() -> Dojo {
    Dojo::with(SandboxConfig {
        rate_limit_burst: BURST,
        rate_limit_per_second: 0.001,
        ..config()
    })
}

/// The `r` (remaining) and `t` (reset) members of the `RateLimit` header.
fn rate_limit_state(reply: &Reply) -> (u64, u64) {
    let header = reply
        .header("ratelimit")
        .expect("every answer carries RateLimit");
    let member = |key: &str| -> u64 {
        header
            .split(';')
            .find_map(|p| p.trim().strip_prefix(key))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {header}"))
    };
    (member("r="), member("t="))
}

#[tokio::test]
async fn burst_passes_then_429_with_retry_after() {
    let dojo = limited();
    for n in 1..=BURST {
        let reply = dojo.get("/api/v1/users/1").await;
        assert_eq!(reply.status, StatusCode::OK, "request {n} of the burst");
        let (remaining, _) = rate_limit_state(&reply);
        assert_eq!(remaining, u64::from(BURST - n), "request {n}");
        let policy = reply
            .header("ratelimit-policy")
            .expect("every answer carries RateLimit-Policy");
        assert!(policy.contains(&format!("q={BURST}")), "{policy}");
    }

    let reply = dojo.get("/api/v1/users/1").await;
    let body = assert_problem(&reply, 429);
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/rate-limited")),
        "{body}"
    );
    let retry_after: u64 = reply
        .header("retry-after")
        .expect("429 carries Retry-After")
        .parse()
        .expect("Retry-After is whole seconds");
    assert!(retry_after >= 1, "{retry_after}");
    let (remaining, reset) = rate_limit_state(&reply);
    assert_eq!(remaining, 0);
    assert!(reset >= 1);
    assert!(
        reply
            .header("ratelimit-policy")
            .is_some_and(|p| p.contains(&format!("q={BURST}")))
    );
    // Refusals are still hardened answers.
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn every_route_behind_the_limiter_spends_the_same_bucket() {
    let dojo = limited();
    for path in [
        "/api/v1/users/1",
        "/api/v1/me",
        "/api/v2/users/1",
        "/api/v1/errors/internal",
        "/api/users/2",
    ] {
        let status = dojo.get(path).await.status;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "{path}");
    }
    assert_problem(&dojo.get("/api/v2/users/1").await, 429);
}

#[tokio::test]
async fn health_and_tooling_are_not_limited() {
    let dojo = limited();
    for _ in 0..=BURST {
        dojo.get("/api/v1/users/1").await;
    }
    assert_eq!(
        dojo.get("/api/v1/users/1").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    for _ in 0..3 {
        assert_eq!(dojo.get("/healthz").await.status, StatusCode::OK);
        assert_eq!(dojo.get("/readyz").await.status, StatusCode::OK);
        assert_eq!(dojo.get("/_dojo/switches").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn topic_17_reset_refills_the_bucket() {
    let dojo = limited();
    for _ in 0..BURST {
        assert_eq!(dojo.get("/api/v1/users/1").await.status, StatusCode::OK);
    }
    assert_eq!(
        dojo.get("/api/v1/users/1").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Another topic's reset leaves the bucket empty.
    dojo.reset_topic(1).await;
    assert_eq!(
        dojo.get("/api/v1/users/1").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    dojo.reset_topic(17).await;
    for n in 1..=BURST {
        let reply = dojo.get("/api/v1/users/1").await;
        assert_eq!(reply.status, StatusCode::OK, "request {n} after the reset");
    }
    assert_eq!(
        dojo.get("/api/v1/users/1").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
