//! Gate devices: registered by an administrator for one gate, listed, revoked.

use crate::crypto::access_code;
use crate::db::devices::{self, DeviceRow};
use crate::domain::device::NewDevice;
use crate::domain::staff::Admin;

use super::{gates, Core, Error};

/// What an administrator types to register a device.
#[derive(Debug, Clone, Default)]
pub struct NewDeviceInput {
    /// The device's gate.
    pub gate_id: Option<String>,
    /// Its label.
    pub label: Option<String>,
}

/// A device just registered, with its token (shown this once, stored only as a hash).
#[derive(Debug, Clone)]
pub struct Registered {
    /// The stored device.
    pub device: DeviceRow,
    /// The device token.
    pub token: String,
}

/// Registers a device for one gate.
pub async fn create(
    core: &Core,
    _admin: &Admin,
    input: NewDeviceInput,
) -> Result<Registered, Error> {
    let gate = gates::lookup(core, input.gate_id.as_deref()).await?;
    let new = NewDevice::parse(gate, input.label.as_deref())?;
    let (token, token_hash) = access_code::generate_device_token().map_err(Error::internal)?;
    let device = DeviceRow {
        id: uuid::Uuid::now_v7().to_string(),
        gate_id: new.gate.id.to_string(),
        label: new.label,
        token_hash,
        created_at: core.clock.now().naive_utc(),
        last_seen_at: None,
        revoked_at: None,
    };
    let stored = device.clone();
    core.store
        .write(move |conn| Ok(devices::insert(conn, &stored)?))
        .await?;
    tracing::info!(device_id = %device.id, gate_id = %device.gate_id, "device registered");
    Ok(Registered { device, token })
}

/// Every device.
pub async fn list(core: &Core, _admin: &Admin) -> Result<Vec<DeviceRow>, Error> {
    Ok(core.store.read(|conn| Ok(devices::all(conn)?)).await?)
}

/// Revokes a device: its token stops working at once (revoking it again changes nothing).
pub async fn revoke(core: &Core, _admin: &Admin, id: &str) -> Result<DeviceRow, Error> {
    let id = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| Error::NotFound)?
        .hyphenated()
        .to_string();
    let now = core.clock.now().naive_utc();
    let device = core
        .store
        .write(move |conn| Ok(devices::revoke(conn, &id, now)?))
        .await?
        .ok_or(Error::NotFound)?;
    tracing::info!(device_id = %device.id, gate_id = %device.gate_id, "device revoked");
    Ok(device)
}
