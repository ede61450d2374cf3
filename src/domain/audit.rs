//! The audit trail's vocabulary: who acted, and what they did. Entries are appended by the use
//! cases, in the transaction of the action they record (`db::audit`).

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::staff::Staff;
use super::violation::{Violation, ViolationCode, Violations};

/// What staff did. The names are the contract's (`user.created`, ...), and some the service adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A staff account was created.
    UserCreated,
    /// A staff account was disabled (its tokens stopped working).
    UserDisabled,
    /// A staff account was enabled again.
    UserEnabled,
    /// An administrator set a new password for an account.
    UserPasswordReset,
    /// An administrator lifted login blocks.
    LoginBlockLifted,
    /// A permit was revoked.
    PermitRevoked,
    /// A signing key (permit, bundle or staff-token) was rotated.
    KeyRotated,
    /// Every stored key was sealed again under a new key-encryption key.
    KeysResealed,
    /// A gate was added.
    GateCreated,
    /// A gate device was registered.
    DeviceCreated,
    /// A gate device was revoked.
    DeviceRevoked,
    /// An administrator resolved a conflict.
    ConflictResolved,
    /// A supervisor or administrator admitted a scan the rules deny.
    ScanOverridden,
}

impl Action {
    /// Every action, in the order the documentation lists them.
    pub const ALL: [Action; 13] = [
        Action::UserCreated,
        Action::UserDisabled,
        Action::UserEnabled,
        Action::UserPasswordReset,
        Action::LoginBlockLifted,
        Action::PermitRevoked,
        Action::KeyRotated,
        Action::KeysResealed,
        Action::GateCreated,
        Action::DeviceCreated,
        Action::DeviceRevoked,
        Action::ConflictResolved,
        Action::ScanOverridden,
    ];

    /// The action's name in the trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::UserCreated => "user.created",
            Action::UserDisabled => "user.disabled",
            Action::UserEnabled => "user.enabled",
            Action::UserPasswordReset => "user.password_reset",
            Action::LoginBlockLifted => "login_block.lifted",
            Action::PermitRevoked => "permit.revoked",
            Action::KeyRotated => "key.rotated",
            Action::KeysResealed => "keys.resealed",
            Action::GateCreated => "gate.created",
            Action::DeviceCreated => "device.created",
            Action::DeviceRevoked => "device.revoked",
            Action::ConflictResolved => "conflict.resolved",
            Action::ScanOverridden => "scan.overridden",
        }
    }

    /// The action named `raw`.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The actor the command line's actions are recorded under.
pub const COMMAND_LINE: &str = "cli";

/// Who did something, and from which address (none for the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    name: String,
    client: Option<IpAddr>,
}

impl Actor {
    /// A staff member acting through the API or a page from `client`.
    pub fn staff(staff: &Staff, client: IpAddr) -> Self {
        Self {
            name: staff.username.to_string(),
            client: Some(client),
        }
    }

    /// The staff member `username` (a scan's officer) from `client`.
    pub fn named(username: &str, client: Option<IpAddr>) -> Self {
        Self {
            name: username.to_owned(),
            client,
        }
    }

    /// The command line (`borderpass user add`, `keys rotate`, ...), run on the service's host.
    pub fn command_line() -> Self {
        Self {
            name: COMMAND_LINE.to_owned(),
            client: None,
        }
    }

    /// The actor's name in the trail: a username, or `cli`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address the action came from.
    pub fn client(&self) -> Option<IpAddr> {
        self.client
    }
}

/// One action to append: what was done to what, with its particulars (a JSON object).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: Action,
    /// To what: a username, permit id, key id, gate id, device id, conflict id or scan id.
    pub target: Option<String>,
    /// The particulars (never a password, token or access code).
    pub detail: serde_json::Value,
}

impl Entry {
    /// `actor` did `action` to `target`, with `detail`.
    pub fn new(
        actor: &Actor,
        action: Action,
        target: impl Into<String>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            actor: actor.clone(),
            action,
            target: Some(target.into()),
            detail,
        }
    }
}

