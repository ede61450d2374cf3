//! Gate scans: each one authenticated, decided and appended to the one crossing log.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

use crate::crypto::permit_token;
use crate::crypto::signing_key::PublicKey;
use crate::db::scans::{AccessCheck, NewScan, OfflineFacts, ScanItem, ScanOutcome, ScanRecord};
use crate::db::{keys, staff};
use crate::domain::crossing::DenyReason;
use crate::domain::scan::{
    is_late, OfflineScan, OfflineScanInput, ScanClockLimits, ScanInput, ScanRequest,
    MAX_BATCH_ITEMS,
};
use crate::domain::violation::{Violation, ViolationCode};
use crate::metrics::{GateLabels, ScanLabels};

use super::devices::GateCaller;
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
    client: IpAddr,
    input: ScanInput,
) -> Result<Scanned, Error> {
    let now = core.clock.now();
    let gate = gates::lookup(core, input.gate_id.as_deref()).await?;
    let limits = ScanClockLimits {
        max_age: core.config.scan_max_age,
        max_ahead: core.config.scan_max_ahead,
    };
    let request = ScanRequest::parse(input, gate, now, limits)?;
    let fingerprint = fingerprint(&request);
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
        offline: None,
        device_id: None,
        client: Some(client),
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

/// What a reused nonce must match: the token, the gate and the direction.
fn fingerprint(request: &ScanRequest) -> String {
    crate::crypto::b64url(&Sha256::digest(
        format!(
            "{}|{}|{}",
            request.token,
            request.gate.id,
            request.direction.as_str()
        )
        .as_bytes(),
    ))
}

/// What became of one scan of an offline upload.
#[derive(Debug, Clone)]
pub enum Uploaded {
    /// Logged now, or logged before (`replayed`).
    Logged(Box<Scanned>),
    /// Not logged: its problems.
    Rejected {
        /// The nonce the item gave, if it could be read.
        nonce: Option<String>,
        /// Every problem found.
        errors: Vec<Violation>,
    },
}

/// An item of an offline upload: read into fields, or refused for its shape.
pub type UploadItem = Result<OfflineScanInput, Vec<Violation>>;

/// Logs scans a gate made offline (1 to [`MAX_BATCH_ITEMS`]), uploaded by a device of the gate,
/// by staff of the gate or by an administrator. What the gate decided is what happened
/// (see [`crate::db::scans::record_all`]); an item with bad fields, of another gate, by an
/// officer who may not scan there, or reusing a nonce for another scan is rejected alone. The
/// scans are decided in `scanned_at` order, in one write; the results come in the items' order.
pub async fn upload(
    core: &Core,
    caller: &GateCaller,
    items: Vec<UploadItem>,
) -> Result<Vec<Uploaded>, Error> {
    if items.is_empty() || items.len() > MAX_BATCH_ITEMS {
        return Err(Error::Invalid(vec![Violation::new(
            "scans",
            ViolationCode::InvalidLength,
            format!("an upload holds 1 to {MAX_BATCH_ITEMS} scans"),
        )]));
    }
    let now = core.clock.now();
    let limits = ScanClockLimits {
        max_age: core.config.offline_max_age,
        max_ahead: core.config.scan_max_ahead,
    };
    let (device_id, uploader) = match caller {
        GateCaller::Device(device) => (Some(device.id.clone()), None),
        GateCaller::Staff(staff) => (None, Some(staff.username.clone())),
    };
    let mut results: Vec<Option<Uploaded>> = vec![None; items.len()];
    let mut accepted: Vec<(usize, ScanItem)> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let input = match item {
            Ok(input) => input,
            Err(errors) => {
                results[i] = Some(Uploaded::Rejected {
                    nonce: None,
                    errors,
                });
                continue;
            }
        };
        let nonce = input.scan.nonce.clone();
        let gate = gates::lookup(core, input.scan.gate_id.as_deref()).await?;
        let parsed =
            OfflineScan::parse(input, gate, now, limits, uploader.is_none()).and_then(|offline| {
                match caller.require_gate(&offline.scan.gate.id) {
                    Ok(()) => Ok(offline),
                    Err(refusal) => Err(vec![Violation::new(
                        "gate_id",
                        ViolationCode::NotAllowed,
                        refusal.to_string(),
                    )]),
                }
            });
        let offline = match parsed {
            Ok(offline) => offline,
            Err(errors) => {
                results[i] = Some(Uploaded::Rejected { nonce, errors });
                continue;
            }
        };
        let Some(officer) = offline.officer.clone().or_else(|| uploader.clone()) else {
            // `OfflineScan::parse` requires an officer of a device's items.
            results[i] = Some(Uploaded::Rejected {
                nonce,
                errors: vec![Violation::new(
                    "officer",
                    ViolationCode::Required,
                    "required",
                )],
            });
            continue;
        };
        let request = offline.scan;
        let gate_id = request.gate.id.clone();
        let scan = NewScan {
            id: uuid::Uuid::now_v7().to_string(),
            nonce: request.nonce.hyphenated().to_string(),
            fingerprint: fingerprint(&request),
            gate_id: request.gate.id.to_string(),
            side: request.gate.side,
            direction: request.direction,
            officer: officer.to_string(),
            scanned_at: request.scanned_at,
            recorded_at: now,
            // Checked below, all of the upload's tokens together.
            named_permit: Err(DenyReason::MalformedToken),
            late: false,
            override_reason: None,
            offline: Some(OfflineFacts {
                device_decision: offline.device_decision,
                device_reason: offline.device_reason,
                bundle_version: offline.bundle_version,
            }),
            device_id: device_id.clone(),
            // Uploads carry no overrides, the only scans the audit trail records.
            client: None,
        };
        // The named officer must be an enabled officer or supervisor of the gate (or an
        // administrator), as the write reads the account.
        let may_scan: AccessCheck = Box::new(move |access| {
            access.is_some_and(|a| {
                let generation = a.token_generation;
                matches!(a.clone().into_staff(generation), Ok(Some(staff)) if staff.require_gate(&gate_id).is_ok())
            })
        });
        accepted.push((i, ScanItem { scan, may_scan }));
        tokens.push(request.token);
    }
    let named = authenticate_tokens(core, tokens).await?;
    for ((_, item), named) in accepted.iter_mut().zip(named) {
        item.scan.named_permit = named;
    }
    // Decided in the order the gate made them.
    accepted.sort_by_key(|(_, item)| item.scan.scanned_at);
    let (order, batch): (Vec<usize>, Vec<ScanItem>) = accepted.into_iter().unzip();
    let officers: Vec<(String, String)> = batch
        .iter()
        .map(|item| (item.scan.officer.clone(), item.scan.gate_id.clone()))
        .collect();
    let outcomes = if batch.is_empty() {
        Vec::new()
    } else {
        core.store.record_scans(batch).await?
    };
    let (mut logged, mut conflicts) = (0_usize, 0_usize);
    for ((i, outcome), (officer, gate_id)) in order.into_iter().zip(outcomes).zip(officers) {
        let nonce = match &outcome {
            ScanOutcome::Recorded(r) | ScanOutcome::Replayed { record: r, .. } => {
                Some(r.nonce.clone())
            }
            ScanOutcome::Refused(_) => None,
        };
        results[i] = Some(match outcome {
            ScanOutcome::Recorded(record) => {
                count(core, &record);
                logged += 1;
                conflicts += usize::from(record.conflict.is_some());
                Uploaded::Logged(Box::new(Scanned {
                    record,
                    replayed: false,
                }))
            }
            ScanOutcome::Replayed {
                record,
                same_scan: true,
            } => Uploaded::Logged(Box::new(Scanned {
                record,
                replayed: true,
            })),
            ScanOutcome::Replayed {
                same_scan: false, ..
            } => Uploaded::Rejected {
                nonce,
                errors: vec![Violation::new(
                    "nonce",
                    ViolationCode::NonceReused,
                    Conflict::NonceReused.to_string(),
                )],
            },
            ScanOutcome::Refused(_) => Uploaded::Rejected {
                nonce,
                errors: vec![Violation::new(
                    "officer",
                    ViolationCode::NotAllowed,
                    format!("{officer} is not an enabled officer or supervisor of gate {gate_id}"),
                )],
            },
        });
    }
    let results: Vec<Uploaded> = results.into_iter().flatten().collect();
    tracing::info!(
        device_id = device_id.as_deref().unwrap_or(""),
        scans = results.len(),
        logged,
        conflicts,
        "offline upload"
    );
    Ok(results)
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
    let mut named = authenticate_tokens(core, vec![token.to_owned()]).await?;
    named
        .pop()
        .ok_or_else(|| Error::internal("a token was not checked"))
}

