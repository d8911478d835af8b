//! Topic 2 with `--redis-url`: the session behaviours of `tests/sessions.rs` against a real
//! `redis-server` started for each test (`support/redis_server.rs`), with the keys read
//! back from Redis to prove where the sessions live; sessions shared by two sandboxes;
//! a reset that deletes only the sandbox's session keys; a password reset that ends every
//! session of the user; and a Redis that is down or goes away (503 naming the server).

mod common;
#[path = "support/redis_server.rs"]
mod redis_server;

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{ADA, Dojo, GRACE, PASSWORD, Reply, assert_problem, config, layer, request};
use dojo_sandbox::SandboxConfig;
use dojo_sandbox::features::secrets::digest;
use redis::Commands as _;
use redis_server::RedisServer;
use serde_json::{Value, json};

const LOGIN: &str = "/api/v1/session/login";
const ME: &str = "/api/v1/session/me";
const LOGOUT: &str = "/api/v1/session/logout";
const NEW_PASSWORD: &str = "a-brand-new-password";

/// A sandbox keeping its sessions in `server`, with `tweak` applied to the test config.
fn sandbox(server: &RedisServer, tweak: impl FnOnce(&mut SandboxConfig)) -> Dojo {
    let mut settings = SandboxConfig {
        redis_url: Some(server.url()),
        ..config()
    };
    tweak(&mut settings);
    Dojo::with(settings)
}

/// A plain client on the same server, to look at the keys the sandbox wrote.
fn inspect(server: &RedisServer) -> redis::Connection {
    redis::Client::open(server.url())
        .expect("a Redis URL")
        .get_connection()
        .expect("the test server answers")
}

fn login_request(email: &str, cookie: Option<&str>) -> axum::http::Request<Body> {
    let body = json!({ "email": email, "password": PASSWORD }).to_string();
    let mut headers = vec![("content-type", "application/json")];
    let cookie_header = cookie.map(|id| format!("dojo_session={id}"));
    if let Some(value) = &cookie_header {
        headers.push(("cookie", value));
    }
    request(Method::POST, LOGIN, &headers, Body::from(body))
}

