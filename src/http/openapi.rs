//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::{get, HttpResponse};
use utoipa::OpenApi;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::Modify;

use super::{
    admin, auth, conflicts, devices, gates, health, keys, offline, permits, problem, scans, stats,
    users,
};

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
        permits::revoke,
        auth::login,
        auth::logout,
        auth::change_password,
        auth::list_blocks,
        auth::lift_block,
        users::reset_password,
        users::create_user,
        users::update_user,
        devices::create_device,
        devices::list_devices,
        devices::revoke_device,
        gates::list_gates,
        gates::create_gate,
        scans::record_scan,
        offline::gate_bundle,
        offline::upload_batch,
        conflicts::list_conflicts,
        conflicts::resolve_conflict,
        stats::daily,
        stats::occupancy,
        admin::search_permits,
        admin::permit_scans,
        admin::list_users,
        admin::audit,
    ),
    components(schemas(
        problem::Problem,
        problem::FieldError,
        health::Health,
        permits::PermitRequest,
        permits::PermitView,
        crate::crypto::signing_key::JwkSet,
        scans::ScanAnswer,
        offline::OfflineScanBody,
        crate::crypto::gate_bundle::GateBundle,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "meta", description = "This document"),
        (name = "staff", description = "Logging in, staff accounts, gates"),
        (name = "devices", description = "Gate devices: registered for one gate, revoked at once"),
        (name = "scans", description = "The crossing log"),
        (name = "offline", description = "Gates that keep working offline: bundles, late uploads, conflicts"),
        (name = "reports", description = "Daily counts and who is inside"),
        (name = "admin", description = "Administrators' look-ups: permits, their crossings, the audit trail"),
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

/// Declares the `bearer` scheme staff endpoints use.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
