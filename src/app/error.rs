//! Why a use case refused or failed, in the zone's terms; the API and the pages each say it their way.

use crate::db::StoreError;
use crate::domain::staff::Refusal;
use crate::domain::violation::Violation;
#[cfg(test)]
use crate::telemetry::Chain;

/// The error a fault came from, kept whole so its chain reaches the log.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Something the request conflicts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// The document holds a permit for overlapping dates.
    #[error("This document already holds a permit for overlapping dates.")]
    OverlappingPermit,
    /// The permit was revoked before.
    #[error("This permit was revoked before.")]
    AlreadyRevoked,
    /// The username is taken.
    #[error("This username is taken.")]
    UsernameTaken,
    /// A gate has this id.
    #[error("A gate with this id exists.")]
    GateTaken,
    /// The change would leave no enabled administrator.
    #[error("This is the last enabled administrator: enable or create another first.")]
    LastAdmin,
    /// The scan's nonce was used for a different scan.
    #[error("This nonce was already used for a different scan.")]
    NonceReused,
    /// The conflict was resolved before (by an administrator, or explained by a later upload).
    #[error("This conflict was resolved before.")]
    ConflictResolved,
}

/// Why the caller is not known as staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unauthenticated {
    /// No bearer token was sent.
    #[error("Send Authorization: Bearer <access_token>.")]
    NoToken,
    /// The token does not verify or has expired.
    #[error("The access token is invalid or expired.")]
    InvalidToken,
    /// The token's account is disabled or gone.
    #[error("The account is disabled or gone.")]
    AccountGone,
    /// Login refused: the same answer for an unknown user and a wrong password.
    #[error("Unknown username or wrong password.")]
    BadCredentials,
}

/// Every way a use case can end without its result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks one or more rules: every one found.
    #[error("invalid input ({} problems)", .0.len())]
    Invalid(Vec<Violation>),
    /// Nothing there, or nothing the caller may see (the two look alike).
    #[error("not found")]
    NotFound,
    /// The request conflicts with what is stored.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The caller is not known as staff.
    #[error(transparent)]
    Unauthenticated(#[from] Unauthenticated),
    /// Known, but not allowed.
    #[error(transparent)]
    Forbidden(#[from] Refusal),
    /// Too many attempts; a retry may succeed after this many seconds.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    Throttled {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// The service is at its bound for this kind of work; a retry may succeed after this many
    /// seconds.
    #[error("busy; retry in {retry_after_secs} s")]
    Busy {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// The database (or what the service needs from it) cannot be had now; nothing was stored.
    #[error("service unavailable")]
    Unavailable(#[source] Cause),
    /// A fault of ours.
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl Error {
    /// An internal fault caused by `cause`.
    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::Internal(cause.into())
    }
}

impl From<Vec<Violation>> for Error {
    fn from(violations: Vec<Violation>) -> Self {
        Self::Invalid(violations)
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        match error {
            // Not stored: the client may send it again (scans carry a nonce, so a retry is safe).
            StoreError::Unavailable(_) | StoreError::Writer(_) => Self::Unavailable(error.into()),
            // The server went away mid-request.
            StoreError::Query(
                Diesel::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
                | Diesel::BrokenTransactionManager,
            ) => Self::Unavailable(error.into()),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        StoreError::Query(error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_chain_names_every_cause() {
        let error = Error::internal(Outer(std::io::Error::other("disk gone")));
        assert_eq!(
            Chain(&error).to_string(),
            "internal error: outer: disk gone"
        );
    }

    #[test]
    fn a_lost_connection_is_unavailable_and_a_bad_query_internal() {
        let pool = crate::db::engine::BatchFailure::Stopped.into_store_error();
        assert!(matches!(Error::from(pool), Error::Unavailable(_)));
        let query = StoreError::Query(diesel::result::Error::NotFound);
        assert!(matches!(Error::from(query), Error::Internal(_)));
    }
}
