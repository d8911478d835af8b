//! A small MongoDB-style filter language over users (topic 11): a JSON object such as
//! `{"role": "admin", "created_at": {"$gte": 1700000000000}}` read into a typed [`Filter`]
//! that each backend turns into its own query (SQL with bound parameters on SQLite, a BSON
//! document on MongoDB). Field names are only ever taken from [`USER_FIELDS`], never spliced
//! from input, so a filter cannot inject SQL.
//!
//! What the policy decides is the topic's lesson. Under [`Policy::Allowlist`] only public
//! fields and comparison operators are accepted, and the password hash cannot be named.
//! Under [`Policy::Raw`] (the break-it switch) the object goes through as the client sent
//! it, as `User.findOne(req.body)` does in Express: hidden fields and every operator are
//! accepted, so `{"password": {"$ne": null}}` matches every account.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{StoreError, StoreResult};

/// What a field holds, so values of the wrong type are refused instead of compared oddly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Int,
    Text,
    /// An integer that may be null (`deleted_at`).
    NullableInt,
}

/// One field the filter language knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldSpec {
    /// The name clients write.
    pub name: &'static str,
    /// The column (SQLite) and document key (MongoDB) it reads.
    pub stored_as: &'static str,
    pub kind: FieldKind,
    /// Whether the allowlist lets clients filter on it.
    pub public: bool,
}

/// The user fields a filter may name. `password` reads the stored hash and is not public.
pub const USER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "id",
        stored_as: "id",
        kind: FieldKind::Int,
        public: true,
    },
    FieldSpec {
        name: "email",
        stored_as: "email",
        kind: FieldKind::Text,
        public: true,
    },
    FieldSpec {
        name: "name",
        stored_as: "name",
        kind: FieldKind::Text,
        public: true,
    },
    FieldSpec {
        name: "role",
        stored_as: "role",
        kind: FieldKind::Text,
        public: true,
    },
    FieldSpec {
        name: "created_at",
        stored_as: "created_at",
        kind: FieldKind::Int,
        public: true,
    },
    FieldSpec {
        name: "deleted_at",
        stored_as: "deleted_at",
        kind: FieldKind::NullableInt,
        public: false,
    },
    FieldSpec {
        name: "password",
        stored_as: "password_hash",
        kind: FieldKind::Text,
        public: false,
    },
];

/// How much of the client's object is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Public fields only; operators `$eq $ne $gt $gte $lt $lte $in $nin`.
    Allowlist,
    /// Every known field and every supported operator (`$exists`, `$regex` too): the hole.
    Raw,
}

/// A comparable value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    Null,
    Int(i64),
    Text(String),
}

/// One condition on one field. Semantics every backend keeps ("null" also covers a
/// missing document key on MongoDB):
/// - `Eq(Null)`: the field is null; `Eq(v)`: it equals `v`.
/// - `Ne(Null)`: the field is not null; `Ne(v)`: it is null or differs from `v`.
/// - `Gt/Gte/Lt/Lte(v)` (`v` never null): the field is not null and compares so; text in
///   binary (byte) order.
/// - `In(list)`: equals one of the list (a `Null` in the list matches null); empty matches
///   nothing. `Nin(list)`: the negation of `In(list)`.
/// - `Exists(true)`: the field is not null; `Exists(false)`: it is null.
/// - `Regex`: a text field matching the pattern somewhere (unanchored unless the pattern
///   anchors itself); null never matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq(Scalar),
    Ne(Scalar),
    Gt(Scalar),
    Gte(Scalar),
    Lt(Scalar),
    Lte(Scalar),
    In(Vec<Scalar>),
    Nin(Vec<Scalar>),
    Exists(bool),
    Regex {
        pattern: String,
        case_insensitive: bool,
    },
}

/// One field and what it must satisfy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub field: &'static FieldSpec,
    pub op: Op,
}

/// Conditions that must all hold. Empty matches every row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub conditions: Vec<Condition>,
}

/// Longest `$regex` pattern accepted, in bytes.
pub const MAX_PATTERN_LEN: usize = 200;

impl Filter {
    /// No condition: every row.
    pub fn all() -> Filter {
        Filter::default()
    }

