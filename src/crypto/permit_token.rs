//! Permit tokens: compact JWS, EdDSA, small enough for a QR code of version 13 at level M.

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::signing_key::{PermitSigningKey, PublicKey};

/// Longest token a QR code of version 13 at error correction M holds in byte mode.
pub const MAX_TOKEN_BYTES: usize = 331;
/// Longest holder name kept in a token, in bytes: the 39 characters of a TD3 MRZ name field.
pub const MAX_NAME_BYTES: usize = 39;

/// What a permit token says. Claim names are short on purpose: every byte counts in the QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermitClaims {
    /// The permit id.
    pub sub: String,
    /// Start of validity (Unix seconds): 00:00 of the first visit day in the zone.
    pub nbf: i64,
    /// End of validity (Unix seconds): 24:00 of the last visit day in the zone.
    pub exp: i64,
    /// Holder's name as an MRZ writes it (`SURNAME<<GIVEN<NAMES`), cut to 39 bytes.
    pub n: String,
    /// Holder's nationality (ICAO code).
    pub c: String,
    /// Holder's birth date, `YYYYMMDD`.
    pub b: String,
}

impl PermitClaims {
    /// A name claim (`SURNAME<<GIVEN<NAMES`) as people read it: `SURNAME GIVEN NAMES`.
    pub fn name_as_read(claim: &str) -> String {
        claim
            .split("<<")
            .map(|part| part.replace('<', " "))
            .filter(|part| !part.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The name claim for a holder: MRZ form, cut at a character boundary to fit 39 bytes.
    pub fn name_claim(surname: &str, given_names: &str) -> String {
        let words = |s: &str| {
            s.split([' ', '-'])
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("<")
        };
        let full = if given_names.trim().is_empty() {
            words(surname)
        } else {
            format!("{}<<{}", words(surname), words(given_names))
        };
        let mut cut = String::new();
        for ch in full.chars() {
            if cut.len() + ch.len_utf8() > MAX_NAME_BYTES {
                break;
            }
            cut.push(ch);
        }
        cut
    }
}

/// Why a token is refused; the names are the scan answer's `reason` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    /// Not a compact JWS with a readable header and claims.
    #[error("malformed_token")]
    Malformed,
    /// The signature does not verify.
    #[error("bad_signature")]
    BadSignature,
    /// No known key has the token's `kid`.
    #[error("unknown_key")]
    UnknownKey,
    /// Before `nbf`.
    #[error("not_yet_valid")]
    NotYetValid,
    /// At or after `exp`.
    #[error("expired")]
    Expired,
}

impl TokenRejection {
    /// The reason code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed_token",
            Self::BadSignature => "bad_signature",
            Self::UnknownKey => "unknown_key",
            Self::NotYetValid => "not_yet_valid",
            Self::Expired => "expired",
        }
    }
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
#[error("token signing failed: {0}")]
pub struct SignError(String);

/// Signs `claims` with `key`; the header carries only `alg` and `kid`.
pub fn sign(claims: &PermitClaims, key: &PermitSigningKey) -> Result<String, SignError> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = None;
    header.kid = Some(key.kid().to_owned());
    jsonwebtoken::encode(&header, claims, key.encoding_key()).map_err(|e| SignError(e.to_string()))
}

/// The token's `kid`, if its header can be read.
pub fn kid_of(token: &str) -> Result<String, TokenRejection> {
    let header =
        jsonwebtoken::decode_header(token.trim()).map_err(|_| TokenRejection::Malformed)?;
    if header.alg != Algorithm::EdDSA {
        return Err(TokenRejection::BadSignature);
    }
    // A permit token has no `typ`: anything typed otherwise (a gate bundle) is not one.
    if header
        .typ
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
    {
        return Err(TokenRejection::Malformed);
    }
    header.kid.ok_or(TokenRejection::UnknownKey)
}

