//! Staff: usernames, roles, new accounts, and what each role may do.

use std::fmt;

use super::gate::{Gate, GateId, GateLookup};
use super::violation::{Violation, ViolationCode, Violations};

/// A staff login name: 2 to 64 characters of lower-case letters, digits, `.`, `_` and `-`
/// (two letters, because Li, Wu, Ma and Xu are common Chinese family names).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// Shortest name.
    pub const MIN_LEN: usize = 2;
    /// Longest name.
    pub const MAX_LEN: usize = 64;

    /// Reads a name: surrounding space trimmed, upper case folded to lower.
    pub fn parse(raw: &str) -> Option<Self> {
        let name = raw.trim().to_ascii_lowercase();
        let valid = (Self::MIN_LEN..=Self::MAX_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        valid.then_some(Self(name))
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Scans at one gate.
    Officer,
    /// Scans at one gate, and may override a denial there.
    Supervisor,
    /// Everything.
    Admin,
}

impl Role {
    /// `officer`, `supervisor` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Officer => "officer",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
        }
    }

    /// Reads `officer`, `supervisor` or `admin`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "officer" => Some(Self::Officer),
            "supervisor" => Some(Self::Supervisor),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// Officers and supervisors are bound to one gate; administrators to none.
    pub fn has_gate(self) -> bool {
        !matches!(self, Self::Admin)
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (hashing cost is bounded).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A password that meets the length rules; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

impl NewPassword {
    /// Checks a password's length (at `field`).
    pub fn parse(raw: &str, field: &str) -> Result<Self, Violation> {
        let chars = raw.chars().count();
        let refused = if raw.trim().is_empty() {
            Some("the password is empty".to_owned())
        } else if chars < MIN_PASSWORD_CHARS {
            Some(format!(
                "a password has at least {MIN_PASSWORD_CHARS} characters"
            ))
        } else if chars > MAX_PASSWORD_CHARS {
            Some(format!(
                "a password has at most {MAX_PASSWORD_CHARS} characters"
            ))
        } else {
            None
        };
        match refused {
            Some(why) => Err(Violation::new(field, ViolationCode::InvalidLength, why)),
            None => Ok(Self(raw.to_owned())),
        }
    }

    /// The password's text, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A new account as typed.
#[derive(Debug, Clone, Default)]
pub struct NewAccountInput {
    /// The login name.
    pub username: Option<String>,
    /// The password.
    pub password: Option<String>,
    /// `officer` or `admin`.
    pub role: Option<String>,
    /// The officer's gate.
    pub gate_id: Option<String>,
}

/// A new account whose every field passed the rules.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The login name.
    pub username: Username,
    /// The password, to be hashed.
    pub password: NewPassword,
    /// The role.
    pub role: Role,
    /// The officer's gate (none for an administrator).
    pub gate: Option<GateId>,
}

impl NewAccount {
    /// Checks every field at once, with `gate` what the gate id named; field names are the request's.
    pub fn parse(input: NewAccountInput, gate: GateLookup) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        let username = p.required(
            "username",
            input.username.as_deref(),
            Username::parse,
            &format!(
                "{} to {} characters: letters, digits, '.', '_', '-'",
                Username::MIN_LEN,
                Username::MAX_LEN
            ),
        );
        let password = match input.password.as_deref() {
            None => {
                p.missing("password");
                None
            }
            Some(raw) => NewPassword::parse(raw, "password")
                .map_err(|v| p.extend(None, [v]))
                .ok(),
        };
        let role = p.required(
            "role",
            input.role.as_deref(),
            Role::parse,
            "role is officer, supervisor or admin",
        );
        let gate = match (role, gate) {
            (Some(role), GateLookup::NotGiven) if role.has_gate() => {
                p.push(
                    "gate_id",
                    ViolationCode::Required,
                    "an officer or supervisor is bound to one gate",
                );
                None
            }
            (Some(Role::Admin), GateLookup::Found(_) | GateLookup::Unknown) => {
                p.push(
                    "gate_id",
                    ViolationCode::InvalidValue,
                    "an administrator has no gate",
                );
                None
            }
            (_, lookup) => lookup.take(&mut p, "gate_id", false).map(|g: Gate| g.id),
        };
        match (username, password, role) {
            (Some(username), Some(password), Some(role)) if p.is_empty() => Ok(Self {
                username,
                password,
                role,
                gate,
            }),
            _ => Err(p.into_vec()),
        }
    }
}

/// What a person typed to log in: the name folded as usernames are, the password as typed.
#[derive(Clone)]
pub struct Credentials {
    /// The name, trimmed and in lower case (it need not be a valid username: it is simply not found).
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(..)")
    }
}

impl Credentials {
    /// Reads a login form; both fields are required.
    pub fn parse(username: Option<&str>, password: Option<&str>) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        if username.is_none() {
            p.missing("username");
        }
        if password.is_none() {
            p.missing("password");
        }
        p.finish(|| Self {
            username: username.unwrap_or_default().trim().to_ascii_lowercase(),
            password: password.unwrap_or_default().to_owned(),
        })
    }
}

