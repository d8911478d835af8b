//! Filters as SQL: a `WHERE` fragment and its bound values. Column names come only from
//! the filter's [`FieldSpec`](crate::filter::FieldSpec)s (constants), values only travel as
//! parameters, so no input ever becomes SQL text.

use rusqlite::types::Value;

use super::connection::compile_regex;
use crate::error::{StoreError, StoreResult};
use crate::filter::{Condition, Filter, Op, Scalar};

/// A `WHERE` fragment (always valid SQL, `1` when empty) with its parameters, in order.
#[derive(Debug, Default)]
pub(crate) struct Clause {
    pub(crate) sql: String,
    pub(crate) params: Vec<Value>,
}

impl Clause {
    /// Adds `sql` (with `?` placeholders for `params`) ANDed to the rest.
    pub(crate) fn and(&mut self, sql: &str, params: impl IntoIterator<Item = Value>) {
        if !self.sql.is_empty() {
            self.sql.push_str(" AND ");
        }
        self.sql.push_str(sql);
        self.params.extend(params);
    }

    /// The fragment to put after `WHERE`.
    pub(crate) fn sql(&self) -> &str {
        if self.sql.is_empty() { "1" } else { &self.sql }
    }
}

fn value(scalar: &Scalar) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Int(number) => Value::Integer(*number),
        Scalar::Text(text) => Value::Text(text.clone()),
    }
}

/// Adds every condition of `filter`, ANDed, to `clause`.
pub(crate) fn push_filter(clause: &mut Clause, filter: &Filter) -> StoreResult<()> {
    for condition in &filter.conditions {
        push_condition(clause, condition)?;
    }
    Ok(())
}

fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

// region: sqlite-filter
/// One condition as SQL: the column from the field table, the value a bound parameter.
fn push_condition(clause: &mut Clause, condition: &Condition) -> StoreResult<()> {
    let column = condition.field.stored_as;
    match &condition.op {
        Op::Eq(Scalar::Null) | Op::Exists(false) => clause.and(&format!("{column} IS NULL"), []),
        Op::Ne(Scalar::Null) | Op::Exists(true) => {
            clause.and(&format!("{column} IS NOT NULL"), []);
        }
        Op::Eq(scalar) => clause.and(&format!("{column} = ?"), [value(scalar)]),
        // `IS NOT` is true for NULL too: "null or different", like MongoDB's `$ne`.
        Op::Ne(scalar) => clause.and(&format!("{column} IS NOT ?"), [value(scalar)]),
        // Comparisons with NULL are never true, so null fields never match.
        Op::Gt(scalar) => clause.and(&format!("{column} > ?"), [value(scalar)]),
        Op::Gte(scalar) => clause.and(&format!("{column} >= ?"), [value(scalar)]),
        Op::Lt(scalar) => clause.and(&format!("{column} < ?"), [value(scalar)]),
        Op::Lte(scalar) => clause.and(&format!("{column} <= ?"), [value(scalar)]),
        Op::In(list) => {
            let (values, with_null) = split_null(list);
            let sql = match (values.is_empty(), with_null) {
                (true, false) => "0".to_owned(),
                (true, true) => format!("{column} IS NULL"),
                (false, false) => format!("{column} IN ({})", placeholders(values.len())),
                (false, true) => format!(
                    "({column} IN ({}) OR {column} IS NULL)",
                    placeholders(values.len())
                ),
            };
            clause.and(&sql, values);
        }
        Op::Nin(list) => {
            let (values, with_null) = split_null(list);
            let sql = match (values.is_empty(), with_null) {
                (true, false) => "1".to_owned(),
                (true, true) => format!("{column} IS NOT NULL"),
                (false, false) => format!(
                    "({column} IS NULL OR {column} NOT IN ({}))",
                    placeholders(values.len())
                ),
                (false, true) => format!(
                    "({column} IS NOT NULL AND {column} NOT IN ({}))",
                    placeholders(values.len())
                ),
            };
            clause.and(&sql, values);
        }
        Op::Regex {
            pattern,
            case_insensitive,
        } => {
            let pattern = if *case_insensitive {
                format!("(?i){pattern}")
            } else {
                pattern.clone()
            };
            compile_regex(&pattern).map_err(|e| {
                StoreError::invalid(
                    format!("filter.{}", condition.field.name),
                    format!("not a valid $regex: {e}"),
                )
            })?;
            clause.and(&format!("{column} REGEXP ?"), [Value::Text(pattern)]);
        }
    }
    Ok(())
}
// endregion

fn split_null(list: &[Scalar]) -> (Vec<Value>, bool) {
    let with_null = list.contains(&Scalar::Null);
    let values = list
        .iter()
        .filter(|s| **s != Scalar::Null)
        .map(value)
        .collect();
    (values, with_null)
}
