//! Staff accounts, managed by administrators.

use actix_web::{patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Role, Staff};
use super::extract::ApiJson;
use super::problem::{ApiError, FieldError, Problem};
use super::AppState;
use crate::crypto::password::{check_new_password, PasswordHasher};
use crate::db::staff::{self, AddStaffError, StaffRow};
use crate::db::{gates, DbConnection};

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 3–32 characters: lower-case letters, digits, `.`, `_`, `-`.
    pub username: Option<String>,
    /// At least 12 characters.
    pub password: Option<String>,
    /// `officer` or `admin`.
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
    /// `officer` or `admin`.
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

/// Why an account could not be added.
#[derive(Debug, thiserror::Error)]
pub enum NewUserError {
    /// Fields that break a rule.
    #[error("invalid account")]
    Invalid(Vec<FieldError>),
    /// The username is taken.
    #[error("the username is taken")]
    Exists,
    /// Hashing or storage failed.
    #[error("{0}")]
    Failed(String),
}

/// A new account whose fields passed every rule.
#[derive(Debug)]
pub struct CheckedUser {
    username: String,
    password: String,
    role: Role,
    gate_id: Option<String>,
}

/// Checks a new account's fields (every problem at once) and that its gate exists.
/// Shared by `POST /api/v1/users` and `borderpass user add`.
pub fn check_new_user(
    conn: &mut DbConnection,
    user: &NewUser,
) -> Result<CheckedUser, NewUserError> {
    let mut errors = Vec::new();
    let username = user
        .username
        .as_deref()
        .map(|u| u.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let valid_name = (3..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if user.username.is_none() {
        errors.push(FieldError::new(
            "username",
            "required",
            "username is required",
        ));
    } else if !valid_name {
        errors.push(FieldError::new(
            "username",
            "invalid_value",
            "3 to 32 characters: letters, digits, '.', '_', '-'",
        ));
    }
    let password = user.password.clone().unwrap_or_default();
    match &user.password {
        None => errors.push(FieldError::new(
            "password",
            "required",
            "password is required",
        )),
        Some(p) => {
            if let Err(why) = check_new_password(p) {
                errors.push(FieldError::new("password", "invalid_length", why));
            }
        }
    }
    let role = user.role.as_deref().and_then(Role::parse);
    if role.is_none() {
        errors.push(FieldError::new(
            "role",
            if user.role.is_none() {
                "required"
            } else {
                "invalid_value"
            },
            "role is officer or admin",
        ));
    }
    let gate_id = user
        .gate_id
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned);
    match (role, &gate_id) {
        (Some(Role::Officer), None) => errors.push(FieldError::new(
            "gate_id",
            "required",
            "an officer is bound to one gate",
        )),
        (Some(Role::Admin), Some(_)) => errors.push(FieldError::new(
            "gate_id",
            "invalid_value",
            "an administrator has no gate",
        )),
        (_, Some(gate)) => {
            let known = gates::find(conn, gate).map_err(|e| NewUserError::Failed(e.to_string()))?;
            if known.is_none() {
                errors.push(FieldError::new(
                    "gate_id",
                    "unknown_gate",
                    "no gate has this id",
                ));
            }
        }
        _ => {}
    }
    match role {
        Some(role) if errors.is_empty() => Ok(CheckedUser {
            username,
            password,
            role,
            gate_id,
        }),
        _ => Err(NewUserError::Invalid(errors)),
    }
}

impl CheckedUser {
    /// Hashes the password (tens of milliseconds: call it off the async workers and off the writer).
    pub fn hash(
        self,
        hasher: &PasswordHasher,
        now: DateTime<Utc>,
    ) -> Result<StaffRow, NewUserError> {
        Ok(StaffRow {
            password_hash: hasher
                .hash(&self.password)
                .map_err(|e| NewUserError::Failed(e.to_string()))?,
            username: self.username,
            role: self.role.as_str().to_owned(),
            gate_id: self.gate_id,
            disabled: false,
            created_at: now.into(),
            updated_at: now.into(),
        })
    }
}

/// Stores a checked, hashed account.
pub fn store_new_user(conn: &mut DbConnection, row: StaffRow) -> Result<StaffRow, NewUserError> {
    staff::insert(conn, &row).map_err(|e| match e {
        AddStaffError::Exists => NewUserError::Exists,
        AddStaffError::Db(e) => NewUserError::Failed(e.to_string()),
    })?;
    Ok(row)
}

/// Create a staff account.
#[utoipa::path(post, path = "/api/v1/users", tag = "staff", request_body = NewUser,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Username taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every problem with the fields", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/api/v1/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    staff: Staff,
    body: ApiJson<NewUser>,
) -> Result<HttpResponse, ApiError> {
    staff.require_admin()?;
    let hasher = state.passwords.clone();
    let now = state.clock.now();
    let user = body.0;
    let as_api = |e: NewUserError| match e {
        NewUserError::Invalid(errors) => ApiError::Invalid(errors),
        NewUserError::Exists => ApiError::Conflict("This username is taken.".into()),
        NewUserError::Failed(e) => ApiError::Internal(e),
    };
    let checked = state
        .store
        .read(move |conn| Ok(check_new_user(conn, &user)))
        .await?
        .map_err(as_api)?;
    let row = web::block(move || checked.hash(&hasher, now))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(as_api)?;
    let row = state
        .store
        .write(move |conn| Ok(store_new_user(conn, row.clone())))
        .await?
        .map_err(as_api)?;
    tracing::info!(role = %row.role, "staff account created");
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
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Nothing to change", body = Problem, content_type = "application/problem+json"),
    ))]
#[patch("/api/v1/users/{username}")]
pub async fn update_user(
    state: web::Data<AppState>,
    staff: Staff,
    username: web::Path<String>,
    body: ApiJson<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    staff.require_admin()?;
    let disabled = body.0.disabled.ok_or_else(|| {
        ApiError::invalid(
            "disabled",
            "required",
            "disabled is required (true or false)",
        )
    })?;
    let username = username.into_inner().to_ascii_lowercase();
    if disabled && username == staff.username {
        return Err(ApiError::invalid(
            "disabled",
            "invalid_value",
            "an administrator cannot disable their own account",
        ));
    }
    let now = state.clock.now().naive_utc();
    let row = state
        .store
        .write(move |conn| Ok(staff::set_disabled(conn, &username, disabled, now)?))
        .await?;
    let row = row.ok_or(ApiError::NotFound)?;
    tracing::info!(disabled, "staff account changed");
    Ok(HttpResponse::Ok().json(UserView::from(row)))
}