/// Signs `email` in and answers the session id from the `Set-Cookie` header.
async fn login(dojo: &Dojo, email: &str, cookie: Option<&str>) -> String {
    let reply = dojo.send(login_request(email, cookie)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    session_id(&reply)
}

fn session_id(reply: &Reply) -> String {
    let cookie = reply.header("set-cookie").expect("a Set-Cookie header");
    cookie
        .strip_prefix("dojo_session=")
        .and_then(|rest| rest.split(';').next())
        .expect("a dojo_session cookie")
        .to_owned()
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

fn session_key(id: &str) -> String {
    format!("dojo:session:{}", digest(id))
}

fn stored(redis: &mut redis::Connection, id: &str) -> HashMap<String, String> {
    redis.hgetall(session_key(id)).expect("HGETALL")
}

fn user_sessions(redis: &mut redis::Connection, user_id: u64) -> Vec<String> {
    let mut members: Vec<String> = redis
        .smembers(format!("dojo:user-sessions:{user_id}"))
        .expect("SMEMBERS");
    members.sort();
    members
}

#[tokio::test]
async fn login_stores_the_session_in_redis_with_its_lifetime_as_ttl() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = sandbox(&server, |_| {});
    let mut redis = inspect(&server);
    let reply = dojo.send(login_request(ADA, None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let cookie = reply.header("set-cookie").expect("Set-Cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let id = session_id(&reply);

    let record = stored(&mut redis, &id);
    assert_eq!(record.get("user_id").map(String::as_str), Some("1"));
    assert_eq!(record.get("created_at"), record.get("last_seen"));
    // Redis drops the session by itself once its 12 h lifetime (and a few seconds) is over.
    let ttl_ms: i64 = redis.pttl(session_key(&id)).expect("PTTL");
    let lifetime_ms = 43_200_000;
    assert!(
        (lifetime_ms - 60_000..=lifetime_ms + 5_000).contains(&ttl_ms),
        "TTL {ttl_ms} ms"
    );
    assert_eq!(user_sessions(&mut redis, 1), vec![digest(&id)]);
    // Only the hash is stored: the id itself, the bearer secret, appears in no key or value.
    let keys: Vec<String> = redis.keys("*").expect("KEYS");
    assert!(keys.iter().all(|key| !key.contains(&id)), "{keys:?}");
    assert!(record.values().all(|value| !value.contains(&id)));

    let reply = me(&dojo, &id).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({ "email": ADA, "id": 1, "role": "user" })
    );
    assert_eq!(session_reason(&dojo, &reply).await, "session ok");
}

#[tokio::test]
async fn each_request_updates_last_seen_in_redis() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = sandbox(&server, |_| {});
    let mut redis = inspect(&server);
    let id = login(&dojo, ADA, None).await;
    let created_at: u64 = redis.hget(session_key(&id), "created_at").expect("HGET");
    // Backdate last_seen by a millisecond so the update shows whatever the clock does.
    let _: () = redis
        .hset(session_key(&id), "last_seen", created_at - 1)
        .expect("HSET");
    assert_eq!(me(&dojo, &id).await.status, StatusCode::OK);
    let last_seen: u64 = redis.hget(session_key(&id), "last_seen").expect("HGET");
    assert!(last_seen >= created_at, "{last_seen} < {created_at}");
    // Touching keeps the absolute lifetime: the TTL was not reset or removed.
    let ttl_ms: i64 = redis.pttl(session_key(&id)).expect("PTTL");
    assert!(ttl_ms > 0 && ttl_ms <= 43_205_000, "TTL {ttl_ms} ms");
}

#[tokio::test]
async fn login_rotates_the_id_and_deletes_the_one_the_client_came_with() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = sandbox(&server, |_| {});
    let mut redis = inspect(&server);
    let first = login(&dojo, ADA, None).await;
    let second = login(&dojo, ADA, Some(&first)).await;
    assert_ne!(first, second, "every login gets its own id");
    assert!(
        stored(&mut redis, &first).is_empty(),
        "the old session is gone"
    );
    assert!(!stored(&mut redis, &second).is_empty());
    assert_eq!(user_sessions(&mut redis, 1), vec![digest(&second)]);
    assert_eq!(
        assert_problem(&me(&dojo, &first).await, 401)["detail"],
        "unknown session id"
    );

    // A planted id the store never knew is not adopted either.
    let planted = "attacker-chosen-session-id-0003";
    let reply = dojo.send(login_request(ADA, Some(planted))).await;
    assert_ne!(session_id(&reply), planted);
    assert!(stored(&mut redis, planted).is_empty());
    assert_problem(&me(&dojo, planted).await, 401);
}

#[tokio::test]
async fn logout_deletes_the_session_from_redis() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = sandbox(&server, |_| {});
    let mut redis = inspect(&server);
    let id = login(&dojo, ADA, None).await;
    let cookie = format!("dojo_session={id}");
    let logout = || request(Method::POST, LOGOUT, &[("cookie", &cookie)], Body::empty());
    let reply = dojo.send(logout()).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(
        reply
            .header("set-cookie")
            .expect("Set-Cookie")
            .contains("Max-Age=0")
    );
    assert!(stored(&mut redis, &id).is_empty());
    assert!(user_sessions(&mut redis, 1).is_empty());
    assert_eq!(
        assert_problem(&me(&dojo, &id).await, 401)["detail"],
        "unknown session id"
    );
    // Logging out twice is harmless.
    assert_eq!(dojo.send(logout()).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_idle_session_expires_and_is_deleted_from_redis() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = sandbox(&server, |c| c.session_idle_timeout = Duration::ZERO);
    let mut redis = inspect(&server);
    let id = login(&dojo, ADA, None).await;
    let reply = me(&dojo, &id).await;
    assert_eq!(
        assert_problem(&reply, 401)["detail"],
        "session idle-expired"
    );
    assert_eq!(session_reason(&dojo, &reply).await, "session idle-expired");
    assert!(stored(&mut redis, &id).is_empty());
}

#[tokio::test]
async fn a_session_past_its_absolute_lifetime_expires_and_redis_drops_it_soon() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = sandbox(&server, |c| c.session_absolute_timeout = Duration::ZERO);
    let mut redis = inspect(&server);
    let id = login(&dojo, ADA, None).await;
    // No lifetime: Redis keeps the key only for the few seconds' grace.
    let ttl_ms: i64 = redis.pttl(session_key(&id)).expect("PTTL");
    assert!((1..=5_000).contains(&ttl_ms), "TTL {ttl_ms} ms");
    let reply = me(&dojo, &id).await;
    assert_eq!(
        assert_problem(&reply, 401)["detail"],
        "session absolute-expired"
    );
    assert!(stored(&mut redis, &id).is_empty());
}

