//! Staff accounts, managed by administrators.

use actix_web::{patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client::ClientAddress;
use super::extract::ApiJson;
use super::problem::{responses, ApiError, Problem};
use crate::app::staff as staff_use;
use crate::app::Core;
use crate::db::staff::StaffRow;
use crate::domain::audit::Actor;
use crate::domain::staff::{Admin, NewAccountInput};

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 2–64 characters: lower-case letters, digits, `.`, `_`, `-`.
    pub username: Option<String>,
    /// At least 12 characters.
    pub password: Option<String>,
    /// `officer`, `supervisor` or `admin`.
    pub role: Option<String>,
    /// The officer's gate (officers only).
    pub gate_id: Option<String>,
}

/// A change to an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Disable (tokens stop working at once) or enable again.
    pub disabled: Option<bool>,
}

/// An account, without its password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Username.
    pub username: String,
    /// `officer`, `supervisor` or `admin`.
    pub role: String,
    /// The officer's gate.
    pub gate_id: Option<String>,
    /// Whether disabled.
    pub disabled: bool,
    /// When made.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<StaffRow> for UserView {
    fn from(row: StaffRow) -> Self {
        Self {
            username: row.username,
            role: row.role,
            gate_id: row.gate_id,
            disabled: row.disabled,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

impl From<NewUser> for NewAccountInput {
    fn from(user: NewUser) -> Self {
        Self {
            username: user.username,
            password: user.password,
            role: user.role,
            gate_id: user.gate_id,
        }
    }
}

/// Create a staff account.
#[utoipa::path(post, path = "/api/v1/users", tag = "staff", request_body = NewUser,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UserView),
        responses::NotLoggedIn,
        responses::NotAdmin,
        (status = 409, description = "Username taken", body = Problem, content_type = "application/problem+json"),
        responses::BadBody,
    ))]
#[post("/api/v1/users")]
pub async fn create_user(
    core: web::Data<Core>,
    admin: Admin,
    client: ClientAddress,
    body: ApiJson<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let row =
        staff_use::create_account(&core, &Actor::staff(admin.staff(), client.0), body.0.into())
            .await?;
    let location = format!("/api/v1/users/{}", row.username);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .json(UserView::from(row)))
}

/// Disable or enable an account.
#[utoipa::path(patch, path = "/api/v1/users/{username}", tag = "staff", request_body = UserPatch,
    params(("username" = String, Path, description = "Username")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = UserView),
        responses::NotLoggedIn,
        responses::NotAdmin,
        responses::NotFound,
        (status = 409, description = "The last enabled administrator", body = Problem, content_type = "application/problem+json"),
        responses::BadBody,
    ))]
#[patch("/api/v1/users/{username}")]
pub async fn update_user(
    core: web::Data<Core>,
    admin: Admin,
    client: ClientAddress,
    username: web::Path<String>,
    body: ApiJson<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let row = staff_use::set_disabled(&core, &admin, client.0, &username, body.0.disabled).await?;
    Ok(HttpResponse::Ok().json(UserView::from(row)))
}

/// A new password set by an administrator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// 12 to 128 characters.
    pub new_password: Option<String>,
}

/// Set a new password for an account; its tokens stop working at once.
#[utoipa::path(post, path = "/api/v1/users/{username}/password", tag = "staff", request_body = PasswordReset,
    params(("username" = String, Path, description = "Username")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = UserView),
        responses::NotLoggedIn,
        responses::NotAdmin,
        responses::NotFound,
        responses::BadBody,
    ))]
#[post("/api/v1/users/{username}/password")]
pub async fn reset_password(
    core: web::Data<Core>,
    admin: Admin,
    client: ClientAddress,
    username: web::Path<String>,
    body: ApiJson<PasswordReset>,
) -> Result<HttpResponse, ApiError> {
    let row = staff_use::reset_password(
        &core,
        &admin,
        client.0,
        &username,
        body.0.new_password.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserView::from(row)))
}
