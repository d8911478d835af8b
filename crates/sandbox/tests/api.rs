//! The sandbox's routes and error paths as a learner's client sees them: statuses,
//! headers and problem details, driven in process through `app(state)`.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{ALLOWED_ORIGIN, Dojo, EVIL_ORIGIN, assert_problem, config, problem_detail, request};
use dojo_sandbox::SandboxConfig;
use serde_json::json;

#[tokio::test]
async fn healthz_says_the_process_answers() {
    let dojo = Dojo::new();
    let reply = dojo.get("/healthz").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({ "status": "ok" }));
    assert!(!reply.request_id().is_empty());
}

#[tokio::test]
async fn readyz_reports_each_check() {
    let dojo = Dojo::new();
    let reply = dojo.get("/readyz").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({ "status": "ready", "checks": { "users": { "status": "ok", "count": 3 } } })
    );
}

#[tokio::test]
async fn unknown_route_is_a_404_problem_naming_the_route() {
    let dojo = Dojo::new();
    let reply = dojo.get("/api/v1/does-not-exist").await;
    let detail = problem_detail(&reply, 404);
    assert!(detail.contains("GET /api/v1/does-not-exist"), "{detail}");
    assert!(
        reply.json()["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/not-found"))
    );
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let dojo = Dojo::new();

    let reply = dojo.post_json("/api/v1/me", &json!({})).await;
    let detail = problem_detail(&reply, 405);
    assert!(detail.contains("POST"), "{detail}");
    let allow = reply.header("allow").expect("405 carries Allow");
    assert!(allow.contains("GET"), "{allow}");
    assert!(!allow.contains("POST"), "{allow}");

    let reply = dojo
        .send(request(
            Method::DELETE,
            "/api/v1/auth/login",
            &[],
            Body::empty(),
        ))
        .await;
    assert_problem(&reply, 405);
    let allow = reply.header("allow").expect("405 carries Allow");
    assert!(allow.contains("POST"), "{allow}");
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let dojo = Dojo::new();
    let headers = [("content-type", "application/json")];
    let reply = dojo
        .send(request(
            Method::POST,
            "/api/v1/echo",
            &headers,
            Body::from("{\"name\": \"Ada\","),
        ))
        .await;
    let detail = problem_detail(&reply, 400);
    assert!(detail.starts_with("the body is not valid JSON"), "{detail}");
}

#[tokio::test]
async fn wrong_or_missing_content_type_is_a_415_problem() {
    let dojo = Dojo::new();
    let body = r#"{"email":"ada@dojo.test","password":"correct-horse-battery"}"#;

    let plain = [("content-type", "text/plain")];
    let reply = dojo
        .send(request(
            Method::POST,
            "/api/v1/auth/login",
            &plain,
            Body::from(body),
        ))
        .await;
    let detail = problem_detail(&reply, 415);
    assert!(
        detail.contains("Content-Type: application/json"),
        "{detail}"
    );

    let reply = dojo
        .send(request(
            Method::POST,
            "/api/v1/auth/login",
            &[],
            Body::from(body),
        ))
        .await;
    assert_problem(&reply, 415);
}

#[tokio::test]
async fn body_over_the_limit_with_content_length_is_a_413_problem() {
    let dojo = Dojo::with(SandboxConfig {
        body_limit: 64,
        ..config()
    });
    let body = format!(
        r#"{{"name":"{}","email":"ada@dojo.test"}}"#,
        "a".repeat(100)
    );
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
    let detail = problem_detail(&reply, 413);
    assert!(detail.contains("larger than"), "{detail}");
}