#[tokio::test]
async fn two_sandboxes_on_one_redis_share_sessions() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let first = sandbox(&server, |_| {});
    let second = sandbox(&server, |_| {});
    let id = login(&first, ADA, None).await;
    let reply = me(&second, &id).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["email"], ADA);

    let cookie = format!("dojo_session={id}");
    let reply = second
        .send(request(
            Method::POST,
            LOGOUT,
            &[("cookie", &cookie)],
            Body::empty(),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_problem(&me(&first, &id).await, 401);
}

async fn reset_password(dojo: &Dojo, email: &str, password: &str) -> Value {
    let reply = dojo
        .post_json("/api/v1/password/forgot", &json!({ "email": email }))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let mails = dojo.get("/_dojo/mailbox").await.json();
    let link = mails[0]["links"][0].as_str().expect("a mailed link");
    let token = link.split("token=").nth(1).expect("a token");
    let reply = dojo
        .post_json(
            "/api/v1/password/reset",
            &json!({ "token": token, "new_password": password }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

#[tokio::test]
async fn a_password_reset_ends_every_session_of_the_user_in_redis() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = sandbox(&server, |_| {});
    let mut redis = inspect(&server);
    let laptop = login(&dojo, ADA, None).await;
    let phone = login(&dojo, ADA, None).await;
    let grace = login(&dojo, GRACE, None).await;
    assert_eq!(user_sessions(&mut redis, 1).len(), 2);

    let answer = reset_password(&dojo, ADA, NEW_PASSWORD).await;
    assert_eq!(answer["sessions_revoked"], 2, "{answer}");
    for id in [&laptop, &phone] {
        assert!(stored(&mut redis, id).is_empty());
        assert_problem(&me(&dojo, id).await, 401);
    }
    assert!(user_sessions(&mut redis, 1).is_empty());
    // Another user's session is untouched.
    let reply = me(&dojo, &grace).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["email"], GRACE);
}

#[tokio::test]
async fn a_topic_reset_deletes_only_the_sandboxs_session_keys() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let dojo = sandbox(&server, |_| {});
    let mut redis = inspect(&server);
    let _: () = redis.set("another-app:greeting", "hello").expect("SET");
    let ada = login(&dojo, ADA, None).await;
    let grace = login(&dojo, GRACE, None).await;

    dojo.reset_topic(2).await;
    for id in [&ada, &grace] {
        assert_eq!(
            assert_problem(&me(&dojo, id).await, 401)["detail"],
            "unknown session id"
        );
    }
    let sessions: Vec<String> = redis.keys("dojo:session:*").expect("KEYS");
    let user_sets: Vec<String> = redis.keys("dojo:user-sessions:*").expect("KEYS");
    assert!(sessions.is_empty(), "{sessions:?}");
    assert!(user_sets.is_empty(), "{user_sets:?}");
    let other: Option<String> = redis.get("another-app:greeting").expect("GET");
    assert_eq!(
        other.as_deref(),
        Some("hello"),
        "FLUSHDB would have taken it"
    );

    // Sessions made after the reset work as usual.
    let id = login(&dojo, ADA, None).await;
    assert_eq!(me(&dojo, &id).await.status, StatusCode::OK);
}

/// A 503 problem whose detail names the server, without its password.
fn assert_unavailable(reply: &Reply, shown_url: &str) {
    let problem = assert_problem(reply, 503);
    assert_eq!(
        problem["type"],
        "https://backend-dojo.dev/problems/service-unavailable"
    );
    let detail = problem["detail"].as_str().expect("a detail");
    assert!(detail.contains("session store"), "{detail}");
    assert!(detail.contains(shown_url), "{detail}");
    assert!(!detail.contains("s3cret"), "{detail}");
}

#[tokio::test]
async fn an_unreachable_redis_answers_503_naming_the_server_without_its_password() {
    let port = redis_server::free_port().expect("a free port");
    let dojo = Dojo::with(SandboxConfig {
        redis_url: Some(format!("redis://:s3cret@127.0.0.1:{port}/0")),
        ..config()
    });
    let shown = format!("redis://:***@127.0.0.1:{port}/0");
    let reply = dojo.send(login_request(ADA, None)).await;
    assert_unavailable(&reply, &shown);
    assert!(
        reply.header("set-cookie").is_none(),
        "no session, no cookie"
    );
    let reply = me(&dojo, "some-session-id-0123456789").await;
    assert_unavailable(&reply, &shown);
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(layer(&trace, "session")["status"], 503, "{trace}");
    // Without a cookie there is nothing to look up: still a plain 401.
    assert_problem(&dojo.get(ME).await, 401);
}

#[tokio::test]
async fn a_redis_that_goes_away_turns_session_checks_into_503s() {
    let Some(server) = redis_server::start() else {
        return;
    };
    let shown = server.url();
    let dojo = sandbox(&server, |_| {});
    let id = login(&dojo, ADA, None).await;
    assert_eq!(me(&dojo, &id).await.status, StatusCode::OK);
    drop(server);
    let reply = me(&dojo, &id).await;
    assert_unavailable(&reply, &shown);
}
