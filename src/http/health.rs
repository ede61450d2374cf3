//! Liveness and readiness probes.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::ApiError;
use crate::app::{keys as key_use, Core};

/// Health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the answer is 200.
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process is alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the schema is migrated and the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database is unreachable or not migrated yet",
            body = super::problem::Problem, content_type = "application/problem+json")))]
#[get("/readyz")]
pub async fn readyz(core: web::Data<Core>) -> Result<HttpResponse, ApiError> {
    key_use::ready(&core).await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
