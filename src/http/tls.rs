//! HTTPS for `serve`: the certificate chain and key from PEM files, with rustls.

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;

/// Why the TLS files could not be used; names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file is missing, unreadable or holds no certificate.
    #[error("BORDERPASS_TLS_CERT {path}: {why}")]
    Cert {
        /// The file.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// The key file is missing, unreadable or holds no private key.
    #[error("BORDERPASS_TLS_KEY {path}: {why}")]
    Key {
        /// The file.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// The key does not belong to the certificate, or rustls refused them.
    #[error("BORDERPASS_TLS_CERT and BORDERPASS_TLS_KEY do not fit together: {0}")]
    Mismatch(String),
}

/// A rustls server configuration from the configured PEM files (TLS 1.2 and 1.3, ring).
pub fn server_config(files: &TlsFiles) -> Result<rustls::ServerConfig, TlsError> {
    let cert_error = |why: String| TlsError::Cert {
        path: files.cert.display().to_string(),
        why,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(cert_error("no certificate in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::Key {
        path: files.key.display().to_string(),
        why: e.to_string(),
    })?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Mismatch(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Mismatch(e.to_string()))
}
