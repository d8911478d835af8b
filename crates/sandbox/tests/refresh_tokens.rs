//! Topic 5, refresh tokens: login sets a scoped HttpOnly refresh cookie, refresh rotates
//! it, a reused token revokes its whole family, logout revokes, and the no-rotation hole.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{ADA, Dojo, PASSWORD, Reply, assert_problem, config, layer, request};
use dojo_sandbox::SandboxConfig;
use serde_json::json;

const LOGIN: &str = "/api/v1/auth/login-refresh";
const REFRESH: &str = "/api/v1/auth/refresh";
const LOGOUT: &str = "/api/v1/auth/logout";

fn refresh_token(reply: &Reply) -> String {
    let cookie = reply.header("set-cookie").expect("a Set-Cookie header");
    cookie
        .strip_prefix("dojo_refresh=")
        .and_then(|rest| rest.split(';').next())
        .expect("a dojo_refresh cookie")
        .to_owned()
}

async fn login(dojo: &Dojo) -> String {
    let reply = dojo
        .post_json(LOGIN, &json!({ "email": ADA, "password": PASSWORD }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    refresh_token(&reply)
}

async fn send_cookie(dojo: &Dojo, path: &str, token: &str) -> Reply {
    let cookie = format!("dojo_refresh={token}");
    dojo.send(request(
        Method::POST,
        path,
        &[("cookie", &cookie)],
        Body::empty(),
    ))
    .await
}

#[tokio::test]
async fn login_answers_an_access_token_and_a_scoped_httponly_refresh_cookie() {
    let dojo = Dojo::new();
    let reply = dojo
        .post_json(LOGIN, &json!({ "email": ADA, "password": PASSWORD }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let access = reply.json()["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let cookie = reply.header("set-cookie").expect("Set-Cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !reply.text().contains(&refresh_token(&reply)),
        "the refresh token stays out of the body"
    );
    let me = dojo.me(Some(&format!("Bearer {access}"))).await;
    assert_eq!(me.status, StatusCode::OK);

    let wrong = dojo
        .post_json(
            LOGIN,
            &json!({ "email": ADA, "password": "nope-nope-nope" }),
        )
        .await;
    assert_problem(&wrong, 401);
    assert!(wrong.header("set-cookie").is_none());
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_whole_family() {
    let dojo = Dojo::new();
    let first = login(&dojo).await;
    let reply = send_cookie(&dojo, REFRESH, &first).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.json()["access_token"].is_string());
    let second = refresh_token(&reply);
    assert_ne!(second, first);

    // Replaying the consumed first token: reuse, the family goes.
    let reply = send_cookie(&dojo, REFRESH, &first).await;
    assert_eq!(
        assert_problem(&reply, 401)["detail"],
        "refresh token reused: family revoked"
    );
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(
        layer(&trace, "refresh")["reason"],
        "refresh token reused: family revoked"
    );
    // The newest token of that family is dead too.
    let reply = send_cookie(&dojo, REFRESH, &second).await;
    assert_eq!(
        assert_problem(&reply, 401)["detail"],
        "refresh token family revoked"
    );

    // Another login starts a new family that works.
    let fresh = login(&dojo).await;
    assert_eq!(
        send_cookie(&dojo, REFRESH, &fresh).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_token_in_the_body_works_like_the_cookie() {
    let dojo = Dojo::new();
    let token = login(&dojo).await;
    let reply = dojo
        .post_json(REFRESH, &json!({ "refresh_token": token }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let reply = dojo
        .post_json(REFRESH, &json!({ "refresh_token": token }))
        .await;
    assert_problem(&reply, 401);
    assert_problem(
        &dojo.post_json(REFRESH, &json!({ "token": "x" })).await,
        400,
    );
}

#[tokio::test]
async fn missing_forged_and_expired_tokens_are_refused() {
    let dojo = Dojo::new();
    let reply = dojo
        .send(request(Method::POST, REFRESH, &[], Body::empty()))
        .await;
    assert_eq!(assert_problem(&reply, 401)["detail"], "no refresh token");
    let reply = send_cookie(&dojo, REFRESH, "forged-refresh-token").await;
    assert_eq!(
        assert_problem(&reply, 401)["detail"],
        "unknown refresh token"
    );

    let expiring = Dojo::with(SandboxConfig {
        refresh_token_ttl: Duration::ZERO,
        ..config()
    });
    let token = login(&expiring).await;
    let reply = send_cookie(&expiring, REFRESH, &token).await;
    assert_eq!(
        assert_problem(&reply, 401)["detail"],
        "refresh token expired"
    );
}

#[tokio::test]
async fn logout_revokes_the_family_and_clears_the_cookie() {
    let dojo = Dojo::new();
    let token = login(&dojo).await;
    let reply = send_cookie(&dojo, LOGOUT, &token).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let cleared = reply.header("set-cookie").expect("Set-Cookie");
    assert!(
        cleared.contains("Max-Age=0") && cleared.contains("Path=/api/v1/auth"),
        "{cleared}"
    );
    let reply = send_cookie(&dojo, REFRESH, &token).await;
    assert_eq!(
        assert_problem(&reply, 401)["detail"],
        "refresh token family revoked"
    );
}

#[tokio::test]
async fn without_rotation_a_stolen_token_replays() {
    let dojo = Dojo::new();
    dojo.switch("refresh-no-rotation", true).await;
    let token = login(&dojo).await;
    for _ in 0..3 {
        let reply = send_cookie(&dojo, REFRESH, &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(refresh_token(&reply), token);
    }
    dojo.reset_topic(5).await;
    // The reset forgets every family, and rotation is back.
    assert_problem(&send_cookie(&dojo, REFRESH, &token).await, 401);
    let token = login(&dojo).await;
    let reply = send_cookie(&dojo, REFRESH, &token).await;
    assert_ne!(refresh_token(&reply), token);
}
