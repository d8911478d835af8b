//! Topic 11 on the data suite: full-text search, the allowlisted JSON filter, and the
//! NoSQL operator injection: refused with `query-raw-object` off, logging in without a
//! password with it on.

mod common;

use axum::http::StatusCode;
use common::{Dojo, PASSWORD, assert_problem, config, layer, token_part};
use dojo_sandbox::SandboxConfig;
use serde_json::{Value, json};

const LOGIN: &str = "/api/v1/accounts/login";
const SWITCH: &str = "query-raw-object";

fn dojo() -> Dojo {
    Dojo::with(SandboxConfig {
        seed_posts: 2_000,
        ..config()
    })
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

async fn accounts_matching(dojo: &Dojo, filter: &Value) -> common::Reply {
    dojo.get(&format!(
        "/api/v1/accounts/search?filter={}",
        encode(&filter.to_string())
    ))
    .await
}

#[tokio::test]
async fn full_text_search_finds_every_word_and_treats_syntax_as_text() {
    let dojo = dojo();
    let reply = dojo
        .get("/api/v1/posts/search?q=keyset%20pagination&limit=50")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let results = reply.json();
    assert_eq!(results["words"], json!(["keyset", "pagination"]));
    let items = results["items"].as_array().expect("items");
    assert!(!items.is_empty());
    for hit in items {
        let text = format!("{} {}", hit["post"]["title"], hit["post"]["body"]).to_lowercase();
        assert!(
            text.contains("keyset") && text.contains("pagination"),
            "{text}"
        );
    }
    let tagged = dojo
        .get("/api/v1/posts/search?q=keyset&tag=rust")
        .await
        .json();
    assert!(
        tagged["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|h| h["post"]["tag"] == "rust")
    );

    let syntax = dojo
        .get("/api/v1/posts/search?q=keyset*%20OR%20%22NEAR(%22")
        .await;
    assert_eq!(
        syntax.status,
        StatusCode::OK,
        "engine syntax is only words: {}",
        syntax.text()
    );
    let problem = assert_problem(&dojo.get("/api/v1/posts/search?q=***").await, 422);
    assert_eq!(problem["errors"][0]["field"], "q");
    assert_problem(&dojo.get("/api/v1/posts/search").await, 422);
}

#[tokio::test]
async fn the_account_filter_is_allowlisted_until_the_switch_passes_it_raw() {
    let dojo = dojo();
    let admins = accounts_matching(&dojo, &json!({ "role": "admin" })).await;
    assert_eq!(admins.status, StatusCode::OK, "{}", admins.text());
    assert_eq!(admins.json()["items"][0]["email"], "grace@dojo.test");
    let range = accounts_matching(&dojo, &json!({ "id": { "$gte": 2, "$lt": 4 } })).await;
    assert_eq!(range.json()["total"], 2);

    let probe = json!({ "email": "ada@dojo.test", "password": { "$regex": "^\\$argon2id" } });
    let refused = accounts_matching(&dojo, &probe).await;
    let problem = assert_problem(&refused, 422);
    assert_eq!(problem["errors"][0]["field"], "filter.password");
    assert_problem(
        &accounts_matching(&dojo, &json!({ "email": { "$where": "1" } })).await,
        422,
    );
    assert_problem(
        &dojo.get("/api/v1/accounts/search?filter=%7Bnot-json").await,
        400,
    );

    // The hole: the hash becomes searchable, one guess at a time.
    dojo.switch(SWITCH, true).await;
    let leaked = accounts_matching(&dojo, &probe).await;
    assert_eq!(leaked.status, StatusCode::OK, "{}", leaked.text());
    assert_eq!(
        leaked.json()["total"],
        1,
        "the hash matched the guessed prefix"
    );
    assert!(
        !leaked.text().contains("argon2"),
        "the hash itself is never in an answer"
    );
    let wrong_guess = json!({ "email": "ada@dojo.test", "password": { "$regex": "^bcrypt" } });
    assert_eq!(
        accounts_matching(&dojo, &wrong_guess).await.json()["total"],
        0
    );
}

#[tokio::test]
async fn operator_injection_is_refused_then_logs_in_without_a_password_with_the_switch_on() {
    let dojo = dojo();
    let honest = dojo
        .post_json(
            LOGIN,
            &json!({ "email": "ada@dojo.test", "password": PASSWORD }),
        )
        .await;
    assert_eq!(honest.status, StatusCode::OK, "{}", honest.text());
    let wrong = dojo
        .post_json(
            LOGIN,
            &json!({ "email": "ada@dojo.test", "password": "not-her-password" }),
        )
        .await;
    assert_problem(&wrong, 401);
    let unknown = dojo
        .post_json(
            LOGIN,
            &json!({ "email": "nobody@dojo.test", "password": PASSWORD }),
        )
        .await;
    assert_problem(&unknown, 401);

    let attack = json!({ "email": "ada@dojo.test", "password": { "$ne": null } });
    let refused = dojo.post_json(LOGIN, &attack).await;
    let problem = assert_problem(&refused, 422);
    assert_eq!(problem["errors"][0]["field"], "password");
    let trace = dojo.trace(&refused.request_id()).await;
    assert_eq!(layer(&trace, "query")["decision"], "short_circuited");

    dojo.switch(SWITCH, true).await;
    let broken = dojo.post_json(LOGIN, &attack).await;
    assert_eq!(
        broken.status,
        StatusCode::OK,
        "the injection worked: {}",
        broken.text()
    );
    let token = broken.json()["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(token_part(&token, 1)["sub"], "1", "signed in as Ada");
    let me = dojo.me(Some(&format!("Bearer {token}"))).await;
    assert_eq!(me.json()["email"], "ada@dojo.test");
    // Any account: the first one that has a hash at all.
    let anyone = dojo
        .post_json(
            LOGIN,
            &json!({ "email": { "$ne": null }, "password": { "$ne": null } }),
        )
        .await;
    assert_eq!(anyone.status, StatusCode::OK);
    // A string password is still checked even with the switch on.
    let wrong = dojo
        .post_json(
            LOGIN,
            &json!({ "email": "ada@dojo.test", "password": "not-her-password" }),
        )
        .await;
    assert_problem(&wrong, 401);

    dojo.switch(SWITCH, false).await;
    assert_problem(&dojo.post_json(LOGIN, &attack).await, 422);
}
