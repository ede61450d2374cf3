//! Permits in the database: issuing (one per document for overlapping dates), reading back.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::engine::stamp::Stamp;
use super::schema::{documents, permits, presence};
use super::{DbConnection, WriteTx};
use crate::domain::permit::{Application, PermitId, PermitStatus};

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

/// Why a permit was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The document already holds a permit for overlapping dates.
    #[error("the document already holds a permit for overlapping dates")]
    Overlap,
    /// A statement failed.
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

/// Stores `permit` unless its document already holds one for overlapping dates.
///
/// The document's row is created if missing and then updated, which locks it until commit on
/// PostgreSQL (SQLite has a single writer): concurrent applications for one document run one after
/// the other, so the overlap check always sees the permit the other one inserted.
pub fn insert(tx: &mut WriteTx<'_>, permit: &PermitRow) -> Result<(), IssueError> {
    let (conn, counts) = tx.parts();
    conn.transaction(|c| {
        let now = permit.created_at;
        let remember = diesel::insert_into(documents::table)
            .values((
                documents::document_key.eq(&permit.document_key),
                documents::first_applied_at.eq(now),
                documents::last_applied_at.eq(now),
            ))
            .on_conflict(documents::document_key)
            .do_nothing();
        super::on_backend!(c, remember)?;
        diesel::update(documents::table.find(&permit.document_key))
            .set(documents::last_applied_at.eq(now))
            .execute(c)?;
        // Revoked permits block too: revoking must not open the way to a fresh permit.
        let overlapping: i64 = permits::table
            .filter(permits::document_key.eq(&permit.document_key))
            .filter(permits::visit_from.le(permit.visit_until))
            .filter(permits::visit_until.ge(permit.visit_from))
            .count()
            .get_result(c)?;
        if overlapping > 0 {
            return Err(IssueError::Overlap);
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
        Ok(())
    })?;
    super::stats::count_permit(counts, permit.created_at.and_utc());
    Ok(())
}

/// The permit with this id.
pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PermitRow>> {
    permits::table
        .find(id)
        .select(PermitRow::as_select())
        .get_result(conn)
        .optional()
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
