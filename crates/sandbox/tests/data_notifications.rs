//! Topic 26 on the data suite: unread counts, mark one and all read, ownership in every
//! query (another's notification is a 404), and the IDOR with `notifications-no-ownership`.

mod common;

use axum::http::{Method, StatusCode};
use common::{ADA, Dojo, GRACE, Reply, assert_problem, config, layer, request};
use dojo_sandbox::SandboxConfig;
use serde_json::{Value, json};

/// Seeded: Ada (user 1) owns notifications 1 to 3, Grace (user 2) owns 4 and 5.
const GRACES: u64 = 4;

fn dojo() -> Dojo {
    Dojo::with(SandboxConfig {
        seed_posts: 100,
        ..config()
    })
}

async fn call(dojo: &Dojo, method: Method, path: &str, token: &str, body: Option<Value>) -> Reply {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("authorization", bearer.as_str())];
    let body = match body {
        Some(body) => {
            headers.push(("content-type", "application/json"));
            axum::body::Body::from(body.to_string())
        }
        None => axum::body::Body::empty(),
    };
    dojo.send(request(method, path, &headers, body)).await
}

async fn unread(dojo: &Dojo, token: &str) -> u64 {
    let reply = call(
        dojo,
        Method::GET,
        "/api/v1/notifications/unread-count",
        token,
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["unread_count"].as_u64().expect("a count")
}

#[tokio::test]
async fn marking_one_and_all_read_moves_the_unread_count() {
    let dojo = dojo();
    let ada = dojo.login_as(ADA).await;
    assert_eq!(unread(&dojo, &ada).await, 3);
    let inbox = call(&dojo, Method::GET, "/api/v1/notifications", &ada, None)
        .await
        .json();
    let times: Vec<&str> = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["created_at"].as_str().expect("time"))
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);

    let first = call(
        &dojo,
        Method::POST,
        "/api/v1/notifications/1/read",
        &ada,
        None,
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.json()["read"], true);
    let read_at = first.json()["read_at"].clone();
    let again = call(
        &dojo,
        Method::POST,
        "/api/v1/notifications/1/read",
        &ada,
        None,
    )
    .await;
    assert_eq!(
        again.json()["read_at"],
        read_at,
        "marking twice keeps the first time"
    );
    assert_eq!(unread(&dojo, &ada).await, 2);
    let only_unread = call(
        &dojo,
        Method::GET,
        "/api/v1/notifications?unread=true",
        &ada,
        None,
    )
    .await;
    assert_eq!(
        only_unread.json()["items"].as_array().expect("items").len(),
        2
    );

    let all = call(
        &dojo,
        Method::POST,
        "/api/v1/notifications/read-all",
        &ada,
        None,
    )
    .await;
    assert_eq!(all.json(), json!({ "marked": 2, "unread_count": 0 }));
    let grace = dojo.login_as(GRACE).await;
    assert_eq!(unread(&dojo, &grace).await, 2, "Grace's are untouched");

    assert_problem(&dojo.get("/api/v1/notifications").await, 401);
    assert_problem(
        &dojo
            .post_json("/api/v1/notifications/read-all", &json!({}))
            .await,
        401,
    );
}

#[tokio::test]
async fn another_users_notification_is_a_404_until_the_idor_switch_is_on() {
    let dojo = dojo();
    let ada = dojo.login_as(ADA).await;
    let grace = dojo.login_as(GRACE).await;
    let path = format!("/api/v1/notifications/{GRACES}");
    let read = format!("{path}/read");

    let refused = call(&dojo, Method::GET, &path, &ada, None).await;
    assert_problem(&refused, 404);
    let trace = dojo.trace(&refused.request_id()).await;
    assert_eq!(layer(&trace, "ownership")["decision"], "short_circuited");
    assert_problem(&call(&dojo, Method::POST, &read, &ada, None).await, 404);
    let missing = call(&dojo, Method::GET, "/api/v1/notifications/999", &ada, None).await;
    assert_eq!(
        assert_problem(&missing, 404)["detail"],
        "no notification 999 among yours",
        "missing and not-yours read alike"
    );
    assert_eq!(
        call(&dojo, Method::GET, &path, &grace, None).await.status,
        StatusCode::OK
    );

    dojo.switch("notifications-no-ownership", true).await;
    let leaked = call(&dojo, Method::GET, &path, &ada, None).await;
    assert_eq!(leaked.status, StatusCode::OK, "{}", leaked.text());
    assert_eq!(leaked.json()["user_id"], 2);
    let tampered = call(&dojo, Method::POST, &read, &ada, None).await;
    assert_eq!(tampered.status, StatusCode::OK);
    assert_eq!(
        unread(&dojo, &grace).await,
        1,
        "Ada marked Grace's notification read"
    );

    dojo.switch("notifications-no-ownership", false).await;
    assert_problem(&call(&dojo, Method::GET, &path, &ada, None).await, 404);
    dojo.reset_topic(26).await;
    assert_eq!(
        unread(&dojo, &grace).await,
        2,
        "the reset puts the seed back"
    );
}

#[tokio::test]
async fn users_notify_themselves_and_admins_anyone() {
    let dojo = dojo();
    let ada = dojo.login_as(ADA).await;
    let grace = dojo.login_as(GRACE).await;
    let own = call(
        &dojo,
        Method::POST,
        "/api/v1/notifications",
        &ada,
        Some(json!({ "message": "Export ready" })),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text());
    assert_eq!(own.json()["user_id"], 1);
    assert_eq!(own.json()["read"], false);
    assert_eq!(unread(&dojo, &ada).await, 4);

    let to_grace = json!({ "user_id": 2, "message": "hello" });
    assert_problem(
        &call(
            &dojo,
            Method::POST,
            "/api/v1/notifications",
            &ada,
            Some(to_grace),
        )
        .await,
        403,
    );
    let from_admin = call(
        &dojo,
        Method::POST,
        "/api/v1/notifications",
        &grace,
        Some(json!({ "user_id": 1, "message": "hi" })),
    )
    .await;
    assert_eq!(from_admin.status, StatusCode::CREATED);
    let nobody = call(
        &dojo,
        Method::POST,
        "/api/v1/notifications",
        &grace,
        Some(json!({ "user_id": 999, "message": "hi" })),
    )
    .await;
    assert_problem(&nobody, 404);
    let empty = call(
        &dojo,
        Method::POST,
        "/api/v1/notifications",
        &ada,
        Some(json!({ "message": "" })),
    )
    .await;
    assert_problem(&empty, 422);
}
