//! The data suite on MongoDB (`--mongodb-uri`): the same learner-facing API as on SQLite,
//! through the sandbox, against the MongoDB-compatible server the storage tests use
//! (`scripts/mongo-test-server.sh`; `DOJO_TEST_MONGODB_URI` names a real MongoDB instead).
//! The MongoDB store itself is held to the shared suite in `crates/storage/tests`.

mod common;

// The storage tests' server harness, shared; this file needs only part of it.
#[allow(dead_code)]
#[path = "../../storage/tests/support/mongo_server.rs"]
mod mongo_server;

use axum::http::StatusCode;
use common::{Dojo, assert_problem, config};
use dojo_sandbox::SandboxConfig;
use serde_json::json;

/// A sandbox whose data suite lives in its own database of the test server; `None` when
/// no server can be had outside CI (the harness printed why).
fn on_mongodb(database: &str) -> Option<Dojo> {
    let target = mongo_server::shared_target()?;
    let uri = target
        .uri_with_database(database)
        .unwrap_or_else(|| target.uri());
    Some(Dojo::with(SandboxConfig {
        mongodb_uri: Some(uri),
        seed_posts: 60,
        ..config()
    }))
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_are_created_read_and_kept_unique_on_mongodb() {
    let Some(dojo) = on_mongodb("sandbox_accounts") else {
        return;
    };
    let created = dojo
        .post_json(
            "/api/v1/accounts",
            &json!({ "email": "grace.hopper@dojo.test", "name": "Grace Hopper", "password": "cobol-compiler-1959" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let account = created.json();
    assert!(account.get("password_hash").is_none(), "{account}");
    let location = created.header("location").expect("Location").to_owned();
    let read = dojo.get(&location).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    assert_eq!(read.json()["email"], "grace.hopper@dojo.test");

    let again = dojo
        .post_json(
            "/api/v1/accounts",
            &json!({ "email": "GRACE.HOPPER@dojo.test", "name": "Copy", "password": "another-password-2" }),
        )
        .await;
    assert_problem(&again, 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_page_by_cursor_on_mongodb_without_repeats() {
    let Some(dojo) = on_mongodb("sandbox_posts") else {
        return;
    };
    let mut seen = Vec::new();
    let mut next = "/api/v1/posts/feed?limit=25".to_owned();
    for _ in 0..10 {
        let page = dojo.get(&next).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let body = page.json();
        for post in body["items"].as_array().expect("items") {
            seen.push(post["id"].as_u64().expect("an id"));
        }
        match body["next_cursor"].as_str() {
            Some(cursor) => next = format!("/api/v1/posts/feed?limit=25&cursor={cursor}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no post twice: {seen:?}");
    assert_eq!(seen.len(), 60, "every seeded post once");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_mongodb_is_a_server_error_that_leaks_no_password() {
    let dojo = Dojo::with(SandboxConfig {
        mongodb_uri: Some(
            "mongodb://user:secret@127.0.0.1:1/dojo?serverSelectionTimeoutMS=300".into(),
        ),
        ..config()
    });
    let reply = dojo.get("/api/v1/accounts").await;
    assert!(reply.status.is_server_error(), "{}", reply.text());
    assert!(
        !reply.text().contains("secret"),
        "the password stays out: {}",
        reply.text()
    );
}

/// Team mode: two sandboxes started on one MongoDB database are one data suite. An account
/// created through one is read through the other, and its address is taken on both.
#[tokio::test(flavor = "multi_thread")]
async fn two_sandboxes_on_one_mongodb_share_accounts() {
    let (Some(first), Some(second)) = (on_mongodb("sandbox_team"), on_mongodb("sandbox_team"))
    else {
        return;
    };
    // Both open (and seed) the shared database before anything is written.
    for dojo in [&first, &second] {
        let listed = dojo.get("/api/v1/accounts?limit=1").await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.text());
    }

    let created = first
        .post_json(
            "/api/v1/accounts",
            &json!({ "email": "margaret.hamilton@dojo.test", "name": "Margaret Hamilton", "password": "apollo-guidance-1969" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let location = created.header("location").expect("Location").to_owned();

    let read = second.get(&location).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    assert_eq!(read.json()["email"], "margaret.hamilton@dojo.test");
    assert_eq!(read.json()["name"], "Margaret Hamilton");

    let taken = second
        .post_json(
            "/api/v1/accounts",
            &json!({ "email": "Margaret.Hamilton@dojo.test", "name": "Copy", "password": "another-password-3" }),
        )
        .await;
    assert_problem(&taken, 409);
}
