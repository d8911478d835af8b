//! What the trace at `/_dojo/traces/{id}` tells a learner about a request: the layers in
//! stack order, which one answered and why, and the source lines that ran.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{
    ALLOWED_ORIGIN, Dojo, STACK, assert_problem, claims, config, layer, layer_names,
    problem_detail, request, short_circuited, signed_token, unsigned_token,
};
use dojo_sandbox::SandboxConfig;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

fn with_auth() -> Vec<String> {
    STACK
        .iter()
        .map(|s| (*s).to_owned())
        .chain(["auth".to_owned(), "handler".to_owned()])
        .collect()
}

#[tokio::test]
async fn passing_request_meets_every_layer_in_stack_order() {
    let dojo = Dojo::new();
    let reply = dojo
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": common::ADA, "password": common::PASSWORD }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(trace["method"], "POST");
    assert_eq!(trace["path"], "/api/v1/auth/login");
    assert_eq!(trace["status"], 200);
    let mut expected = STACK.to_vec();
    expected.push("handler");
    assert_eq!(layer_names(&trace), expected);
    assert!(short_circuited(&trace).is_empty(), "{trace:#}");
    for span in trace["layers"].as_array().expect("layers") {
        assert_eq!(span["decision"], "passed", "{span}");
        assert_eq!(span["status"], 200, "{span}");
        let enter = span["enter_us"].as_u64().expect("enter_us");
        let exit = span["exit_us"].as_u64().expect("exit_us");
        assert!(enter <= exit, "{span}");
    }
    // Outer layers enter first and leave last.
    let layers = trace["layers"].as_array().expect("layers");
    for pair in layers.windows(2) {
        assert!(
            pair[0]["enter_us"].as_u64() <= pair[1]["enter_us"].as_u64(),
            "{pair:?}"
        );
        assert!(
            pair[0]["exit_us"].as_u64() >= pair[1]["exit_us"].as_u64(),
            "{pair:?}"
        );
    }
    assert!(trace["duration_us"].as_u64().is_some_and(|d| d > 0));
    assert!(
        trace["started_at_ms"]
            .as_u64()
            .is_some_and(|t| t > 1_700_000_000_000)
    );
}