/// Checks the signature only, whatever the time: the claims of an authentic token.
pub fn verify_signature(
    token: &str,
    lookup: impl FnOnce(&str) -> Option<PublicKey>,
) -> Result<PermitClaims, TokenRejection> {
    let token = token.trim();
    let kid = kid_of(token)?;
    let key = lookup(&kid).ok_or(TokenRejection::UnknownKey)?;
    let decoding = key.decoding_key().ok_or(TokenRejection::UnknownKey)?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["sub", "exp", "nbf"]);
    let data =
        jsonwebtoken::decode::<PermitClaims>(token, &decoding, &validation).map_err(|e| match e
            .kind()
        {
            // The signature is checked before the claims are read: a garbled signature or payload fails here.
            ErrorKind::InvalidSignature | ErrorKind::Base64(_) | ErrorKind::InvalidAlgorithm => {
                TokenRejection::BadSignature
            }
            _ => TokenRejection::Malformed,
        })?;
    if uuid::Uuid::parse_str(&data.claims.sub).is_err() {
        return Err(TokenRejection::Malformed);
    }
    Ok(data.claims)
}

/// Full verification at instant `at`: signature, then `nbf` ≤ at < `exp`.
pub fn verify(
    token: &str,
    lookup: impl FnOnce(&str) -> Option<PublicKey>,
    at: DateTime<Utc>,
) -> Result<PermitClaims, TokenRejection> {
    let claims = verify_signature(token, lookup)?;
    check_time(&claims, at)?;
    Ok(claims)
}

/// `nbf` ≤ at < `exp`.
pub fn check_time(claims: &PermitClaims, at: DateTime<Utc>) -> Result<(), TokenRejection> {
    let now = at.timestamp();
    if now < claims.nbf {
        Err(TokenRejection::NotYetValid)
    } else if now >= claims.exp {
        Err(TokenRejection::Expired)
    } else {
        Ok(())
    }
}

/// How many verified tokens an instance remembers: about four days of the zone's scans.
pub const VERIFIED_TOKENS: usize = 65_536;

/// Permit tokens whose signature this instance has already checked, by SHA-256 of their text, with
/// the permit id they name. A permit is scanned at least twice (entry and exit), and a signature
/// that verified once verifies for good (a key never changes once made), so the second check can
/// be a lookup instead of an Ed25519 verification, the costliest step of a scan. Only the exact
/// text that verified is found: any other token, however close, is verified in full. Bounded: when
/// full, the least recently useful entries go first.
pub struct VerifiedTokens {
    cache: quick_cache::sync::Cache<[u8; 32], String>,
}

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens")
            .field("len", &self.cache.len())
            .field("capacity", &self.cache.capacity())
            .finish()
    }
}

impl VerifiedTokens {
    /// Remembers at most `capacity` tokens.
    pub fn new(capacity: usize) -> Self {
        Self {
            cache: quick_cache::sync::Cache::new(capacity),
        }
    }

    fn key(token: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(token.trim().as_bytes()).into()
    }

    /// The permit id `token` names, if this very token verified before.
    pub fn get(&self, token: &str) -> Option<String> {
        self.cache.get(&Self::key(token))
    }

