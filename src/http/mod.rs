//! The HTTP interface: routes, extractors, problem answers and the server itself.

pub mod auth;
pub mod extract;
pub mod gates;
pub mod health;
pub mod keys;
pub mod openapi;
pub mod permits;
pub mod problem;
pub mod scans;
mod server;
pub mod stats;
pub mod users;

use std::sync::Arc;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpResponse};

pub use server::{Application, StartError};

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::keyring::KeyRing;
use crate::crypto::password::PasswordHasher;
use crate::db::gates::GateRow;
use crate::db::Store;
use problem::{problem_for_status, ApiError, PROBLEM_JSON};

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState {
    /// Checked configuration.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// The source of now.
    pub clock: Arc<dyn Clock>,
    /// Opened signing keys.
    pub keys: Arc<KeyRing>,
    /// Permit tokens whose signature has been checked.
    pub verified_tokens: crate::crypto::permit_token::VerifiedTokens,
    /// Staff password hashing.
    pub passwords: PasswordHasher,
    /// Gates seen so far. A gate never changes or goes away once added, so a cached one is
    /// always right; an unknown id is looked up in the database (another instance may have added it).
    pub gates: std::sync::RwLock<std::collections::HashMap<String, GateRow>>,
}

impl AppState {
    /// The gate `id`, from the cache or the database.
    pub async fn gate(&self, id: &str) -> Result<Option<GateRow>, ApiError> {
        if let Some(gate) = self.gates.read().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(Some(gate.clone()));
        }
        let key = id.to_owned();
        let gate = self
            .store
            .read(move |conn| Ok(crate::db::gates::find(conn, &key)?))
            .await?;
        if let Some(gate) = &gate {
            self.gates
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(gate.id.clone(), gate.clone());
        }
        Ok(gate)
    }

    /// Today's date in the zone's calendar.
    pub fn zone_today(&self) -> chrono::NaiveDate {
        self.clock
            .now()
            .with_timezone(&self.config.zone_tz)
            .date_naive()
    }
}

/// Registers every route of the service.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(openapi::openapi_json)
        .service(keys::jwks)
        .service(permits::apply)
        .service(permits::get_permit)
        .service(permits::qr_png)
        .service(permits::qr_svg)
        .service(permits::revoke)
        .service(auth::login)
        .service(users::create_user)
        .service(users::update_user)
        .service(gates::list_gates)
        .service(gates::create_gate)
        .service(scans::record_scan)
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
        let is_problem = res
            .response()
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
        if is_problem {
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
