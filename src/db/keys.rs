//! Signing keys in the database: the one active key, rotation, what is published.

use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{permits, service_secrets, signing_keys};
use super::DbConnection;
use crate::crypto::keyring::{KeyRing, KeyRingError};
use crate::crypto::seal::SealError;
use crate::crypto::signing_key::{KeyError, PermitSigningKey, PublicKey};

/// A key as stored: public half in clear, private half sealed.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct StoredKey {
    /// Key identifier.
    pub kid: String,
    /// base64url public key.
    pub public_key: String,
    /// Sealed seed.
    pub sealed_private_key: String,
    /// 1 on the active key, NULL on retired ones.
    pub active_slot: Option<i32>,
    /// When made.
    pub created_at: NaiveDateTime,
    /// When it stopped signing.
    pub retired_at: Option<NaiveDateTime>,
    /// `permit` or `bundle`: what it signs.
    pub purpose: String,
}

/// What a signing key signs. A key signs one kind of thing only, so a gate bundle never verifies
/// as a permit token, nor a permit token as a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// Permit tokens (the active one has `active_slot` 1).
    Permit,
    /// Gate bundles (the active one is the bundle key not retired).
    Bundle,
}

impl KeyUse {
    /// The stored `purpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permit => "permit",
            Self::Bundle => "bundle",
        }
    }
}

/// Why the key store failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// A statement failed.
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    /// A stored key could not be opened.
    #[error(transparent)]
    KeyRing(#[from] KeyRingError),
    /// A new key could not be made or sealed.
    #[error("new signing key: {0}")]
    NewKey(String),
    /// There is no active key (the service has not finished starting).
    #[error("no active signing key")]
    NoActiveKey,
}

impl From<SealError> for KeyStoreError {
    fn from(e: SealError) -> Self {
        Self::NewKey(e.to_string())
    }
}

impl From<KeyError> for KeyStoreError {
    fn from(e: KeyError) -> Self {
        Self::NewKey(e.to_string())
    }
}

fn new_stored_key(
    ring: &KeyRing,
    now: NaiveDateTime,
    purpose: KeyUse,
) -> Result<(StoredKey, PermitSigningKey), KeyStoreError> {
    let key = PermitSigningKey::generate()?;
    let stored = StoredKey {
        kid: key.kid().to_owned(),
        public_key: key.public_key().x_b64(),
        sealed_private_key: ring.kek().seal(key.seed())?,
        active_slot: (purpose == KeyUse::Permit).then_some(1),
        created_at: now,
        retired_at: None,
        purpose: purpose.as_str().to_owned(),
    };
    Ok((stored, key))
}

/// The active key's row of `purpose`, if any.
pub fn active(conn: &mut DbConnection, purpose: KeyUse) -> QueryResult<Option<StoredKey>> {
    let query = signing_keys::table
        .select(StoredKey::as_select())
        .into_boxed();
    match purpose {
        KeyUse::Permit => query.filter(signing_keys::active_slot.eq(1)),
        KeyUse::Bundle => query
            .filter(signing_keys::purpose.eq(KeyUse::Bundle.as_str()))
            .filter(signing_keys::retired_at.is_null()),
    }
    .get_result(conn)
    .optional()
}

/// Makes sure an active key of `purpose` exists; instances starting together agree on one (a
/// unique index allows one).
pub fn ensure_active(
    conn: &mut DbConnection,
    ring: &KeyRing,
    now: NaiveDateTime,
    purpose: KeyUse,
) -> Result<String, KeyStoreError> {
    if let Some(key) = active(conn, purpose)? {
        ring.signing_key(&key.kid, &key.sealed_private_key)?;
        return Ok(key.kid);
    }
    let (stored, _) = new_stored_key(ring, now, purpose)?;
    match diesel::insert_into(signing_keys::table)
        .values(&stored)
        .execute(conn)
    {
        Ok(_) => Ok(stored.kid),
        // Another instance made the first key at the same moment: use theirs.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            let key = active(conn, purpose)?.ok_or(KeyStoreError::NoActiveKey)?;
            ring.signing_key(&key.kid, &key.sealed_private_key)?;
            Ok(key.kid)
        }
        Err(e) => Err(e.into()),
    }
}

