//! Topic 6, password reset: identical answers for known and unknown addresses, a mailed
//! single-use, expiring token, and a reset that ends every session and refresh family.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{ADA, Dojo, PASSWORD, assert_problem, config, request};
use dojo_sandbox::SandboxConfig;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a-brand-new-password";

async fn forgot(dojo: &Dojo, email: &str) -> Value {
    let reply = dojo
        .post_json("/api/v1/password/forgot", &json!({ "email": email }))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    reply.json()
}

async fn mails(dojo: &Dojo) -> Vec<Value> {
    dojo.get("/_dojo/mailbox")
        .await
        .json()
        .as_array()
        .expect("mails")
        .clone()
}

async fn mailed_token(dojo: &Dojo) -> String {
    let mails = mails(dojo).await;
    let link = mails[0]["links"][0].as_str().expect("a link");
    link.split("token=").nth(1).expect("a token").to_owned()
}

async fn reset(dojo: &Dojo, token: &str, password: &str) -> common::Reply {
    dojo.post_json(
        "/api/v1/password/reset",
        &json!({ "token": token, "new_password": password }),
    )
    .await
}

async fn login_status(dojo: &Dojo, password: &str) -> StatusCode {
    dojo.post_json(
        "/api/v1/auth/login",
        &json!({ "email": ADA, "password": password }),
    )
    .await
    .status
}

#[tokio::test]
async fn forgot_answers_the_same_for_known_and_unknown_addresses() {
    let dojo = Dojo::new();
    let unknown = forgot(&dojo, "nobody@dojo.test").await;
    assert!(mails(&dojo).await.is_empty(), "nothing is mailed to nobody");
    let known = forgot(&dojo, ADA).await;
    assert_eq!(unknown, known);
    let mails = mails(&dojo).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["to"], ADA);
}

#[tokio::test]
async fn a_reset_changes_the_password_once_and_signs_everyone_out() {
    let dojo = Dojo::new();
    // Ada has a session and a refresh token family.
    let credentials = json!({ "email": ADA, "password": PASSWORD });
    let session = dojo.post_json("/api/v1/session/login", &credentials).await;
    let session_cookie = session
        .header("set-cookie")
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let refresh = dojo
        .post_json("/api/v1/auth/login-refresh", &credentials)
        .await;
    let refresh_cookie = refresh
        .header("set-cookie")
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();

    forgot(&dojo, ADA).await;
    let token = mailed_token(&dojo).await;
    let reply = reset(&dojo, &token, NEW_PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({ "refresh_families_revoked": 1, "reset": true, "sessions_revoked": 1 })
    );

    assert_eq!(
        login_status(&dojo, PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login_status(&dojo, NEW_PASSWORD).await, StatusCode::OK);
    let me = dojo
        .get_with("/api/v1/session/me", &[("cookie", &session_cookie)])
        .await;
    assert_problem(&me, 401);
    let again = dojo
        .send(request(
            Method::POST,
            "/api/v1/auth/refresh",
            &[("cookie", &refresh_cookie)],
            Body::empty(),
        ))
        .await;
    assert_eq!(
        assert_problem(&again, 401)["detail"],
        "refresh token family revoked"
    );

    // The token was single-use.
    assert_problem(&reset(&dojo, &token, "yet-another-password").await, 400);
    assert_eq!(login_status(&dojo, NEW_PASSWORD).await, StatusCode::OK);

    // Resetting the topic puts the seeded password back.
    dojo.reset_topic(6).await;
    assert_eq!(login_status(&dojo, PASSWORD).await, StatusCode::OK);
}

#[tokio::test]
async fn forged_expired_and_weak_resets_are_refused() {
    let dojo = Dojo::new();
    assert_problem(&reset(&dojo, "forged-token", NEW_PASSWORD).await, 400);
    forgot(&dojo, ADA).await;
    let token = mailed_token(&dojo).await;
    let weak = reset(&dojo, &token, "short").await;
    assert_eq!(
        assert_problem(&weak, 422)["errors"][0]["field"],
        "new_password"
    );

    let expiring = Dojo::with(SandboxConfig {
        password_reset_ttl: Duration::ZERO,
        ..config()
    });
    forgot(&expiring, ADA).await;
    let token = mailed_token(&expiring).await;
    let reply = reset(&expiring, &token, NEW_PASSWORD).await;
    assert!(
        assert_problem(&reply, 400)["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expired"))
    );
    assert_eq!(login_status(&expiring, PASSWORD).await, StatusCode::OK);
}