/// Fewest signatures worth sending to other threads: fewer are checked where they are asked for.
const SPREAD_FROM: usize = 32;

/// [`authenticate_token`] for each of `tokens`, in order. Signatures not checked before are
/// spread over the machine's cores when there are many (an upload's entries are mostly tokens
/// the service has not seen: measured, 40% of an upload's time went to Ed25519 checks on one
/// core while the other waited).
async fn authenticate_tokens(
    core: &Core,
    tokens: Vec<String>,
) -> Result<Vec<Result<String, DenyReason>>, Error> {
    let mut named: Vec<Option<Result<String, DenyReason>>> = vec![None; tokens.len()];
    let mut unchecked: Vec<(usize, String, Option<PublicKey>)> = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        if let Some(permit_id) = core.verified_tokens.get(&token) {
            named[i] = Some(Ok(permit_id));
            continue;
        }
        match permit_token::kid_of(&token) {
            Ok(kid) => unchecked.push((i, token, permit_key(core, &kid).await?)),
            Err(rejection) => named[i] = Some(Err(rejection.into())),
        }
    }
    let check = |(i, token, key): (usize, String, Option<PublicKey>)| {
        let checked = permit_token::verify_signature(&token, |_| key).map(|claims| claims.sub);
        (i, token, checked)
    };
    let checked: Vec<_> = if unchecked.len() < SPREAD_FROM {
        unchecked.into_iter().map(check).collect()
    } else {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let per_thread = unchecked.len().div_ceil(threads);
        let mut running = Vec::new();
        while !unchecked.is_empty() {
            let rest = unchecked.split_off(per_thread.min(unchecked.len()));
            let share = std::mem::replace(&mut unchecked, rest);
            running.push(actix_web::rt::task::spawn_blocking(move || {
                share.into_iter().map(check).collect::<Vec<_>>()
            }));
        }
        let mut all = Vec::new();
        for share in running {
            all.extend(share.await.map_err(Error::internal)?);
        }
        all
    };
    for (i, token, outcome) in checked {
        if let Ok(permit_id) = &outcome {
            core.verified_tokens.remember(&token, permit_id);
        }
        named[i] = Some(outcome.map_err(DenyReason::from));
    }
    named
        .into_iter()
        .map(|n| n.ok_or_else(|| Error::internal("a token was not checked")))
        .collect()
}

/// The permit key `kid`, from this instance's cache or the database.
async fn permit_key(core: &Core, kid: &str) -> Result<Option<PublicKey>, Error> {
    if let Some(key) = core.keys.cached_public_key(kid) {
        return Ok(Some(key));
    }
    let lookup = kid.to_owned();
    let key = core
        .store
        .read(move |conn| Ok(keys::public_key(conn, &lookup)?))
        .await?;
    if let Some(key) = &key {
        core.keys.remember_public_key(key.clone());
    }
    Ok(key)
}
