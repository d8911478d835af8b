//! The live schema (collections and their indexes, as `listIndexes` reports them) and
//! query plans from the `explain` command, for the schema panel (topic 9).

use std::sync::Arc;

use mongodb::bson::{Bson, Document, doc};

use super::comments::thread_query;
use super::posts::{after_cursor, search_document, sort_document};
use super::{COMMENTS, MongoDb, NOTIFICATIONS, POSTS, USERS, backend, collect, to_bson_id};
use crate::error::{StoreError, StoreResult};
use crate::query::{Cursor, PostFilter, PostSort, SortValue, search_words};
use crate::schema::{Backend, ExplainTarget, QueryPlan, SchemaDescription, SchemaObject};
use crate::stores::{BoxFuture, SchemaStore};

/// How many rows the explained page queries ask for.
const PAGE: i64 = 20;

/// Plan stages that read through an index rather than every document.
const INDEX_STAGES: &[&str] = &[
    "IXSCAN",
    "IDHACK",
    "COUNT_SCAN",
    "DISTINCT_SCAN",
    "EXPRESS_IXSCAN",
    "EXPRESS_IDHACK",
];

#[derive(Debug)]
pub(crate) struct MongoSchema {
    db: Arc<MongoDb>,
}

impl MongoSchema {
    pub(crate) fn new(db: Arc<MongoDb>) -> MongoSchema {
        MongoSchema { db }
    }
}

fn json(value: Bson) -> String {
    serde_json::to_string(&value.into_relaxed_extjson()).unwrap_or_default()
}

fn pretty_json(value: Bson) -> String {
    serde_json::to_string_pretty(&value.into_relaxed_extjson()).unwrap_or_default()
}

/// The `find` command the schema panel explains for a target.
fn find_command(target: &ExplainTarget) -> StoreResult<Document> {
    let newest = PostSort::default();
    let command = match target {
        ExplainTarget::UserByEmail { email } => doc! {
            "find": USERS,
            "filter": { "email": email.as_str(), "deleted_at": { "$eq": null } },
            "limit": 1,
        },
        ExplainTarget::PostsByAuthor { author_id } => doc! {
            "find": POSTS,
            "filter": { "author_id": to_bson_id(*author_id) },
            "sort": sort_document(newest),
            "limit": PAGE,
        },
        ExplainTarget::PostsPageByOffset { offset } => doc! {
            "find": POSTS,
            "filter": {},
            "sort": sort_document(newest),
            "skip": i64::try_from(*offset).unwrap_or(i64::MAX),
            "limit": PAGE,
        },
        ExplainTarget::PostsPageAfter { created_at, id } => {
            let cursor = Cursor {
                sort: newest,
                value: SortValue::Int(*created_at),
                id: *id,
            };
            doc! {
                "find": POSTS,
                "filter": after_cursor(newest, &cursor)?,
                "sort": sort_document(newest),
                "limit": PAGE,
            }
        }
        ExplainTarget::SearchPosts { text } => {
            let words = search_words(text);
            if words.is_empty() {
                return Err(StoreError::invalid(
                    "text",
                    "give at least one word to search for",
                ));
            }
            doc! {
                "find": POSTS,
                "filter": search_document(&words, &PostFilter::default()),
                "sort": { "id": -1 },
                "limit": PAGE,
            }
        }
        ExplainTarget::CommentTree { post_id } => doc! {
            "find": COMMENTS,
            "filter": thread_query(*post_id, None, u32::MAX),
            "sort": { "path": 1 },
        },
        ExplainTarget::UnreadNotifications { user_id } => doc! {
            "find": NOTIFICATIONS,
            "filter": { "user_id": to_bson_id(*user_id), "read_at": { "$eq": null } },
            "sort": { "created_at": -1, "id": -1 },
            "limit": PAGE,
        },
    };
    Ok(command)
}

/// The winning plan as indented lines, one per stage, and whether a stage uses an index.
/// Reads classic plans (`stage`, `inputStage`, `inputStages`) and slot-based ones, which
/// wrap the same tree in `queryPlan`. A shape it does not know is shown as JSON, and then
/// no index use is claimed.
fn plan_lines(winning: &Bson) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    let mut uses_index = false;
    match winning {
        Bson::Document(plan) if plan.contains_key("queryPlan") || plan.contains_key("stage") => {
            let tree = plan.get_document("queryPlan").unwrap_or(plan);
            walk(tree, 0, &mut lines, &mut uses_index);
        }
        Bson::Array(steps) => {
            for step in steps {
                match step.as_document().and_then(|s| s.get_str("detail").ok()) {
                    Some(detail) => lines.push(detail.to_owned()),
                    None => lines.push(json(step.clone())),
                }
            }
        }
        other => lines.push(json(other.clone())),
    }
    (lines, uses_index)
}

