//! Topics 8 and 13 on the data suite: account CRUD with every field's error in one 422,
//! 409 on a duplicate email, no password hash in any answer, owner-or-admin writes, soft
//! delete with restore and purge, and the live-only email uniqueness.

mod common;

use axum::http::{Method, StatusCode};
use common::{ADA, Dojo, GRACE, Reply, assert_problem, config, request};
use dojo_sandbox::SandboxConfig;
use serde_json::{Value, json};

const ACCOUNTS: &str = "/api/v1/accounts";
/// Seeded accounts: twelve, one of them (Katherine, 12) in the trash.
const LIVE_SEEDED: u64 = 11;

fn small() -> Dojo {
    Dojo::with(SandboxConfig {
        seed_posts: 200,
        ..config()
    })
}

async fn send(dojo: &Dojo, method: Method, path: &str, token: &str, body: Option<&Value>) -> Reply {
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

fn field_errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .expect("errors is a list")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().expect("field").to_owned(),
                e["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect()
}

fn assert_no_secret(reply: &Reply) {
    let text = reply.text();
    assert!(!text.contains("argon2"), "a hash leaked: {text}");
    assert!(!text.contains("password"), "a password member: {text}");
}

#[tokio::test]
async fn every_invalid_field_is_reported_in_one_422() {
    let dojo = small();
    let reply = dojo
        .post_json(
            ACCOUNTS,
            &json!({ "email": "not-an-email", "name": "   ", "password": "short" }),
        )
        .await;
    let problem = assert_problem(&reply, 422);
    let fields: Vec<String> = field_errors(&problem).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["email", "name", "password"]);

    let empty = dojo.post_json(ACCOUNTS, &json!({})).await;
    let problem = assert_problem(&empty, 422);
    assert!(
        field_errors(&problem)
            .iter()
            .all(|(_, m)| m == "is required"),
        "{problem}"
    );
    assert_eq!(field_errors(&problem).len(), 3);
}

#[tokio::test]
async fn a_client_cannot_assign_itself_a_role() {
    let dojo = small();
    let reply = dojo
        .post_json(
            ACCOUNTS,
            &json!({ "email": "mallory@dojo.test", "name": "Mallory", "password": "long-enough-password", "role": "admin" }),
        )
        .await;
    let problem = assert_problem(&reply, 422);
    assert!(problem.to_string().contains("role"), "{problem}");
}

#[tokio::test]
async fn created_accounts_are_readable_never_show_a_hash_and_emails_are_unique() {
    let dojo = small();
    let body = json!({ "email": "  Alan@Dojo.test ", "name": "Alan Turing", "password": "enigma-machine-1912" });
    let created = dojo.post_json(ACCOUNTS, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_no_secret(&created);
    let account = created.json();
    assert_eq!(account["email"], "alan@dojo.test", "normalized");
    assert_eq!(account["role"], "user");
    let location = created.header("location").expect("Location").to_owned();
    assert_eq!(location, format!("{ACCOUNTS}/{}", account["id"]));

    let read = dojo.get(&location).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json(), account);
    assert_no_secret(&read);

    let again = dojo
        .post_json(
            ACCOUNTS,
            &json!({ "email": "ALAN@dojo.test", "name": "Imposter", "password": "another-password-1" }),
        )
        .await;
    assert!(
        assert_problem(&again, 409)["detail"]
            .as_str()
            .is_some_and(|d| d.contains("email"))
    );

    let list = dojo.get(&format!("{ACCOUNTS}?limit=1000")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.header("x-total-count"),
        Some((LIVE_SEEDED + 1).to_string().as_str())
    );
    let page = list.json();
    assert_eq!(page["limit"], 100, "capped");
    assert_eq!(
        page["items"].as_array().expect("items").len() as u64,
        LIVE_SEEDED + 1
    );
    assert_no_secret(&list);

    assert_problem(&dojo.get(&format!("{ACCOUNTS}/999")).await, 404);
    assert_problem(&dojo.get(&format!("{ACCOUNTS}/abc")).await, 400);
    assert_problem(&dojo.get(&format!("{ACCOUNTS}?colour=red")).await, 400);
}

