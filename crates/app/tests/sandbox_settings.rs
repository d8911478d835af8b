//! The sandbox part of Settings, over real sockets: the settings outlive the app, passwords
//! only leave it redacted, saving a port moves the sandbox (a taken port is refused and the
//! sandbox keeps running), the status bar names the storage from the sandbox's own config,
//! the connection tests answer quickly and clearly against real and missing servers, and a
//! saved SMTP relay (a real aiosmtpd server) gets the sandbox's mail.

#[path = "../../sandbox/tests/support/redis_server.rs"]
mod redis_server;

// Shared with the sandbox's delivery tests; this binary does not use every helper.
#[allow(dead_code)]
#[path = "../../sandbox/tests/support/smtp_server.rs"]
mod smtp_server;

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
use dojo_app::{ConnectionTest, ConnectionTestRequest, Dojo, Error, SandboxSettingsInput};
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
        ..SandboxSettingsInput::default()
    }
}

/// Settings with only an SMTP relay URL and a From address.
fn mail_input(smtp_url: &str, mail_from: &str) -> SandboxSettingsInput {
    SandboxSettingsInput {
        smtp_url: smtp_url.to_owned(),
        mail_from: mail_from.to_owned(),
        ..SandboxSettingsInput::default()
    }
}

fn test_request(uri: &str) -> ConnectionTestRequest {
    ConnectionTestRequest {
        uri: uri.to_owned(),
    }
}

