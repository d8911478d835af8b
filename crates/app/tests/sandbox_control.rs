//! The app owns its sandbox: the status bar's stop, start and restart, over real sockets.
//! A stopped sandbox refuses connections and the console says why; a restart keeps the
//! port and the launch token; a taken port moves the sandbox and says so; the request rate
//! and the live traffic follow whichever sandbox runs.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dojo_app::console::ConsoleRequest;
use dojo_app::sandbox::{SandboxOptions, SandboxState};
use dojo_app::{Dojo, Error};
use http_body_util::BodyExt as _;
use serde_json::Value;
use tokio_stream::StreamExt as _;
use tower::ServiceExt as _;

/// A launch token of the test's own, so requests to `/_dojo/` can prove it survives.
const TOKEN: &str = "a-test-launch-token-of-32-chars!";

fn options() -> SandboxOptions {
    SandboxOptions {
        tooling_token: Some(TOKEN.to_owned()),
        ..SandboxOptions::default()
    }
}

fn console_get(url: &str) -> ConsoleRequest {
    ConsoleRequest {
        method: "GET".into(),
        url: url.into(),
        headers: Vec::new(),
        body: None,
        name: None,
        variables: Vec::new(),
    }
}

/// The status of `POST <base>/_dojo/topics/17/reset`, with or without the launch token.
async fn tooling_status(base_url: &str, token: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().post(format!("{base_url}/_dojo/topics/17/reset"));
    if let Some(token) = token {
        request = request.header(dojo_sandbox::TOOLING_TOKEN_HEADER, token);
    }
    request
        .send()
        .await
        .expect("the sandbox answers")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_refuses_connections_and_start_comes_back_on_the_same_port_and_token() {
    let dojo = Dojo::load().expect("embedded content loads");
    let before = dojo.sandbox_info();
    assert_eq!(before.state, SandboxState::Stopped);
    assert_eq!((before.address, before.base_url), (None, None));

    let running = dojo.launch_sandbox(options()).await.expect("launch");
    assert_eq!(running.state, SandboxState::Running);
    let base_url = running.base_url.clone().expect("an address while running");
    let address = running.address.clone().expect("host:port");
    assert_eq!(base_url, format!("http://{address}"));
    assert_eq!(running.storage, "SQLite (embedded)");
    assert_eq!(
        running.curl_example.as_deref(),
        Some(format!("curl -i {base_url}/api/v1/users/1").as_str())
    );
    assert_eq!(tooling_status(&base_url, Some(TOKEN)).await, 200);

    let stopped = dojo.stop_sandbox().await.expect("stop");
    assert_eq!(stopped.state, SandboxState::Stopped);
    assert!(!stopped.running);
    assert_eq!(stopped.base_url, None);
    assert_eq!(
        stopped.address.as_deref(),
        Some(address.as_str()),
        "the address is kept"
    );
    assert_eq!(stopped.curl_example, None);
    assert!(
        reqwest::get(format!("{base_url}/healthz")).await.is_err(),
        "nothing listens on the port any more"
    );
    match dojo
        .send_request(&console_get("{{baseUrl}}/api/v1/users/1"))
        .await
    {
        Err(error @ Error::Console(_)) => {
            assert!(error.to_string().contains("not running"), "{error}");
        }
        other => panic!("expected a console error, got {other:?}"),
    }
    assert!(matches!(dojo.trace("any"), Err(Error::SandboxNotRunning)));
    assert_eq!(
        dojo.stop_sandbox().await.expect("stop again").state,
        SandboxState::Stopped,
        "stopping twice is harmless"
    );

    let started = dojo.start_sandbox().await.expect("start");
    assert_eq!(started.state, SandboxState::Running);
    assert_eq!(
        started.base_url.as_deref(),
        Some(base_url.as_str()),
        "same port"
    );
    assert_eq!(started.message, None);
    let answer = dojo
        .send_request(&console_get("{{baseUrl}}/api/v1/users/1"))
        .await
        .expect("the console works again");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.trace.is_some(), "requests are traced again");
    assert_eq!(
        tooling_status(&base_url, Some(TOKEN)).await,
        200,
        "same token"
    );
    assert_ne!(tooling_status(&base_url, None).await, 200);
    dojo.stop_sandbox().await.expect("stop at the end");
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_keeps_the_port_and_starts_the_traces_over() {
    let dojo = Dojo::load().expect("embedded content loads");
    let base_url = dojo
        .launch_sandbox(options())
        .await
        .expect("launch")
        .base_url
        .expect("running");
    for _ in 0..3 {
        dojo.send_request(&console_get("{{baseUrl}}/api/v1/users/1"))
            .await
            .expect("request");
    }
    assert_eq!(dojo.traffic().len(), 3);

    let restarted = dojo.restart_sandbox().await.expect("restart");
    assert_eq!(restarted.state, SandboxState::Running);
    assert_eq!(restarted.base_url.as_deref(), Some(base_url.as_str()));
    assert!(
        dojo.traffic().is_empty(),
        "a fresh sandbox has no traces yet"
    );
    assert_eq!(tooling_status(&base_url, Some(TOKEN)).await, 200);
    dojo.stop_sandbox().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_port_taken_while_stopped_moves_the_sandbox_and_says_so() {
    let dojo = Dojo::load().expect("embedded content loads");
    let first = dojo.launch_sandbox(options()).await.expect("launch");
    let address = first.address.expect("address");
    dojo.stop_sandbox().await.expect("stop");

    // Another program takes the port while the sandbox is stopped.
    let squatter = std::net::TcpListener::bind(&address).expect("the port is free to take");
    let moved = dojo.start_sandbox().await.expect("start elsewhere");
    assert_eq!(moved.state, SandboxState::Running);
    let new_address = moved.address.expect("address");
    assert_ne!(new_address, address);
    let message = moved.message.expect("a note about the move");
    assert!(message.contains("was not free"), "{message}");
    let port = address.rsplit(':').next().expect("a port");
    assert!(message.contains(port), "{message}");
    drop(squatter);

    // Restarting from there keeps the new port.
    let again = dojo.restart_sandbox().await.expect("restart");
    assert_eq!(again.address.as_deref(), Some(new_address.as_str()));
    assert_eq!(again.message, None);
    dojo.stop_sandbox().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_request_rate_counts_the_last_seconds() {
    let dojo = Dojo::load().expect("embedded content loads");
    let base_url = dojo
        .launch_sandbox(options())
        .await
        .expect("launch")
        .base_url
        .expect("running");
    assert_eq!(dojo.sandbox_info().requests_per_second, 0.0);
    let client = reqwest::Client::new();
    for _ in 0..10 {
        client
            .get(format!("{base_url}/api/v1/users/1"))
            .send()
            .await
            .expect("request");
    }
    // Ten requests in the five-second window.
    let rate = dojo.sandbox_info().requests_per_second;
    assert!((rate - 2.0).abs() < 1e-9, "rate {rate}");
    dojo.stop_sandbox().await.expect("stop");
    assert_eq!(dojo.sandbox_info().requests_per_second, 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn live_traffic_follows_the_sandbox_through_a_restart() {
    let dojo = Dojo::load().expect("embedded content loads");
    dojo.launch_sandbox(options()).await.expect("launch");
    let mut feed = Box::pin(dojo.live_traffic());

    // The follower subscribes in the background; send until the first entry arrives.
    let mut first = None;
    for _ in 0..50 {
        dojo.send_request(&console_get("{{baseUrl}}/api/v1/users/1"))
            .await
            .expect("request");
        let waited = tokio::time::timeout(Duration::from_millis(200), feed.next()).await;
        if let Ok(Some(entry)) = waited {
            first = Some(entry);
            break;
        }
    }
    let first = first.expect("the feed delivered a request within 50 tries");
    assert_eq!(first.path, "/api/v1/users/1");

    dojo.restart_sandbox().await.expect("restart");
    // Drain anything the old sandbox sent, then look for the new sandbox's request.
    let sent = dojo
        .send_request(&console_get("{{baseUrl}}/api/v2/users/1"))
        .await
        .expect("request after the restart");
    let id = sent.request_id.expect("a request id");
    loop {
        let entry = tokio::time::timeout(Duration::from_secs(10), feed.next())
            .await
            .expect("an entry within 10 s")
            .expect("the feed goes on");
        if entry.id == id {
            break;
        }
    }
    dojo.stop_sandbox().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn web_mode_stops_starts_and_restarts_the_sandbox() {
    const PORT: u16 = 48_941;
    let ui = tempfile::tempdir().expect("temp dir");
    std::fs::write(ui.path().join("index.html"), "<!doctype html>\n").expect("index.html");
    let dojo = Dojo::load().expect("embedded content loads");
    dojo.launch_sandbox(options()).await.expect("launch");
    let router = dojo_app::web::router(dojo.clone(), ui.path(), PORT);
    let call = |method: &str, path: &str| {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, format!("127.0.0.1:{PORT}"))
            .body(Body::empty())
            .expect("request");
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await.expect("the router answers");
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            (
                status,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }
    };

    let (status, info) = call("GET", "/api/sandbox").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["state"], "running");
    assert_eq!(info["storage"], "SQLite (embedded)");
    let address = info["address"].clone();

    let (status, info) = call("POST", "/api/sandbox/stop").await;
    assert_eq!(
        (status, info["state"].as_str()),
        (StatusCode::OK, Some("stopped"))
    );
    assert_eq!(info["base_url"], Value::Null);
    let (status, problem) = call("GET", "/api/traces/anything").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("start it from the status bar"),
        "{problem}"
    );

    let (status, info) = call("POST", "/api/sandbox/start").await;
    assert_eq!(
        (status, info["state"].as_str()),
        (StatusCode::OK, Some("running"))
    );
    assert_eq!(info["address"], address);
    let (status, info) = call("POST", "/api/sandbox/restart").await;
    assert_eq!(
        (status, info["state"].as_str()),
        (StatusCode::OK, Some("running"))
    );
    assert_eq!(info["address"], address);
    let (status, _) = call("GET", "/api/sandbox/restart").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "changes need POST");
    dojo.stop_sandbox().await.expect("stop");
}