#[tokio::test]
async fn only_the_owner_or_an_admin_may_change_an_account() {
    let dojo = small();
    let ada = dojo.login_as(ADA).await;
    let grace = dojo.login_as(GRACE).await;
    let patch = json!({ "name": "Ada King" });

    let anonymous = dojo
        .send_json(Method::PATCH, &format!("{ACCOUNTS}/1"), &patch)
        .await;
    assert_problem(&anonymous, 401);
    let foreign = send(
        &dojo,
        Method::PATCH,
        &format!("{ACCOUNTS}/2"),
        &ada,
        Some(&patch),
    )
    .await;
    assert_problem(&foreign, 403);

    let own = send(
        &dojo,
        Method::PATCH,
        &format!("{ACCOUNTS}/1"),
        &ada,
        Some(&patch),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    assert_eq!(own.json()["name"], "Ada King");
    assert_eq!(own.json()["email"], ADA, "untouched members stay");

    let by_admin = send(
        &dojo,
        Method::PATCH,
        &format!("{ACCOUNTS}/1"),
        &grace,
        Some(&json!({ "name": "Ada" })),
    )
    .await;
    assert_eq!(by_admin.status, StatusCode::OK);

    let taken = send(
        &dojo,
        Method::PATCH,
        &format!("{ACCOUNTS}/1"),
        &ada,
        Some(&json!({ "email": GRACE })),
    )
    .await;
    assert_problem(&taken, 409);
    let invalid = send(
        &dojo,
        Method::PATCH,
        &format!("{ACCOUNTS}/1"),
        &ada,
        Some(&json!({ "email": "nope", "password": "short" })),
    )
    .await;
    let problem = assert_problem(&invalid, 422);
    assert_eq!(field_errors(&problem).len(), 2);
    let nothing = send(
        &dojo,
        Method::PATCH,
        &format!("{ACCOUNTS}/1"),
        &ada,
        Some(&json!({})),
    )
    .await;
    assert_problem(&nothing, 422);
}

#[tokio::test]
async fn soft_delete_hides_restore_refuses_a_second_live_owner_and_purge_honours_retention() {
    let dojo = small();
    let ada = dojo.login_as(ADA).await;
    let grace = dojo.login_as(GRACE).await;

    let deleted = send(&dojo, Method::DELETE, &format!("{ACCOUNTS}/1"), &ada, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_problem(&dojo.get(&format!("{ACCOUNTS}/1")).await, 404);
    let list = dojo.get(ACCOUNTS).await;
    assert_eq!(
        list.header("x-total-count"),
        Some((LIVE_SEEDED - 1).to_string().as_str())
    );
    let twice = send(&dojo, Method::DELETE, &format!("{ACCOUNTS}/1"), &ada, None).await;
    assert_problem(&twice, 404);

    // The trash is the admin's: Ada's account and the seeded one are in it.
    assert_problem(
        &send(&dojo, Method::GET, &format!("{ACCOUNTS}/trash"), &ada, None).await,
        403,
    );
    let trash = send(
        &dojo,
        Method::GET,
        &format!("{ACCOUNTS}/trash"),
        &grace,
        None,
    )
    .await;
    assert_eq!(trash.status, StatusCode::OK, "{}", trash.text());
    let ids: Vec<u64> = trash.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_u64().expect("id"))
        .collect();
    assert_eq!(ids, [1, 12]);
    assert_no_secret(&trash);

    // A deleted account does not hold its email: someone else may sign up with it...
    let newcomer = dojo
        .post_json(
            ACCOUNTS,
            &json!({ "email": ADA, "name": "New Ada", "password": "brand-new-password" }),
        )
        .await;
    assert_eq!(newcomer.status, StatusCode::CREATED, "{}", newcomer.text());
    let newcomer_id = newcomer.json()["id"].as_u64().expect("id");
    // ...and then restoring the old one would make two live owners.
    let restore = format!("{ACCOUNTS}/1/restore");
    assert_problem(
        &send(&dojo, Method::POST, &restore, &grace, None).await,
        409,
    );
    let gone = send(
        &dojo,
        Method::DELETE,
        &format!("{ACCOUNTS}/{newcomer_id}"),
        &grace,
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let restored = send(&dojo, Method::POST, &restore, &grace, None).await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.text());
    assert!(restored.json().get("deleted_at").is_none());
    assert_eq!(
        dojo.get(&format!("{ACCOUNTS}/1")).await.status,
        StatusCode::OK
    );
    assert_problem(
        &send(&dojo, Method::POST, &restore, &grace, None).await,
        404,
    );

    // Purge removes only what is past retention: the seeded account deleted long ago, not
    // the one deleted seconds ago.
    let purge = send(
        &dojo,
        Method::POST,
        &format!("{ACCOUNTS}/purge"),
        &grace,
        None,
    )
    .await;
    assert_eq!(purge.status, StatusCode::OK, "{}", purge.text());
    assert_eq!(purge.json()["purged"], 1);
    assert_eq!(purge.json()["retention_days"], 30);
    let trash = send(
        &dojo,
        Method::GET,
        &format!("{ACCOUNTS}/trash"),
        &grace,
        None,
    )
    .await;
    let ids: Vec<u64> = trash.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_u64().expect("id"))
        .collect();
    assert_eq!(ids, [newcomer_id]);
    assert_problem(
        &send(
            &dojo,
            Method::POST,
            &format!("{ACCOUNTS}/12/restore"),
            &grace,
            None,
        )
        .await,
        404,
    );
}

#[tokio::test]
async fn a_topic_reset_puts_the_seeded_accounts_back() {
    let dojo = small();
    let created = dojo
        .post_json(
            ACCOUNTS,
            &json!({ "email": "temp@dojo.test", "name": "Temp", "password": "temporary-password" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    dojo.reset_topic(8).await;
    let list = dojo.get(ACCOUNTS).await;
    assert_eq!(
        list.header("x-total-count"),
        Some(LIVE_SEEDED.to_string().as_str())
    );
    let again = dojo
        .post_json(
            ACCOUNTS,
            &json!({ "email": "temp@dojo.test", "name": "Temp", "password": "temporary-password" }),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::CREATED,
        "the address is free after the reset"
    );
}
