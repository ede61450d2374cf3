//! Gate devices: registered by an administrator for one gate, listed, revoked.

use std::net::IpAddr;

use crate::crypto::access_code;
use crate::db::audit;
use crate::db::devices::{self, DeviceRow};
use crate::domain::audit::{Action, Actor, Entry};
use crate::domain::device::NewDevice;
use crate::domain::gate::GateId;
use crate::domain::staff::{Admin, Refusal, Staff};

use super::{gates, Core, Error, Unauthenticated};

/// How often `last_seen_at` is written for a device in use (a write per request would be a write
/// per bundle fetch).
pub const SEEN_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// A registered, unrevoked device whose token was sent.
#[derive(Debug, Clone)]
pub struct DeviceIdentity {
    /// The device.
    pub id: String,
    /// Its gate.
    pub gate: GateId,
}

/// Who asks for a gate's bundle or uploads its scans: one of its devices, or staff.
#[derive(Debug, Clone)]
pub enum GateCaller {
    /// A gate device.
    Device(DeviceIdentity),
    /// An enabled staff member.
    Staff(Staff),
}

impl GateCaller {
    /// Whether the caller may act at `gate`: a device and officers and supervisors at their own,
    /// administrators anywhere.
    pub fn require_gate(&self, gate: &GateId) -> Result<(), Refusal> {
        match self {
            Self::Device(device) if &device.gate == gate => Ok(()),
            Self::Device(_) => Err(Refusal::DeviceOtherGate),
            Self::Staff(staff) => staff.require_gate(gate),
        }
    }
}

/// Whether a bearer token has a device token's shape (43 base64url characters; a staff token is
/// a JWS, with dots).
pub fn looks_like_device_token(bearer: &str) -> bool {
    let token = bearer.trim();
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The device a bearer token belongs to: registered and not revoked, or 401 (a revoked device's
/// token stops working at once: the device is read for every request). Its `last_seen_at` moves
/// at most once a [`SEEN_EVERY`].
pub async fn authenticate(core: &Core, bearer: Option<&str>) -> Result<DeviceIdentity, Error> {
    let token = bearer.ok_or(Unauthenticated::NoToken)?;
    if !looks_like_device_token(token) {
        return Err(Unauthenticated::InvalidToken.into());
    }
    let hash = access_code::hash(token);
    let device = core
        .store
        .read(move |conn| Ok(devices::by_token_hash(conn, &hash)?))
        .await?
        .filter(|d| d.revoked_at.is_none())
        .ok_or(Unauthenticated::InvalidToken)?;
    let gate = GateId::parse(&device.gate_id)
        .ok_or_else(|| Error::internal(format!("device {} has no valid gate", device.id)))?;
    let now = core.clock.now().naive_utc();
    if device
        .last_seen_at
        .is_none_or(|seen| now - seen >= SEEN_EVERY)
    {
        let id = device.id.clone();
        core.store
            .write(move |conn| Ok(devices::touch(conn, &id, now)?))
            .await?;
    }
    Ok(DeviceIdentity {
        id: device.id,
        gate,
    })
}

/// Whether `bearer` is the token of a registered, unrevoked device (for a 403 rather than a 401
/// where a device token is sent for what only staff may do).
pub async fn is_device(core: &Core, bearer: &str) -> bool {
    if !looks_like_device_token(bearer) {
        return false;
    }
    let hash = access_code::hash(bearer);
    core.store
        .read(move |conn| Ok(devices::by_token_hash(conn, &hash)?))
        .await
        .is_ok_and(|d| d.is_some_and(|d| d.revoked_at.is_none()))
}

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
    admin: &Admin,
    client: IpAddr,
    input: NewDeviceInput,
) -> Result<Registered, Error> {
    let gate = gates::lookup(core, input.gate_id.as_deref()).await?;
    let new = NewDevice::parse(gate, input.label.as_deref())?;
    let (token, token_hash) = access_code::generate_device_token().map_err(Error::internal)?;
    let now = core.clock.now();
    let device = DeviceRow {
        id: uuid::Uuid::now_v7().to_string(),
        gate_id: new.gate.id.to_string(),
        label: new.label,
        token_hash,
        created_at: now.naive_utc(),
        last_seen_at: None,
        revoked_at: None,
    };
    let stored = device.clone();
    let entry = Entry::new(
        &Actor::staff(admin.staff(), client),
        Action::DeviceCreated,
        &device.id,
        serde_json::json!({ "gate_id": device.gate_id, "label": device.label }),
    );
    core.store
        .write(move |conn| {
            devices::insert(conn, &stored)?;
            Ok(audit::append(conn, &entry, now)?)
        })
        .await?;
    tracing::info!(device_id = %device.id, gate_id = %device.gate_id, "device registered");
    Ok(Registered { device, token })
}

/// Every device.
pub async fn list(core: &Core, _admin: &Admin) -> Result<Vec<DeviceRow>, Error> {
    Ok(core.store.read(|conn| Ok(devices::all(conn)?)).await?)
}

/// Every device, and the gates a new one may be registered for (the devices page).
pub async fn roster(
    core: &Core,
    admin: &Admin,
) -> Result<(Vec<DeviceRow>, Vec<crate::db::gates::GateRow>), Error> {
    Ok((list(core, admin).await?, gates::list(core).await?))
}

/// Revokes a device: its token stops working at once (revoking it again changes nothing).
pub async fn revoke(
    core: &Core,
    admin: &Admin,
    client: IpAddr,
    id: &str,
) -> Result<DeviceRow, Error> {
    let id = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| Error::NotFound)?
        .hyphenated()
        .to_string();
    let now = core.clock.now();
    let actor = Actor::staff(admin.staff(), client);
    let device = core
        .store
        .write(move |conn| {
            let device = devices::revoke(conn, &id, now.naive_utc())?;
            if let Some((device, true)) = &device {
                let detail =
                    serde_json::json!({ "gate_id": device.gate_id, "label": device.label });
                let entry = Entry::new(&actor, Action::DeviceRevoked, &device.id, detail);
                audit::append(conn, &entry, now)?;
            }
            Ok(device.map(|(device, _)| device))
        })
        .await?
        .ok_or(Error::NotFound)?;
    tracing::info!(device_id = %device.id, gate_id = %device.gate_id, "device revoked");
    Ok(device)
}
