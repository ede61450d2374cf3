//! The crossing log: each scan decided and appended in the transaction that moves its holder.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::engine::prepared;
use super::engine::stamp::Stamp;
use super::schema::{permits, presence, scans};
use super::stats::PendingCounts;
use super::{DbConnection, WriteTx};
use crate::domain::crossing::{
    decide, Decision, DenyReason, Direction, Flag, PermitFacts, Presence, Side,
};
use crate::domain::permit::PermitStatus;
use crate::domain::stats::ScanEvent;

/// One scan, ready to be decided and logged.
#[derive(Debug, Clone)]
pub struct NewScan {
    /// New log row id (UUIDv7).
    pub id: String,
    /// The device's idempotency key.
    pub nonce: String,
    /// Hash of what the scan was about (token, gate, direction): a reused nonce must match it.
    pub fingerprint: String,
    /// The gate.
    pub gate_id: String,
    /// The gate's side.
    pub side: Side,
    /// Entry or exit.
    pub direction: Direction,
    /// Who scanned.
    pub officer: String,
    /// The device's clock.
    pub scanned_at: DateTime<Utc>,
    /// The server's clock.
    pub recorded_at: DateTime<Utc>,
    /// The permit an authentic token names, or why the token is refused.
    pub named_permit: Result<String, DenyReason>,
    /// The scan reached the service late (flag `late`).
    pub late: bool,
}

/// What a scan reads of its permit: what the rules decide on and what the officer is shown
/// (not the token, the access code's hash or the visit's dates, which a scan has no use for).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = permits)]
pub struct ScannedPermit {
    /// Permit id.
    pub id: String,
    /// `active` or `revoked` (as it was at the scan, in a replayed answer).
    pub status: String,
    /// `passport` or `id_card`.
    pub document_type: String,
    /// Issuing state.
    pub issuing_country: String,
    /// Full document number.
    pub document_number: String,
    /// Document expiry.
    pub document_expiry: Option<NaiveDate>,
    /// Nationality.
    pub nationality: String,
    /// Surname.
    pub surname: String,
    /// Given names.
    pub given_names: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// `M`, `F` or `X`.
    pub sex: String,
    /// Start of validity.
    pub valid_from: Stamp,
    /// End of validity.
    pub valid_until: Stamp,
}

/// A logged scan, as the answer shows it.
#[derive(Debug, Clone)]
pub struct ScanRecord {
    /// Log row id.
    pub scan_id: String,
    /// The device's nonce.
    pub nonce: String,
    /// Gate.
    pub gate_id: String,
    /// Entry or exit.
    pub direction: Direction,
    /// The device's clock.
    pub scanned_at: DateTime<Utc>,
    /// The server's clock when logged.
    pub recorded_at: DateTime<Utc>,
    /// Admit (with flags) or deny.
    pub decision: Decision,
    /// Every flag of the log row: the decision's, and `late`.
    pub flags: Vec<Flag>,
    /// The permit, with its status as it was at the scan, when the token named a stored one.
    pub permit: Option<ScannedPermit>,
}

/// What recording a scan did.
#[derive(Debug, Clone)]
pub enum ScanOutcome {
    /// Newly decided and logged.
    Recorded(ScanRecord),
    /// The nonce was seen before: the first scan, and whether this request matches it.
    Replayed {
        /// The first scan.
        record: ScanRecord,
        /// False when the nonce was reused for a different scan.
        same_scan: bool,
    },
}

fn presence_of(inside: bool, side: Option<&str>) -> Presence {
    match (inside, side.and_then(Side::parse)) {
        (true, Some(side)) => Presence::Inside { side },
        _ => Presence::Outside,
    }
}

/// A stored log row, with what a replay needs.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scans)]
struct StoredScan {
    id: String,
    nonce: String,
    fingerprint: String,
    permit_id: Option<String>,
    gate_id: String,
    direction: String,
    decision: String,
    reason: Option<String>,
    flags: String,
    permit_status: Option<String>,
    scanned_at: NaiveDateTime,
    recorded_at: NaiveDateTime,
}

/// The stored flags.
fn stored_flags(flags: &str) -> Vec<Flag> {
    flags
        .split(',')
        .filter(|f| !f.is_empty())
        .filter_map(Flag::parse)
        .collect()
}