    /// Notes that `token`, naming permit `permit_id`, has a valid signature.
    pub fn remember(&self, token: &str, permit_id: &str) {
        self.cache.insert(Self::key(token), permit_id.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn worst_case_claims() -> PermitClaims {
        PermitClaims {
            sub: uuid::Uuid::now_v7().to_string(),
            nbf: 4_102_444_800, // 2100: ten digits, as long as they get
            exp: 4_105_123_200,
            n: PermitClaims::name_claim("WOLFESCHLEGELSTEINHAUSENBERGERDORFF", "HUBERT BLAINE"),
            c: "KAZ".into(),
            b: "19900131".into(),
        }
    }

    #[test]
    fn worst_case_token_fits_version_13_at_level_m() {
        let key = PermitSigningKey::generate().expect("key");
        let claims = worst_case_claims();
        assert_eq!(claims.n.len(), MAX_NAME_BYTES);
        let token = sign(&claims, &key).expect("sign");
        assert!(
            token.len() <= MAX_TOKEN_BYTES,
            "token is {} bytes",
            token.len()
        );
        eprintln!("worst-case token: {} bytes", token.len());
        let code = crate::qr::encode(token.as_bytes()).expect("qr");
        assert!(
            crate::qr::version_number(&code) <= 13,
            "version {}",
            crate::qr::version_number(&code)
        );
    }

    #[test]
    fn names_in_other_scripts_are_cut_at_character_boundaries() {
        let name = PermitClaims::name_claim(&"王".repeat(30), "芳");
        assert!(name.len() <= MAX_NAME_BYTES);
        assert!(name.chars().all(|c| c == '王'));
        assert_eq!(
            PermitClaims::name_claim("DE LA CRUZ", "ANA-MARIA"),
            "DE<LA<CRUZ<<ANA<MARIA"
        );
        assert_eq!(PermitClaims::name_claim("MADONNA", ""), "MADONNA");
    }

    #[test]
    fn sign_verify_and_each_reason() {
        let key = PermitSigningKey::generate().expect("key");
        let other = PermitSigningKey::generate().expect("key");
        let claims = PermitClaims {
            nbf: 1_000,
            exp: 2_000,
            ..worst_case_claims()
        };
        let token = sign(&claims, &key).expect("sign");
        let lookup = |kid: &str| (kid == key.kid()).then(|| key.public_key());
        let at = |s| Utc.timestamp_opt(s, 0).single().expect("instant");
        assert_eq!(verify(&token, lookup, at(1_500)), Ok(claims.clone()));
        assert_eq!(
            verify(&token, lookup, at(999)),
            Err(TokenRejection::NotYetValid)
        );
        assert_eq!(
            verify(&token, lookup, at(2_000)),
            Err(TokenRejection::Expired)
        );
        assert_eq!(
            verify("not a token", lookup, at(1_500)),
            Err(TokenRejection::Malformed)
        );
        let foreign = sign(&claims, &other).expect("sign");
        assert_eq!(
            verify(&foreign, lookup, at(1_500)),
            Err(TokenRejection::UnknownKey)
        );
        // The other key under our kid: the signature cannot verify.
        let impostor = |_: &str| {
            Some(PublicKey {
                kid: key.kid().into(),
                x: other.public_key().x,
            })
        };
        assert_eq!(
            verify(&token, impostor, at(1_500)),
            Err(TokenRejection::BadSignature)
        );
        // One character changed in the payload, and in the signature.
        let parts: Vec<&str> = token.split('.').collect();
        let flip = |s: &str, i: usize| {
            let mut b = s.as_bytes().to_vec();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            String::from_utf8(b).expect("ascii")
        };
        let tampered_payload = format!("{}.{}.{}", parts[0], flip(parts[1], 10), parts[2]);
        assert_eq!(
            verify(&tampered_payload, lookup, at(1_500)),
            Err(TokenRejection::BadSignature)
        );
        let tampered_signature = format!("{}.{}.{}", parts[0], parts[1], flip(parts[2], 10));
        assert_eq!(
            verify(&tampered_signature, lookup, at(1_500)),
            Err(TokenRejection::BadSignature)
        );
    }

    #[test]
    fn verified_tokens_skip_only_the_exact_token_that_verified() {
        let key = PermitSigningKey::generate().expect("key");
        let claims = worst_case_claims();
        let token = sign(&claims, &key).expect("sign");
        let lookup = |kid: &str| (kid == key.kid()).then(|| key.public_key());
        let verified = VerifiedTokens::new(16);
        // What a scan does: the remembered permit id, or a full check whose success is remembered.
        let check = |token: &str, lookup: &dyn Fn(&str) -> Option<PublicKey>| {
            verified.get(token).map(Ok).unwrap_or_else(|| {
                let sub = verify_signature(token, lookup)?.sub;
                verified.remember(token, &sub);
                Ok(sub)
            })
        };
        assert_eq!(verified.get(&token), None);
        let permit_id = check(&token, &lookup).expect("valid");
        assert_eq!(permit_id, claims.sub);
        // Found again without any key: the signature is not checked a second time.
        assert_eq!(check(&format!(" {token}\n"), &|_| None), Ok(permit_id));
        // A token one character away is verified in full, and refused.
        let parts: Vec<&str> = token.split('.').collect();
        let mut signature = parts[2].as_bytes().to_vec();
        signature[5] = if signature[5] == b'A' { b'B' } else { b'A' };
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            String::from_utf8(signature).expect("ascii")
        );
        assert_eq!(check(&forged, &lookup), Err(TokenRejection::BadSignature));
        assert_eq!(verified.get(&forged), None);
    }

    #[test]
    fn verified_tokens_stay_within_their_capacity() {
        let key = PermitSigningKey::generate().expect("key");
        let verified = VerifiedTokens::new(100);
        for _ in 0..1_000 {
            let claims = worst_case_claims();
            verified.remember(&sign(&claims, &key).expect("sign"), &claims.sub);
        }
        assert!(verified.cache.len() <= 100, "{} kept", verified.cache.len());
    }
}
