//! Administrators' look-ups: finding permits, a permit's crossings, staff accounts, the audit trail.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiJson;
use super::permits::{PermitView, Viewer};
use super::problem::{responses, ApiError, Problem};
use super::scans::ScanAnswer;
use super::users::UserView;
use crate::app::audit as audit_use;
use crate::app::permits as permit_use;
use crate::app::scans::Scanned;
use crate::app::staff as staff_use;
use crate::app::Core;
use crate::db::audit::AuditRow;
use crate::db::scans::LoggedScan;
use crate::domain::audit::TrailQuery;
use crate::domain::permit::PermitSearchInput;
use crate::domain::staff::Admin;

/// The document a search names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchDocument {
    /// `passport` or `id_card`.
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
    /// Issuing state (ICAO 9303 code).
    pub issuing_country: Option<String>,
    /// The document number.
    pub number: Option<String>,
}

/// What to find permits by: every criterion given must hold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitSearchBody {
    /// A permit id.
    pub permit_id: Option<String>,
    /// A document: found by its key (type, country, number), never by a number in a URL.
    pub document: Option<SearchDocument>,
    /// The surname's beginning (any case).
    pub surname_prefix: Option<String>,
    /// The birth date (with `surname_prefix`).
    pub birth_date: Option<String>,
    /// Page, from 1.
    pub page: Option<i64>,
    /// Permits a page: 1 to 100, 20 unless said.
    pub per_page: Option<i64>,
}

impl From<&PermitSearchBody> for PermitSearchInput {
    fn from(body: &PermitSearchBody) -> Self {
        let document = body.document.as_ref();
        Self {
            permit_id: body.permit_id.clone(),
            document_type: document.and_then(|d| d.doc_type.clone()),
            issuing_country: document.and_then(|d| d.issuing_country.clone()),
            number: document.and_then(|d| d.number.clone()),
            document_given: document.is_some(),
            surname_prefix: body.surname_prefix.clone(),
            birth_date: body.birth_date.clone(),
        }
    }
}

/// A page of permits found.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermitSearchPage {
    /// The permits, newest first.
    pub items: Vec<PermitView>,
    /// This page.
    pub page: u32,
    /// Permits a page.
    pub per_page: u32,
    /// Permits found, on every page.
    pub total: i64,
}

/// Find permits by id, by document, or by surname's beginning and birth date.
#[utoipa::path(post, path = "/api/v1/permits/search", tag = "admin", request_body = PermitSearchBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of permits, newest first", body = PermitSearchPage),
        responses::NotLoggedIn,
        responses::NotAdmin,
        responses::BadBody,
    ))]
#[post("/api/v1/permits/search")]
pub async fn search_permits(
    core: web::Data<Core>,
    admin: Admin,
    body: ApiJson<PermitSearchBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let number = |n: Option<i64>| n.map(|n| n.to_string());
    let (page, per_page) = (number(body.page), number(body.per_page));
    let input = PermitSearchInput::from(&body);
    let found =
        permit_use::search(&core, &admin, &input, page.as_deref(), per_page.as_deref()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PermitSearchPage {
            items: found
                .items
                .into_iter()
                .map(|row| PermitView::from_row(row, None, Viewer::Staff))
                .collect(),
            page: found.paging.page,
            per_page: found.paging.per_page,
            total: found.total,
        }))
}

/// One row of the crossing log, as an administrator reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedScanView {
    /// The scan, as its answer said.
    #[serde(flatten)]
    pub scan: ScanAnswer,
    /// Who scanned.
    pub officer: String,
    /// The gate device that uploaded it (offline scans), if a device did.
    pub device_id: Option<String>,
    /// Decided by a gate working offline.
    pub offline: bool,
    /// What the gate decided offline.
    pub device_decision: Option<String>,
    /// Why the gate denied offline.
    pub device_reason: Option<String>,
    /// The bundle version the gate decided from.
    pub bundle_version: Option<i64>,
    /// The reason given for an override.
    pub override_reason: Option<String>,
    /// The conflict this scan opened.
    pub conflict_id: Option<String>,
}

