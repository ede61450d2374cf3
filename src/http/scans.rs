//! Gate scans: every scan decided and appended to the one crossing log.

use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::auth::{Signed, Staff};
use super::extract::ApiJson;
use super::problem::{ApiError, FieldError, Problem};
use super::AppState;
use crate::crypto::permit_token;
use crate::db::scans::{self, ScanInput, ScanOutcome, ScanRecord, ScannedPermit};
use crate::db::{keys, staff};
use crate::domain::crossing::{Decision, DenyReason, Direction, Side};

/// Longest token text accepted (a real one is at most 331 bytes).
const MAX_TOKEN_LEN: usize = 4096;

/// One scan at a gate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
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
    /// On an admitted exit: `overstay`, `revoked`.
    pub flags: Vec<String>,
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

impl ScanAnswer {
    fn new(record: ScanRecord, replayed: bool) -> Self {
        let (decision, reason, flags) = match &record.decision {
            Decision::Admit(flags) => (
                "admit",
                None,
                flags.iter().map(|f| f.as_str().to_owned()).collect(),
            ),
            Decision::Deny(reason) => ("deny", Some(reason.as_str().to_owned()), Vec::new()),
        };
        Self {
            scan_id: record.scan_id,
            nonce: record.nonce,
            decision: decision.into(),
            reason,
            flags,
            permit: record.permit.as_ref().map(ScanPermit::from),
            gate_id: record.gate_id,
            direction: record.direction.as_str().into(),
            scanned_at: record.scanned_at,
            recorded_at: record.recorded_at,
            replayed,
        }
    }
}

/// Checks the token's signature (once per token: see [`permit_token::VerifiedTokens`]); the
/// permit id it names, or why it is refused.
async fn authenticate_token(
    state: &AppState,
    token: &str,
) -> Result<Result<String, DenyReason>, ApiError> {
    if let Some(permit_id) = state.verified_tokens.get(token) {
        return Ok(Ok(permit_id));
    }
    let kid = match permit_token::kid_of(token) {
        Ok(kid) => kid,
        Err(rejection) => return Ok(Err(rejection.into())),
    };
    let key = match state.keys.cached_public_key(&kid) {
        Some(key) => Some(key),
        None => {
            let lookup = kid.clone();
            let key = state
                .store
                .read(move |conn| Ok(keys::public_key(conn, &lookup)?))
                .await?;
            if let Some(key) = &key {
                state.keys.remember_public_key(key.clone());
            }
            key
        }
    };
    Ok(permit_token::verify_signature(token, |_| key)
        .map(|claims| {
            state.verified_tokens.remember(token, &claims.sub);
            claims.sub
        })
        .map_err(DenyReason::from))
}

/// Record one scan.
#[utoipa::path(post, path = "/api/v1/scans", tag = "scans", request_body = ScanRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Decided and logged (admit or deny), or replayed", body = ScanAnswer),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An officer at another gate", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The nonce was used for a different scan", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every problem with the fields, including `scanned_at` out of range", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/api/v1/scans")]
pub async fn record_scan(
    state: web::Data<AppState>,
    signed: Signed,
    body: ApiJson<ScanRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    let now = state.clock.now();
    let mut errors = Vec::new();
    let token = request
        .token
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if request.token.is_none() {
        errors.push(FieldError::new("token", "required", "token is required"));
    } else if token.len() > MAX_TOKEN_LEN {
        errors.push(FieldError::new(
            "token",
            "invalid_length",
            format!("a token has at most {MAX_TOKEN_LEN} characters"),
        ));
    }
    let direction = request.direction.as_deref().and_then(Direction::parse);
    if direction.is_none() {
        let code = if request.direction.is_none() {
            "required"
        } else {
            "invalid_value"
        };
        errors.push(FieldError::new(
            "direction",
            code,
            "direction is entry or exit",
        ));
    }
    let nonce = request
        .nonce
        .as_deref()
        .and_then(|n| uuid::Uuid::parse_str(n.trim()).ok());
    if nonce.is_none() {
        let code = if request.nonce.is_none() {
            "required"
        } else {
            "invalid_value"
        };
        errors.push(FieldError::new(
            "nonce",
            code,
            "nonce is a UUID made by the device for each scan",
        ));
    }
    let scanned_at = match request.scanned_at.as_deref() {
        None => Some(now),
        Some(raw) => match DateTime::parse_from_rfc3339(raw.trim()) {
            Err(_) => {
                errors.push(FieldError::new(
                    "scanned_at",
                    "invalid_date",
                    "scanned_at is an RFC 3339 instant",
                ));
                None
            }
            Ok(t) => {
                let t = t.with_timezone(&Utc);
                if t > now + state.config.scan_max_ahead || t < now - state.config.scan_max_age {
                    errors.push(FieldError::new(
                        "scanned_at",
                        "out_of_range",
                        format!(
                            "scanned_at must lie between {} hours behind and {} seconds ahead of the server's clock",
                            state.config.scan_max_age.num_hours(),
                            state.config.scan_max_ahead.num_seconds()
                        ),
                    ));
                }
                Some(t)
            }
        },
    };
    let gate = match request.gate_id.as_deref().map(str::trim) {
        None => {
            errors.push(FieldError::new(
                "gate_id",
                "required",
                "gate_id is required",
            ));
            None
        }
        Some(id) => {
            let gate = state.gate(id).await?;
            if gate.is_none() {
                errors.push(FieldError::new(
                    "gate_id",
                    "unknown_gate",
                    "no gate has this id",
                ));
            }
            gate
        }
    };
    let (Some(direction), Some(nonce), Some(scanned_at), Some(gate)) =
        (direction, nonce, scanned_at, gate)
    else {
        return Err(ApiError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let side = Side::parse(&gate.side)
        .ok_or_else(|| ApiError::Internal(format!("gate side {:?}", gate.side)))?;
    let fingerprint = crate::crypto::b64url(&Sha256::digest(
        format!("{token}|{}|{}", gate.id, direction.as_str()).as_bytes(),
    ));
    let input = ScanInput {
        id: uuid::Uuid::now_v7().to_string(),
        nonce: nonce.hyphenated().to_string(),
        fingerprint,
        gate_id: gate.id,
        side,
        direction,
        officer: signed.username.clone(),
        scanned_at,
        recorded_at: now,
        token: authenticate_token(&state, &token).await?,
    };
    // The officer's account (enabled, and of this gate) is read in the write that logs the scan:
    // one read fewer per scan, and an account disabled a moment before logs nothing.
    let outcome = state
        .store
        .write(move |conn| {
            let staff = Staff::from_row(staff::access(conn, &signed.username)?);
            match staff.and_then(|staff| staff.require_gate(&input.gate_id)) {
                Ok(()) => Ok(Ok(scans::record(conn, &input)?)),
                Err(refused) => Ok(Err(refused)),
            }
        })
        .await??;
    let answer = match outcome {
        ScanOutcome::Recorded(record) => ScanAnswer::new(record, false),
        ScanOutcome::Replayed {
            record,
            same_scan: true,
        } => ScanAnswer::new(record, true),
        ScanOutcome::Replayed {
            same_scan: false, ..
        } => {
            return Err(ApiError::Conflict(
                "This nonce was already used for a different scan.".into(),
            ));
        }
    };
    tracing::info!(
        scan_id = %answer.scan_id,
        gate_id = %answer.gate_id,
        direction = %answer.direction,
        decision = %answer.decision,
        reason = answer.reason.as_deref().unwrap_or(""),
        replayed = answer.replayed,
        "scan"
    );
    Ok(HttpResponse::Ok().json(answer))
}