#[tokio::test]
async fn streamed_body_over_the_limit_is_a_413_problem() {
    let dojo = Dojo::with(SandboxConfig {
        body_limit: 64,
        ..config()
    });
    let body = format!(
        r#"{{"name":"{}","email":"ada@dojo.test"}}"#,
        "a".repeat(100)
    );
    // No Content-Length: the limit is only found while the body is read.
    let headers = [("content-type", "application/json")];
    let reply = dojo
        .send(request(
            Method::POST,
            "/api/v1/echo",
            &headers,
            Body::from(body),
        ))
        .await;
    assert_problem(&reply, 413);

    // A body under the limit still passes.
    let reply = dojo
        .post_json("/api/v1/echo", &json!({ "name": "Ada", "email": "a@b" }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

#[tokio::test]
async fn valid_echo_returns_the_body() {
    let dojo = Dojo::new();
    let reply = dojo
        .post_json(
            "/api/v1/echo",
            &json!({ "name": "Ada", "email": "ada@dojo.test", "age": 36 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({ "name": "Ada", "email": "ada@dojo.test", "age": 36 })
    );
}

#[tokio::test]
async fn validation_is_a_422_problem_listing_every_field() {
    let dojo = Dojo::new();
    let reply = dojo
        .post_json(
            "/api/v1/echo",
            &json!({ "name": "", "email": "not-an-email", "age": 7 }),
        )
        .await;
    let body = assert_problem(&reply, 422);
    assert_eq!(body["detail"], "the request has 3 invalid field(s)");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors is an array")
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
            e["field"].as_str().expect("field")
        })
        .collect();
    assert_eq!(fields, ["name", "email", "age"]);

    // Only the bad field is named.
    let reply = dojo
        .post_json(
            "/api/v1/echo",
            &json!({ "name": "Ada", "email": "@dojo.test" }),
        )
        .await;
    let body = assert_problem(&reply, 422);
    assert_eq!(
        body["errors"],
        json!([{ "field": "email", "message": "must be an email address" }])
    );
}

#[tokio::test]
async fn unknown_field_is_rejected_with_422() {
    let dojo = Dojo::new();
    let reply = dojo
        .post_json(
            "/api/v1/echo",
            &json!({ "name": "Ada", "email": "a@b", "role": "admin" }),
        )
        .await;
    let body = assert_problem(&reply, 422);
    let errors = body["errors"].as_array().expect("errors is an array");
    assert_eq!(errors.len(), 1, "{body}");
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("role")),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_json_type_is_a_422_not_a_500() {
    let dojo = Dojo::new();
    let reply = dojo
        .post_json(
            "/api/v1/echo",
            &json!({ "name": "Ada", "email": "a@b", "age": "old" }),
        )
        .await;
    assert_problem(&reply, 422);
}

#[tokio::test]
async fn panic_is_a_500_problem_that_hides_the_message() {
    let dojo = Dojo::new();
    let reply = dojo.get("/api/v1/errors/panic").await;
    let body = assert_problem(&reply, 500);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("request id")),
        "{body}"
    );
    let text = reply.text();
    assert!(!text.contains("index out of bounds"), "{text}");
    assert!(!text.to_lowercase().contains("panic"), "{text}");

    // The sandbox keeps serving after a panic.
    assert_eq!(dojo.get("/api/v1/users/1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn internal_error_is_a_500_problem_that_hides_the_cause() {
    let dojo = Dojo::new();
    let reply = dojo.get("/api/v1/errors/internal").await;
    let body = assert_problem(&reply, 500);
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/internal")),
        "{body}"
    );
    let text = reply.text();
    for secret in ["10.0.0.5", "5432", "password authentication", "\"app\""] {
        assert!(!text.contains(secret), "leaks {secret}: {text}");
    }
}

#[tokio::test]
async fn slow_handler_past_the_timeout_is_a_503_problem() {
    let dojo = Dojo::with(SandboxConfig {
        request_timeout: Duration::from_millis(100),
        ..config()
    });
    let reply = dojo.get("/api/v1/errors/slow?ms=10000").await;
    let body = assert_problem(&reply, 503);
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/timeout")),
        "{body}"
    );

    // Under the limit it answers.
    let reply = dojo.get("/api/v1/errors/slow?ms=5").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json(), json!({ "slept_ms": 5 }));
}

#[tokio::test]
async fn bad_query_or_path_parameter_is_a_400_problem_naming_the_value() {
    let dojo = Dojo::new();
    // "Bad input always gets a clear 4xx": the detail must say what was wrong, not only
    // repeat the status's name.
    for (path, bad) in [
        ("/api/v1/errors/slow?ms=soon", "soon"),
        ("/api/v1/users/ada", "ada"),
    ] {
        let detail = problem_detail(&dojo.get(path).await, 400);
        assert_ne!(detail, "Bad Request", "{path}");
        assert!(detail.contains(bad), "{path}: {detail}");
    }
}

