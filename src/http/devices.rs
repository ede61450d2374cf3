//! Gate devices: registered, listed and revoked by administrators.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client::ClientAddress;
use super::extract::ApiJson;
use super::problem::{responses, ApiError};
use crate::app::devices::{self as device_use, NewDeviceInput};
use crate::app::Core;
use crate::db::devices::DeviceRow;
use crate::domain::staff::Admin;

/// A registered device (never its token).
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    /// Identifier.
    pub device_id: String,
    /// The gate it scans at.
    #[schema(example = "KZ-1")]
    pub gate_id: String,
    /// Its label.
    #[schema(example = "lane 3, left")]
    pub label: String,
    /// When registered.
    pub created_at: DateTime<Utc>,
    /// When its token was last used, if ever.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// True once revoked: its token no longer works.
    pub revoked: bool,
}

impl From<DeviceRow> for DeviceView {
    fn from(row: DeviceRow) -> Self {
        Self {
            device_id: row.id,
            gate_id: row.gate_id,
            label: row.label,
            created_at: row.created_at.and_utc(),
            last_seen_at: row.last_seen_at.map(|t| t.and_utc()),
            revoked: row.revoked_at.is_some(),
        }
    }
}

/// A device just registered, with its token: shown this once, stored only as a hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredDevice {
    /// Identifier.
    pub device_id: String,
    /// The gate it scans at.
    pub gate_id: String,
    /// Its label.
    pub label: String,
    /// The device's bearer token (43 characters); put it on the device now.
    pub device_token: String,
    /// When registered.
    pub created_at: DateTime<Utc>,
}

/// A device to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDeviceRequest {
    /// The gate it will scan at.
    pub gate_id: Option<String>,
    /// 1–100 characters, e.g. "lane 3, left".
    pub label: Option<String>,
}

/// Register a device for one gate; its token is in this answer only.
#[utoipa::path(post, path = "/api/v1/devices", tag = "devices", request_body = NewDeviceRequest,
    security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = RegisteredDevice),
              responses::NotLoggedIn, responses::NotAdmin, responses::BadBody))]
#[post("/api/v1/devices")]
pub async fn create_device(
    core: web::Data<Core>,
    admin: Admin,
    client: ClientAddress,
    body: ApiJson<NewDeviceRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = NewDeviceInput {
        gate_id: body.0.gate_id,
        label: body.0.label,
    };
    let registered = device_use::create(&core, &admin, client.0, input).await?;
    let device = registered.device;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Location", "/api/v1/devices"))
        .json(RegisteredDevice {
            device_id: device.id,
            gate_id: device.gate_id,
            label: device.label,
            device_token: registered.token,
            created_at: device.created_at.and_utc(),
        }))
}

/// Every registered device, revoked ones too.
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", security(("bearer" = [])),
    responses((status = 200, description = "The devices", body = [DeviceView]),
              responses::NotLoggedIn, responses::NotAdmin))]
#[get("/api/v1/devices")]
pub async fn list_devices(core: web::Data<Core>, admin: Admin) -> Result<HttpResponse, ApiError> {
    let rows = device_use::list(&core, &admin).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(DeviceView::from).collect::<Vec<_>>()))
}

/// Revoke a device: its token stops working at once.
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/revoke", tag = "devices",
    params(("device_id" = String, Path, description = "Device id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The device, now revoked", body = DeviceView),
              responses::NotLoggedIn, responses::NotAdmin, responses::NotFound))]
#[post("/api/v1/devices/{device_id}/revoke")]
pub async fn revoke_device(
    core: web::Data<Core>,
    admin: Admin,
    client: ClientAddress,
    device_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = device_use::revoke(&core, &admin, client.0, &device_id).await?;
    Ok(HttpResponse::Ok().json(DeviceView::from(row)))
}
