//! The drill engine against a real sandbox: every topic's drills pass against a fresh one,
//! and a drill fails with a readable message when the sandbox's behaviour is wrong.

use dojo_app::drills::{self, DrillRun, DrillTarget, StepOutcome};
use dojo_app::sandbox::{self, Sandbox, SandboxOptions};
use dojo_app::{Dojo, Error};
use dojo_content::Drill;

/// Topics that have drills, each with at least three.
/// Every topic but 31 (the Redis cache, not in the sandbox yet).
const DRILLED_TOPICS: [u32; 33] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
    27, 28, 29, 30, 31, 32, 33,
];

async fn fresh_sandbox() -> (Sandbox, String) {
    let sandbox = sandbox::start(SandboxOptions::default())
        .await
        .expect("the sandbox starts");
    let base_url = format!("http://{}", sandbox.addr);
    (sandbox, base_url)
}

/// Whole-topic runs take their turn: on a two-core machine, a dozen sandboxes seeding the
/// data suite at once push its first answers past the request timeout.
static ONE_RUN_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn run_topic_against_fresh_sandbox(topic: u32) -> DrillRun {
    let _turn = ONE_RUN_AT_A_TIME.lock().await;
    let dojo = Dojo::load().expect("embedded content loads");
    let (sandbox, _) = fresh_sandbox().await;
    let run = dojo
        .run_drills_in(&topic.to_string(), &sandbox)
        .await
        .expect("the topic exists");
    sandbox.shutdown().await.expect("the sandbox stops");
    run
}

