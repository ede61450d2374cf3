//! The published public keys (JWKS).

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

use super::problem::ApiError;
use crate::app::{keys as key_use, Core};
use crate::crypto::signing_key::JwkSet;

/// Public keys that verify permit tokens: the active key and every retired key whose permits may still be valid.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "permits",
    responses((status = 200, description = "JSON Web Key Set (OKP, Ed25519, EdDSA)", body = JwkSet)))]
#[get("/.well-known/jwks.json")]
pub async fn jwks(core: web::Data<Core>) -> Result<HttpResponse, ApiError> {
    let keys = key_use::published(&core).await?;
    let set = JwkSet {
        keys: keys.iter().map(|k| k.to_jwk()).collect(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(set))
}
