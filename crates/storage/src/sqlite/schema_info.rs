//! The live schema and `EXPLAIN QUERY PLAN` for allowlisted queries (topic 9). The
//! explained statements are built by the same code the stores run, so the plan shown is
//! the plan used.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::comments::THREAD_SQL;
use super::posts::{POST_COLUMNS, order_by, search_sql};
use super::{Db, backend, to_sql};
use crate::error::{StoreError, StoreResult};
use crate::query::{PostSort, search_words};
use crate::schema::{Backend, ExplainTarget, QueryPlan, SchemaDescription, SchemaObject};
use crate::stores::{BoxFuture, SchemaStore};

/// Page size of the explained page queries.
const PAGE: i64 = 20;

#[derive(Debug)]
pub(crate) struct SqliteSchema {
    db: Arc<Db>,
}

impl SqliteSchema {
    pub(crate) fn new(db: Arc<Db>) -> SqliteSchema {
        SqliteSchema { db }
    }
}

fn describe(db: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    // FTS5 keeps its index in shadow tables (posts_fts_data, ...): internals, left out.
    let mut statement = db.prepare_cached(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'posts_fts_%'
         ORDER BY tbl_name, type = 'index', name",
    )?;
    let rows = statement.query_map([], |row| {
        let kind: String = row.get(0)?;
        let sql: String = row.get(3)?;
        let kind = if sql.starts_with("CREATE VIRTUAL TABLE") {
            "virtual table".to_owned()
        } else {
            kind
        };
        Ok(SchemaObject {
            kind,
            name: row.get(1)?,
            on: row.get(2)?,
            definition: sql,
        })
    })?;
    rows.collect()
}

/// The statement and parameters one target runs.
fn statement_for(target: &ExplainTarget) -> StoreResult<(String, Vec<Value>)> {
    let newest = order_by(PostSort::default());
    Ok(match target {
        ExplainTarget::UserByEmail { email } => (
            "SELECT id, email, name, role, created_at, updated_at, deleted_at FROM users
WHERE email = ?1 AND deleted_at IS NULL"
                .to_owned(),
            vec![Value::Text(email.clone())],
        ),
        ExplainTarget::PostsByAuthor { author_id } => (
            format!(
                "SELECT {POST_COLUMNS} FROM posts\nWHERE author_id = ?\nORDER BY {newest}\nLIMIT {PAGE}"
            ),
            vec![Value::Integer(to_sql(*author_id))],
        ),
        ExplainTarget::PostsPageByOffset { offset } => (
            format!("SELECT {POST_COLUMNS} FROM posts\nORDER BY {newest}\nLIMIT {PAGE} OFFSET ?"),
            vec![Value::Integer(to_sql(*offset))],
        ),
        ExplainTarget::PostsPageAfter { created_at, id } => (
            format!(
                "SELECT {POST_COLUMNS} FROM posts\nWHERE (created_at, id) < (?, ?)\nORDER BY {newest}\nLIMIT {PAGE}"
            ),
            vec![Value::Integer(*created_at), Value::Integer(to_sql(*id))],
        ),
        ExplainTarget::SearchPosts { text } => {
            let words = search_words(text);
            if words.is_empty() {
                return Err(StoreError::invalid("text", "give at least one word"));
            }
            let expression = words
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" ");
            (
                search_sql("1"),
                vec![Value::Text(expression), Value::Integer(PAGE)],
            )
        }
        ExplainTarget::CommentTree { post_id } => (
            THREAD_SQL.trim().to_owned(),
            vec![
                Value::Integer(to_sql(*post_id)),
                Value::Null,
                Value::Integer(i64::from(u32::MAX)),
            ],
        ),
        ExplainTarget::UnreadNotifications { user_id } => (
            "SELECT count(*) FROM notifications WHERE user_id = ?1 AND read_at IS NULL".to_owned(),
            vec![Value::Integer(to_sql(*user_id))],
        ),
    })
}

// region: sqlite-explain
/// `EXPLAIN QUERY PLAN` as indented lines (children under their parent step).
fn explain(db: &Connection, sql: &str, params: &[Value]) -> rusqlite::Result<Vec<String>> {
    let mut statement = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = statement.query_map(params_from_iter(params.iter()), |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(3)?,
        ))
    })?;
    let mut depth_of: HashMap<i64, usize> = HashMap::new();
    let mut lines = Vec::new();
    for row in rows {
        let (id, parent, detail) = row?;
        let depth = depth_of.get(&parent).map_or(0, |d| d + 1);
        depth_of.insert(id, depth);
        lines.push(format!("{}{detail}", "  ".repeat(depth)));
    }
    Ok(lines)
}

/// An index (or the primary key, or the FTS index) answers every table access: no line is
/// a bare `SCAN table` over rows.
fn uses_index(plan: &[String]) -> bool {
    let reads_index = |line: &str| {
        line.contains("INDEX") || line.contains("PRIMARY KEY") || line.contains("VIRTUAL TABLE")
    };
    let bare_scan = |line: &str| {
        let line = line.trim_start();
        line.starts_with("SCAN ") && !reads_index(line) && !line.starts_with("SCAN t")
    };
    plan.iter().any(|l| reads_index(l)) && !plan.iter().any(|l| bare_scan(l))
}
// endregion

impl SchemaStore for SqliteSchema {
    fn describe(&self) -> BoxFuture<'_, StoreResult<SchemaDescription>> {
        Box::pin(self.db.read(|db| {
            Ok(SchemaDescription {
                backend: Backend::Sqlite,
                objects: describe(db).map_err(backend)?,
            })
        }))
    }

    fn explain(&self, target: ExplainTarget) -> BoxFuture<'_, StoreResult<QueryPlan>> {
        Box::pin(self.db.read(move |db| {
            let (query, params) = statement_for(&target)?;
            let plan = explain(db, &query, &params).map_err(backend)?;
            Ok(QueryPlan {
                backend: Backend::Sqlite,
                uses_index: uses_index(&plan),
                query,
                plan,
            })
        }))
    }
}
