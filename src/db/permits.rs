//! Permits in the database: issuing (one per document for overlapping dates), reading back.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::engine::stamp::Stamp;
use super::schema::{apply_throttle, documents, permits, presence};
use super::{DbConnection, WriteTx};
use crate::domain::permit::{Application, PermitId, PermitSearch, PermitStatus};

/// A permit as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = permits)]
pub struct PermitRow {
    /// Permit id (UUIDv7 text).
    pub id: String,
    /// `active` or `revoked`.
    pub status: String,
    /// `type:issuing_country:number`: one document, whatever its holder typed around it.
    pub document_key: String,
    /// `passport` or `id_card`.
    pub document_type: String,
    /// Issuing state.
    pub issuing_country: String,
    /// Full document number.
    pub document_number: String,
    /// Document expiry (none for long-term Chinese cards).
    pub document_expiry: Option<NaiveDate>,
    /// Personal number (IIN on Kazakh documents).
    pub personal_number: Option<String>,
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
    /// First visit day (zone calendar).
    pub visit_from: NaiveDate,
    /// Last visit day (zone calendar).
    pub visit_until: NaiveDate,
    /// Start of validity (UTC).
    pub valid_from: Stamp,
    /// End of validity (UTC).
    pub valid_until: Stamp,
    /// Key that signed the token.
    pub kid: String,
    /// The signed token.
    pub token: String,
    /// SHA-256 of the access code.
    pub access_code_hash: String,
    /// When issued (UTC).
    pub created_at: Stamp,
    /// When revoked.
    pub revoked_at: Option<Stamp>,
    /// Why revoked.
    pub revoked_reason: Option<String>,
}

impl PermitRow {
    /// The row of a new, active permit for `application`, issued at `now`, valid by the calendar
    /// of `tz`; its token and key id are filled in when it is signed.
    pub fn new(
        application: &Application,
        tz: chrono_tz::Tz,
        access_code_hash: String,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let d = &application.document;
        let (valid_from, valid_until) = application.visit.validity(tz);
        Self {
            id: PermitId::new().to_string(),
            status: PermitStatus::Active.as_str().into(),
            document_key: d.key(),
            document_type: d.kind().api_type().into(),
            issuing_country: d.issuing_country().to_string(),
            document_number: d.number().into(),
            document_expiry: d.expiry_date(),
            personal_number: d.personal_number().map(String::from),
            nationality: d.nationality().to_string(),
            surname: d.surname().into(),
            given_names: d.given_names().into(),
            birth_date: d.birth_date(),
            sex: d.sex().as_str().into(),
            visit_from: application.visit.from(),
            visit_until: application.visit.until(),
            valid_from: valid_from.into(),
            valid_until: valid_until.into(),
            kid: String::new(),
            token: String::new(),
            access_code_hash,
            created_at: now.into(),
            revoked_at: None,
            revoked_reason: None,
        }
    }
}

/// The limits an application must stay within, checked in the transaction that issues it.
#[derive(Debug, Clone, Default)]
pub struct IssueLimits {
    /// The client address and the applications it may have accepted per minute.
    pub per_client: Option<(String, u32)>,
    /// Permits one document may be issued per day.
    pub per_document: Option<u32>,
}

/// The window of the per-client limit.
const CLIENT_WINDOW_SECS: i64 = 60;
/// The window of the per-document limit.
const DOCUMENT_WINDOW_SECS: i64 = 24 * 3600;

/// Why a permit was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The document already holds an active permit for overlapping dates.
    #[error("the document already holds a permit for overlapping dates")]
    Overlap,
    /// The client or the document is at its limit until `until`.
    #[error("too many applications")]
    Limited {
        /// When a retry may succeed.
        until: chrono::NaiveDateTime,
    },
    /// A statement failed.
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

/// Stores `permit` unless its document already holds an active one for overlapping dates, or the
/// client or the document is at its limit.
///
/// The document's row is upserted first, which locks it until commit on PostgreSQL (SQLite has a
/// single writer) and returns its window: concurrent applications for one document run one after
/// the other, so the overlap check always sees the permit the other one inserted, and the
/// document's count is exact. The client's row is locked the same way.
///
/// No savepoint: a refusal leaves only what is true of a refused application too (the document's
/// `last_applied_at`, the client's row normalised to its current minute), and counts nothing, since
/// the counts are written only after every check passed. A failed statement is returned as
/// [`IssueError::Db`], for the caller to fail the write whole (the group commit then runs it again
/// alone, in a savepoint).
pub fn insert(
    tx: &mut WriteTx<'_>,
    permit: &PermitRow,
    limits: &IssueLimits,
) -> Result<(), IssueError> {
    let (c, counts) = tx.parts();
    let now = *permit.created_at;
    let remember = diesel::insert_into(documents::table)
        .values((
            documents::document_key.eq(&permit.document_key),
            documents::first_applied_at.eq(now),
            documents::last_applied_at.eq(now),
        ))
        .on_conflict(documents::document_key)
        .do_update()
        .set(documents::last_applied_at.eq(now))
        .returning((documents::window_started_at, documents::issued_in_window));
    let (window_started, issued_in_window): (Option<NaiveDateTime>, i32) =
        super::on_backend!(c, |c| remember.get_result(c))?;
    // A revoked permit frees its dates: revoking a squatter's permit lets the holder apply.
    let overlapping: i64 = permits::table
        .filter(permits::document_key.eq(&permit.document_key))
        .filter(permits::status.eq(PermitStatus::Active.as_str()))
        .filter(permits::visit_from.le(permit.visit_until))
        .filter(permits::visit_until.ge(permit.visit_from))
        .count()
        .get_result(c)?;
    if overlapping > 0 {
        return Err(IssueError::Overlap);
    }
    let document_window = match limits.per_document {
        Some(limit) => Some(document_place(
            window_started,
            issued_in_window,
            limit,
            now,
        )?),
        None => None,
    };
    if let Some((client, limit)) = &limits.per_client {
        take_client_place(c, client, *limit, now)?;
    }
    if let Some((started, issued)) = document_window {
        diesel::update(documents::table.find(&permit.document_key))
            .set((
                documents::window_started_at.eq(Some(started)),
                documents::issued_in_window.eq(issued),
            ))
            .execute(c)?;
    }
    diesel::insert_into(permits::table)
        .values(permit)
        .execute(c)?;
    diesel::insert_into(presence::table)
        .values((
            presence::permit_id.eq(&permit.id),
            presence::inside.eq(false),
            presence::version.eq(0_i64),
        ))
        .execute(c)?;
    super::stats::count_permit(counts, permit.created_at.and_utc());
    Ok(())
}

