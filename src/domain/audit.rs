//! The audit trail's vocabulary: who acted, and what they did. Entries are appended by the use
//! cases, in the transaction of the action they record (`db::audit`).

use std::fmt;
use std::net::IpAddr;

use super::staff::Staff;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_parses_back_from_its_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("user.deleted"), None);
    }
}
