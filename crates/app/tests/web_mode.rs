//! Backend Dojo's web mode as the browser UI sees it: the app API, problem details, the
//! loopback Host check, the built UI with client-side routes, and the security headers.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use dojo_app::Dojo;
use dojo_app::web::router;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt as _;

const PORT: u16 = 48_917;
const INDEX_HTML: &str =
    "<!doctype html><title>Backend Dojo test UI</title><div id=\"app\"></div>\n";

/// A router over the embedded topics and a throwaway UI directory (kept alive with it).
struct WebMode {
    router: Router,
    _ui: TempDir,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn web_mode() -> WebMode {
    let ui = tempfile::tempdir().expect("temp dir");
    std::fs::write(ui.path().join("index.html"), INDEX_HTML).expect("write index.html");
    std::fs::create_dir(ui.path().join("assets")).expect("assets dir");
    std::fs::write(ui.path().join("assets/app.js"), "console.log('dojo');\n")
        .expect("write app.js");
    let dojo = Dojo::load().expect("embedded topics load");
    WebMode {
        router: router(dojo, ui.path(), PORT),
        _ui: ui,
    }
}

impl WebMode {
    async fn get(&self, path: &str) -> Reply {
        self.get_with_host(path, Some(&format!("127.0.0.1:{PORT}")))
            .await
    }

    async fn get_with_host(&self, path: &str, host: Option<&str>) -> Reply {
        let mut request = Request::builder().uri(path);
        if let Some(host) = host {
            request = request.header(header::HOST, host);
        }
        let request = request.body(Body::empty()).expect("valid request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body reads").to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

fn assert_problem(reply: &Reply, status: u16, title: &str, detail: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
    assert_eq!(reply.content_type(), "application/problem+json");
    assert_eq!(
        reply.json(),
        json!({ "type": "about:blank", "title": title, "status": status, "detail": detail })
    );
}

fn assert_security_headers(reply: &Reply, what: &str) {
    assert_eq!(
        reply
            .headers
            .get(header::X_CONTENT_TYPE_OPTIONS)
            .and_then(|v| v.to_str().ok()),
        Some("nosniff"),
        "{what}: x-content-type-options"
    );
    let csp = reply
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{what}: no content-security-policy"));
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP {csp:?} lacks {directive:?}"
        );
    }
}

#[tokio::test]
async fn the_topic_index_has_six_groups_and_33_topics() {
    let web = web_mode();
    let reply = web.get("/api/topics").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "application/json");
    let index = reply.json();
    let groups = index["groups"].as_array().expect("groups is an array");
    let keys: Vec<&str> = groups
        .iter()
        .map(|g| g["key"].as_str().expect("key"))
        .collect();
    assert_eq!(
        keys,
        [
            "auth",
            "data",
            "middleware",
            "realtime",
            "testing-ops",
            "addons"
        ]
    );
    assert_eq!(groups[2]["title"], "Middleware and security");

    let mut ids = Vec::new();
    for group in groups {
        for topic in group["topics"].as_array().expect("topics is an array") {
            assert_eq!(topic["group"], group["key"], "{topic}");
            ids.push(topic["id"].as_u64().expect("numeric id"));
        }
    }
    assert_eq!(ids, (1..=33).collect::<Vec<u64>>());

    let first = &groups[0]["topics"][0];
    assert_eq!(
        first,
        &json!({
            "id": 1,
            "slug": "jwt-protected-routes",
            "title": "JWT-protected routes",
            "group": "auth",
            "tags": ["jwt", "bearer", "auth", "access-token", "middleware"],
            "difficulty": "junior",
            "status": "complete",
        })
    );
}

