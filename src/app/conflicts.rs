//! Conflicts between crossings: listed and resolved by administrators.

use std::net::IpAddr;

use crate::db::audit;
use crate::db::conflicts::{self, ConflictRow, Resolution};
use crate::domain::audit::{Action, Actor, Entry};
use crate::domain::staff::Admin;
use crate::domain::violation::{Violation, ViolationCode};

use super::{Conflict, Core, Error};

/// Longest note of a resolution.
pub const MAX_NOTE_CHARS: usize = 1000;

/// Conflicts with `status` (`open`, `resolved`; all when absent), oldest first.
pub async fn list(
    core: &Core,
    _admin: &Admin,
    status: Option<&str>,
) -> Result<Vec<ConflictRow>, Error> {
    let status = match status.map(str::trim) {
        None | Some("") => None,
        Some(s @ ("open" | "resolved")) => Some(s.to_owned()),
        Some(_) => {
            return Err(Error::Invalid(vec![Violation::new(
                "status",
                ViolationCode::InvalidValue,
                "status is open or resolved",
            )]))
        }
    };
    Ok(core
        .store
        .read(move |conn| Ok(conflicts::list(conn, status.as_deref())?))
        .await?)
}

/// Resolves an open conflict with a note (1 to 1000 characters); 409 if it was resolved before.
pub async fn resolve(
    core: &Core,
    admin: &Admin,
    client: IpAddr,
    id: &str,
    note: Option<&str>,
) -> Result<ConflictRow, Error> {
    let id = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| Error::NotFound)?
        .hyphenated()
        .to_string();
    let note = match note.map(str::trim) {
        None | Some("") => {
            return Err(Error::Invalid(vec![Violation::new(
                "note",
                ViolationCode::Required,
                "say how the conflict was settled",
            )]))
        }
        Some(n)
            if n.chars().count() > MAX_NOTE_CHARS
                || n.chars().any(|c| c.is_control() && c != '\n') =>
        {
            return Err(Error::Invalid(vec![Violation::new(
                "note",
                ViolationCode::InvalidLength,
                format!(
                    "a note has 1 to {MAX_NOTE_CHARS} characters, none of them control characters"
                ),
            )]))
        }
        Some(n) => n.to_owned(),
    };
    let by = admin.staff().username.to_string();
    let now = core.clock.now();
    let actor = Actor::staff(admin.staff(), client);
    let outcome = core
        .store
        .write(move |conn| {
            let outcome = conflicts::resolve(conn, &id, &by, &note, now)?;
            if let Resolution::Resolved(row) = &outcome {
                let detail = serde_json::json!({
                    "kind": row.kind,
                    "permit_id": row.permit_id,
                    "scan_id": row.scan_id,
                    "note": note,
                });
                let entry = Entry::new(&actor, Action::ConflictResolved, &row.id, detail);
                audit::append(conn, &entry, now)?;
            }
            Ok(outcome)
        })
        .await?;
    match outcome {
        Resolution::Resolved(row) => {
            tracing::info!(conflict_id = %row.id, kind = %row.kind, "conflict resolved");
            Ok(row)
        }
        Resolution::AlreadyResolved(_) => Err(Conflict::ConflictResolved.into()),
        Resolution::NotFound => Err(Error::NotFound),
    }
}
