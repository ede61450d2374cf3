//! Gate scans: each one authenticated, decided and appended to the one crossing log.

use sha2::{Digest, Sha256};

use crate::crypto::permit_token;
use crate::db::scans::{NewScan, ScanItem, ScanOutcome, ScanRecord};
use crate::db::{keys, staff};
use crate::domain::crossing::DenyReason;
use crate::domain::scan::{is_late, ScanClockLimits, ScanInput, ScanRequest};
use crate::metrics::{GateLabels, ScanLabels};

use super::staff::{account_staff, StaffIdentity};
use super::{gates, Conflict, Core, Error};

/// A scan as the log answers it.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The log row.
    pub record: ScanRecord,
    /// True when this answers a nonce seen before.
    pub replayed: bool,
}

/// Records one scan by `identity` (an officer or supervisor at their own gate, or an
/// administrator); a supervisor or an administrator may override a denial.
///
/// The account is read in the write that logs the scan: one read fewer per scan, and an account
/// disabled a moment before logs nothing.
pub async fn record(
    core: &Core,
    identity: StaffIdentity,
    input: ScanInput,
) -> Result<Scanned, Error> {
    let now = core.clock.now();
    let gate = gates::lookup(core, input.gate_id.as_deref()).await?;
    let limits = ScanClockLimits {
        max_age: core.config.scan_max_age,
        max_ahead: core.config.scan_max_ahead,
    };
    let request = ScanRequest::parse(input, gate, now, limits)?;
    let fingerprint = crate::crypto::b64url(&Sha256::digest(
        format!(
            "{}|{}|{}",
            request.token,
            request.gate.id,
            request.direction.as_str()
        )
        .as_bytes(),
    ));
    let scan = NewScan {
        id: uuid::Uuid::now_v7().to_string(),
        nonce: request.nonce.hyphenated().to_string(),
        fingerprint,
        gate_id: request.gate.id.to_string(),
        side: request.gate.side,
        direction: request.direction,
        officer: identity.username.to_string(),
        scanned_at: request.scanned_at,
        recorded_at: now,
        named_permit: authenticate_token(core, &request.token).await?,
        late: is_late(request.scanned_at, now),
        override_reason: request.override_reason.clone(),
    };
    let gate_id = request.gate.id;
    let generation = identity.generation;
    let overriding = request.override_reason.is_some();
    // The account's check, asked in the write (to log or not) and again here (to say why not).
    let check = move |access: Option<staff::StaffAccess>| {
        account_staff(access, generation).and_then(|staff| {
            staff
                .require_scan(&gate_id, overriding)
                .map_err(Error::from)
        })
    };
    let may_scan = check.clone();
    let outcome = core
        .store
        .record_scan(ScanItem {
            scan,
            may_scan: Box::new(move |access| may_scan(access.cloned()).is_ok()),
        })
        .await?;
    let scanned = match outcome {
        ScanOutcome::Recorded(record) => Scanned {
            record,
            replayed: false,
        },
        ScanOutcome::Replayed {
            record,
            same_scan: true,
        } => Scanned {
            record,
            replayed: true,
        },
        ScanOutcome::Replayed {
            same_scan: false, ..
        } => return Err(Conflict::NonceReused.into()),
        ScanOutcome::Refused(access) => {
            return Err(check(access)
                .err()
                .unwrap_or_else(|| Error::internal(RefusedWithoutCause)))
        }
    };
    if !scanned.replayed {
        count(core, &scanned.record);
    }
    tracing::info!(
        scan_id = %scanned.record.scan_id,
        gate_id = %scanned.record.gate_id,
        direction = %scanned.record.direction.as_str(),
        decision = scanned.record.decision.as_str(),
        reason = scanned.record.decision.reason().map_or("", DenyReason::as_str),
        overridden = scanned.record.overridden.map_or("", DenyReason::as_str),
        replayed = scanned.replayed,
        "scan"
    );
    Ok(scanned)
}

/// The write refused a scan its account's check passes when asked again (it cannot: the check is
/// the same function of the same row).
#[derive(Debug, thiserror::Error)]
#[error("the scan was refused, but its account may scan")]
struct RefusedWithoutCause;

/// Counts a newly logged scan in the metrics.
fn count(core: &Core, record: &ScanRecord) {
    core.metrics
        .scans
        .get_or_create(&ScanLabels {
            gate_id: record.gate_id.clone(),
            direction: record.direction.as_str().to_owned(),
            decision: record.decision.as_str().to_owned(),
            reason: record
                .decision
                .reason()
                .map_or("", DenyReason::as_str)
                .to_owned(),
        })
        .inc();
    core.metrics
        .last_scan
        .get_or_create(&GateLabels {
            gate_id: record.gate_id.clone(),
        })
        .set(record.recorded_at.timestamp());
}

/// Checks a token's signature (once per token: see [`permit_token::VerifiedTokens`]); the permit
/// id it names, or why it is refused.
async fn authenticate_token(core: &Core, token: &str) -> Result<Result<String, DenyReason>, Error> {
    if let Some(permit_id) = core.verified_tokens.get(token) {
        return Ok(Ok(permit_id));
    }
    let kid = match permit_token::kid_of(token) {
        Ok(kid) => kid,
        Err(rejection) => return Ok(Err(rejection.into())),
    };
    let key = match core.keys.cached_public_key(&kid) {
        Some(key) => Some(key),
        None => {
            let lookup = kid.clone();
            let key = core
                .store
                .read(move |conn| Ok(keys::public_key(conn, &lookup)?))
                .await?;
            if let Some(key) = &key {
                core.keys.remember_public_key(key.clone());
            }
            key
        }
    };
    Ok(permit_token::verify_signature(token, |_| key)
        .map(|claims| {
            core.verified_tokens.remember(token, &claims.sub);
            claims.sub
        })
        .map_err(DenyReason::from))
}
