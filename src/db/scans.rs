//! The crossing log: each scan decided and appended in the transaction that moves its holder.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::conflicts::{self, Explained, NewConflict};
use super::engine::prepared;
use super::engine::stamp::Stamp;
use super::schema::{conflicts as conflicts_table, permits, presence, scans};
use super::staff::StaffAccess;
use super::stats::{Crossings, NearestAsk, PendingCounts};
use super::DbConnection;
use crate::domain::audit::{Action, Actor, Entry};
use crate::domain::crossing::{
    decide, presence_after, presence_rule, Decision, DenyReason, Direction, Flag, PermitFacts,
    Presence, Side,
};
use crate::domain::permit::PermitStatus;
use crate::domain::scan::GateDecision;
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
    /// A supervisor's or administrator's reason to admit the scan should the rules deny it.
    pub override_reason: Option<String>,
    /// Made by a gate working offline: what it decided (judged at `scanned_at`, not recorded).
    pub offline: Option<OfflineFacts>,
    /// The gate device that uploaded it.
    pub device_id: Option<String>,
    /// The address the scan was sent from, for the audit trail of an override.
    pub client: Option<std::net::IpAddr>,
}

/// What a gate working offline decided of a scan it uploads later.
#[derive(Debug, Clone)]
pub struct OfflineFacts {
    /// Admit or deny.
    pub device_decision: GateDecision,
    /// Why it denied, when it said.
    pub device_reason: Option<DenyReason>,
    /// The bundle version it decided from.
    pub bundle_version: Option<i64>,
}

/// What a scan reads of its permit: what the rules decide on and what the officer is shown
/// (not the token, the access code's hash or the visit's dates, which a scan has no use for).
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
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
    /// When revoked.
    pub revoked_at: Option<Stamp>,
}

impl ScannedPermit {
    /// Active or revoked at `at` (a permit revoked later was active then).
    fn status_at(&self, at: DateTime<Utc>) -> PermitStatus {
        let revoked = PermitStatus::parse(&self.status) != Some(PermitStatus::Active)
            && self.revoked_at.is_none_or(|r| r.and_utc() <= at);
        if revoked {
            PermitStatus::Revoked
        } else {
            PermitStatus::Active
        }
    }
}

/// A conflict a scan opened.
#[derive(Debug, Clone)]
pub struct ConflictRef {
    /// Conflict id.
    pub id: String,
    /// The rule broken.
    pub kind: DenyReason,
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
    /// When a denial was overridden: what it was denied for.
    pub overridden: Option<DenyReason>,
    /// The permit, with its status as it was at the scan, when the token named a stored one.
    pub permit: Option<ScannedPermit>,
    /// The conflict this scan opened, if it did.
    pub conflict: Option<ConflictRef>,
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
    /// Not logged: the account (as read in the write; `None` when there is none) may not scan.
    Refused(Option<StaffAccess>),
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
    overridden_reason: Option<String>,
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
            flags
                .iter()
                .copied()
                .filter(|f| f.is_decision_flag())
                .collect(),
        )),
        "deny" => reason.and_then(DenyReason::parse).map(Decision::Deny),
        _ => None,
    }
}

