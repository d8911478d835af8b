//! Web-mode routes for PDF export: start a job, poll it, download the file and a picture
//! of its first page.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::json_body;
use crate::export::{ExportJob, ExportRequest};
use crate::{Dojo, Error};

/// The export routes, merged into the web-mode router.
pub(super) fn routes() -> Router<Dojo> {
    Router::new()
        .route("/api/export/pdf", post(start))
        .route("/api/export/jobs/{id}", get(job))
        .route("/api/export/jobs/{id}/file", get(file))
        .route("/api/export/jobs/{id}/preview.png", get(preview))
}

async fn start(
    State(dojo): State<Dojo>,
    body: Result<Json<ExportRequest>, JsonRejection>,
) -> Result<Json<ExportJob>, Response> {
    let request = json_body(body, "Bad export request")?;
    Ok(Json(dojo.start_export(&request)?))
}

async fn job(
    State(dojo): State<Dojo>,
    UrlPath(id): UrlPath<u32>,
) -> Result<Json<ExportJob>, Error> {
    dojo.export_job(id).map(Json)
}

/// The PDF as a download named after the export.
async fn file(State(dojo): State<Dojo>, UrlPath(id): UrlPath<u32>) -> Result<Response, Error> {
    let (job, pdf) = dojo.export_pdf(id)?;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", job.file_name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}

async fn preview(State(dojo): State<Dojo>, UrlPath(id): UrlPath<u32>) -> Result<Response, Error> {
    let png = dojo.export_preview(id)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