#[tokio::test]
async fn every_answer_gets_a_fresh_request_id() {
    let dojo = Dojo::new();
    let first = dojo.get("/api/v1/users/1").await.request_id();
    let second = dojo.get("/api/v1/users/1").await.request_id();
    let tooling = dojo.get("/_dojo/switches").await.request_id();
    assert!(!first.is_empty());
    assert_ne!(first, second);
    assert_ne!(second, tooling);
}

#[tokio::test]
async fn acceptable_client_request_id_is_echoed_and_used_as_instance() {
    let dojo = Dojo::new();
    let id = "learner-req_42";
    let reply = dojo
        .get_with("/api/v1/users/1", &[("x-request-id", id)])
        .await;
    assert_eq!(reply.request_id(), id);

    let reply = dojo
        .get_with("/api/v1/users/999", &[("x-request-id", id)])
        .await;
    assert_eq!(reply.request_id(), id);
    assert_eq!(assert_problem(&reply, 404)["instance"], id);

    let longest = "a".repeat(64);
    let reply = dojo
        .get_with("/api/v1/users/1", &[("x-request-id", longest.as_str())])
        .await;
    assert_eq!(reply.request_id(), longest);
}

#[tokio::test]
async fn unacceptable_client_request_id_is_replaced() {
    let dojo = Dojo::new();
    let too_long = "a".repeat(200);
    let just_over = "a".repeat(65);
    for bad in [
        "has spaces in it",
        "semi;colon",
        "new\tline",
        too_long.as_str(),
        just_over.as_str(),
        "",
    ] {
        let reply = dojo
            .get_with("/api/v1/users/999", &[("x-request-id", bad)])
            .await;
        let echoed = reply.request_id();
        assert_ne!(echoed, bad);
        assert!(!echoed.is_empty());
        assert!(
            echoed.len() <= 64
                && echoed
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "{echoed}"
        );
        assert_eq!(assert_problem(&reply, 404)["instance"], echoed.as_str());
    }
}

#[tokio::test]
async fn v1_user_is_flat_and_announces_its_sunset() {
    let dojo = Dojo::new();
    let reply = dojo.get("/api/v1/users/1").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({ "id": 1, "name": "Ada Lovelace", "email": "ada@dojo.test" })
    );
    assert_eq!(
        reply.header("deprecation"),
        Some("@1767225600"),
        "RFC 9745: @ and the Unix time"
    );
    assert_eq!(
        reply.header("sunset"),
        Some("Wed, 30 Jun 2027 00:00:00 GMT")
    );
    assert_eq!(
        reply.header("link"),
        Some("</api/v2/users/1>; rel=\"successor-version\"")
    );
}

#[tokio::test]
async fn v2_user_nests_the_name_and_is_not_deprecated() {
    let dojo = Dojo::new();
    let reply = dojo.get("/api/v2/users/2").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({ "id": 2, "name": { "first": "Grace", "last": "Hopper" }, "email": "grace@dojo.test" })
    );
    assert_eq!(reply.header("deprecation"), None);
    assert_eq!(reply.header("sunset"), None);
}

#[tokio::test]
async fn unversioned_user_is_negotiated_by_accept() {
    let dojo = Dojo::new();

    let reply = dojo
        .get_with(
            "/api/users/1",
            &[("accept", "application/vnd.dojo.v1+json")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["name"], "Ada Lovelace");
    assert_eq!(
        reply.header("deprecation"),
        Some("@1767225600"),
        "RFC 9745: @ and the Unix time"
    );
    assert_eq!(reply.header("vary"), Some("accept"));

    let reply = dojo
        .get_with(
            "/api/users/1",
            &[("accept", "application/vnd.dojo.v2+json")],
        )
        .await;
    assert_eq!(
        reply.json()["name"],
        json!({ "first": "Ada", "last": "Lovelace" })
    );
    assert_eq!(reply.header("vary"), Some("accept"));

    let reply = dojo.get("/api/users/1").await;
    assert_eq!(
        reply.json()["name"],
        json!({ "first": "Ada", "last": "Lovelace" }),
        "v2 by default"
    );
    assert_eq!(reply.header("deprecation"), None);
}

#[tokio::test]
async fn unknown_user_is_a_404_problem_in_every_version() {
    let dojo = Dojo::new();
    for path in ["/api/v1/users/99", "/api/v2/users/99", "/api/users/99"] {
        let detail = problem_detail(&dojo.get(path).await, 404);
        assert_eq!(detail, "no user has id 99", "{path}");
    }
}

const SECURITY_HEADERS: [(&str, &str); 7] = [
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
];

#[tokio::test]
async fn security_headers_are_on_answers_and_refusals() {
    let dojo = Dojo::new();
    for reply in [
        dojo.get("/api/v1/users/1").await,
        dojo.me(None).await,
        dojo.get("/api/v1/errors/internal").await,
    ] {
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(
                reply.header(name),
                Some(value),
                "{name} on a {}",
                reply.status
            );
        }
    }
}

