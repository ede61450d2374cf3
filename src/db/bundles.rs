//! What a gate bundle lists, read from the presence rows and the permits, and its version.
//!
//! The version grows whenever keys, revocations or presence change, and `?since=v` finds what
//! changed after version `v` with one index range (`presence_version`): each write that changes
//! a presence or a revocation stamps the permit's presence row, and a bundle read at version `v`
//! holds every change stamped `v` or less.
//!
//! - SQLite (one writer): `v` is a counter, moved once by each committed batch that changes
//!   something, as the last statement before its commit; the rows it changed get the new value.
//! - PostgreSQL: a counter every batch moves would make the writers' commits wait for each other
//!   (measured: scans 20% slower). Instead a row is stamped with the id of the transaction that
//!   changed it (`pg_current_xact_id()`), and `v` is the newest transaction id before which every
//!   transaction has ended (`pg_snapshot_xmin(pg_current_snapshot()) - 1`): every change stamped
//!   `v` or less is committed (or undone) and so in the bundle; a transaction still running has a
//!   larger id, and its changes are in the next delta. It grows as transactions end, so it can
//!   also grow when nothing in the bundle changed (a delta is then empty), and it holds still
//!   while one write transaction stays open.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::engine::prepared;
use super::engine::stamp::Stamp;
use super::schema::{bundle_version, permits, presence};
use super::DbConnection;

/// Stamps the presence rows of `changed` (moved holders, revoked permits) with the version this
/// write's transaction commits; on SQLite the counter moves by one, also with nothing to stamp (a
/// key changed).
pub fn stamp(conn: &mut DbConnection, changed: &[String]) -> QueryResult<()> {
    let mut ids: Vec<&str> = changed.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    match conn {
        DbConnection::Sqlite(c) => {
            // Kept prepared statements: diesel prepares an `UPDATE` of its own again at every run.
            let next = prepared::NextBundleVersion {
                id: 1,
                unused: std::marker::PhantomData,
            };
            let version: i64 = next.get_result(c)?;
            for permit_id in ids {
                prepared::StampPresence { permit_id, version }.execute(c)?;
            }
        }
        DbConnection::Postgres(pg) => {
            if !ids.is_empty() {
                diesel::sql_query(
                    "UPDATE presence SET version = pg_current_xact_id()::text::bigint \
                     WHERE permit_id = ANY($1)",
                )
                .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&ids)
                .execute(pg)?;
            }
        }
    }
    Ok(())
}

/// The version now (see the module's documentation).
pub fn version(conn: &mut DbConnection) -> QueryResult<i64> {
    match conn {
        DbConnection::Sqlite(c) => bundle_version::table
            .find(1)
            .select(bundle_version::version)
            .get_result(c),
        DbConnection::Postgres(pg) => diesel::sql_query(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1 AS version",
        )
        .get_result::<PgVersion>(pg)
        .map(|v| v.version),
    }
}

#[derive(QueryableByName)]
struct PgVersion {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    version: i64,
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