impl From<LoggedScan> for LoggedScanView {
    fn from(logged: LoggedScan) -> Self {
        let conflict_id = logged.record.conflict.as_ref().map(|c| c.id.clone());
        Self {
            scan: ScanAnswer::from(Scanned {
                record: logged.record,
                replayed: false,
            }),
            officer: logged.officer,
            offline: logged.device_decision.is_some(),
            device_id: logged.device_id,
            device_decision: logged.device_decision,
            device_reason: logged.device_reason,
            bundle_version: logged.bundle_version,
            override_reason: logged.override_reason,
            conflict_id,
        }
    }
}

/// Every log row of a permit, in the order the scans were made.
#[utoipa::path(get, path = "/api/v1/permits/{id}/scans", tag = "admin",
    params(("id" = String, Path, description = "Permit id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every log row of the permit, oldest first", body = [LoggedScanView]),
        responses::NotLoggedIn,
        responses::NotAdmin,
        responses::NotFound,
    ))]
#[get("/api/v1/permits/{id}/scans")]
pub async fn permit_scans(
    core: web::Data<Core>,
    admin: Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, logged) = permit_use::crossings(&core, &admin, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(
            logged
                .into_iter()
                .map(LoggedScanView::from)
                .collect::<Vec<_>>(),
        ))
}

/// Every staff account.
#[utoipa::path(get, path = "/api/v1/users", tag = "staff", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every account, by username", body = [UserView]),
        responses::NotLoggedIn,
        responses::NotAdmin,
    ))]
#[get("/api/v1/users")]
pub async fn list_users(core: web::Data<Core>, admin: Admin) -> Result<HttpResponse, ApiError> {
    let rows = staff_use::list(&core, &admin).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(UserView::from).collect::<Vec<_>>()))
}

/// `?from=&to=&actor=&action=&page=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// From this date (the zone's calendar) or RFC 3339 instant on.
    pub from: Option<String>,
    /// Up to this date (inclusive) or instant.
    pub to: Option<String>,
    /// Only this actor's entries: a username, or `cli`.
    pub actor: Option<String>,
    /// Only this action (`user.created`, `permit.revoked`, ...).
    pub action: Option<String>,
    /// Page, from 1 (50 entries a page).
    pub page: Option<String>,
}

/// One entry of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// When.
    pub at: DateTime<Utc>,
    /// Who: a username, or `cli` for the command line.
    pub actor: String,
    /// What: `user.created`, `user.disabled`, `user.enabled`, `user.password_reset`,
    /// `login_block.lifted`, `permit.revoked`, `key.rotated`, `keys.resealed`, `gate.created`,
    /// `device.created`, `device.revoked`, `conflict.resolved`, `scan.overridden`.
    pub action: String,
    /// To what (a username, permit, key, gate, device, conflict or scan id).
    pub target: Option<String>,
    /// The particulars.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// The address it came from; null for the command line.
    pub client: Option<String>,
}

impl From<AuditRow> for AuditEntryView {
    fn from(row: AuditRow) -> Self {
        Self {
            at: row.at.and_utc(),
            actor: row.actor,
            action: row.action,
            target: row.target,
            detail: serde_json::from_str(&row.detail)
                .unwrap_or(serde_json::Value::String(row.detail)),
            client: row.client,
        }
    }
}

/// A page of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageView {
    /// The entries, newest first.
    pub items: Vec<AuditEntryView>,
    /// This page.
    pub page: u32,
    /// Entries a page.
    pub per_page: u32,
    /// Entries the filters select, on every page.
    pub total: i64,
}

/// The audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the trail", body = AuditPageView),
        responses::NotLoggedIn,
        responses::NotAdmin,
        (status = 422, description = "A filter is not understood", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/api/v1/audit")]
pub async fn audit(
    core: web::Data<Core>,
    admin: Admin,
    query: web::Query<AuditParams>,
) -> Result<HttpResponse, ApiError> {
    let AuditParams {
        from,
        to,
        actor,
        action,
        page,
    } = query.into_inner();
    let trail = TrailQuery {
        from,
        to,
        actor,
        action,
    };
    let found = audit_use::list(&core, &admin, &trail, page.as_deref()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(AuditPageView {
            items: found.items.into_iter().map(AuditEntryView::from).collect(),
            page: found.paging.page,
            per_page: found.paging.per_page,
            total: found.total,
        }))
}
