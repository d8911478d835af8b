//! Chat (topic 25): rooms on the `/chat` namespace, messages stored then broadcast, acks
//! that carry the stored message, idempotent retries, typing and presence for the others
//! in the room, validation and the per-socket flood limit on a real socket; cursor paging
//! of the history over HTTP and over the socket.

mod common;

use common::socketio::{Live, PollingClient};
use common::{ADA, Dojo, GRACE, config, problem_detail};
use reqwest::StatusCode;
use serde_json::{Value, json};

const NS: &str = "/chat";

/// A client of `email` connected to `/chat`.
async fn chatter(live: &Live, email: &str) -> PollingClient {
    let token = live.login(email).await;
    let mut client = live.client().await;
    client
        .connect(NS, &json!({ "token": token }))
        .await
        .expect("connected to /chat");
    client
}

async fn join(client: &mut PollingClient, room: &str) -> Value {
    let ack = client.call(NS, "join", &json!({ "room": room })).await;
    assert_eq!(ack["ok"], true, "join {room}: {ack}");
    ack
}

fn seqs(messages: &Value) -> Vec<u64> {
    messages
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].as_u64().expect("a seq"))
        .collect()
}

fn names(online: &Value) -> Vec<&str> {
    online
        .as_array()
        .expect("online")
        .iter()
        .map(|m| m["name"].as_str().expect("a name"))
        .collect()
}

#[tokio::test]
async fn the_chat_handshake_checks_the_token_too() {
    let live = Live::start(config()).await;
    let mut client = live.client().await;
    let refused = client
        .connect(NS, &json!({ "token": "not-a-token" }))
        .await
        .expect_err("refused");
    assert!(
        refused.starts_with("unauthorized: malformed token"),
        "{refused}"
    );
    live.trace_of("CONNECT", "/socket.io/chat", 401).await;
    live.stop().await;
}

#[tokio::test]
async fn joining_answers_who_is_online_and_the_newest_page() {
    let live = Live::start(config()).await;
    let mut ada = chatter(&live, ADA).await;
    let ack = join(&mut ada, "general").await;
    assert_eq!(names(&ack["online"]), ["Ada Lovelace"]);
    assert_eq!(seqs(&ack["messages"]), (6..=25).collect::<Vec<_>>());
    assert_eq!(ack["next_before"], 6);
    assert_eq!(
        ack["messages"][19]["body"],
        "Turning the flag on for 10% of rooms."
    );
    live.stop().await;
}

