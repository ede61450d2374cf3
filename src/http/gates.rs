//! The zone's gates: listed for staff, added by administrators.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Staff;
use super::extract::ApiJson;
use super::problem::{ApiError, FieldError, Problem};
use super::AppState;
use crate::db::gates::{self, GateRow};
use crate::domain::crossing::Side;

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

/// Every gate.
#[utoipa::path(get, path = "/api/v1/gates", tag = "staff", security(("bearer" = [])),
    responses((status = 200, description = "The gates", body = [GateView]),
              (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/gates")]
pub async fn list_gates(
    state: web::Data<AppState>,
    _staff: Staff,
) -> Result<HttpResponse, ApiError> {
    let rows = state.store.read(|conn| Ok(gates::all(conn)?)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(GateView::from).collect::<Vec<_>>()))
}

/// Add a gate on one side.
#[utoipa::path(post, path = "/api/v1/gates", tag = "staff", request_body = NewGate, security(("bearer" = [])),
    responses((status = 201, description = "Added", body = GateView),
              (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Every problem with the fields", body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/gates")]
pub async fn create_gate(
    state: web::Data<AppState>,
    staff: Staff,
    body: ApiJson<NewGate>,
) -> Result<HttpResponse, ApiError> {
    staff.require_admin()?;
    let gate = body.0;
    let mut errors = Vec::new();
    let id = gate
        .id
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if !(2..=16).contains(&id.len())
        || !id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        errors.push(FieldError::new(
            "id",
            if gate.id.is_none() {
                "required"
            } else {
                "invalid_value"
            },
            "2 to 16 characters: A-Z, 0-9, '-'",
        ));
    }
    let side = gate.side.as_deref().and_then(Side::parse);
    if side.is_none() {
        errors.push(FieldError::new(
            "side",
            if gate.side.is_none() {
                "required"
            } else {
                "invalid_value"
            },
            "side is CHN or KAZ",
        ));
    }
    let time_zone = match (gate.time_zone.as_deref(), side) {
        (Some(tz), _) => match tz.trim().parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                errors.push(FieldError::new(
                    "time_zone",
                    "invalid_value",
                    "not an IANA time zone",
                ));
                None
            }
        },
        (None, Some(side)) => Some(side.default_time_zone()),
        (None, None) => None,
    };
    let name = gate
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&id)
        .to_owned();
    if name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "invalid_length",
            "at most 100 characters",
        ));
    }
    let (Some(side), Some(time_zone)) = (side, time_zone) else {
        return Err(ApiError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let row = GateRow {
        id,
        side: side.as_str().into(),
        time_zone: time_zone.name().into(),
        name,
        created_at: state.clock.now().naive_utc(),
    };
    let stored = row.clone();
    let added = state
        .store
        .write(move |conn| Ok(gates::insert(conn, &stored)?))
        .await?;
    if !added {
        return Err(ApiError::Conflict("A gate with this id exists.".into()));
    }
    Ok(HttpResponse::Created()
        .insert_header(("Location", "/api/v1/gates"))
        .json(GateView::from(row)))
}
