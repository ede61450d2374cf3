//! The published public keys (JWKS).

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

use super::problem::ApiError;
use super::AppState;
use crate::crypto::signing_key::JwkSet;
use crate::db::keys;

/// Public keys that verify permit tokens: the active key and every retired key whose permits may still be valid.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "permits",
    responses((status = 200, description = "JSON Web Key Set (OKP, Ed25519, EdDSA)", body = JwkSet)))]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now().naive_utc();
    let keys = state
        .store
        .read(move |conn| Ok(keys::published(conn, now)?))
        .await?;
    let set = JwkSet {
        keys: keys.iter().map(|k| k.to_jwk()).collect(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(set))
}
