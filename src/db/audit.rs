//! The audit trail in the database: appended in the transaction of each staff action, read back
//! newest first. No function here updates or deletes a row, and the database refuses to (triggers
//! of the migration `audit_trail`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::engine::stamp::Stamp;
use super::schema::audit_log;
use super::DbConnection;
use crate::domain::audit::{Entry, TrailFilter};

/// Appends `entry`, made at `at`.
pub fn append(conn: &mut DbConnection, entry: &Entry, at: DateTime<Utc>) -> QueryResult<()> {
    let detail = entry.detail.to_string();
    let client = entry.actor.client().map(|c| c.to_string());
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(uuid::Uuid::now_v7().to_string()),
            audit_log::at.eq(Stamp::from(at)),
            audit_log::actor.eq(entry.actor.name()),
            audit_log::action.eq(entry.action.as_str()),
            audit_log::target.eq(entry.target.as_deref()),
            audit_log::detail.eq(&detail),
            audit_log::client.eq(client.as_deref()),
        ))
        .execute(conn)
        .map(drop)
}

/// Appends every entry of `entries`, made at `at`.
pub fn append_all(
    conn: &mut DbConnection,
    entries: &[Entry],
    at: DateTime<Utc>,
) -> QueryResult<()> {
    entries.iter().try_for_each(|e| append(conn, e, at))
}

/// An entry as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    /// Id (UUIDv7).
    pub id: String,
    /// When.
    pub at: Stamp,
    /// Who: a username, or `cli`.
    pub actor: String,
    /// What (`user.created`, ...).
    pub action: String,
    /// To what.
    pub target: Option<String>,
    /// The particulars, a JSON object as text.
    pub detail: String,
    /// From which address.
    pub client: Option<String>,
}

/// One page of the entries `filter` selects, newest first, and how many it selects in all.
pub fn page(
    conn: &mut DbConnection,
    filter: &TrailFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<AuditRow>, i64)> {
    let query = || {
        let mut q = audit_log::table.into_boxed();
        if let Some(from) = filter.from {
            q = q.filter(audit_log::at.ge(Stamp::from(from)));
        }
        if let Some(before) = filter.before {
            q = q.filter(audit_log::at.lt(Stamp::from(before)));
        }
        if let Some(actor) = &filter.actor {
            q = q.filter(audit_log::actor.eq(actor.clone()));
        }
        if let Some(action) = filter.action {
            q = q.filter(audit_log::action.eq(action.as_str()));
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let rows = query()
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}