/// The document's window once this permit is counted in it `(started, issued)`, or the refusal at
/// `limit` (the row is locked: this is exact).
fn document_place(
    started: Option<NaiveDateTime>,
    issued: i32,
    limit: u32,
    now: NaiveDateTime,
) -> Result<(NaiveDateTime, i32), IssueError> {
    let window = chrono::Duration::seconds(DOCUMENT_WINDOW_SECS);
    match started {
        Some(started) if started > now - window => {
            if issued >= limit as i32 {
                Err(IssueError::Limited {
                    until: started + window,
                })
            } else {
                Ok((started, issued + 1))
            }
        }
        _ => Ok((now, 1)),
    }
}

/// Counts one more application of `client` in its minute, or refuses it at `limit`.
fn take_client_place(
    c: &mut DbConnection,
    client: &str,
    limit: u32,
    now: chrono::NaiveDateTime,
) -> Result<(), IssueError> {
    let window = chrono::Duration::seconds(CLIENT_WINDOW_SECS);
    let fresh = diesel::insert_into(apply_throttle::table)
        .values((
            apply_throttle::client.eq(client),
            apply_throttle::window_started_at.eq(now),
            apply_throttle::applications.eq(0),
        ))
        .on_conflict(apply_throttle::client)
        .do_nothing();
    super::on_backend!(c, fresh)?;
    diesel::update(apply_throttle::table.find(client))
        .filter(apply_throttle::window_started_at.le(now - window))
        .set((
            apply_throttle::window_started_at.eq(now),
            apply_throttle::applications.eq(0),
        ))
        .execute(c)?;
    let taken = diesel::update(apply_throttle::table.find(client))
        .filter(apply_throttle::applications.lt(limit as i32))
        .set(apply_throttle::applications.eq(apply_throttle::applications + 1))
        .execute(c)?;
    if taken == 0 {
        let started: chrono::NaiveDateTime = apply_throttle::table
            .find(client)
            .select(apply_throttle::window_started_at)
            .get_result(c)?;
        return Err(IssueError::Limited {
            until: started + window,
        });
    }
    Ok(())
}

/// Forgets the per-client counts whose minute ended before `now`.
pub fn prune_client_counts(
    conn: &mut DbConnection,
    now: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(apply_throttle::table.filter(
        apply_throttle::window_started_at.le(now - chrono::Duration::seconds(CLIENT_WINDOW_SECS)),
    ))
    .execute(conn)
}

/// The permit with this id.
pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PermitRow>> {
    permits::table
        .find(id)
        .select(PermitRow::as_select())
        .get_result(conn)
        .optional()
}

/// One page of the permits `search` finds, newest first, and how many it finds in all.
pub fn search(
    conn: &mut DbConnection,
    search: &PermitSearch,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<PermitRow>, i64)> {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    let query = || {
        let mut q = permits::table.into_boxed();
        if let Some(id) = &search.permit_id {
            q = q.filter(permits::id.eq(id.clone()));
        }
        if let Some(key) = &search.document_key {
            q = q.filter(permits::document_key.eq(key.clone()));
        }
        if let Some(prefix) = &search.surname_prefix {
            q = if sqlite {
                // SQLite compares text by its bytes: the names that begin with `prefix` lie in
                // one range of the index (its LIKE ignores case and would not use it).
                q.filter(permits::surname.ge(prefix.clone()))
                    .filter(permits::surname.lt(format!("{prefix}\u{10FFFF}")))
            } else {
                let escaped = prefix
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                q.filter(permits::surname.like(format!("{escaped}%")))
            };
        }
        if let Some(birth_date) = search.birth_date {
            q = q.filter(permits::birth_date.eq(birth_date));
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let rows = query()
        .order((permits::created_at.desc(), permits::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(PermitRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// What revoking did.
#[derive(Debug)]
pub enum Revocation {
    /// Revoked now; the permit afterwards.
    Revoked(PermitRow),
    /// It was revoked before; the permit as it is.
    AlreadyRevoked(PermitRow),
    /// No such permit.
    Unknown,
}

/// Revokes an active permit (a conditional update: concurrent revocations record one reason).
pub fn revoke(
    conn: &mut DbConnection,
    id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<Revocation> {
    conn.transaction(|c| {
        let changed = diesel::update(permits::table.find(id).filter(permits::status.eq("active")))
            .set((
                permits::status.eq("revoked"),
                permits::revoked_at.eq(Some(now)),
                permits::revoked_reason.eq(Some(reason)),
            ))
            .execute(c)?;
        Ok(match (changed, find(c, id)?) {
            (1, Some(row)) => Revocation::Revoked(row),
            (_, Some(row)) => Revocation::AlreadyRevoked(row),
            (_, None) => Revocation::Unknown,
        })
    })
}
