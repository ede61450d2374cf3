//! Gates that keep working offline: the gate bundle a device decides from, and the upload of the
//! scans it made meanwhile.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{from_value, BatchJson};
use super::problem::{responses, ApiError, Problem};
use crate::app::bundles as bundle_use;
use crate::app::devices::GateCaller;
use crate::app::scans::{self as scan_use, Scanned, UploadItem, Uploaded};
use crate::app::Core;
use crate::domain::crossing::DenyReason;
use crate::domain::scan::{OfflineScanInput, ScanInput};
use crate::domain::violation::{Violation, ViolationCode};

/// `?since=VERSION`: only what changed after that version.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BundleQuery {
    /// A bundle version the device holds; the answer is then a delta (or the whole bundle when
    /// the device is too far behind).
    pub since: Option<String>,
}

/// The gate bundle, as a compact JWS (`application/jose`, header `typ` `bundle+jwt`).
#[utoipa::path(get, path = "/api/v1/gates/{gate_id}/bundle", tag = "offline", params(("gate_id" = String, Path, description = "The gate"), BundleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The bundle (compact JWS; payload: gate_id, version, issued_at, fresh_until, valid_until, keys, revoked, inside; a delta also base_version and left). Header X-Bundle-Version.", content_type = "application/jose", body = String),
        responses::NotLoggedIn,
        (status = 403, description = "A device or staff of another gate", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such gate", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "since is not a version", body = Problem, content_type = "application/problem+json"),
    ))]
#[get(
    "/api/v1/gates/{gate_id}/bundle",
    wrap = "actix_web::middleware::Compress::default()"
)]
pub async fn gate_bundle(
    core: web::Data<Core>,
    caller: GateCaller,
    path: web::Path<String>,
    query: web::Query<BundleQuery>,
) -> Result<HttpResponse, ApiError> {
    let since = match query.since.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            ApiError::from(vec![Violation::new(
                "since",
                ViolationCode::InvalidValue,
                "since is a bundle version (a whole number, 0 or more)",
            )])
        })?),
    };
    let bundle = bundle_use::bundle(&core, &caller, &path.into_inner(), since).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/jose"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Bundle-Version", bundle.version.to_string()))
        .insert_header(("X-Bundle-Kind", if bundle.delta { "delta" } else { "full" }))
        .body(bundle.jws))
}

/// Scans a gate made offline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// 1 to 500 scans; each is checked alone (see [`OfflineScanBody`]).
    #[schema(value_type = Vec<OfflineScanBody>)]
    pub scans: Vec<serde_json::Value>,
}

/// One scan made offline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineScanBody {
    /// A UUID the device made for the scan; sent again, the first result is replayed.
    pub nonce: Option<String>,
    /// The text the QR code held.
    pub token: Option<String>,
    /// Where the scan happened.
    pub gate_id: Option<String>,
    /// `entry` or `exit`.
    pub direction: Option<String>,
    /// The device's clock: up to `BORDERPASS_OFFLINE_MAX_AGE_DAYS` (30) behind the server, 5 minutes ahead.
    pub scanned_at: Option<String>,
    /// What the gate decided: `admit` or `deny`.
    pub device_decision: Option<String>,
    /// Why it denied (a scan answer's reason code).
    pub device_reason: Option<String>,
    /// The username of the officer or supervisor who scanned (required from a device).
    pub officer: Option<String>,
    /// The bundle version the gate decided from.
    pub bundle_version: Option<i64>,
}

impl From<OfflineScanBody> for OfflineScanInput {
    fn from(body: OfflineScanBody) -> Self {
        Self {
            scan: ScanInput {
                token: body.token,
                gate_id: body.gate_id,
                direction: body.direction,
                nonce: body.nonce,
                scanned_at: body.scanned_at,
                overriding: None,
            },
            device_decision: body.device_decision,
            device_reason: body.device_reason,
            officer: body.officer,
            bundle_version: body.bundle_version,
        }
    }
}

/// A field problem of one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemError {
    /// The item's field.
    pub field: String,
    /// Stable code (docs/errors.md).
    pub code: String,
    /// Explanation.
    pub message: String,
}

/// What became of one item, in the items' order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    /// The item's nonce.
    pub nonce: Option<String>,
    /// `recorded`, `replayed` or `rejected`.
    pub status: &'static str,
    /// The log row (not for a rejected item).
    pub scan_id: Option<String>,
    /// `admit` or `deny` as logged: what the gate decided.
    pub decision: Option<String>,
    /// Why denied.
    pub reason: Option<String>,
    /// `offline`, and `conflict` when the admission broke a rule; `overstay`, `revoked` on exits.
    pub flags: Vec<String>,
    /// The conflict the scan opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict_id: Option<String>,
    /// The rule the admission broke (the conflict's kind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict_kind: Option<String>,
    /// A rejected item's problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ItemError>>,
}

impl From<Uploaded> for BatchResult {
    fn from(uploaded: Uploaded) -> Self {
        match uploaded {
            Uploaded::Logged(scanned) => {
                let Scanned { record, replayed } = *scanned;
                Self {
                    nonce: Some(record.nonce),
                    status: if replayed { "replayed" } else { "recorded" },
                    scan_id: Some(record.scan_id),
                    decision: Some(record.decision.as_str().to_owned()),
                    reason: record.decision.reason().map(|r| r.as_str().to_owned()),
                    flags: record.flags.iter().map(|f| f.as_str().to_owned()).collect(),
                    conflict_id: record.conflict.as_ref().map(|c| c.id.clone()),
                    conflict_kind: record
                        .conflict
                        .as_ref()
                        .map(|c| DenyReason::as_str(c.kind).to_owned()),
                    errors: None,
                }
            }
            Uploaded::Rejected { nonce, errors } => Self {
                nonce,
                status: "rejected",
                scan_id: None,
                decision: None,
                reason: None,
                flags: Vec::new(),
                conflict_id: None,
                conflict_kind: None,
                errors: Some(
                    errors
                        .into_iter()
                        .map(|v| ItemError {
                            field: v.field,
                            code: v.code.as_str().to_owned(),
                            message: v.message,
                        })
                        .collect(),
                ),
            },
        }
    }
}

/// The results of an upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAnswer {
    /// One per item, in the same order.
    pub results: Vec<BatchResult>,
}

/// Upload scans made offline: each logged as the gate decided it, flagged `offline`; an
/// admission against the log's rules is flagged `conflict` and opens a conflict.
#[utoipa::path(post, path = "/api/v1/scans/batch", tag = "offline", request_body = BatchBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One result per item (recorded, replayed or rejected with its errors)", body = BatchAnswer),
        responses::NotLoggedIn,
        (status = 403, description = "Not a device or staff", body = Problem, content_type = "application/problem+json"),
        responses::BadBody,
    ))]
#[post("/api/v1/scans/batch")]
pub async fn upload_batch(
    core: web::Data<Core>,
    caller: GateCaller,
    body: BatchJson<BatchBody>,
) -> Result<HttpResponse, ApiError> {
    let items: Vec<UploadItem> = body
        .0
        .scans
        .into_iter()
        .map(|value| {
            from_value::<OfflineScanBody>(value)
                .map(OfflineScanInput::from)
                .map_err(|e| vec![Violation::new(e.field, e.code, e.message)])
        })
        .collect();
    let uploaded = scan_use::upload(&core, &caller, items).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(BatchAnswer {
            results: uploaded.into_iter().map(BatchResult::from).collect(),
        }))
}
