//! The structured access log at `/_dojo/logs` (topics 16 and 19): one JSON object per
//! request, correlated by request id, with secrets redacted unless the "logs-unredacted"
//! switch is on.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{ADA, Dojo, PASSWORD, request};
use serde_json::{Value, json};

/// A password that is not Ada's, so the login fails and must still not leak it.
const WRONG_PASSWORD: &str = "hunter2-is-not-her-password";

/// The log lines of one request, read the way the app reads them.
async fn lines_of(dojo: &Dojo, request_id: &str) -> Vec<Value> {
    let reply = dojo
        .get(&format!("/_dojo/logs?request_id={request_id}"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json().as_array().expect("a list of lines").clone()
}

async fn line_of(dojo: &Dojo, request_id: &str) -> Value {
    let lines = lines_of(dojo, request_id).await;
    assert_eq!(lines.len(), 1, "one line per request: {lines:?}");
    lines[0].clone()
}

async fn failed_login(dojo: &Dojo, request_id: &str) {
    let body = json!({ "email": ADA, "password": WRONG_PASSWORD }).to_string();
    let headers = [
        ("content-type", "application/json"),
        ("x-request-id", request_id),
    ];
    let reply = dojo
        .send(request(
            Method::POST,
            "/api/v1/auth/login?token=query-secret-123",
            &headers,
            Body::from(body),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text());
}

#[tokio::test]
async fn a_login_request_is_logged_without_its_password() {
    let dojo = Dojo::new();
    failed_login(&dojo, "login-redacted").await;
    let line = line_of(&dojo, "login-redacted").await;
    assert_eq!(line["method"], "POST");
    assert_eq!(line["path"], "/api/v1/auth/login");
    assert_eq!(line["status"], 401);
    assert_eq!(line["level"], "warn");
    assert_eq!(
        line["fields"]["body"],
        json!({ "email": ADA, "password": "[REDACTED]" })
    );
    assert_eq!(line["fields"]["query"], "token=[REDACTED]");
    assert_eq!(
        line["fields"]["headers"]["content-type"],
        "application/json"
    );
    assert!(
        line.get("user").is_none(),
        "a failed login has no user: {line}"
    );

    // Nowhere in the whole log, in either format.
    for format in ["json", "jsonl"] {
        let log = dojo
            .get(&format!("/_dojo/logs?format={format}"))
            .await
            .text();
        assert!(!log.contains(WRONG_PASSWORD), "{format}: {log}");
        assert!(!log.contains("query-secret-123"), "{format}: {log}");
    }
}

#[tokio::test]
async fn an_authenticated_request_names_its_user_and_hides_its_token() {
    let dojo = Dojo::new();
    let token = dojo.login().await;
    let authorization = format!("Bearer {token}");
    let headers = [
        ("authorization", authorization.as_str()),
        ("cookie", "sid=cookie-secret"),
        ("x-request-id", "me-1"),
    ];
    let reply = dojo
        .send(request(Method::GET, "/api/v1/me", &headers, Body::empty()))
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    let line = line_of(&dojo, "me-1").await;
    assert_eq!(line["user"], "1");
    assert_eq!(line["level"], "info");
    assert_eq!(line["fields"]["headers"]["authorization"], "[REDACTED]");
    assert_eq!(line["fields"]["headers"]["cookie"], "[REDACTED]");
    let log = dojo.get("/_dojo/logs").await.text();
    assert!(!log.contains(&token), "the access token leaked: {log}");
    assert!(!log.contains("cookie-secret"), "{log}");
    // The login's own line hides the real password too.
    assert!(!log.contains(PASSWORD), "{log}");
}

#[tokio::test]
async fn logs_unredacted_switch_writes_secrets_in_clear_until_reset() {
    let dojo = Dojo::new();
    dojo.switch("logs-unredacted", true).await;
    failed_login(&dojo, "login-leaked").await;
    let line = line_of(&dojo, "login-leaked").await;
    assert_eq!(line["fields"]["body"]["password"], WRONG_PASSWORD);
    assert_eq!(line["fields"]["query"], "token=query-secret-123");
    let reply = dojo.me(Some("Bearer leaked.token.value")).await;
    let line = line_of(&dojo, &reply.request_id()).await;
    assert_eq!(
        line["fields"]["headers"]["authorization"],
        "Bearer leaked.token.value"
    );

    // Resetting topic 19 closes the hole for the next requests.
    dojo.reset_topic(19).await;
    failed_login(&dojo, "login-after-reset").await;
    let line = line_of(&dojo, "login-after-reset").await;
    assert_eq!(line["fields"]["body"]["password"], "[REDACTED]");
    assert_eq!(line["fields"]["query"], "token=[REDACTED]");
}

#[tokio::test]
async fn every_line_has_a_timestamp_a_level_and_a_constant_message() {
    let dojo = Dojo::new();
    let ok = dojo.get("/api/v2/users/1").await.request_id();
    let missing = dojo.get("/api/v2/users/404").await.request_id();
    let failed = dojo.get("/api/v1/errors/internal").await.request_id();
    for (id, status, level) in [
        (ok, 200, "info"),
        (missing, 404, "warn"),
        (failed, 500, "error"),
    ] {
        let line = line_of(&dojo, &id).await;
        assert_eq!(line["status"], status, "{line}");
        assert_eq!(line["level"], level, "{line}");
        assert_eq!(line["msg"], "request completed", "{line}");
        assert!(line["latency_us"].is_u64(), "{line}");
        let ts = line["ts"].as_str().expect("ts");
        // 2026-05-12T10:15:04.211Z
        assert_eq!(ts.len(), 24, "{ts}");
        assert!(
            ts.ends_with('Z') && ts.as_bytes()[10] == b'T' && ts.as_bytes()[19] == b'.',
            "{ts}"
        );
        assert!(ts >= "2025", "{ts}");
    }
    // The request id ties the line to the answer's problem details and to the trace.
    let reply = dojo.get("/api/v1/errors/internal").await;
    let instance = reply.json()["instance"]
        .as_str()
        .expect("instance")
        .to_owned();
    assert_eq!(line_of(&dojo, &instance).await["status"], 500);
    assert_eq!(dojo.trace(&instance).await["status"], 500);
}

#[tokio::test]
async fn a_request_that_panics_still_gets_its_line() {
    let dojo = Dojo::new();
    let reply = dojo.get("/api/v1/errors/panic").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let line = line_of(&dojo, &reply.request_id()).await;
    assert_eq!(line["status"], 500);
    assert_eq!(line["level"], "error");
    assert_eq!(line["msg"], "handler panicked");
    assert_eq!(line["path"], "/api/v1/errors/panic");
    // The panic is still caught and answered as before.
    common::assert_problem(&reply, 500);
}

#[tokio::test]
async fn jsonl_format_is_one_object_per_line_oldest_first() {
    let dojo = Dojo::new();
    let first = dojo.get("/api/v2/users/1").await.request_id();
    let second = dojo
        .post_json(
            "/api/v1/echo",
            &json!({ "name": "Ada", "email": "ada@dojo.test", "secret": "s3" }),
        )
        .await
        .request_id();
    let reply = dojo.get("/_dojo/logs?format=jsonl&limit=2").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/x-ndjson"));
    let text = reply.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(text.ends_with('\n'));
    assert_eq!(lines[0]["request_id"], first.as_str());
    assert_eq!(lines[1]["request_id"], second.as_str());
    // The unknown `secret` member is refused by validation, and never logged.
    assert_eq!(lines[1]["status"], 422);
    assert_eq!(lines[1]["fields"]["body"]["secret"], "[REDACTED]");
    assert!(!text.contains("s3\""), "{text}");
}

#[tokio::test]
async fn unknown_log_format_is_a_400_problem() {
    let dojo = Dojo::new();
    let detail = common::problem_detail(&dojo.get("/_dojo/logs?format=xml").await, 400);
    assert!(detail.contains("xml"), "{detail}");
}

#[tokio::test]
async fn logs_unredacted_is_a_topic_19_switch_that_says_what_it_opens() {
    let dojo = Dojo::new();
    let switches = dojo.get("/_dojo/switches").await.json();
    let switch = switches
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["name"] == "logs-unredacted")
        .expect("the switch is listed")
        .clone();
    assert_eq!(switch["topic"], 19);
    assert_eq!(switch["enabled"], false);
    assert!(
        switch["vulnerability"]
            .as_str()
            .is_some_and(|v| v.contains("clear")),
        "{switch}"
    );
}
