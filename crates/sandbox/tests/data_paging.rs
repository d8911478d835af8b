//! Topic 10 on the data suite: offset pages with totals and `Link` headers, a capped page
//! size, cursor pages that neither skip nor repeat while posts are added (where offset
//! pages repeat), refused cursors and sorts, and the page-1-versus-deep-page benchmark.

mod common;

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use common::{ADA, Dojo, assert_problem, config, request};
use dojo_sandbox::SandboxConfig;
use serde_json::{Value, json};

const POSTS: u64 = 3_000;

fn dojo() -> Dojo {
    Dojo::with(SandboxConfig {
        seed_posts: POSTS,
        ..config()
    })
}

fn ids(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["id"].as_u64().expect("id"))
        .collect()
}

async fn add_post(dojo: &Dojo, token: &str) {
    let bearer = format!("Bearer {token}");
    let body = json!({ "title": "Written while you paged", "body": "new", "tag": "rust" });
    let reply = dojo
        .send(request(
            Method::POST,
            "/api/v1/posts",
            &[
                ("authorization", &bearer),
                ("content-type", "application/json"),
            ],
            axum::body::Body::from(body.to_string()),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
}

#[tokio::test]
async fn offset_pages_carry_totals_and_link_headers_and_cap_the_page_size() {
    let dojo = dojo();
    let reply = dojo.get("/api/v1/posts?page=2&per_page=5").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.header("x-total-count"),
        Some(POSTS.to_string().as_str())
    );
    let link = reply.header("link").expect("a Link header").to_owned();
    for rel in ["first", "prev", "next", "last"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{link}");
    }
    assert!(link.contains("page=3>; rel=\"next\""), "{link}");
    assert!(
        link.contains(&format!("page={}>; rel=\"last\"", POSTS / 5)),
        "{link}"
    );
    let page = reply.json();
    assert_eq!(page["total_pages"], POSTS / 5);
    // Newest first by default: page 2 of 5 holds ids 2995 down to 2991.
    assert_eq!(ids(&page), [2995, 2994, 2993, 2992, 2991]);

    let capped = dojo.get("/api/v1/posts?per_page=5000").await;
    assert_eq!(capped.json()["per_page"], 100);
    assert_eq!(ids(&capped.json()).len(), 100);

    let first = dojo.get("/api/v1/posts?per_page=10").await;
    let link = first.header("link").expect("Link").to_owned();
    assert!(!link.contains("rel=\"prev\""), "{link}");
    let beyond = dojo.get("/api/v1/posts?page=100000").await;
    assert_eq!(beyond.status, StatusCode::OK);
    assert!(ids(&beyond.json()).is_empty());
}

#[tokio::test]
async fn only_allowlisted_sorts_and_parameters_are_accepted() {
    let dojo = dojo();
    let likes = dojo
        .get("/api/v1/posts?sort=-likes&per_page=50&tag=rust")
        .await;
    assert_eq!(likes.status, StatusCode::OK, "{}", likes.text());
    let items = likes.json()["items"].as_array().expect("items").clone();
    assert!(items.iter().all(|p| p["tag"] == "rust"));
    let keys: Vec<(i64, u64)> = items
        .iter()
        .map(|p| {
            (
                p["likes"].as_i64().expect("likes"),
                p["id"].as_u64().expect("id"),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "likes descending, ties by id descending");

    let refused = dojo.get("/api/v1/posts?sort=password").await;
    let problem = assert_problem(&refused, 422);
    assert_eq!(problem["errors"][0]["field"], "sort");
    assert_problem(&dojo.get("/api/v1/posts?password=x").await, 400);
    assert_problem(&dojo.get("/api/v1/posts?page=0").await, 422);
    assert_problem(&dojo.get("/api/v1/posts/feed?cursor=forged").await, 400);
}

#[tokio::test]
async fn cursor_pages_neither_skip_nor_repeat_while_posts_are_added_but_offset_pages_repeat() {
    let dojo = dojo();
    let token = dojo.login_as(ADA).await;

    // Offset: a post added between two pages pushes the last row of page 1 onto page 2.
    let page1 = dojo.get("/api/v1/posts?per_page=20").await.json();
    add_post(&dojo, &token).await;
    let page2 = dojo.get("/api/v1/posts?per_page=20&page=2").await.json();
    assert_eq!(
        ids(&page1).last(),
        ids(&page2).first(),
        "offset paging repeated a row"
    );

    // Cursor: walk everything while adding posts; every seeded post exactly once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/posts/feed?limit=100".to_owned();
    loop {
        let reply = dojo.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let page = reply.json();
        seen.extend(ids(&page));
        add_post(&dojo, &token).await;
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                let link = reply.header("link").expect("a next link");
                assert!(link.contains(cursor), "{link}");
                path = format!("/api/v1/posts/feed?limit=100&cursor={cursor}");
            }
            None => break,
        }
    }
    let unique: HashSet<u64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no row twice");
    let expected: HashSet<u64> = (1..=POSTS).chain([POSTS + 1]).collect();
    assert_eq!(
        unique, expected,
        "every post that existed when paging began"
    );
}

#[tokio::test]
async fn a_cursor_only_continues_the_sort_it_was_made_for() {
    let dojo = dojo();
    let first = dojo
        .get("/api/v1/posts/feed?limit=5&sort=likes")
        .await
        .json();
    let cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();
    let same = dojo
        .get(&format!(
            "/api/v1/posts/feed?limit=5&sort=likes&cursor={cursor}"
        ))
        .await;
    assert_eq!(same.status, StatusCode::OK);
    let other = dojo
        .get(&format!(
            "/api/v1/posts/feed?limit=5&sort=-title&cursor={cursor}"
        ))
        .await;
    assert_problem(&other, 400);
}

#[tokio::test]
async fn the_benchmark_times_both_ways_and_shows_their_plans() {
    let dojo = dojo();
    let reply = dojo
        .get("/api/v1/posts/paging-benchmark?page=100&per_page=20")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let bench = reply.json();
    assert_eq!(bench["rows"], POSTS);
    assert_eq!(bench["same_rows"], true, "{bench}");
    for way in ["offset", "cursor"] {
        assert!(bench[way]["deep_page_us"].as_u64().is_some(), "{bench}");
    }
    let offset_query = bench["offset"]["deep_page_plan"]["query"]
        .as_str()
        .expect("query");
    assert!(offset_query.contains("OFFSET"), "{offset_query}");
    let cursor_plan = &bench["cursor"]["deep_page_plan"];
    assert_eq!(cursor_plan["uses_index"], true, "{cursor_plan}");
    assert!(
        cursor_plan["query"]
            .as_str()
            .expect("query")
            .contains("(created_at, id) <")
    );
    assert_problem(
        &dojo.get("/api/v1/posts/paging-benchmark?page=0").await,
        422,
    );
}

#[tokio::test]
async fn posts_are_read_one_by_one_and_written_only_with_a_token() {
    let dojo = dojo();
    let post = dojo.get("/api/v1/posts/1").await;
    assert_eq!(post.status, StatusCode::OK);
    assert_eq!(post.json()["id"], 1);
    assert_problem(&dojo.get("/api/v1/posts/999999").await, 404);
    let anonymous = dojo
        .post_json(
            "/api/v1/posts",
            &json!({ "title": "x", "body": "y", "tag": "rust" }),
        )
        .await;
    assert_problem(&anonymous, 401);
}
