//! Gates of the zone.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::gates;
use super::DbConnection;
use crate::domain::crossing::Side;
use crate::domain::gate::{Gate, GateId};

/// A gate as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = gates)]
pub struct GateRow {
    /// Identifier, e.g. `CN-1`.
    pub id: String,
    /// `CHN` or `KAZ`.
    pub side: String,
    /// IANA time zone of the gate's clock.
    pub time_zone: String,
    /// Display name.
    pub name: String,
    /// When added.
    pub created_at: NaiveDateTime,
}

/// A stored gate that no longer reads as one (edited by hand).
#[derive(Debug, thiserror::Error)]
#[error("stored gate {id:?} has an invalid {what}")]
pub struct CorruptGate {
    id: String,
    what: &'static str,
}

impl GateRow {
    /// The row of a new gate, added at `now`.
    pub fn new(gate: &Gate, now: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            id: gate.id.to_string(),
            side: gate.side.as_str().into(),
            time_zone: gate.time_zone.name().into(),
            name: gate.name.clone(),
            created_at: now.naive_utc(),
        }
    }

    /// The gate this row stores.
    pub fn to_gate(&self) -> Result<Gate, CorruptGate> {
        let corrupt = |what| CorruptGate {
            id: self.id.clone(),
            what,
        };
        Ok(Gate {
            id: GateId::parse(&self.id).ok_or_else(|| corrupt("id"))?,
            side: Side::parse(&self.side).ok_or_else(|| corrupt("side"))?,
            time_zone: self.time_zone.parse().map_err(|_| corrupt("time zone"))?,
            name: self.name.clone(),
        })
    }
}

/// Every gate, by id.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<GateRow>> {
    gates::table
        .order(gates::id)
        .select(GateRow::as_select())
        .load(conn)
}

/// The gate `id`.
pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<GateRow>> {
    gates::table
        .find(id)
        .select(GateRow::as_select())
        .get_result(conn)
        .optional()
}

/// Adds a gate; false when the id is taken (told by the statement inserting nothing: a failed
/// statement would abort, on PostgreSQL, the transaction the write shares with others).
pub fn insert(conn: &mut DbConnection, row: &GateRow) -> QueryResult<bool> {
    let added = super::on_backend!(
        conn,
        diesel::insert_into(gates::table)
            .values(row)
            .on_conflict_do_nothing()
    )?;
    Ok(added == 1)
}
