//! What a gate bundle lists, read from the presence rows and the permits, and its version.
//!
//! The version is one counter, moved once by each committed batch of writes that changes a
//! presence or a revocation (or the keys), as the last statement before the commit; the presence
//! rows that batch changed are stamped with the new version. So on PostgreSQL the counter's row is
//! locked only from there to the commit, and versions follow the commit order: a bundle read at
//! version `v` holds every change stamped `v` or less, and `?since=v` finds the rest with one
//! index range (`presence_version`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::engine::prepared;
use super::engine::stamp::Stamp;
use super::schema::{bundle_version, permits, presence};
use super::DbConnection;

/// Moves the version by one and stamps the presence rows of `changed` with it (a revocation
/// stamps its permit's presence row too); the new version.
pub fn stamp(conn: &mut DbConnection, changed: &[String]) -> QueryResult<i64> {
    let mut ids: Vec<&str> = changed.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    // Kept prepared statements: diesel prepares an `UPDATE` of its own again at every run.
    let next = prepared::NextBundleVersion {
        id: 1,
        unused: std::marker::PhantomData,
    };
    let version: i64 = super::on_backend!(conn, |c| next.get_result(c))?;
    match conn {
        DbConnection::Sqlite(c) => {
            for permit_id in ids {
                prepared::StampPresence { permit_id, version }.execute(c)?;
            }
        }
        DbConnection::Postgres(pg) => {
            if !ids.is_empty() {
                diesel::update(presence::table.filter(presence::permit_id.eq_any(&ids)))
                    .set(presence::version.eq(version))
                    .execute(pg)?;
            }
        }
    }
    Ok(version)
}

/// The version now.
pub fn version(conn: &mut DbConnection) -> QueryResult<i64> {
    bundle_version::table
        .find(1)
        .select(bundle_version::version)
        .get_result(conn)
}

/// A holder inside the zone.
#[derive(Debug, Clone, Queryable)]
pub struct InsideRow {
    /// The permit.
    pub permit_id: String,
    /// The side they entered by.
    pub side: Option<String>,
    /// Since when.
    pub since: Option<Stamp>,
}

/// Everyone inside now.
pub fn inside(conn: &mut DbConnection) -> QueryResult<Vec<InsideRow>> {
    // Literals, not bound values, so SQLite sees that the partial indexes apply.
    presence::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "presence.inside",
        ))
        .select((presence::permit_id, presence::side, presence::since))
        .load(conn)
}

/// Every revoked permit not yet expired at `now`: `(permit, revoked_at)`.
pub fn revoked(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<(String, Option<Stamp>)>> {
    permits::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "permits.status = 'revoked'",
        ))
        .filter(permits::valid_until.gt(now))
        .select((permits::id, permits::revoked_at.nullable()))
        .load::<(String, Option<NaiveDateTime>)>(conn)
        .map(|rows| {
            rows.into_iter()
                .map(|(id, at)| (id, at.map(Stamp::from)))
                .collect()
        })
}

/// A permit whose bundle entry changed after a version.
#[derive(Debug, Clone, Queryable)]
pub struct ChangedRow {
    /// The permit.
    pub permit_id: String,
    /// Inside now.
    pub inside: bool,
    /// The side entered by, when inside.
    pub side: Option<String>,
    /// Since when inside (or outside).
    pub since: Option<Stamp>,
    /// `active` or `revoked`.
    pub status: String,
    /// When revoked.
    pub revoked_at: Option<NaiveDateTime>,
    /// End of validity.
    pub valid_until: NaiveDateTime,
}

/// The permits whose entry changed after `version`, at most `limit` of them (one more tells the
/// caller there are too many).
pub fn changed_since(
    conn: &mut DbConnection,
    version: i64,
    limit: i64,
) -> QueryResult<Vec<ChangedRow>> {
    presence::table
        .inner_join(permits::table)
        .filter(presence::version.gt(version))
        .order(presence::version)
        .limit(limit)
        .select((
            presence::permit_id,
            presence::inside,
            presence::side,
            presence::since,
            permits::status,
            permits::revoked_at,
            permits::valid_until,
        ))
        .load(conn)
}
