//! Topic 12 on the data suite: a thread as one nested tree, reply counts that still count
//! what the depth limit leaves out, the depth limit on writes, and the reply notification.

mod common;

use axum::http::{Method, StatusCode};
use common::{ADA, DEADLINE, Dojo, GRACE, assert_problem, config, request};
use dojo_sandbox::{AppState, SandboxConfig, app};
use serde_json::{Value, json};

fn small_config() -> SandboxConfig {
    SandboxConfig {
        seed_posts: 100,
        ..config()
    }
}

fn ids(nodes: &Value) -> Vec<u64> {
    nodes
        .as_array()
        .expect("a list of comments")
        .iter()
        .map(|n| n["id"].as_u64().expect("id"))
        .collect()
}

async fn reply(dojo: &Dojo, token: &str, post: u64, body: Value) -> common::Reply {
    let bearer = format!("Bearer {token}");
    dojo.send(request(
        Method::POST,
        &format!("/api/v1/posts/{post}/comments"),
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
        ],
        axum::body::Body::from(body.to_string()),
    ))
    .await
}

#[tokio::test]
async fn a_thread_comes_back_nested_with_reply_counts() {
    let dojo = Dojo::with(small_config());
    let reply = dojo.get("/api/v1/posts/1/comments").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let thread = reply.json();
    assert_eq!(thread["count"], 7);
    let top = &thread["comments"];
    assert_eq!(ids(top), [1, 6]);
    assert_eq!(top[0]["reply_count"], 2);
    assert_eq!(ids(&top[0]["replies"]), [2, 5]);
    let deepest = &top[0]["replies"][0]["replies"][0]["replies"][0];
    assert_eq!(
        (deepest["id"].as_u64(), deepest["depth"].as_u64()),
        (Some(4), Some(3))
    );

    let shallow = dojo
        .get("/api/v1/posts/1/comments?max_depth=1")
        .await
        .json();
    assert_eq!(shallow["count"], 5);
    let second = &shallow["comments"][0]["replies"][0];
    assert_eq!(
        second["reply_count"], 1,
        "the reply below the limit still counts"
    );
    assert!(second["replies"].as_array().expect("replies").is_empty());

    let subtree = dojo.get("/api/v1/posts/1/comments?root=2").await.json();
    assert_eq!(ids(&subtree["comments"]), [2]);
    assert_eq!(ids(&subtree["comments"][0]["replies"]), [3]);

    assert_eq!(
        dojo.get("/api/v1/posts/3/comments").await.json()["count"],
        0
    );
    assert_problem(&dojo.get("/api/v1/posts/999999/comments").await, 404);
    assert_problem(&dojo.get("/api/v1/comments/999").await, 404);
    assert_eq!(
        dojo.get("/api/v1/comments/1").await.json()["reply_count"],
        2
    );
}

#[tokio::test]
async fn replies_nest_at_most_four_levels_and_stay_on_their_post() {
    let dojo = Dojo::with(small_config());
    let ada = dojo.login_as(ADA).await;
    let too_deep = reply(
        &dojo,
        &ada,
        1,
        json!({ "body": "one more level", "parent_id": 4 }),
    )
    .await;
    let problem = assert_problem(&too_deep, 422);
    assert_eq!(problem["errors"][0]["field"], "parent_id");

    let ok = reply(
        &dojo,
        &ada,
        1,
        json!({ "body": "level three", "parent_id": 3 }),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    assert_eq!(ok.json()["depth"], 3);
    assert!(ok.header("location").is_some());
    assert_eq!(
        dojo.get("/api/v1/comments/3").await.json()["reply_count"],
        2
    );

    let elsewhere = reply(
        &dojo,
        &ada,
        2,
        json!({ "body": "wrong post", "parent_id": 3 }),
    )
    .await;
    assert_problem(&elsewhere, 422);
    assert_problem(
        &reply(&dojo, &ada, 1, json!({ "body": "x", "parent_id": 999 })).await,
        404,
    );
    assert_problem(
        &reply(&dojo, &ada, 999_999, json!({ "body": "x" })).await,
        404,
    );
    assert_problem(&reply(&dojo, &ada, 1, json!({ "body": "   " })).await, 422);
    let anonymous = dojo
        .post_json("/api/v1/posts/1/comments", &json!({ "body": "hi" }))
        .await;
    assert_problem(&anonymous, 401);

    let top = reply(&dojo, &ada, 3, json!({ "body": "first!" })).await;
    assert_eq!(top.status, StatusCode::CREATED);
    assert_eq!(top.json()["depth"], 0);
}

#[tokio::test]
async fn a_reply_notifies_the_parent_author_and_pushes_the_event() {
    let config = small_config();
    let state = AppState::new(config.clone());
    let mut events = state.user_events.subscribe();
    let dojo = Dojo {
        app: app(state),
        config,
    };
    let grace = dojo.login_as(GRACE).await;
    // Comment 2 is Ada's.
    let created = reply(
        &dojo,
        &grace,
        1,
        json!({ "body": "Agreed", "parent_id": 2 }),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());

    let event = tokio::time::timeout(DEADLINE, events.recv())
        .await
        .expect("an event in time")
        .expect("the hub is open");
    assert_eq!(event.user_id, 1);
    assert_eq!(event.name, "notification.created");
    assert_eq!(event.data["kind"], "comment.reply");

    let ada = dojo.login_as(ADA).await;
    let inbox = dojo
        .get_with(
            "/api/v1/notifications",
            &[("authorization", &format!("Bearer {ada}"))],
        )
        .await
        .json();
    assert_eq!(inbox["items"][0]["id"], event.data["id"]);
    assert_eq!(inbox["unread_count"], 4);
}