/// Every flag of a log row: the decision's, then `late`, `offline`, `conflict`.
fn row_flags(decision: &Decision, input: &NewScan, conflict: bool) -> Vec<Flag> {
    let mut flags = decision.flags().to_vec();
    if input.late {
        flags.push(Flag::Late);
    }
    if input.offline.is_some() {
        flags.push(Flag::Offline);
    }
    if conflict {
        flags.push(Flag::Conflict);
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
    let same_scan = seen.fingerprint == input.fingerprint;
    let conflict = conflicts_table::table
        .filter(conflicts_table::scan_id.eq(&seen.id))
        .select((conflicts_table::id, conflicts_table::kind))
        .first::<(String, String)>(conn)
        .optional()?;
    let record = record_of(seen, permit, conflict)?;
    Ok(Some(ScanOutcome::Replayed { record, same_scan }))
}

/// The answer a stored log row gives, with its `permit` (shown with its status as it was when
/// scanned) and the `conflict` (id, kind) it opened.
fn record_of(
    seen: StoredScan,
    permit: Option<ScannedPermit>,
    conflict: Option<(String, String)>,
) -> QueryResult<ScanRecord> {
    let permit = permit.map(|mut p| {
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
    let conflict = conflict
        .and_then(|(id, kind)| DenyReason::parse(&kind).map(|kind| ConflictRef { id, kind }));
    Ok(ScanRecord {
        conflict,
        scan_id: seen.id,
        nonce: seen.nonce,
        gate_id: seen.gate_id,
        direction,
        scanned_at: seen.scanned_at.and_utc(),
        recorded_at: seen.recorded_at.and_utc(),
        decision,
        flags,
        overridden: seen
            .overridden_reason
            .as_deref()
            .and_then(DenyReason::parse),
        permit,
    })
}

/// A log row with everything the crossing log keeps of it, for administrators.
#[derive(Debug, Clone)]
pub struct LoggedScan {
    /// The row as a scan's answer shows it.
    pub record: ScanRecord,
    /// Who scanned (an officer, supervisor or administrator).
    pub officer: String,
    /// The device that uploaded it, when a device did.
    pub device_id: Option<String>,
    /// The reason given for an override.
    pub override_reason: Option<String>,
    /// What the gate decided offline, when it did.
    pub device_decision: Option<String>,
    /// Why the gate denied offline, when it said.
    pub device_reason: Option<String>,
    /// The bundle version the gate decided from offline.
    pub bundle_version: Option<i64>,
}

/// A stored log row with the columns only administrators read.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scans)]
struct FullRow {
    #[diesel(embed)]
    stored: StoredScan,
    officer: String,
    device_id: Option<String>,
    override_reason: Option<String>,
    device_decision: Option<String>,
    device_reason: Option<String>,
    bundle_version: Option<i64>,
}

/// Every log row of permit `permit_id`, in the order the scans were made (then logged).
pub fn of_permit(conn: &mut DbConnection, permit_id: &str) -> QueryResult<Vec<LoggedScan>> {
    let rows: Vec<FullRow> = scans::table
        .filter(scans::permit_id.eq(permit_id))
        .order((scans::scanned_at, scans::recorded_at, scans::id))
        .select(FullRow::as_select())
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let permit = permits::table
        .find(permit_id)
        .select(ScannedPermit::as_select())
        .get_result(conn)
        .optional()?;
    let opened: HashMap<String, (String, String)> = conflicts_table::table
        .filter(conflicts_table::permit_id.eq(permit_id))
        .select((
            conflicts_table::scan_id,
            conflicts_table::id,
            conflicts_table::kind,
        ))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(scan, id, kind)| (scan, (id, kind)))
        .collect();
    rows.into_iter()
        .map(|row| {
            let conflict = opened.get(&row.stored.id).cloned();
            Ok(LoggedScan {
                record: record_of(row.stored, permit.clone(), conflict)?,
                officer: row.officer,
                device_id: row.device_id,
                override_reason: row.override_reason,
                device_decision: row.device_decision,
                device_reason: row.device_reason,
                bundle_version: row.bundle_version,
            })
        })
        .collect()
}

/// Whether an account (`None`: there is none) may log a scan.
pub type AccessCheck = Box<dyn Fn(Option<&StaffAccess>) -> bool + Send + Sync>;

/// One scan to log, with the check the scanning account must pass as the write reads it.
pub struct ScanItem {
    /// The scan.
    pub scan: NewScan,
    /// Whether the account (`None`: there is none) may log this scan; it is asked in the write
    /// that logs it, so an account disabled a moment before logs nothing.
    pub may_scan: AccessCheck,
}

impl std::fmt::Debug for ScanItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanItem")
            .field("scan_id", &self.scan.id)
            .finish_non_exhaustive()
    }
}

/// An admitted crossing of a permit, as a batch of scans sees it.
#[derive(Debug, Clone)]
struct Crossing {
    /// Its log row (`None` for the latest crossing as the presence row tells it).
    scan_id: Option<String>,
    direction: Direction,
    /// The gate's side (`None` only for an exit told by the presence row).
    side: Option<Side>,
    gate_id: String,
    at: DateTime<Utc>,
}

impl Crossing {
    /// Where it left the holder.
    fn leaves(&self) -> Presence {
        match (self.direction, self.side) {
            (Direction::Entry, Some(side)) => Presence::Inside { side },
            _ => Presence::Outside,
        }
    }
}

/// A permit as a batch of scans sees it: read (and on PostgreSQL locked) once, then moved by each
/// admitted scan of the batch in turn.
struct Holder {
    permit: ScannedPermit,
    presence: Presence,
    /// An open conflict is about the holder's crossings (they may leave through either side).
    disputed: bool,
    /// The latest admitted crossing in the log before the batch, as its presence row tells it.
    logged_latest: Option<Crossing>,
    /// The batch's admitted scans of the permit so far.
    batch: Vec<Crossing>,
    /// Where the batch leaves the holder, if it moved them.
    moved: Option<Move>,
}

/// What [`Holder::judge`] decided of one scan.
struct Judged {
    decision: Decision,
    /// What an override admitted despite.
    overridden: Option<DenyReason>,
    /// Admitted, of a permit that crossed before the batch: the log's nearest crossings count.
    look_up_log: bool,
    /// The batch's admitted scans of the permit before this one (for an admitted scan).
    earlier: Crossings,
    /// Admitted offline against a rule: the rule, and the crossing it contradicts.
    conflict: Option<(DenyReason, Option<String>)>,
    /// Admitted offline before a crossing whose conflicts it may explain: that crossing's scan.
    explains: Option<String>,
}

