//! The first run and the profile through web mode, as the UI uses them: a new learner is
//! offered the guided start, choices survive a restart, skipping is remembered, bad input
//! gets a problem that names it, and the daily plan uses the budget and interview date.

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dojo_app::Dojo;
use dojo_app::web::router;
use dojo_study::Study;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt as _;

const PORT: u16 = 48_933;

struct ProfileWeb {
    router: Router,
    _ui: TempDir,
}

fn web_over(db: &Path) -> ProfileWeb {
    let ui = tempfile::tempdir().expect("temp dir");
    std::fs::write(ui.path().join("index.html"), "<!doctype html>\n").expect("index.html");
    let dojo = Dojo::load_with_study(Study::open(db)).expect("embedded topics load");
    ProfileWeb {
        router: router(dojo, ui.path(), PORT),
        _ui: ui,
    }
}

impl ProfileWeb {
    /// Status, content type and JSON body (null when the body is not JSON).
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, String, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, format!("127.0.0.1:{PORT}"));
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(body.map_or_else(Body::empty, |text| Body::from(text.to_owned())))
            .expect("valid request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, content_type, json)
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let text = body.map(|value| value.to_string());
        let (status, _, json) = self.call(method, path, text.as_deref()).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {json}");
        json
    }
}

#[tokio::test]
async fn the_first_run_is_offered_once_and_its_choices_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("study.db");
    {
        let web = web_over(&db);
        let fresh = web.ok("GET", "/api/profile", None).await;
        assert_eq!(fresh["first_run"], "pending");
        assert_eq!(fresh["stack_first"], "express");
        assert_eq!(fresh["interview_date"], Value::Null);

        let saved = web
            .ok(
                "PUT",
                "/api/profile",
                Some(json!({
                    "stack_first": "rust",
                    "interview_date": "2031-05-20",
                    "daily_minutes": 45
                })),
            )
            .await;
        assert_eq!(saved["first_run"], "done");
    }

    // A new process over the same file: the choices are still there.
    let web = web_over(&db);
    let profile = web.ok("GET", "/api/profile", None).await;
    assert_eq!(profile["first_run"], "done");
    assert_eq!(profile["stack_first"], "rust");
    assert_eq!(profile["interview_date"], "2031-05-20");
    assert_eq!(profile["daily_minutes"], 45);
    assert_eq!(profile["code_font"], "system");

    // Settings sends the font as well.
    let changed = web
        .ok(
            "PUT",
            "/api/profile",
            Some(json!({
                "stack_first": "rust",
                "interview_date": null,
                "daily_minutes": 45,
                "code_font": "jetbrains-mono"
            })),
        )
        .await;
    assert_eq!(changed["code_font"], "jetbrains-mono");
    assert_eq!(changed["interview_date"], Value::Null);
}

#[tokio::test]
async fn skipping_is_remembered_and_the_guided_start_can_be_asked_for_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("study.db");
    {
        let web = web_over(&db);
        let skipped = web.ok("POST", "/api/profile/skip", None).await;
        assert_eq!(skipped["first_run"], "skipped");
        assert_eq!(skipped["daily_minutes"], 30);
    }
    let web = web_over(&db);
    assert_eq!(
        web.ok("GET", "/api/profile", None).await["first_run"],
        "skipped"
    );
    let again = web.ok("POST", "/api/profile/restart", None).await;
    assert_eq!(again["first_run"], "pending");
}

#[tokio::test]
async fn bad_choices_get_a_problem_that_names_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let web = web_over(&dir.path().join("study.db"));
    let cases = [
        (
            r#"{"stack_first":"rust","daily_minutes":2}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "2 minutes is out of range",
        ),
        (
            r#"{"stack_first":"rust","daily_minutes":30,"interview_date":"2031-02-30"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a day on the calendar",
        ),
        (
            r#"{"stack_first":"cobol","daily_minutes":30}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "stack_first",
        ),
        (r#"{"stack_first":"rust""#, StatusCode::BAD_REQUEST, ""),
    ];
    for (body, status, expected) in cases {
        let (got, content_type, problem) = web.call("PUT", "/api/profile", Some(body)).await;
        assert_eq!(got, status, "{body}: {problem}");
        assert_eq!(content_type, "application/problem+json", "{body}");
        let detail = problem["detail"].as_str().unwrap_or("");
        assert!(detail.contains(expected), "{body}: {detail}");
    }
    assert_eq!(
        web.ok("GET", "/api/profile", None).await["first_run"],
        "pending",
        "nothing was saved"
    );
}

#[tokio::test]
async fn the_daily_plan_counts_down_to_the_interview_within_the_budget() {
    let dir = tempfile::tempdir().expect("temp dir");
    let web = web_over(&dir.path().join("study.db"));
    web.ok(
        "PUT",
        "/api/profile",
        Some(json!({
            "stack_first": "rust",
            "interview_date": "2031-06-30",
            "daily_minutes": 60
        })),
    )
    .await;

    let plan = web
        .ok("GET", "/api/profile/plan?today=2031-06-16", None)
        .await;
    assert_eq!(plan["today"], "2031-06-16");
    assert_eq!(plan["days_left"], 14);
    assert_eq!(plan["budget_minutes"], 60);
    assert!(
        plan["planned_minutes"].as_u64().expect("minutes") <= 60,
        "{plan}"
    );
    let items = plan["items"].as_array().expect("items");
    assert!(!items.is_empty(), "{plan}");
    assert_eq!(items[0]["kind"], "topic", "nothing is due on a new install");
    assert_eq!(items[0]["topic_id"], 1);
    assert!(
        items[0]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("Rust implementation"),
        "{plan}"
    );
    assert!(
        plan["pace"]
            .as_str()
            .unwrap_or("")
            .contains("33 topics to go in 14 days"),
        "{plan}"
    );

    let (status, content_type, problem) = web
        .call("GET", "/api/profile/plan?today=16/06/2031", None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(content_type, "application/problem+json");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("YYYY-MM-DD"),
        "{problem}"
    );
}

#[tokio::test]
async fn without_a_study_database_the_profile_routes_say_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "x").expect("write blocker");
    let web = web_over(&blocker.join("study.db"));
    for (method, path) in [
        ("GET", "/api/profile"),
        ("POST", "/api/profile/skip"),
        ("GET", "/api/profile/plan"),
    ] {
        let (status, content_type, problem) = web.call(method, path, None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {problem}");
        assert_eq!(content_type, "application/problem+json");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or("")
                .contains("not-a-folder"),
            "{path}: {problem}"
        );
    }
}
