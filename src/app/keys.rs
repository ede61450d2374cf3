//! Signing keys: publishing the public ones, rotating, and what the service needs before it serves.

use std::time::Duration;

use crate::crypto::signing_key::PublicKey;
use crate::db::{keys, stats, DbConnection};

use super::{Core, Error};

/// The public keys that verify permit tokens: the active one and every retired one whose permits
/// may still be valid.
pub async fn published(core: &Core) -> Result<Vec<PublicKey>, Error> {
    let now = core.clock.now().naive_utc();
    Ok(core
        .store
        .read(move |conn| Ok(keys::published(conn, now)?))
        .await?)
}

/// A rotation: the key that was active, and the one that is now.
#[derive(Debug, Clone)]
pub struct Rotated {
    /// The previously active key id, if there was one.
    pub old: Option<String>,
    /// The new active key id.
    pub new: String,
}

/// Makes a new signing key the active one (the command line's `keys rotate`).
pub async fn rotate(core: &Core) -> Result<Rotated, Error> {
    let keys = core.keys.clone();
    let now = core.clock.now().naive_utc();
    let (old, new) = core
        .store
        .write(move |conn| Ok(keys::rotate(conn, &keys, now)))
        .await?
        .map_err(Error::internal)?;
    Ok(Rotated { old, new })
}

/// What must exist before the service answers (run after migrating, on the migrating connection):
/// an active signing key, the staff-token key, and the daily counts of every configured time zone.
pub fn prepare(core: &Core, conn: &mut DbConnection) -> Result<(), Error> {
    let now = core.clock.now().naive_utc();
    keys::ensure_active(conn, &core.keys, now).map_err(Error::internal)?;
    keys::ensure_session_key(conn, &core.keys, now).map_err(Error::internal)?;
    for tz in &core.config.stats_time_zones {
        if stats::add_zone(conn, *tz, now)? {
            tracing::info!(
                time_zone = tz.name(),
                "daily counts now kept for this time zone"
            );
        }
    }
    Ok(())
}

/// Whether the service is ready: migrated, and the database answers within two seconds.
pub async fn ready(core: &Core) -> Result<(), Error> {
    if !core.store.is_migrated() {
        return Err(Error::Unavailable("the schema is not migrated yet".into()));
    }
    Ok(core.store.ping(Duration::from_secs(2)).await?)
}