impl Judged {
    /// A scan denied before any holder is looked at.
    fn denied(reason: DenyReason) -> Self {
        Self::decided(Decision::Deny(reason))
    }

    /// `decision`, moving nobody.
    fn decided(decision: Decision) -> Self {
        Self {
            decision,
            overridden: None,
            look_up_log: false,
            earlier: Vec::new(),
            conflict: None,
            explains: None,
        }
    }

    /// An offline scan of no stored permit (or of a token that is not authentic): what the gate
    /// decided, a conflict of the token's fault if it admitted.
    fn offline_without_holder(reason: DenyReason, offline: &OfflineFacts) -> Self {
        match offline.device_decision {
            GateDecision::Deny => Self::denied(offline.device_reason.unwrap_or(reason)),
            GateDecision::Admit => Self {
                conflict: reason.conflict_kind().map(|kind| (kind, None)),
                ..Self::decided(Decision::Admit(Vec::new()))
            },
        }
    }
}

impl Holder {
    /// Decides an online scan against the holder as the batch has left them, at the moment it is
    /// recorded (an override admitting what the rules deny), and moves them if it is admitted.
    fn judge(&mut self, input: &NewScan) -> Judged {
        let facts = self.facts(self.presence, input.recorded_at);
        let decided = decide(input.direction, input.side, &facts, input.recorded_at);
        let (decision, overridden) = match input.override_reason {
            Some(_) => decided.overridden(),
            None => (decided, None),
        };
        if !matches!(decision, Decision::Admit(_)) {
            return Judged {
                overridden,
                ..Judged::decided(decision)
            };
        }
        let earlier = self.admit(input, true);
        Judged {
            decision,
            overridden,
            look_up_log: self.logged_latest.is_some(),
            earlier,
            conflict: None,
            explains: None,
        }
    }

    /// Decides a scan made offline: what the gate decided is what happened. An admission is
    /// judged against the holder as the log says they were at `scanned_at` (the latest admitted
    /// crossing before it, in the log or the batch) and against the crossing after it: a rule
    /// broken opens a conflict of its kind. The holder moves only if no crossing came after.
    fn judge_offline(
        &mut self,
        conn: &mut DbConnection,
        input: &NewScan,
        offline: &OfflineFacts,
    ) -> QueryResult<Judged> {
        let at = input.scanned_at;
        let (mut before, mut after) = match &self.logged_latest {
            Some(latest) if at < latest.at => (
                logged_crossing(conn, &self.permit.id, at, Around::Before)?,
                logged_crossing(conn, &self.permit.id, at, Around::After)?,
            ),
            latest => (latest.clone(), None),
        };
        for crossing in &self.batch {
            if crossing.at <= at {
                if before.as_ref().is_none_or(|b| crossing.at >= b.at) {
                    before = Some(crossing.clone());
                }
            } else if after.as_ref().is_none_or(|a| crossing.at < a.at) {
                after = Some(crossing.clone());
            }
        }
        let presence = before.as_ref().map_or(Presence::Outside, Crossing::leaves);
        let decided = decide(input.direction, input.side, &self.facts(presence, at), at);
        if offline.device_decision == GateDecision::Deny {
            let reason = offline
                .device_reason
                .or(decided.reason())
                .unwrap_or(DenyReason::DeniedAtGate);
            return Ok(Judged::denied(reason));
        }
        let leaves = presence_after(input.direction, input.side);
        let against_next = after.as_ref().and_then(|next| {
            let side = next.side?;
            presence_rule(next.direction, side, leaves, self.disputed)
                .map(|broken| (broken, next.scan_id.clone()))
        });
        let conflict = match decided.reason() {
            Some(reason) => {
                let presence_rule_broken = matches!(
                    reason,
                    DenyReason::AlreadyInside | DenyReason::NotInside | DenyReason::WrongSide
                );
                let other = match before {
                    Some(Crossing { scan_id: None, .. }) if presence_rule_broken => {
                        logged_crossing(conn, &self.permit.id, at, Around::Before)?
                            .and_then(|c| c.scan_id)
                    }
                    Some(b) if presence_rule_broken => b.scan_id,
                    _ => None,
                };
                reason.conflict_kind().map(|kind| (kind, other))
            }
            None => against_next,
        };
        // The crossing after this one, now preceded by it, may no longer break a rule.
        let explains = after
            .filter(|next| {
                next.side.is_some_and(|side| {
                    presence_rule(next.direction, side, leaves, self.disputed).is_none()
                })
            })
            .and_then(|next| next.scan_id);
        let latest = self.batch.iter().all(|c| c.at <= at)
            && self.logged_latest.as_ref().is_none_or(|l| at >= l.at);
        let earlier = self.admit(input, latest);
        if conflict.is_some() {
            self.disputed = true;
        }
        Ok(Judged {
            decision: Decision::Admit(decided.flags().to_vec()),
            overridden: None,
            look_up_log: self.logged_latest.is_some(),
            earlier,
            conflict,
            explains,
        })
    }