fn walk(stage: &Document, depth: usize, lines: &mut Vec<String>, uses_index: &mut bool) {
    let name = stage.get_str("stage").unwrap_or("?");
    let mut line = format!("{}{name}", "  ".repeat(depth));
    if let Ok(index) = stage.get_str("indexName") {
        line.push_str(&format!(" using {index}"));
    }
    if let Ok(keys) = stage.get_document("keyPattern") {
        line.push_str(&format!(" {}", json(Bson::Document(keys.clone()))));
    }
    if INDEX_STAGES.contains(&name) || stage.contains_key("indexName") {
        *uses_index = true;
    }
    lines.push(line);
    if let Ok(input) = stage.get_document("inputStage") {
        walk(input, depth + 1, lines, uses_index);
    }
    if let Ok(inputs) = stage.get_array("inputStages") {
        for input in inputs.iter().filter_map(Bson::as_document) {
            walk(input, depth + 1, lines, uses_index);
        }
    }
}

impl SchemaStore for MongoSchema {
    fn describe(&self) -> BoxFuture<'_, StoreResult<SchemaDescription>> {
        Box::pin(async move {
            let mut objects = Vec::new();
            let mut names = self
                .db
                .database
                .list_collection_names()
                .await
                .map_err(backend)?;
            names.retain(|name| !name.starts_with("system."));
            names.sort();
            for name in names {
                // The options as the server reports them (a validator, if one were set),
                // read untyped so any server's shape of the answer will do.
                let listed = self
                    .db
                    .database
                    .run_command(doc! { "listCollections": 1, "filter": { "name": &name } })
                    .await
                    .map_err(backend)?;
                let options = listed
                    .get_document("cursor")
                    .and_then(|cursor| cursor.get_array("firstBatch"))
                    .ok()
                    .and_then(|batch| batch.first())
                    .and_then(Bson::as_document)
                    .and_then(|spec| spec.get_document("options").ok())
                    .cloned()
                    .unwrap_or_default();
                objects.push(SchemaObject {
                    kind: "collection".to_owned(),
                    name: name.clone(),
                    on: name.clone(),
                    definition: json(Bson::Document(options)),
                });
                let indexes = self
                    .db
                    .database
                    .collection::<Document>(&name)
                    .list_indexes()
                    .await
                    .map_err(backend)?;
                for index in collect(indexes).await? {
                    let index_name = index
                        .options
                        .as_ref()
                        .and_then(|options| options.name.clone())
                        .unwrap_or_default();
                    let mut definition = mongodb::bson::to_document(&index)
                        .map_err(|e| StoreError::Backend(format!("mongodb: an index: {e}")))?;
                    definition.remove("name");
                    definition.remove("v");
                    objects.push(SchemaObject {
                        kind: "index".to_owned(),
                        name: index_name,
                        on: name.clone(),
                        definition: json(Bson::Document(definition)),
                    });
                }
            }
            objects.sort_by(|a, b| (&a.on, &a.name).cmp(&(&b.on, &b.name)));
            Ok(SchemaDescription {
                backend: Backend::Mongodb,
                objects,
            })
        })
    }

    // region: mongo-explain
    fn explain(&self, target: ExplainTarget) -> BoxFuture<'_, StoreResult<QueryPlan>> {
        Box::pin(async move {
            let command = find_command(&target)?;
            let query = pretty_json(Bson::Document(command.clone()));
            let answer = self
                .db
                .database
                .run_command(doc! { "explain": command, "verbosity": "queryPlanner" })
                .await
                .map_err(backend)?;
            let winning = answer
                .get_document("queryPlanner")
                .ok()
                .and_then(|planner| planner.get("winningPlan"))
                .cloned()
                .ok_or_else(|| {
                    StoreError::Backend("mongodb: explain answered without a winning plan".into())
                })?;
            let (plan, uses_index) = plan_lines(&winning);
            Ok(QueryPlan {
                backend: Backend::Mongodb,
                query,
                plan,
                uses_index,
            })
        })
    }
    // endregion
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_classic_plan_reads_as_indented_stages_with_its_index() {
        let winning = Bson::Document(doc! {
            "stage": "LIMIT",
            "inputStage": { "stage": "FETCH", "inputStage": {
                "stage": "IXSCAN", "indexName": "posts_created",
                "keyPattern": { "created_at": 1, "id": 1 },
            } },
        });
        let (lines, uses_index) = plan_lines(&winning);
        assert!(uses_index);
        assert_eq!(lines[0], "LIMIT");
        assert_eq!(
            lines[2],
            "    IXSCAN using posts_created {\"created_at\":1,\"id\":1}"
        );
        let scan = Bson::Document(doc! { "queryPlan": { "stage": "COLLSCAN" } });
        assert_eq!(plan_lines(&scan), (vec!["COLLSCAN".to_owned()], false));
    }

    #[test]
    fn every_target_has_a_find_command_and_empty_search_is_refused() {
        let offset =
            find_command(&ExplainTarget::PostsPageByOffset { offset: 100_000 }).expect("a command");
        assert_eq!(offset.get_i64("skip"), Ok(100_000));
        let search = ExplainTarget::SearchPosts {
            text: " $ne ".to_owned(),
        };
        assert!(find_command(&search).is_ok());
        let empty = ExplainTarget::SearchPosts {
            text: "  ".to_owned(),
        };
        assert!(matches!(
            find_command(&empty),
            Err(StoreError::Invalid { .. })
        ));
    }
}