    /// `field == value` on a known user field; `None` if no such field.
    pub fn user_eq(field: &str, value: Scalar) -> Option<Filter> {
        let field = USER_FIELDS.iter().find(|f| f.name == field)?;
        Some(Filter {
            conditions: vec![Condition {
                field,
                op: Op::Eq(value),
            }],
        })
    }

    /// Reads a JSON object into a filter over `fields` under `policy`. Every refusal is
    /// [`StoreError::Invalid`] naming `filter.<field>` and the reason.
    pub fn from_json(
        value: &Value,
        fields: &'static [FieldSpec],
        policy: Policy,
    ) -> StoreResult<Filter> {
        let Value::Object(members) = value else {
            return Err(StoreError::invalid(
                "filter",
                "must be a JSON object of field names",
            ));
        };
        let mut conditions = Vec::new();
        for (name, wanted) in members {
            let place = format!("filter.{name}");
            if name.starts_with('$') {
                return Err(StoreError::invalid(
                    place,
                    "top-level operators ($or, $where, ...) are not supported",
                ));
            }
            let field = fields
                .iter()
                .find(|f| f.name == name)
                .filter(|f| f.public || policy == Policy::Raw)
                .ok_or_else(|| {
                    let allowed: Vec<&str> = fields
                        .iter()
                        .filter(|f| f.public || policy == Policy::Raw)
                        .map(|f| f.name)
                        .collect();
                    StoreError::invalid(
                        place.clone(),
                        format!("not a filterable field; use one of {}", allowed.join(", ")),
                    )
                })?;
            match wanted {
                Value::Object(operators) => {
                    read_operators(field, operators, policy, &place, &mut conditions)?;
                }
                plain => conditions.push(Condition {
                    field,
                    op: Op::Eq(scalar(field, plain, &place)?),
                }),
            }
        }
        Ok(Filter { conditions })
    }
}

fn read_operators(
    field: &'static FieldSpec,
    operators: &Map<String, Value>,
    policy: Policy,
    place: &str,
    conditions: &mut Vec<Condition>,
) -> StoreResult<()> {
    if operators.is_empty() {
        return Err(StoreError::invalid(place, "an empty operator object"));
    }
    let case_insensitive = match operators.get("$options") {
        None => false,
        Some(Value::String(options)) if options.is_empty() || options == "i" => options == "i",
        Some(_) => {
            return Err(StoreError::invalid(
                place,
                "$options may only be \"i\" (ignore case)",
            ));
        }
    };
    for (operator, operand) in operators {
        let raw_only = matches!(operator.as_str(), "$exists" | "$regex" | "$options");
        if raw_only && policy == Policy::Allowlist {
            return Err(StoreError::invalid(
                place,
                format!(
                    "operator {operator} is not allowed; use $eq $ne $gt $gte $lt $lte $in $nin"
                ),
            ));
        }
        let compared = |operand: &Value| -> StoreResult<Scalar> {
            match scalar(field, operand, place)? {
                Scalar::Null => Err(StoreError::invalid(
                    place,
                    format!("{operator} needs a value, not null"),
                )),
                value => Ok(value),
            }
        };
        let op = match operator.as_str() {
            "$eq" => Op::Eq(scalar(field, operand, place)?),
            "$ne" => Op::Ne(scalar(field, operand, place)?),
            "$gt" => Op::Gt(compared(operand)?),
            "$gte" => Op::Gte(compared(operand)?),
            "$lt" => Op::Lt(compared(operand)?),
            "$lte" => Op::Lte(compared(operand)?),
            "$in" => Op::In(list(field, operand, place)?),
            "$nin" => Op::Nin(list(field, operand, place)?),
            "$exists" => match operand {
                Value::Bool(exists) => Op::Exists(*exists),
                _ => return Err(StoreError::invalid(place, "$exists takes true or false")),
            },
            "$regex" => Op::Regex {
                pattern: pattern(field, operand, place)?,
                case_insensitive,
            },
            "$options" => {
                if !operators.contains_key("$regex") {
                    return Err(StoreError::invalid(place, "$options only goes with $regex"));
                }
                continue;
            }
            other => {
                return Err(StoreError::invalid(
                    place,
                    format!("unknown operator {other}"),
                ));
            }
        };
        conditions.push(Condition { field, op });
    }
    Ok(())
}

