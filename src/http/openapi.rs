//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::{get, HttpResponse};
use utoipa::OpenApi;

use super::{health, keys, permits, problem};

/// The whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "borderpass",
        description = "Entry permits and the crossing log of the Khorgos International Center for Boundary Cooperation.",
    ),
    paths(
        health::healthz,
        health::readyz,
        openapi_json,
        keys::jwks,
        permits::apply,
        permits::get_permit,
        permits::qr_png,
        permits::qr_svg,
    ),
    components(schemas(
        problem::Problem,
        problem::FieldError,
        health::Health,
        permits::PermitRequest,
        permits::PermitView,
        crate::crypto::signing_key::JwkSet,
    )),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "meta", description = "This document"),
        (name = "permits", description = "Applying for a permit, fetching it, its QR code, the keys that verify it"),
    )
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
#[get("/api/v1/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
