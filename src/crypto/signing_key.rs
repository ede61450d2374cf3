//! Ed25519 permit-signing keys: generation, `kid` thumbprints, JWK form.

use std::fmt;

use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{b64url, b64url_decode, random_bytes};

/// Characters of the RFC 7638 thumbprint kept as `kid`: 36 bits, plenty for the handful of keys
/// a zone ever has (a collision is refused by the database), and short enough for the QR budget.
pub const KID_LEN: usize = 6;

/// A private signing key with its identifier; the seed is wiped on drop and never printed.
pub struct PermitSigningKey {
    kid: String,
    seed: Zeroizing<[u8; 32]>,
    public: [u8; 32],
    encoding: EncodingKey,
}

impl fmt::Debug for PermitSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitSigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The random source failed.
    #[error("random source failed: {0}")]
    Random(String),
    /// Stored key material is not a 32-byte Ed25519 seed.
    #[error("stored key material is not an Ed25519 seed")]
    Malformed,
}

/// The RFC 7638 thumbprint of an Ed25519 public key, base64url.
pub fn thumbprint(public: &[u8; 32]) -> String {
    // Members in lexicographic order, no white space, as RFC 7638 requires.
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        b64url(public)
    );
    b64url(&Sha256::digest(canonical.as_bytes()))
}

impl PermitSigningKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, KeyError> {
        let seed =
            Zeroizing::new(random_bytes::<32>().map_err(|e| KeyError::Random(e.to_string()))?);
        Self::from_seed(seed.as_ref())
    }

    /// The key for a 32-byte seed.
    pub fn from_seed(seed: &[u8]) -> Result<Self, KeyError> {
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(seed.try_into().map_err(|_| KeyError::Malformed)?);
        let signing = SigningKey::from_bytes(&seed);
        let public = signing.verifying_key().to_bytes();
        let der = signing.to_pkcs8_der().map_err(|_| KeyError::Malformed)?;
        let encoding = EncodingKey::from_ed_der(der.as_bytes());
        let kid = thumbprint(&public)[..KID_LEN].to_owned();
        Ok(Self {
            kid,
            seed,
            public,
            encoding,
        })
    }

    /// The key identifier (prefix of the RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The 32-byte seed, for sealing.
    pub fn seed(&self) -> &[u8] {
        self.seed.as_ref()
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            kid: self.kid.clone(),
            x: self.public,
        }
    }

    /// The key jsonwebtoken signs with.
    pub fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }
}

/// A public key that verifies permit tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Key identifier.
    pub kid: String,
    /// The 32-byte Ed25519 public key.
    pub x: [u8; 32],
}

impl PublicKey {
    /// Reads the base64url `x` of a JWK.
    pub fn from_x(kid: &str, x: &str) -> Option<Self> {
        let bytes: [u8; 32] = b64url_decode(x)?.try_into().ok()?;
        Some(Self {
            kid: kid.to_owned(),
            x: bytes,
        })
    }

    /// The base64url `x`.
    pub fn x_b64(&self) -> String {
        b64url(&self.x)
    }

    /// The key jsonwebtoken verifies with.
    pub fn decoding_key(&self) -> Option<DecodingKey> {
        DecodingKey::from_ed_components(&self.x_b64()).ok()
    }

    /// The JWK published in `/.well-known/jwks.json`.
    pub fn to_jwk(&self) -> Jwk {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            alg: "EdDSA".into(),
            key_use: Some("sig".into()),
            kid: self.kid.clone(),
            x: self.x_b64(),
        }
    }
}

/// One public key as JSON Web Key (RFC 8037 OKP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    /// Always `OKP`.
    pub kty: String,
    /// Always `Ed25519`.
    pub crv: String,
    /// Always `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none", default)]
    pub key_use: Option<String>,
    /// Key identifier, as in the token header.
    pub kid: String,
    /// The public key, base64url.
    pub x: String,
}

/// A JSON Web Key Set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The usable Ed25519 keys of the set; others are ignored.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        self.keys
            .iter()
            .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
            .filter_map(|k| PublicKey::from_x(&k.kid, &k.x))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_8037_thumbprint_example() {
        // RFC 8037 appendix A.3: the thumbprint of its example public key.
        let x = b64url_decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").expect("b64");
        let x: [u8; 32] = x.try_into().expect("32 bytes");
        assert_eq!(
            thumbprint(&x),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn seed_round_trip_gives_the_same_key() {
        let key = PermitSigningKey::generate().expect("random");
        let again = PermitSigningKey::from_seed(key.seed()).expect("seed");
        assert_eq!(key.kid(), again.kid());
        assert_eq!(key.public_key(), again.public_key());
        assert_eq!(key.kid().len(), KID_LEN);
        assert!(!format!("{key:?}").contains(&b64url(key.seed())));
    }
}
