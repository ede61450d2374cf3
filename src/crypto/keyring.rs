//! The keys an instance holds in memory: opened signing keys and public keys, by `kid`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::seal::{KeyEncryptionKey, SealError};
use super::signing_key::{KeyError, PermitSigningKey, PublicKey};
use super::staff_token::SessionKey;

/// Why a stored key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    /// The sealed key does not open with this instance's key-encryption key.
    #[error("signing key {kid}: {source}")]
    Seal {
        /// The key.
        kid: String,
        /// Why.
        source: SealError,
    },
    /// The opened material is not a key.
    #[error("signing key {kid}: {source}")]
    Key {
        /// The key.
        kid: String,
        /// Why.
        source: KeyError,
    },
}

/// Opened keys, cached so each is unsealed once per process.
#[derive(Debug)]
pub struct KeyRing {
    kek: KeyEncryptionKey,
    signing: RwLock<HashMap<String, Arc<PermitSigningKey>>>,
    session: RwLock<Option<SessionKey>>,
    public: RwLock<HashMap<String, PublicKey>>,
}

impl KeyRing {
    /// A ring that opens keys sealed under `kek`.
    pub fn new(kek: KeyEncryptionKey) -> Self {
        Self {
            kek,
            signing: RwLock::default(),
            session: RwLock::default(),
            public: RwLock::default(),
        }
    }

    /// The key-encryption key, for sealing new keys.
    pub fn kek(&self) -> &KeyEncryptionKey {
        &self.kek
    }

    /// The signing key `kid`, unsealing `sealed` the first time it is asked for.
    pub fn signing_key(
        &self,
        kid: &str,
        sealed: &str,
    ) -> Result<Arc<PermitSigningKey>, KeyRingError> {
        if let Some(key) = self
            .signing
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(kid)
        {
            return Ok(key.clone());
        }
        let seed = self.kek.open(sealed).map_err(|source| KeyRingError::Seal {
            kid: kid.to_owned(),
            source,
        })?;
        let key =
            Arc::new(
                PermitSigningKey::from_seed(&seed).map_err(|source| KeyRingError::Key {
                    kid: kid.to_owned(),
                    source,
                })?,
            );
        if key.kid() != kid {
            return Err(KeyRingError::Key {
                kid: kid.to_owned(),
                source: KeyError::Malformed,
            });
        }
        self.signing
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(kid.to_owned(), key.clone());
        Ok(key)
    }

    /// Opens and keeps the staff access-token key.
    pub fn set_session_key(&self, sealed: &str) -> Result<SessionKey, KeyRingError> {
        let kid = "staff-token-key".to_owned();
        let bytes = self.kek.open(sealed).map_err(|source| KeyRingError::Seal {
            kid: kid.clone(),
            source,
        })?;
        let key = SessionKey::from_bytes(&bytes).ok_or(KeyRingError::Key {
            kid,
            source: KeyError::Malformed,
        })?;
        *self.session.write().unwrap_or_else(|p| p.into_inner()) = Some(key.clone());
        Ok(key)
    }

    /// The staff access-token key, once the service has loaded it.
    pub fn session_key(&self) -> Option<SessionKey> {
        self.session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A public key seen before (keys never change once made, so they are kept for good).
    pub fn cached_public_key(&self, kid: &str) -> Option<PublicKey> {
        self.public
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(kid)
            .cloned()
    }

    /// Keeps a public key read from the database.
    pub fn remember_public_key(&self, key: PublicKey) {
        self.public
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.kid.clone(), key);
    }
}
