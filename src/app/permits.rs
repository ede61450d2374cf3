//! Permits: applying for one, fetching it with its access code, revoking it.

use crate::crypto::access_code;
use crate::crypto::keyring::KeyRing;
use crate::crypto::permit_token::{self, PermitClaims};
use crate::db::keys::{self, KeyStoreError};
use std::net::IpAddr;

use crate::db::audit;
use crate::db::permits::{self, IssueError, IssueLimits, PermitRow, Revocation};
use crate::db::scans;
use crate::db::staff;
use crate::db::DbConnection;
use crate::domain::audit::{Action, Actor, Entry};
use crate::domain::document::DocumentInput;
use crate::domain::permit::{
    Application, PermitId, PermitSearch, PermitSearchInput, RevocationReason, VisitRules,
    MAX_DAYS_AHEAD,
};
use crate::domain::staff::permit_fetch_throttle_keys;
use crate::domain::staff::{Admin, Role, Staff};
use crate::domain::stats::Paging;
use crate::domain::violation::Violations;

use super::{Conflict, Core, Error};

/// An application as the traveler typed it.
#[derive(Debug, Clone, Default)]
pub struct ApplicationInput {
    /// The holder's document.
    pub document: DocumentInput,
    /// First visit day, `YYYY-MM-DD`.
    pub visit_from: Option<String>,
    /// Last visit day, `YYYY-MM-DD`.
    pub visit_until: Option<String>,
}

/// A permit just issued, with the access code that is shown only now.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The stored permit.
    pub permit: PermitRow,
    /// The code the traveler fetches the permit with later.
    pub access_code: String,
}

/// The visit rules in force.
pub fn visit_rules(core: &Core) -> VisitRules {
    VisitRules {
        max_stay_days: core.config.max_stay_days,
        max_days_ahead: MAX_DAYS_AHEAD,
    }
}

/// Checks an application and issues its permit: one active permit per document for overlapping
/// dates, within the limits per client address and per document.
pub async fn apply(core: &Core, input: ApplicationInput, client: IpAddr) -> Result<Issued, Error> {
    let application = Application::parse(
        &input.document,
        input.visit_from.as_deref(),
        input.visit_until.as_deref(),
        core.zone_today(),
        visit_rules(core),
    )?;
    let (code, code_hash) = access_code::generate().map_err(Error::internal)?;
    let row = PermitRow::new(
        &application,
        core.config.zone_tz,
        code_hash,
        core.clock.now(),
    );
    let keys = core.keys.clone();
    let limits = IssueLimits {
        per_client: core
            .config
            .apply_limit_per_minute
            .map(|limit| (client.to_string(), limit)),
        per_document: core.config.apply_limit_per_document_per_day,
    };
    let now = core.clock.now().naive_utc();
    let (prune, window) = (core.prune_due(), core.config.login_block);
    // Signed in the write, with the key active in its transaction: a separate read for the key
    // cost a pooled connection's round trips per permit (on PostgreSQL a fifth of the permit's
    // time, docs/performance.md); signing takes tens of microseconds.
    let permit = core
        .store
        .write(move |conn| {
            if prune {
                super::prune_throttles(conn, now, window)?;
            }
            let signed = match sign(conn, &keys, row.clone()) {
                Ok(signed) => signed,
                Err(SignError::Db(e)) => return Err(e.into()),
                Err(SignError::Refused(e)) => return Ok(Err(e)),
            };
            match permits::insert(conn, &signed, &limits) {
                Ok(()) => Ok(Ok(signed)),
                Err(IssueError::Overlap) => Ok(Err(Conflict::OverlappingPermit.into())),
                Err(IssueError::Limited { until }) => Ok(Err(Error::Throttled {
                    retry_after_secs: (until - now).num_seconds().max(1) as u64,
                })),
                // The write fails whole: nothing of it is kept.
                Err(IssueError::Db(e)) => Err(e.into()),
            }
        })
        .await??;
    core.metrics.permits_issued.inc();
    tracing::info!(permit_id = %permit.id, kid = %permit.kid, "permit issued");
    Ok(Issued {
        permit,
        access_code: code,
    })
}

