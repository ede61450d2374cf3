//! Staff passwords: argon2id at OWASP-recommended cost, with equal work for unknown users.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::random_bytes;

/// OWASP's recommended argon2id setting: 19 MiB, 2 iterations, 1 lane.
pub const OWASP_MEMORY_KIB: u32 = 19 * 1024;
/// See [`OWASP_MEMORY_KIB`].
pub const OWASP_ITERATIONS: u32 = 2;

/// Why hashing failed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing: {0}")]
pub struct HashError(String);

/// Hashes and checks passwords with one set of argon2id parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    dummy_hash: String,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", self.argon2.params())
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher using `memory_kib` KiB and `iterations` passes; cheap values belong in tests only.
    pub fn new(memory_kib: u32, iterations: u32) -> Result<Self, HashError> {
        let params =
            Params::new(memory_kib, iterations, 1, None).map_err(|e| HashError(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut hasher = Self {
            argon2,
            dummy_hash: String::new(),
        };
        // An unknown user is checked against this, so the answer takes as long as for a known one.
        hasher.dummy_hash = hasher.hash("no such user; equal work for every login")?;
        Ok(hasher)
    }

    /// A PHC string (`$argon2id$v=19$m=...`) for `password`, with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        let salt_bytes = random_bytes::<16>().map_err(|e| HashError(e.to_string()))?;
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError(e.to_string()))?;
        Ok(self
            .argon2
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| HashError(e.to_string()))?
            .to_string())
    }

    /// Whether `password` matches `stored`; with `None` (unknown user) the same work is done and the answer is false.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let (hash, known) = match stored {
            Some(h) => (h, true),
            None => (self.dummy_hash.as_str(), false),
        };
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        // The parameters come from the stored hash, so old hashes keep verifying after a cost change.
        let ok = self
            .argon2
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verify_and_unknown_users() {
        let hasher = PasswordHasher::new(64, 1).expect("cheap test parameters");
        let hash = hasher.hash("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(hasher.verify("correct horse battery", Some(&hash)));
        assert!(!hasher.verify("wrong horse battery", Some(&hash)));
        assert!(
            !hasher.verify("no such user; equal work for every login", None),
            "the dummy never logs anyone in"
        );
        assert!(!hasher.verify("x", Some("not a phc string")));
        assert_ne!(
            hasher.hash("same").expect("hash"),
            hasher.hash("same").expect("hash"),
            "salted"
        );
    }

    #[test]
    fn owasp_parameters_are_the_default_cost() {
        let hasher = PasswordHasher::new(OWASP_MEMORY_KIB, OWASP_ITERATIONS).expect("params");
        let hash = hasher.hash("a long enough password").expect("hash");
        assert!(hash.contains("m=19456,t=2,p=1"), "{hash}");
    }
}
