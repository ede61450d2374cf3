//! The zone's gates: their ids, sides and clocks, and the rules for adding one.

use std::fmt;

use chrono_tz::Tz;

use super::crossing::Side;
use super::violation::{Violation, ViolationCode, Violations};

/// A gate's identifier: 2 to 16 characters of `A`–`Z`, `0`–`9` and `-`, such as `CN-1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GateId(String);

impl GateId {
    /// Shortest id.
    pub const MIN_LEN: usize = 2;
    /// Longest id.
    pub const MAX_LEN: usize = 16;

    /// Reads an id (surrounding space trimmed); `None` when it could name no gate.
    pub fn parse(raw: &str) -> Option<Self> {
        let id = raw.trim();
        let valid = (Self::MIN_LEN..=Self::MAX_LEN).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        valid.then(|| Self(id.to_owned()))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A gate of the zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    /// Its id.
    pub id: GateId,
    /// The country it stands in.
    pub side: Side,
    /// Its clock.
    pub time_zone: Tz,
    /// Display name.
    pub name: String,
}

/// What a request's gate id turned out to name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateLookup {
    /// No gate id was given.
    NotGiven,
    /// A gate id was given, but no gate has it.
    Unknown,
    /// The gate.
    Found(Gate),
}

impl GateLookup {
    /// The gate, recording at `field` why there is none; `required` says whether one must be named.
    pub fn take(self, p: &mut Violations, field: &str, required: bool) -> Option<Gate> {
        match self {
            Self::Found(gate) => Some(gate),
            Self::Unknown => {
                p.push(field, ViolationCode::UnknownGate, "no gate has this id");
                None
            }
            Self::NotGiven => {
                if required {
                    p.missing(field);
                }
                None
            }
        }
    }
}

/// Longest display name of a gate.
pub const MAX_GATE_NAME_CHARS: usize = 100;

/// A gate an administrator asks to add, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewGateInput {
    /// The id.
    pub id: Option<String>,
    /// `CHN` or `KAZ`.
    pub side: Option<String>,
    /// IANA time zone; the side's by default.
    pub time_zone: Option<String>,
    /// Display name; the id by default.
    pub name: Option<String>,
}

impl Gate {
    /// Checks a new gate (every problem at once); field names are the request's.
    pub fn parse_new(input: &NewGateInput) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        let id = p.required(
            "id",
            input.id.as_deref(),
            GateId::parse,
            "2 to 16 characters: A-Z, 0-9, '-'",
        );
        let side = p.required(
            "side",
            input.side.as_deref(),
            Side::parse,
            "side is CHN or KAZ",
        );
        let time_zone = match (input.time_zone.as_deref(), side) {
            (Some(raw), _) => {
                let tz = raw.trim().parse::<Tz>().ok();
                if tz.is_none() {
                    p.push(
                        "time_zone",
                        ViolationCode::InvalidValue,
                        "not an IANA time zone",
                    );
                }
                tz
            }
            (None, side) => side.map(Side::default_time_zone),
        };
        let name = input
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if name
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_GATE_NAME_CHARS)
        {
            p.push(
                "name",
                ViolationCode::InvalidLength,
                format!("at most {MAX_GATE_NAME_CHARS} characters"),
            );
        }
        match (id, side, time_zone) {
            (Some(id), Some(side), Some(time_zone)) if p.is_empty() => Ok(Self {
                name: name.unwrap_or_else(|| id.to_string()),
                id,
                side,
                time_zone,
            }),
            _ => Err(p.into_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(input: NewGateInput) -> Vec<(String, ViolationCode)> {
        Gate::parse_new(&input)
            .expect_err("refused")
            .into_iter()
            .map(|v| (v.field, v.code))
            .collect()
    }

    #[test]
    fn ids_are_short_upper_case_names() {
        assert_eq!(
            GateId::parse(" KZ-2 ").map(|g| g.to_string()),
            Some("KZ-2".into())
        );
        assert_eq!(GateId::parse("kz-2"), None);
        assert_eq!(GateId::parse("K"), None);
        assert_eq!(GateId::parse(&"K".repeat(17)), None);
        assert!(GateId::parse(&"K".repeat(16)).is_some());
    }

    #[test]
    fn a_new_gate_gets_its_sides_clock_and_its_id_as_name() {
        let gate = Gate::parse_new(&NewGateInput {
            id: Some("KZ-2".into()),
            side: Some("kaz".into()),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(gate.side, Side::Kaz);
        assert_eq!(gate.time_zone, chrono_tz::Asia::Almaty);
        assert_eq!(gate.name, "KZ-2");
    }

    #[test]
    fn every_problem_is_listed() {
        assert_eq!(
            codes(NewGateInput {
                id: Some("x".into()),
                side: Some("MARS".into()),
                time_zone: Some("Mars/Olympus".into()),
                name: Some("n".repeat(101)),
            }),
            vec![
                ("id".into(), ViolationCode::InvalidValue),
                ("side".into(), ViolationCode::InvalidValue),
                ("time_zone".into(), ViolationCode::InvalidValue),
                ("name".into(), ViolationCode::InvalidLength),
            ]
        );
        assert_eq!(
            codes(NewGateInput::default()),
            vec![
                ("id".into(), ViolationCode::Required),
                ("side".into(), ViolationCode::Required),
            ]
        );
    }

    #[test]
    fn a_lookup_says_why_there_is_no_gate() {
        let mut p = Violations::default();
        assert_eq!(GateLookup::NotGiven.take(&mut p, "gate_id", false), None);
        assert!(p.is_empty());
        GateLookup::NotGiven.take(&mut p, "gate_id", true);
        GateLookup::Unknown.take(&mut p, "gate_id", false);
        let found: Vec<_> = p.into_vec().into_iter().map(|v| v.code).collect();
        assert_eq!(
            found,
            vec![ViolationCode::Required, ViolationCode::UnknownGate]
        );
    }
}
