//! Topic 17, rate limiting, as a learner's client sees it: the burst passes, the next
//! request gets 429 with `Retry-After`, every answer says where the bucket stands, and
//! the topic's reset refills it. Signed-in requests also spend from their user's bucket:
//! a user who changes address is still limited, and users behind one address each have
//! their own bucket but share the address's.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use common::{
    ADA, Dojo, GRACE, Reply, assert_problem, claims, config, layer, request, signed_token,
};
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

const USER_BURST: u32 = 3;

/// A generous client bucket and a small user bucket, neither refilling during a test.
fn with_user_limit(client_burst: u32) -> Dojo {
    Dojo::with(SandboxConfig {
        rate_limit_burst: client_burst,
        rate_limit_per_second: 0.001,
        rate_limit_user_burst: Some(USER_BURST),
        rate_limit_user_per_second: Some(0.001),
        ..config()
    })
}

/// `GET /api/v1/me` from `peer`, with this access token or none.
async fn me_from(dojo: &Dojo, peer: &str, token: Option<&str>) -> Reply {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut headers = Vec::new();
    if let Some(value) = &bearer {
        headers.push(("authorization", value.as_str()));
    }
    let mut get = request(Method::GET, "/api/v1/me", &headers, Body::empty());
    let peer: SocketAddr = peer.parse().expect("a socket address");
    get.extensions_mut().insert(ConnectInfo(peer));
    dojo.send(get).await
}

/// The bucket name the `RateLimit` header describes.
fn described_bucket(reply: &Reply) -> &str {
    let header = reply.header("ratelimit").expect("RateLimit");
    header.split(';').next().expect("a name").trim_matches('"')
}

#[tokio::test]
async fn a_user_changing_address_is_still_refused_after_the_user_burst() {
    let dojo = with_user_limit(100);
    let token = dojo.login_as(ADA).await;
    let addresses = ["203.0.113.1:4000", "198.51.100.2:5000"];
    for n in 0..USER_BURST {
        let peer = addresses[n as usize % 2];
        let reply = me_from(&dojo, peer, Some(&token)).await;
        assert_eq!(reply.status, StatusCode::OK, "request {n} from {peer}");
        assert_eq!(
            described_bucket(&reply),
            "per-user",
            "the user's is the smaller bucket"
        );
    }

    // A third address, a full client bucket: the user's bucket is what refuses.
    let reply = me_from(&dojo, "192.0.2.99:6000", Some(&token)).await;
    let body = assert_problem(&reply, 429);
    let detail = body["detail"].as_str().expect("a detail");
    assert!(detail.contains("user's bucket (per-user)"), "{detail}");
    assert!(
        reply
            .header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|secs| secs >= 1)
    );
    assert_eq!(reply.header("ratelimit"), Some("\"per-user\";r=0;t=1000"));
    let trace = dojo.trace(&reply.request_id()).await;
    let rate_limit = layer(&trace, "rate_limit");
    assert_eq!(rate_limit["decision"], "short_circuited");
    assert_eq!(rate_limit["reason"], "the user's token bucket is empty");

    // The same address without the token is only a client, with tokens to spare.
    let reply = me_from(&dojo, "192.0.2.99:6000", None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(described_bucket(&reply), "per-client");
}

#[tokio::test]
async fn users_behind_one_address_have_their_own_buckets_and_share_the_address() {
    const CLIENT_BURST: u32 = 5;
    let dojo = with_user_limit(CLIENT_BURST);
    // The logins come from the test's own address, not the office's.
    let ada = dojo.login_as(ADA).await;
    let grace = dojo.login_as(GRACE).await;
    let office = "203.0.113.50:443";

    // Ada empties her own bucket; Grace, at the same address, still has hers.
    for _ in 0..USER_BURST {
        assert_eq!(
            me_from(&dojo, office, Some(&ada)).await.status,
            StatusCode::OK
        );
    }
    let refused = me_from(&dojo, office, Some(&ada)).await;
    assert_problem(&refused, 429);
    let reply = me_from(&dojo, office, Some(&grace)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    // Ada's refusal spent nothing, so the address has 5 - 3 - 1 = 1 token left: Grace gets
    // it, and then the address's bucket refuses her although her own still has one.
    let reply = me_from(&dojo, office, Some(&grace)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header("ratelimit"), Some("\"per-client\";r=0;t=5000"));
    let refused = me_from(&dojo, office, Some(&grace)).await;
    let body = assert_problem(&refused, 429);
    let detail = body["detail"].as_str().expect("a detail");
    assert!(detail.contains("client's bucket (per-client)"), "{detail}");
    let trace = dojo.trace(&refused.request_id()).await;
    assert_eq!(
        layer(&trace, "rate_limit")["reason"],
        "the client's token bucket is empty"
    );
}

#[tokio::test]
async fn signed_in_answers_list_both_policies_and_anonymous_ones_only_the_client_policy() {
    let dojo = Dojo::with(SandboxConfig {
        rate_limit_burst: 10,
        rate_limit_per_second: 1.0,
        rate_limit_user_burst: Some(4),
        rate_limit_user_per_second: Some(0.5),
        ..config()
    });
    let anonymous = me_from(&dojo, "192.0.2.1:1000", None).await;
    assert_eq!(
        anonymous.header("ratelimit-policy"),
        Some("\"per-client\";q=10;w=10")
    );
    assert_eq!(
        anonymous.header("ratelimit"),
        Some("\"per-client\";r=9;t=1")
    );

    let token = dojo.login_as(ADA).await;
    let signed_in = me_from(&dojo, "192.0.2.2:1000", Some(&token)).await;
    assert_eq!(signed_in.status, StatusCode::OK);
    assert_eq!(
        signed_in.header("ratelimit-policy"),
        Some("\"per-client\";q=10;w=10, \"per-user\";q=4;w=8")
    );
    // 9 left for this address, 3 for Ada: hers is the one closest to refusing.
    assert_eq!(signed_in.header("ratelimit"), Some("\"per-user\";r=3;t=2"));
}

#[tokio::test]
async fn a_forged_token_spends_only_from_the_client_bucket() {
    let dojo = with_user_limit(100);
    let token = dojo.login_as(ADA).await;
    // The same claims, signed with another key: no user bucket, and a 401 from the route.
    let forged = signed_token(
        jsonwebtoken::Algorithm::HS256,
        b"not-the-sandbox-key-0123456789-abcdef",
        &claims("1", "user", 600),
    );
    for _ in 0..USER_BURST + 2 {
        let reply = me_from(&dojo, "192.0.2.7:1000", Some(&forged)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text());
        assert_eq!(
            reply.header("ratelimit-policy"),
            Some("\"per-client\";q=100;w=100000")
        );
    }
    // Ada's own bucket was never touched by the forgeries.
    let reply = me_from(&dojo, "192.0.2.7:1000", Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("ratelimit"), Some("\"per-user\";r=2;t=1000"));
}

#[tokio::test]
async fn topic_17_reset_refills_the_user_buckets_too() {
    let dojo = with_user_limit(100);
    let token = dojo.login_as(ADA).await;
    for _ in 0..USER_BURST {
        me_from(&dojo, "192.0.2.8:1000", Some(&token)).await;
    }
    assert_problem(&me_from(&dojo, "192.0.2.9:1000", Some(&token)).await, 429);
    dojo.reset_topic(17).await;
    let reply = me_from(&dojo, "192.0.2.9:1000", Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("ratelimit"), Some("\"per-user\";r=2;t=1000"));
}
