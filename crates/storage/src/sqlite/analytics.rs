//! Group-by reports on SQLite (topic 28): one `GROUP BY` statement each; the statement is
//! also what the learner is shown.

use std::sync::Arc;

use super::{Db, backend, from_sql};
use crate::analytics::{AuthorPosts, DaySignups, MonthRevenue, Report, TimeRange};
use crate::error::StoreResult;
use crate::stores::{AnalyticsStore, BoxFuture};

#[derive(Debug)]
pub(crate) struct SqliteAnalytics {
    db: Arc<Db>,
}

impl SqliteAnalytics {
    pub(crate) fn new(db: Arc<Db>) -> SqliteAnalytics {
        SqliteAnalytics { db }
    }
}

// region: sqlite-reports
/// Posts and likes per author; a LEFT JOIN keeps authors whose account was purged.
const POSTS_PER_AUTHOR: &str =
    "SELECT p.author_id, u.name, count(*) AS posts, sum(p.likes) AS likes
FROM posts AS p
LEFT JOIN users AS u ON u.id = p.author_id
GROUP BY p.author_id
ORDER BY posts DESC, p.author_id ASC
LIMIT ?1";

/// Signups per UTC day; deleted accounts count, they did sign up.
const SIGNUPS_PER_DAY: &str = "SELECT strftime('%Y-%m-%d', created_at / 1000, 'unixepoch') AS day,
       count(*) AS signups
FROM users
WHERE created_at >= ?1 AND created_at < ?2
GROUP BY day
ORDER BY day";

/// Paid revenue per UTC month and currency: amounts of different currencies never add up.
const REVENUE_PER_MONTH: &str = "SELECT strftime('%Y-%m', created_at / 1000, 'unixepoch') AS month,
       currency,
       count(*) AS paid_orders,
       sum(total_cents) AS revenue_cents
FROM orders
WHERE status = 'paid'
GROUP BY month, currency
ORDER BY month, currency";
// endregion

/// The statement of a report.
pub(crate) fn sql(report: Report) -> &'static str {
    match report {
        Report::PostsPerAuthor => POSTS_PER_AUTHOR,
        Report::SignupsPerDay => SIGNUPS_PER_DAY,
        Report::RevenuePerMonth => REVENUE_PER_MONTH,
    }
}

impl AnalyticsStore for SqliteAnalytics {
    fn posts_per_author(&self, limit: u32) -> BoxFuture<'_, StoreResult<Vec<AuthorPosts>>> {
        Box::pin(self.db.read(move |db| {
            let mut statement = db.prepare_cached(POSTS_PER_AUTHOR).map_err(backend)?;
            statement
                .query_map([limit], |row| {
                    Ok(AuthorPosts {
                        author_id: from_sql(row.get(0)?),
                        author_name: row.get(1)?,
                        posts: from_sql(row.get(2)?),
                        likes: row.get(3)?,
                    })
                })
                .and_then(|rows| rows.collect())
                .map_err(backend)
        }))
    }

    fn signups_per_day(&self, range: TimeRange) -> BoxFuture<'_, StoreResult<Vec<DaySignups>>> {
        Box::pin(self.db.read(move |db| {
            let mut statement = db.prepare_cached(SIGNUPS_PER_DAY).map_err(backend)?;
            statement
                .query_map([range.from, range.to], |row| {
                    Ok(DaySignups {
                        day: row.get(0)?,
                        signups: from_sql(row.get(1)?),
                    })
                })
                .and_then(|rows| rows.collect())
                .map_err(backend)
        }))
    }

    fn revenue_per_month(&self) -> BoxFuture<'_, StoreResult<Vec<MonthRevenue>>> {
        Box::pin(self.db.read(move |db| {
            let mut statement = db.prepare_cached(REVENUE_PER_MONTH).map_err(backend)?;
            statement
                .query_map([], |row| {
                    Ok(MonthRevenue {
                        month: row.get(0)?,
                        currency: row.get(1)?,
                        paid_orders: from_sql(row.get(2)?),
                        revenue_cents: row.get(3)?,
                    })
                })
                .and_then(|rows| rows.collect())
                .map_err(backend)
        }))
    }

    fn report_query(&self, report: Report) -> String {
        sql(report).to_owned()
    }
}
