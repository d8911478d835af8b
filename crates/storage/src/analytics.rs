//! Group-by reports (topic 28) and what they answer. Days and months are UTC calendar
//! days and months of the row's `created_at`.

use serde::{Deserialize, Serialize};

use crate::model::{Millis, UserId};

/// The reports the analytics store can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    PostsPerAuthor,
    SignupsPerDay,
    RevenuePerMonth,
}

impl Report {
    pub const ALL: [Report; 3] = [
        Report::PostsPerAuthor,
        Report::SignupsPerDay,
        Report::RevenuePerMonth,
    ];

    /// The report's name in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Report::PostsPerAuthor => "posts_per_author",
            Report::SignupsPerDay => "signups_per_day",
            Report::RevenuePerMonth => "revenue_per_month",
        }
    }

    /// The report with this name.
    pub fn parse(name: &str) -> Option<Report> {
        Report::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// One author's row of "posts per author".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorPosts {
    pub author_id: UserId,
    /// The author's name; `None` when no user (live or soft-deleted) has that id.
    pub author_name: Option<String>,
    pub posts: u64,
    /// Sum of the author's posts' likes.
    pub likes: i64,
}

/// One day of "signups per day".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySignups {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub signups: u64,
}

/// One month and currency of "revenue per month".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthRevenue {
    /// `YYYY-MM`.
    pub month: String,
    pub currency: String,
    /// Orders with status `paid` that month.
    pub paid_orders: u64,
    /// Sum of their `total_cents`.
    pub revenue_cents: i64,
}

/// A half-open time range `[from, to)` of `created_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub from: Millis,
    pub to: Millis,
}