    /// What the rules know of the permit at `at`, with the holder `presence`.
    fn facts(&self, presence: Presence, at: DateTime<Utc>) -> PermitFacts {
        PermitFacts {
            status: self.permit.status_at(at),
            valid_from: self.permit.valid_from.and_utc(),
            valid_until: self.permit.valid_until.and_utc(),
            presence,
            disputed: self.disputed,
        }
    }

    /// Notes an admitted scan: moves the holder when it is their latest crossing; the batch's
    /// admitted scans of the permit before it `(gate, instant)`.
    fn admit(&mut self, input: &NewScan, latest: bool) -> Crossings {
        let earlier = self
            .batch
            .iter()
            .map(|c| (c.gate_id.clone(), c.at))
            .collect();
        if latest {
            let entering = input.direction == Direction::Entry;
            self.presence = presence_after(input.direction, input.side);
            self.moved = Some(Move {
                inside: entering,
                side: entering.then_some(input.side),
                gate_id: entering.then(|| input.gate_id.clone()),
                since: Stamp::from(input.scanned_at),
            });
        }
        self.batch.push(Crossing {
            scan_id: Some(input.id.clone()),
            direction: input.direction,
            side: Some(input.side),
            gate_id: input.gate_id.clone(),
            at: input.scanned_at,
        });
        earlier
    }
}

/// Which of a permit's logged crossings nearest an instant.
#[derive(Debug, Clone, Copy)]
enum Around {
    /// The latest at or before it.
    Before,
    /// The earliest after it.
    After,
}

/// The permit's admitted crossing in the log nearest `at` on one side.
fn logged_crossing(
    conn: &mut DbConnection,
    permit_id: &str,
    at: DateTime<Utc>,
    around: Around,
) -> QueryResult<Option<Crossing>> {
    let at = Stamp::from(at);
    let admitted = scans::table
        .filter(scans::permit_id.eq(permit_id))
        .filter(scans::decision.eq("admit"))
        .select((
            scans::id,
            scans::direction,
            scans::side,
            scans::gate_id,
            scans::scanned_at,
        ));
    let row: Option<(String, String, String, String, Stamp)> = match around {
        Around::Before => admitted
            .filter(scans::scanned_at.le(at))
            .order((scans::scanned_at.desc(), scans::id.desc()))
            .first(conn)
            .optional()?,
        Around::After => admitted
            .filter(scans::scanned_at.gt(at))
            .order((scans::scanned_at.asc(), scans::id.asc()))
            .first(conn)
            .optional()?,
    };
    Ok(row.and_then(|(id, direction, side, gate_id, at)| {
        Some(Crossing {
            scan_id: Some(id),
            direction: Direction::parse(&direction)?,
            side: Side::parse(&side),
            gate_id,
            at: at.and_utc(),
        })
    }))
}

/// A holder's presence as an admitted scan leaves it.
#[derive(Debug, Clone)]
struct Move {
    inside: bool,
    side: Option<Side>,
    gate_id: Option<String>,
    since: Stamp,
}

/// A scan decided by the batch, waiting for its count and its log row.
struct Decided {
    item: usize,
    /// Admitted and of a permit that crossed before the batch: the log's nearest crossings count.
    look_up_log: bool,
    /// The batch's admitted scans of the permit before this one.
    earlier_in_batch: Crossings,
}

