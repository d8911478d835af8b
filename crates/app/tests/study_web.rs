//! The study routes of web mode, as the UI uses them: the dashboard and progress, notes
//! that survive a restart and are found by search, flashcard review, and clear problems
//! for bad input or a missing database.

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

const PORT: u16 = 48_921;

/// A web-mode router over a study database in a scratch folder.
struct StudyWeb {
    router: Router,
    ui: TempDir,
}

fn web_with_study(db: &Path) -> StudyWeb {
    let ui = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        ui.path().join("index.html"),
        "<!doctype html><div id=\"app\"></div>\n",
    )
    .expect("write index.html");
    let dojo = Dojo::load_with_study(Study::open(db)).expect("embedded topics load");
    StudyWeb {
        router: router(dojo, ui.path(), PORT),
        ui,
    }
}

impl StudyWeb {
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, String, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, format!("127.0.0.1:{PORT}"));
        let body = match body {
            Some(value) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("valid request")).await
    }

    /// Sends `text` as the body, as a browser uploads a file.
    async fn call_text(&self, method: &str, path: &str, text: &str) -> (StatusCode, String, Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, format!("127.0.0.1:{PORT}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(text.to_owned()))
            .expect("valid request");
        self.send(request).await
    }

    /// Status, content type and JSON body (null when the body is not JSON).
    async fn send(&self, request: Request<Body>) -> (StatusCode, String, Value) {
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
        (
            status,
            content_type,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, _, json) = self.call(method, path, body).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {json}");
        json
    }
}

