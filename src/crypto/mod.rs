//! Cryptography: sealing key material, Ed25519 signing keys, permit tokens, access codes.

pub mod access_code;
pub mod gate_bundle;
pub mod keyring;
pub mod password;
pub mod permit_token;
pub mod seal;
pub mod signing_key;
pub mod staff_token;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Base64url without padding, as JOSE writes binary values.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads base64url without padding.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim()).ok()
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}
