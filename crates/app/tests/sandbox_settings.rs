//! The sandbox part of Settings, over real sockets: the settings outlive the app, passwords
//! only leave it redacted, saving a port moves the sandbox (a taken port is refused and the
//! sandbox keeps running), the status bar names the storage from the sandbox's own config,
//! and the connection tests answer quickly and clearly against real and missing servers.

#[path = "../../sandbox/tests/support/redis_server.rs"]
mod redis_server;

// Shared with the storage tests; this binary uses only the started server's URI.
#[allow(dead_code)]
#[path = "../../storage/tests/support/mongo_server.rs"]
mod mongo_server;

use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dojo_app::sandbox::SandboxState;
use dojo_app::sandbox_settings::{SETTINGS_FILE, SandboxField};
use dojo_app::{ConnectionTestRequest, Dojo, Error, SandboxSettingsInput};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// A connection test that fails on a closed port or a malformed URI must say so at once.
const FAST: Duration = Duration::from_millis(1_500);

/// A Dojo whose study database (and so its settings file) lives in `dir`.
fn dojo_in(dir: &Path) -> Dojo {
    Dojo::load_with_study(dojo_study::Study::open(dir.join("study.db"))).expect("the app loads")
}

fn input(port: Option<u16>, mongodb_uri: &str, redis_url: &str) -> SandboxSettingsInput {
    SandboxSettingsInput {
        port,
        mongodb_uri: mongodb_uri.to_owned(),
        redis_url: redis_url.to_owned(),
    }
}

fn test_request(uri: &str) -> ConnectionTestRequest {
    ConnectionTestRequest {
        uri: uri.to_owned(),
    }
}

fn port_of(address: Option<&str>) -> u16 {
    address
        .and_then(|address| address.rsplit(':').next())
        .and_then(|port| port.parse().ok())
        .expect("an address with a port")
}

