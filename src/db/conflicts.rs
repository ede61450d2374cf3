//! Conflicts: contradictions between crossings that offline uploads brought into the log, open
//! until an administrator resolves them or a later upload explains them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::engine::stamp::Stamp;
use super::schema::conflicts;
use super::DbConnection;
use crate::domain::crossing::{DenyReason, Direction};

/// A conflict a batch of scans opens.
#[derive(Debug, Clone)]
pub struct NewConflict {
    /// New id (UUIDv7).
    pub id: String,
    /// The rule broken.
    pub kind: DenyReason,
    /// The permit, when the token named a stored one.
    pub permit_id: Option<String>,
    /// The scan that broke the rule (flagged `conflict`).
    pub scan_id: String,
    /// The crossing it contradicts, if any.
    pub other_scan_id: Option<String>,
    /// The gate of the scan.
    pub gate_id: String,
    /// When the service logged it.
    pub opened_at: DateTime<Utc>,
}

/// A crossing uploaded late that comes just before `crossing` and makes its presence rule hold.
#[derive(Debug, Clone)]
pub struct Explained {
    /// The scan whose conflicts it may explain.
    pub crossing: String,
    /// The late scan.
    pub by_scan: String,
    /// Its direction.
    pub direction: Direction,
    /// Its gate.
    pub gate_id: String,
    /// When the gate made it.
    pub scanned_at: DateTime<Utc>,
    /// When the service logged it.
    pub at: DateTime<Utc>,
}

impl Explained {
    fn note(&self) -> String {
        format!(
            "Closed by the service: the {} at {} scanned offline at {} and uploaded at {} (scan {}) \
             comes just before this crossing, which then breaks no rule.",
            self.direction.as_str(),
            self.gate_id,
            self.scanned_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.by_scan
        )
    }
}

/// The kinds a crossing uploaded before another can explain.
const PRESENCE_KINDS: [&str; 3] = ["already_inside", "not_inside", "wrong_side"];

/// Stores the conflicts a batch opened (after its scans: a conflict names them).
pub fn open(conn: &mut DbConnection, opened: &[NewConflict]) -> QueryResult<()> {
    for c in opened {
        diesel::insert_into(conflicts::table)
            .values((
                conflicts::id.eq(&c.id),
                conflicts::kind.eq(c.kind.as_str()),
                conflicts::permit_id.eq(c.permit_id.as_deref()),
                conflicts::scan_id.eq(&c.scan_id),
                conflicts::other_scan_id.eq(c.other_scan_id.as_deref()),
                conflicts::gate_id.eq(&c.gate_id),
                conflicts::opened_at.eq(Stamp::from(c.opened_at)),
                conflicts::status.eq("open"),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Closes, with a note saying why, the open conflicts about a presence rule of each crossing a
/// late upload explained (those opened in the same batch too, stored by [`open`] just before).
pub fn close_explained(conn: &mut DbConnection, explained: &[Explained]) -> QueryResult<usize> {
    let mut closed = 0;
    for e in explained {
        closed += diesel::update(
            conflicts::table
                .filter(conflicts::scan_id.eq(&e.crossing))
                .filter(conflicts::status.eq("open"))
                .filter(conflicts::kind.eq_any(PRESENCE_KINDS)),
        )
        .set((
            conflicts::status.eq("resolved"),
            conflicts::resolved_at.eq(Some(Stamp::from(e.at))),
            conflicts::explained_by.eq(Some(&e.by_scan)),
            conflicts::note.eq(Some(e.note())),
        ))
        .execute(conn)?;
    }
    Ok(closed)
}

/// A conflict as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = conflicts)]
pub struct ConflictRow {
    /// Id.
    pub id: String,
    /// The rule broken.
    pub kind: String,
    /// The permit.
    pub permit_id: Option<String>,
    /// The scan that broke the rule.
    pub scan_id: String,
    /// The crossing it contradicts.
    pub other_scan_id: Option<String>,
    /// The scan's gate.
    pub gate_id: String,
    /// When opened.
    pub opened_at: NaiveDateTime,
    /// `open` or `resolved`.
    pub status: String,
    /// When resolved or explained.
    pub resolved_at: Option<NaiveDateTime>,
    /// The administrator who resolved it (`None` when a later upload explained it).
    pub resolved_by: Option<String>,
    /// The scan whose late upload explained it.
    pub explained_by: Option<String>,
    /// Why it was closed.
    pub note: Option<String>,
}

/// Most conflicts one list answers.
pub const MAX_LISTED: i64 = 1000;

/// Conflicts of `status` (all when `None`), oldest first, at most [`MAX_LISTED`] of them.
pub fn list(conn: &mut DbConnection, status: Option<&str>) -> QueryResult<Vec<ConflictRow>> {
    let mut query = conflicts::table
        .select(ConflictRow::as_select())
        .order((conflicts::opened_at, conflicts::id))
        .limit(MAX_LISTED)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(conflicts::status.eq(status.to_owned()));
    }
    query.load(conn)
}

/// One conflict.
pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ConflictRow>> {
    conflicts::table
        .find(id)
        .select(ConflictRow::as_select())
        .get_result(conn)
        .optional()
}

/// What resolving a conflict did.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Resolved now.
    Resolved(ConflictRow),
    /// It was resolved before (by someone or by a later upload): unchanged.
    AlreadyResolved(ConflictRow),
    /// No such conflict.
    NotFound,
}

/// Resolves an open conflict with `note`, by `by` at `now`; one conditional update, so two
/// administrators resolving at once resolve it once.
pub fn resolve(
    conn: &mut DbConnection,
    id: &str,
    by: &str,
    note: &str,
    now: DateTime<Utc>,
) -> QueryResult<Resolution> {
    let changed = diesel::update(
        conflicts::table
            .find(id)
            .filter(conflicts::status.eq("open")),
    )
    .set((
        conflicts::status.eq("resolved"),
        conflicts::resolved_at.eq(Some(Stamp::from(now))),
        conflicts::resolved_by.eq(Some(by)),
        conflicts::note.eq(Some(note)),
    ))
    .execute(conn)?;
    Ok(match (changed, find(conn, id)?) {
        (_, None) => Resolution::NotFound,
        (1, Some(row)) => Resolution::Resolved(row),
        (_, Some(row)) => Resolution::AlreadyResolved(row),
    })
}
