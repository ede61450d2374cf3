//! Signing keys: publishing the public ones, rotating, and what the service needs before it serves.

use std::time::Duration;

use crate::crypto::seal::KeyEncryptionKey;
use crate::crypto::signing_key::PublicKey;
use crate::db::audit;
use crate::db::keys::KeyUse;
use crate::db::{keys, stats, DbConnection};
use crate::domain::audit::{Action, Actor, Entry};
use crate::domain::violation::{Violation, ViolationCode};

use super::{Core, Error};

/// The public keys of the JWKS: those that verify permit tokens (the active one and every retired
/// one whose permits may still be valid), then those that verify gate bundles (the active one and
/// every retired one whose bundles may still be decided from).
pub async fn published(core: &Core) -> Result<Vec<PublicKey>, Error> {
    let now = core.clock.now().naive_utc();
    let bundle_valid = core.config.bundle_valid;
    Ok(core
        .store
        .read(move |conn| {
            let mut keys = keys::published(conn, now)?;
            keys.extend(keys::published_bundle_keys(conn, now, bundle_valid)?);
            Ok(keys)
        })
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

/// Makes a new signing key of `purpose` the active one (the command line's `keys rotate`, and
/// `keys rotate --bundle`); the gate bundle's version moves (its keys changed, or its signer).
pub async fn rotate(core: &Core, by: &Actor, purpose: KeyUse) -> Result<Rotated, Error> {
    let keys = core.keys.clone();
    let now = core.clock.now();
    let by = by.clone();
    let (old, new) = core
        .store
        .write(move |tx| {
            let (conn, pending) = tx.parts();
            let rotated = keys::rotate(conn, &keys, now.naive_utc(), purpose);
            if let Ok((old, new)) = &rotated {
                pending.note_bundle_keys_changed();
                let detail = serde_json::json!({ "purpose": purpose.as_str(), "previous": old });
                audit::append(conn, &Entry::new(&by, Action::KeyRotated, new, detail), now)?;
            }
            Ok(rotated)
        })
        .await?
        .map_err(Error::internal)?;
    tracing::info!(purpose = purpose.as_str(), kid = %new, "signing key rotated");
    Ok(Rotated { old, new })
}

/// What must exist before the service answers (run after migrating, on the migrating connection):
/// an active signing key, the staff-token key, and the daily counts of every configured time zone.
pub fn prepare(core: &Core, conn: &mut DbConnection) -> Result<(), Error> {
    let now = core.clock.now().naive_utc();
    let sealed_elsewhere = |what: &str| {
        Error::internal(format!(
            "the {what} does not open with the configured key-encryption key \
             (BORDERPASS_KEY_ENCRYPTION_KEY, or DATA_DIR/key-encryption.key): configure the key \
             it was sealed with, or recover as docs/operations.md says (`borderpass keys rotate`, \
             `borderpass keys rotate --bundle` and `borderpass keys rotate --staff`)"
        ))
    };
    keys::ensure_active(conn, &core.keys, now, KeyUse::Permit).map_err(|e| match e {
        keys::KeyStoreError::KeyRing(_) => sealed_elsewhere("active signing key"),
        other => Error::internal(other),
    })?;
    keys::ensure_active(conn, &core.keys, now, KeyUse::Bundle).map_err(|e| match e {
        keys::KeyStoreError::KeyRing(_) => sealed_elsewhere("active bundle-signing key"),
        other => Error::internal(other),
    })?;
    keys::ensure_session_key(conn, &core.keys, now).map_err(|e| match e {
        keys::KeyStoreError::KeyRing(_) => sealed_elsewhere("staff-token key"),
        other => Error::internal(other),
    })?;
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

/// Whether the service is ready: migrated and prepared, and the database answers within two seconds.
pub async fn ready(core: &Core) -> Result<(), Error> {
    if !core.store.is_migrated() {
        let why = core
            .store
            .not_ready_because()
            .unwrap_or_else(|| "the schema is not migrated yet".to_owned());
        return Err(Error::Unavailable(why.into()));
    }
    Ok(core.store.ping(Duration::from_secs(2)).await?)
}

/// Makes a new staff access-token key (the command line's `keys rotate --staff`): every staff
/// token stops working, on every instance within `key_refresh_secs`.
pub async fn rotate_staff_key(core: &Core, by: &Actor) -> Result<(), Error> {
    let keys = core.keys.clone();
    let now = core.clock.now();
    let entry = Entry::new(
        by,
        Action::KeyRotated,
        "staff-token",
        serde_json::json!({ "purpose": "staff" }),
    );
    core.store
        .write(move |conn| {
            let rotated = keys::rotate_session_key(conn, &keys, now.naive_utc());
            if rotated.is_ok() {
                audit::append(conn, &entry, now)?;
            }
            Ok(rotated)
        })
        .await?
        .map_err(Error::internal)
}

/// Re-seals every stored key from the configured key-encryption key to `new` (the command line's
/// `keys reseal`).
pub async fn reseal(
    core: &Core,
    by: &Actor,
    new: KeyEncryptionKey,
) -> Result<keys::Resealed, Error> {
    let ring = core.keys.clone();
    let new = std::sync::Arc::new(new);
    let now = core.clock.now();
    let by = by.clone();
    core.store
        .write(move |conn| {
            let resealed = keys::reseal(conn, ring.kek(), &new);
            if let Ok(counts) = &resealed {
                let detail = serde_json::json!({
                    "signing_keys": counts.signing_keys,
                    "secrets": counts.secrets,
                });
                let entry = Entry::new(&by, Action::KeysResealed, "key-encryption-key", detail);
                audit::append(conn, &entry, now)?;
            }
            Ok(resealed)
        })
        .await?
        .map_err(|e| match e {
            keys::ResealError::WrongOldKey(_) => Error::Invalid(vec![Violation::new(
                "key_encryption_key",
                ViolationCode::Mismatch,
                e.to_string(),
            )]),
            other => Error::internal(other),
        })
}

/// Loads the staff access-token key again when another instance or the command line replaced it;
/// `last` is the sealed text loaded before.
pub fn refresh_staff_key(core: &Core, conn: &mut DbConnection, last: &mut Option<String>) {
    match keys::sealed_session_key(conn) {
        Ok(Some(sealed)) if last.as_deref() != Some(sealed.as_str()) => {
            match core.keys.set_session_key(&sealed) {
                Ok(_) => {
                    if last.is_some() {
                        tracing::info!("the staff-token key changed; loaded the new one");
                    }
                    *last = Some(sealed);
                }
                Err(error) => tracing::error!(%error, "the stored staff-token key does not open"),
            }
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "cannot read the staff-token key; will retry"),
    }
}
