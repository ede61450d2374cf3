//! Conflicts between crossings: listed and resolved by administrators.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::client::ClientAddress;
use super::extract::ApiJson;
use super::problem::{responses, ApiError, Problem};
use crate::app::conflicts as conflict_use;
use crate::app::Core;
use crate::db::conflicts::ConflictRow;
use crate::domain::staff::Admin;

/// A conflict between crossings.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictView {
    /// Identifier.
    pub conflict_id: String,
    /// The rule broken: `already_inside`, `wrong_side`, `not_inside`, `revoked`, `expired`,
    /// `not_yet_valid`, `bad_signature`, `unknown_permit`.
    pub kind: String,
    /// The permit, when the token named a stored one.
    pub permit_id: Option<String>,
    /// The scans concerned: the crossing contradicted (if any), then the one flagged `conflict`.
    pub scan_ids: Vec<String>,
    /// The gate of the scan flagged `conflict`.
    pub gate_id: String,
    /// When opened.
    pub opened_at: DateTime<Utc>,
    /// `open` or `resolved`.
    pub status: String,
    /// When resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The administrator who resolved it; null when a later upload explained it.
    pub resolved_by: Option<String>,
    /// The scan whose later upload explained it.
    pub explained_by: Option<String>,
    /// How it was settled.
    pub note: Option<String>,
}

impl From<ConflictRow> for ConflictView {
    fn from(row: ConflictRow) -> Self {
        Self {
            conflict_id: row.id,
            kind: row.kind,
            permit_id: row.permit_id,
            scan_ids: row.other_scan_id.into_iter().chain([row.scan_id]).collect(),
            gate_id: row.gate_id,
            opened_at: row.opened_at.and_utc(),
            status: row.status,
            resolved_at: row.resolved_at.map(|t| t.and_utc()),
            resolved_by: row.resolved_by,
            explained_by: row.explained_by,
            note: row.note,
        }
    }
}

/// `?status=open|resolved`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConflictQuery {
    /// `open` or `resolved`; all when absent.
    pub status: Option<String>,
}

/// Conflicts, oldest first (at most 1000).
#[utoipa::path(get, path = "/api/v1/conflicts", tag = "offline", params(ConflictQuery), security(("bearer" = [])),
    responses((status = 200, description = "Conflicts", body = [ConflictView]),
              responses::NotLoggedIn, responses::NotAdmin,
              (status = 422, description = "status is not open or resolved", body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/conflicts")]
pub async fn list_conflicts(
    core: web::Data<Core>,
    admin: Admin,
    query: web::Query<ConflictQuery>,
) -> Result<HttpResponse, ApiError> {
    let rows = conflict_use::list(&core, &admin, query.status.as_deref()).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(ConflictView::from).collect::<Vec<_>>()))
}

/// How a conflict was settled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// 1 to 1000 characters.
    pub note: Option<String>,
}

/// Resolve a conflict with a note.
#[utoipa::path(post, path = "/api/v1/conflicts/{conflict_id}/resolve", tag = "offline", request_body = ResolveBody,
    params(("conflict_id" = String, Path, description = "The conflict")), security(("bearer" = [])),
    responses((status = 200, description = "The conflict, resolved", body = ConflictView),
              responses::NotLoggedIn, responses::NotAdmin,
              (status = 404, description = "No such conflict", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Resolved before", body = Problem, content_type = "application/problem+json"),
              responses::BadBody))]
#[post("/api/v1/conflicts/{conflict_id}/resolve")]
pub async fn resolve_conflict(
    core: web::Data<Core>,
    admin: Admin,
    client: ClientAddress,
    path: web::Path<String>,
    body: ApiJson<ResolveBody>,
) -> Result<HttpResponse, ApiError> {
    let row = conflict_use::resolve(
        &core,
        &admin,
        client.0,
        &path.into_inner(),
        body.0.note.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(ConflictView::from(row)))
}