async fn assert_topic_passes(topic: u32) {
    let run = run_topic_against_fresh_sandbox(topic).await;
    assert!(run.passed, "{}", drills::to_terminal(&run, true));
    assert!(
        run.drills.len() >= 3,
        "topic {topic} has {} drills",
        run.drills.len()
    );
    for drill in &run.drills {
        assert!(
            drill
                .steps
                .iter()
                .all(|s| s.outcome == StepOutcome::Passed && s.status.is_some())
        );
        assert!(
            drill
                .steps
                .iter()
                .flat_map(|s| &s.asserts)
                .all(|a| a.passed && a.message.is_none())
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_1_jwt_drills_pass() {
    assert_topic_passes(1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_14_versioning_drills_pass() {
    assert_topic_passes(14).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_15_error_handling_drills_pass() {
    assert_topic_passes(15).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_16_logger_drills_pass() {
    assert_topic_passes(16).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_17_rate_limit_drills_pass() {
    assert_topic_passes(17).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_18_security_headers_and_cors_drills_pass() {
    assert_topic_passes(18).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_19_structured_logging_drills_pass() {
    assert_topic_passes(19).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_20_async_error_drills_pass() {
    assert_topic_passes(20).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_27_api_testing_drills_pass() {
    assert_topic_passes(27).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_29_health_drills_pass() {
    assert_topic_passes(29).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_30_api_documentation_drills_pass() {
    assert_topic_passes(30).await;
}

#[test]
fn the_drilled_topics_are_exactly_those_tested_here() {
    let dojo = Dojo::load().expect("embedded content loads");
    let with_drills: Vec<u32> = (1..=33)
        .filter(|id| {
            !dojo
                .drills(&id.to_string())
                .expect("topic exists")
                .is_empty()
        })
        .collect();
    assert_eq!(with_drills, DRILLED_TOPICS);
    let jwt = dojo
        .drills("jwt-protected-routes")
        .expect("topic 1 by slug");
    assert_eq!(jwt[0].file, "01-login-then-me.hurl");
    assert_eq!(jwt[0].path, "01-jwt-protected-routes/01-login-then-me.hurl");
    assert!(jwt[0].title.starts_with("Logging in"), "{}", jwt[0].title);
    assert!(jwt[0].source.contains("{{baseUrl}}/api/v1/me"));
}

/// A hand-written drill, run with the same engine as the content's.
fn drill(source: &str) -> Drill {
    Drill {
        topic: 1,
        file: "99-hand-made.hurl".into(),
        path: "01-jwt-protected-routes/99-hand-made.hurl".into(),
        title: "hand made".into(),
        source: source.into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_unsigned_tokens_accepted_the_alg_none_drill_fails_saying_why() {
    let dojo = Dojo::load().expect("embedded content loads");
    let (sandbox, base_url) = fresh_sandbox().await;
    let open_the_hole = drill(
        "# Turn the break-it switch on.\n\
         PUT {{baseUrl}}/_dojo/switches/jwt-accept-unsigned\n\
         Content-Type: application/json\n\
         {\"enabled\": true}\n\
         HTTP 200\n\
         [Asserts]\n\
         jsonpath \"$[?(@.name == 'jwt-accept-unsigned')].enabled\" == true\n",
    );
    let switched = drills::run_drills(vec![open_the_hole], DrillTarget::sandbox(&sandbox)).await;
    assert!(
        switched[0].passed,
        "the switch is turned on: {:?}",
        switched[0]
    );

    let run = dojo
        .run_drills_in("1", &sandbox)
        .await
        .expect("topic 1 exists");
    sandbox.shutdown().await.expect("the sandbox stops");

    let report = drills::to_terminal(&run, false);
    assert!(!run.passed, "{report}");
    let failed: Vec<&str> = run
        .drills
        .iter()
        .filter(|d| !d.passed)
        .map(|d| d.file.as_str())
        .collect();
    assert_eq!(failed, ["04-alg-none-refused.hurl"], "{report}");

    let alg_none = &run.drills[3];
    let first = &alg_none.steps[0];
    assert_eq!(first.outcome, StepOutcome::Failed);
    assert_eq!((first.method.as_str(), first.status), ("GET", Some(200)));
    assert_eq!(first.url, format!("{base_url}/api/v1/me"));
    let failing: Vec<_> = first.asserts.iter().filter(|a| !a.passed).collect();
    assert_eq!(failing.len(), 1, "{report}");
    assert_eq!(failing[0].line, 6);
    assert_eq!(failing[0].text, "HTTP 401");
    assert_eq!(
        failing[0].message.as_deref(),
        Some("expected status 401, got 200")
    );
    assert_eq!(
        alg_none.steps[1].outcome,
        StepOutcome::Skipped,
        "the trace lookup never ran"
    );
    assert_eq!(
        alg_none.first_failure(),
        Some((6, "HTTP 401: expected status 401, got 200".to_owned()))
    );
    assert!(report.contains("✘ 04-alg-none-refused.hurl"), "{report}");
    assert!(
        report.contains("✘ line 6: HTTP 401 — expected status 401, got 200"),
        "{report}"
    );
    assert!(report.contains("3 of 4 drills passed"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_run_on_the_sandbox_carries_its_launch_token() {
    let (sandbox, base_url) = fresh_sandbox().await;
    let reset = || drill("# Reset topic 17.\nPOST {{baseUrl}}/_dojo/topics/17/reset\nHTTP 200\n");
    let outsider = drills::run_drills(vec![reset()], DrillTarget::server(&base_url)).await;
    let own = drills::run_drills(vec![reset()], DrillTarget::sandbox(&sandbox)).await;
    sandbox.shutdown().await.expect("the sandbox stops");
    assert!(!outsider[0].passed, "a server target sends no token");
    assert_eq!(outsider[0].steps[0].status, Some(401));
    assert!(own[0].passed, "{:?}", own[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_explicit_assert_names_its_line_and_both_values() {
    let (sandbox, base_url) = fresh_sandbox().await;
    let wrong = drill(
        "# Expect the wrong health status.\n\
         GET {{baseUrl}}/healthz\n\
         HTTP 200\n\
         [Asserts]\n\
         jsonpath \"$.status\" == \"down\"\n\
         header \"X-Missing\" == \"here\"\n",
    );
    let results = drills::run_drills(vec![wrong], DrillTarget::server(&base_url)).await;
    sandbox.shutdown().await.expect("the sandbox stops");

    let step = &results[0].steps[0];
    assert!(!results[0].passed);
    assert_eq!(step.url, format!("{base_url}/healthz"));
    let checks: Vec<(u32, &str, bool, Option<&str>)> = step
        .asserts
        .iter()
        .map(|a| (a.line, a.text.as_str(), a.passed, a.message.as_deref()))
        .collect();
    assert_eq!(
        checks,
        [
            (3, "HTTP 200", true, None),
            (
                5,
                "jsonpath \"$.status\" == \"down\"",
                false,
                Some("expected string <down>, got string <ok>")
            ),
            (
                6,
                "header \"X-Missing\" == \"here\"",
                false,
                Some("expected string <here>, got none")
            ),
        ]
    );
    assert!(
        step.errors.is_empty(),
        "assert failures are not listed twice: {:?}",
        step.errors
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_server_fails_the_step_with_the_connection_error() {
    // Bind and drop a listener so the port is almost surely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let base_url = format!("http://127.0.0.1:{port}");
    let results = drills::run_drills(
        vec![drill("# Health.\nGET {{baseUrl}}/healthz\nHTTP 200\n")],
        DrillTarget::server(&base_url),
    )
    .await;
    let step = &results[0].steps[0];
    assert!(!results[0].passed);
    assert_eq!((step.outcome, step.status), (StepOutcome::Failed, None));
    assert_eq!(step.url, format!("{base_url}/healthz"));
    assert_eq!(step.errors.len(), 1);
    assert!(
        step.errors[0].starts_with("line 2: HTTP connection"),
        "{:?}",
        step.errors
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_base_url_that_is_not_http_is_refused() {
    let dojo = Dojo::load().expect("embedded content loads");
    for bad in [
        "ftp://127.0.0.1:21",
        "localhost:3000",
        "http://",
        "http://a b",
    ] {
        match dojo.run_drills("1", bad).await {
            Err(Error::BadBaseUrl(_)) => {}
            other => panic!("{bad:?} should be refused, got {other:?}"),
        }
    }
    assert!(matches!(
        dojo.run_drills("99", "http://127.0.0.1:1").await,
        Err(Error::TopicNotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn check_drills_runs_every_drill_of_every_topic_without_problems() {
    let _turn = ONE_RUN_AT_A_TIME.lock().await;
    let check = dojo_app::check::check_drills(None).await;
    assert_eq!(check.problems, Vec::<String>::new());
    let total: usize = {
        let dojo = Dojo::load().expect("embedded content loads");
        DRILLED_TOPICS
            .iter()
            .map(|id| dojo.drills(&id.to_string()).expect("topic").len())
            .sum()
    };
    assert_eq!(check.drills, total);
}