#[tokio::test]
async fn a_message_is_stored_then_broadcast_and_the_ack_carries_its_id() {
    let live = Live::start(config()).await;
    let mut ada = chatter(&live, ADA).await;
    let mut grace = chatter(&live, GRACE).await;
    join(&mut ada, "general").await;
    join(&mut grace, "general").await;

    let ack = ada
        .call(
            NS,
            "send",
            &json!({ "room": "general", "body": "  Ship it?  ", "client_id": "ada-1" }),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(ack["duplicate"], false);
    let message = &ack["message"];
    assert_eq!(message["body"], "Ship it?", "stored trimmed");
    assert_eq!(message["seq"], 26);
    assert_eq!(message["author"], "Ada Lovelace");
    assert_eq!(message["user_id"], 1);
    assert_eq!(message["client_id"], "ada-1");
    assert!(
        message["id"].as_u64().is_some_and(|id| id > 25),
        "{message}"
    );

    assert_eq!(&grace.event(NS, "message").await, message);

    // The history has it: it was stored before anyone saw it.
    let token = live.login(GRACE).await;
    let (status, page) = live
        .get("/api/v1/chat/rooms/general/messages?limit=1", Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&page["messages"][0], message);

    // A retry with the same client id (the ack was lost) answers the same message and
    // broadcasts nothing: Grace's next message is the following one.
    let retry = ada
        .call(
            NS,
            "send",
            &json!({ "room": "general", "body": "Ship it?", "client_id": "ada-1" }),
        )
        .await;
    assert_eq!(retry["duplicate"], true);
    assert_eq!(&retry["message"], message);
    let next = ada
        .call(
            NS,
            "send",
            &json!({ "room": "general", "body": "Shipping." }),
        )
        .await;
    assert_eq!(next["message"]["seq"], 27);
    assert_eq!(grace.event(NS, "message").await["body"], "Shipping.");
    assert!(
        ada.unclaimed().iter().all(|p| p.data[0] != "message"),
        "the sender is not sent its own message back: {:?}",
        ada.unclaimed()
    );

    let trace = live.trace_of("EVENT", "/socket.io/chat#send", 201).await;
    let layers: Vec<&str> = trace["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["layer"].as_str().expect("a name"))
        .collect();
    assert_eq!(
        layers,
        [
            "socketio",
            "validation",
            "membership",
            "flood_limit",
            "handler"
        ],
        "{trace:#}"
    );
    live.stop().await;
}

#[tokio::test]
async fn presence_and_typing_reach_the_others_in_the_room() {
    let live = Live::start(config()).await;
    let mut ada = chatter(&live, ADA).await;
    let mut grace = chatter(&live, GRACE).await;
    join(&mut ada, "ops").await;

    let ack = join(&mut grace, "ops").await;
    assert_eq!(names(&ack["online"]), ["Ada Lovelace", "Grace Hopper"]);
    assert_eq!(ack["messages"], json!([]), "a new room has no history");
    assert_eq!(ack["next_before"], Value::Null);
    let presence = ada.event(NS, "presence").await;
    assert_eq!(presence["room"], "ops");
    assert_eq!(names(&presence["online"]), ["Ada Lovelace", "Grace Hopper"]);

    let typed = grace
        .call(NS, "typing", &json!({ "room": "ops", "typing": true }))
        .await;
    assert_eq!(typed["ok"], true);
    let typing = ada.event(NS, "typing").await;
    assert_eq!(
        typing,
        json!({ "room": "ops", "typing": true, "user": { "id": 2, "name": "Grace Hopper" } })
    );

    // A second socket of Grace changes nobody's presence; her leaving with one of two
    // does not either; her last socket going does.
    let mut grace_phone = chatter(&live, GRACE).await;
    join(&mut grace_phone, "ops").await;
    let left = grace.call(NS, "leave", &json!({ "room": "ops" })).await;
    assert_eq!(left, json!({ "ok": true, "room": "ops" }));
    let refused = grace
        .call(NS, "send", &json!({ "room": "ops", "body": "still here?" }))
        .await;
    assert_eq!(refused["status"], 403, "{refused}");
    // Disconnect the last one from the namespace.
    grace_phone.send_raw(&[format!("1{NS},")]).await;
    let presence = ada.event(NS, "presence").await;
    assert_eq!(names(&presence["online"]), ["Ada Lovelace"]);
    assert!(
        ada.unclaimed().iter().all(|p| p.data[0] != "presence"),
        "no presence for changes nobody sees: {:?}",
        ada.unclaimed()
    );
    live.stop().await;
}

#[tokio::test]
async fn invalid_messages_are_refused_in_the_ack_and_never_stored() {
    let live = Live::start(config()).await;
    let mut ada = chatter(&live, ADA).await;
    let long = "x".repeat(1001);
    let not_joined = ada
        .call(NS, "send", &json!({ "room": "general", "body": "hi" }))
        .await;
    assert_eq!(not_joined["status"], 403, "{not_joined}");
    assert_eq!(not_joined["ok"], false);

    join(&mut ada, "general").await;
    let cases = [
        (
            json!({ "room": "general", "body": "   " }),
            422,
            "the message is empty",
        ),
        (
            json!({ "room": "general", "body": long }),
            422,
            "the message has 1001 characters; at most 1000 are allowed",
        ),
        (
            json!({ "room": "General!", "body": "hi" }),
            422,
            "room \"General!\" is not a room name: 1 to 32 lowercase letters, digits or dashes",
        ),
        (
            json!({ "room": "general", "body": 7 }),
            400,
            "send needs an object",
        ),
        (json!("hello"), 400, "send needs an object"),
    ];
    for (payload, status, error) in cases {
        let ack = ada.call(NS, "send", &payload).await;
        assert_eq!(ack["ok"], false, "{payload}: {ack}");
        assert_eq!(ack["status"], status, "{payload}: {ack}");
        assert!(
            ack["error"].as_str().is_some_and(|e| e.starts_with(error)),
            "{payload}: {ack}"
        );
    }
    let exactly = "y".repeat(1000);
    let ack = ada
        .call(NS, "send", &json!({ "room": "general", "body": exactly }))
        .await;
    assert_eq!(ack["ok"], true, "1000 characters are allowed");

    let history = ada
        .call(NS, "history", &json!({ "room": "general", "limit": 2 }))
        .await;
    assert_eq!(
        seqs(&history["messages"]),
        [25, 26],
        "only the valid one was stored"
    );
    live.stop().await;
}

#[tokio::test]
async fn a_socket_that_floods_is_refused_after_its_burst() {
    let live = Live::start(config()).await;
    let mut ada = chatter(&live, ADA).await;
    join(&mut ada, "general").await;

    let mut outcomes = Vec::new();
    for n in 0..8 {
        let ack = ada
            .call(
                NS,
                "send",
                &json!({ "room": "general", "body": format!("spam {n}") }),
            )
            .await;
        outcomes.push(ack);
    }
    assert!(
        outcomes[..5].iter().all(|ack| ack["ok"] == true),
        "a burst of 5 passes: {outcomes:?}"
    );
    let refused = outcomes[5..]
        .iter()
        .find(|ack| ack["ok"] == false)
        .unwrap_or_else(|| panic!("the flood is refused: {outcomes:?}"));
    assert_eq!(refused["status"], 429);
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("slow down")),
        "{refused}"
    );
    let trace = live.trace_of("EVENT", "/socket.io/chat#send", 429).await;
    let flood = trace["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .find(|l| l["layer"] == "flood_limit")
        .expect("a flood_limit layer");
    assert_eq!(flood["decision"], "short_circuited");

    // Break it: with the limit off, nothing is refused.
    live.switch("chat-no-flood-limit", true).await;
    for n in 0..10 {
        let ack = ada
            .call(
                NS,
                "send",
                &json!({ "room": "general", "body": format!("more {n}") }),
            )
            .await;
        assert_eq!(ack["ok"], true, "{ack}");
    }
    live.stop().await;
}

#[tokio::test]
async fn history_pages_walk_back_without_gaps_or_repeats() {
    let live = Live::start(config()).await;
    let token = live.login(ADA).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/chat/rooms/general/messages?limit=10".to_owned();
    let mut pages = 0;
    loop {
        let (status, page) = live.get(&path, Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["room"], "general");
        let mut batch = seqs(&page["messages"]);
        assert!(
            batch.windows(2).all(|w| w[0] < w[1]),
            "oldest first: {batch:?}"
        );
        batch.extend(seen);
        seen = batch;
        pages += 1;
        match page["next_before"].as_u64() {
            Some(before) => {
                assert_eq!(before, seen[0]);
                path = format!("/api/v1/chat/rooms/general/messages?limit=10&before={before}");
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, (1..=25).collect::<Vec<_>>());

    // The same page over the socket, for members of the room.
    let mut ada = chatter(&live, ADA).await;
    let outsider = ada
        .call(
            NS,
            "history",
            &json!({ "room": "general", "before": 16, "limit": 10 }),
        )
        .await;
    assert_eq!(outsider["status"], 403);
    join(&mut ada, "general").await;
    let page = ada
        .call(
            NS,
            "history",
            &json!({ "room": "general", "before": 16, "limit": 10 }),
        )
        .await;
    assert_eq!(seqs(&page["messages"]), (6..=15).collect::<Vec<_>>());
    assert_eq!(page["next_before"], 6);
    live.stop().await;
}

#[tokio::test]
async fn the_history_route_refuses_bad_input_with_problem_details() {
    let dojo = Dojo::new();
    let detail = problem_detail(&dojo.get("/api/v1/chat/rooms/general/messages").await, 401);
    assert_eq!(detail, "no Authorization header");

    let token = dojo.login().await;
    let bearer = format!("Bearer {token}");
    let headers = [("authorization", bearer.as_str())];
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("before=0", "before"),
        ("before=-3", "before"),
    ] {
        let reply = dojo
            .get_with(
                &format!("/api/v1/chat/rooms/general/messages?{query}"),
                &headers,
            )
            .await;
        let problem = common::assert_problem(&reply, 422);
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    let reply = dojo
        .get_with("/api/v1/chat/rooms/No%20Room/messages", &headers)
        .await;
    let problem = common::assert_problem(&reply, 422);
    assert_eq!(problem["errors"][0]["field"], "room");

    let reply = dojo
        .get_with("/api/v1/chat/rooms/empty-room/messages", &headers)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({ "messages": [], "next_before": null, "room": "empty-room" })
    );
}

#[tokio::test]
async fn resetting_the_topic_puts_the_seeded_history_back() {
    let live = Live::start(config()).await;
    let mut ada = chatter(&live, ADA).await;
    join(&mut ada, "general").await;
    let ack = ada
        .call(
            NS,
            "send",
            &json!({ "room": "general", "body": "temporary" }),
        )
        .await;
    assert_eq!(ack["message"]["seq"], 26);
    let reset = live
        .tooling(reqwest::Method::POST, "/_dojo/topics/25/reset", None)
        .await;
    assert_eq!(
        reset["cleared"][0],
        "chat history (back to the seeded room general)"
    );
    let token = live.login(ADA).await;
    let (_, page) = live
        .get("/api/v1/chat/rooms/general/messages?limit=1", Some(&token))
        .await;
    assert_eq!(seqs(&page["messages"]), [25]);
    live.stop().await;
}