#[tokio::test]
async fn a_topic_by_id_and_by_slug_is_the_same_rendered_topic() {
    let web = web_mode();
    let by_id = web.get("/api/topics/17").await;
    let by_slug = web.get("/api/topics/rate-limiting").await;
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_slug.status, StatusCode::OK);
    assert_eq!(by_id.json(), by_slug.json());

    let topic = by_id.json();
    assert_eq!(topic["summary"]["id"], 17);
    assert_eq!(topic["summary"]["slug"], "rate-limiting");
    assert_eq!(topic["summary"]["title"], "Rate limiting");
    assert_eq!(topic["summary"]["status"], "complete");
    assert_eq!(topic["group_title"], "Middleware and security");

    let sections = topic["sections"].as_array().expect("sections");
    let keys: Vec<&str> = sections
        .iter()
        .map(|s| s["key"].as_str().expect("key"))
        .collect();
    assert!(keys.len() >= 6, "{keys:?}");
    assert_eq!(
        keys[..6],
        [
            "answer",
            "star",
            "key-points",
            "follow-ups",
            "pitfalls",
            "express"
        ]
    );
    let titles: Vec<&str> = sections
        .iter()
        .map(|s| s["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles[0], "Interview answer");
    assert_eq!(titles[5], "Express template");

    let express = sections[5]["html"].as_str().expect("html");
    assert!(
        express.contains("<pre class=\"code hl-code\" data-lang=\"js\">"),
        "{express}"
    );
    assert!(
        express.contains("<span class=\"hl-"),
        "the Express template is highlighted"
    );
    let answer = sections[0]["html"].as_str().expect("html");
    assert!(answer.starts_with("<p>Rate limiting caps"), "{answer}");
}

#[tokio::test]
async fn an_unknown_topic_is_a_404_problem() {
    let web = web_mode();
    assert_problem(
        &web.get("/api/topics/99").await,
        404,
        "Topic not found",
        "no topic has the id or slug \"99\"; topic ids run from 1 to 33",
    );
    assert_problem(
        &web.get("/api/topics/rate-limit").await,
        404,
        "Topic not found",
        "no topic has the id or slug \"rate-limit\"; topic ids run from 1 to 33",
    );
}

#[tokio::test]
async fn an_unknown_api_path_is_a_404_problem_not_the_ui() {
    let web = web_mode();
    assert_problem(
        &web.get("/api/nope").await,
        404,
        "Not found",
        "there is no app API at /api/nope",
    );
    assert_problem(
        &web.get("/api/topics/17/extra").await,
        404,
        "Not found",
        "there is no app API at /api/topics/17/extra",
    );
}

#[tokio::test]
async fn requests_for_another_host_are_refused_with_421() {
    let web = web_mode();
    let detail = format!(
        "Backend Dojo's web mode only answers requests addressed to 127.0.0.1:{PORT} or localhost:{PORT}"
    );
    let foreign = [
        Some(format!("evil.example:{PORT}")),
        Some("127.0.0.1:1".to_owned()),
        Some("127.0.0.1".to_owned()),
        Some(format!("127.0.0.1.evil.example:{PORT}")),
        None,
    ];
    for host in foreign {
        for path in ["/api/topics", "/"] {
            let reply = web.get_with_host(path, host.as_deref()).await;
            assert_problem(&reply, 421, "Unexpected Host header", &detail);
        }
    }
    for host in [format!("localhost:{PORT}"), format!("[::1]:{PORT}")] {
        assert_eq!(
            web.get_with_host("/api/topics", Some(&host)).await.status,
            StatusCode::OK,
            "{host}"
        );
    }
}

#[tokio::test]
async fn the_syntax_stylesheet_has_light_and_dark_colours() {
    let web = web_mode();
    let reply = web.get("/api/syntax.css").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.content_type().starts_with("text/css"),
        "{}",
        reply.content_type()
    );
    assert!(
        reply.body.contains("[data-theme=\"dark\"]"),
        "dark theme rules"
    );
    assert!(
        reply.body.contains(":root:not([data-theme=\"dark\"]) .hl-"),
        "light theme rules"
    );
}

#[tokio::test]
async fn client_side_routes_fall_back_to_the_ui() {
    let web = web_mode();
    for path in ["/", "/some/client/route", "/topics/17"] {
        let reply = web.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(
            reply.content_type().starts_with("text/html"),
            "{path}: {}",
            reply.content_type()
        );
        assert_eq!(reply.body, INDEX_HTML, "{path}");
    }
    let script = web.get("/assets/app.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script.content_type().contains("javascript"),
        "{}",
        script.content_type()
    );
    assert_eq!(script.body, "console.log('dojo');\n");
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let web = web_mode();
    for path in [
        "/api/topics",
        "/api/topics/17",
        "/api/topics/99",
        "/api/nope",
        "/api/syntax.css",
        "/",
        "/some/client/route",
        "/assets/app.js",
    ] {
        assert_security_headers(&web.get(path).await, path);
    }
    let refused = web
        .get_with_host("/api/topics", Some("evil.example:80"))
        .await;
    assert_eq!(refused.status, StatusCode::MISDIRECTED_REQUEST);
    assert_security_headers(&refused, "421 for a foreign Host");
}