/// A plain JSON value as a scalar of the field's kind.
fn scalar(field: &FieldSpec, value: &Value, place: &str) -> StoreResult<Scalar> {
    match (field.kind, value) {
        (_, Value::Null) => Ok(Scalar::Null),
        (FieldKind::Text, Value::String(text)) => Ok(Scalar::Text(text.clone())),
        (FieldKind::Int | FieldKind::NullableInt, Value::Number(number)) => number
            .as_i64()
            .map(Scalar::Int)
            .ok_or_else(|| StoreError::invalid(place, "must be a whole number")),
        (FieldKind::Text, _) => Err(StoreError::invalid(place, "must be a string")),
        (_, Value::Object(_)) => Err(StoreError::invalid(
            place,
            "an object here must be an operator object such as {\"$gt\": 5}",
        )),
        (_, _) => Err(StoreError::invalid(place, "must be a whole number")),
    }
}

fn list(field: &FieldSpec, value: &Value, place: &str) -> StoreResult<Vec<Scalar>> {
    let Value::Array(items) = value else {
        return Err(StoreError::invalid(place, "$in and $nin take an array"));
    };
    if items.len() > 100 {
        return Err(StoreError::invalid(
            place,
            "at most 100 values in $in or $nin",
        ));
    }
    items
        .iter()
        .map(|item| scalar(field, item, place))
        .collect()
}

fn pattern(field: &FieldSpec, value: &Value, place: &str) -> StoreResult<String> {
    if field.kind != FieldKind::Text {
        return Err(StoreError::invalid(
            place,
            "$regex only applies to text fields",
        ));
    }
    let Value::String(pattern) = value else {
        return Err(StoreError::invalid(place, "$regex takes a string"));
    };
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(StoreError::invalid(
            place,
            format!("$regex patterns are limited to {MAX_PATTERN_LEN} bytes"),
        ));
    }
    Ok(pattern.clone())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(value: Value, policy: Policy) -> StoreResult<Filter> {
        Filter::from_json(&value, USER_FIELDS, policy)
    }

    #[test]
    fn the_allowlist_refuses_the_password_field_and_raw_only_operators() {
        let injection = json!({ "email": "ada@dojo.test", "password": { "$ne": null } });
        let refused = read(injection.clone(), Policy::Allowlist).expect_err("refused");
        assert!(
            matches!(&refused, StoreError::Invalid { field, .. } if field == "filter.password"),
            "{refused:?}"
        );
        let exists = read(json!({ "email": { "$exists": true } }), Policy::Allowlist);
        assert!(exists.is_err());

        let raw = read(injection, Policy::Raw).expect("the hole accepts it");
        assert_eq!(raw.conditions.len(), 2);
        assert_eq!(raw.conditions[1].field.stored_as, "password_hash");
        assert_eq!(raw.conditions[1].op, Op::Ne(Scalar::Null));
    }

    #[test]
    fn values_must_fit_the_field_and_operators_must_be_known() {
        let allow = Policy::Allowlist;
        assert!(read(json!({ "email": 5 }), allow).is_err());
        assert!(read(json!({ "id": "1" }), allow).is_err());
        assert!(read(json!({ "id": { "$gt": null } }), allow).is_err());
        assert!(read(json!({ "id": { "$where": "1" } }), Policy::Raw).is_err());
        assert!(read(json!({ "$or": [] }), Policy::Raw).is_err());
        assert!(read(json!({ "email": { "nested": 1 } }), Policy::Raw).is_err());
        assert!(read(json!(["email"]), allow).is_err());
        let range = read(json!({ "id": { "$gte": 1, "$lt": 3 } }), allow).expect("a range");
        assert_eq!(range.conditions.len(), 2);
        let regex = read(
            json!({ "password": { "$regex": "^\\$argon2", "$options": "i" } }),
            Policy::Raw,
        )
        .expect("a regex");
        assert_eq!(
            regex.conditions[0].op,
            Op::Regex {
                pattern: "^\\$argon2".into(),
                case_insensitive: true
            }
        );
    }
}