fn state_of(dashboard: &Value, topic_id: u64) -> String {
    dashboard["progress"]
        .as_array()
        .expect("progress list")
        .iter()
        .find(|p| p["topic_id"] == topic_id)
        .map(|p| p["state"].as_str().unwrap_or("").to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn opening_a_topic_and_marking_it_confident_shows_on_the_dashboard() {
    let dir = tempfile::tempdir().expect("temp dir");
    let web = web_with_study(&dir.path().join("study.db"));

    let dashboard = web.ok("GET", "/api/study/dashboard", None).await;
    assert_eq!(
        dashboard["progress"].as_array().map(Vec::len),
        Some(33),
        "every topic has a tile"
    );
    assert_eq!(state_of(&dashboard, 3), "not-started");

    let opened = web.ok("POST", "/api/topics/rbac/opened", None).await;
    assert_eq!(opened["state"], "learning", "opening a topic starts it");
    let confident = web
        .ok(
            "PUT",
            "/api/topics/3/state",
            Some(json!({ "state": "confident" })),
        )
        .await;
    assert_eq!(confident["state"], "confident");

    let dashboard = web.ok("GET", "/api/study/dashboard", None).await;
    assert_eq!(state_of(&dashboard, 3), "confident");
    assert_ne!(
        dashboard["plan"]["next_topic"]["topic_id"], 3,
        "a confident topic is not proposed next"
    );

    let (status, content_type, problem) = web
        .call(
            "PUT",
            "/api/topics/3/state",
            Some(json!({ "state": "expert" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(content_type, "application/problem+json");
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("expert"),
        "{problem}"
    );

    let (status, _, problem) = web.call("POST", "/api/topics/99/opened", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
}

#[tokio::test]
async fn a_note_survives_a_restart_stays_literal_and_is_found_by_search() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("study.db");
    let text = "Rotate the id at login — <script>alert(1)</script> zanzibarquokka 🔐";
    {
        let web = web_with_study(&db);
        let saved = web
            .ok(
                "PUT",
                "/api/topics/2/note",
                Some(json!({ "markdown": text })),
            )
            .await;
        assert_eq!(saved["markdown"], text);
        assert!(saved["updated_at"].is_number(), "{saved}");
    }

    // A new app over the same file: the note is still there, byte for byte.
    let web = web_with_study(&db);
    let note = web
        .ok("GET", "/api/topics/session-cookies/note", None)
        .await;
    assert_eq!(note["markdown"], text);

    let hits = web.ok("GET", "/api/search?q=zanzibarquokka", None).await;
    let hits = hits.as_array().expect("a list of hits");
    let note_hit = hits
        .iter()
        .find(|h| h["hit"]["section"] == "note")
        .expect("the note is found");
    assert_eq!(note_hit["topic_slug"], "session-cookies");
    let marked: Vec<&str> = note_hit["hit"]["snippet"]
        .as_array()
        .expect("snippet parts")
        .iter()
        .filter(|part| part["highlighted"] == true)
        .filter_map(|part| part["text"].as_str())
        .collect();
    assert_eq!(marked, ["zanzibarquokka"], "the matched word is marked");

    // Topic text is searched too, and a query full of search syntax is just text.
    let hits = web.ok("GET", "/api/search?q=refresh%20token", None).await;
    assert!(
        hits.as_array().is_some_and(|h| !h.is_empty()),
        "topic text is indexed"
    );
    let hostile = web
        .ok("GET", "/api/search?q=%22NEAR(%20AND%20*", None)
        .await;
    assert!(hostile.is_array(), "{hostile}");
    let (status, _, _) = web.call("GET", "/api/search", None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a search without q is refused"
    );

    // Blank text deletes the note.
    let cleared = web
        .ok(
            "PUT",
            "/api/topics/2/note",
            Some(json!({ "markdown": "  " })),
        )
        .await;
    assert_eq!(cleared["markdown"], "");
    drop(web.ui);
}

#[tokio::test]
async fn reviewing_a_due_card_takes_it_out_of_the_queue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let web = web_with_study(&dir.path().join("study.db"));
    web.ok("POST", "/api/topics/1/opened", None).await;

    let queue = web.ok("GET", "/api/review", None).await;
    let cards = queue["cards"].as_array().expect("cards");
    assert!(
        !cards.is_empty(),
        "opening a topic makes its cards due: {queue}"
    );
    let first = &cards[0];
    assert!(first["prompt_html"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(first["answer_html"].as_str().is_some_and(|h| !h.is_empty()));
    let good = first["preview"]["good"]["interval_seconds"]
        .as_i64()
        .expect("good interval");
    let again = first["preview"]["again"]["interval_seconds"]
        .as_i64()
        .expect("again interval");
    assert!(again < good, "again comes back sooner than good");

    let id = first["card"]["id"].as_i64().expect("card id");
    let total = queue["due"]["total"].as_i64().expect("due total");
    let after = web
        .ok(
            "POST",
            &format!("/api/review/cards/{id}"),
            Some(json!({ "grade": "good" })),
        )
        .await;
    assert_eq!(
        after["due"]["total"].as_i64(),
        Some(total - 1),
        "one card fewer is due"
    );
    let still_there = after["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .any(|c| c["card"]["id"] == id);
    assert!(!still_there, "the graded card left the queue");

    let (status, _, _) = web
        .call(
            "POST",
            &format!("/api/review/cards/{id}"),
            Some(json!({ "grade": "perfect" })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown grade is refused"
    );
    let (status, _, problem) = web
        .call(
            "POST",
            "/api/review/cards/999999",
            Some(json!({ "grade": "good" })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
}

#[tokio::test]
async fn without_a_study_database_the_study_routes_say_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A file where the database folder should be: the database cannot be created.
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "x").expect("write blocker");
    let web = web_with_study(&blocker.join("study.db"));

    let (status, content_type, problem) = web.call("GET", "/api/study/dashboard", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(content_type, "application/problem+json");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("not-a-folder"),
        "{problem}"
    );
    // Topics still work.
    web.ok("GET", "/api/topics/1", None).await;
}

#[tokio::test]
async fn a_backup_survives_a_reset_and_a_bad_file_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("study.db");
    let web = web_with_study(&db);
    web.ok(
        "PUT",
        "/api/topics/5/note",
        Some(json!({ "markdown": "family revocation on reuse" })),
    )
    .await;
    web.ok(
        "PUT",
        "/api/topics/5/state",
        Some(json!({ "state": "confident" })),
    )
    .await;
    web.ok(
        "PUT",
        "/api/profile",
        Some(json!({ "stack_first": "rust", "interview_date": "2026-12-14", "daily_minutes": 60 })),
    )
    .await;

    let info = web.ok("GET", "/api/study/info", None).await;
    assert_eq!(
        info["path"].as_str(),
        db.to_str(),
        "the settings show where the data is"
    );

    let request = Request::builder()
        .uri("/api/study/backup")
        .header(header::HOST, format!("127.0.0.1:{PORT}"))
        .body(Body::empty())
        .expect("valid request");
    let response = web
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    assert!(
        response.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or("")
            .contains("backend-dojo-study.json"),
        "the backup downloads as a file"
    );
    let backup = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let backup = String::from_utf8(backup.to_vec()).expect("UTF-8 JSON");

    let (status, _, problem) = web
        .call(
            "POST",
            "/api/study/reset",
            Some(json!({ "confirm": "yes" })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reset needs the confirmation word: {problem}"
    );
    assert_eq!(
        web.ok("GET", "/api/topics/5/note", None).await["markdown"],
        "family revocation on reuse"
    );

    let left = web
        .ok(
            "POST",
            "/api/study/reset",
            Some(json!({ "confirm": "reset" })),
        )
        .await;
    assert_eq!(left["notes"], 0);
    assert!(
        left["cards"].as_u64().is_some_and(|n| n > 33),
        "the topics' cards are made again: {left}"
    );
    assert_eq!(
        web.ok("GET", "/api/topics/5/note", None).await["markdown"],
        ""
    );
    assert_eq!(
        state_of(&web.ok("GET", "/api/study/dashboard", None).await, 5),
        "not-started"
    );
    let profile = web.ok("GET", "/api/profile", None).await;
    assert_eq!(
        (
            &profile["first_run"],
            &profile["stack_first"],
            &profile["interview_date"]
        ),
        (&json!("pending"), &json!("express"), &Value::Null),
        "a reset forgets the first run's answers and offers the guided start again"
    );

    let (status, content_type, _) = web
        .call_text("POST", "/api/study/restore", "{\"format\": 42}")
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a file that is not a backup is refused"
    );
    assert_eq!(content_type, "application/problem+json");

    let (status, _, restored) = web.call_text("POST", "/api/study/restore", &backup).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["notes"], 1);
    assert_eq!(
        web.ok("GET", "/api/topics/5/note", None).await["markdown"],
        "family revocation on reuse"
    );
    assert_eq!(
        state_of(&web.ok("GET", "/api/study/dashboard", None).await, 5),
        "confident"
    );
    let profile = web.ok("GET", "/api/profile", None).await;
    assert_eq!(
        (
            &profile["first_run"],
            &profile["stack_first"],
            &profile["interview_date"],
            &profile["daily_minutes"]
        ),
        (
            &json!("done"),
            &json!("rust"),
            &json!("2026-12-14"),
            &json!(60)
        ),
        "the backup brings the profile back"
    );
}
