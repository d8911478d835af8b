//! Topic 2, session cookies: login sets a hardened cookie with a fresh id, `me` follows the
//! session, logout destroys it server-side, both expiries end it, and fixation works only
//! with the break-it switch on.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use common::{ADA, Dojo, PASSWORD, Reply, assert_problem, config, layer, request};
use dojo_sandbox::SandboxConfig;
use serde_json::json;

const LOGIN: &str = "/api/v1/session/login";
const ME: &str = "/api/v1/session/me";
const LOGOUT: &str = "/api/v1/session/logout";

fn login_request(cookie: Option<&str>, password: &str) -> axum::http::Request<Body> {
    let body = json!({ "email": ADA, "password": password }).to_string();
    let mut headers = vec![("content-type", "application/json")];
    let cookie_header = cookie.map(|id| format!("dojo_session={id}"));
    if let Some(value) = &cookie_header {
        headers.push(("cookie", value));
    }
    request(Method::POST, LOGIN, &headers, Body::from(body))
}

/// The session id a `Set-Cookie` answer carries.
fn session_id(reply: &Reply) -> String {
    let cookie = reply.header("set-cookie").expect("a Set-Cookie header");
    let value = cookie
        .strip_prefix("dojo_session=")
        .and_then(|rest| rest.split(';').next())
        .expect("a dojo_session cookie");
    value.to_owned()
}

async fn me(dojo: &Dojo, id: &str) -> Reply {
    dojo.get_with(ME, &[("cookie", &format!("dojo_session={id}"))])
        .await
}

async fn session_reason(dojo: &Dojo, reply: &Reply) -> String {
    let trace = dojo.trace(&reply.request_id()).await;
    layer(&trace, "session")["reason"]
        .as_str()
        .expect("the session layer gives a reason")
        .to_owned()
}

#[tokio::test]
async fn login_sets_a_hardened_random_cookie_that_opens_me() {
    let dojo = Dojo::new();
    let reply = dojo.send(login_request(None, PASSWORD)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["email"], ADA);
    let cookie = reply.header("set-cookie").expect("Set-Cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "no Secure on loopback: {cookie}"
    );
    let id = session_id(&reply);
    assert!(id.len() >= 22, "at least 128 bits: {id}");

    let again = dojo.send(login_request(None, PASSWORD)).await;
    assert_ne!(session_id(&again), id, "every login gets its own id");

    let reply = me(&dojo, &id).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({ "email": ADA, "id": 1, "role": "user" })
    );
    assert_eq!(session_reason(&dojo, &reply).await, "session ok");
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_client_is_not_on_loopback() {
    let dojo = Dojo::new();
    let mut login = login_request(None, PASSWORD);
    let remote: SocketAddr = "203.0.113.7:5000".parse().expect("an address");
    login.extensions_mut().insert(ConnectInfo(remote));
    let reply = dojo.send(login).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(
        reply
            .header("set-cookie")
            .expect("Set-Cookie")
            .ends_with("; Secure")
    );
}

#[tokio::test]
async fn a_wrong_password_sets_no_cookie() {
    let dojo = Dojo::new();
    let reply = dojo.send(login_request(None, "not-the-password")).await;
    assert_problem(&reply, 401);
    assert!(reply.header("set-cookie").is_none());
}

#[tokio::test]
async fn me_refuses_a_missing_or_unknown_session_and_names_why() {
    let dojo = Dojo::new();
    let reply = dojo.get(ME).await;
    assert_eq!(assert_problem(&reply, 401)["detail"], "no session cookie");
    assert_eq!(session_reason(&dojo, &reply).await, "no session cookie");

    let reply = me(&dojo, "forged-session-id-0123456789").await;
    assert_eq!(assert_problem(&reply, 401)["detail"], "unknown session id");
}

#[tokio::test]
async fn logout_destroys_the_session_on_the_server_and_clears_the_cookie() {
    let dojo = Dojo::new();
    let id = session_id(&dojo.send(login_request(None, PASSWORD)).await);
    let cookie = format!("dojo_session={id}");
    let reply = dojo
        .send(request(
            Method::POST,
            LOGOUT,
            &[("cookie", &cookie)],
            Body::empty(),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(
        reply
            .header("set-cookie")
            .expect("Set-Cookie")
            .contains("Max-Age=0")
    );
    // Replaying the old cookie does not bring the session back.
    let reply = me(&dojo, &id).await;
    assert_eq!(assert_problem(&reply, 401)["detail"], "unknown session id");
}

#[tokio::test]
async fn an_idle_session_expires() {
    let dojo = Dojo::with(SandboxConfig {
        session_idle_timeout: Duration::ZERO,
        ..config()
    });
    let id = session_id(&dojo.send(login_request(None, PASSWORD)).await);
    let reply = me(&dojo, &id).await;
    assert_eq!(
        assert_problem(&reply, 401)["detail"],
        "session idle-expired"
    );
    assert_eq!(session_reason(&dojo, &reply).await, "session idle-expired");
    // Expired sessions are deleted, not just refused.
    let reply = me(&dojo, &id).await;
    assert_eq!(assert_problem(&reply, 401)["detail"], "unknown session id");
}

#[tokio::test]
async fn a_session_past_its_absolute_lifetime_expires_however_busy() {
    let dojo = Dojo::with(SandboxConfig {
        session_absolute_timeout: Duration::ZERO,
        ..config()
    });
    let id = session_id(&dojo.send(login_request(None, PASSWORD)).await);
    let reply = me(&dojo, &id).await;
    assert_eq!(
        assert_problem(&reply, 401)["detail"],
        "session absolute-expired"
    );
}

#[tokio::test]
async fn login_discards_a_planted_id_so_fixation_fails() {
    let dojo = Dojo::new();
    let planted = "attacker-chosen-session-id-0001";
    let reply = dojo.send(login_request(Some(planted), PASSWORD)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_ne!(session_id(&reply), planted);
    assert_eq!(
        session_reason(&dojo, &reply).await,
        "pre-login session id discarded; a fresh id issued"
    );
    // The attacker, holding the planted id, is not signed in.
    assert_eq!(
        assert_problem(&me(&dojo, planted).await, 401)["detail"],
        "unknown session id"
    );
}

#[tokio::test]
async fn with_the_switch_on_the_planted_id_signs_the_attacker_in() {
    let dojo = Dojo::new();
    dojo.switch("session-keep-pre-login-id", true).await;
    let planted = "attacker-chosen-session-id-0002";
    let reply = dojo.send(login_request(Some(planted), PASSWORD)).await;
    assert_eq!(session_id(&reply), planted);
    let reply = me(&dojo, planted).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["email"], ADA);

    // Resetting the topic closes the hole and forgets every session.
    dojo.reset_topic(2).await;
    assert_eq!(
        assert_problem(&me(&dojo, planted).await, 401)["detail"],
        "unknown session id"
    );
    let reply = dojo.send(login_request(Some(planted), PASSWORD)).await;
    assert_ne!(session_id(&reply), planted);
}
