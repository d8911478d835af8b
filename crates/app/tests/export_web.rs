//! PDF export through web mode, as the Export dialog drives it: start a job, follow its
//! progress, download the PDF and its first-page preview. The learner's note must come
//! out in the study guide exactly as typed.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dojo_app::Dojo;
use dojo_app::web::router;
use dojo_study::Study;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const PORT: u16 = 48_923;
/// A debug build typesets the whole guide in seconds; this is only the give-up point.
const EXPORT_DEADLINE: Duration = Duration::from_secs(120);
const POLL_EVERY: Duration = Duration::from_millis(50);

struct Answer {
    status: StatusCode,
    content_type: String,
    disposition: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

async fn call(router: &Router, method: &str, path: &str, body: Option<Value>) -> Answer {
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
    let response = router
        .clone()
        .oneshot(request.body(body).expect("valid request"))
        .await
        .expect("router answers");
    let header_text = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (status, content_type, disposition) = (
        response.status(),
        header_text(header::CONTENT_TYPE),
        header_text(header::CONTENT_DISPOSITION),
    );
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body reads")
        .to_bytes()
        .to_vec();
    Answer {
        status,
        content_type,
        disposition,
        body,
    }
}

/// Follows a job until it is done, checking that its progress never goes backwards.
async fn finished_job(router: &Router, id: u64) -> Value {
    let started = Instant::now();
    let mut last_progress = 0.0;
    loop {
        let job = call(router, "GET", &format!("/api/export/jobs/{id}"), None)
            .await
            .json();
        let progress = job["progress"].as_f64().expect("progress");
        assert!(progress >= last_progress, "progress went back: {job}");
        last_progress = progress;
        match job["state"].as_str() {
            Some("done") => return job,
            Some("running") => {}
            _ => panic!("the export failed: {job}"),
        }
        assert!(
            started.elapsed() < EXPORT_DEADLINE,
            "the export is still running: {job}"
        );
        // Polled like the dialog polls it; the check above is what the test waits for.
        std::thread::sleep(POLL_EVERY);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_study_guide_with_a_note_downloads_as_pdf_with_a_preview() {
    let data = tempfile::tempdir().expect("temp dir");
    let ui = tempfile::tempdir().expect("temp dir");
    std::fs::write(ui.path().join("index.html"), "<!doctype html>\n").expect("index.html");
    let dojo =
        Dojo::load_with_study(Study::open(data.path().join("study.db"))).expect("topics load");
    let router = router(dojo, ui.path(), PORT);

    let note = "Rotate on login #import \"x\" $5 ] *bold* <script>";
    let saved = call(
        &router,
        "PUT",
        "/api/topics/2/note",
        Some(json!({ "markdown": note })),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK);

    let request =
        json!({ "kind": "guide", "topics": [2], "code": "express", "include_notes": true });
    let started = call(&router, "POST", "/api/export/pdf", Some(request)).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.json());
    let id = started.json()["id"].as_u64().expect("job id");

    let job = finished_job(&router, id).await;
    assert!(job["pages"].as_u64().is_some_and(|p| p >= 2), "{job}");

    let pdf = call(&router, "GET", &format!("/api/export/jobs/{id}/file"), None).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(
        pdf.disposition.contains("backend-dojo-guide.pdf"),
        "{}",
        pdf.disposition
    );
    assert!(pdf.body.starts_with(b"%PDF-"), "a PDF file");
    assert_eq!(job["bytes"].as_u64(), Some(pdf.body.len() as u64));

    // The note prints literally: none of its characters is read as Typst markup.
    let file = data.path().join("guide.pdf");
    std::fs::write(&file, &pdf.body).expect("write pdf");
    let text = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Session cookies"),
        "the topic is in the guide"
    );
    assert!(
        text.contains("#import \"x\" $5 ] *bold* <script>"),
        "the note is printed as typed:\n{text}"
    );

    let preview = call(
        &router,
        "GET",
        &format!("/api/export/jobs/{id}/preview.png"),
        None,
    )
    .await;
    assert_eq!(preview.content_type, "image/png");
    assert!(
        preview.body.starts_with(b"\x89PNG"),
        "a PNG picture of page one"
    );
}

#[tokio::test]
async fn bad_export_requests_are_refused_with_their_reason() {
    let ui = tempfile::tempdir().expect("temp dir");
    std::fs::write(ui.path().join("index.html"), "<!doctype html>\n").expect("index.html");
    let router = router(Dojo::load().expect("topics load"), ui.path(), PORT);

    let wrong_kind =
        json!({ "kind": "poster", "topics": [], "code": "express", "include_notes": false });
    let answer = call(&router, "POST", "/api/export/pdf", Some(wrong_kind)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.json()["detail"]
            .as_str()
            .unwrap_or("")
            .contains("poster")
    );

    let unknown_topic =
        json!({ "kind": "guide", "topics": [1, 99], "code": "express", "include_notes": false });
    let answer = call(&router, "POST", "/api/export/pdf", Some(unknown_topic)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.content_type, "application/problem+json");

    let answer = call(
        &router,
        "POST",
        "/api/export/pdf",
        Some(json!({ "kind": "guide" })),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing fields are named"
    );

    let answer = call(&router, "GET", "/api/export/jobs/4242", None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finished_mock_interview_exports_as_a_report() {
    use dojo_study::{InterviewSetup, RubricCriterion};

    let data = tempfile::tempdir().expect("temp dir");
    let db = data.path().join("study.db");
    // The mentor's side, written through the study crate as the mentor screen does.
    let mentor = Study::open(&db).expect("study opens");
    mentor
        .sync_library(&dojo_content::Library::embedded().expect("topics"))
        .expect("sync");
    let setup = InterviewSetup {
        name: "Grace Hopper".into(),
        preset: None,
        topic_ids: vec![1, 17],
        seconds_per_question: 120,
    };
    let id = mentor
        .create_interview(&dojo_content::Library::embedded().expect("topics"), &setup)
        .expect("create")
        .id;
    mentor.start_interview(id).expect("start");
    for criterion in RubricCriterion::ALL {
        mentor
            .score_answer(id, 0, criterion, 4)
            .expect("score the first answer");
        mentor
            .score_answer(id, 1, criterion, 1)
            .expect("score the second answer");
    }
    mentor
        .set_interview_note(id, 1, "Mixed up token bucket and fixed window.")
        .expect("note");
    mentor.finish_interview(id).expect("finish");

    let ui = tempfile::tempdir().expect("temp dir");
    std::fs::write(ui.path().join("index.html"), "<!doctype html>\n").expect("index.html");
    let router = router(
        Dojo::load_with_study(Study::open(&db)).expect("topics load"),
        ui.path(),
        PORT,
    );

    let request = json!({ "kind": "report", "topics": [], "code": "express", "include_notes": false, "interview_id": id });
    let started = call(&router, "POST", "/api/export/pdf", Some(request)).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.json());
    let job_id = started.json()["id"].as_u64().expect("job id");
    let job = finished_job(&router, job_id).await;
    assert_eq!(job["file_name"], format!("backend-dojo-interview-{id}.pdf"));

    let pdf = call(
        &router,
        "GET",
        &format!("/api/export/jobs/{job_id}/file"),
        None,
    )
    .await;
    let file = data.path().join("report.pdf");
    std::fs::write(&file, &pdf.body).expect("write pdf");
    let text = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Grace Hopper"),
        "the candidate is named:\n{text}"
    );
    assert!(
        text.contains("Mixed up token bucket and fixed window."),
        "the mentor's note is printed"
    );
    assert!(
        text.contains("Rate limiting") || text.contains("17"),
        "the weak topic is listed to review"
    );

    let missing =
        json!({ "kind": "report", "topics": [], "code": "express", "include_notes": false });
    let answer = call(&router, "POST", "/api/export/pdf", Some(missing)).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a report needs its interview"
    );
    let unknown = json!({ "kind": "report", "topics": [], "code": "express", "include_notes": false, "interview_id": 999 });
    let answer = call(&router, "POST", "/api/export/pdf", Some(unknown)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}