/// Decides `items` in order and appends them to the log, in the open transaction of a write
/// ([`crate::db::Store::record_scan`]); the outcome of each, in the same order.
///
/// A batch costs a fixed number of statements, whatever its size: the accounts, the nonces seen
/// before, the permits with their presence, the nearest crossings of the log, one insert and one
/// update (on SQLite, where a statement is a function call, the last ones run per permit). Each
/// scan is decided against the holder as the scans before it in the batch left them, so the batch
/// decides exactly as the same scans one after the other would.
///
/// Scans of one permit at any gate, through any instance, are decided one after the other: on
/// SQLite the writer holds the database's write lock (`BEGIN IMMEDIATE`); on PostgreSQL the
/// permits' rows and their presence rows are locked as they are read (`FOR NO KEY UPDATE`), in
/// permit order, so two instances' batches never wait on each other in a circle.
///
/// A nonce another instance is logging at the same moment makes the insert fail on the unique
/// nonce; the group commit then runs each scan alone in a savepoint of its own, where
/// [`record_one`] tries again and finds it logged.
pub fn record_all(
    conn: &mut DbConnection,
    counts: &mut PendingCounts,
    items: &[&ScanItem],
) -> QueryResult<Vec<ScanOutcome>> {
    let mut outcomes: Vec<Option<ScanOutcome>> = vec![None; items.len()];
    let mut names: Vec<&str> = items.iter().map(|i| i.scan.officer.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    // On SQLite, where a statement is a function call, one prepared (and kept) statement per key:
    // a statement with a list of keys differs with the list's length, so it would be prepared
    // again for every batch (measured: scans 10% slower). On PostgreSQL one statement per batch.
    let accounts: HashMap<String, StaffAccess> = match conn {
        DbConnection::Sqlite(_) => names
            .iter()
            .map(|name| super::staff::access(conn, name))
            .filter_map(Result::transpose)
            .collect::<QueryResult<Vec<_>>>()?,
        DbConnection::Postgres(_) => super::staff::access_all(conn, &names)?,
    }
    .into_iter()
    .map(|a| (a.username.clone(), a))
    .collect();
    for (outcome, item) in outcomes.iter_mut().zip(items) {
        let access = accounts.get(&item.scan.officer);
        if !(item.may_scan)(access) {
            *outcome = Some(ScanOutcome::Refused(access.cloned()));
        }
    }
    let nonces: Vec<&str> = pending(&outcomes, items)
        .map(|(_, item)| item.scan.nonce.as_str())
        .collect();
    if !nonces.is_empty() {
        let seen: HashSet<String> = match conn {
            DbConnection::Sqlite(c) => {
                let mut seen = Vec::new();
                for nonce in &nonces {
                    let found = scans::table
                        .filter(scans::nonce.eq(nonce))
                        .select(scans::nonce)
                        .get_result::<String>(c)
                        .optional()?;
                    seen.extend(found);
                }
                seen
            }
            // Planned for each batch (see `read_holders`).
            DbConnection::Postgres(pg) => {
                diesel::sql_query("SELECT nonce FROM scans WHERE nonce = ANY($1)")
                    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&nonces)
                    .load::<SeenNonce>(pg)?
                    .into_iter()
                    .map(|n| n.nonce)
                    .collect()
            }
        }
        .into_iter()
        .collect();
        for (i, item) in items.iter().enumerate() {
            if outcomes[i].is_none() && seen.contains(&item.scan.nonce) {
                outcomes[i] = replay(conn, &item.scan)?;
            }
        }
    }
    let mut holders = read_holders(conn, &outcomes, items)?;

    // Each scan decided in turn against its holder as the batch has left them.
    let mut first_of_nonce: HashMap<&str, usize> = HashMap::new();
    let mut decided: Vec<Decided> = Vec::new();
    let mut rows: Vec<(ScanRecord, &NewScan)> = Vec::new();
    let mut opened_conflicts: Vec<NewConflict> = Vec::new();
    let mut explained: Vec<Explained> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if outcomes[i].is_some() {
            continue;
        }
        let input = &item.scan;
        if let Some(&first) = first_of_nonce.get(input.nonce.as_str()) {
            // The same nonce twice in one batch: the second replays the first.
            if let Some(ScanOutcome::Recorded(record)) = &outcomes[first] {
                outcomes[i] = Some(ScanOutcome::Replayed {
                    record: record.clone(),
                    same_scan: items[first].scan.fingerprint == input.fingerprint,
                });
            }
            continue;
        }
        first_of_nonce.insert(input.nonce.as_str(), i);
        let holder = match &input.named_permit {
            Ok(permit_id) => holders.get_mut(permit_id),
            Err(_) => None,
        };
        // Only a scan of a stored permit can be judged (and overridden): it has a holder to move.
        let (permit, judged) = match (&input.named_permit, holder, &input.offline) {
            (Err(reason), _, None) => (None, Judged::denied(*reason)),
            (Ok(_), None, None) => (None, Judged::denied(DenyReason::UnknownPermit)),
            (Ok(_), Some(holder), None) => (Some(holder.permit.clone()), holder.judge(input)),
            (Err(reason), _, Some(offline)) => {
                (None, Judged::offline_without_holder(*reason, offline))
            }
            (Ok(_), None, Some(offline)) => (
                None,
                Judged::offline_without_holder(DenyReason::UnknownPermit, offline),
            ),
            (Ok(_), Some(holder), Some(offline)) => {
                let judged = holder.judge_offline(conn, input, offline)?;
                let mut permit = holder.permit.clone();
                // The log keeps the permit's status as it was when scanned.
                permit.status = holder
                    .permit
                    .status_at(input.scanned_at)
                    .as_str()
                    .to_owned();
                (Some(permit), judged)
            }
        };
        let Judged {
            decision,
            overridden,
            look_up_log,
            earlier: earlier_in_batch,
            conflict,
            explains,
        } = judged;
        let conflict = conflict.map(|(kind, other_scan_id)| {
            let opened = NewConflict {
                id: uuid::Uuid::now_v7().to_string(),
                kind,
                permit_id: permit.as_ref().map(|p| p.id.clone()),
                scan_id: input.id.clone(),
                other_scan_id,
                gate_id: input.gate_id.clone(),
                opened_at: input.recorded_at,
            };
            let reference = ConflictRef {
                id: opened.id.clone(),
                kind,
            };
            opened_conflicts.push(opened);
            reference
        });
        if let Some(next) = explains {
            explained.push(Explained {
                crossing: next,
                by_scan: input.id.clone(),
                direction: input.direction,
                gate_id: input.gate_id.clone(),
                scanned_at: input.scanned_at,
                at: input.recorded_at,
            });
        }
        let flags = row_flags(&decision, input, conflict.is_some());
        let record = ScanRecord {
            conflict,
            scan_id: input.id.clone(),
            nonce: input.nonce.clone(),
            gate_id: input.gate_id.clone(),
            direction: input.direction,
            scanned_at: input.scanned_at,
            recorded_at: input.recorded_at,
            decision,
            flags,
            overridden,
            permit,
        };
        decided.push(Decided {
            item: i,
            look_up_log,
            earlier_in_batch,
        });
        rows.push((record.clone(), input));
        outcomes[i] = Some(ScanOutcome::Recorded(record));
    }

    // The daily counts move in the same transaction as the log: what each scan adds is decided by
    // the permit's crossings logged before it, in the log and earlier in the batch.
    let asks: Vec<NearestAsk<'_>> = decided
        .iter()
        .filter(|d| d.look_up_log)
        .map(|d| {
            let scan = &items[d.item].scan;
            NearestAsk {
                permit_id: scan.named_permit.as_deref().unwrap_or_default(),
                at: Stamp::from(scan.scanned_at),
                gate_id: &scan.gate_id,
            }
        })
        .collect();
    let mut from_log = super::stats::nearest_crossings(conn, &asks)?.into_iter();
    for (d, (record, _)) in decided.into_iter().zip(&rows) {
        let mut earlier = d.earlier_in_batch;
        if d.look_up_log {
            earlier.extend(from_log.next().unwrap_or_default());
        }
        let scan = &items[d.item].scan;
        super::stats::note_scan(
            counts,
            ScanEvent {
                permit_id: record.permit.as_ref().map(|p| p.id.clone()),
                gate_id: scan.gate_id.clone(),
                nationality: record.permit.as_ref().map(|p| p.nationality.clone()),
                direction: scan.direction,
                admitted: matches!(record.decision, Decision::Admit(_)),
                scanned_at: scan.scanned_at,
            },
            earlier,
        );
    }
    insert_rows(conn, &rows)?;
    conflicts::open(conn, &opened_conflicts)?;
    conflicts::close_explained(conn, &explained)?;
    move_holders(conn, &holders)?;
    counts.note_bundle_changes(
        holders
            .iter()
            .filter(|(_, h)| h.moved.is_some())
            .map(|(id, _)| id.clone()),
    );
    outcomes
        .into_iter()
        .map(|o| {
            o.ok_or_else(|| {
                diesel::result::Error::DeserializationError(
                    "a scan of the batch was not decided".into(),
                )
            })
        })
        .collect()
}

