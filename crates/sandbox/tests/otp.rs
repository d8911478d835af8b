//! Topic 32, one-time codes: a mailed six-digit code signs in once, five wrong guesses burn
//! it, it expires, and requests wait for a cooldown per account and per client.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use common::{ADA, Dojo, GRACE, Reply, assert_problem, config, request};
use dojo_sandbox::SandboxConfig;
use serde_json::json;

fn no_cooldown() -> SandboxConfig {
    SandboxConfig {
        mail_resend_cooldown: Duration::ZERO,
        ..config()
    }
}

async fn ask(dojo: &Dojo, email: &str, from: &str) -> Reply {
    let mut asking = request(
        Method::POST,
        "/api/v1/otp/request",
        &[("content-type", "application/json")],
        Body::from(json!({ "email": email }).to_string()),
    );
    let peer: SocketAddr = from.parse().expect("an address");
    asking.extensions_mut().insert(ConnectInfo(peer));
    dojo.send(asking).await
}

async fn mailed_code(dojo: &Dojo) -> String {
    let mails = dojo.get("/_dojo/mailbox").await.json();
    let text = mails[0]["text"].as_str().expect("a mail").to_owned();
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    assert_eq!(code.len(), 6, "{text}");
    code
}

async fn verify(dojo: &Dojo, code: &str) -> Reply {
    dojo.post_json("/api/v1/otp/verify", &json!({ "email": ADA, "code": code }))
        .await
}

/// A six-digit code that is not `code`.
fn other_than(code: &str) -> String {
    if code == "000000" {
        "000001".into()
    } else {
        "000000".into()
    }
}

#[tokio::test]
async fn a_mailed_code_signs_in_once() {
    let dojo = Dojo::with(no_cooldown());
    let reply = ask(&dojo, ADA, "127.0.0.1:1").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let code = mailed_code(&dojo).await;
    let reply = verify(&dojo, &code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.json()["access_token"].is_string());
    // Replayed: refused.
    assert_problem(&verify(&dojo, &code).await, 401);
}

#[tokio::test]
async fn five_wrong_codes_burn_the_code() {
    let dojo = Dojo::with(no_cooldown());
    ask(&dojo, ADA, "127.0.0.1:1").await;
    let code = mailed_code(&dojo).await;
    let wrong = other_than(&code);
    for left in (1..5).rev() {
        let reply = verify(&dojo, &wrong).await;
        assert_eq!(
            assert_problem(&reply, 401)["detail"],
            format!("wrong code ({left} attempts left)")
        );
    }
    let reply = verify(&dojo, &wrong).await;
    assert!(
        assert_problem(&reply, 401)["detail"]
            .as_str()
            .is_some_and(|d| d.contains("burned"))
    );
    // Even the right code is worthless now.
    assert_problem(&verify(&dojo, &code).await, 401);
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let dojo = Dojo::with(SandboxConfig {
        otp_ttl: Duration::ZERO,
        ..no_cooldown()
    });
    ask(&dojo, ADA, "127.0.0.1:1").await;
    let code = mailed_code(&dojo).await;
    let reply = verify(&dojo, &code).await;
    assert!(
        assert_problem(&reply, 401)["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expired"))
    );
}

#[tokio::test]
async fn requests_wait_per_account_and_per_client() {
    let dojo = Dojo::new();
    assert_eq!(
        ask(&dojo, ADA, "198.51.100.1:1").await.status,
        StatusCode::ACCEPTED
    );
    // Same account from another client: the account's cooldown.
    let reply = ask(&dojo, ADA, "198.51.100.2:1").await;
    assert_problem(&reply, 429);
    assert!(reply.header("retry-after").is_some());
    // Another account from the first client: the client's cooldown.
    assert_problem(&ask(&dojo, GRACE, "198.51.100.1:1").await, 429);
    // Another account from another client: fine.
    assert_eq!(
        ask(&dojo, GRACE, "198.51.100.3:1").await.status,
        StatusCode::ACCEPTED
    );

    dojo.reset_topic(32).await;
    assert_eq!(
        ask(&dojo, ADA, "198.51.100.1:1").await.status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn an_unknown_account_gets_the_same_answer_and_no_mail() {
    let dojo = Dojo::with(no_cooldown());
    let unknown = ask(&dojo, "nobody@dojo.test", "127.0.0.1:1").await;
    let known = ask(&dojo, ADA, "127.0.0.1:1").await;
    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.json(), known.json());
    let mails = dojo.get("/_dojo/mailbox").await.json();
    assert_eq!(mails.as_array().expect("mails").len(), 1);
    assert_problem(
        &dojo
            .post_json(
                "/api/v1/otp/verify",
                &json!({ "email": "nobody@dojo.test", "code": "123456" }),
            )
            .await,
        401,
    );
}
