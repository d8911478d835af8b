//! Group-by reports (topic 28) as aggregation pipelines: `$match` what counts, `$group` by
//! the key with `$sum`, `$sort` the groups. Days and months are `$dateToString` of the
//! stored milliseconds made a date with `$toDate`, in UTC.

use std::sync::Arc;

use mongodb::bson::{Bson, Document, doc};

use super::{MongoDb, USERS, backend, collect, driver_limit, from_bson_id};
use crate::analytics::{AuthorPosts, DaySignups, MonthRevenue, Report, TimeRange};
use crate::error::{StoreError, StoreResult};
use crate::stores::{AnalyticsStore, BoxFuture};

#[derive(Debug)]
pub(crate) struct MongoAnalytics {
    db: Arc<MongoDb>,
}

impl MongoAnalytics {
    pub(crate) fn new(db: Arc<MongoDb>) -> MongoAnalytics {
        MongoAnalytics { db }
    }
}

// region: mongo-pipelines
/// Posts and likes per author, most posts first, with the author's name looked up.
fn posts_per_author_pipeline(limit: Bson) -> Vec<Document> {
    vec![
        doc! { "$group": {
            "_id": "$author_id",
            "posts": { "$sum": 1 },
            "likes": { "$sum": "$likes" },
        } },
        doc! { "$sort": { "posts": -1, "_id": 1 } },
        doc! { "$limit": limit },
        doc! { "$lookup": {
            "from": USERS,
            "localField": "_id",
            "foreignField": "id",
            "as": "author",
        } },
    ]
}

/// Accounts created per UTC day in `[from, to)`, soft-deleted ones included.
fn signups_per_day_pipeline(from: Bson, to: Bson) -> Vec<Document> {
    vec![
        doc! { "$match": { "created_at": { "$gte": from, "$lt": to } } },
        doc! { "$group": {
            "_id": { "$dateToString": {
                "format": "%Y-%m-%d",
                "date": { "$toDate": "$created_at" },
            } },
            "signups": { "$sum": 1 },
        } },
        doc! { "$sort": { "_id": 1 } },
    ]
}

/// Paid orders and revenue per UTC month and currency.
fn revenue_per_month_pipeline() -> Vec<Document> {
    vec![
        doc! { "$match": { "status": "paid" } },
        doc! { "$group": {
            "_id": {
                "month": { "$dateToString": {
                    "format": "%Y-%m",
                    "date": { "$toDate": "$created_at" },
                } },
                "currency": "$currency",
            },
            "paid_orders": { "$sum": 1 },
            "revenue_cents": { "$sum": "$total_cents" },
        } },
        doc! { "$sort": { "_id.month": 1, "_id.currency": 1 } },
    ]
}

/// The stages a report runs, built by the functions above, with a placeholder string
/// (`"<limit>"`, `"<from>"`, `"<to>"`) where a request's value goes when it runs.
fn shown_stages(report: Report) -> Vec<Document> {
    let placeholder = |name: &str| Bson::String(format!("<{name}>"));
    match report {
        Report::PostsPerAuthor => posts_per_author_pipeline(placeholder("limit")),
        Report::SignupsPerDay => signups_per_day_pipeline(placeholder("from"), placeholder("to")),
        Report::RevenuePerMonth => revenue_per_month_pipeline(),
    }
}
// endregion

/// The aggregation pipeline a report runs on MongoDB, as the JSON array of its stages
/// (relaxed Extended JSON), with placeholders for the request's values: what the sandbox
/// shows beside a report on either backend.
pub(crate) fn report_pipeline(report: Report) -> serde_json::Value {
    serde_json::Value::Array(
        shown_stages(report)
            .into_iter()
            .map(|stage| Bson::Document(stage).into_relaxed_extjson())
            .collect(),
    )
}

/// A number `$sum` produced: an int, a long, or a double when the server widened it.
fn number(group: &Document, key: &str) -> StoreResult<i64> {
    match group.get(key) {
        Some(Bson::Int32(value)) => Ok(i64::from(*value)),
        Some(Bson::Int64(value)) => Ok(*value),
        // Sums of whole numbers only; a double here is still whole.
        Some(Bson::Double(value)) if value.fract() == 0.0 => Ok(*value as i64),
        other => Err(StoreError::Backend(format!(
            "mongodb: {key} in a report group is {other:?}, not a whole number"
        ))),
    }
}

fn text(group: &Document, key: &str) -> StoreResult<String> {
    group
        .get_str(key)
        .map(str::to_owned)
        .map_err(|e| StoreError::Backend(format!("mongodb: {key} in a report group: {e}")))
}

fn count(group: &Document, key: &str) -> StoreResult<u64> {
    number(group, key).map(|value| u64::try_from(value).unwrap_or(0))
}

