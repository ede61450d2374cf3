//! Gate bundles: what a gate device downloads to keep deciding while its network is down.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::crypto::gate_bundle::{self, GateBundle, InsideEntry, RevokedEntry};
use crate::db::keys::{self, KeyUse};
use crate::db::{bundles, Stamp};
use crate::domain::gate::GateLookup;

use super::devices::GateCaller;
use super::{gates, Core, Error};

/// Most permits a delta lists; a device further behind gets the whole bundle.
pub const MAX_DELTA: usize = 20_000;

/// A signed bundle, as served.
#[derive(Debug, Clone)]
pub struct SignedBundle {
    /// The compact JWS.
    pub jws: String,
    /// Its version.
    pub version: i64,
    /// True when it lists only what changed after the version asked for.
    pub delta: bool,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn stamp_text(at: Option<Stamp>) -> Option<String> {
    at.map(|s| rfc3339(s.and_utc()))
}

/// The bundle of gate `gate_id` for `caller` (a device or staff of that gate, or an
/// administrator): whole, or with `since` a version it has, only what changed after it (whole
/// when it is further behind than [`MAX_DELTA`] permits, or names a version not yet reached).
pub async fn bundle(
    core: &Core,
    caller: &GateCaller,
    gate_id: &str,
    since: Option<i64>,
) -> Result<SignedBundle, Error> {
    let GateLookup::Found(gate) = gates::lookup(core, Some(gate_id)).await? else {
        return Err(Error::NotFound);
    };
    caller.require_gate(&gate.id)?;
    let now = core.clock.now();
    let (fresh, valid) = (core.config.bundle_fresh, core.config.bundle_valid);
    let ring = core.keys.clone();
    let gate_id = gate.id.to_string();
    core.store
        .read(move |conn| Ok(build(conn, &ring, gate_id, since, now, fresh, valid)))
        .await?
}

/// Reads and signs a bundle (see [`bundle`]).
fn build(
    conn: &mut crate::db::DbConnection,
    ring: &crate::crypto::keyring::KeyRing,
    gate_id: String,
    since: Option<i64>,
    now: DateTime<Utc>,
    fresh: chrono::Duration,
    valid: chrono::Duration,
) -> Result<SignedBundle, Error> {
    // The version first: whatever is read after it is at least as new, and a change
    // stamped later is listed again by the next delta.
    let version = bundles::version(conn)?;
    let signer = keys::active_signing_key(conn, ring, KeyUse::Bundle).map_err(Error::internal)?;
    let permit_keys = keys::published(conn, now.naive_utc())?;
    let mut bundle = GateBundle {
        gate_id,
        version,
        issued_at: rfc3339(now),
        fresh_until: rfc3339(now + fresh),
        valid_until: rfc3339(now + valid),
        base_version: None,
        keys: permit_keys.iter().map(|k| k.to_jwk()).collect(),
        revoked: Vec::new(),
        inside: Vec::new(),
        left: None,
    };
    let changed = match since {
        Some(base) if base <= version => {
            let rows = bundles::changed_since(conn, base, MAX_DELTA as i64 + 1)?;
            (rows.len() <= MAX_DELTA).then_some((base, rows))
        }
        _ => None,
    };
    let delta = changed.is_some();
    match changed {
        Some((base, rows)) => {
            let mut left = Vec::new();
            for row in rows {
                if row.status == "revoked" && row.valid_until > now.naive_utc() {
                    bundle.revoked.push(RevokedEntry {
                        permit_id: row.permit_id.clone(),
                        revoked_at: row.revoked_at.map(|at| rfc3339(at.and_utc())),
                    });
                }
                match (row.inside, row.side) {
                    (true, Some(side)) => bundle.inside.push(InsideEntry {
                        permit_id: row.permit_id,
                        side,
                        since: stamp_text(row.since),
                    }),
                    _ => left.push(row.permit_id),
                }
            }
            bundle.base_version = Some(base);
            bundle.left = Some(left);
        }
        None => {
            bundle.revoked = bundles::revoked(conn, now.naive_utc())?
                .into_iter()
                .map(|(permit_id, at)| RevokedEntry {
                    permit_id,
                    revoked_at: stamp_text(at),
                })
                .collect();
            bundle.inside = bundles::inside(conn)?
                .into_iter()
                .filter_map(|row| {
                    Some(InsideEntry {
                        permit_id: row.permit_id,
                        side: row.side?,
                        since: stamp_text(row.since),
                    })
                })
                .collect();
        }
    }
    let jws = gate_bundle::sign(&bundle, &signer).map_err(Error::internal)?;
    Ok(SignedBundle {
        jws,
        version,
        delta,
    })
}
