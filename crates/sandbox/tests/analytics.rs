//! Topic 28's reports show the queries that really run: the SQL of the SQLite store and the
//! pipeline of the MongoDB store, both taken from `dojo-storage`, on either backend. (The
//! rows themselves are checked in `data_insights.rs`, and the pipeline's stages against a
//! MongoDB server in `crates/storage/tests/shared_suite.rs`.)

mod common;

// The storage tests' server harness, shared; this file needs only part of it.
#[allow(dead_code)]
#[path = "../../storage/tests/support/mongo_server.rs"]
mod mongo_server;

use axum::http::StatusCode;
use common::{Dojo, config};
use dojo_sandbox::SandboxConfig;
use dojo_storage::analytics::Report;
use dojo_storage::{mongo, sqlite};
use serde_json::Value;

const POSTS: u64 = 60;

/// A report's answer, which must be a 200.
async fn report(dojo: &Dojo, path: &str) -> Value {
    let reply = dojo.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
    reply.json()
}

fn path_of(report: Report) -> String {
    match report {
        Report::PostsPerAuthor => "/api/v1/analytics/posts_per_author?limit=3".to_owned(),
        Report::SignupsPerDay => {
            "/api/v1/analytics/signups_per_day?from=2025-01-06&to=2025-01-13".to_owned()
        }
        Report::RevenuePerMonth => "/api/v1/analytics/revenue_per_month".to_owned(),
    }
}

#[tokio::test]
async fn on_sqlite_each_report_shows_the_sql_it_ran_and_the_pipeline_mongodb_runs() {
    let dojo = Dojo::with(SandboxConfig {
        seed_posts: POSTS,
        ..config()
    });
    for report in Report::ALL {
        let answer = self::report(&dojo, &path_of(report)).await;
        assert_eq!(answer["backend"], "sqlite");
        assert_eq!(answer["report"], report.as_str());
        assert_eq!(answer["sql"], sqlite::report_sql(report), "{report:?}");
        assert_eq!(
            answer["query"], answer["sql"],
            "{report:?}: SQLite ran the SQL shown"
        );
        assert_eq!(
            answer["pipeline"],
            mongo::report_pipeline(report),
            "{report:?}: the pipeline shown is the MongoDB store's"
        );
    }
}

#[tokio::test]
async fn the_shown_pipeline_keeps_placeholders_for_the_request_values() {
    let dojo = Dojo::with(SandboxConfig {
        seed_posts: POSTS,
        ..config()
    });
    // The request's limit and range are bound when the query runs, as `?1` is in the SQL:
    // the text shown is the same for every request.
    let authors = report(&dojo, "/api/v1/analytics/posts_per_author?limit=2").await;
    assert_eq!(authors["rows"].as_array().expect("rows").len(), 2);
    let limits: Vec<&Value> = authors["pipeline"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|stage| stage.get("$limit"))
        .collect();
    assert_eq!(limits, vec!["<limit>"]);
    assert!(authors["sql"].as_str().expect("sql").contains("LIMIT ?1"));

    let days = report(
        &dojo,
        "/api/v1/analytics/signups_per_day?from=2025-01-06&to=2025-01-08",
    )
    .await;
    assert_eq!(
        days["pipeline"][0]["$match"]["created_at"],
        serde_json::json!({ "$gte": "<from>", "$lt": "<to>" })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn on_mongodb_the_query_that_ran_is_the_pipeline_shown() {
    let Some(target) = mongo_server::shared_target() else {
        return;
    };
    let uri = target
        .uri_with_database("sandbox_analytics")
        .unwrap_or_else(|| target.uri());
    let dojo = Dojo::with(SandboxConfig {
        mongodb_uri: Some(uri),
        seed_posts: POSTS,
        ..config()
    });
    // nx-27017, the test server, has no `$toDate` and no compound `$group` keys, which the
    // other two reports use; on a real MongoDB (`DOJO_TEST_MONGODB_URI`) all three run.
    let reports: &[Report] = if target.is_nx_27017() {
        &[Report::PostsPerAuthor]
    } else {
        &Report::ALL
    };
    for &report in reports {
        let answer = self::report(&dojo, &path_of(report)).await;
        assert_eq!(answer["backend"], "mongodb");
        let ran: Value = serde_json::from_str(answer["query"].as_str().expect("query text"))
            .expect("the query that ran is a JSON pipeline");
        assert_eq!(ran, answer["pipeline"], "{report:?}");
        assert_eq!(ran, mongo::report_pipeline(report), "{report:?}");
        assert_eq!(answer["sql"], sqlite::report_sql(report), "{report:?}");
        assert!(!answer["rows"].as_array().expect("rows").is_empty());
    }
}