/// Failed logins one client address may make across accounts, as a multiple of the per-account
/// limit (a gate office behind one router shares an address).
pub const CLIENT_ALLOWANCE: u32 = 4;

/// One count the login throttle keeps: an account at one client, or a client for every account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleKey {
    /// SHA-256 of what the key names: its size is bounded whatever was typed.
    pub hash: String,
    /// The account, for an account's key.
    pub username: Option<String>,
    /// The client address.
    pub client: String,
    /// Failures allowed in the window.
    pub limit: u32,
}

impl ThrottleKey {
    fn new(kind: &str, username: Option<&Username>, client: &str, limit: u32) -> Self {
        use sha2::{Digest, Sha256};
        let named = format!(
            "{kind}\n{}\n{client}",
            username.map_or("", Username::as_str)
        );
        let hash = Sha256::digest(named.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            hash,
            username: username.map(Username::to_string),
            client: client.to_owned(),
            limit,
        }
    }
}

/// The keys a traveler's attempt to open permit `permit_id` with an access code from `client`
/// counts against, like a login: that permit at this client, and every permit at this client
/// ([`CLIENT_ALLOWANCE`] times as many).
pub fn permit_fetch_throttle_keys(
    permit_id: &str,
    client: &str,
    max_failures: u32,
) -> (ThrottleKey, ThrottleKey) {
    let mut permit = ThrottleKey::new(
        "permit",
        None,
        &format!("{permit_id}\n{client}"),
        max_failures,
    );
    permit.client = client.to_owned();
    let every = ThrottleKey::new(
        "permit-client",
        None,
        client,
        max_failures.saturating_mul(CLIENT_ALLOWANCE),
    );
    (permit, every)
}

/// The keys a login as `username` from `client` counts against: the account at this client (when
/// the name could be an account's; one client's failures never lock the account out elsewhere),
/// and the client, with [`CLIENT_ALLOWANCE`] times the account's limit.
pub fn login_throttle_keys(
    username: &str,
    client: &str,
    max_failures: u32,
) -> (Option<ThrottleKey>, ThrottleKey) {
    let account = Username::parse(username)
        .map(|name| ThrottleKey::new("account", Some(&name), client, max_failures));
    let client_key = ThrottleKey::new(
        "client",
        None,
        client,
        max_failures.saturating_mul(CLIENT_ALLOWANCE),
    );
    (account, client_key)
}

/// An enabled staff account, as the database says now: who may act, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// Login name.
    pub username: Username,
    /// Role.
    pub role: Role,
    /// The officer's gate.
    pub gate: Option<GateId>,
}

/// Why staff may not do something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Only administrators may.
    #[error("This needs an administrator.")]
    NeedsAdmin,
    /// Officers and supervisors act at their own gate only.
    #[error("Officers and supervisors scan at their own gate only.")]
    OtherGate,
    /// Only supervisors and administrators may override a denial.
    #[error("Only a supervisor or an administrator may override a denial.")]
    NeedsSupervisor,
    /// A device token does what a gate device needs, nothing else.
    #[error(
        "A device token fetches its gate's bundle and uploads its gate's scans, nothing else."
    )]
    DeviceOnly,
    /// A device acts at its own gate only.
    #[error("A device fetches the bundle of, and uploads scans for, its own gate only.")]
    DeviceOtherGate,
}

/// An enabled administrator: only [`Staff::into_admin`] makes one, so a use case that takes an
/// `&Admin` cannot be reached by anyone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin(Staff);

impl Admin {
    /// The administrator's account.
    pub fn staff(&self) -> &Staff {
        &self.0
    }

    /// Whether this administrator may set account `username` to `disabled`: never their own
    /// account off (field `disabled`).
    pub fn check_disable(&self, username: &str, disabled: bool) -> Result<(), Violation> {
        if disabled && username == self.0.username.as_str() {
            return Err(Violation::new(
                "disabled",
                ViolationCode::InvalidValue,
                "an administrator cannot disable their own account",
            ));
        }
        Ok(())
    }
}

impl Staff {
    /// The administrator this is, or why not.
    pub fn into_admin(self) -> Result<Admin, Refusal> {
        match self.role {
            Role::Admin => Ok(Admin(self)),
            Role::Officer | Role::Supervisor => Err(Refusal::NeedsAdmin),
        }
    }

    /// Whether this staff member may scan at `gate`: administrators anywhere, officers and
    /// supervisors at their own.
    pub fn require_gate(&self, gate: &GateId) -> Result<(), Refusal> {
        match (self.role, &self.gate) {
            (Role::Admin, _) => Ok(()),
            (Role::Officer | Role::Supervisor, Some(own)) if own == gate => Ok(()),
            _ => Err(Refusal::OtherGate),
        }
    }

