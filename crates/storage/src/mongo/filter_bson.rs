//! The user filter language ([`crate::filter`]) as a MongoDB query document. Keys come
//! from the field table, never from input, and every value is a typed scalar, so whatever
//! the policy let through is exactly what runs: under the raw policy
//! `{"password": {"$ne": null}}` becomes `{password_hash: {$ne: null}}`, the real
//! operator-injection hole of an Express app that passes `req.body` to `findOne`.

use mongodb::bson::{Bson, Document, doc};

use crate::filter::{FieldSpec, Filter, Op, Scalar};
use crate::model::Scope;

/// The document key a field is stored under: the same name as its SQLite column.
fn key(field: &FieldSpec) -> &'static str {
    field.stored_as
}

fn value(scalar: &Scalar) -> Bson {
    match scalar {
        Scalar::Null => Bson::Null,
        Scalar::Int(number) => Bson::Int64(*number),
        Scalar::Text(text) => Bson::String(text.clone()),
    }
}

// region: mongo-filter
/// One condition as `{key: {operator: value}}`. Semantics match the contract in
/// [`Op`]: `{key: null}` and `$in: [null]` also match a missing key, `$ne`/`$nin` match
/// null, and range operators never match null (MongoDB compares within a type).
fn condition(field: &FieldSpec, op: &Op) -> Document {
    let key = key(field);
    let one = |operator: &str, scalar: &Scalar| doc! { key: { operator: value(scalar) } };
    let many = |operator: &str, list: &[Scalar]| {
        let values: Vec<Bson> = list.iter().map(value).collect();
        doc! { key: { operator: values } }
    };
    match op {
        Op::Eq(scalar) => one("$eq", scalar),
        Op::Ne(scalar) => one("$ne", scalar),
        Op::Gt(scalar) => one("$gt", scalar),
        Op::Gte(scalar) => one("$gte", scalar),
        Op::Lt(scalar) => one("$lt", scalar),
        Op::Lte(scalar) => one("$lte", scalar),
        Op::In(list) => many("$in", list),
        Op::Nin(list) => many("$nin", list),
        // The contract's "exists" is "not null": documents always store their nullable
        // keys, so MongoDB's own `$exists` would be true for every one of them.
        Op::Exists(true) => doc! { key: { "$ne": null } },
        Op::Exists(false) => doc! { key: { "$eq": null } },
        Op::Regex {
            pattern,
            case_insensitive,
        } => doc! {
            key: { "$regex": pattern.as_str(), "$options": if *case_insensitive { "i" } else { "" } }
        },
    }
}
// endregion

// region: mongo-scope
/// The soft-delete scope as a condition on `deleted_at`; `None` for every account. The
/// trash asks for a stored time by its type, the very filter of the `users_trash` partial
/// index, so MongoDB can answer it from that index.
pub(crate) fn scope(scope: Scope) -> Option<Document> {
    match scope {
        Scope::Live => Some(doc! { "deleted_at": { "$eq": null } }),
        Scope::Deleted => Some(doc! { "deleted_at": { "$type": "number" } }),
        Scope::All => None,
    }
}
// endregion

/// Every condition of `filter` and the extra ones, all of which must hold.
pub(crate) fn to_document(filter: &Filter, extra: impl IntoIterator<Item = Document>) -> Document {
    let mut all: Vec<Document> = filter
        .conditions
        .iter()
        .map(|c| condition(c.field, &c.op))
        .collect();
    all.extend(extra);
    and(all)
}

/// Conditions that must all hold, as one document: each condition's keys at top level
/// (`{email: "a", deleted_at: null}`, the shape learners write), and the ones whose key is
/// already taken in `$and` (`{$and: [{id: {$gte: 1}}, {id: {$lt: 3}}]}`, or two `$or`).
/// `{}` for none.
pub(crate) fn and(conditions: Vec<Document>) -> Document {
    let mut merged = Document::new();
    let mut clashing: Vec<Document> = Vec::new();
    for condition in conditions {
        if condition.keys().any(|key| merged.contains_key(key)) {
            clashing.push(condition);
        } else {
            merged.extend(condition);
        }
    }
    if !clashing.is_empty() {
        merged.insert("$and", clashing);
    }
    merged
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::filter::{Policy, USER_FIELDS};

    #[test]
    fn the_raw_injection_reaches_the_hash_and_ids_and_times_are_typed() {
        let raw = json!({ "password": { "$ne": null }, "id": { "$gte": 2 }, "created_at": 5 });
        let filter = Filter::from_json(&raw, USER_FIELDS, Policy::Raw).expect("raw accepts it");
        let query = to_document(&filter, scope(Scope::Live));
        let expected = doc! {
            "password_hash": { "$ne": null },
            "id": { "$gte": 2_i64 },
            "created_at": { "$eq": 5_i64 },
            "deleted_at": { "$eq": null },
        };
        assert_eq!(query, expected);
    }

    #[test]
    fn exists_means_not_null_and_no_condition_is_an_empty_query() {
        let raw = json!({ "deleted_at": { "$exists": true } });
        let filter = Filter::from_json(&raw, USER_FIELDS, Policy::Raw).expect("raw accepts it");
        assert_eq!(
            to_document(&filter, None),
            doc! { "deleted_at": { "$ne": null } }
        );
        assert_eq!(
            to_document(&Filter::all(), scope(Scope::All)),
            Document::new()
        );
    }
}
