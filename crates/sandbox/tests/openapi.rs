//! The OpenAPI document at `/openapi.json` and the docs page at `/docs`, as a learner's
//! client (or a code generator, or a browser) sees them.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{Dojo, STACK, assert_problem, layer_names, request};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(dojo: &Dojo) -> Value {
    let reply = dojo.get("/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.json()
}

/// The paths the router serves, read from the router itself: axum does not list its
/// routes, but its `Debug` output names every path, which is enough for a test.
fn served_paths(dojo: &Dojo) -> BTreeSet<String> {
    let debug = format!("{:?}", dojo.app);
    let paths: BTreeSet<String> = debug
        .split('"')
        .filter(|piece| piece.starts_with('/') && !piece.contains(' '))
        .map(str::to_owned)
        .collect();
    // If axum ever stops naming paths there, fail loudly instead of checking nothing.
    for known in [
        "/api/v1/me",
        "/api/v1/auth/login",
        "/healthz",
        "/openapi.json",
    ] {
        assert!(
            paths.contains(known),
            "{known} not found in the router's Debug output: {paths:?}"
        );
    }
    paths
}

/// A concrete URL for a path template.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
}

/// Follows a local `$ref` (`#/components/...`) inside the document.
fn resolve<'d>(document: &'d Value, value: &'d Value) -> &'d Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("not a local $ref: {reference}"));
            document
                .pointer(pointer)
                .unwrap_or_else(|| panic!("$ref {reference} points at nothing"))
        }
        None => value,
    }
}