fn preflight(origin: &str) -> axum::http::Request<Body> {
    let headers = [
        ("origin", origin),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "authorization"),
    ];
    request(Method::OPTIONS, "/api/v1/me", &headers, Body::empty())
}

#[tokio::test]
async fn cors_preflight_from_an_allowed_origin_is_answered() {
    let dojo = Dojo::new();
    let reply = dojo.send(preflight(ALLOWED_ORIGIN)).await;
    assert!(reply.status.is_success(), "{}", reply.status);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    let methods = reply
        .header("access-control-allow-methods")
        .expect("allow-methods");
    assert!(methods.contains("GET"), "{methods}");
    let headers = reply
        .header("access-control-allow-headers")
        .expect("allow-headers")
        .to_lowercase();
    assert!(headers.contains("authorization"), "{headers}");
    assert_eq!(reply.header("access-control-max-age"), Some("600"));
}

#[tokio::test]
async fn cors_preflight_from_another_origin_gets_no_allow_origin() {
    let dojo = Dojo::new();
    let reply = dojo.send(preflight(EVIL_ORIGIN)).await;
    assert_eq!(reply.header("access-control-allow-origin"), None);

    let reply = dojo
        .get_with("/api/v1/users/1", &[("origin", EVIL_ORIGIN)])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn cors_simple_request_from_an_allowed_origin_is_readable() {
    let dojo = Dojo::new();
    let reply = dojo
        .get_with("/api/v1/users/1", &[("origin", ALLOWED_ORIGIN)])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    let vary = reply
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    assert!(vary.to_lowercase().contains("origin"), "{vary}");
}

#[tokio::test]
async fn cors_reflect_any_origin_switch_reflects_until_topic_reset() {
    let dojo = Dojo::new();
    dojo.switch("cors-reflect-any-origin", true).await;
    let reply = dojo.send(preflight(EVIL_ORIGIN)).await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(EVIL_ORIGIN)
    );
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );

    dojo.reset_topic(18).await;
    let reply = dojo.send(preflight(EVIL_ORIGIN)).await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
    // The allowlist still works after the reset.
    let reply = dojo.send(preflight(ALLOWED_ORIGIN)).await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
}

#[tokio::test]
async fn switches_start_off_and_describe_their_hole() {
    let dojo = Dojo::new();
    let reply = dojo.get("/_dojo/switches").await;
    assert_eq!(reply.status, StatusCode::OK);
    let switches = reply.json();
    let list = switches.as_array().expect("a list of switches");
    let names: Vec<&str> = list
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "jwt-accept-unsigned",
            "jwt-skip-expiry",
            "cors-reflect-any-origin",
            "logs-unredacted",
            "session-keep-pre-login-id",
            "rbac-trust-role-claim",
            "refresh-no-rotation",
            "google-skip-state-check",
            "google-link-unverified-email",
            "webhook-skip-signature",
            "webhook-skip-timestamp",
            "payments-paid-on-return",
            "realtime-trust-client-user",
            "chat-no-flood-limit",
            "upload-trust-declared-type",
            "upload-trust-client-filename",
            "query-raw-object",
            "notifications-no-ownership",
            "cache-skip-invalidation",
            "cache-no-stampede-guard"
        ]
    );
    for switch in list {
        assert_eq!(switch["enabled"], false, "{switch}");
        assert!(
            switch["vulnerability"]
                .as_str()
                .is_some_and(|v| !v.is_empty()),
            "{switch}"
        );
    }
    assert_eq!(list[0]["topic"], 1);
    assert_eq!(list[2]["topic"], 18);
    assert_eq!(list[3]["topic"], 19);
    assert_eq!(list[4]["topic"], 2);
    assert_eq!(list[5]["topic"], 3);
    assert_eq!(list[6]["topic"], 5);
}