/// Whether something answers HTTP at `http://127.0.0.1:port/openapi.json`.
async fn answers_on(port: u16) -> bool {
    reqwest::get(format!("http://127.0.0.1:{port}/openapi.json"))
        .await
        .is_ok_and(|response| response.status().is_success())
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_outlive_the_app_and_passwords_only_leave_it_redacted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    let fresh = dojo.sandbox_settings().expect("settings");
    assert_eq!(
        (
            fresh.port,
            fresh.mongodb_uri.as_str(),
            fresh.redis_url.as_str()
        ),
        (None, "", "")
    );
    dojo.launch_saved_sandbox().await.expect("launch");

    let closed = redis_server::free_port().expect("a free port");
    let mongo = "mongodb://ada:s3cret-mongo@127.0.0.1:1/dojo?authSource=admin";
    let redis = format!("redis://:s3cret-redis@127.0.0.1:{closed}/0");
    let saved = dojo
        .save_sandbox_settings(&input(None, mongo, &redis))
        .await
        .expect("saved");
    assert_eq!(
        saved.settings.mongodb_uri,
        "mongodb://ada:***@127.0.0.1:1/dojo?authSource=admin"
    );
    assert_eq!(
        saved.settings.redis_url,
        format!("redis://:***@127.0.0.1:{closed}/0")
    );
    assert_eq!(saved.sandbox.state, SandboxState::Running);
    assert_eq!(
        saved.sandbox.storage,
        format!("MongoDB (127.0.0.1:1) · Redis (127.0.0.1:{closed})")
    );
    let sent = serde_json::to_string(&saved).expect("json");
    assert!(
        !sent.contains("s3cret"),
        "the UI never gets a password: {sent}"
    );
    let file = dir.path().join(SETTINGS_FILE);
    let stored = std::fs::read_to_string(&file).expect("the settings file");
    assert!(
        stored.contains("s3cret-mongo") && stored.contains("s3cret-redis"),
        "{stored}"
    );

    // Saving the redacted values unchanged keeps the stored passwords.
    let shown = dojo.sandbox_settings().expect("settings");
    dojo.save_sandbox_settings(&input(shown.port, &shown.mongodb_uri, &shown.redis_url))
        .await
        .expect("saved again");
    let stored = std::fs::read_to_string(&file).expect("the settings file");
    assert!(
        stored.contains("s3cret-mongo") && stored.contains("s3cret-redis"),
        "{stored}"
    );
    assert!(!stored.contains("***"), "{stored}");
    dojo.stop_sandbox().await.expect("stop");

    // A new app on the same data folder reads them, and its sandbox runs with them.
    let next = dojo_in(dir.path());
    assert_eq!(next.sandbox_settings().expect("settings"), shown);
    let launched = next.launch_saved_sandbox().await.expect("launch");
    assert_eq!(launched.storage, saved.sandbox.storage);

    // Emptying a field goes back to the embedded storage.
    let back = next
        .save_sandbox_settings(&input(None, "", ""))
        .await
        .expect("saved");
    assert_eq!(back.sandbox.storage, "SQLite (embedded)");
    assert!(
        !std::fs::read_to_string(&file)
            .expect("file")
            .contains("s3cret")
    );
    next.stop_sandbox().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn saving_a_port_moves_the_sandbox_there_now_and_at_the_next_launch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    let first = dojo.launch_saved_sandbox().await.expect("launch");
    let old_port = port_of(first.address.as_deref());

    let wanted = redis_server::free_port().expect("a free port");
    let saved = dojo
        .save_sandbox_settings(&input(Some(wanted), "", ""))
        .await
        .expect("saved");
    assert_eq!(saved.settings.port, Some(wanted));
    assert_eq!(port_of(saved.sandbox.address.as_deref()), wanted);
    assert_eq!(
        dojo.sandbox_info().base_url,
        Some(format!("http://127.0.0.1:{wanted}"))
    );
    assert!(
        answers_on(wanted).await,
        "the sandbox answers on the new port"
    );
    assert!(!answers_on(old_port).await, "and no longer on the old one");
    dojo.stop_sandbox().await.expect("stop");

    let next = dojo_in(dir.path());
    let launched = next.launch_saved_sandbox().await.expect("launch");
    assert_eq!(port_of(launched.address.as_deref()), wanted);
    next.stop_sandbox().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_port_is_refused_clearly_and_the_sandbox_keeps_running() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    let first = dojo.launch_saved_sandbox().await.expect("launch");
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to take");
    let taken = squatter.local_addr().expect("address").port();

    let refused = dojo
        .save_sandbox_settings(&input(Some(taken), "", "redis://127.0.0.1:6379/0"))
        .await
        .expect_err("the port is taken");
    let Error::SandboxSetting(SandboxField::Port, message) = &refused else {
        panic!("a port refusal, not {refused:?}");
    };
    assert!(message.contains(&taken.to_string()), "{message}");
    assert!(message.contains("another program"), "{message}");
    assert_eq!(refused.problem().title, "Port not usable");
    assert_eq!(refused.status(), 422);

    let info = dojo.sandbox_info();
    assert_eq!(info.state, SandboxState::Running);
    assert_eq!(info.address, first.address, "it still runs where it ran");
    assert_eq!(
        info.storage, "SQLite (embedded)",
        "the refused settings were not applied"
    );
    let kept = dojo.sandbox_settings().expect("settings");
    assert_eq!(
        (kept.port, kept.redis_url.as_str()),
        (None, ""),
        "nothing was saved"
    );
    assert!(answers_on(port_of(info.address.as_deref())).await);
    drop(squatter);
    dojo.stop_sandbox().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_uris_are_refused_on_save_naming_the_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    let refused = dojo
        .save_sandbox_settings(&input(None, "http://ada:pw-123@db/x", ""))
        .await
        .expect_err("not a MongoDB URI");
    let problem = refused.problem();
    assert_eq!(
        (problem.status, problem.title.as_str()),
        (422, "MongoDB URI not usable")
    );
    assert!(problem.detail.contains("mongodb://"), "{}", problem.detail);
    assert!(!problem.detail.contains("pw-123"), "{}", problem.detail);

    let refused = dojo
        .save_sandbox_settings(&input(None, "", "redis:///0"))
        .await
        .expect_err("no host");
    assert_eq!(refused.problem().title, "Redis URL not usable");
    assert!(
        !dir.path().join(SETTINGS_FILE).exists(),
        "nothing was written"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_tests_fail_fast_and_clearly_without_the_password() {
    let dojo = Dojo::load().expect("the app loads");
    let closed = redis_server::free_port().expect("a free port");

    let started = Instant::now();
    let redis = dojo
        .test_redis(&test_request(&format!(
            "redis://:hunter22@127.0.0.1:{closed}/0"
        )))
        .await;
    assert!(started.elapsed() < FAST, "took {:?}", started.elapsed());
    assert!(!redis.ok);
    assert!(redis.message.contains("refused"), "{}", redis.message);
    assert!(
        redis.message.contains(&format!("127.0.0.1:{closed}")),
        "{}",
        redis.message
    );
    assert!(!redis.message.contains("hunter22"), "{}", redis.message);

    let started = Instant::now();
    let malformed = dojo
        .test_mongodb(&test_request(
            "mongodb://ada:hunter22@127.0.0.1:notaport/dojo",
        ))
        .await;
    assert!(started.elapsed() < FAST, "took {:?}", started.elapsed());
    assert!(!malformed.ok);
    assert!(
        malformed.message.contains("malformed"),
        "{}",
        malformed.message
    );
    assert!(
        !malformed.message.contains("hunter22"),
        "{}",
        malformed.message
    );

    let wrong_scheme = dojo
        .test_redis(&test_request("http://127.0.0.1:6379"))
        .await;
    assert!(!wrong_scheme.ok);
    assert!(
        wrong_scheme.message.contains("redis://"),
        "{}",
        wrong_scheme.message
    );

    // Nothing listens: the driver gives up after its short server selection timeout.
    let started = Instant::now();
    let unreachable = dojo
        .test_mongodb(&test_request(&format!(
            "mongodb://ada:hunter22@127.0.0.1:{closed}/dojo?directConnection=true"
        )))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(!unreachable.ok);
    assert!(
        unreachable.message.contains("no MongoDB server answered"),
        "{}",
        unreachable.message
    );
    assert!(
        !unreachable.message.contains("hunter22"),
        "{}",
        unreachable.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_test_connection_answers_with_the_server_version() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = Dojo::load().expect("the app loads");
    let answer = dojo.test_redis(&test_request(&server.url())).await;
    assert!(answer.ok, "{}", answer.message);
    let version = answer.server_version.expect("INFO names the version");
    assert!(
        version.starts_with(|c: char| c.is_ascii_digit()),
        "{version}"
    );
    assert!(answer.message.contains(&version), "{}", answer.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redacted_password_is_tested_with_the_stored_one() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    dojo.launch_saved_sandbox().await.expect("launch");
    // The test server has no password, so a wrong one is refused; the stored URI has none.
    let saved = dojo
        .save_sandbox_settings(&input(None, "", &server.url()))
        .await
        .expect("saved");
    let answer = dojo
        .test_redis(&test_request(&saved.settings.redis_url))
        .await;
    assert!(answer.ok, "{}", answer.message);
    dojo.stop_sandbox().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn mongodb_test_connection_answers_against_the_test_server() {
    let Some(target) = mongo_server::shared_target() else {
        return;
    };
    let dojo = Dojo::load().expect("the app loads");
    let answer = dojo.test_mongodb(&test_request(&target.uri())).await;
    assert!(answer.ok, "{}", answer.message);
    assert!(
        answer.message.starts_with("Connected to 127.0.0.1"),
        "{}",
        answer.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn web_mode_reads_saves_and_tests_the_sandbox_settings() {
    const PORT: u16 = 48_957;
    let ui = tempfile::tempdir().expect("temp dir");
    std::fs::write(ui.path().join("index.html"), "<!doctype html>\n").expect("index.html");
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    dojo.launch_saved_sandbox().await.expect("launch");
    let router = dojo_app::web::router(dojo.clone(), ui.path(), PORT);
    let call = |method: &str, path: &str, body: Option<Value>| {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, format!("127.0.0.1:{PORT}"));
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(body.map_or_else(Body::empty, |body| Body::from(body.to_string())))
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

    let (status, settings) = call("GET", "/api/sandbox/settings", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["port"], Value::Null);
    assert_eq!(settings["redis_url"], "");

    let bad = json!({ "port": null, "mongodb_uri": "", "redis_url": "redis//nope" });
    let (status, problem) = call("PUT", "/api/sandbox/settings", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["title"], "Redis URL not usable");

    let closed = redis_server::free_port().expect("a free port");
    let good = json!({ "port": null, "mongodb_uri": "", "redis_url": format!("redis://:pw-web@127.0.0.1:{closed}/0") });
    let (status, saved) = call("PUT", "/api/sandbox/settings", Some(good)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        saved["settings"]["redis_url"],
        format!("redis://:***@127.0.0.1:{closed}/0")
    );
    assert_eq!(
        saved["sandbox"]["storage"],
        format!("SQLite (embedded) · Redis (127.0.0.1:{closed})")
    );
    let (_, info) = call("GET", "/api/sandbox", None).await;
    assert_eq!(info["storage"], saved["sandbox"]["storage"]);

    let test = json!({ "uri": saved["settings"]["redis_url"] });
    let (status, answer) = call("POST", "/api/sandbox/settings/test-redis", Some(test)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["ok"], false);
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("refused") && !message.contains("pw-web"),
        "{message}"
    );

    let test = json!({ "uri": "mongodb://" });
    let (status, answer) = call("POST", "/api/sandbox/settings/test-mongodb", Some(test)).await;
    assert_eq!(
        (status, answer["ok"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    dojo.stop_sandbox().await.expect("stop");
}

/// Signs in as the seeded learner on the app's sandbox; the access token.
async fn access_token(base_url: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(format!("{base_url}/api/v1/auth/login"))
        .json(&json!({ "email": "ada@dojo.test", "password": "correct-horse-battery" }))
        .send()
        .await
        .expect("login answers")
        .json()
        .await
        .expect("JSON");
    answer["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

async fn me_status(base_url: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base_url}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("me answers")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_outlives_a_restart_of_the_app_but_not_a_move_to_another_install() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    dojo.launch_saved_sandbox().await.expect("launch");
    let base_url = dojo.sandbox_info().base_url.expect("running");
    let token = access_token(&base_url).await;
    assert_eq!(me_status(&base_url, &token).await, 200);
    dojo.stop_sandbox().await.expect("stop");

    let next = dojo_in(dir.path());
    next.launch_saved_sandbox().await.expect("launch");
    let base_url = next.sandbox_info().base_url.expect("running");
    assert_eq!(
        me_status(&base_url, &token).await,
        200,
        "the install keeps its signing key"
    );
    next.stop_sandbox().await.expect("stop");

    let other = tempfile::tempdir().expect("temp dir");
    let elsewhere = dojo_in(other.path());
    elsewhere.launch_saved_sandbox().await.expect("launch");
    let base_url = elsewhere.sandbox_info().base_url.expect("running");
    assert_eq!(
        me_status(&base_url, &token).await,
        401,
        "another install has its own key"
    );
    elsewhere.stop_sandbox().await.expect("stop");
}
