//! Gate devices: registered for one gate, known by the hash of their token, revocable.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::devices;
use super::DbConnection;

/// A device as stored (its token only as a hash).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = devices)]
pub struct DeviceRow {
    /// Identifier (UUIDv7).
    pub id: String,
    /// The device's gate.
    pub gate_id: String,
    /// What the administrator calls it, e.g. "lane 3, left".
    pub label: String,
    /// SHA-256 of the device token (base64url).
    pub token_hash: String,
    /// When registered.
    pub created_at: NaiveDateTime,
    /// When its token was last used.
    pub last_seen_at: Option<NaiveDateTime>,
    /// When revoked; its token works no more.
    pub revoked_at: Option<NaiveDateTime>,
}

/// Stores a new device.
pub fn insert(conn: &mut DbConnection, device: &DeviceRow) -> QueryResult<()> {
    diesel::insert_into(devices::table)
        .values(device)
        .execute(conn)
        .map(drop)
}

/// Every device, oldest first.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<DeviceRow>> {
    devices::table
        .order((devices::created_at, devices::id))
        .select(DeviceRow::as_select())
        .load(conn)
}

/// Revokes device `id` at `now` (a device revoked before keeps its first revocation); the device
/// afterwards, or `None` when there is no such device.
pub fn revoke(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(DeviceRow, bool)>> {
    let changed = diesel::update(devices::table.find(id))
        .filter(devices::revoked_at.is_null())
        .set(devices::revoked_at.eq(Some(now)))
        .execute(conn)?;
    Ok(devices::table
        .find(id)
        .select(DeviceRow::as_select())
        .get_result(conn)
        .optional()?
        .map(|device| (device, changed == 1)))
}

/// The device whose token hashes to `token_hash`, revoked or not.
pub fn by_token_hash(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<DeviceRow>> {
    devices::table
        .filter(devices::token_hash.eq(token_hash))
        .select(DeviceRow::as_select())
        .get_result(conn)
        .optional()
}

/// Notes that device `id` was seen at `now` (a revoked device is left as it is).
pub fn touch(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(devices::table.find(id))
        .filter(devices::revoked_at.is_null())
        .set(devices::last_seen_at.eq(Some(now)))
        .execute(conn)
        .map(drop)
}
