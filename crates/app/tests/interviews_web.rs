//! Mock interviews and STAR stories over web mode's HTTP routes, the way the mentor's
//! screen, the candidate's window and a topic page use them: a whole interview from setup
//! to summary, a candidate view that never carries an answer, stories with their check, and
//! problems that say what was wrong with bad input.

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

/// An answer from the router: status, content type, the raw body and the body as JSON.
struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
    json: Value,
}

/// Web mode over a fresh study database; the folder lives as long as the app.
struct App {
    router: Router,
    _data: TempDir,
}

impl App {
    fn new() -> App {
        let data = tempfile::tempdir().expect("temp dir");
        let ui = data.path().join("ui");
        std::fs::create_dir(&ui).expect("ui folder");
        std::fs::write(ui.join("index.html"), "<!doctype html><title>ui</title>\n")
            .expect("index.html");
        let study = Study::open(data.path().join("study.db"));
        let dojo = Dojo::load_with_study(study).expect("embedded topics load");
        App {
            router: router(dojo, &ui, PORT),
            _data: data,
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<String>) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, format!("127.0.0.1:{PORT}"));
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(body.map_or_else(Body::empty, Body::from))
            .expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            content_type,
            text,
            json,
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.send(method, path, body.map(|value| value.to_string()))
            .await
    }

    /// A call that must succeed; its JSON.
    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let answer = self.call(method, path, body).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{method} {path}: {}",
            answer.text
        );
        answer.json
    }

    /// A call that must fail with `status` as problem details; the problem.
    async fn problem(&self, method: &str, path: &str, body: Option<Value>, status: u16) -> Value {
        let answer = self.call(method, path, body).await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{method} {path}: {}",
            answer.text
        );
        assert_eq!(
            answer.content_type, "application/problem+json",
            "{method} {path}"
        );
        answer.json
    }

    async fn score(&self, id: i64, position: u32, scores: [u32; 5]) -> Value {
        let criteria = ["clarity", "depth", "trade-offs", "security", "structure"];
        let mut last = Value::Null;
        for (criterion, score) in criteria.into_iter().zip(scores) {
            let path = format!("/api/interviews/{id}/questions/{position}/score");
            last = self
                .ok(
                    "PUT",
                    &path,
                    Some(json!({ "criterion": criterion, "score": score })),
                )
                .await;
        }
        last
    }
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

/// Lines of a model answer long enough to be recognised if they leaked.
fn telling_lines(model_answer: &str) -> Vec<String> {
    model_answer
        .lines()
        .map(str::trim)
        .filter(|line| line.len() >= 40)
        .map(|line| line.chars().take(60).collect())
        .collect()
}

