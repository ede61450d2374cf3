//! What a page says when a use case refuses or fails as a whole: the status, and the reader's text.

use actix_web::http::StatusCode;

use super::i18n::{msg, Tr};
use crate::app::{Conflict, Error};
use crate::telemetry::Chain;

/// A refusal shown at the top of a page, in an element with `role="alert"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The answer's status.
    pub status: StatusCode,
    /// What the reader is told.
    pub text: String,
    /// Seconds to wait before trying again, when a retry may succeed.
    pub retry_after_secs: Option<u64>,
}

impl Alert {
    /// An alert with message `id` and `status`.
    pub fn new(tr: &Tr, status: StatusCode, id: &str) -> Self {
        Self {
            status,
            text: tr.t(id),
            retry_after_secs: None,
        }
    }

    /// What to tell the reader about `error`; faults are logged with their cause, never shown.
    /// `not_found` names the message for an unknown resource on this page.
    pub fn of(tr: &Tr, error: &Error, not_found: &str) -> Self {
        let (status, id, retry) = match error {
            Error::Invalid(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                msg("problem-invalid-input"),
                None,
            ),
            Error::NotFound => (StatusCode::NOT_FOUND, not_found, None),
            Error::Conflict(Conflict::OverlappingPermit) => (
                StatusCode::CONFLICT,
                msg("problem-overlapping-permit"),
                None,
            ),
            Error::Conflict(_) => (StatusCode::CONFLICT, msg("problem-conflict"), None),
            Error::Unauthenticated(_) => {
                (StatusCode::UNAUTHORIZED, msg("problem-unauthorized"), None)
            }
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, msg("problem-forbidden"), None),
            Error::Throttled { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                msg("problem-too-many-requests"),
                Some(*retry_after_secs),
            ),
            Error::Busy { retry_after_secs } => (
                StatusCode::SERVICE_UNAVAILABLE,
                msg("problem-busy"),
                Some(*retry_after_secs),
            ),
            Error::Unavailable(cause) => {
                tracing::warn!(cause = %Chain(&**cause), "service unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    msg("problem-unavailable"),
                    None,
                )
            }
            Error::Internal(cause) => {
                tracing::error!(cause = %Chain(&**cause), "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    msg("problem-internal"),
                    None,
                )
            }
        };
        let mut text = tr.t(id);
        if let Some(seconds) = retry {
            text.push(' ');
            text.push_str(&tr.t_with("retry-after", &[("seconds", seconds.into())]));
        }
        Self {
            status,
            text,
            retry_after_secs: retry,
        }
    }
}
