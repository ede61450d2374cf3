//! Staff authentication: login, bearer tokens, and the extractor that checks them on every request.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{post, web, FromRequest, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ApiJson;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::db::staff::{self, StaffAccess, StaffRow};

/// Failed logins one client address may make, as a multiple of the per-username limit.
pub const ADDRESS_ALLOWANCE: u32 = 4;

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Scans at one gate.
    Officer,
    /// Everything.
    Admin,
}

impl Role {
    /// `officer` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Officer => "officer",
            Self::Admin => "admin",
        }
    }

    /// Reads `officer` or `admin`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "officer" => Some(Self::Officer),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// An authenticated, enabled staff member, as the database says now.
#[derive(Debug, Clone)]
pub struct Staff {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// The officer's gate.
    pub gate_id: Option<String>,
}

impl Staff {
    /// The staff member whose account `row` is (read now), if it exists and is enabled.
    pub fn from_row(row: Option<StaffAccess>) -> Result<Self, ApiError> {
        match row {
            Some(row) if !row.disabled => Ok(Self {
                role: Role::parse(&row.role)
                    .ok_or_else(|| ApiError::Internal(format!("stored role {:?}", row.role)))?,
                username: row.username,
                gate_id: row.gate_id,
            }),
            _ => Err(ApiError::Unauthorized(
                "The account is disabled or gone.".into(),
            )),
        }
    }

    /// 403 unless an administrator.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Officer => Err(ApiError::Forbidden("This needs an administrator.".into())),
        }
    }

    /// 403 unless an administrator or an officer of `gate_id`.
    pub fn require_gate(&self, gate_id: &str) -> Result<(), ApiError> {
        match (self.role, self.gate_id.as_deref()) {
            (Role::Admin, _) => Ok(()),
            (Role::Officer, Some(own)) if own == gate_id => Ok(()),
            _ => Err(ApiError::Forbidden(
                "Officers scan at their own gate only.".into(),
            )),
        }
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// A valid, unexpired access token: who sent the request, before the account is checked.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Login name the token was issued to.
    pub username: String,
}

impl Signed {
    /// Checks the bearer token's signature and expiry (no database read).
    fn verify(state: &AppState, req: &HttpRequest) -> Result<Self, ApiError> {
        let token = bearer(req).ok_or_else(|| {
            ApiError::Unauthorized("Send Authorization: Bearer <access_token>.".into())
        })?;
        let key = state
            .keys
            .session_key()
            .ok_or_else(|| ApiError::Unavailable("staff key not loaded yet".into()))?;
        let claims = key.verify(&token, state.clock.now()).ok_or_else(|| {
            ApiError::Unauthorized("The access token is invalid or expired.".into())
        })?;
        Ok(Self {
            username: claims.sub,
        })
    }
}

/// Checks the bearer token and that its account exists and is enabled (every request: disabling is immediate).
pub async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<Staff, ApiError> {
    let username = Signed::verify(state, req)?.username;
    let row = state
        .store
        .read(move |conn| Ok(staff::access(conn, &username)?))
        .await?;
    Staff::from_row(row)
}

/// The app state a request handler runs with.
fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&*state_of(&req)?, &req).await })
    }
}

/// A handler that takes [`Signed`] checks the account itself, with [`Staff::from_row`], where it
/// reads the database anyway (the scan path: inside the write that logs the scan).
impl FromRequest for Signed {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(state_of(req).and_then(|state| Self::verify(&state, req)))
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
    ))]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { username, password } = body.0;
    let username = username.trim().to_ascii_lowercase();
    let client = req
        .peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
    // An address may be shared by a whole gate office behind one router: it gets a larger allowance.
    let max = state.config.login_max_failures;
    let throttle_keys = vec![
        (format!("user:{username}"), max),
        (
            format!("addr:{client}"),
            max.saturating_mul(ADDRESS_ALLOWANCE),
        ),
    ];
    let now = state.clock.now();

    let keys: Vec<String> = throttle_keys.iter().map(|(key, _)| key.clone()).collect();
    let blocked = state
        .store
        .read(move |conn| Ok(staff::blocked_until(conn, &keys, now.naive_utc())?))
        .await?;
    if let Some(until) = blocked {
        let retry = (until.and_utc() - now).num_seconds().max(1) as u64;
        return Err(ApiError::TooManyRequests {
            retry_after_secs: retry,
        });
    }

    let name = username.clone();
    let row: Option<StaffRow> = state
        .store
        .read(move |conn| Ok(staff::find(conn, &name)?))
        .await?;
    let hasher = state.passwords.clone();
    let stored = row
        .as_ref()
        .filter(|r| !r.disabled)
        .map(|r| r.password_hash.clone());
    // argon2 takes tens of milliseconds: never on an async worker.
    let ok = web::block(move || hasher.verify(&password, stored.as_deref()))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;

    if !ok {
        let window = state.config.login_block;
        state
            .store
            .write(move |conn| {
                Ok(staff::record_failure(
                    conn,
                    &throttle_keys,
                    now.naive_utc(),
                    window,
                )?)
            })
            .await?;
        tracing::info!("login failed");
        return Err(ApiError::Unauthorized(
            "Unknown username or wrong password.".into(),
        ));
    }
    let user_key = format!("user:{username}");
    state
        .store
        .write(move |conn| Ok(staff::clear_failures(conn, &user_key)?))
        .await?;
    let key = state
        .keys
        .session_key()
        .ok_or_else(|| ApiError::Unavailable("staff key not loaded yet".into()))?;
    let ttl = state.config.access_token_ttl.num_seconds();
    let access_token = key.issue(&username, now, ttl).map_err(ApiError::Internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(LoginResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ttl,
        }))
}