/// The candidate's view as JSON, checked to carry none of the mentor's material.
async fn candidate(app: &App, id: i64, mentor: &Value) -> Value {
    let answer = app
        .call("GET", &format!("/api/interviews/{id}/candidate"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    for key in ["model_answer", "follow_ups", "scores", "note", "rubric"] {
        assert!(
            !answer.text.contains(key),
            "the candidate view has no {key:?}: {}",
            answer.text
        );
    }
    for question in mentor["interview"]["questions"]
        .as_array()
        .expect("questions")
    {
        let model_answer = question["model_answer"].as_str().expect("model answer");
        let lines = telling_lines(model_answer);
        assert!(
            !lines.is_empty(),
            "topic {} has a model answer to hide",
            question["topic_id"]
        );
        for line in lines {
            assert!(
                !answer.text.contains(&line),
                "the candidate view leaks {line:?}"
            );
        }
    }
    answer.json
}

#[tokio::test]
async fn a_three_question_interview_runs_from_setup_to_summary() {
    let app = App::new();
    let setup = json!({
        "name": "Ana, backend loop",
        "preset": null,
        "topic_ids": [1, 17, 10],
        "seconds_per_question": 120
    });
    let created = app.ok("POST", "/api/interviews", Some(setup)).await;
    let id = created["interview"]["id"].as_i64().expect("interview id");
    assert_eq!(created["interview"]["status"], "not-started");
    assert_eq!(created["interview"]["total"], 3);
    let topics: Vec<u64> = created["interview"]["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .filter_map(|q| q["topic_id"].as_u64())
        .collect();
    assert_eq!(
        topics,
        [1, 17, 10],
        "questions follow the chosen topics in order"
    );
    let rendered = created["rendered"].as_array().expect("rendered answers");
    assert_eq!(rendered.len(), 3);
    let answer_html = rendered[1]["model_answer_html"]
        .as_str()
        .unwrap_or_default();
    assert!(
        answer_html.contains("<p>"),
        "the model answer is HTML: {answer_html}"
    );
    assert!(
        rendered[1]["follow_ups"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "rate limiting has follow-ups to ask"
    );
    let rubric = created["interview"]["rubric"].as_array().expect("rubric");
    assert_eq!(rubric.len(), 5, "five criteria");
    assert!(
        rubric
            .iter()
            .all(|c| c["levels"].as_array().map(Vec::len) == Some(4))
    );

    let waiting = candidate(&app, id, &created).await;
    assert_eq!(waiting["status"], "not-started");
    assert_eq!(
        waiting["question"],
        Value::Null,
        "nothing is asked before the start"
    );

    let started = app
        .ok("POST", &format!("/api/interviews/{id}/start"), None)
        .await;
    assert_eq!(started["interview"]["status"], "in-progress");
    assert_eq!(started["interview"]["timer"]["running"], true);
    assert_eq!(started["interview"]["timer"]["seconds_per_question"], 120);
    let first = candidate(&app, id, &started).await;
    assert_eq!(first["index"], 0);
    assert_eq!(first["total"], 3);
    assert_eq!(
        first["question"],
        started["interview"]["questions"][0]["question"]
    );
    assert_eq!(first["timer"]["running"], true);

    // Clarity is strong throughout, depth weak after the first answer: one strength, one
    // gap, and the rate limiting answer (2.2 on average) sends its topic back to review.
    app.score(id, 0, [4, 4, 3, 3, 3]).await;
    let noted = app
        .ok(
            "PUT",
            &format!("/api/interviews/{id}/questions/0/note"),
            Some(json!({ "note": "Good on expiry; never mentioned key rotation." })),
        )
        .await;
    assert_eq!(
        noted["interview"]["questions"][0]["note"],
        "Good on expiry; never mentioned key rotation."
    );
    assert_eq!(noted["interview"]["questions"][0]["average"], 3.4);

    let second = app
        .ok("POST", &format!("/api/interviews/{id}/next"), None)
        .await;
    assert_eq!(second["interview"]["current_index"], 1);
    let shown = candidate(&app, id, &second).await;
    assert_eq!(shown["index"], 1, "the candidate follows the mentor");
    assert_eq!(
        shown["question"],
        second["interview"]["questions"][1]["question"]
    );
    app.score(id, 1, [4, 1, 2, 2, 2]).await;

    let paused = app
        .ok("POST", &format!("/api/interviews/{id}/pause"), None)
        .await;
    assert_eq!(paused["interview"]["timer"]["running"], false);
    assert_eq!(
        candidate(&app, id, &paused).await["timer"]["running"],
        false
    );
    let resumed = app
        .ok("POST", &format!("/api/interviews/{id}/resume"), None)
        .await;
    assert_eq!(resumed["interview"]["timer"]["running"], true);

    // Back to the first question and forward again, as a mentor checking a note would.
    let back = app
        .ok(
            "PUT",
            &format!("/api/interviews/{id}/question"),
            Some(json!({ "index": 0 })),
        )
        .await;
    assert_eq!(back["interview"]["current_index"], 0);
    assert_eq!(candidate(&app, id, &back).await["index"], 0);
    app.ok(
        "PUT",
        &format!("/api/interviews/{id}/question"),
        Some(json!({ "index": 2 })),
    )
    .await;
    let last = app.score(id, 2, [4, 1, 3, 3, 3]).await;
    assert_eq!(candidate(&app, id, &last).await["index"], 2);
    let past_the_end = app
        .problem("POST", &format!("/api/interviews/{id}/next"), None, 422)
        .await;
    assert!(
        detail(&past_the_end).contains("last question"),
        "{past_the_end}"
    );

    let summary = app
        .ok("POST", &format!("/api/interviews/{id}/finish"), None)
        .await;
    assert_eq!(summary["status"], "finished");
    assert_eq!(summary["strengths"], json!(["clarity"]));
    assert_eq!(summary["gaps"], json!(["depth"]));
    let review: Vec<u64> = summary["topics_to_review"]
        .as_array()
        .expect("topics to review")
        .iter()
        .filter_map(|t| t["topic_id"].as_u64())
        .collect();
    assert_eq!(
        review,
        [17],
        "only the weak answer's topic goes back to review"
    );
    let overall = summary["overall_average"]
        .as_f64()
        .expect("overall average");
    assert!((overall - 42.0 / 15.0).abs() < 1e-9, "overall {overall}");
    assert_eq!(
        app.ok("GET", &format!("/api/interviews/{id}/summary"), None)
            .await,
        summary
    );

    // The weak topic's cards are now due in the learner's review queue.
    let queue = app.ok("GET", "/api/review", None).await;
    let due_topics: Vec<u64> = queue["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .filter_map(|c| c["card"]["topic_id"].as_u64())
        .collect();
    assert!(
        due_topics.contains(&17),
        "topic 17's cards are due: {due_topics:?}"
    );

    let finished = app.ok("GET", &format!("/api/interviews/{id}"), None).await;
    let ended = candidate(&app, id, &finished).await;
    assert_eq!(ended["status"], "finished");
    assert_eq!(
        ended["question"],
        Value::Null,
        "nothing is shown after the end"
    );
    let locked = app
        .problem(
            "PUT",
            &format!("/api/interviews/{id}/questions/0/score"),
            Some(json!({ "criterion": "depth", "score": 4 })),
            422,
        )
        .await;
    assert!(detail(&locked).contains("finished"), "{locked}");

    let list = app.ok("GET", "/api/interviews", None).await;
    let item = &list.as_array().expect("list")[0];
    assert_eq!(item["id"], id);
    assert_eq!(item["name"], "Ana, backend loop");
    assert_eq!(item["status"], "finished");
    assert_eq!(item["question_count"], 3);
    assert_eq!(item["overall_average"], summary["overall_average"]);
    assert!(item["finished_at"].is_number());
}

#[tokio::test]
async fn a_preset_interview_lists_newest_first_and_can_be_deleted() {
    let app = App::new();
    let options = app.ok("GET", "/api/interviews/options", None).await;
    let presets: Vec<&str> = options["presets"]
        .as_array()
        .expect("presets")
        .iter()
        .filter_map(|p| p["preset"].as_str())
        .collect();
    assert_eq!(presets, ["auth", "data", "security", "full-loop"]);
    assert_eq!(options["rubric"].as_array().map(Vec::len), Some(5));
    let seconds = options["default_seconds_per_question"]
        .as_u64()
        .expect("default time");
    let min = options["min_seconds_per_question"].as_u64().expect("min");
    let max = options["max_seconds_per_question"].as_u64().expect("max");
    assert!(min <= seconds && seconds <= max, "{options}");

    let setup =
        |name: &str| json!({ "name": name, "preset": "security", "seconds_per_question": seconds });
    let older = app
        .ok("POST", "/api/interviews", Some(setup("First try")))
        .await;
    let newer = app.ok("POST", "/api/interviews", Some(setup(""))).await;
    assert_eq!(
        newer["interview"]["name"], "Mock interview",
        "a blank name gets a default"
    );
    assert_eq!(newer["interview"]["preset"], "security");
    assert_eq!(newer["interview"]["total"], 5);

    let list = app.ok("GET", "/api/interviews", None).await;
    let ids: Vec<&Value> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(
        ids,
        [&newer["interview"]["id"], &older["interview"]["id"]],
        "newest first"
    );

    let id = older["interview"]["id"].as_i64().expect("id");
    let left = app
        .ok("DELETE", &format!("/api/interviews/{id}"), None)
        .await;
    let left: Vec<&Value> = left
        .as_array()
        .expect("list")
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(
        left,
        [&newer["interview"]["id"]],
        "the answer is the list without it"
    );
    app.problem("GET", &format!("/api/interviews/{id}"), None, 404)
        .await;
    app.problem("DELETE", &format!("/api/interviews/{id}"), None, 404)
        .await;
    assert_eq!(
        app.ok("GET", "/api/interviews", None)
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn stories_round_trip_with_their_check() {
    let app = App::new();
    let draft = json!({
        "title": "Login brute force",
        "situation": "A bot was stuffing stolen passwords into our login form.",
        "task": "Stop it",
        "action": "",
        "result": "Everyone slept better afterwards, really."
    });
    let live = app
        .ok("POST", "/api/stories/check", Some(draft.clone()))
        .await;
    let parts: Vec<&str> = live
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["part"].as_str())
        .collect();
    assert_eq!(
        parts,
        ["task", "action", "result"],
        "thin task, no action, no number: {live}"
    );

    // A draft with issues is still saved, and comes back with them.
    let saved = app
        .ok("POST", "/api/topics/rate-limiting/stories", Some(draft))
        .await;
    let id = saved["id"].as_i64().expect("story id");
    assert_eq!(saved["topic_id"], 17, "the slug names topic 17");
    assert_eq!(
        saved["issues"], live,
        "the saved story carries the same check"
    );
    let measurable = saved["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .find(|i| i["part"] == "result")
        .and_then(|i| i["message"].as_str())
        .unwrap_or_default();
    assert!(measurable.contains("measurable"), "{measurable}");

    let complete = json!({
        "title": "Login brute force",
        "situation": "A bot was stuffing stolen passwords into our login form.",
        "task": "Stop the attack without locking out real customers.",
        "action": "Added a token bucket per account and per address in Redis.",
        "result": "Failed logins fell by 97% within one day."
    });
    let updated = app
        .ok("PUT", &format!("/api/stories/{id}"), Some(complete))
        .await;
    assert_eq!(
        updated["issues"],
        json!([]),
        "a complete story passes: {updated}"
    );
    assert_eq!(
        updated["topic_id"], 17,
        "an edit keeps the story on its topic"
    );

    let listed = app.ok("GET", "/api/topics/17/stories", None).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(
        listed[0]["result"],
        "Failed logins fell by 97% within one day."
    );
    let elsewhere = app.ok("GET", "/api/topics/1/stories", None).await;
    assert_eq!(elsewhere, json!([]), "another topic has no stories");

    let left = app.ok("DELETE", &format!("/api/stories/{id}"), None).await;
    assert_eq!(
        left,
        json!([]),
        "the answer is the topic's stories without it"
    );
    assert_eq!(
        app.ok("GET", "/api/topics/17/stories", None).await,
        json!([])
    );
    let again = app
        .problem("DELETE", &format!("/api/stories/{id}"), None, 404)
        .await;
    assert!(detail(&again).contains(&id.to_string()), "{again}");
    app.problem(
        "PUT",
        &format!("/api/stories/{id}"),
        Some(json!({ "title": "x", "situation": "",
        "task": "", "action": "", "result": "" })),
        404,
    )
    .await;
    app.problem("GET", "/api/topics/no-such-topic/stories", None, 404)
        .await;

    let huge = json!({ "title": "t", "situation": "s".repeat(20_001), "task": "", "action": "",
        "result": "" });
    let refused = app
        .problem("POST", "/api/topics/17/stories", Some(huge), 422)
        .await;
    assert!(detail(&refused).contains("situation"), "{refused}");
}

#[tokio::test]
async fn bad_input_gets_a_problem_that_names_it() {
    let app = App::new();
    let missing = app.problem("GET", "/api/interviews/4242", None, 404).await;
    assert!(detail(&missing).contains("4242"), "{missing}");
    app.problem("GET", "/api/interviews/4242/candidate", None, 404)
        .await;
    app.problem("POST", "/api/interviews/4242/start", None, 404)
        .await;
    let not_a_number = app
        .problem("GET", "/api/interviews/latest", None, 400)
        .await;
    assert!(
        detail(&not_a_number).contains("whole numbers"),
        "{not_a_number}"
    );

    let setup = |topics: Value, preset: Value, seconds: u32| json!({ "name": "x", "preset": preset, "topic_ids": topics, "seconds_per_question": seconds });
    let both = app
        .problem(
            "POST",
            "/api/interviews",
            Some(setup(json!([1]), json!("auth"), 120)),
            422,
        )
        .await;
    assert!(detail(&both).contains("not both"), "{both}");
    let neither = app
        .problem(
            "POST",
            "/api/interviews",
            Some(setup(json!([]), Value::Null, 120)),
            422,
        )
        .await;
    assert!(detail(&neither).contains("at least one topic"), "{neither}");
    let too_quick = app
        .problem(
            "POST",
            "/api/interviews",
            Some(setup(json!([1]), Value::Null, 5)),
            422,
        )
        .await;
    assert!(detail(&too_quick).contains("5 seconds"), "{too_quick}");
    app.problem(
        "POST",
        "/api/interviews",
        Some(setup(json!([1, 99]), Value::Null, 120)),
        404,
    )
    .await;
    let unknown_preset = app
        .problem(
            "POST",
            "/api/interviews",
            Some(setup(json!([]), json!("frontend"), 120)),
            422,
        )
        .await;
    assert!(
        detail(&unknown_preset).contains("frontend"),
        "{unknown_preset}"
    );

    let broken = app
        .send("POST", "/api/interviews", Some("{\"name\": ".to_owned()))
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{}", broken.text);
    assert_eq!(broken.content_type, "application/problem+json");

    let created = app
        .ok(
            "POST",
            "/api/interviews",
            Some(setup(json!([3, 4]), Value::Null, 60)),
        )
        .await;
    let id = created["interview"]["id"].as_i64().expect("id");
    let early = app
        .problem("POST", &format!("/api/interviews/{id}/next"), None, 422)
        .await;
    assert!(detail(&early).contains("not started"), "{early}");
    app.ok("POST", &format!("/api/interviews/{id}/start"), None)
        .await;

    let score_path = format!("/api/interviews/{id}/questions/0/score");
    let high = app
        .problem(
            "PUT",
            &score_path,
            Some(json!({ "criterion": "depth", "score": 5 })),
            422,
        )
        .await;
    assert!(detail(&high).contains("1 to 4"), "{high}");
    app.problem(
        "PUT",
        &score_path,
        Some(json!({ "criterion": "depth", "score": 0 })),
        422,
    )
    .await;
    let unknown = app
        .problem(
            "PUT",
            &score_path,
            Some(json!({ "criterion": "charisma", "score": 3 })),
            422,
        )
        .await;
    assert!(detail(&unknown).contains("charisma"), "{unknown}");
    app.problem(
        "PUT",
        &format!("/api/interviews/{id}/questions/7/score"),
        Some(json!({ "criterion": "depth", "score": 3 })),
        422,
    )
    .await;
    app.problem(
        "PUT",
        &format!("/api/interviews/{id}/questions/-1/note"),
        Some(json!({ "note": "x" })),
        400,
    )
    .await;
    let jump = app
        .problem(
            "PUT",
            &format!("/api/interviews/{id}/question"),
            Some(json!({ "index": 9 })),
            422,
        )
        .await;
    assert!(!detail(&jump).is_empty(), "{jump}");
    let wrong_type = app
        .send(
            "PUT",
            &format!("/api/interviews/{id}/questions/0/note"),
            Some("[1, 2]".into()),
        )
        .await;
    assert_eq!(
        wrong_type.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong_type.text
    );

    // Nothing of that changed the interview.
    let view = app.ok("GET", &format!("/api/interviews/{id}"), None).await;
    assert_eq!(view["interview"]["questions"][0]["scores"], json!([]));
    assert_eq!(view["interview"]["current_index"], 0);
}
