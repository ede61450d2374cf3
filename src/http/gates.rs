//! The zone's gates: listed for staff, added by administrators.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client::ClientAddress;
use super::extract::ApiJson;
use super::problem::{responses, ApiError, Problem};
use crate::app::gates as gate_use;
use crate::app::Core;
use crate::db::gates::GateRow;
use crate::domain::gate::NewGateInput;
use crate::domain::staff::{Admin, Staff};

/// A gate.
#[derive(Debug, Serialize, ToSchema)]
pub struct GateView {
    /// Identifier, e.g. `CN-1`.
    #[schema(example = "CN-1")]
    pub id: String,
    /// `CHN` or `KAZ`.
    #[schema(example = "CHN")]
    pub side: String,
    /// IANA time zone of the gate's clock.
    #[schema(example = "Asia/Shanghai")]
    pub time_zone: String,
    /// Display name.
    pub name: String,
    /// When added.
    pub created_at: DateTime<Utc>,
}

impl From<GateRow> for GateView {
    fn from(row: GateRow) -> Self {
        Self {
            id: row.id,
            side: row.side,
            time_zone: row.time_zone,
            name: row.name,
            created_at: row.created_at.and_utc(),
        }
    }
}

/// A new gate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGate {
    /// 2–16 characters: upper-case letters, digits, `-`, e.g. `KZ-2`.
    pub id: Option<String>,
    /// `CHN` or `KAZ`.
    pub side: Option<String>,
    /// IANA time zone; defaults to the side's (`Asia/Shanghai`, `Asia/Almaty`).
    pub time_zone: Option<String>,
    /// Display name.
    pub name: Option<String>,
}

impl From<NewGate> for NewGateInput {
    fn from(gate: NewGate) -> Self {
        Self {
            id: gate.id,
            side: gate.side,
            time_zone: gate.time_zone,
            name: gate.name,
        }
    }
}

/// Every gate.
#[utoipa::path(get, path = "/api/v1/gates", tag = "staff", security(("bearer" = [])),
    responses((status = 200, description = "The gates", body = [GateView]), responses::NotLoggedIn))]
#[get("/api/v1/gates")]
pub async fn list_gates(core: web::Data<Core>, _staff: Staff) -> Result<HttpResponse, ApiError> {
    let rows = gate_use::list(&core).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(GateView::from).collect::<Vec<_>>()))
}

/// Add a gate on one side.
#[utoipa::path(post, path = "/api/v1/gates", tag = "staff", request_body = NewGate, security(("bearer" = [])),
    responses((status = 201, description = "Added", body = GateView),
              responses::NotLoggedIn,
              responses::NotAdmin,
              (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
              responses::BadBody))]
#[post("/api/v1/gates")]
pub async fn create_gate(
    core: web::Data<Core>,
    admin: Admin,
    client: ClientAddress,
    body: ApiJson<NewGate>,
) -> Result<HttpResponse, ApiError> {
    let row = gate_use::create(&core, &admin, client.0, body.0.into()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", "/api/v1/gates"))
        .json(GateView::from(row)))
}
