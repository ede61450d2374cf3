//! RFC 9457 problem details: the one error type of the API.

use actix_web::body::BoxBody;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::{self, Cause, Chain};
use crate::domain::violation::{Violation, ViolationCode};

/// Media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `document.number`.
    pub field: String,
    /// Stable machine-readable code, e.g. `invalid_check_digit` (listed in `docs/errors.md`).
    #[schema(value_type = String)]
    pub code: ViolationCode,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, code: ViolationCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

impl From<Violation> for FieldError {
    fn from(v: Violation) -> Self {
        Self::new(v.field, v.code, v.message)
    }
}

/// The body of every error answer (`application/problem+json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Every problem found in the input (validation errors only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Every way a request can fail, each with its status and problem type.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON at all.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// A query or header is not understood (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Well-formed input that breaks one or more rules.
    #[error("invalid input ({} problems)", .0.len())]
    Invalid(Vec<FieldError>),
    /// The body did not arrive in time.
    #[error("request body timed out")]
    BodyTimeout,
    /// The body exceeds the limit.
    #[error("request body over {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not `application/json`.
    #[error("unsupported content type")]
    UnsupportedMediaType,
    /// Nothing here (or not for you to see).
    #[error("not found")]
    NotFound,
    /// The method is not served on this path.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Missing or invalid credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// Authenticated but not allowed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request conflicts with what is stored.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Too many attempts; try again later.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// At a bound for this kind of work (503 with `Retry-After`).
    #[error("busy")]
    Busy {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// The database (or what the service needs from it) cannot be had now.
    #[error("service unavailable")]
    Unavailable(#[source] Cause),
    /// A fault of ours; the cause goes to the log only.
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl ApiError {
    /// One field problem as a 422.
    pub fn invalid(
        field: impl Into<String>,
        code: ViolationCode,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }

    /// A fault of ours caused by `cause`.
    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::Internal(cause.into())
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::MalformedJson(_) => ("malformed-json", "Malformed JSON"),
            Self::BadRequest(_) => ("bad-request", "Bad request"),
            Self::Invalid(_) => ("invalid-input", "Invalid input"),
            Self::BodyTimeout => ("body-timeout", "Request body too slow"),
            Self::PayloadTooLarge { .. } => ("payload-too-large", "Request body too large"),
            Self::UnsupportedMediaType => ("unsupported-media-type", "Unsupported media type"),
            Self::NotFound => ("not-found", "Not found"),
            Self::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            Self::Unauthorized(_) => ("unauthorized", "Unauthorized"),
            Self::Forbidden(_) => ("forbidden", "Forbidden"),
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::Busy { .. } => ("busy", "Service busy"),
            Self::Unavailable(_) => ("unavailable", "Service unavailable"),
            Self::Internal(_) => ("internal", "Internal server error"),
        }
    }

    /// The problem body, with nothing internal in it.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let detail = match self {
            Self::MalformedJson(why) => format!("The request body is not valid JSON: {why}"),
            Self::BadRequest(why)
            | Self::Conflict(why)
            | Self::Forbidden(why)
            | Self::Unauthorized(why) => why.clone(),
            Self::Invalid(errors) if errors.len() == 1 => "The request has 1 invalid field.".into(),
            Self::Invalid(errors) => format!("The request has {} invalid fields.", errors.len()),
            Self::BodyTimeout => "The request body did not arrive in time.".into(),
            Self::PayloadTooLarge { limit } => {
                format!("The request body is larger than {limit} bytes.")
            }
            Self::UnsupportedMediaType => "Send the body as application/json.".into(),
            Self::NotFound => "Nothing is found at this address.".into(),
            Self::MethodNotAllowed => "This method is not served at this address.".into(),
            Self::TooManyRequests { retry_after_secs } => {
                format!("Too many attempts; try again in {retry_after_secs} seconds.")
            }
            Self::Busy { retry_after_secs } => {
                format!("The service is busy; try again in {retry_after_secs} seconds.")
            }
            Self::Unavailable(_) => "The service cannot answer this now; try again shortly.".into(),
            Self::Internal(_) => "An internal error occurred; it has been logged.".into(),
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail,
            errors: match self {
                Self::Invalid(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

/// A problem answer for `status` when no more is known (the safety net for framework errors).
pub fn problem_for_status(status: StatusCode) -> Problem {
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit: 0 },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        StatusCode::UNAUTHORIZED => {
            ApiError::Unauthorized("Missing or invalid credentials.".into())
        }
        StatusCode::FORBIDDEN => ApiError::Forbidden("Not allowed.".into()),
        StatusCode::SERVICE_UNAVAILABLE => ApiError::Unavailable("framework answer".into()),
        s if s.is_server_error() => ApiError::internal("framework answer"),
        _ => ApiError::BadRequest("The request could not be understood.".into()),
    };
    let mut problem = error.problem();
    problem.status = status.as_u16();
    if let ApiError::PayloadTooLarge { .. } = error {
        problem.detail = "The request body is too large.".into();
    }
    problem
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy { .. } | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match self {
            Self::Internal(cause) => tracing::error!(cause = %Chain(&**cause), "request failed"),
            Self::Unavailable(cause) => {
                tracing::warn!(cause = %Chain(&**cause), "service unavailable")
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Self::TooManyRequests { retry_after_secs } | Self::Busy { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let Self::Unauthorized(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(self.problem())
    }
}

impl From<Vec<Violation>> for ApiError {
    /// Every broken rule the domain found, as one 422.
    fn from(violations: Vec<Violation>) -> Self {
        Self::Invalid(violations.into_iter().map(FieldError::from).collect())
    }
}

impl From<app::Error> for ApiError {
    fn from(error: app::Error) -> Self {
        use app::Error as E;
        match error {
            E::Invalid(violations) => violations.into(),
            E::NotFound => Self::NotFound,
            E::Conflict(conflict) => Self::Conflict(conflict.to_string()),
            E::Unauthenticated(why) => Self::Unauthorized(why.to_string()),
            E::Forbidden(refusal) => Self::Forbidden(refusal.to_string()),
            E::Throttled { retry_after_secs } => Self::TooManyRequests { retry_after_secs },
            E::Busy { retry_after_secs } => Self::Busy { retry_after_secs },
            E::Unavailable(cause) => Self::Unavailable(cause),
            E::Internal(cause) => Self::Internal(cause),
        }
    }
}

/// The problem answers many operations share, for their OpenAPI annotations.
pub mod responses {
    use utoipa::IntoResponses;

    use super::Problem;

    /// 401: the caller is not logged in.
    #[derive(IntoResponses)]
    #[response(
        status = 401,
        description = "Not logged in, or the token is invalid, expired or its account disabled",
        content_type = "application/problem+json"
    )]
    pub struct NotLoggedIn(#[to_schema] pub Problem);

    /// 403: logged in, but not an administrator.
    #[derive(IntoResponses)]
    #[response(
        status = 403,
        description = "Not an administrator",
        content_type = "application/problem+json"
    )]
    pub struct NotAdmin(#[to_schema] pub Problem);

    /// The answers to a JSON body that cannot be taken.
    #[derive(IntoResponses)]
    pub enum BadBody {
        /// 400.
        #[response(
            status = 400,
            description = "The body is not JSON",
            content_type = "application/problem+json"
        )]
        Malformed(#[to_schema] Problem),
        /// 413.
        #[response(
            status = 413,
            description = "The body is over the limit",
            content_type = "application/problem+json"
        )]
        TooLarge(#[to_schema] Problem),
        /// 415.
        #[response(
            status = 415,
            description = "The body is not application/json",
            content_type = "application/problem+json"
        )]
        NotJson(#[to_schema] Problem),
        /// 422.
        #[response(
            status = 422,
            description = "Every problem with the fields",
            content_type = "application/problem+json"
        )]
        Invalid(#[to_schema] Problem),
    }

    /// 404: nothing there, or nothing the caller may see.
    #[derive(IntoResponses)]
    #[response(
        status = 404,
        description = "Not found (or not for the caller to see)",
        content_type = "application/problem+json"
    )]
    pub struct NotFound(#[to_schema] pub Problem);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_say_nothing_internal() {
        let problem = ApiError::internal("password=hunter2 at db.rs:12").problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("hunter2"));
    }

    #[test]
    fn invalid_lists_every_field() {
        let error = ApiError::Invalid(vec![
            FieldError::new("a", ViolationCode::Required, "m"),
            FieldError::new("b", ViolationCode::InvalidValue, "n"),
        ]);
        let problem = error.problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors.len(), 2);
        assert_eq!(problem.kind, "/problems/invalid-input");
    }
}
