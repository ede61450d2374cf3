//! Gate scans: every scan decided and appended to the one crossing log.

use actix_web::http::header;
use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client::ClientAddress;
use super::extract::ApiJson;
use super::problem::{responses, ApiError, Problem};
use crate::app::scans::{self as scan_use, Scanned};
use crate::app::staff::StaffIdentity;
use crate::app::Core;
use crate::db::scans::ScannedPermit;
use crate::domain::crossing::DenyReason;
use crate::domain::scan::{OverrideInput, ScanInput};

/// One scan at a gate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanBody {
    /// The text the QR code holds.
    pub token: Option<String>,
    /// Where the scan happened.
    #[schema(example = "CN-1")]
    pub gate_id: Option<String>,
    /// `entry` or `exit`.
    #[schema(example = "entry")]
    pub direction: Option<String>,
    /// A UUID the device makes per scan; sending it again replays the first answer.
    pub nonce: Option<String>,
    /// The device's clock (RFC 3339); default now. From 72 hours behind the server to 5 minutes ahead.
    pub scanned_at: Option<String>,
    /// A supervisor (at their gate) or an administrator admits a scan the rules would deny;
    /// officers get 403.
    #[serde(rename = "override")]
    pub overriding: Option<OverrideBody>,
}

/// Why a denial is overridden.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    /// 1–500 characters, kept in the log.
    pub reason: Option<String>,
}

/// The holder's document, in full, for the officer to compare with the one in hand.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfficerDocument {
    /// `passport` or `id_card`.
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Issuing state.
    pub issuing_country: String,
    /// Full number.
    pub number: String,
    /// Expiry.
    pub expiry_date: Option<NaiveDate>,
}

/// The holder, for the officer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfficerHolder {
    /// Surname.
    pub surname: String,
    /// Given names.
    pub given_names: String,
    /// Nationality.
    pub nationality: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// `M`, `F` or `X`.
    pub sex: String,
    /// The document.
    pub document: OfficerDocument,
}

/// The permit a scan concerns, for the officer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScanPermit {
    /// Permit id.
    pub permit_id: String,
    /// `active` or `revoked` at the time of the scan.
    pub status: String,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity.
    pub valid_until: DateTime<Utc>,
    /// The holder.
    pub holder: OfficerHolder,
}

impl From<&ScannedPermit> for ScanPermit {
    fn from(row: &ScannedPermit) -> Self {
        Self {
            permit_id: row.id.clone(),
            status: row.status.clone(),
            valid_from: row.valid_from.and_utc(),
            valid_until: row.valid_until.and_utc(),
            holder: OfficerHolder {
                surname: row.surname.clone(),
                given_names: row.given_names.clone(),
                nationality: row.nationality.clone(),
                birth_date: row.birth_date,
                sex: row.sex.clone(),
                document: OfficerDocument {
                    doc_type: row.document_type.clone(),
                    issuing_country: row.issuing_country.clone(),
                    number: row.document_number.clone(),
                    expiry_date: row.document_expiry,
                },
            },
        }
    }
}

/// The answer to a scan, as logged.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScanAnswer {
    /// Log row id.
    pub scan_id: String,
    /// The device's nonce.
    pub nonce: String,
    /// `admit` or `deny`.
    pub decision: String,
    /// Why denied (`malformed_token`, `bad_signature`, `unknown_key`, `unknown_permit`, `revoked`,
    /// `not_yet_valid`, `expired`, `already_inside`, `not_inside`, `wrong_side`); null when admitted.
    pub reason: Option<String>,
    /// On an admitted exit `overstay`, `revoked`; on any scan that reached the service more than
    /// five minutes after it was made, `late`; on a denial overridden, `override`.
    pub flags: Vec<String>,
    /// When overridden: the reason it would have been denied.
    pub overridden_reason: Option<String>,
    /// The permit, when the token named a stored one.
    pub permit: Option<ScanPermit>,
    /// Gate.
    pub gate_id: String,
    /// `entry` or `exit`.
    pub direction: String,
    /// The device's clock.
    pub scanned_at: DateTime<Utc>,
    /// The server's clock when logged.
    pub recorded_at: DateTime<Utc>,
    /// True when this answers a nonce seen before.
    pub replayed: bool,
}

impl From<Scanned> for ScanAnswer {
    fn from(Scanned { record, replayed }: Scanned) -> Self {
        Self {
            scan_id: record.scan_id,
            nonce: record.nonce,
            decision: record.decision.as_str().into(),
            reason: record
                .decision
                .reason()
                .map(|r| DenyReason::as_str(r).to_owned()),
            flags: record.flags.iter().map(|f| f.as_str().to_owned()).collect(),
            overridden_reason: record.overridden.map(|r| r.as_str().to_owned()),
            permit: record.permit.as_ref().map(ScanPermit::from),
            gate_id: record.gate_id,
            direction: record.direction.as_str().into(),
            scanned_at: record.scanned_at,
            recorded_at: record.recorded_at,
            replayed,
        }
    }
}

impl From<ScanBody> for ScanInput {
    fn from(body: ScanBody) -> Self {
        Self {
            token: body.token,
            gate_id: body.gate_id,
            direction: body.direction,
            nonce: body.nonce,
            scanned_at: body.scanned_at,
            overriding: body.overriding.map(|o| OverrideInput { reason: o.reason }),
        }
    }
}

/// Record one scan.
#[utoipa::path(post, path = "/api/v1/scans", tag = "scans", request_body = ScanBody, security(("bearer" = [])),
    responses(
        (status = 200, description = "Decided and logged (admit or deny), or replayed", body = ScanAnswer),
        responses::NotLoggedIn,
        (status = 403, description = "An officer or supervisor at another gate, or an officer overriding", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The nonce was used for a different scan", body = Problem, content_type = "application/problem+json"),
        responses::BadBody,
    ))]
#[post("/api/v1/scans")]
pub async fn record_scan(
    core: web::Data<Core>,
    identity: StaffIdentity,
    client: ClientAddress,
    body: ApiJson<ScanBody>,
) -> Result<HttpResponse, ApiError> {
    let scanned = scan_use::record(&core, identity, client.0, body.0.into()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ScanAnswer::from(scanned)))
}
