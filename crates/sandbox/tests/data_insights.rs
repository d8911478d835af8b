//! Topics 9 and 28 on the data suite: the live schema beside the MongoDB design, query
//! plans for allowlisted queries only, and group-by reports with both queries shown.

mod common;

use axum::http::StatusCode;
use common::{Dojo, assert_problem, config};
use dojo_sandbox::SandboxConfig;
use serde_json::{Value, json};

const POSTS: u64 = 800;

fn dojo() -> Dojo {
    Dojo::with(SandboxConfig {
        seed_posts: POSTS,
        ..config()
    })
}

#[tokio::test]
async fn the_schema_shows_the_live_sql_beside_the_mongodb_design() {
    let dojo = dojo();
    let reply = dojo.get("/api/v1/schema").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let schema = reply.json();
    assert_eq!(schema["backend"], "sqlite");
    let live = schema["live"]["objects"].as_array().expect("objects");
    let email_index = live
        .iter()
        .find(|o| o["name"] == "users_email_live")
        .expect("the live-only unique index");
    assert!(
        email_index["definition"]
            .as_str()
            .expect("sql")
            .contains("WHERE deleted_at IS NULL")
    );
    assert!(
        live.iter()
            .any(|o| o["kind"] == "virtual table" && o["name"] == "posts_fts")
    );
    assert!(
        schema["sql"]
            .as_str()
            .expect("sql")
            .contains("CREATE TABLE comments")
    );
    let users = schema["mongodb"]
        .as_array()
        .expect("collections")
        .iter()
        .find(|c| c["name"] == "users")
        .expect("a users collection");
    let email_live = users["indexes"]
        .as_array()
        .expect("indexes")
        .iter()
        .find(|index| index["name"] == "users_email_live")
        .expect("the live-only unique email index on MongoDB too");
    assert_eq!(email_live["unique"], true);
    assert_eq!(
        email_live["partialFilterExpression"],
        json!({ "deleted_at": { "$eq": null } })
    );
    assert!(schema["choices"].as_array().expect("choices").len() >= 4);
}

/// The shown MongoDB collection named `name`.
fn collection<'a>(shown: &'a [Value], name: &str) -> &'a Value {
    shown
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} is shown: {shown:?}"))
}

#[tokio::test]
async fn the_mongodb_indexes_shown_are_the_ones_the_store_creates() {
    let schema = dojo().get("/api/v1/schema").await.json();
    let shown = schema["mongodb"].as_array().expect("collections");
    let catalogue = dojo_storage::mongo::index_catalogue();
    assert!(!catalogue.is_empty());
    for (name, indexes) in &catalogue {
        let listed = &collection(shown, name)["indexes"];
        assert_eq!(listed, indexes, "{name}: the store's own definitions");
        assert!(
            listed.as_array().expect("indexes").contains(&json!({
                "name": format!("{name}_id"), "key": { "id": 1 }, "unique": true
            })),
            "{name} is looked up by its unique integer id: {listed}"
        );
    }
    for other in shown
        .iter()
        .filter(|c| !catalogue.iter().any(|(name, _)| c["name"] == *name))
    {
        assert_eq!(
            other["name"], "counters",
            "only the id counters have no index"
        );
        assert_eq!(other["indexes"], json!([]), "{other}");
    }
    let posts = collection(shown, "posts")["indexes"]
        .as_array()
        .expect("indexes");
    for index in posts.iter().filter(|index| index["name"] != "posts_id") {
        let key = index["key"].as_object().expect("a key document");
        assert_eq!(
            key.keys().next_back().map(String::as_str),
            Some("id"),
            "every posts sort index ends in the integer id, not _id: {index}"
        );
    }
    let trash = collection(shown, "users")["indexes"]
        .as_array()
        .expect("indexes")
        .iter()
        .find(|index| index["name"] == "users_trash")
        .expect("the trash index");
    assert_eq!(
        trash["partialFilterExpression"],
        json!({ "deleted_at": { "$type": "number" } }),
        "deleted accounts hold a number of milliseconds"
    );
}

#[tokio::test]
async fn the_mongodb_examples_are_stored_documents() {
    let schema = dojo().get("/api/v1/schema").await.json();
    let shown = schema["mongodb"].as_array().expect("collections");
    for (name, indexes) in dojo_storage::mongo::index_catalogue() {
        let example = collection(shown, name)["example"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} has an example document"));
        assert!(example.contains_key("_id"), "{name}: the driver's ObjectId");
        assert!(example["id"].is_u64(), "{name}: the shared integer id");
        for (member, value) in example {
            if member.ends_with("_at") {
                assert!(
                    value.is_i64() || value.is_null(),
                    "{name}.{member} is whole milliseconds or null, not a date: {value}"
                );
            }
        }
        for index in indexes.as_array().expect("indexes") {
            for field in index["key"].as_object().expect("a key document").keys() {
                assert!(
                    example.contains_key(field),
                    "{name}.{} indexes {field}, which the example lacks",
                    index["name"]
                );
            }
        }
    }
    let comment = &collection(shown, "comments")["example"];
    assert_eq!(comment["ancestors"], json!([1, 2]));
    assert_eq!(comment["depth"], 2);
    let path = comment["path"].as_str().expect("a path");
    assert_eq!(
        path.split('/')
            .map(|id| id.parse::<u64>().ok())
            .collect::<Vec<_>>(),
        [Some(1), Some(2), Some(3)],
        "the ids from the thread's top: {path}"
    );
    assert_eq!(
        collection(shown, "users")["example"]["deleted_at"],
        Value::Null
    );
}