#[tokio::test]
async fn protected_route_with_a_valid_token_passes_auth() {
    let dojo = Dojo::new();
    let token = dojo.login().await;
    let reply = dojo.me(Some(&format!("Bearer {token}"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(layer_names(&trace), with_auth());
    let auth = layer(&trace, "auth");
    assert_eq!(auth["decision"], "passed", "{trace:#}");
    assert!(
        short_circuited(&trace).is_empty(),
        "nothing refused a 200: {trace:#}"
    );

    // The live summary agrees.
    let recent = dojo.get("/_dojo/traces?limit=1").await.json();
    assert_eq!(recent[0]["id"], reply.request_id().as_str());
    assert!(recent[0].get("short_circuited_by").is_none(), "{recent}");
}

/// The trace of a refused `/api/v1/me`: auth answered with the same reason the client got.
async fn auth_refusal(dojo: &Dojo, authorization: Option<&str>) -> (String, Value) {
    let reply = dojo.me(authorization).await;
    let detail = problem_detail(&reply, 401);
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(trace["status"], 401);
    assert_eq!(layer_names(&trace), with_auth());
    assert_eq!(short_circuited(&trace), ["auth"], "{trace:#}");
    let auth = layer(&trace, "auth");
    assert_eq!(auth["status"], 401);
    assert_eq!(auth["reason"], detail.as_str());
    // Every middleware layer passed the request on.
    for name in STACK {
        assert_eq!(layer(&trace, name)["decision"], "passed", "{name}");
    }
    (detail, trace)
}

#[tokio::test]
async fn auth_short_circuits_with_the_reason_for_each_bad_token() {
    let dojo = Dojo::new();
    let secret = dojo.config.jwt_secret.clone();
    let good = dojo.login().await;
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = common::b64(&claims("2", "admin", 600));
    let tampered = parts.join(".");

    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "no Authorization header"),
        (
            Some(format!("Token {good}")),
            "the Authorization header is not `Bearer <token>`",
        ),
        (
            Some("Bearer a.b".into()),
            "malformed token: a JWT has three dot-separated parts",
        ),
        (
            Some("Bearer %%%.e30.sig".into()),
            "malformed token: the header is not base64url JSON",
        ),
        (
            Some(format!(
                "Bearer {}",
                unsigned_token(&claims("1", "user", 600))
            )),
            "unsigned token (alg: none) refused",
        ),
        (
            Some(format!(
                "Bearer {}",
                signed_token(Algorithm::HS384, &secret, &claims("1", "user", 600))
            )),
            "algorithm not allowed: only HS256 is accepted",
        ),
        (
            Some(format!("Bearer {tampered}")),
            "signature does not match: the token was tampered with or signed with another key",
        ),
        (
            Some(format!(
                "Bearer {}",
                signed_token(Algorithm::HS256, &secret, &claims("1", "user", -60))
            )),
            "token expired",
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (authorization, expected) in cases {
        let (detail, _) = auth_refusal(&dojo, authorization.as_deref()).await;
        assert_eq!(detail, expected);
        seen.insert(detail);
    }
    assert_eq!(
        seen.len(),
        8,
        "each bad token kind has its own reason: {seen:?}"
    );
}

#[tokio::test]
async fn steps_carry_their_source_file_and_line() {
    let dojo = Dojo::new();
    let reply = dojo.me(Some("Bearer a.b")).await;
    let trace = dojo.trace(&reply.request_id()).await;
    let steps = trace["steps"].as_array().expect("steps");
    assert!(!steps.is_empty());
    for step in steps {
        let file = step["file"].as_str().expect("file");
        assert!(file.ends_with(".rs"), "{step}");
        assert!(step["line"].as_u64().is_some_and(|l| l > 0), "{step}");
        assert!(
            step["layer"].is_string() && step["step"].is_string(),
            "{step}"
        );
        assert!(step["at_us"].is_u64(), "{step}");
    }
    // Every layer of the stack records entering and leaving.
    for name in STACK {
        for kind in ["enter", "exit"] {
            assert!(
                steps
                    .iter()
                    .any(|s| s["layer"] == name && s["step"] == kind),
                "{name} {kind}"
            );
        }
    }
    // The auth decision points into the JWT feature's code.
    let decision = steps
        .iter()
        .find(|s| s["layer"] == "auth" && s["step"] == "decision")
        .expect("auth records its decision");
    assert_eq!(decision["decision"], "short_circuited");
    assert!(
        decision["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("jwt.rs")),
        "{decision}"
    );
    // Steps are in time order.
    let times: Vec<u64> = steps
        .iter()
        .map(|s| s["at_us"].as_u64().expect("at_us"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[tokio::test]
async fn rate_limit_short_circuits_the_429_before_the_router() {
    let dojo = Dojo::with(SandboxConfig {
        rate_limit_burst: 1,
        rate_limit_per_second: 0.001,
        ..config()
    });
    assert_eq!(dojo.get("/api/v1/users/1").await.status, StatusCode::OK);
    let reply = dojo.get("/api/v1/users/1").await;
    assert_problem(&reply, 429);
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(trace["status"], 429);
    assert_eq!(layer_names(&trace), STACK[..6]);
    assert_eq!(short_circuited(&trace), ["rate_limit"], "{trace:#}");
    let limiter = layer(&trace, "rate_limit");
    assert_eq!(limiter["status"], 429);
    assert!(
        limiter["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{limiter}"
    );
}

#[tokio::test]
async fn body_limit_short_circuits_a_large_content_length() {
    let dojo = Dojo::with(SandboxConfig {
        body_limit: 32,
        ..config()
    });
    let body = json!({ "name": "a".repeat(64), "email": "a@b" }).to_string();
    let length = body.len().to_string();
    let headers = [
        ("content-type", "application/json"),
        ("content-length", length.as_str()),
    ];
    let reply = dojo
        .send(request(
            Method::POST,
            "/api/v1/echo",
            &headers,
            Body::from(body),
        ))
        .await;
    assert_problem(&reply, 413);
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(trace["status"], 413);
    assert_eq!(
        layer_names(&trace),
        ["access_log", "timeout", "body_limit"],
        "{trace:#}"
    );
    assert_eq!(short_circuited(&trace), ["body_limit"], "{trace:#}");
    let limit = layer(&trace, "body_limit");
    assert_eq!(limit["status"], 413);
    assert!(
        limit["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{limit}"
    );
}

#[tokio::test]
async fn timeout_short_circuits_a_slow_handler() {
    let dojo = Dojo::with(SandboxConfig {
        request_timeout: Duration::from_millis(50),
        ..config()
    });
    let reply = dojo.get("/api/v1/errors/slow?ms=10000").await;
    assert_problem(&reply, 503);
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(trace["status"], 503);
    assert_eq!(short_circuited(&trace), ["timeout"], "{trace:#}");
    let timeout = layer(&trace, "timeout");
    assert_eq!(timeout["status"], 503);
    assert!(
        timeout["reason"]
            .as_str()
            .is_some_and(|r| r.contains("time")),
        "{timeout}"
    );
    assert_eq!(layer(&trace, "access_log")["decision"], "passed");
}

#[tokio::test]
async fn cors_short_circuits_a_preflight() {
    let dojo = Dojo::new();
    let headers = [
        ("origin", ALLOWED_ORIGIN),
        ("access-control-request-method", "GET"),
    ];
    let reply = dojo
        .send(request(
            Method::OPTIONS,
            "/api/v1/me",
            &headers,
            Body::empty(),
        ))
        .await;
    assert!(reply.status.is_success());
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(trace["method"], "OPTIONS");
    assert_eq!(layer_names(&trace), STACK[..5]);
    assert_eq!(short_circuited(&trace), ["cors"], "{trace:#}");
}

#[tokio::test]
async fn internal_error_keeps_its_cause_in_the_trace() {
    let dojo = Dojo::new();
    let reply = dojo.get("/api/v1/errors/internal").await;
    assert_problem(&reply, 500);
    assert!(!reply.text().contains("10.0.0.5"));
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(trace["status"], 500);
    let steps = trace["steps"].as_array().expect("steps");
    assert!(
        steps
            .iter()
            .any(|s| s["reason"].as_str().is_some_and(|r| r.contains("10.0.0.5"))),
        "the cause is in the trace: {trace:#}"
    );
}

#[tokio::test]
async fn client_request_id_names_the_trace() {
    let dojo = Dojo::new();
    let reply = dojo
        .get_with("/api/v1/users/1", &[("x-request-id", "drill-step-3")])
        .await;
    assert_eq!(reply.request_id(), "drill-step-3");
    let trace = dojo.trace("drill-step-3").await;
    assert_eq!(trace["path"], "/api/v1/users/1");
}

#[tokio::test]
async fn unknown_trace_id_is_a_404_problem() {
    let dojo = Dojo::new();
    let reply = dojo.get("/_dojo/traces/no-such-request").await;
    let detail = problem_detail(&reply, 404);
    assert!(detail.contains("no-such-request"), "{detail}");
}
