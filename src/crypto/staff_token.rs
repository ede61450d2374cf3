//! Staff access tokens: short-lived HS256 JWTs under a key every instance shares.

use std::fmt;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// What an access token says; the role and gate are re-read from the database on every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffClaims {
    /// Username.
    pub sub: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// The generation of the account's tokens it was issued in (only the current one works).
    #[serde(default)]
    pub gen: i64,
}

/// The shared HMAC key.
#[derive(Clone)]
pub struct SessionKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// The key from its bytes (at least 32).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < 32 {
            return None;
        }
        let secret = Zeroizing::new(bytes.to_vec());
        Some(Self {
            encoding: EncodingKey::from_secret(&secret).ok()?,
            decoding: DecodingKey::from_secret(&secret).ok()?,
        })
    }

    /// Signs claims for `username`'s token generation `gen`, valid `ttl_secs` from `now`.
    pub fn issue(
        &self,
        username: &str,
        gen: i64,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = StaffClaims {
            sub: username.to_owned(),
            iat: now.timestamp(),
            exp: now.timestamp() + ttl_secs,
            gen,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The claims of a token signed with this key and not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<StaffClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["sub", "exp"]);
        let data = jsonwebtoken::decode::<StaffClaims>(token, &self.decoding, &validation).ok()?;
        (now.timestamp() < data.claims.exp).then_some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_verify_expire_and_foreign_keys() {
        let key = SessionKey::from_bytes(&[7u8; 32]).expect("key");
        let now = Utc::now();
        let token = key.issue("officer.cn", 3, now, 900).expect("sign");
        assert_eq!(key.verify(&token, now).map(|c| c.gen), Some(3));
        assert_eq!(
            key.verify(&token, now).map(|c| c.sub),
            Some("officer.cn".into())
        );
        assert_eq!(
            key.verify(&token, now + chrono::Duration::seconds(900)),
            None,
            "expired"
        );
        let other = SessionKey::from_bytes(&[8u8; 32]).expect("key");
        assert_eq!(other.verify(&token, now), None);
        assert!(SessionKey::from_bytes(&[1u8; 16]).is_none());
    }
}