#[tokio::test]
async fn unknown_switch_is_a_404_problem_listing_the_known_ones() {
    let dojo = Dojo::new();
    let reply = dojo
        .send_json(
            Method::PUT,
            "/_dojo/switches/open-everything",
            &json!({ "enabled": true }),
        )
        .await;
    let detail = problem_detail(&reply, 404);
    assert!(
        detail.contains("open-everything") && detail.contains("jwt-accept-unsigned"),
        "{detail}"
    );
}

#[tokio::test]
async fn switch_change_with_a_bad_body_is_a_4xx_problem() {
    let dojo = Dojo::new();
    let reply = dojo
        .send_json(
            Method::PUT,
            "/_dojo/switches/jwt-skip-expiry",
            &json!({ "enabled": "yes" }),
        )
        .await;
    assert_problem(&reply, 422);
    let reply = dojo
        .send_json(
            Method::PUT,
            "/_dojo/switches/jwt-skip-expiry",
            &json!({ "enabled": true, "x": 1 }),
        )
        .await;
    assert_problem(&reply, 422);
    let list = dojo.get("/_dojo/switches").await.json();
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|s| s["enabled"] == false),
        "{list}"
    );
}

#[tokio::test]
async fn topic_reset_outside_1_to_33_is_a_404_problem() {
    let dojo = Dojo::new();
    for topic in ["0", "34"] {
        let detail = problem_detail(
            &dojo
                .post_json(&format!("/_dojo/topics/{topic}/reset"), &json!({}))
                .await,
            404,
        );
        assert!(detail.contains("1 to 33"), "{detail}");
    }
    assert_problem(
        &dojo.post_json("/_dojo/topics/jwt/reset", &json!({})).await,
        400,
    );
    dojo.reset_topic(33).await;
}

#[tokio::test]
async fn access_log_lists_requests_newest_first() {
    let dojo = Dojo::new();
    let first = dojo.get("/api/v1/users/1").await.request_id();
    let second = dojo.get("/api/v1/users/404").await.request_id();
    let reply = dojo.get("/_dojo/logs?limit=2").await;
    assert_eq!(reply.status, StatusCode::OK);
    let lines = reply.json();
    let lines = lines.as_array().expect("a list of lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["request_id"], second.as_str());
    assert_eq!(lines[0]["status"], 404);
    assert_eq!(lines[0]["path"], "/api/v1/users/404");
    assert_eq!(lines[1]["request_id"], first.as_str());
    assert_eq!(lines[1]["method"], "GET");
    assert_eq!(lines[1]["status"], 200);
    assert!(lines[1]["latency_us"].is_u64());
}

#[tokio::test]
async fn recent_traces_list_newest_first() {
    let dojo = Dojo::new();
    let first = dojo.get("/api/v1/users/1").await.request_id();
    let second = dojo.me(None).await.request_id();
    let reply = dojo.get("/_dojo/traces?limit=2").await;
    assert_eq!(reply.status, StatusCode::OK);
    let traces = reply.json();
    let traces = traces.as_array().expect("a list of traces");
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[0]["id"], second.as_str());
    assert_eq!(traces[0]["status"], 401);
    assert_eq!(traces[0]["short_circuited_by"], "auth");
    assert_eq!(traces[1]["id"], first.as_str());
    assert_eq!(traces[1]["status"], 200);
    assert_eq!(traces[1]["path"], "/api/v1/users/1");
    assert!(
        traces[1].get("short_circuited_by").is_none(),
        "a 200 that passed every layer: {}",
        traces[1]
    );
}

#[tokio::test]
async fn tooling_is_not_traced() {
    let dojo = Dojo::new();
    let id = dojo.get("/_dojo/switches").await.request_id();
    let reply = dojo.get(&format!("/_dojo/traces/{id}")).await;
    assert_problem(&reply, 404);
    let health = dojo.get("/healthz").await.request_id();
    assert_problem(&dojo.get(&format!("/_dojo/traces/{health}")).await, 404);
}

