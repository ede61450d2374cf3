//! Staff on the API: the extractors that say who sent a request, and logging in.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{post, web, FromRequest, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ApiJson;
use super::problem::{responses, ApiError, Problem};
use crate::app::staff::{self as staff_use, StaffIdentity};
use crate::app::Core;
use crate::domain::staff::{Admin, Credentials, Staff};

/// The bearer token of `Authorization: Bearer <token>`, if one was sent.
fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The core a request handler runs with.
pub fn core_of(req: &HttpRequest) -> Result<web::Data<Core>, ApiError> {
    req.app_data::<web::Data<Core>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("the service's core is missing from the app"))
}

/// Any enabled staff member, as the database says now (disabling is immediate).
impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let core = core_of(&req)?;
            Ok(staff_use::authenticate(&core, bearer(&req).as_deref()).await?)
        })
    }
}

/// An enabled administrator: 403 for other staff.
impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = Staff::from_request(req, payload);
        Box::pin(async move { Ok(staff.await?.into_admin().map_err(crate::app::Error::from)?) })
    }
}

/// Gate staff whose token verified; their account and gate are checked where the scan is written
/// (one read fewer per scan).
impl FromRequest for StaffIdentity {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            core_of(req).and_then(|core| Ok(staff_use::identify(&core, bearer(req).as_deref())?)),
        )
    }
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

/// An access token.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Log in: an unknown user and a wrong password answer alike; repeated failures answer 429 for a while.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "staff", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Unknown user or wrong password (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures for this username or client; see Retry-After", body = Problem, content_type = "application/problem+json"),
        responses::BadBody,
    ))]
#[post("/api/v1/auth/login")]
pub async fn login(
    core: web::Data<Core>,
    req: HttpRequest,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { username, password } = body.0;
    let credentials = Credentials::parse(Some(&username), Some(&password))?;
    let client = req
        .peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
    let token = staff_use::login(&core, credentials, &client).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(LoginResponse {
            access_token: token.token,
            token_type: "Bearer",
            expires_in: token.expires_in,
        }))
}