/// Retires the active key of `purpose` and makes a new one active, in one transaction; returns
/// (old, new) kids.
pub fn rotate(
    conn: &mut DbConnection,
    ring: &KeyRing,
    now: NaiveDateTime,
    purpose: KeyUse,
) -> Result<(Option<String>, String), KeyStoreError> {
    let (stored, _) = new_stored_key(ring, now, purpose)?;
    conn.transaction(|c| {
        let old = active(c, purpose)?.map(|k| k.kid);
        diesel::update(
            signing_keys::table
                .filter(signing_keys::purpose.eq(purpose.as_str()))
                .filter(signing_keys::retired_at.is_null()),
        )
        .set((
            signing_keys::active_slot.eq(None::<i32>),
            signing_keys::retired_at.eq(Some(now)),
        ))
        .execute(c)?;
        diesel::insert_into(signing_keys::table)
            .values(&stored)
            .execute(c)?;
        Ok((old, stored.kid.clone()))
    })
}

/// The active signing key of `purpose`, opened.
pub fn active_signing_key(
    conn: &mut DbConnection,
    ring: &KeyRing,
    purpose: KeyUse,
) -> Result<Arc<PermitSigningKey>, KeyStoreError> {
    let key = active(conn, purpose)?.ok_or(KeyStoreError::NoActiveKey)?;
    Ok(ring.signing_key(&key.kid, &key.sealed_private_key)?)
}

/// Keys to publish at `now`: the active one, and retired ones while a permit they signed is still valid.
pub fn published(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<PublicKey>> {
    let still_needed = diesel::dsl::exists(
        permits::table
            .filter(permits::kid.eq(signing_keys::kid))
            .filter(permits::valid_until.gt(now)),
    );
    let rows: Vec<(String, String)> = signing_keys::table
        .filter(signing_keys::purpose.eq(KeyUse::Permit.as_str()))
        .filter(signing_keys::retired_at.is_null().or(still_needed))
        .order(signing_keys::created_at.desc())
        .select((signing_keys::kid, signing_keys::public_key))
        .load(conn)?;
    Ok(public_keys(rows))
}

/// Bundle keys to publish at `now`: the active one, and retired ones while a bundle they signed
/// may still be decided from (`valid_for` after it was issued).
pub fn published_bundle_keys(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    valid_for: chrono::Duration,
) -> QueryResult<Vec<PublicKey>> {
    let rows: Vec<(String, String)> = signing_keys::table
        .filter(signing_keys::purpose.eq(KeyUse::Bundle.as_str()))
        .filter(
            signing_keys::retired_at
                .is_null()
                .or(signing_keys::retired_at.gt(now - valid_for)),
        )
        .order(signing_keys::created_at.desc())
        .select((signing_keys::kid, signing_keys::public_key))
        .load(conn)?;
    Ok(public_keys(rows))
}

/// Stored `(kid, x)` pairs as public keys (a pair that is not a key is left out).
fn public_keys(rows: Vec<(String, String)>) -> Vec<PublicKey> {
    rows.into_iter()
        .filter_map(|(kid, x)| PublicKey::from_x(&kid, &x))
        .collect()
}

/// Any permit key ever made with this `kid`, for verifying a permit token (never a bundle key).
pub fn public_key(conn: &mut DbConnection, kid: &str) -> QueryResult<Option<PublicKey>> {
    let row: Option<String> = signing_keys::table
        .filter(signing_keys::kid.eq(kid))
        .filter(signing_keys::purpose.eq(KeyUse::Permit.as_str()))
        .select(signing_keys::public_key)
        .get_result(conn)
        .optional()?;
    Ok(row.and_then(|x| PublicKey::from_x(kid, &x)))
}

const SESSION_KEY_NAME: &str = "staff-token-key";

/// Makes a new staff access-token key, sealed under `ring`'s key-encryption key, the one every
/// instance uses (each loads it within a refresh interval), and loads it into `ring`: every staff
/// token signed with the old one stops working.
pub fn rotate_session_key(
    conn: &mut DbConnection,
    ring: &KeyRing,
    now: NaiveDateTime,
) -> Result<(), KeyStoreError> {
    let secret =
        crate::crypto::random_bytes::<32>().map_err(|e| KeyStoreError::NewKey(e.to_string()))?;
    let sealed = ring.kek().seal(&secret)?;
    let replace = diesel::insert_into(service_secrets::table)
        .values((
            service_secrets::name.eq(SESSION_KEY_NAME),
            service_secrets::sealed_value.eq(&sealed),
            service_secrets::created_at.eq(now),
        ))
        .on_conflict(service_secrets::name)
        .do_update()
        .set((
            service_secrets::sealed_value.eq(&sealed),
            service_secrets::created_at.eq(now),
        ));
    super::on_backend!(conn, replace)?;
    ring.set_session_key(&sealed)?;
    Ok(())
}

/// The sealed staff access-token key as stored, if there is one.
pub fn sealed_session_key(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    service_secrets::table
        .find(SESSION_KEY_NAME)
        .select(service_secrets::sealed_value)
        .get_result(conn)
        .optional()
}

/// What re-sealing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resealed {
    /// Signing keys re-sealed.
    pub signing_keys: usize,
    /// Service secrets (the staff access-token key) re-sealed.
    pub secrets: usize,
}

