//! Topic 23, the webhook receiver: signatures checked over the raw body, the replay window,
//! idempotency by event id, the answer before the work, the break-it switches, and the
//! built-in sender over a real socket.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{
    DEADLINE, Dojo, Reply, assert_problem, config, layer, request, unix_now, webhook_signature,
};
use dojo_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tokio::time::Instant;

const RECEIVE: &str = "/api/v1/webhooks/receive";
const SECRET: &str = "whsec_backend_dojo_test_secret";

fn webhook_config() -> SandboxConfig {
    SandboxConfig {
        webhook_secret: SECRET.into(),
        ..config()
    }
}

fn event(id: &str) -> String {
    format!(
        "{{\n  \"id\": \"{id}\",\n  \"type\": \"invoice.paid\",\n  \"data\": {{ \"object\": {{ \"amount_paid\": 1999 }} }}\n}}"
    )
}

async fn deliver(dojo: &Dojo, signature: Option<&str>, body: &str) -> Reply {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(signature) = signature {
        headers.push(("dojo-signature", signature));
    }
    dojo.send(request(
        Method::POST,
        RECEIVE,
        &headers,
        Body::from(body.to_owned()),
    ))
    .await
}

/// Polls the event until its work has run.
async fn processed(dojo: &Dojo, id: &str) -> Value {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let reply = dojo.get(&format!("/api/v1/webhooks/events/{id}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let event = reply.json();
        if event["status"] == "processed" {
            return event;
        }
        assert!(
            Instant::now() < deadline,
            "{id} was never processed: {event}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_valid_delivery_is_answered_at_once_and_its_work_runs_after() {
    let dojo = Dojo::with(webhook_config());
    let body = event("evt_valid_1");
    let reply = deliver(
        &dojo,
        Some(&webhook_signature(SECRET, unix_now(), &body)),
        &body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({ "received": true, "duplicate": false, "event_id": "evt_valid_1" })
    );
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(layer(&trace, "webhook_signature")["decision"], "passed");
    assert_eq!(layer(&trace, "webhook_replay_window")["decision"], "passed");
    assert_eq!(
        layer(&trace, "webhook_idempotency")["reason"],
        "new event evt_valid_1 recorded; its work runs after the answer"
    );

    // The work takes a quarter of a second; the answer did not wait for it.
    let listed = dojo.get("/api/v1/webhooks/events").await.json();
    assert_eq!(listed[0]["id"], "evt_valid_1", "{listed}");
    assert_eq!(listed[0]["status"], "received", "{listed}");
    assert_eq!(listed[0]["times_processed"], 0, "{listed}");
    assert_eq!(listed[0]["payload"]["data"]["object"]["amount_paid"], 1999);

    let done = processed(&dojo, "evt_valid_1").await;
    assert_eq!(done["times_processed"], 1);
    let waited = done["processed_at"].as_u64().expect("processed_at")
        - done["received_at"].as_u64().expect("received_at");
    assert!(
        waited >= 250,
        "the work ran {waited} ms after the event arrived"
    );
}

#[tokio::test]
async fn each_refusal_names_the_check_that_decided() {
    let dojo = Dojo::with(webhook_config());
    let body = event("evt_refused");
    let now = unix_now();
    let good = webhook_signature(SECRET, now, &body);
    let compact: String = body.split_whitespace().collect::<Vec<_>>().join("");
    let cases: Vec<(&str, Option<String>, String, &str, &str)> = vec![
        (
            "no header",
            None,
            body.clone(),
            "webhook_signature",
            "no Dojo-Signature header",
        ),
        (
            "no timestamp",
            Some(good.split(',').nth(1).expect("v1 part").to_owned()),
            body.clone(),
            "webhook_signature",
            "malformed Dojo-Signature header: no t= timestamp",
        ),
        (
            "no signature",
            Some(format!("t={now}")),
            body.clone(),
            "webhook_signature",
            "malformed Dojo-Signature header: no v1= signature",
        ),
        (
            "not hex",
            Some(format!("t={now},v1=not-hex")),
            body.clone(),
            "webhook_signature",
            "malformed Dojo-Signature header: a v1= value is not hex",
        ),
        (
            "wrong secret",
            Some(webhook_signature("whsec_guessed", now, &body)),
            body.clone(),
            "webhook_signature",
            "no v1 signature matches: the body was not signed with this endpoint's secret, or was changed after signing",
        ),
        (
            "altered body",
            Some(good.clone()),
            body.replace("1999", "1"),
            "webhook_signature",
            "no v1 signature matches: the body was not signed with this endpoint's secret, or was changed after signing",
        ),
        (
            "re-serialised body",
            Some(good.clone()),
            compact,
            "webhook_signature",
            "no v1 signature matches: the body was not signed with this endpoint's secret, or was changed after signing",
        ),
        (
            "timestamp swapped",
            Some(good.replacen(&format!("t={now}"), &format!("t={}", now + 1), 1)),
            body.clone(),
            "webhook_signature",
            "no v1 signature matches: the body was not signed with this endpoint's secret, or was changed after signing",
        ),
        (
            "stale",
            Some(webhook_signature(SECRET, now - 600, &body)),
            body.clone(),
            "webhook_replay_window",
            "timestamp outside the tolerance: signed 60",
        ),
    ];
    for (name, signature, sent, refusing_layer, reason) in cases {
        let reply = deliver(&dojo, signature.as_deref(), &sent).await;
        // A second may tick between signing and checking: compare up to the age's first digits.
        let problem = assert_problem(&reply, 400);
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.starts_with(reason), "{name}: {detail}");
        let trace = dojo.trace(&reply.request_id()).await;
        let decided = layer(&trace, refusing_layer);
        assert_eq!(decided["decision"], "short_circuited", "{name}: {trace:#}");
        assert_eq!(decided["status"], 400, "{name}");
        assert_eq!(decided["reason"], detail, "{name}");
    }
    // A timestamp from the future is refused as well (the clock of whoever sent it is off).
    let ahead = deliver(
        &dojo,
        Some(&webhook_signature(SECRET, now + 900, &body)),
        &body,
    )
    .await;
    let detail = assert_problem(&ahead, 400)["detail"].to_string();
    assert!(detail.contains("in the future"), "{detail}");
    // Nothing refused was recorded.
    assert_eq!(dojo.get("/api/v1/webhooks/events").await.json(), json!([]));
}

#[tokio::test]
async fn a_duplicate_is_acknowledged_and_its_work_does_not_run_again() {
    let dojo = Dojo::with(webhook_config());
    let body = event("evt_twice");
    let first = webhook_signature(SECRET, unix_now() - 30, &body);
    assert_eq!(
        deliver(&dojo, Some(&first), &body).await.status,
        StatusCode::OK
    );

    // A provider's retry: same id and body, a fresh timestamp and signature.
    let retry = deliver(
        &dojo,
        Some(&webhook_signature(SECRET, unix_now(), &body)),
        &body,
    )
    .await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text());
    assert_eq!(retry.json()["duplicate"], true);
    let trace = dojo.trace(&retry.request_id()).await;
    let idempotency = layer(&trace, "webhook_idempotency");
    assert_eq!(idempotency["decision"], "short_circuited");
    assert_eq!(
        idempotency["reason"],
        "duplicate event evt_twice: already received, answered 200 and nothing ran"
    );
    // A replay of the very first bytes inside the window: the id catches it too.
    assert_eq!(
        deliver(&dojo, Some(&first), &body).await.json()["duplicate"],
        true
    );

    let done = processed(&dojo, "evt_twice").await;
    assert_eq!(done["deliveries"], 3);
    assert_eq!(done["times_processed"], 1);
    assert_eq!(
        dojo.get("/api/v1/webhooks/events")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn one_matching_signature_among_several_is_enough() {
    let dojo = Dojo::with(webhook_config());
    let body = event("evt_rotation");
    let now = unix_now();
    let old = webhook_signature("whsec_previous_secret", now, &body);
    let new = webhook_signature(SECRET, now, &body);
    let both = format!("{old},{}", new.split(',').nth(1).expect("v1 part"));
    let reply = deliver(&dojo, Some(&both), &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let only_old = deliver(&dojo, Some(&old), &event("evt_rotation_2")).await;
    assert_problem(&only_old, 400);
}

#[tokio::test]
async fn a_verified_delivery_still_needs_an_event_id_and_type() {
    let dojo = Dojo::with(webhook_config());
    for (body, detail) in [
        ("not json at all", "the event is not a JSON object"),
        (
            r#"{"type":"invoice.paid"}"#,
            "the event has no \"id\" string",
        ),
        (
            r#"{"id":"evt_1","type":""}"#,
            "the event has no \"type\" string",
        ),
    ] {
        let reply = deliver(
            &dojo,
            Some(&webhook_signature(SECRET, unix_now(), body)),
            body,
        )
        .await;
        assert_eq!(assert_problem(&reply, 400)["detail"], detail, "{body}");
    }
    let unknown = dojo.get("/api/v1/webhooks/events/evt_nope").await;
    assert_problem(&unknown, 404);
}

#[tokio::test]
async fn the_tolerance_comes_from_the_config() {
    let dojo = Dojo::with(SandboxConfig {
        webhook_tolerance: Duration::from_secs(60),
        ..webhook_config()
    });
    let body = event("evt_tolerance");
    let reply = deliver(
        &dojo,
        Some(&webhook_signature(SECRET, unix_now() - 120, &body)),
        &body,
    )
    .await;
    let detail = assert_problem(&reply, 400)["detail"].to_string();
    assert!(
        detail.contains("timestamp outside the tolerance: signed 12")
            && detail.contains("s ago, the tolerance is 60 s"),
        "{detail}"
    );
}

#[tokio::test]
async fn the_break_it_switches_let_forged_and_stale_events_in_until_reset() {
    let dojo = Dojo::with(webhook_config());
    let forged = event("evt_forged");
    let forged_signature = webhook_signature("whsec_attacker", unix_now(), &forged);
    assert_problem(&deliver(&dojo, Some(&forged_signature), &forged).await, 400);

    dojo.switch("webhook-skip-signature", true).await;
    let reply = deliver(&dojo, Some(&forged_signature), &forged).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let unsigned = deliver(&dojo, None, &event("evt_unsigned")).await;
    assert_eq!(unsigned.status, StatusCode::OK, "{}", unsigned.text());
    let trace = dojo.trace(&unsigned.request_id()).await;
    assert_eq!(
        layer(&trace, "webhook_signature")["reason"],
        "not checked: webhook-skip-signature is on, so anyone can post any event"
    );
    dojo.switch("webhook-skip-signature", false).await;

    let stale = event("evt_stale");
    let stale_signature = webhook_signature(SECRET, unix_now() - 3600, &stale);
    assert_problem(&deliver(&dojo, Some(&stale_signature), &stale).await, 400);
    dojo.switch("webhook-skip-timestamp", true).await;
    let replayed = deliver(&dojo, Some(&stale_signature), &stale).await;
    assert_eq!(replayed.status, StatusCode::OK, "{}", replayed.text());
    // The signature is still checked with only the timestamp check off.
    assert_problem(
        &deliver(&dojo, Some(&forged_signature), &event("evt_forged_2")).await,
        400,
    );

    dojo.reset_topic(23).await;
    assert_eq!(dojo.get("/api/v1/webhooks/events").await.json(), json!([]));
    assert_problem(&deliver(&dojo, Some(&stale_signature), &stale).await, 400);
    assert_problem(&deliver(&dojo, Some(&forged_signature), &forged).await, 400);
}

/// The sender's answer for one kind, over the socket.
async fn fire(client: &reqwest::Client, base: &str, kind: &str) -> Value {
    let reply = client
        .post(format!("{base}/api/v1/webhooks/send"))
        .json(&json!({ "kind": kind }))
        .send()
        .await
        .expect("the sender answers");
    assert_eq!(reply.status(), StatusCode::OK);
    reply.json().await.expect("JSON")
}

fn decision(sandbox: &Sandbox, report: &Value, name: &str) -> Value {
    let id = report["receiver"]["request_id"]
        .as_str()
        .unwrap_or_else(|| panic!("the receiver's request id: {report}"));
    let trace = sandbox
        .state
        .traces
        .get(id)
        .expect("the receiver's trace is kept");
    let trace = serde_json::to_value(trace.as_ref()).expect("a trace is JSON");
    layer(&trace, name).clone()
}

#[tokio::test]
async fn the_sender_fires_each_kind_at_the_receiver_over_http() {
    let sandbox = Sandbox::start(config()).await.expect("the sandbox starts");
    let base = format!("http://{}", sandbox.addr);
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(DEADLINE)
        .build()
        .expect("a client");

    // Nothing sent yet: a duplicate delivers a new event twice.
    let duplicate = fire(&client, &base, "duplicate").await;
    assert_eq!(duplicate["first_delivery"]["status"], 200, "{duplicate}");
    assert_eq!(duplicate["first_delivery"]["answer"]["duplicate"], false);
    assert_eq!(
        duplicate["receiver"]["answer"]["duplicate"], true,
        "{duplicate}"
    );

    let valid = fire(&client, &base, "valid").await;
    assert_eq!(valid["receiver"]["status"], 200, "{valid}");
    let event_id = valid["event_id"].as_str().expect("an event id");
    assert!(event_id.starts_with("evt_"), "{event_id}");
    assert_eq!(valid["receiver"]["answer"]["event_id"], event_id);
    // The signature covers exactly the bytes the report shows.
    let signed_at: u64 = valid["signature_header"]
        .as_str()
        .and_then(|h| h.strip_prefix("t="))
        .and_then(|h| h.split(',').next())
        .and_then(|t| t.parse().ok())
        .expect("t= first");
    assert_eq!(
        valid["signature_header"],
        webhook_signature(
            &sandbox.state.config.webhook_secret,
            signed_at,
            valid["body"].as_str().expect("the body")
        )
    );
    assert_eq!(
        decision(&sandbox, &valid, "webhook_idempotency")["decision"],
        "passed"
    );

    let forged = fire(&client, &base, "forged").await;
    assert_eq!(forged["receiver"]["status"], 400, "{forged}");
    let signature = decision(&sandbox, &forged, "webhook_signature");
    assert_eq!(signature["decision"], "short_circuited");

    let stale = fire(&client, &base, "stale").await;
    assert_eq!(stale["receiver"]["status"], 400, "{stale}");
    let window = decision(&sandbox, &stale, "webhook_replay_window");
    assert_eq!(window["decision"], "short_circuited");
    let reason = window["reason"].as_str().expect("a reason");
    assert!(
        reason.starts_with("timestamp outside the tolerance: signed 60")
            && reason.ends_with("s ago, the tolerance is 300 s"),
        "{reason}"
    );

    // Now the duplicate repeats the last valid event.
    let again = fire(&client, &base, "duplicate").await;
    assert_eq!(again["event_id"], event_id, "{again}");
    assert!(again.get("first_delivery").is_none(), "{again}");
    assert_eq!(again["receiver"]["answer"]["duplicate"], true);
    assert_eq!(
        decision(&sandbox, &again, "webhook_idempotency")["decision"],
        "short_circuited"
    );
    let kept = sandbox
        .state
        .webhooks
        .get(event_id)
        .expect("the event is kept");
    assert_eq!(kept.deliveries, 2);

    let refused = client
        .post(format!("{base}/api/v1/webhooks/send"))
        .json(&json!({ "kind": "replayed-yesterday" }))
        .send()
        .await
        .expect("the sender answers");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn without_a_socket_the_sender_says_it_cannot_reach_itself() {
    let dojo = Dojo::new();
    let reply = dojo
        .post_json("/api/v1/webhooks/send", &json!({ "kind": "valid" }))
        .await;
    assert_problem(&reply, 500);
    let trace = dojo.trace(&reply.request_id()).await;
    assert!(
        trace.to_string().contains("not listening on a socket"),
        "{trace:#}"
    );
}
