//! Aggregation analytics (topic 28): group-by reports over the data suite, each one
//! statement (SQL `GROUP BY`) or one aggregation pipeline (MongoDB), answered with the
//! query beside its live result and the same report written for the other database.
//! Both texts come from `dojo-storage`, from the code that runs them
//! (`sqlite::report_sql`, `mongo::report_pipeline`), so what is shown is what runs.
//!
//! - `GET /api/v1/analytics` lists the reports.
//! - `GET /api/v1/analytics/posts_per_author?limit=5`
//! - `GET /api/v1/analytics/signups_per_day?from=2025-01-01&to=2025-02-01` (UTC days)
//! - `GET /api/v1/analytics/revenue_per_month` (paid orders, per currency)
//!
//! Try it: `curl -s http://127.0.0.1:PORT/api/v1/analytics/revenue_per_month`

use axum::Json;
use axum::extract::{Path, Query, State};
use dojo_storage::analytics::{Report, TimeRange};
use dojo_storage::schema::Backend;
use dojo_storage::{mongo, sqlite};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;

/// A report: the query that ran, the same report for the other database, the rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub report: String,
    #[schema(value_type = String, example = "sqlite")]
    pub backend: Backend,
    /// The query this sandbox's database ran.
    pub query: String,
    /// The report as SQL: the statement the SQLite store runs.
    pub sql: String,
    /// The report as a MongoDB aggregation pipeline: the stages the MongoDB store runs,
    /// with `"<limit>"`, `"<from>"` and `"<to>"` where the request's values go.
    #[schema(value_type = Vec<Object>)]
    pub pipeline: Value,
    #[schema(value_type = Vec<Object>)]
    pub rows: Value,
}

/// What reports there are.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub reports: Vec<&'static str>,
}

/// `?limit=` (posts per author) and `?from=&to=` (signups per day, `YYYY-MM-DD`, UTC).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Authors to show, 1 to 100 (default 10).
    limit: Option<u32>,
    /// First day counted (default: all time).
    from: Option<String>,
    /// First day not counted (default: all time).
    to: Option<String>,
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports))
        .routes(routes!(run_report))
}

/// The reports
#[utoipa::path(
    get,
    path = "/api/v1/analytics",
    tag = "data",
    responses((status = 200, description = "Report names for `/api/v1/analytics/{report}`", body = ReportList)),
)]
async fn list_reports() -> Json<ReportList> {
    Json(ReportList {
        reports: Report::ALL.iter().map(|r| r.as_str()).collect(),
    })
}

fn invalid(field: &str, message: String) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: field.into(),
        message,
    }])
}

/// `YYYY-MM-DD` as milliseconds at the start of that UTC day.
fn day_start(field: &str, text: &str) -> ApiResult<i64> {
    let parts: Vec<&str> = text.trim().split('-').collect();
    let numbers: Option<Vec<i64>> = parts.iter().map(|p| p.parse().ok()).collect();
    let (year, month, day) = match numbers.as_deref() {
        Some([year, month, day]) if (1..=12).contains(month) && (1..=31).contains(day) => {
            (*year, *month, *day)
        }
        _ => {
            return Err(invalid(
                field,
                format!("must be a date as YYYY-MM-DD, not {text:?}"),
            ));
        }
    };
    // Civil date to days since the epoch (Howard Hinnant's algorithm).
    let shifted = if month <= 2 { year - 1 } else { year };
    let era = shifted.div_euclid(400);
    let year_of_era = shifted.rem_euclid(400);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Ok(days * 86_400_000)
}

/// Run a report
///
/// `posts_per_author`, `signups_per_day` or `revenue_per_month`, with the query that ran
/// and the same report for the other database.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/{report}",
    tag = "data",
    params(("report" = String, Path, description = "The report's name"), ReportQuery),
    responses(
        (status = 200, description = "The rows and the queries", body = ReportView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: report-route
async fn run_report(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<ReportQuery>,
) -> ApiResult<Json<ReportView>> {
    let report = Report::parse(&name).ok_or_else(|| {
        let known: Vec<&str> = Report::ALL.iter().map(|r| r.as_str()).collect();
        ApiError::NotFound(format!("no report {name:?}; reports: {}", known.join(", ")))
    })?;
    let range = TimeRange {
        from: query
            .from
            .as_deref()
            .map(|t| day_start("from", t))
            .transpose()?
            .unwrap_or(i64::MIN),
        to: query
            .to
            .as_deref()
            .map(|t| day_start("to", t))
            .transpose()?
            .unwrap_or(i64::MAX),
    };
    let data = state.data.ready().await?;
    let analytics = &data.analytics;
    let rows = match report {
        Report::PostsPerAuthor => {
            let limit = query.limit.unwrap_or(10).clamp(1, 100);
            serde_json::to_value(analytics.posts_per_author(limit).await?)
        }
        Report::SignupsPerDay => serde_json::to_value(analytics.signups_per_day(range).await?),
        Report::RevenuePerMonth => serde_json::to_value(analytics.revenue_per_month().await?),
    }
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(ReportView {
        report: report.as_str().to_owned(),
        backend: data.backend,
        query: analytics.report_query(report),
        sql: sqlite::report_sql(report).to_owned(),
        pipeline: mongo::report_pipeline(report),
        rows,
    }))
}
// endregion

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_to_the_start_of_the_utc_day() {
        assert_eq!(day_start("from", "1970-01-01").expect("a date"), 0);
        assert_eq!(
            day_start("from", "2025-01-06").expect("a date"),
            dojo_storage::seed::EPOCH
        );
        assert!(day_start("from", "2025-13-01").is_err());
        assert!(day_start("from", "yesterday").is_err());
    }
}
