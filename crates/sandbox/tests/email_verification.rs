//! Topic 4, email verification: signup mails a single-use, expiring link to the built-in
//! mailbox; verifying opens the account; resend has a cooldown; an unverified account is
//! refused; signup does not reveal which addresses are registered.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{ADA, Dojo, assert_problem, config};
use dojo_sandbox::SandboxConfig;
use serde_json::{Value, json};

const NEW: &str = "new@dojo.test";
const GOOD_PASSWORD: &str = "a-long-enough-password";

async fn signup(dojo: &Dojo, email: &str) -> Value {
    let reply = dojo
        .post_json(
            "/api/v1/signup",
            &json!({ "email": email, "password": GOOD_PASSWORD }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    reply.json()
}

async fn mailbox(dojo: &Dojo) -> Vec<Value> {
    let reply = dojo.get("/_dojo/mailbox").await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json().as_array().expect("a list of mails").clone()
}

/// The token in the newest mail's link.
async fn mailed_token(dojo: &Dojo) -> String {
    let mails = mailbox(dojo).await;
    let link = mails[0]["links"][0].as_str().expect("the mail has a link");
    link.split("token=")
        .nth(1)
        .expect("a token in the link")
        .to_owned()
}

async fn login(dojo: &Dojo) -> common::Reply {
    dojo.post_json(
        "/api/v1/signup/login",
        &json!({ "email": NEW, "password": GOOD_PASSWORD }),
    )
    .await
}

#[tokio::test]
async fn signup_mails_a_link_that_verifies_the_account_once() {
    let dojo = Dojo::new();
    assert!(mailbox(&dojo).await.is_empty());
    signup(&dojo, NEW).await;
    let mails = mailbox(&dojo).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["to"], NEW);
    let id = mails[0]["id"].as_u64().expect("a mail id");
    let one = dojo.get(&format!("/_dojo/mailbox/{id}")).await;
    assert_eq!(one.json(), mails[0]);
    assert_problem(&dojo.get("/_dojo/mailbox/999").await, 404);

    // Unverified: the right password still gets 403.
    assert_problem(&login(&dojo).await, 403);

    let token = mailed_token(&dojo).await;
    let reply = dojo
        .get(&format!("/api/v1/verify-email?token={token}"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json(), json!({ "email": NEW, "verified": true }));
    let reply = login(&dojo).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.json()["access_token"].is_string());

    // Replayed link: refused.
    let reply = dojo
        .get(&format!("/api/v1/verify-email?token={token}"))
        .await;
    assert_problem(&reply, 400);
}

#[tokio::test]
async fn forged_and_expired_links_are_refused() {
    let dojo = Dojo::new();
    assert_problem(&dojo.get("/api/v1/verify-email?token=forged").await, 400);

    let expiring = Dojo::with(SandboxConfig {
        verification_token_ttl: Duration::ZERO,
        ..config()
    });
    signup(&expiring, NEW).await;
    let token = mailed_token(&expiring).await;
    let reply = expiring
        .get(&format!("/api/v1/verify-email?token={token}"))
        .await;
    assert!(
        assert_problem(&reply, 400)["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expired"))
    );
    assert_problem(&login(&expiring).await, 403);
}

#[tokio::test]
async fn signup_answers_the_same_for_a_registered_address() {
    let dojo = Dojo::new();
    let fresh = signup(&dojo, NEW).await;
    let taken = signup(&dojo, ADA).await;
    assert_eq!(fresh, taken);
    let again = signup(&dojo, NEW).await;
    assert_eq!(fresh, again);
    let mails = mailbox(&dojo).await;
    assert_eq!(
        mails[0]["subject"],
        "Someone tried to sign up with your address"
    );
    assert!(mails[0]["links"].as_array().expect("links").is_empty());
}

#[tokio::test]
async fn weak_passwords_and_bad_addresses_are_refused() {
    let dojo = Dojo::new();
    let reply = dojo
        .post_json(
            "/api/v1/signup",
            &json!({ "email": NEW, "password": "short" }),
        )
        .await;
    assert_eq!(
        assert_problem(&reply, 422)["errors"][0]["field"],
        "password"
    );
    let reply = dojo
        .post_json(
            "/api/v1/signup",
            &json!({ "email": "nobody", "password": GOOD_PASSWORD }),
        )
        .await;
    assert_eq!(assert_problem(&reply, 422)["errors"][0]["field"], "email");
}

#[tokio::test]
async fn resend_waits_for_its_cooldown() {
    let dojo = Dojo::new();
    signup(&dojo, NEW).await;
    let reply = dojo
        .post_json("/api/v1/verify-email/resend", &json!({ "email": NEW }))
        .await;
    assert_problem(&reply, 429);
    let retry: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");

    let no_wait = Dojo::with(SandboxConfig {
        mail_resend_cooldown: Duration::ZERO,
        ..config()
    });
    signup(&no_wait, NEW).await;
    let first = mailed_token(&no_wait).await;
    let reply = no_wait
        .post_json("/api/v1/verify-email/resend", &json!({ "email": NEW }))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(mailbox(&no_wait).await.len(), 2);
    let second = mailed_token(&no_wait).await;
    assert_ne!(first, second);
    let reply = no_wait
        .get(&format!("/api/v1/verify-email?token={second}"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    // Verification retires the older link too.
    assert_problem(
        &no_wait
            .get(&format!("/api/v1/verify-email?token={first}"))
            .await,
        400,
    );
}

#[tokio::test]
async fn resetting_the_topic_empties_the_mailbox_and_forgets_signups() {
    let dojo = Dojo::new();
    signup(&dojo, NEW).await;
    dojo.reset_topic(4).await;
    assert!(mailbox(&dojo).await.is_empty());
    assert_problem(&login(&dojo).await, 401);
}