/// Why a permit could not be signed.
enum SignError {
    /// A statement failed: the write fails whole.
    Db(diesel::result::Error),
    /// The answer to give (no active key yet, or a stored key that does not open).
    Refused(Error),
}

/// Signs a new permit's token with the key active in the write's transaction.
fn sign(
    conn: &mut DbConnection,
    keys: &KeyRing,
    mut row: PermitRow,
) -> Result<PermitRow, SignError> {
    let key = keys::active_signing_key(conn, keys, crate::db::keys::KeyUse::Permit).map_err(
        |e| match e {
            KeyStoreError::Db(e) => SignError::Db(e),
            KeyStoreError::NoActiveKey => SignError::Refused(Error::Unavailable(e.into())),
            other => SignError::Refused(Error::internal(other)),
        },
    )?;
    let claims = PermitClaims {
        sub: row.id.clone(),
        nbf: row.valid_from.and_utc().timestamp(),
        exp: row.valid_until.and_utc().timestamp(),
        n: PermitClaims::name_claim(&row.surname, &row.given_names),
        c: row.nationality.clone(),
        b: row.birth_date.format("%Y%m%d").to_string(),
    };
    row.token =
        permit_token::sign(&claims, &key).map_err(|e| SignError::Refused(Error::internal(e)))?;
    row.kid = key.kid().to_owned();
    Ok(row)
}

/// What a pasted MRZ fills in of a document being typed (the blank fields; typed ones are kept),
/// read as of the zone's today; its problems, fields named `document.mrz`, when it cannot be read.
pub fn read_mrz(core: &Core, document: &DocumentInput) -> Result<DocumentInput, Error> {
    document
        .filled_from_mrz(core.zone_today())
        .map_err(|violations| {
            Error::Invalid(
                violations
                    .into_iter()
                    .map(|v| v.within("document"))
                    .collect(),
            )
        })
}

/// The permit `id` for its holder: unknown ids and wrong codes look alike, take as long, and are
/// throttled like logins (per permit at the client, and per client). Only failures count, so a
/// holder opening their permit on several screens at once is never blocked by it; the right code
/// forgets the permit's failures (not the client's).
pub async fn fetch(core: &Core, id: &str, code: &str, client: IpAddr) -> Result<PermitRow, Error> {
    // The keys are hashes: whatever was typed as the id, their size is bounded.
    let (permit_key, client_key) =
        permit_fetch_throttle_keys(id, &client.to_string(), core.config.login_max_failures);
    let now = core.clock.now().naive_utc();
    let window = core.config.login_block;
    let parsed = id.parse::<PermitId>().ok().map(|id| id.to_string());
    let keys = [permit_key.clone(), client_key];
    let checked = keys.clone();
    let (state, found) = core
        .store
        .read(move |conn| {
            let state = staff::throttle_state(conn, &checked, now)?;
            let found = match (&state.blocked_until, parsed) {
                (None, Some(key)) => permits::find(conn, &key)?,
                _ => None,
            };
            Ok((state, found))
        })
        .await?;
    if let Some(until) = state.blocked_until {
        tracing::info!("permit look-up refused: too many failures");
        return Err(Error::Throttled {
            retry_after_secs: (until - now).num_seconds().max(1) as u64,
        });
    }
    // Hash even when the id is unknown, so both failures take the same time.
    let stored_hash = found.as_ref().map_or_else(
        || access_code::hash("unknown permit"),
        |r| r.access_code_hash.clone(),
    );
    let matches = access_code::matches(code, &stored_hash);
    match found {
        Some(row) if matches && !code.is_empty() => {
            if state.counting.contains(&permit_key.hash) {
                core.store
                    .write(move |conn| Ok(staff::forget(conn, &permit_key)?))
                    .await?;
            }
            Ok(row)
        }
        _ => {
            core.store
                .write(move |conn| Ok(staff::record_failure(conn, &keys, now, window)?))
                .await?;
            tracing::info!("permit look-up failed");
            Err(Error::NotFound)
        }
    }
}

