//! Realtime notifications (topic 24) on a real socket: the Socket.IO handshake checks the
//! access token from the `auth` payload and refuses a bad one with its reason, each socket
//! joins its user's room, a notification published over HTTP reaches every socket of that
//! user and nobody else, the token's expiry closes the socket, and all of it is traced
//! beside the HTTP requests.

mod common;

use std::time::Duration;

use common::socketio::Live;
use common::{ADA, GRACE, claims, config, signed_token, unsigned_token};
use dojo_sandbox::SandboxConfig;
use jsonwebtoken::Algorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

const NS: &str = "/";

fn test_secret() -> Vec<u8> {
    config().jwt_secret
}

#[tokio::test]
async fn a_handshake_without_a_valid_token_is_refused_with_its_reason() {
    let live = Live::start(config()).await;
    let expired = signed_token(Algorithm::HS256, &test_secret(), &claims("1", "user", -60));
    let forged = signed_token(Algorithm::HS256, b"guessed", &claims("2", "admin", 600));
    let unsigned = unsigned_token(&claims("2", "admin", 600));
    let cases = [
        (json!({}), "unauthorized: no token"),
        (json!({ "token": "" }), "unauthorized: no token"),
        (
            json!({ "token": 42 }),
            "unauthorized: the handshake auth payload must be an object",
        ),
        (
            json!({ "token": "abc" }),
            "unauthorized: malformed token: a JWT has three dot-separated parts",
        ),
        (json!({ "token": expired }), "unauthorized: token expired"),
        (
            json!({ "token": forged }),
            "unauthorized: signature does not match: the token was tampered with or signed with another key",
        ),
        (
            json!({ "token": unsigned }),
            "unauthorized: unsigned token (alg: none) refused",
        ),
    ];
    for (auth, expected) in cases {
        let mut client = live.client().await;
        let refused = client
            .connect(NS, &auth)
            .await
            .expect_err("the handshake is refused");
        assert!(
            refused.starts_with(expected),
            "auth {auth}: {refused:?} should start with {expected:?}"
        );
    }

    // The trace shows the auth layer deciding, like an HTTP 401.
    let trace = live.trace_of("CONNECT", "/socket.io/", 401).await;
    let auth = trace["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .find(|l| l["layer"] == "auth")
        .expect("an auth layer");
    assert_eq!(auth["decision"], "short_circuited");
    assert_eq!(auth["status"], 401);
    assert_eq!(
        auth["reason"], "unsigned token (alg: none) refused",
        "{trace:#}"
    );
    live.stop().await;
}

#[tokio::test]
async fn a_valid_token_connects_and_the_socket_is_in_its_users_room() {
    let live = Live::start(config()).await;
    let token = live.login(ADA).await;
    let mut client = live.client().await;
    let sid = client
        .connect(NS, &json!({ "token": token }))
        .await
        .expect("connected");
    assert!(!sid.is_empty());

    let me = client.call(NS, "whoami", &json!({})).await;
    assert_eq!(me["ok"], true, "{me}");
    assert_eq!(me["user_id"], 1);
    assert_eq!(me["name"], "Ada Lovelace");
    assert_eq!(me["transport"], "polling");
    let rooms: Vec<&str> = me["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(rooms.contains(&"user:1"), "{me}");
    assert!(!rooms.contains(&"user:2"), "{me}");

    let trace = live.trace_of("CONNECT", "/socket.io/", 200).await;
    let layers: Vec<&str> = trace["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["layer"].as_str().expect("a name"))
        .collect();
    assert_eq!(layers, ["socketio", "auth", "handler"], "{trace:#}");
    assert!(
        trace["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .all(|l| l["decision"] == "passed"),
        "{trace:#}"
    );
    let steps = trace["steps"].as_array().expect("steps");
    assert!(
        steps
            .iter()
            .any(|s| s["reason"] == "Ada Lovelace joined user:1"),
        "{trace:#}"
    );
    // Steps name the source line that recorded them, like HTTP traces.
    assert!(
        steps
            .iter()
            .any(|s| s["file"].as_str().is_some_and(|f| f.ends_with("jwt.rs"))),
        "the token check of jwt.rs decided: {trace:#}"
    );

    let unknown = client.call(NS, "dance", &json!({})).await;
    assert_eq!(unknown["ok"], false);
    assert_eq!(unknown["status"], 404);
    live.stop().await;
}

#[tokio::test]
async fn a_notification_reaches_every_socket_of_its_user_and_nobody_else() {
    let live = Live::start(config()).await;
    let ada = live.login(ADA).await;
    let grace = live.login(GRACE).await;
    // Ada in two tabs, Grace in one.
    let mut ada_tab = live.client().await;
    let mut ada_phone = live.client().await;
    let mut grace_tab = live.client().await;
    for (client, token) in [
        (&mut ada_tab, &ada),
        (&mut ada_phone, &ada),
        (&mut grace_tab, &grace),
    ] {
        client
            .connect(NS, &json!({ "token": token }))
            .await
            .expect("connected");
    }

    let (status, published) = live
        .post(
            "/api/v1/notifications/demo",
            Some(&ada),
            &json!({ "type": "mention" }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{published}");
    assert_eq!(published["room"], "user:1");
    assert_eq!(published["event"], "notification");
    let sent = &published["notification"];

    for client in [&mut ada_tab, &mut ada_phone] {
        let received = client.event(NS, "notification").await;
        assert_eq!(&received, sent);
        assert_eq!(received["type"], "mention");
        assert_eq!(received["actor"], "Grace Hopper");
    }

    // Grace's own notification is the first one she gets: Ada's never reached her, or it
    // would have come first (the relay delivers in publishing order).
    let (status, for_grace) = live
        .post(
            "/api/v1/notifications/demo",
            Some(&grace),
            &json!({ "type": "reply" }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let received = grace_tab.event(NS, "notification").await;
    assert_eq!(received, for_grace["notification"]);
    assert_eq!(received["actor"], "Ada Lovelace");

    // And the other way round: Ada's next one is her own payment, not Grace's reply.
    let (_, payment) = live
        .post(
            "/api/v1/notifications/demo",
            Some(&ada),
            &json!({ "type": "payment" }),
        )
        .await;
    assert_eq!(
        ada_tab.event(NS, "notification").await,
        payment["notification"]
    );
    assert!(
        grace_tab.unclaimed().is_empty(),
        "{:?}",
        grace_tab.unclaimed()
    );

    // The push is traced beside the HTTP request that caused it.
    let emit = live.trace_of("EMIT", "/socket.io/#notification", 200).await;
    assert!(
        emit["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .any(|s| s["reason"] == "emitted to user:1: 2 socket(s)"),
        "{emit:#}"
    );
    live.trace_of("POST", "/api/v1/notifications/demo", 202)
        .await;
    live.stop().await;
}

#[tokio::test]
async fn the_demo_route_needs_a_token_and_a_known_type() {
    let live = Live::start(config()).await;
    let (status, problem) = live
        .post("/api/v1/notifications/demo", None, &json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["detail"], "no Authorization header");

    let token = live.login(ADA).await;
    let (status, problem) = live
        .post(
            "/api/v1/notifications/demo",
            Some(&token),
            &json!({ "type": "party" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "type");

    let (status, published) = live
        .post("/api/v1/notifications/demo", Some(&token), &json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(published["notification"]["type"], "mention");
    live.stop().await;
}

#[tokio::test]
async fn with_the_switch_on_a_client_can_pick_another_users_room() {
    let live = Live::start(config()).await;
    let ada = live.login(ADA).await;
    let grace = live.login(GRACE).await;

    // Off: the user id in the payload is ignored; the token decides.
    let mut honest = live.client().await;
    honest
        .connect(NS, &json!({ "token": ada, "user_id": 2 }))
        .await
        .expect("connected");
    let me = honest.call(NS, "whoami", &json!({})).await;
    assert_eq!(me["user_id"], 1, "{me}");

    live.switch("realtime-trust-client-user", true).await;
    let mut spy = live.client().await;
    spy.connect(NS, &json!({ "token": ada, "user_id": 2 }))
        .await
        .expect("connected");
    let me = spy.call(NS, "whoami", &json!({})).await;
    assert_eq!(me["user_id"], 2, "{me}");
    let (_, for_grace) = live
        .post(
            "/api/v1/notifications/demo",
            Some(&grace),
            &json!({ "type": "mention" }),
        )
        .await;
    assert_eq!(
        spy.event(NS, "notification").await,
        for_grace["notification"],
        "Ada reads Grace's notification"
    );

    // Reset closes the hole again.
    live.tooling(reqwest::Method::POST, "/_dojo/topics/24/reset", None)
        .await;
    let mut after = live.client().await;
    after
        .connect(NS, &json!({ "token": ada, "user_id": 2 }))
        .await
        .expect("connected");
    assert_eq!(after.call(NS, "whoami", &json!({})).await["user_id"], 1);
    live.stop().await;
}

#[tokio::test]
async fn the_socket_is_closed_when_its_token_expires() {
    let live = Live::start(SandboxConfig {
        access_token_ttl: Duration::from_secs(1),
        ..config()
    })
    .await;
    let token = live.login(ADA).await;
    let mut client = live.client().await;
    client
        .connect(NS, &json!({ "token": token }))
        .await
        .expect("connected");
    let expired = client.event(NS, "auth:expired").await;
    assert!(
        expired["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("the access token expired")),
        "{expired}"
    );
    let closed = client
        .expect("the server's disconnect", |p| {
            p.kind == 1 && p.namespace == NS
        })
        .await;
    assert_eq!(closed.kind, 1);
    live.trace_of("EMIT", "/socket.io/#auth:expired", 401).await;
    live.stop().await;
}

#[tokio::test]
async fn socket_io_requests_do_not_spend_the_http_rate_limit() {
    let live = Live::start(SandboxConfig {
        rate_limit_burst: 2,
        rate_limit_per_second: 0.001,
        ..config()
    })
    .await;
    let token = live.login(ADA).await;
    // A dozen long-polling requests: handshake, connect, events and their acks.
    let mut client = live.client().await;
    client
        .connect(NS, &json!({ "token": token }))
        .await
        .expect("connected");
    for _ in 0..4 {
        assert_eq!(client.call(NS, "whoami", &json!({})).await["ok"], true);
    }
    // The login spent one of the two tokens; the socket spent none.
    let (status, _) = live.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = live.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    live.stop().await;
}