impl AnalyticsStore for MongoAnalytics {
    fn posts_per_author(&self, limit: u32) -> BoxFuture<'_, StoreResult<Vec<AuthorPosts>>> {
        Box::pin(async move {
            if limit == 0 {
                return Ok(Vec::new());
            }
            let cursor = self
                .db
                .posts
                .aggregate(posts_per_author_pipeline(Bson::Int64(driver_limit(limit))))
                .await
                .map_err(backend)?;
            collect(cursor)
                .await?
                .iter()
                .map(|group| {
                    let author_name = group
                        .get_array("author")
                        .ok()
                        .and_then(|authors| authors.first())
                        .and_then(Bson::as_document)
                        .and_then(|author| author.get_str("name").ok())
                        .map(str::to_owned);
                    Ok(AuthorPosts {
                        author_id: from_bson_id(number(group, "_id")?),
                        author_name,
                        posts: count(group, "posts")?,
                        likes: number(group, "likes")?,
                    })
                })
                .collect()
        })
    }

    fn signups_per_day(&self, range: TimeRange) -> BoxFuture<'_, StoreResult<Vec<DaySignups>>> {
        Box::pin(async move {
            let pipeline = signups_per_day_pipeline(Bson::Int64(range.from), Bson::Int64(range.to));
            let cursor = self.db.users.aggregate(pipeline).await.map_err(backend)?;
            collect(cursor)
                .await?
                .iter()
                .map(|group| {
                    Ok(DaySignups {
                        day: text(group, "_id")?,
                        signups: count(group, "signups")?,
                    })
                })
                .collect()
        })
    }

    fn revenue_per_month(&self) -> BoxFuture<'_, StoreResult<Vec<MonthRevenue>>> {
        Box::pin(async move {
            let cursor = self
                .db
                .orders
                .aggregate(revenue_per_month_pipeline())
                .await
                .map_err(backend)?;
            collect(cursor)
                .await?
                .iter()
                .map(|group| {
                    let key = group.get_document("_id").map_err(|e| {
                        StoreError::Backend(format!("mongodb: a revenue group's _id: {e}"))
                    })?;
                    Ok(MonthRevenue {
                        month: text(key, "month")?,
                        currency: text(key, "currency")?,
                        paid_orders: count(group, "paid_orders")?,
                        revenue_cents: number(group, "revenue_cents")?,
                    })
                })
                .collect()
        })
    }

    fn report_query(&self, report: Report) -> String {
        serde_json::to_string_pretty(&report_pipeline(report)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `shown` with each placeholder string replaced by its value.
    fn filled(
        shown: &serde_json::Value,
        values: &[(&str, serde_json::Value)],
    ) -> serde_json::Value {
        match shown {
            serde_json::Value::String(text) => values
                .iter()
                .find(|(name, _)| text == &format!("<{name}>"))
                .map_or_else(|| shown.clone(), |(_, value)| value.clone()),
            serde_json::Value::Array(items) => {
                items.iter().map(|item| filled(item, values)).collect()
            }
            serde_json::Value::Object(members) => members
                .iter()
                .map(|(key, value)| (key.clone(), filled(value, values)))
                .collect(),
            other => other.clone(),
        }
    }

    fn as_json(stages: Vec<Document>) -> serde_json::Value {
        Bson::Array(stages.into_iter().map(Bson::Document).collect()).into_relaxed_extjson()
    }

    #[test]
    fn the_shown_pipeline_filled_in_is_the_pipeline_each_report_runs() {
        let limit = driver_limit(7);
        let (from, to) = (1_736_121_600_000_i64, 1_736_812_800_000_i64);
        let values = [
            ("limit", serde_json::json!(limit)),
            ("from", serde_json::json!(from)),
            ("to", serde_json::json!(to)),
        ];
        let runs = [
            (
                Report::PostsPerAuthor,
                posts_per_author_pipeline(Bson::Int64(limit)),
            ),
            (
                Report::SignupsPerDay,
                signups_per_day_pipeline(Bson::Int64(from), Bson::Int64(to)),
            ),
            (Report::RevenuePerMonth, revenue_per_month_pipeline()),
        ];
        for (report, run) in runs {
            let shown = report_pipeline(report);
            assert_eq!(filled(&shown, &values), as_json(run), "{report:?}");
        }
    }

    #[test]
    fn placeholders_stand_where_the_request_values_go() {
        let authors = report_pipeline(Report::PostsPerAuthor);
        assert_eq!(authors[2], serde_json::json!({ "$limit": "<limit>" }));
        assert_eq!(authors[3]["$lookup"]["foreignField"], "id");
        let days = report_pipeline(Report::SignupsPerDay);
        assert_eq!(
            days[0],
            serde_json::json!({ "$match": { "created_at": { "$gte": "<from>", "$lt": "<to>" } } })
        );
        let revenue = report_pipeline(Report::RevenuePerMonth);
        assert!(!revenue.to_string().contains('<'), "{revenue}");
    }
}