/// A connection test that failed: its message says each of `says`, and never `secret`.
fn assert_failed(answer: &ConnectionTest, says: &[&str], secret: Option<&str>) {
    assert!(!answer.ok, "{}", answer.message);
    for words in says {
        assert!(
            answer.message.contains(words),
            "{words:?} not in {}",
            answer.message
        );
    }
    if let Some(secret) = secret {
        assert!(!answer.message.contains(secret), "{}", answer.message);
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
    let address = format!("127.0.0.1:{closed}");
    assert_failed(&redis, &["refused", &address], Some("hunter22"));

    let started = Instant::now();
    let malformed = dojo
        .test_mongodb(&test_request(
            "mongodb://ada:hunter22@127.0.0.1:notaport/dojo",
        ))
        .await;
    assert!(started.elapsed() < FAST, "took {:?}", started.elapsed());
    assert_failed(&malformed, &["malformed"], Some("hunter22"));

    let wrong_scheme = dojo
        .test_redis(&test_request("http://127.0.0.1:6379"))
        .await;
    assert_failed(&wrong_scheme, &["redis://"], None);

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
    assert_failed(
        &unreachable,
        &["no MongoDB server answered"],
        Some("hunter22"),
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

    let bad = json!({ "port": null, "mongodb_uri": "", "redis_url": "", "smtp_url": "smtp//nope" });
    let (status, problem) = call("PUT", "/api/sandbox/settings", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["title"], "SMTP relay URL not usable");
    let (_, settings) = call("GET", "/api/sandbox/settings", None).await;
    assert_eq!(
        (&settings["smtp_url"], &settings["mail_from"]),
        (&json!(""), &json!("")),
        "the refused relay was not saved"
    );

    let test = json!({ "uri": format!("smtp://relay:pw-web@127.0.0.1:{closed}") });
    let (status, answer) = call("POST", "/api/sandbox/settings/test-smtp", Some(test)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["ok"], false);
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("refused") && !message.contains("pw-web"),
        "{message}"
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

const RELAY_FROM: &str = "Dojo Relay <relay@dojo.test>";

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("the settings file")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn the_smtp_relay_is_kept_with_its_password_and_shown_redacted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    let fresh = dojo.sandbox_settings().expect("settings");
    assert_eq!(
        (fresh.smtp_url.as_str(), fresh.mail_from.as_str()),
        ("", "")
    );
    assert_eq!(
        fresh.default_mail_from,
        "Backend Dojo <sandbox@backend-dojo.localhost>"
    );
    dojo.launch_saved_sandbox().await.expect("launch");

    let closed = smtp_server::closed_port();
    let url = format!("smtp://learner:s3cret-smtp@127.0.0.1:{closed}?tls=starttls");
    let saved = dojo
        .save_sandbox_settings(&mail_input(&url, RELAY_FROM))
        .await
        .expect("saved");
    assert_eq!(
        saved.settings.smtp_url,
        format!("smtp://learner:***@127.0.0.1:{closed}?tls=starttls")
    );
    assert_eq!(saved.settings.mail_from, RELAY_FROM);
    assert_eq!(saved.sandbox.state, SandboxState::Running);
    let sent = serde_json::to_string(&saved).expect("json");
    assert!(!sent.contains("s3cret"), "the UI never gets it: {sent}");
    let file = dir.path().join(SETTINGS_FILE);
    let stored = std::fs::read_to_string(&file).expect("the settings file");
    assert!(stored.contains("s3cret-smtp"), "{stored}");
    #[cfg(unix)]
    assert_eq!(
        mode_of(&file),
        0o600,
        "the file with passwords is owner-only"
    );

    // The redacted URL saved back keeps the stored password; so does a new port with it.
    let shown = dojo.sandbox_settings().expect("settings");
    assert_eq!(shown, saved.settings);
    dojo.save_sandbox_settings(&mail_input(&shown.smtp_url, &shown.mail_from))
        .await
        .expect("saved again");
    let stored = std::fs::read_to_string(&file).expect("the settings file");
    assert!(stored.contains("s3cret-smtp"), "{stored}");
    assert!(!stored.contains("***"), "{stored}");
    let moved = format!("smtp://learner:***@127.0.0.1:{}?tls=starttls", closed + 1);
    dojo.save_sandbox_settings(&mail_input(&moved, ""))
        .await
        .expect("saved with a new port");
    let stored = std::fs::read_to_string(&file).expect("the settings file");
    assert!(
        stored.contains(&format!("learner:s3cret-smtp@127.0.0.1:{}", closed + 1)),
        "{stored}"
    );
    dojo.stop_sandbox().await.expect("stop");

    // Another app on the same data folder shows the same; a file some other program made
    // readable by everyone is made owner-only again at launch.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("widen");
    }
    let next = dojo_in(dir.path());
    let again = next.sandbox_settings().expect("settings");
    assert_eq!(
        (again.smtp_url.as_str(), again.mail_from.as_str()),
        (moved.as_str(), "")
    );
    next.launch_saved_sandbox().await.expect("launch");
    #[cfg(unix)]
    assert_eq!(mode_of(&file), 0o600);

    // Emptying the field forgets the relay and its password.
    next.save_sandbox_settings(&mail_input("", ""))
        .await
        .expect("saved");
    let stored = std::fs::read_to_string(&file).expect("the settings file");
    assert!(!stored.contains("s3cret"), "{stored}");
    assert_eq!(next.sandbox_settings().expect("settings").smtp_url, "");
    next.stop_sandbox().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unusable_relay_url_or_from_is_refused_by_name_and_nothing_is_saved() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    dojo.launch_saved_sandbox().await.expect("launch");
    let file = dir.path().join(SETTINGS_FILE);

    let refused = dojo
        .save_sandbox_settings(&mail_input("http://ada:pw-smtp-9@mail.dojo.test", ""))
        .await
        .expect_err("not an SMTP URL");
    let problem = refused.problem();
    assert_eq!(
        (problem.status, problem.title.as_str()),
        (422, "SMTP relay URL not usable")
    );
    assert!(
        problem.detail.contains("the scheme is `http`") && problem.detail.contains("smtp://"),
        "{}",
        problem.detail
    );
    assert!(!problem.detail.contains("pw-smtp-9"), "{}", problem.detail);
    assert!(!file.exists(), "nothing was written");

    // With a relay saved, a bad From is refused and the saved relay stays as it was.
    let good = "smtp://127.0.0.1:2525";
    dojo.save_sandbox_settings(&mail_input(good, RELAY_FROM))
        .await
        .expect("saved");
    let before = std::fs::read_to_string(&file).expect("the settings file");
    let refused = dojo
        .save_sandbox_settings(&mail_input(good, "not an address"))
        .await
        .expect_err("no @");
    let problem = refused.problem();
    assert_eq!(
        (problem.status, problem.title.as_str()),
        (422, "From address not usable")
    );
    assert!(
        problem
            .detail
            .starts_with("the From address `not an address` cannot be used"),
        "{}",
        problem.detail
    );
    let refused = dojo
        .save_sandbox_settings(&mail_input("smtp://127.0.0.1:2525?tls=yes", ""))
        .await
        .expect_err("not a TLS mode");
    assert!(
        refused.problem().detail.contains("tls=yes is not a mode"),
        "{}",
        refused.problem().detail
    );
    // A From is checked even without a relay URL.
    let refused = dojo
        .save_sandbox_settings(&mail_input("", "<@>"))
        .await
        .expect_err("a From without a relay is still checked");
    assert_eq!(refused.problem().title, "From address not usable");
    assert_eq!(
        std::fs::read_to_string(&file).expect("the settings file"),
        before
    );
    let kept = dojo.sandbox_settings().expect("settings");
    assert_eq!(
        (kept.smtp_url.as_str(), kept.mail_from.as_str()),
        (good, RELAY_FROM)
    );
    dojo.stop_sandbox().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_smtp_test_reaches_a_real_relay_without_sending_mail_and_says_why_not() {
    let dojo = Dojo::load().expect("the app loads");

    // Nothing listens: refused, at once.
    let closed = smtp_server::closed_port();
    let started = Instant::now();
    let answer = dojo
        .test_smtp(&test_request(&format!(
            "smtp://ada:hunter22@127.0.0.1:{closed}"
        )))
        .await;
    assert!(started.elapsed() < FAST, "took {:?}", started.elapsed());
    let address = format!("127.0.0.1:{closed}");
    assert_failed(
        &answer,
        &["refused the connection", &address],
        Some("hunter22"),
    );

    let malformed = dojo
        .test_smtp(&test_request("smtp://127.0.0.1:2525?tsl=1"))
        .await;
    assert_failed(&malformed, &["unknown parameter `tsl`"], None);

    let Some(server) = smtp_server::start() else {
        return;
    };
    let answer = dojo.test_smtp(&test_request(&server.url())).await;
    assert!(answer.ok, "{}", answer.message);
    assert_eq!(
        answer.message,
        format!(
            "Reachable: 127.0.0.1:{} took the SMTP handshake (no mail sent)",
            server.port()
        )
    );
    assert!(server.received().is_empty(), "the test sent no mail");

    // A relay that speaks plain SMTP: asking for TLS fails, and says it was TLS.
    let port = server.port();
    for url in [
        format!("smtps://127.0.0.1:{port}"),
        format!("smtp://127.0.0.1:{port}?tls=starttls"),
    ] {
        let answer = dojo.test_smtp(&test_request(&url)).await;
        assert!(!answer.ok, "{url}");
        assert!(answer.message.contains("TLS"), "{url}: {}", answer.message);
    }
}

/// A loopback SMTP relay that greets (or, with `greet` false, stays silent), offers a login,
/// and refuses every user name and password the way relays do (535); it answers one
/// connection. The port it listens on.
async fn relay_refusing_logins(greet: bool) -> u16 {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let port = listener.local_addr().expect("an address").port();
    tokio::spawn(async move {
        let Ok((socket, _)) = listener.accept().await else {
            return;
        };
        let (read, mut write) = socket.into_split();
        if !greet {
            // Hold the connection open without a word until the client gives up.
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(_)) = lines.next_line().await {}
            return;
        }
        let _ = write.write_all(b"220 relay.dojo.test ESMTP\r\n").await;
        let mut lines = BufReader::new(read).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let verb = line.split(' ').next().unwrap_or_default().to_uppercase();
            let answer: &[u8] = match verb.as_str() {
                "EHLO" => b"250-relay.dojo.test\r\n250 AUTH PLAIN LOGIN\r\n",
                "AUTH" => b"535 5.7.8 Authentication credentials invalid\r\n",
                "QUIT" => b"221 2.0.0 Bye\r\n",
                _ => b"502 5.5.1 Not implemented\r\n",
            };
            if write.write_all(answer).await.is_err() || verb == "QUIT" {
                return;
            }
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread")]
async fn the_smtp_test_names_a_refused_login_and_a_silent_relay() {
    let dojo = Dojo::load().expect("the app loads");
    let port = relay_refusing_logins(true).await;
    let refused = dojo
        .test_smtp(&test_request(&format!(
            "smtp://dojo-relay:wrong-Pa55@127.0.0.1:{port}"
        )))
        .await;
    assert_failed(
        &refused,
        &["refused the user name or password", "535"],
        Some("wrong-Pa55"),
    );

    // A relay that accepts the connection but never greets: the test gives up on its own.
    let port = relay_refusing_logins(false).await;
    let started = Instant::now();
    let silent = dojo
        .test_smtp(&test_request(&format!("smtp://127.0.0.1:{port}")))
        .await;
    assert!(!silent.ok);
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        silent
            .message
            .contains("did not finish the SMTP handshake within"),
        "{}",
        silent.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_smtp_test_logs_in_to_a_real_relay_with_the_stored_password() {
    let Some(server) = smtp_server::start_with_login("dojo-relay", "right-Pa55") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    dojo.launch_saved_sandbox().await.expect("launch");
    let port = server.port();
    let saved = dojo
        .save_sandbox_settings(&mail_input(
            &format!("smtp://dojo-relay:right-Pa55@127.0.0.1:{port}"),
            "",
        ))
        .await
        .expect("saved");
    assert_eq!(
        saved.settings.smtp_url,
        format!("smtp://dojo-relay:***@127.0.0.1:{port}")
    );
    // What Settings shows (password as ***) is tested with the stored password.
    let answer = dojo
        .test_smtp(&test_request(&saved.settings.smtp_url))
        .await;
    assert!(answer.ok, "{}", answer.message);
    assert_eq!(
        answer.message,
        format!("Reachable: 127.0.0.1:{port} took the SMTP handshake and the login (no mail sent)")
    );
    assert!(server.received().is_empty(), "the test sent no mail");
    dojo.stop_sandbox().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sandbox_launched_from_saved_settings_sends_its_mail_through_the_relay() {
    let Some(server) = smtp_server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let dojo = dojo_in(dir.path());
    dojo.launch_saved_sandbox().await.expect("launch");
    dojo.save_sandbox_settings(&mail_input(&server.url(), RELAY_FROM))
        .await
        .expect("saved");
    dojo.stop_sandbox().await.expect("stop");

    // The next launch of the app reads the relay from the settings file.
    let next = dojo_in(dir.path());
    let launched = next.launch_saved_sandbox().await.expect("launch");
    let base_url = launched.base_url.expect("running");
    let signup = reqwest::Client::new()
        .post(format!("{base_url}/api/v1/signup"))
        .json(&json!({ "email": "relay.learner@dojo.test", "password": "a-long-enough-password" }))
        .send()
        .await
        .expect("signup answers");
    assert_eq!(signup.status(), StatusCode::ACCEPTED);
    let received = server.wait_for_mails(1, Duration::from_secs(30)).await;
    let mail = &received[0];
    assert_eq!(mail["to"], "relay.learner@dojo.test", "{mail}");
    assert_eq!(mail["from"], RELAY_FROM, "{mail}");
    assert_eq!(mail["mail_from"], "relay@dojo.test", "{mail}");
    assert!(
        mail["body"]
            .as_str()
            .is_some_and(|body| body.contains(&base_url)),
        "the verification link points at the sandbox: {mail}"
    );
    next.stop_sandbox().await.expect("stop");
}
