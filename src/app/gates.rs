//! The zone's gates: listing them, adding one, and finding the gate a request names.

use std::net::IpAddr;

use crate::db::audit;
use crate::db::gates::{self, GateRow};
use crate::domain::audit::{Action, Actor, Entry};
use crate::domain::gate::{Gate, GateLookup, NewGateInput};
use crate::domain::staff::Admin;

use super::{Conflict, Core, Error};

/// Every gate, by id.
pub async fn list(core: &Core) -> Result<Vec<GateRow>, Error> {
    Ok(core.store.read(|conn| Ok(gates::all(conn)?)).await?)
}

/// Adds a gate on one side.
pub async fn create(
    core: &Core,
    admin: &Admin,
    client: IpAddr,
    input: NewGateInput,
) -> Result<GateRow, Error> {
    let gate = Gate::parse_new(&input)?;
    let now = core.clock.now();
    let row = GateRow::new(&gate, now);
    let stored = row.clone();
    let entry = Entry::new(
        &Actor::staff(admin.staff(), client),
        Action::GateCreated,
        &row.id,
        serde_json::json!({ "side": row.side, "time_zone": row.time_zone, "name": row.name }),
    );
    let added = core
        .store
        .write(move |conn| {
            let added = gates::insert(conn, &stored)?;
            if added {
                audit::append(conn, &entry, now)?;
            }
            Ok(added)
        })
        .await?;
    if !added {
        return Err(Conflict::GateTaken.into());
    }
    Ok(row)
}

/// What `raw` names: no gate id (absent or blank), an unknown one, or a gate.
pub async fn lookup(core: &Core, raw: Option<&str>) -> Result<GateLookup, Error> {
    let Some(id) = raw.map(str::trim).filter(|id| !id.is_empty()) else {
        return Ok(GateLookup::NotGiven);
    };
    if let Some(gate) = core.gates.read().unwrap_or_else(|p| p.into_inner()).get(id) {
        return Ok(GateLookup::Found(gate.clone()));
    }
    let key = id.to_owned();
    let row = core
        .store
        .read(move |conn| Ok(gates::find(conn, &key)?))
        .await?;
    let Some(row) = row else {
        return Ok(GateLookup::Unknown);
    };
    let gate = row.to_gate().map_err(Error::internal)?;
    core.gates
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(gate.id.to_string(), gate.clone());
    Ok(GateLookup::Found(gate))
}
