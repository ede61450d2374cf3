//! Staff on the API: the extractors that say who sent a request, and logging in.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client::ClientAddress;
use super::extract::ApiJson;
use super::problem::{responses, ApiError, Problem};
use crate::app::devices::{self as device_use, GateCaller};
use crate::app::staff::{self as staff_use, StaffIdentity};
use crate::app::{self, Core, Unauthenticated};
use crate::domain::staff::{Admin, Credentials, Refusal, Staff};

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

/// A staff credential that did not verify: a device token sent where only staff may act is
/// known, but not allowed (403); anything else is not known (401).
async fn not_staff(core: &Core, bearer: Option<&str>, error: app::Error) -> ApiError {
    match (&error, bearer) {
        (app::Error::Unauthenticated(Unauthenticated::InvalidToken), Some(token))
            if device_use::is_device(core, token).await =>
        {
            app::Error::Forbidden(Refusal::DeviceOnly).into()
        }
        _ => error.into(),
    }
}

/// Any enabled staff member, as the database says now (disabling is immediate).
impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let core = core_of(&req)?;
            let token = bearer(&req);
            match staff_use::authenticate(&core, token.as_deref()).await {
                Ok(staff) => Ok(staff),
                Err(e) => Err(not_staff(&core, token.as_deref(), e).await),
            }
        })
    }
}

/// A device of a gate (by its device token) or an enabled staff member.
impl FromRequest for GateCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let token = bearer(req);
        if token
            .as_deref()
            .is_some_and(device_use::looks_like_device_token)
        {
            let req = req.clone();
            return Box::pin(async move {
                let core = core_of(&req)?;
                Ok(GateCaller::Device(
                    device_use::authenticate(&core, token.as_deref()).await?,
                ))
            });
        }
        let staff = Staff::from_request(req, payload);
        Box::pin(async move { Ok(GateCaller::Staff(staff.await?)) })
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
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let core = core_of(&req)?;
            let token = bearer(&req);
            match staff_use::identify(&core, token.as_deref()) {
                Ok(identity) => Ok(identity),
                Err(e) => Err(not_staff(&core, token.as_deref(), e).await),
            }
        })
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
    client: ClientAddress,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { username, password } = body.0;
    let credentials = Credentials::parse(Some(&username), Some(&password))?;
    let token = staff_use::login(&core, credentials, client.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(LoginResponse {
            access_token: token.token,
            token_type: "Bearer",
            expires_in: token.expires_in,
        }))
}

/// End every access token of the caller's account, on every device.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "staff", security(("bearer" = [])),
    responses((status = 204, description = "Logged out everywhere"), responses::NotLoggedIn))]
#[post("/api/v1/auth/logout")]
pub async fn logout(core: web::Data<Core>, staff: Staff) -> Result<HttpResponse, ApiError> {
    staff_use::logout(&core, &staff).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A staff member's new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use now.
    pub current_password: Option<String>,
    /// 12 to 128 characters.
    pub new_password: Option<String>,
}

/// Change one's own password: every older token stops working; the answer is a fresh one.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "staff", request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed; a fresh access token", body = LoginResponse),
        responses::NotLoggedIn,
        (status = 429, description = "Too many wrong current passwords; see Retry-After", body = Problem, content_type = "application/problem+json"),
        responses::BadBody,
    ))]
#[post("/api/v1/auth/password")]
pub async fn change_password(
    core: web::Data<Core>,
    staff: Staff,
    client: ClientAddress,
    body: ApiJson<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.0;
    let token = staff_use::change_password(
        &core,
        &staff,
        current_password.as_deref(),
        new_password.as_deref(),
        client.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        access_token: token.token,
        token_type: "Bearer",
        expires_in: token.expires_in,
    }))
}

/// A login block in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginBlockView {
    /// The account blocked at `client`; absent for a block of the whole client address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The client address.
    pub client: String,
    /// Failed attempts counted.
    pub attempts: i32,
    /// When the block ends.
    pub blocked_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// The login blocks in force now.
#[utoipa::path(get, path = "/api/v1/auth/blocks", tag = "staff", security(("bearer" = [])),
    responses((status = 200, description = "Blocks in force, longest first", body = [LoginBlockView]),
              responses::NotLoggedIn, responses::NotAdmin))]
#[get("/api/v1/auth/blocks")]
pub async fn list_blocks(core: web::Data<Core>, admin: Admin) -> Result<HttpResponse, ApiError> {
    let blocks = staff_use::blocks(&core, &admin).await?;
    Ok(HttpResponse::Ok().json(
        blocks
            .into_iter()
            .map(|b| LoginBlockView {
                username: b.username,
                client: b.client,
                attempts: b.attempts,
                blocked_until: b.blocked_until.map(|t| t.and_utc()),
            })
            .collect::<Vec<_>>(),
    ))
}

/// Which blocks to lift.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiftBlock {
    /// An account: its blocks at every client.
    pub username: Option<String>,
    /// A client address: its own block and every account's there.
    pub client: Option<String>,
}

/// How many counts a lift forgot.
#[derive(Debug, Serialize, ToSchema)]
pub struct Lifted {
    /// Throttle counts forgotten.
    pub lifted: usize,
}

/// Lift login blocks (an account's, a client address's, or both).
#[utoipa::path(post, path = "/api/v1/auth/blocks/lift", tag = "staff", request_body = LiftBlock,
    security(("bearer" = [])),
    responses((status = 200, description = "Lifted", body = Lifted),
              responses::NotLoggedIn, responses::NotAdmin, responses::BadBody))]
#[post("/api/v1/auth/blocks/lift")]
pub async fn lift_block(
    core: web::Data<Core>,
    admin: Admin,
    from: ClientAddress,
    body: ApiJson<LiftBlock>,
) -> Result<HttpResponse, ApiError> {
    let LiftBlock { username, client } = body.0;
    let lifted = staff_use::lift_block(
        &core,
        &admin,
        from.0,
        username.as_deref(),
        client.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Lifted { lifted }))
}