/// Logs one scan alone ([`record_all`] of one), trying again when the insert fails on a nonce
/// another instance logged meanwhile: call it in a savepoint of its own (on PostgreSQL each
/// attempt runs in a fresh one).
pub fn record_one(
    conn: &mut DbConnection,
    counts: &mut PendingCounts,
    item: &ScanItem,
) -> QueryResult<ScanOutcome> {
    let one = &[item];
    if let DbConnection::Sqlite(_) = conn {
        // One writer: no other can take this nonce between the replay check and the insert.
        return record_all(conn, counts, one)?
            .pop()
            .ok_or(diesel::result::Error::NotFound);
    }
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut attempt_counts = PendingCounts::default();
        let result = conn.transaction(|c| record_all(c, &mut attempt_counts, one));
        match result {
            Ok(mut outcomes) => {
                counts.append(attempt_counts);
                return outcomes.pop().ok_or(diesel::result::Error::NotFound);
            }
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) if attempts < 3 => continue,
            Err(other) => return Err(other),
        }
    }
}

/// Locks the permits `items` name, with their presence, in permit order (PostgreSQL; SQLite's
/// single writer needs no row locks), as [`record_all`] does when it reads them.
pub fn lock_permits(conn: &mut DbConnection, items: &[&ScanItem]) -> QueryResult<()> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(());
    };
    let mut ids: Vec<&str> = items
        .iter()
        .filter_map(|item| item.scan.named_permit.as_deref().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "SELECT p.id FROM permits p JOIN presence r ON r.permit_id = p.id \
         WHERE p.id = ANY($1) ORDER BY p.id FOR NO KEY UPDATE",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&ids)
    .execute(pg)
    .map(drop)
}

