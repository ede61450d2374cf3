//! The JSON API: requests turned into use-case input, results into answers; and the server itself.

pub mod admin;
pub mod auth;
pub mod client;
pub mod conflicts;
pub mod devices;
pub mod extract;
pub mod gates;
pub mod health;
pub mod keys;
pub mod metrics;
pub mod offline;
pub mod openapi;
pub mod permits;
pub mod problem;
pub mod scans;
mod server;
pub mod stats;
pub mod tls;
pub mod users;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpResponse};

pub use server::{Server, StartError};

use problem::{problem_for_status, ApiError, PROBLEM_JSON};

/// Registers every route of the service.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(openapi::openapi_json)
        .service(keys::jwks)
        .service(admin::search_permits)
        .service(admin::permit_scans)
        .service(admin::list_users)
        .service(admin::audit)
        .service(permits::apply)
        .service(permits::get_permit)
        .service(permits::qr_png)
        .service(permits::qr_svg)
        .service(permits::revoke)
        .service(auth::login)
        .service(auth::logout)
        .service(auth::change_password)
        .service(auth::list_blocks)
        .service(auth::lift_block)
        .service(users::reset_password)
        .service(users::create_user)
        .service(users::update_user)
        .service(devices::create_device)
        .service(devices::list_devices)
        .service(devices::revoke_device)
        .service(gates::list_gates)
        .service(gates::create_gate)
        .service(offline::upload_batch)
        .service(scans::record_scan)
        .service(offline::gate_bundle)
        .service(conflicts::list_conflicts)
        .service(conflicts::resolve_conflict)
        .service(stats::daily)
        .service(stats::occupancy);
}

/// Unknown paths answer a 404 problem.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// Turns any error answer that is not already a problem (framework defaults such as 405) into one.
pub fn problem_safety_net<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let content_type = res.response().headers().get(header::CONTENT_TYPE);
        let is_problem =
            content_type.is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
        // Pages answer their own refusals in HTML, in the reader's language.
        let is_page = content_type.is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        if is_problem || is_page {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let (req, old) = res.into_parts();
        let mut new = HttpResponse::build(status).json(problem_for_status(status));
        for (name, value) in old.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                new.headers_mut().insert(name.clone(), value.clone());
            }
        }
        new.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        let res: ServiceResponse<EitherBody<B, BoxBody>> =
            ServiceResponse::new(req, new).map_into_right_body();
        Ok(ErrorHandlerResponse::Response(res))
    })
}