/// Every operation of the document as (METHOD, path, operation).
fn operations(document: &Value) -> Vec<(String, String, Value)> {
    let paths = document["paths"].as_object().expect("paths is an object");
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

#[tokio::test]
async fn openapi_json_is_an_openapi_3_1_document() {
    let dojo = Dojo::new();
    let document = document(&dojo).await;
    let version = document["openapi"].as_str().expect("openapi is a string");
    assert!(version.starts_with("3.1"), "{version}");
    assert_eq!(document["info"]["title"], "Backend Dojo sandbox");
    assert!(
        document["info"]["version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(scheme["scheme"], "bearer", "{scheme}");
    assert_eq!(scheme["bearerFormat"], "JWT", "{scheme}");
}

#[tokio::test]
async fn every_api_route_the_router_serves_is_documented_with_each_method() {
    let dojo = Dojo::new();
    let document = document(&dojo).await;
    let documented: BTreeSet<String> = document["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    let served: Vec<String> = served_paths(&dojo)
        .into_iter()
        .filter(|p| p.starts_with("/api/"))
        .collect();
    assert!(served.len() >= 9, "{served:?}");
    for path in &served {
        assert!(
            documented.contains(path),
            "{path} is served but not in /openapi.json"
        );
        // Every method the route answers (anything but 405) is documented, and no other.
        for method in METHODS {
            let upper = method.to_uppercase();
            let headers = [("content-type", "application/json")];
            let probe = request(
                Method::from_bytes(upper.as_bytes()).expect("method"),
                &concrete(path),
                &headers,
                Body::from("{}"),
            );
            let answered = dojo.send(probe).await.status != StatusCode::METHOD_NOT_ALLOWED;
            let has_doc = document["paths"][path].get(method).is_some();
            assert_eq!(
                answered, has_doc,
                "{upper} {path}: served = {answered}, documented = {has_doc}"
            );
        }
    }
    // And the other way round: nothing documented that the router does not serve.
    let all_served = served_paths(&dojo);
    for path in &documented {
        assert!(
            all_served.contains(path),
            "{path} is documented but not served"
        );
    }
}

#[tokio::test]
async fn every_operation_has_a_summary_a_known_tag_and_a_unique_id() {
    let dojo = Dojo::new();
    let document = document(&dojo).await;
    let tags: BTreeSet<&str> = document["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["name"].as_str().expect("tag name"))
        .collect();
    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&document) {
        assert!(
            operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{method} {path}"
        );
        let tag = operation["tags"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no tag"));
        assert!(
            tags.contains(tag),
            "{method} {path}: tag {tag} is not declared"
        );
        let id = operation["operationId"]
            .as_str()
            .expect("operationId")
            .to_owned();
        assert!(ids.insert(id.clone()), "operationId {id} is used twice");
    }
}

#[tokio::test]
async fn every_error_answer_is_documented_as_problem_details() {
    let dojo = Dojo::new();
    let document = document(&dojo).await;
    let problem = &document["components"]["schemas"]["ProblemDetails"];
    let required: Vec<&str> = problem["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for member in ["type", "title", "status", "detail", "instance"] {
        assert!(
            required.contains(&member),
            "{member} is required: {problem}"
        );
    }
    assert!(problem["properties"]["errors"].is_object(), "{problem}");
    for (method, path, operation) in operations(&document) {
        let responses = operation["responses"].as_object().expect("responses");
        let errors: Vec<&String> = responses
            .keys()
            .filter(|s| s.starts_with('4') || s.starts_with('5'))
            .collect();
        assert!(
            !errors.is_empty() || !path.starts_with("/api/"),
            "{method} {path} documents no error"
        );
        for status in errors {
            let answer = resolve(&document, &responses[status]);
            let schema = resolve(
                &document,
                &answer["content"]["application/problem+json"]["schema"],
            );
            assert_eq!(schema, problem, "{method} {path} {status}");
        }
    }
}

#[tokio::test]
async fn every_reference_in_the_document_resolves() {
    fn walk<'d>(document: &'d Value, value: &'d Value, seen: &mut usize) {
        match value {
            Value::Object(members) => {
                if members.contains_key("$ref") {
                    resolve(document, value);
                    *seen += 1;
                }
                members.values().for_each(|v| walk(document, v, seen));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(document, v, seen)),
            _ => {}
        }
    }
    let dojo = Dojo::new();
    let document = document(&dojo).await;
    let mut seen = 0;
    walk(&document, &document, &mut seen);
    assert!(seen > 20, "only {seen} references");
}

#[tokio::test]
async fn protected_operations_declare_the_bearer_scheme_and_only_they() {
    let dojo = Dojo::new();
    let document = document(&dojo).await;
    let mut protected = Vec::new();
    for (method, path, operation) in operations(&document) {
        if method != "GET" || path.contains("errors") {
            continue;
        }
        // A route is protected when the sandbox refuses it without a token.
        let refused = dojo.get(&concrete(&path)).await.status == StatusCode::UNAUTHORIZED;
        let declared = operation["security"].as_array().is_some_and(|s| {
            s.iter()
                .any(|r| r.get("bearer").is_some() || r.get("session").is_some())
        });
        assert_eq!(
            refused, declared,
            "{method} {path}: refused without a token = {refused}, declares bearer = {declared}"
        );
        if refused {
            let answer = resolve(&document, &operation["responses"]["401"]);
            assert!(
                answer["headers"]["WWW-Authenticate"].is_object(),
                "{path}: {answer}"
            );
            protected.push(path);
        }
    }
    assert_eq!(
        protected,
        [
            "/api/v1/accounts/trash",
            "/api/v1/admin/users",
            "/api/v1/chat/rooms/{room}/messages",
            "/api/v1/me",
            "/api/v1/notifications",
            "/api/v1/notifications/unread-count",
            "/api/v1/notifications/{id}",
            "/api/v1/session/me",
            "/api/v1/shop/orders/{id}"
        ]
    );
}

#[tokio::test]
async fn request_bodies_and_deprecation_are_documented() {
    let dojo = Dojo::new();
    let document = document(&dojo).await;
    let login = &document["paths"]["/api/v1/auth/login"]["post"];
    let body = resolve(
        &document,
        &login["requestBody"]["content"]["application/json"]["schema"],
    );
    assert_eq!(
        body["required"],
        serde_json::json!(["email", "password"]),
        "{body}"
    );
    assert_eq!(body["properties"]["password"]["format"], "password");
    let echo = &document["paths"]["/api/v1/echo"]["post"];
    let body = resolve(
        &document,
        &echo["requestBody"]["content"]["application/json"]["schema"],
    );
    assert_eq!(
        body["additionalProperties"], false,
        "unknown members are refused: {body}"
    );
    assert_eq!(
        document["paths"]["/api/v1/users/{id}"]["get"]["deprecated"],
        true
    );
    assert!(
        document["paths"]["/api/v2/users/{id}"]["get"]
            .get("deprecated")
            .is_none()
    );
}

#[tokio::test]
async fn the_document_and_the_docs_page_go_through_the_traced_stack() {
    let dojo = Dojo::new();
    for path in ["/openapi.json", "/docs"] {
        let reply = dojo.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(
            reply.header("ratelimit").is_some(),
            "{path} passes the rate limiter"
        );
        let trace = dojo.trace(&reply.request_id()).await;
        let mut expected = STACK.to_vec();
        expected.push("handler");
        assert_eq!(layer_names(&trace), expected, "{path}");
    }
}

/// The `src`/`href` URLs of a page.
fn asset_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in html.split(attribute).skip(1) {
            urls.push(piece.split('"').next().expect("closing quote").to_owned());
        }
    }
    urls
}

#[tokio::test]
async fn docs_page_is_html_whose_assets_are_all_served_from_the_binary() {
    let dojo = Dojo::new();
    let page = dojo.get("/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text();
    assert!(html.contains("id=\"swagger-ui\""), "{html}");
    // Same page with a trailing slash, since its asset URLs are absolute.
    assert_eq!(dojo.get("/docs/").await.text(), html);

    let assets = asset_urls(&html);
    assert_eq!(assets.len(), 5, "{assets:?}");
    for url in &assets {
        assert!(
            url.starts_with("/docs/"),
            "served by the sandbox itself, never a CDN: {url}"
        );
        let reply = dojo.get(url).await;
        assert_eq!(reply.status, StatusCode::OK, "{url}");
        assert!(!reply.body.is_empty(), "{url}");
        let expected = if url.ends_with(".js") {
            "text/javascript"
        } else if url.ends_with(".css") {
            "text/css"
        } else {
            "image/png"
        };
        assert_eq!(reply.header("content-type"), Some(expected), "{url}");
        assert!(
            reply
                .header("cache-control")
                .is_some_and(|c| c.contains("max-age")),
            "{url}"
        );
    }
    // The initializer points Swagger UI at the sandbox's own document, with no online
    // validator.
    let initializer = dojo.get("/docs/swagger-initializer.js").await.text();
    assert!(
        initializer.contains("\"url\": \"/openapi.json\""),
        "{initializer}"
    );
    assert!(
        initializer.contains("\"validatorUrl\": \"none\""),
        "{initializer}"
    );
}

#[tokio::test]
async fn docs_page_gets_a_csp_that_lets_swagger_ui_run_and_nothing_else() {
    let dojo = Dojo::new();
    let csp = dojo
        .get("/docs")
        .await
        .header("content-security-policy")
        .expect("csp")
        .to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    // No inline or evaluated scripts, no third-party hosts.
    let scripts = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .expect("script-src");
    assert_eq!(scripts.trim(), "script-src 'self'", "{csp}");
    assert!(!csp.contains("http") && !csp.contains("unsafe"), "{csp}");
    // The API keeps its strict policy.
    let api = dojo.get("/openapi.json").await;
    assert_eq!(
        api.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
    );
}

#[tokio::test]
async fn unknown_docs_file_is_a_404_problem() {
    let dojo = Dojo::new();
    for path in ["/docs/nope.js", "/docs/index.html", "/docs/../openapi.json"] {
        let reply = dojo.get(path).await;
        assert_problem(&reply, 404);
    }
}