/// The decision a log row records (an admission's flags without `late`, which is the scan's own).
fn stored_decision(decision: &str, reason: Option<&str>, flags: &[Flag]) -> Option<Decision> {
    match decision {
        "admit" => Some(Decision::Admit(
            flags.iter().copied().filter(|f| *f != Flag::Late).collect(),
        )),
        "deny" => reason.and_then(DenyReason::parse).map(Decision::Deny),
        _ => None,
    }
}

/// Every flag of a log row: the decision's, then `late`.
fn row_flags(decision: &Decision, late: bool) -> Vec<Flag> {
    let mut flags = decision.flags().to_vec();
    if late {
        flags.push(Flag::Late);
    }
    flags
}

fn replay(conn: &mut DbConnection, input: &NewScan) -> QueryResult<Option<ScanOutcome>> {
    let seen: Option<StoredScan> = super::on_backend!(conn, |c| scans::table
        .filter(scans::nonce.eq(&input.nonce))
        .select(StoredScan::as_select())
        .get_result(c)
        .optional())?;
    let Some(seen) = seen else {
        return Ok(None);
    };
    let permit = match &seen.permit_id {
        Some(id) => permits::table
            .find(id)
            .select(ScannedPermit::as_select())
            .get_result(conn)
            .optional()?,
        None => None,
    };
    let permit = permit.map(|mut p| {
        // The answer shows the permit as it was when scanned.
        if let Some(status) = &seen.permit_status {
            status.clone_into(&mut p.status);
        }
        p
    });
    let flags = stored_flags(&seen.flags);
    let decision =
        stored_decision(&seen.decision, seen.reason.as_deref(), &flags).ok_or_else(|| {
            diesel::result::Error::DeserializationError(
                format!("stored decision {:?}", seen.decision).into(),
            )
        })?;
    let direction = Direction::parse(&seen.direction).ok_or_else(|| {
        diesel::result::Error::DeserializationError(
            format!("stored direction {:?}", seen.direction).into(),
        )
    })?;
    let record = ScanRecord {
        scan_id: seen.id,
        nonce: seen.nonce,
        gate_id: seen.gate_id,
        direction,
        scanned_at: seen.scanned_at.and_utc(),
        recorded_at: seen.recorded_at.and_utc(),
        decision,
        flags,
        permit,
    };
    Ok(Some(ScanOutcome::Replayed {
        record,
        same_scan: seen.fingerprint == input.fingerprint,
    }))
}

/// Decides `input` and appends it to the log; call it inside the write's transaction
/// ([`crate::db::Store::write`]).
///
/// Scans of one permit at any gate, through any instance, are decided one after the other: on
/// SQLite the writer holds the database's write lock (`BEGIN IMMEDIATE`) before the replay check;
/// on PostgreSQL the holder's presence row is locked first (an UPDATE), then read and decided on.
pub fn record(tx: &mut WriteTx<'_>, input: &NewScan) -> QueryResult<ScanOutcome> {
    let (conn, counts) = tx.parts();
    if let DbConnection::Sqlite(_) = conn {
        // No other writer can take this nonce between the replay check and the insert, and the
        // group commit undoes a write that fails whole (it rolls the batch back and runs it again
        // with each write in a savepoint): no savepoint of our own is needed.
        return record_once(conn, counts, input);
    }
    // A concurrent scan with the same nonce makes the insert fail on the unique nonce: the retry,
    // in a fresh savepoint, replays it.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut attempt_counts = PendingCounts::default();
        let result = conn.transaction(|c| record_once(c, &mut attempt_counts, input));
        if result.is_ok() {
            counts.append(attempt_counts);
        }
        match result {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) if attempts < 3 => continue,
            other => return other,
        }
    }
}

