//! Gate devices: what an administrator registers for a gate.

use super::gate::{Gate, GateLookup};
use super::violation::{Violation, ViolationCode, Violations};

/// Longest label of a device.
pub const MAX_DEVICE_LABEL_CHARS: usize = 100;

/// A device as an administrator asks to register it: the gate (looked up) and a label.
#[derive(Debug, Clone)]
pub struct NewDevice {
    /// The gate it scans at.
    pub gate: Gate,
    /// What the gate's staff call it, e.g. "lane 3, left" (1–100 characters, no control characters).
    pub label: String,
}

impl NewDevice {
    /// Parses a registration; every problem is listed.
    pub fn parse(gate: GateLookup, label: Option<&str>) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        let gate = gate.take(&mut p, "gate_id", true);
        let label = match label.map(str::trim) {
            None | Some("") => {
                p.missing("label");
                None
            }
            Some(text) if text.chars().count() > MAX_DEVICE_LABEL_CHARS => {
                p.push(
                    "label",
                    ViolationCode::InvalidLength,
                    format!("at most {MAX_DEVICE_LABEL_CHARS} characters"),
                );
                None
            }
            Some(text) if text.chars().any(char::is_control) => {
                p.push(
                    "label",
                    ViolationCode::InvalidValue,
                    "no control characters (line breaks, tabs)",
                );
                None
            }
            Some(text) => Some(text.to_owned()),
        };
        match (gate, label) {
            (Some(gate), Some(label)) if p.is_empty() => Ok(Self { gate, label }),
            _ => Err(p.into_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crossing::Side;
    use crate::domain::gate::GateId;

    fn gate() -> Gate {
        Gate {
            id: GateId::parse("KZ-1").expect("id"),
            side: Side::Kaz,
            time_zone: chrono_tz::Asia::Almaty,
            name: "Kazakhstan gate".into(),
        }
    }

    fn codes(result: Result<NewDevice, Vec<Violation>>) -> Vec<(String, ViolationCode)> {
        result
            .expect_err("refused")
            .into_iter()
            .map(|v| (v.field, v.code))
            .collect()
    }

    #[test]
    fn a_label_is_trimmed_and_bounded_and_every_problem_is_listed() {
        let device = NewDevice::parse(GateLookup::Found(gate()), Some("  lane 3 ")).expect("ok");
        assert_eq!(device.label, "lane 3");
        assert_eq!(
            codes(NewDevice::parse(GateLookup::Unknown, None)),
            [
                ("gate_id".to_owned(), ViolationCode::UnknownGate),
                ("label".to_owned(), ViolationCode::Required)
            ]
        );
        assert_eq!(
            codes(NewDevice::parse(GateLookup::NotGiven, Some("a\nb"))),
            [
                ("gate_id".to_owned(), ViolationCode::Required),
                ("label".to_owned(), ViolationCode::InvalidValue)
            ]
        );
        let long = "x".repeat(MAX_DEVICE_LABEL_CHARS + 1);
        assert_eq!(
            codes(NewDevice::parse(GateLookup::Found(gate()), Some(&long))),
            [("label".to_owned(), ViolationCode::InvalidLength)]
        );
    }
}
