//! Gate bundles: what a gate device decides from while offline, as a compact JWS (EdDSA, header
//! `typ` `bundle+jwt`), signed with a bundle key, never with a permit key.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::signing_key::{Jwk, PermitSigningKey, PublicKey};

/// The header `typ` of a gate bundle (a permit token has none).
pub const TYP: &str = "bundle+jwt";

/// A permit revoked and not yet expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevokedEntry {
    /// The permit.
    pub permit_id: String,
    /// When revoked (RFC 3339).
    pub revoked_at: Option<String>,
}

/// A holder inside the zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InsideEntry {
    /// The permit.
    pub permit_id: String,
    /// `CHN` or `KAZ`: the side they entered by, the side they leave by.
    pub side: String,
    /// Since when (RFC 3339).
    pub since: Option<String>,
}

/// What a gate bundle says. A delta (`base_version` set) lists only the permits whose entry
/// changed after `base_version`: `revoked` and `inside` to add, `left` to take out of `inside`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GateBundle {
    /// The gate it is for.
    pub gate_id: String,
    /// Grows whenever keys, revocations or presence change.
    pub version: i64,
    /// When built (RFC 3339).
    pub issued_at: String,
    /// Fetch a new one after this.
    pub fresh_until: String,
    /// Decide from it no longer after this.
    pub valid_until: String,
    /// On a delta: the version it brings up to `version`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub base_version: Option<i64>,
    /// Every public key that verifies a permit still valid.
    pub keys: Vec<Jwk>,
    /// Every revoked permit not yet expired (on a delta: those revoked after `base_version`).
    pub revoked: Vec<RevokedEntry>,
    /// Everyone inside the zone now (on a delta: those who entered after `base_version`).
    pub inside: Vec<InsideEntry>,
    /// On a delta: permits whose holders left after `base_version`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub left: Option<Vec<String>>,
}

/// Why a bundle is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BundleRejection {
    /// Not a compact JWS with `typ` `bundle+jwt`, or its payload is not a bundle.
    #[error("not a gate bundle")]
    Malformed,
    /// No bundle key has its `kid`.
    #[error("unknown bundle key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
#[error("bundle signing failed: {0}")]
pub struct SignError(String);

/// Signs `bundle` with the bundle key `key`.
pub fn sign(bundle: &GateBundle, key: &PermitSigningKey) -> Result<String, SignError> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some(TYP.to_owned());
    header.kid = Some(key.kid().to_owned());
    jsonwebtoken::encode(&header, bundle, key.encoding_key()).map_err(|e| SignError(e.to_string()))
}

/// Verifies a bundle against bundle keys found by `lookup`; its contents. A permit token (no
/// `typ`) is refused before any key is looked up.
pub fn verify(
    jws: &str,
    lookup: impl FnOnce(&str) -> Option<PublicKey>,
) -> Result<GateBundle, BundleRejection> {
    let header = jsonwebtoken::decode_header(jws.trim()).map_err(|_| BundleRejection::Malformed)?;
    if header.typ.as_deref() != Some(TYP) || header.alg != Algorithm::EdDSA {
        return Err(BundleRejection::Malformed);
    }
    let kid = header.kid.ok_or(BundleRejection::UnknownKey)?;
    let key = lookup(&kid).ok_or(BundleRejection::UnknownKey)?;
    let decoding = key.decoding_key().ok_or(BundleRejection::UnknownKey)?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<GateBundle>(jws.trim(), &decoding, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature | ErrorKind::Base64(_) => BundleRejection::BadSignature,
            _ => BundleRejection::Malformed,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::permit_token::{self, PermitClaims, TokenRejection};

    fn bundle() -> GateBundle {
        GateBundle {
            gate_id: "CN-1".into(),
            version: 7,
            issued_at: "2026-12-01T10:00:00Z".into(),
            fresh_until: "2026-12-01T10:15:00Z".into(),
            valid_until: "2026-12-02T10:00:00Z".into(),
            base_version: None,
            keys: Vec::new(),
            revoked: Vec::new(),
            inside: vec![InsideEntry {
                permit_id: "0193a4b2-7c1e-7000-8000-000000000001".into(),
                side: "CHN".into(),
                since: Some("2026-12-01T09:00:00Z".into()),
            }],
            left: None,
        }
    }

    #[test]
    fn a_bundle_verifies_with_its_key_and_never_as_a_permit_nor_a_permit_as_a_bundle() {
        let key = PermitSigningKey::generate().expect("key");
        let public = key.public_key();
        let jws = sign(&bundle(), &key).expect("signed");
        assert_eq!(verify(&jws, |_| Some(public.clone())), Ok(bundle()));
        // A bundle offered as a permit token, even with its own key: refused.
        assert_eq!(
            permit_token::verify_signature(&jws, |_| Some(public.clone())),
            Err(TokenRejection::Malformed)
        );
        // A permit token offered as a bundle, even with its own key: refused.
        let claims = PermitClaims {
            sub: "0193a4b2-7c1e-7000-8000-000000000001".into(),
            nbf: 0,
            exp: i64::MAX / 2,
            n: "IVANOVA<<ANNA".into(),
            c: "KAZ".into(),
            b: "19900131".into(),
        };
        let token = permit_token::sign(&claims, &key).expect("token");
        assert_eq!(
            verify(&token, |_| Some(public.clone())),
            Err(BundleRejection::Malformed)
        );
        let other = PermitSigningKey::generate().expect("key").public_key();
        assert_eq!(
            verify(&jws, |_| Some(PublicKey {
                kid: key.kid().into(),
                x: other.x
            })),
            Err(BundleRejection::BadSignature)
        );
    }
}
