//! Gates of the zone.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::gates;
use super::DbConnection;

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

/// Adds a gate; false when the id is taken.
pub fn insert(conn: &mut DbConnection, row: &GateRow) -> QueryResult<bool> {
    match diesel::insert_into(gates::table).values(row).execute(conn) {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e),
    }
}