#[tokio::test]
async fn the_sql_shown_is_the_migrations_text() {
    let schema = dojo().get("/api/v1/schema").await.json();
    let folder =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../storage/src/sqlite/migrations");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&folder)
        .expect("the migrations folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let migrations: Vec<String> = files
        .iter()
        .map(|file| std::fs::read_to_string(file).expect("a migration"))
        .collect();
    assert_eq!(schema["sql"], migrations.join("\n"));
}

#[tokio::test]
async fn plans_are_shown_for_allowlisted_queries_only() {
    let dojo = dojo();
    let by_author = dojo
        .post_json(
            "/api/v1/schema/explain",
            &json!({ "query": "posts_by_author", "author_id": 1 }),
        )
        .await;
    assert_eq!(by_author.status, StatusCode::OK, "{}", by_author.text());
    let plan = by_author.json();
    assert_eq!(plan["uses_index"], true, "{plan}");
    assert!(
        plan["plan"].to_string().contains("posts_author_created"),
        "{plan}"
    );

    let deep = dojo
        .post_json(
            "/api/v1/schema/explain",
            &json!({ "query": "posts_page_by_offset", "offset": 700 }),
        )
        .await
        .json();
    assert!(deep["query"].as_str().expect("query").contains("OFFSET"));
    let tree = dojo
        .post_json(
            "/api/v1/schema/explain",
            &json!({ "query": "comment_tree", "post_id": 1 }),
        )
        .await
        .json();
    assert!(
        tree["query"]
            .as_str()
            .expect("query")
            .contains("WITH RECURSIVE")
    );

    let raw_sql = dojo
        .post_json(
            "/api/v1/schema/explain",
            &json!({ "query": "raw", "sql": "SELECT * FROM users" }),
        )
        .await;
    assert_problem(&raw_sql, 422);
    let no_words = dojo
        .post_json(
            "/api/v1/schema/explain",
            &json!({ "query": "search_posts", "text": "**" }),
        )
        .await;
    assert_problem(&no_words, 422);
}

fn rows(report: &Value) -> &Vec<Value> {
    report["rows"].as_array().expect("rows")
}

#[tokio::test]
async fn reports_group_the_data_and_show_sql_and_pipeline() {
    let dojo = dojo();
    let list = dojo.get("/api/v1/analytics").await.json();
    assert_eq!(list["reports"].as_array().expect("names").len(), 3);

    let authors = dojo
        .get("/api/v1/analytics/posts_per_author?limit=100")
        .await;
    assert_eq!(authors.status, StatusCode::OK, "{}", authors.text());
    let authors = authors.json();
    assert!(authors["query"].as_str().expect("sql").contains("GROUP BY"));
    assert_eq!(authors["query"], authors["sql"], "SQLite ran the SQL shown");
    assert_eq!(authors["pipeline"][0]["$group"]["_id"], "$author_id");
    let total: u64 = rows(&authors)
        .iter()
        .map(|r| r["posts"].as_u64().expect("posts"))
        .sum();
    assert_eq!(total, POSTS);
    assert_eq!(rows(&authors)[0]["author_name"], "Ada Lovelace");

    let days = dojo
        .get("/api/v1/analytics/signups_per_day?from=2025-01-06&to=2025-01-08")
        .await
        .json();
    assert_eq!(
        rows(&days),
        &vec![
            json!({ "day": "2025-01-06", "signups": 2 }),
            json!({ "day": "2025-01-07", "signups": 3 })
        ]
    );
    let revenue = dojo.get("/api/v1/analytics/revenue_per_month").await.json();
    let currencies: Vec<&str> = rows(&revenue)
        .iter()
        .map(|r| r["currency"].as_str().expect("currency"))
        .collect();
    assert!(currencies.contains(&"EUR") && currencies.contains(&"USD"));
    assert!(
        rows(&revenue)
            .iter()
            .all(|r| r["revenue_cents"].as_i64().expect("cents") > 0)
    );

    assert_problem(&dojo.get("/api/v1/analytics/churn").await, 404);
    assert_problem(
        &dojo
            .get("/api/v1/analytics/signups_per_day?from=yesterday")
            .await,
        422,
    );
}