/// Why re-sealing was refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ResealError {
    /// These keys do not open with the old key-encryption key.
    #[error("these keys do not open with the configured key-encryption key: {}", .0.join(", "))]
    WrongOldKey(Vec<String>),
    /// Sealing failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// A statement failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Re-seals every signing key and service secret from `old` to `new` in one transaction: all of
/// them, or none when any does not open with `old`.
pub fn reseal(
    conn: &mut DbConnection,
    old: &crate::crypto::seal::KeyEncryptionKey,
    new: &crate::crypto::seal::KeyEncryptionKey,
) -> Result<Resealed, ResealError> {
    conn.transaction(|c| {
        let keys: Vec<(String, String)> = signing_keys::table
            .select((signing_keys::kid, signing_keys::sealed_private_key))
            .load(c)?;
        let secrets: Vec<(String, String)> = service_secrets::table
            .select((service_secrets::name, service_secrets::sealed_value))
            .load(c)?;
        let mut unopened = Vec::new();
        let mut keys_sealed = Vec::new();
        for (kid, sealed) in &keys {
            match old.open(sealed) {
                Ok(plain) => keys_sealed.push((kid, new.seal(&plain)?)),
                Err(_) => unopened.push(kid.clone()),
            }
        }
        let mut secrets_sealed = Vec::new();
        for (name, sealed) in &secrets {
            match old.open(sealed) {
                Ok(plain) => secrets_sealed.push((name, new.seal(&plain)?)),
                Err(_) => unopened.push(name.clone()),
            }
        }
        if !unopened.is_empty() {
            return Err(ResealError::WrongOldKey(unopened));
        }
        for (kid, sealed) in &keys_sealed {
            diesel::update(signing_keys::table.find(kid))
                .set(signing_keys::sealed_private_key.eq(sealed))
                .execute(c)?;
        }
        for (name, sealed) in &secrets_sealed {
            diesel::update(service_secrets::table.find(name))
                .set(service_secrets::sealed_value.eq(sealed))
                .execute(c)?;
        }
        Ok(Resealed {
            signing_keys: keys_sealed.len(),
            secrets: secrets_sealed.len(),
        })
    })
}

/// Makes sure the shared staff access-token key exists and loads it into `ring`.
pub fn ensure_session_key(
    conn: &mut DbConnection,
    ring: &KeyRing,
    now: NaiveDateTime,
) -> Result<(), KeyStoreError> {
    let stored: Option<String> = service_secrets::table
        .find(SESSION_KEY_NAME)
        .select(service_secrets::sealed_value)
        .get_result(conn)
        .optional()?;
    let sealed = match stored {
        Some(sealed) => sealed,
        None => {
            let secret = crate::crypto::random_bytes::<32>()
                .map_err(|e| KeyStoreError::NewKey(e.to_string()))?;
            let sealed = ring.kek().seal(&secret)?;
            let inserted = diesel::insert_into(service_secrets::table)
                .values((
                    service_secrets::name.eq(SESSION_KEY_NAME),
                    service_secrets::sealed_value.eq(&sealed),
                    service_secrets::created_at.eq(now),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => sealed,
                // Another instance made it at the same moment: use theirs.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => service_secrets::table
                    .find(SESSION_KEY_NAME)
                    .select(service_secrets::sealed_value)
                    .get_result(conn)?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    ring.set_session_key(&sealed)?;
    Ok(())
}