/// The items not answered yet.
fn pending<'a>(
    outcomes: &'a [Option<ScanOutcome>],
    items: &'a [&'a ScanItem],
) -> impl Iterator<Item = (usize, &'a ScanItem)> + 'a {
    items
        .iter()
        .copied()
        .enumerate()
        .filter(|(i, _)| outcomes[*i].is_none())
}

/// The permits the pending scans name, with their presence: read in permit order and, on
/// PostgreSQL, locked until commit.
fn read_holders(
    conn: &mut DbConnection,
    outcomes: &[Option<ScanOutcome>],
    items: &[&ScanItem],
) -> QueryResult<HashMap<String, Holder>> {
    let mut ids: Vec<&str> = pending(outcomes, items)
        .filter_map(|(_, item)| item.scan.named_permit.as_deref().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    type Row = (
        ScannedPermit,
        bool,
        Option<String>,
        Option<String>,
        Option<Stamp>,
        bool,
    );
    let read: Vec<Row> = match conn {
        DbConnection::Sqlite(c) => {
            let mut read = Vec::with_capacity(ids.len());
            for id in &ids {
                let holder = permits::table
                    .inner_join(presence::table)
                    .filter(permits::id.eq(id))
                    .select((
                        ScannedPermit::as_select(),
                        presence::inside,
                        presence::side,
                        presence::gate_id,
                        presence::since,
                        diesel::dsl::exists(
                            conflicts_table::table
                                .filter(conflicts_table::permit_id.eq(permits::id.nullable()))
                                .filter(conflicts_table::status.eq("open")),
                        ),
                    ))
                    .get_result(c)
                    .optional()?;
                read.extend(holder);
            }
            read
        }
        // Not a prepared statement: a plan kept from when the tables were nearly empty reads
        // them whole once they are not (measured: a kept plan of the nonce check above scanned
        // the log, 8 ms a batch and growing); planned for each batch, with its own array, it
        // seeks the keys.
        DbConnection::Postgres(pg) => diesel::sql_query(
            "SELECT p.id, p.status, p.document_type, p.issuing_country, p.document_number, \
             p.document_expiry, p.nationality, p.surname, p.given_names, p.birth_date, p.sex, \
             p.valid_from, p.valid_until, p.revoked_at, r.inside, r.side, r.gate_id, r.since, \
             EXISTS (SELECT 1 FROM conflicts c WHERE c.permit_id = p.id AND c.status = 'open') \
             AS disputed \
             FROM permits p JOIN presence r ON r.permit_id = p.id \
             WHERE p.id = ANY($1) ORDER BY p.id FOR NO KEY UPDATE",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&ids)
        .load::<HolderRow>(pg)?
        .into_iter()
        .map(|h| (h.permit, h.inside, h.side, h.gate_id, h.since, h.disputed))
        .collect(),
    };
    Ok(read
        .into_iter()
        .map(|(permit, inside, side, gate_id, since, disputed)| {
            let presence = presence_of(inside, side.as_deref());
            // Only an admitted scan moves the holder, and every move sets `since`.
            let logged_latest = since.map(|at| Crossing {
                scan_id: None,
                direction: match presence {
                    Presence::Inside { .. } => Direction::Entry,
                    Presence::Outside => Direction::Exit,
                },
                side: match presence {
                    Presence::Inside { side } => Some(side),
                    Presence::Outside => None,
                },
                gate_id: gate_id.unwrap_or_default(),
                at: at.and_utc(),
            });
            let holder = Holder {
                presence,
                disputed,
                logged_latest,
                batch: Vec::new(),
                moved: None,
                permit,
            };
            (holder.permit.id.clone(), holder)
        })
        .collect())
}

/// A nonce found in the log (PostgreSQL).
#[derive(QueryableByName)]
struct SeenNonce {
    #[diesel(sql_type = diesel::sql_types::Text)]
    nonce: String,
}

/// A permit with its presence (PostgreSQL).
#[derive(QueryableByName)]
struct HolderRow {
    #[diesel(embed)]
    permit: ScannedPermit,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    inside: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    side: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    gate_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    since: Option<Stamp>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    disputed: bool,
}

/// Appends the batch's log rows, in one statement.
fn insert_rows(conn: &mut DbConnection, rows: &[(ScanRecord, &NewScan)]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let flags: Vec<String> = rows
        .iter()
        .map(|(record, _)| {
            record
                .flags
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let values: Vec<_> = rows
        .iter()
        .zip(&flags)
        .map(|((record, input), flags)| {
            let permit = record.permit.as_ref();
            (
                scans::id.eq(&input.id),
                scans::nonce.eq(&input.nonce),
                scans::fingerprint.eq(&input.fingerprint),
                scans::permit_id.eq(permit.map(|p| p.id.as_str())),
                scans::gate_id.eq(&input.gate_id),
                scans::side.eq(input.side.as_str()),
                scans::direction.eq(input.direction.as_str()),
                scans::decision.eq(record.decision.as_str()),
                scans::reason.eq(record.decision.reason().map(DenyReason::as_str)),
                scans::flags.eq(flags.as_str()),
                scans::nationality.eq(permit.map(|p| p.nationality.as_str())),
                scans::officer.eq(&input.officer),
                scans::permit_status.eq(permit.map(|p| p.status.as_str())),
                scans::scanned_at.eq(Stamp::from(input.scanned_at)),
                scans::recorded_at.eq(Stamp::from(input.recorded_at)),
                // The override's reason is kept only where it overrode something.
                scans::override_reason.eq(record.overridden.and(input.override_reason.as_deref())),
                scans::overridden_reason.eq(record.overridden.map(DenyReason::as_str)),
                scans::device_id.eq(input.device_id.as_deref()),
                scans::device_decision
                    .eq(input.offline.as_ref().map(|o| o.device_decision.as_str())),
                scans::device_reason.eq(input
                    .offline
                    .as_ref()
                    .and_then(|o| o.device_reason)
                    .map(DenyReason::as_str)),
                scans::bundle_version.eq(input.offline.as_ref().and_then(|o| o.bundle_version)),
            )
        })
        .collect();
    match conn {
        // One kept statement a row (see `record_all`).
        DbConnection::Sqlite(c) => {
            for value in values {
                diesel::insert_into(scans::table).values(value).execute(c)?;
            }
        }
        DbConnection::Postgres(pg) => {
            diesel::insert_into(scans::table)
                .values(values)
                .execute(pg)?;
        }
    }
    audit_overrides(conn, rows)
}

/// Appends a `scan.overridden` entry to the audit trail for each row an override admitted.
fn audit_overrides(conn: &mut DbConnection, rows: &[(ScanRecord, &NewScan)]) -> QueryResult<()> {
    for (record, input) in rows {
        let Some(overridden) = record.overridden else {
            continue;
        };
        let entry = Entry::new(
            &Actor::named(&input.officer, input.client),
            Action::ScanOverridden,
            &input.id,
            serde_json::json!({
                "permit_id": record.permit.as_ref().map(|p| p.id.as_str()),
                "gate_id": input.gate_id,
                "direction": input.direction.as_str(),
                "overridden_reason": overridden.as_str(),
                "reason": input.override_reason,
            }),
        );
        super::audit::append(conn, &entry, input.recorded_at)?;
    }
    Ok(())
}

/// Moves each holder the batch moved to where its last admitted scan left them.
fn move_holders(conn: &mut DbConnection, holders: &HashMap<String, Holder>) -> QueryResult<()> {
    let mut moved: Vec<(&str, &Move)> = holders
        .iter()
        .filter_map(|(id, h)| h.moved.as_ref().map(|m| (id.as_str(), m)))
        .collect();
    if moved.is_empty() {
        return Ok(());
    }
    moved.sort_unstable_by_key(|(id, _)| *id);
    match conn {
        DbConnection::Sqlite(c) => {
            for (permit_id, m) in moved {
                prepared::MovePresence {
                    permit_id,
                    inside: m.inside,
                    side: m.side.map(Side::as_str),
                    gate_id: m.gate_id.as_deref(),
                    since: m.since,
                }
                .execute(c)?;
            }
            Ok(())
        }
        DbConnection::Postgres(pg) => {
            use diesel::sql_types::{Array, Bool, Nullable, Text, Timestamp};
            diesel::sql_query(
                "UPDATE presence SET inside = m.inside, side = m.side, gate_id = m.gate_id, \
                 since = m.since \
                 FROM unnest($1::text[], $2::bool[], $3::text[], $4::text[], $5::timestamp[]) \
                 AS m(permit_id, inside, side, gate_id, since) \
                 WHERE presence.permit_id = m.permit_id",
            )
            .bind::<Array<Text>, _>(moved.iter().map(|(id, _)| *id).collect::<Vec<_>>())
            .bind::<Array<Bool>, _>(moved.iter().map(|(_, m)| m.inside).collect::<Vec<_>>())
            .bind::<Array<Nullable<Text>>, _>(
                moved
                    .iter()
                    .map(|(_, m)| m.side.map(Side::as_str))
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Nullable<Text>>, _>(
                moved
                    .iter()
                    .map(|(_, m)| m.gate_id.as_deref())
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Timestamp>, _>(moved.iter().map(|(_, m)| m.since.0).collect::<Vec<_>>())
            .execute(pg)
            .map(drop)
        }
    }
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
