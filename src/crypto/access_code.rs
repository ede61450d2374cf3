//! Access codes (128 random bits shown once to the traveler) and device tokens (256 bits, shown
//! once to the administrator): stored only as a SHA-256 hash.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{b64url, random_bytes};

/// A fresh access code (22 base64url characters, 128 bits) and the hash to store.
pub fn generate() -> Result<(String, String), getrandom::Error> {
    let code = b64url(&random_bytes::<16>()?);
    let hash = hash(&code);
    Ok((code, hash))
}

/// A fresh device token (43 base64url characters, 256 bits) and the hash to store: like an access
/// code, shown once and kept only as its hash.
pub fn generate_device_token() -> Result<(String, String), getrandom::Error> {
    let token = b64url(&random_bytes::<32>()?);
    let hash = hash(&token);
    Ok((token, hash))
}

/// The stored form of a code. A fast hash suffices: the code has 128 bits of entropy.
pub fn hash(code: &str) -> String {
    b64url(&Sha256::digest(code.trim().as_bytes()))
}

/// Whether `code` matches `stored_hash`, compared in constant time.
pub fn matches(code: &str, stored_hash: &str) -> bool {
    hash(code).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_random_and_verify() {
        let (code, stored) = generate().expect("random");
        assert_eq!(code.len(), 22);
        assert!(matches(&code, &stored));
        assert!(!matches("wrong", &stored));
        let (other, _) = generate().expect("random");
        assert_ne!(code, other);
        assert_ne!(code, stored, "the code itself is never what is stored");
        let (token, stored) = generate_device_token().expect("random");
        assert_eq!(token.len(), 43);
        assert!(matches(&token, &stored) && !matches(&code, &stored));
    }
}