/// Which entries of the trail to read, as typed.
#[derive(Debug, Clone, Default)]
pub struct TrailQuery {
    /// An instant (RFC 3339) or a date (the zone's calendar): entries from then on.
    pub from: Option<String>,
    /// An instant, or a date (that whole day, in the zone's calendar): entries up to then.
    pub to: Option<String>,
    /// Only this actor's (a username, or `cli`).
    pub actor: Option<String>,
    /// Only this action (`user.created`, ...).
    pub action: Option<String>,
}

/// Which entries of the trail to read, checked: every bound an instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrailFilter {
    /// From this instant on.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub before: Option<DateTime<Utc>>,
    /// By this actor.
    pub actor: Option<String>,
    /// This action.
    pub action: Option<Action>,
}

impl TrailFilter {
    /// The filter `query` asks for, dates read in the calendar of `tz`; every problem found.
    pub fn parse(query: &TrailQuery, tz: chrono_tz::Tz) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        let from = bound(&mut p, "from", query.from.as_deref(), tz, false);
        let before = bound(&mut p, "to", query.to.as_deref(), tz, true);
        if let (Some(from), Some(before)) = (from, before) {
            if before <= from {
                p.push("to", ViolationCode::InvalidRange, "to is before from");
            }
        }
        let action = match query.action.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => {
                let action = Action::parse(raw);
                if action.is_none() {
                    p.push(
                        "action",
                        ViolationCode::InvalidValue,
                        "action is one of the trail's actions (docs/admin.md)",
                    );
                }
                action
            }
        };
        let actor = query
            .actor
            .as_deref()
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty());
        p.finish(|| Self {
            from,
            before,
            actor,
            action,
        })
    }
}

/// The instant bound `field` gives (`raw`): an instant as given (`end`: just after it), or a
/// date's start (`end`: the start of the day after) in `tz`; else its problem in `p`.
fn bound(
    p: &mut Violations,
    field: &str,
    raw: Option<&str>,
    tz: chrono_tz::Tz,
    end: bool,
) -> Option<DateTime<Utc>> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    let at = if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        Some(at.with_timezone(&Utc) + chrono::Duration::nanoseconds(i64::from(end)))
    } else {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .and_then(|day| if end { day.succ_opt() } else { Some(day) })
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .and_then(|midnight| tz.from_local_datetime(&midnight).earliest())
            .map(|t| t.with_timezone(&Utc))
    };
    if at.is_none() {
        p.push(
            field,
            ViolationCode::InvalidValue,
            format!("{field} is a date (YYYY-MM-DD) or an RFC 3339 instant"),
        );
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trail_filter_reads_dates_in_the_zones_calendar_and_lists_every_problem() {
        let tz = chrono_tz::Asia::Shanghai;
        let filter = TrailFilter::parse(
            &TrailQuery {
                from: Some("2026-12-01".into()),
                to: Some("2026-12-01".into()),
                actor: Some(" Chief ".into()),
                action: Some("permit.revoked".into()),
            },
            tz,
        )
        .expect("a filter");
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("instant")
                .with_timezone(&Utc)
        };
        assert_eq!(filter.from, Some(at("2026-11-30T16:00:00Z")));
        assert_eq!(filter.before, Some(at("2026-12-01T16:00:00Z")));
        assert_eq!(filter.actor.as_deref(), Some("chief"));
        assert_eq!(filter.action, Some(Action::PermitRevoked));
        let refused = TrailFilter::parse(
            &TrailQuery {
                from: Some("2026-12-02".into()),
                to: Some("2026-12-01".into()),
                action: Some("user.deleted".into()),
                ..TrailQuery::default()
            },
            tz,
        )
        .expect_err("refused");
        let fields: Vec<&str> = refused.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["to", "action"]);
    }

    #[test]
    fn every_action_parses_back_from_its_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("user.deleted"), None);
    }
}