    /// Whether this staff member may scan at `gate`, overriding a denial when `overriding`:
    /// officers may not override.
    pub fn require_scan(&self, gate: &GateId, overriding: bool) -> Result<(), Refusal> {
        self.require_gate(gate)?;
        match (overriding, self.role) {
            (true, Role::Officer) => Err(Refusal::NeedsSupervisor),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crossing::Side;

    fn gate(id: &str) -> Gate {
        Gate {
            id: GateId::parse(id).expect("gate id"),
            side: Side::Chn,
            time_zone: chrono_tz::Asia::Shanghai,
            name: id.into(),
        }
    }

    fn input(username: &str, role: &str) -> NewAccountInput {
        NewAccountInput {
            username: Some(username.into()),
            password: Some("a long enough password".into()),
            role: Some(role.into()),
            gate_id: Some("CN-1".into()),
        }
    }

    fn codes(input: NewAccountInput, gate: GateLookup) -> Vec<(String, ViolationCode)> {
        NewAccount::parse(input, gate)
            .expect_err("refused")
            .into_iter()
            .map(|v| (v.field, v.code))
            .collect()
    }

    #[test]
    fn usernames_of_two_to_sixty_four_characters() {
        assert_eq!(
            Username::parse(" Li ").map(|u| u.to_string()),
            Some("li".into())
        );
        assert!(Username::parse("wu").is_some());
        assert!(Username::parse("x").is_none());
        assert!(Username::parse(&"a".repeat(64)).is_some());
        assert!(Username::parse(&"a".repeat(65)).is_none());
        assert!(Username::parse("li wei").is_none());
        assert!(Username::parse("李").is_none());
    }

    #[test]
    fn an_officer_needs_a_known_gate_and_an_admin_none() {
        let officer = NewAccount::parse(input("ma", "officer"), GateLookup::Found(gate("CN-1")))
            .expect("valid");
        assert_eq!(officer.gate.map(|g| g.to_string()), Some("CN-1".into()));
        assert_eq!(
            codes(input("ma", "officer"), GateLookup::NotGiven),
            vec![("gate_id".into(), ViolationCode::Required)]
        );
        assert_eq!(
            codes(input("ma", "officer"), GateLookup::Unknown),
            vec![("gate_id".into(), ViolationCode::UnknownGate)]
        );
        assert_eq!(
            codes(input("ma", "admin"), GateLookup::Found(gate("CN-1"))),
            vec![("gate_id".into(), ViolationCode::InvalidValue)]
        );
    }

    #[test]
    fn every_problem_is_listed() {
        let found = codes(
            NewAccountInput {
                username: Some("X".into()),
                password: Some("short".into()),
                role: Some("guard".into()),
                gate_id: None,
            },
            GateLookup::NotGiven,
        );
        assert_eq!(
            found,
            vec![
                ("username".into(), ViolationCode::InvalidValue),
                ("password".into(), ViolationCode::InvalidLength),
                ("role".into(), ViolationCode::InvalidValue),
            ]
        );
    }

    #[test]
    fn password_rules() {
        assert!(NewPassword::parse("short", "p").is_err());
        assert!(NewPassword::parse("            ", "p").is_err());
        assert!(NewPassword::parse("twelve chars", "p").is_ok());
        assert!(NewPassword::parse(&"x".repeat(129), "p").is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("twelve chars", "p")),
            "Ok(NewPassword(..))"
        );
    }

    #[test]
    fn a_login_counts_against_the_account_at_its_client_and_the_client() {
        let (account, client) = login_throttle_keys("li", "192.0.2.7", 5);
        let account = account.expect("a possible account");
        assert_eq!((account.limit, client.limit), (5, 20));
        assert_eq!(account.username.as_deref(), Some("li"));
        assert_eq!(account.hash.len(), 64);
        let (elsewhere, _) = login_throttle_keys("li", "192.0.2.8", 5);
        assert_ne!(elsewhere.expect("key").hash, account.hash, "per client");
        let (none, long_client) = login_throttle_keys(&"x".repeat(60_000), "192.0.2.7", 5);
        assert!(
            none.is_none(),
            "no account can have this name: only the client counts"
        );
        assert_eq!(long_client.hash, client.hash);
    }

    #[test]
    fn officers_act_at_their_own_gate() {
        let officer = Staff {
            username: Username::parse("li").expect("name"),
            role: Role::Officer,
            gate: Some(gate("CN-1").id),
        };
        assert_eq!(officer.require_gate(&gate("CN-1").id), Ok(()));
        assert_eq!(
            officer.require_gate(&gate("KZ-1").id),
            Err(Refusal::OtherGate)
        );
        assert_eq!(officer.clone().into_admin(), Err(Refusal::NeedsAdmin));
        let admin = Staff {
            role: Role::Admin,
            gate: None,
            ..officer
        };
        assert_eq!(admin.require_gate(&gate("KZ-1").id), Ok(()));
        assert_eq!(
            admin.clone().into_admin().map(|a| a.staff().clone()),
            Ok(admin)
        );
    }
}