fn record_once(
    c: &mut DbConnection,
    counts: &mut PendingCounts,
    input: &NewScan,
) -> QueryResult<ScanOutcome> {
    if let Some(replayed) = replay(c, input)? {
        return Ok(replayed);
    }
    // Whether the permit has an admitted scan in the log already.
    let mut crossed_before = false;
    let (permit, decision) = match &input.named_permit {
        Err(reason) => (None, Decision::Deny(*reason)),
        Ok(permit_id) => {
            if let DbConnection::Postgres(pg) = c {
                prepared::LockPresence { permit_id }.execute(pg)?;
            }
            let state: Option<(ScannedPermit, bool, Option<String>, Option<Stamp>)> =
                super::on_backend!(c, |c| permits::table
                    .inner_join(presence::table)
                    .filter(permits::id.eq(permit_id))
                    .select((
                        ScannedPermit::as_select(),
                        presence::inside,
                        presence::side,
                        presence::since,
                    ))
                    .get_result(c)
                    .optional())?;
            match state {
                Some((permit, inside, side, since)) => {
                    // Only an admitted scan moves the holder, and every move sets `since`.
                    crossed_before = since.is_some();
                    let facts = PermitFacts {
                        status: PermitStatus::parse(&permit.status)
                            .unwrap_or(PermitStatus::Revoked),
                        valid_from: permit.valid_from.and_utc(),
                        valid_until: permit.valid_until.and_utc(),
                        presence: presence_of(inside, side.as_deref()),
                    };
                    let decision = decide(input.direction, input.side, &facts, input.recorded_at);
                    if let Decision::Admit(_) = decision {
                        let entering = input.direction == Direction::Entry;
                        let movement = prepared::MovePresence {
                            permit_id,
                            inside: entering,
                            side: entering.then(|| input.side.as_str()),
                            gate_id: entering.then_some(input.gate_id.as_str()),
                            since: Stamp::from(input.scanned_at),
                        };
                        super::on_backend!(c, movement)?;
                    }
                    (Some(permit), decision)
                }
                None => (None, Decision::Deny(DenyReason::UnknownPermit)),
            }
        }
    };
    let flags = row_flags(&decision, input.late);
    let flags_text = flags
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let insert = diesel::insert_into(scans::table).values((
        scans::id.eq(&input.id),
        scans::nonce.eq(&input.nonce),
        scans::fingerprint.eq(&input.fingerprint),
        scans::permit_id.eq(permit.as_ref().map(|p| p.id.as_str())),
        scans::gate_id.eq(&input.gate_id),
        scans::side.eq(input.side.as_str()),
        scans::direction.eq(input.direction.as_str()),
        scans::decision.eq(decision.as_str()),
        scans::reason.eq(decision.reason().map(DenyReason::as_str)),
        scans::flags.eq(flags_text),
        scans::nationality.eq(permit.as_ref().map(|p| p.nationality.as_str())),
        scans::officer.eq(&input.officer),
        scans::permit_status.eq(permit.as_ref().map(|p| p.status.as_str())),
        scans::scanned_at.eq(Stamp::from(input.scanned_at)),
        scans::recorded_at.eq(Stamp::from(input.recorded_at)),
    ));
    // The daily counts move in the same transaction as the log (read before this scan is in it).
    super::stats::count_scan(
        c,
        counts,
        crossed_before,
        ScanEvent {
            permit_id: permit.as_ref().map(|p| p.id.clone()),
            gate_id: input.gate_id.clone(),
            nationality: permit.as_ref().map(|p| p.nationality.clone()),
            direction: input.direction,
            admitted: matches!(decision, Decision::Admit(_)),
            scanned_at: input.scanned_at,
        },
    )?;
    super::on_backend!(c, insert)?;
    Ok(ScanOutcome::Recorded(ScanRecord {
        scan_id: input.id.clone(),
        nonce: input.nonce.clone(),
        gate_id: input.gate_id.clone(),
        direction: input.direction,
        scanned_at: input.scanned_at,
        recorded_at: input.recorded_at,
        decision,
        flags,
        permit,
    }))
}

/// A log row, for audits and tests.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scans)]
pub struct ScanRow {
    /// Log row id.
    pub id: String,
    /// Device nonce.
    pub nonce: String,
    /// The permit, when known.
    pub permit_id: Option<String>,
    /// Gate.
    pub gate_id: String,
    /// Side.
    pub side: String,
    /// Direction.
    pub direction: String,
    /// `admit` or `deny`.
    pub decision: String,
    /// Deny reason.
    pub reason: Option<String>,
    /// Comma-separated flags.
    pub flags: String,
    /// Device clock.
    pub scanned_at: NaiveDateTime,
    /// Server clock.
    pub recorded_at: NaiveDateTime,
}

/// Every scan of a permit, in log order.
pub fn for_permit(conn: &mut DbConnection, permit_id: &str) -> QueryResult<Vec<ScanRow>> {
    scans::table
        .filter(scans::permit_id.eq(permit_id))
        .order((scans::recorded_at, scans::id))
        .select(ScanRow::as_select())
        .load(conn)
}

/// Whether `officer` has a scan of permit `permit_id` in the log.
pub fn scanned_by(conn: &mut DbConnection, permit_id: &str, officer: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        scans::table
            .filter(scans::permit_id.eq(permit_id))
            .filter(scans::officer.eq(officer)),
    ))
    .get_result(conn)
}
