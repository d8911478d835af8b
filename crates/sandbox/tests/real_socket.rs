//! The sandbox on a real loopback socket, as curl, a browser or the app's traffic view
//! meet it: login and the protected route, the trace over HTTP, the live event stream,
//! and graceful shutdown.

mod common;

use common::{ADA, DEADLINE, PASSWORD, config};
use dojo_sandbox::{Sandbox, SandboxConfig, TOOLING_TOKEN_HEADER};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::{Instant, timeout};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(DEADLINE)
        .build()
        .expect("a client")
}

fn base(sandbox: &Sandbox) -> String {
    format!("http://{}", sandbox.addr)
}

#[tokio::test]
async fn binds_a_free_loopback_port() {
    let sandbox = Sandbox::start(config()).await.expect("the sandbox starts");
    assert!(sandbox.addr.ip().is_loopback(), "{}", sandbox.addr);
    assert_ne!(sandbox.addr.port(), 0);
    let other = Sandbox::start(config())
        .await
        .expect("a second sandbox starts");
    assert_ne!(sandbox.addr, other.addr);
    let reply = client()
        .get(format!("{}/healthz", base(&sandbox)))
        .send()
        .await
        .expect("healthz answers");
    assert_eq!(reply.status(), StatusCode::OK);
    other.shutdown().await.expect("clean shutdown");
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn login_then_me_over_http() {
    let sandbox = Sandbox::start(config()).await.expect("the sandbox starts");
    let base = base(&sandbox);
    let client = client();

    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": ADA, "password": PASSWORD }))
        .send()
        .await
        .expect("login answers");
    assert_eq!(login.status(), StatusCode::OK);
    let token = login.json::<Value>().await.expect("JSON")["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();

    let me = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me answers");
    assert_eq!(me.status(), StatusCode::OK);
    assert!(me.headers().contains_key("x-request-id"));
    assert_eq!(
        me.json::<Value>().await.expect("JSON"),
        json!({ "id": 1, "email": ADA, "role": "user" })
    );

    let refused = client
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .expect("me answers");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().contains_key("www-authenticate"));
    assert_eq!(
        refused
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn trace_is_readable_over_http() {
    let sandbox = Sandbox::start(config()).await.expect("the sandbox starts");
    let base = base(&sandbox);
    let client = client();

    let reply = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth("a.b")
        .send()
        .await
        .expect("me answers");
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
    let id = reply
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id")
        .to_owned();

    let trace: Value = client
        .get(format!("{base}/_dojo/traces/{id}"))
        .header(TOOLING_TOKEN_HEADER, &sandbox.state.config.tooling_token)
        .send()
        .await
        .expect("the trace answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(trace["id"], id.as_str());
    assert_eq!(trace["status"], 401);
    let layers: Vec<&str> = trace["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["layer"].as_str().expect("a name"))
        .collect();
    let mut expected = common::STACK.to_vec();
    expected.push("auth");
    expected.push("handler");
    assert_eq!(layers, expected);
    let auth = &trace["layers"][7];
    assert_eq!(auth["decision"], "short_circuited");
    assert_eq!(
        auth["reason"],
        "malformed token: a JWT has three dot-separated parts"
    );
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn rate_limit_refuses_a_client_over_the_socket() {
    let config = SandboxConfig {
        rate_limit_burst: 2,
        rate_limit_per_second: 0.001,
        ..config()
    };
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
    let url = format!("{}/api/v1/users/1", base(&sandbox));
    let client = client();
    for _ in 0..2 {
        assert_eq!(
            client.get(&url).send().await.expect("answers").status(),
            StatusCode::OK
        );
    }
    let refused = client.get(&url).send().await.expect("answers");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    sandbox.shutdown().await.expect("clean shutdown");
}

/// Splits finished SSE events off the front of `buffer`, as (event name, data).
fn take_events(buffer: &mut String) -> Vec<(String, String)> {
    let mut events = Vec::new();
    while let Some(end) = buffer.find("\n\n") {
        let raw: String = buffer.drain(..end + 2).collect();
        let mut name = String::new();
        let mut data = String::new();
        for line in raw.lines() {
            if let Some(value) = line.strip_prefix("event:") {
                name = value.trim().to_owned();
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push_str(value.trim_start());
            }
        }
        events.push((name, data));
    }
    events
}

#[tokio::test]
async fn event_stream_delivers_a_trace_for_each_request() {
    let sandbox = Sandbox::start(config()).await.expect("the sandbox starts");
    let base = base(&sandbox);
    let streaming = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");

    let mut stream = streaming
        .get(format!("{base}/_dojo/events"))
        .header(TOOLING_TOKEN_HEADER, &sandbox.state.config.tooling_token)
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(stream.status(), StatusCode::OK);
    let content_type = stream
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );

    // Subscribed: the stream's answer only comes once the handler holds a receiver.
    let fired = client()
        .get(format!("{base}/api/v1/users/404"))
        .send()
        .await
        .expect("answers");
    assert_eq!(fired.status(), StatusCode::NOT_FOUND);
    let id = fired
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id")
        .to_owned();

    let deadline = Instant::now() + DEADLINE;
    let mut buffer = String::new();
    let summary = 'read: loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = timeout(left, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("no trace event for {id} in time; got so far: {buffer:?}"))
            .expect("the stream stays readable")
            .expect("the stream stays open");
        buffer.push_str(std::str::from_utf8(&chunk).expect("SSE is UTF-8"));
        for (name, data) in take_events(&mut buffer) {
            if name != "trace" {
                continue;
            }
            let summary: Value = serde_json::from_str(&data).expect("trace data is JSON");
            if summary["id"] == id.as_str() {
                break 'read summary;
            }
        }
    };
    assert_eq!(summary["method"], "GET");
    assert_eq!(summary["path"], "/api/v1/users/404");
    assert_eq!(summary["status"], 404);
    assert!(summary["duration_us"].is_u64());
    assert!(summary.get("short_circuited_by").is_none(), "{summary}");

    drop(stream);
    sandbox.shutdown().await.expect("clean shutdown");
}

/// `r=` of the `RateLimit` header: whole tokens left in this client's bucket.
fn remaining(reply: &reqwest::Response) -> u64 {
    let header = reply
        .headers()
        .get("ratelimit")
        .and_then(|v| v.to_str().ok())
        .expect("RateLimit");
    header
        .split(';')
        .find_map(|p| p.trim().strip_prefix("r="))
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("r= in {header}"))
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish() {
    const BURST: u64 = 1000;
    // Tokens come back so slowly that the bucket only counts requests.
    let config = SandboxConfig {
        rate_limit_burst: 1000,
        rate_limit_per_second: 0.001,
        ..config()
    };
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
    let base = base(&sandbox);
    let client = client();

    let slow = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/api/v1/errors/slow?ms=300");
        async move {
            let reply = client.get(url).send().await?;
            let status = reply.status();
            let body: Value = reply.json().await?;
            Ok::<_, reqwest::Error>((status, body))
        }
    });

    // Wait until the slow request is inside the app: it has then spent a token, so a
    // probe sees one token fewer than the probes alone account for.
    let deadline = Instant::now() + DEADLINE;
    let mut probes = 0;
    loop {
        probes += 1;
        let probe = client
            .get(format!("{base}/api/v1/users/1"))
            .send()
            .await
            .expect("probe answers");
        assert_eq!(probe.status(), StatusCode::OK);
        if remaining(&probe) == BURST - probes - 1 {
            break;
        }
        assert_eq!(
            remaining(&probe),
            BURST - probes,
            "only probes and the slow request spend tokens"
        );
        assert!(
            Instant::now() < deadline,
            "the slow request never reached the app"
        );
        tokio::task::yield_now().await;
    }

    timeout(DEADLINE, sandbox.shutdown())
        .await
        .expect("shutdown finishes")
        .expect("clean shutdown");

    let (status, body) = slow
        .await
        .expect("the client task")
        .expect("the slow request completes");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "slept_ms": 300 }));

    // After shutdown nobody answers.
    let after = client.get(format!("{base}/healthz")).send().await;
    assert!(
        after.is_err(),
        "the sandbox still answers after shutdown: {after:?}"
    );
}