#[tokio::test]
async fn unknown_vendor_version_is_a_406_problem_naming_the_versions() {
    let dojo = Dojo::new();
    let reply = dojo
        .get_with(
            "/api/users/1",
            &[("accept", "application/vnd.dojo.v9+json")],
        )
        .await;
    let body = assert_problem(&reply, 406);
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/not-acceptable")),
        "{body}"
    );
    let detail = body["detail"].as_str().expect("detail");
    for named in [
        "vnd.dojo.v9+json",
        "application/vnd.dojo.v1+json",
        "application/vnd.dojo.v2+json",
    ] {
        assert!(detail.contains(named), "{detail}");
    }
    // A client that also takes plain JSON still gets the latest version.
    let reply = dojo
        .get_with(
            "/api/users/1",
            &[("accept", "application/vnd.dojo.v9+json, application/json")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["name"]["first"], "Ada");
}

/// Errors answered by layers outside the security-header and CORS layers.
async fn outer_layer_errors(origin: &str) -> Vec<(&'static str, common::Reply)> {
    let dojo = Dojo::with(SandboxConfig {
        body_limit: 64,
        request_timeout: Duration::from_millis(50),
        ..config()
    });
    let big = "x".repeat(200);
    let length = big.len().to_string();
    let oversized = [
        ("content-type", "application/json"),
        ("content-length", length.as_str()),
        ("origin", origin),
    ];
    vec![
        (
            "413",
            dojo.send(request(
                Method::POST,
                "/api/v1/echo",
                &oversized,
                Body::from(big.clone()),
            ))
            .await,
        ),
        (
            "503",
            dojo.get_with("/api/v1/errors/slow?ms=5000", &[("origin", origin)])
                .await,
        ),
        (
            "500",
            dojo.get_with("/api/v1/errors/panic", &[("origin", origin)])
                .await,
        ),
        (
            "404",
            dojo.get_with("/no/such/route", &[("origin", origin)]).await,
        ),
    ]
}

#[tokio::test]
async fn outer_layer_errors_carry_security_headers_and_cors_for_allowed_origins() {
    for (status, reply) in outer_layer_errors(ALLOWED_ORIGIN).await {
        assert_problem(&reply, status.parse().expect("a status"));
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(reply.header(name), Some(value), "{name} on the {status}");
        }
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some(ALLOWED_ORIGIN),
            "{status}"
        );
        assert_eq!(
            reply.header("access-control-allow-credentials"),
            Some("true"),
            "{status}"
        );
        let vary: Vec<&str> = reply
            .headers
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            vary.iter().any(|v| v.contains("origin")),
            "{status}: {vary:?}"
        );
    }
    for (status, reply) in outer_layer_errors(EVIL_ORIGIN).await {
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{status}"
        );
        assert_eq!(
            reply.header("access-control-allow-origin"),
            None,
            "{status} must not be readable by {EVIL_ORIGIN}"
        );
    }
}

#[tokio::test]
async fn resetting_a_topic_runs_its_features_reset_hooks() {
    let dojo = Dojo::with(SandboxConfig {
        rate_limit_burst: 2,
        rate_limit_per_second: 0.001,
        ..config()
    });
    for _ in 0..2 {
        assert_eq!(dojo.get("/api/v2/users/1").await.status, StatusCode::OK);
    }
    assert_problem(&dojo.get("/api/v2/users/1").await, 429);
    let answer = dojo
        .post_json("/_dojo/topics/17/reset", &json!({}))
        .await
        .json();
    assert_eq!(
        answer["cleared"],
        json!(["every client's and every user's token bucket (in Redis too, with --redis-url)"])
    );
    assert_eq!(
        dojo.get("/api/v2/users/1").await.status,
        StatusCode::OK,
        "a full bucket again"
    );

    assert!(
        !dojo
            .get("/_dojo/logs")
            .await
            .json()
            .as_array()
            .expect("lines")
            .is_empty()
    );
    let answer = dojo
        .post_json("/_dojo/topics/16/reset", &json!({}))
        .await
        .json();
    assert_eq!(answer["cleared"], json!(["the access log"]));
    assert_eq!(dojo.get("/_dojo/logs").await.json(), json!([]));

    // A topic without state of its own only closes its switches.
    let answer = dojo
        .post_json("/_dojo/topics/19/reset", &json!({}))
        .await
        .json();
    assert_eq!(answer["cleared"], json!([]));
}
