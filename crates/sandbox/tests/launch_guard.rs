//! The sandbox's own attack surface: a web page the learner visits must not reach it
//! through DNS rebinding, nor flip switches or read the mailbox without the launch token.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Dojo, assert_problem, config};
use dojo_sandbox::{Sandbox, SandboxConfig, TOOLING_TOKEN_HEADER};
use serde_json::json;

fn get(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder().method(Method::GET).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).expect("a valid request")
}

#[tokio::test]
async fn a_rebound_dns_name_is_refused_before_any_route_runs() {
    let dojo = Dojo::new();
    let reply = dojo
        .send(get("/api/v1/versions", &[("host", "evil.example:8080")]))
        .await;
    assert_problem(&reply, 403);
    assert!(
        reply.json()["detail"]
            .as_str()
            .expect("a detail")
            .contains("evil.example")
    );
    assert!(
        reply.header("x-request-id").is_some(),
        "the refusal can be quoted"
    );

    // The tooling is behind the same guard, token or not.
    let reply = dojo
        .send(get("/_dojo/mailbox", &[("host", "rebind.evil.example")]))
        .await;
    assert_problem(&reply, 403);
}

#[tokio::test]
async fn loopback_names_ip_addresses_and_allowed_names_are_served() {
    let dojo = Dojo::with(SandboxConfig {
        allowed_hosts: vec!["dojo.team.internal".into()],
        ..config()
    });
    for host in [
        "localhost:4000",
        "127.0.0.1:4000",
        "[::1]:4000",
        "10.0.0.7",
        "DOJO.team.internal",
    ] {
        let reply = dojo.send(get("/healthz", &[("host", host)])).await;
        assert_eq!(reply.status, StatusCode::OK, "{host}: {}", reply.text());
    }
}

#[tokio::test]
async fn tooling_needs_the_launch_token() {
    let dojo = Dojo::new();
    for path in [
        "/_dojo/switches",
        "/_dojo/mailbox",
        "/_dojo/traces",
        "/_dojo/logs",
    ] {
        let reply = dojo.send_untokened(get(path, &[])).await;
        assert_problem(&reply, 401);
        assert!(
            reply.json()["detail"]
                .as_str()
                .expect("a detail")
                .contains("X-Dojo-Token")
        );

        let reply = dojo
            .send_untokened(get(path, &[(TOOLING_TOKEN_HEADER, "guessed-token")]))
            .await;
        assert_problem(&reply, 401);

        let token = dojo.config.tooling_token.clone();
        let reply = dojo
            .send_untokened(get(path, &[(TOOLING_TOKEN_HEADER, &token)]))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{path} with the token");
    }
}

#[tokio::test]
async fn a_page_cannot_flip_a_switch_or_reset_a_topic_without_the_token() {
    let dojo = Dojo::new();
    let flip = Request::builder()
        .method(Method::PUT)
        .uri("/_dojo/switches/jwt-skip-expiry")
        .header("content-type", "application/json")
        .header("origin", "https://evil.example")
        .body(Body::from(json!({ "enabled": true }).to_string()))
        .expect("a valid request");
    assert_problem(&dojo.send_untokened(flip).await, 401);
    let list = dojo.get("/_dojo/switches").await.json();
    let switch = list
        .as_array()
        .expect("the switch list")
        .iter()
        .find(|s| s["name"] == "jwt-skip-expiry")
        .expect("the switch is listed");
    assert_eq!(switch["enabled"], false, "the switch stayed closed");
}

#[tokio::test]
async fn every_launch_has_its_own_token() {
    let first = Sandbox::start(SandboxConfig::default())
        .await
        .expect("starts");
    let second = Sandbox::start(SandboxConfig::default())
        .await
        .expect("starts");
    assert_ne!(
        first.state.config.tooling_token,
        second.state.config.tooling_token
    );
    assert!(
        first.state.config.tooling_token.len() >= 40,
        "32 random bytes, encoded"
    );

    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    let url = format!("http://{}/_dojo/switches", first.addr);
    let foreign = client
        .get(&url)
        .header(TOOLING_TOKEN_HEADER, &second.state.config.tooling_token)
        .send()
        .await
        .expect("an answer");
    assert_eq!(foreign.status(), reqwest::StatusCode::UNAUTHORIZED);
    let own = client
        .get(&url)
        .header(TOOLING_TOKEN_HEADER, &first.state.config.tooling_token)
        .send()
        .await
        .expect("an answer");
    assert_eq!(own.status(), reqwest::StatusCode::OK);
    first.shutdown().await.expect("stops");
    second.shutdown().await.expect("stops");
}