/// The permit `id` for staff: any, for an administrator; for an officer, only a permit they scanned
/// themselves (any other looks as if it did not exist).
pub async fn fetch_for_staff(core: &Core, staff: &Staff, id: &str) -> Result<PermitRow, Error> {
    let id: PermitId = id.parse().map_err(|_| Error::NotFound)?;
    let key = id.to_string();
    let officer = match staff.role {
        Role::Admin => None,
        Role::Officer | Role::Supervisor => Some(staff.username.to_string()),
    };
    core.store
        .read(move |conn| {
            if let Some(officer) = &officer {
                if !scans::scanned_by(conn, &key, officer)? {
                    return Ok(None);
                }
            }
            Ok(permits::find(conn, &key)?)
        })
        .await?
        .ok_or(Error::NotFound)
}

/// Revokes a permit: entries are denied from now on; a holder inside may still leave.
pub async fn revoke(
    core: &Core,
    admin: &Admin,
    client: IpAddr,
    id: &str,
    reason: Option<&str>,
) -> Result<PermitRow, Error> {
    let id: PermitId = id.parse().map_err(|_| Error::NotFound)?;
    let reason = RevocationReason::parse(reason)?;
    let now = core.clock.now();
    let key = id.to_string();
    let entry = Entry::new(
        &Actor::staff(admin.staff(), client),
        Action::PermitRevoked,
        &key,
        serde_json::json!({ "reason": reason.as_str() }),
    );
    let outcome = core
        .store
        .write(move |tx| {
            let (conn, pending) = tx.parts();
            let outcome = permits::revoke(conn, &key, reason.as_str(), now.naive_utc())?;
            if let Revocation::Revoked(_) = outcome {
                // Gate bundles list revoked permits.
                pending.note_bundle_changes([key.clone()]);
                audit::append(conn, &entry, now)?;
            }
            Ok(outcome)
        })
        .await?;
    match outcome {
        Revocation::Revoked(row) => {
            tracing::info!(permit_id = %row.id, "permit revoked");
            Ok(row)
        }
        Revocation::AlreadyRevoked(_) => Err(Conflict::AlreadyRevoked.into()),
        Revocation::Unknown => Err(Error::NotFound),
    }
}

/// Permits found on one page of a search, newest first.
#[derive(Debug, Clone)]
pub struct Found {
    /// The permits.
    pub items: Vec<PermitRow>,
    /// This page and its size.
    pub paging: Paging,
    /// Permits the search finds, on every page.
    pub total: i64,
}

/// Permits a page of a search holds unless asked otherwise, and at most.
pub const PER_PAGE: u32 = 20;
/// Most permits a page of a search holds.
pub const MAX_PER_PAGE: u32 = 100;

/// Finds permits by id, by document (its key) or by surname's beginning and birth date, one page
/// of them (`per_page` 1 to 100, 20 unless said); every problem of the search and its paging.
pub async fn search(
    core: &Core,
    _admin: &Admin,
    input: &PermitSearchInput,
    page: Option<&str>,
    per_page: Option<&str>,
) -> Result<Found, Error> {
    let mut p = Violations::default();
    let criteria = p.take(None, PermitSearch::parse(input));
    let paging = p.take(None, Paging::parse(page, per_page, PER_PAGE, MAX_PER_PAGE));
    let (Some(criteria), Some(paging)) = (criteria, paging) else {
        return Err(p.into_vec().into());
    };
    let (offset, limit) = (paging.offset(), i64::from(paging.per_page));
    let (items, total) = core
        .store
        .read(move |conn| Ok(permits::search(conn, &criteria, offset, limit)?))
        .await?;
    Ok(Found {
        items,
        paging,
        total,
    })
}

/// Every log row of permit `id`, in the order the scans were made; 404 for an unknown permit.
pub async fn crossings(
    core: &Core,
    _admin: &Admin,
    id: &str,
) -> Result<(PermitRow, Vec<scans::LoggedScan>), Error> {
    let id: PermitId = id.parse().map_err(|_| Error::NotFound)?;
    let key = id.to_string();
    core.store
        .read(move |conn| {
            let Some(permit) = permits::find(conn, &key)? else {
                return Ok(None);
            };
            Ok(Some((permit, scans::of_permit(conn, &key)?)))
        })
        .await?
        .ok_or(Error::NotFound)
}
