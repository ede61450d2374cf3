//! Sealing secrets at rest with ChaCha20-Poly1305 under the key-encryption key.

use std::fmt;
use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use zeroize::Zeroizing;

use super::{b64url, b64url_decode, random_bytes};

/// The key that seals private keys stored in the database; never logged, never stored beside them.
#[derive(Clone)]
pub struct KeyEncryptionKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyEncryptionKey(..)")
    }
}

/// Why sealed material could not be opened, or a key not loaded.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The stored text is not sealed material.
    #[error("sealed data is malformed")]
    Malformed,
    /// The key-encryption key is not the one that sealed it (or the data was altered).
    #[error("sealed data does not open with this key-encryption key (another instance's key, or altered data)")]
    WrongKey,
    /// The key text is not 32 bytes of base64url.
    #[error("the key-encryption key must be 32 bytes in base64url (43 characters)")]
    BadKey,
    /// The random source failed.
    #[error("random source failed: {0}")]
    Random(String),
    /// The key file could not be read or written.
    #[error("key-encryption key file {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl KeyEncryptionKey {
    /// Reads a key written as base64url (the form `generate` and the key file use).
    pub fn from_text(text: &str) -> Result<Self, SealError> {
        let bytes = b64url_decode(text).ok_or(SealError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(Self(Zeroizing::new(key)))
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, SealError> {
        Ok(Self(Zeroizing::new(
            random_bytes::<32>().map_err(|e| SealError::Random(e.to_string()))?,
        )))
    }

    /// The key as base64url text.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(b64url(self.0.as_ref()))
    }

    /// Replaces the key file at `path` with `text` (mode 0600): written beside it, synced, then
    /// renamed over it, so the file holds the old key or the new one, never a part.
    pub fn replace_file(path: &Path, text: &str) -> std::io::Result<()> {
        let staged = path.with_extension("key.new");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&staged)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&staged, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Loads the key from `path`, creating it (mode 0600) when missing.
    pub fn load_or_create(path: &Path) -> Result<Self, SealError> {
        let file_error = |source| SealError::File {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_text(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::files::create_private_dir(dir).map_err(file_error)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut file) => {
                        file.write_all(key.to_text().as_bytes())
                            .map_err(file_error)?;
                        file.sync_all().map_err(file_error)?;
                        Ok(key)
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::from_text(&std::fs::read_to_string(path).map_err(file_error)?)
                    }
                    Err(e) => Err(file_error(e)),
                }
            }
            Err(e) => Err(file_error(e)),
        }
    }

    /// Seals `plaintext` as base64url(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, plaintext: &[u8]) -> Result<String, SealError> {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(self.0.as_ref()));
        let nonce = random_bytes::<12>().map_err(|e| SealError::Random(e.to_string()))?;
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| SealError::Malformed)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(b64url(&out))
    }

    /// Opens what `seal` made.
    pub fn open(&self, sealed: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let bytes = b64url_decode(sealed).ok_or(SealError::Malformed)?;
        if bytes.len() < 12 + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(self.0.as_ref()));
        cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| SealError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_and_wrong_key_fails() {
        let kek = KeyEncryptionKey::generate().expect("random");
        let sealed = kek.seal(b"secret seed").expect("seal");
        assert_eq!(kek.open(&sealed).expect("open").as_slice(), b"secret seed");
        let other = KeyEncryptionKey::generate().expect("random");
        assert!(matches!(other.open(&sealed), Err(SealError::WrongKey)));
        assert!(matches!(kek.open("short"), Err(SealError::Malformed)));
        let text = kek.to_text();
        let again = KeyEncryptionKey::from_text(&text).expect("round trip");
        assert_eq!(
            again.open(&sealed).expect("open").as_slice(),
            b"secret seed"
        );
        assert!(KeyEncryptionKey::from_text("too-short").is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("nested").join("kek");
        let first = KeyEncryptionKey::load_or_create(&path).expect("create");
        let second = KeyEncryptionKey::load_or_create(&path).expect("load");
        assert_eq!(first.to_text(), second.to_text());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
