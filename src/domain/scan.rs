//! A scan as a gate sends it, parsed into a request the crossing log can decide.

use chrono::{DateTime, Duration, Utc};

use super::crossing::{DenyReason, Direction};
use super::gate::{Gate, GateLookup};
use super::staff::Username;
use super::violation::{Violation, ViolationCode, Violations};

/// Longest token text accepted (a real one is at most 331 bytes).
pub const MAX_TOKEN_LEN: usize = 4096;

/// How far behind the service's clock a scan sent online may lie before it is flagged `late`.
pub const LATE_AFTER: Duration = Duration::minutes(5);

/// Whether a scan made at `scanned_at` and recorded at `recorded_at` reached the service late.
pub fn is_late(scanned_at: DateTime<Utc>, recorded_at: DateTime<Utc>) -> bool {
    recorded_at - scanned_at > LATE_AFTER
}

/// How far a gate's clock may differ from the server's.
#[derive(Debug, Clone, Copy)]
pub struct ScanClockLimits {
    /// Furthest behind the server's clock a scan may lie.
    pub max_age: Duration,
    /// Furthest ahead.
    pub max_ahead: Duration,
}

/// A scan as typed by the gate.
#[derive(Debug, Clone, Default)]
pub struct ScanInput {
    /// The text the QR code holds.
    pub token: Option<String>,
    /// Where the scan happened.
    pub gate_id: Option<String>,
    /// `entry` or `exit`.
    pub direction: Option<String>,
    /// A UUID the device makes per scan.
    pub nonce: Option<String>,
    /// The device's clock (RFC 3339); now when absent.
    pub scanned_at: Option<String>,
    /// A supervisor's or administrator's override of a denial, when asked for.
    pub overriding: Option<OverrideInput>,
}

/// An override as typed: why the scan is admitted whatever the rules say.
#[derive(Debug, Clone, Default)]
pub struct OverrideInput {
    /// Why (1–500 characters).
    pub reason: Option<String>,
}

/// Longest reason of an override.
pub const MAX_OVERRIDE_REASON_CHARS: usize = 500;

/// A scan whose fields are all valid.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// The token's text, trimmed (it may still be forged or malformed: the log decides that).
    pub token: String,
    /// The gate.
    pub gate: Gate,
    /// Entry or exit.
    pub direction: Direction,
    /// The device's idempotency key.
    pub nonce: uuid::Uuid,
    /// The device's clock.
    pub scanned_at: DateTime<Utc>,
    /// The reason of an override, when one is asked for.
    pub override_reason: Option<String>,
}

impl ScanRequest {
    /// Checks every field at once against the server's clock `now`, with `gate` what the gate id
    /// named; field names are the request's.
    pub fn parse(
        input: ScanInput,
        gate: GateLookup,
        now: DateTime<Utc>,
        limits: ScanClockLimits,
    ) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        let token = match input.token.as_deref().map(str::trim) {
            None => {
                p.missing("token");
                None
            }
            Some(token) if token.len() > MAX_TOKEN_LEN => {
                p.push(
                    "token",
                    ViolationCode::InvalidLength,
                    format!("a token has at most {MAX_TOKEN_LEN} characters"),
                );
                None
            }
            Some(token) => Some(token.to_owned()),
        };
        let direction = p.required(
            "direction",
            input.direction.as_deref(),
            Direction::parse,
            "direction is entry or exit",
        );
        let nonce = p.required(
            "nonce",
            input.nonce.as_deref(),
            |raw| uuid::Uuid::parse_str(raw.trim()).ok(),
            "nonce is a UUID made by the device for each scan",
        );
        let scanned_at = match input.scanned_at.as_deref() {
            None => Some(now),
            Some(raw) => match DateTime::parse_from_rfc3339(raw.trim()) {
                Err(_) => {
                    p.push(
                        "scanned_at",
                        ViolationCode::InvalidDate,
                        "scanned_at is an RFC 3339 instant",
                    );
                    None
                }
                Ok(t) => {
                    let t = t.with_timezone(&Utc);
                    if t > now + limits.max_ahead || t < now - limits.max_age {
                        p.push(
                            "scanned_at",
                            ViolationCode::OutOfRange,
                            format!(
                                "scanned_at must lie between {} hours behind and {} seconds ahead of the server's clock",
                                limits.max_age.num_hours(),
                                limits.max_ahead.num_seconds()
                            ),
                        );
                    }
                    Some(t)
                }
            },
        };
        let gate = gate.take(&mut p, "gate_id", true);
        let override_reason =
            input
                .overriding
                .and_then(|o| match o.reason.as_deref().map(str::trim) {
                    None | Some("") => {
                        p.missing("override.reason");
                        None
                    }
                    Some(reason) if reason.chars().count() > MAX_OVERRIDE_REASON_CHARS => {
                        p.push(
                            "override.reason",
                            ViolationCode::InvalidLength,
                            format!("at most {MAX_OVERRIDE_REASON_CHARS} characters"),
                        );
                        None
                    }
                    Some(reason) => Some(reason.to_owned()),
                });
        match (token, gate, direction, nonce, scanned_at) {
            (Some(token), Some(gate), Some(direction), Some(nonce), Some(scanned_at))
                if p.is_empty() =>
            {
                Ok(Self {
                    token,
                    gate,
                    direction,
                    nonce,
                    scanned_at,
                    override_reason,
                })
            }
            _ => Err(p.into_vec()),
        }
    }
}

/// Most scans in one offline upload.
pub const MAX_BATCH_ITEMS: usize = 500;

/// What a gate working offline decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateDecision {
    /// Let through.
    Admit,
    /// Refused.
    Deny,
}

impl GateDecision {
    /// `admit` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admit => "admit",
            Self::Deny => "deny",
        }
    }

    /// Reads `admit` or `deny`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "admit" => Some(Self::Admit),
            "deny" => Some(Self::Deny),
            _ => None,
        }
    }
}

/// A scan a gate made offline, as typed: the scan's fields (`scanned_at` required) and what the
/// gate decided.
#[derive(Debug, Clone, Default)]
pub struct OfflineScanInput {
    /// Token, gate, direction, nonce, scanned_at (`overriding` is not taken offline).
    pub scan: ScanInput,
    /// `admit` or `deny`.
    pub device_decision: Option<String>,
    /// The reason code of a device `deny`.
    pub device_reason: Option<String>,
    /// The officer or supervisor who scanned.
    pub officer: Option<String>,
    /// The bundle version the gate decided from.
    pub bundle_version: Option<i64>,
}

/// An offline scan whose fields are all valid.
#[derive(Debug, Clone)]
pub struct OfflineScan {
    /// The scan.
    pub scan: ScanRequest,
    /// What the gate decided.
    pub device_decision: GateDecision,
    /// Why the gate denied, when it said.
    pub device_reason: Option<DenyReason>,
    /// Who scanned, when named.
    pub officer: Option<Username>,
    /// The bundle version the gate decided from.
    pub bundle_version: Option<i64>,
}

impl OfflineScan {
    /// Checks every field at once; `officer_required` when the uploader is a device (a person
    /// uploading scanned themselves unless they name another). `limits.max_age` is the offline
    /// age limit.
    pub fn parse(
        input: OfflineScanInput,
        gate: GateLookup,
        now: DateTime<Utc>,
        limits: ScanClockLimits,
        officer_required: bool,
    ) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        if input.scan.scanned_at.is_none() {
            p.missing("scanned_at");
        }
        let device_decision = p.required(
            "device_decision",
            input.device_decision.as_deref(),
            GateDecision::parse,
            "device_decision is admit or deny",
        );
        let device_reason = input.device_reason.as_deref().and_then(|raw| {
            let reason = DenyReason::parse(raw.trim());
            if reason.is_none() {
                p.push(
                    "device_reason",
                    ViolationCode::InvalidValue,
                    "device_reason is one of the scan answer's reason codes",
                );
            }
            reason
        });
        let officer = match input.officer.as_deref() {
            None if officer_required => {
                p.missing("officer");
                None
            }
            None => None,
            Some(raw) => {
                let officer = Username::parse(raw.trim());
                if officer.is_none() {
                    p.push(
                        "officer",
                        ViolationCode::InvalidValue,
                        "officer is the username of the officer or supervisor who scanned",
                    );
                }
                officer
            }
        };
        if input.bundle_version.is_some_and(|v| v < 0) {
            p.push(
                "bundle_version",
                ViolationCode::OutOfRange,
                "bundle_version is a bundle's version, 0 or more",
            );
        }
        let scan = ScanRequest::parse(
            ScanInput {
                overriding: None,
                ..input.scan
            },
            gate,
            now,
            limits,
        );
        let scan = match scan {
            Ok(scan) => Some(scan),
            Err(problems) => {
                p.extend(None, problems);
                None
            }
        };
        match (scan, device_decision) {
            (Some(scan), Some(device_decision)) if p.is_empty() => Ok(Self {
                scan,
                device_decision,
                device_reason,
                officer,
                bundle_version: input.bundle_version,
            }),
            _ => Err(p.into_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crossing::Side;
    use crate::domain::gate::GateId;
    use chrono::TimeZone;

    const LIMITS: ScanClockLimits = ScanClockLimits {
        max_age: Duration::hours(72),
        max_ahead: Duration::minutes(5),
    };

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
            .single()
            .expect("instant")
    }

    fn gate() -> GateLookup {
        GateLookup::Found(Gate {
            id: GateId::parse("CN-1").expect("id"),
            side: Side::Chn,
            time_zone: chrono_tz::Asia::Shanghai,
            name: "CN-1".into(),
        })
    }

    fn input(scanned_at: Option<&str>) -> ScanInput {
        ScanInput {
            token: Some(" a.b.c ".into()),
            gate_id: Some("CN-1".into()),
            direction: Some("entry".into()),
            nonce: Some("0193a4b2-7c1e-7000-8000-000000000001".into()),
            scanned_at: scanned_at.map(String::from),
            overriding: None,
        }
    }

    fn codes(input: ScanInput, gate: GateLookup) -> Vec<(String, ViolationCode)> {
        ScanRequest::parse(input, gate, now(), LIMITS)
            .expect_err("refused")
            .into_iter()
            .map(|v| (v.field, v.code))
            .collect()
    }

    #[test]
    fn a_scan_without_a_clock_is_now() {
        let scan = ScanRequest::parse(input(None), gate(), now(), LIMITS).expect("valid");
        assert_eq!(scan.scanned_at, now());
        assert_eq!(scan.token, "a.b.c");
        assert_eq!(scan.direction, Direction::Entry);
    }

    #[test]
    fn the_device_clock_may_lag_72_hours_and_lead_5_minutes() {
        assert!(
            ScanRequest::parse(input(Some("2026-11-28T09:00:00Z")), gate(), now(), LIMITS).is_ok()
        );
        assert!(
            ScanRequest::parse(input(Some("2026-12-01T09:05:00Z")), gate(), now(), LIMITS).is_ok()
        );
        for late_or_early in ["2026-11-28T08:59:59Z", "2026-12-01T09:05:01Z"] {
            assert_eq!(
                codes(input(Some(late_or_early)), gate()),
                vec![("scanned_at".into(), ViolationCode::OutOfRange)]
            );
        }
    }

    #[test]
    fn a_scan_is_late_after_five_minutes() {
        assert!(!is_late(now() - Duration::minutes(5), now()));
        assert!(is_late(
            now() - Duration::minutes(5) - Duration::seconds(1),
            now()
        ));
        assert!(
            !is_late(now() + Duration::minutes(1), now()),
            "ahead is not late"
        );
    }

    #[test]
    fn every_problem_is_listed() {
        assert_eq!(
            codes(ScanInput::default(), GateLookup::NotGiven),
            vec![
                ("token".into(), ViolationCode::Required),
                ("direction".into(), ViolationCode::Required),
                ("nonce".into(), ViolationCode::Required),
                ("gate_id".into(), ViolationCode::Required),
            ]
        );
        assert_eq!(
            codes(
                ScanInput {
                    token: Some("x".repeat(MAX_TOKEN_LEN + 1)),
                    gate_id: Some("XX-9".into()),
                    direction: Some("sideways".into()),
                    nonce: Some("not-a-uuid".into()),
                    scanned_at: Some("yesterday".into()),
                    overriding: Some(OverrideInput { reason: None }),
                },
                GateLookup::Unknown
            ),
            vec![
                ("token".into(), ViolationCode::InvalidLength),
                ("direction".into(), ViolationCode::InvalidValue),
                ("nonce".into(), ViolationCode::InvalidValue),
                ("scanned_at".into(), ViolationCode::InvalidDate),
                ("gate_id".into(), ViolationCode::UnknownGate),
                ("override.reason".into(), ViolationCode::Required),
            ]
        );
        let long = ScanInput {
            overriding: Some(OverrideInput {
                reason: Some("x".repeat(MAX_OVERRIDE_REASON_CHARS + 1)),
            }),
            ..input(None)
        };
        assert_eq!(
            codes(long, gate()),
            vec![("override.reason".into(), ViolationCode::InvalidLength)]
        );
    }

    const OFFLINE: ScanClockLimits = ScanClockLimits {
        max_age: Duration::days(30),
        max_ahead: Duration::minutes(5),
    };

    fn offline(scanned_at: Option<&str>) -> OfflineScanInput {
        OfflineScanInput {
            scan: input(scanned_at),
            device_decision: Some("admit".into()),
            device_reason: None,
            officer: Some("aigerim".into()),
            bundle_version: Some(3),
        }
    }

    #[test]
    fn an_offline_scan_may_be_30_days_old_and_names_what_the_gate_decided() {
        let scan = OfflineScan::parse(
            offline(Some("2026-11-01T09:00:00Z")),
            gate(),
            now(),
            OFFLINE,
            true,
        )
        .expect("valid");
        assert_eq!(scan.device_decision, GateDecision::Admit);
        assert_eq!(scan.officer.map(|o| o.to_string()), Some("aigerim".into()));
        let too_old = OfflineScan::parse(
            offline(Some("2026-10-31T08:59:59Z")),
            gate(),
            now(),
            OFFLINE,
            true,
        )
        .expect_err("too old");
        assert_eq!(too_old[0].field, "scanned_at");
        assert_eq!(too_old[0].code, ViolationCode::OutOfRange);
    }

    #[test]
    fn every_problem_of_an_offline_scan_is_listed() {
        let bad = OfflineScanInput {
            scan: ScanInput {
                nonce: Some("x".into()),
                ..input(None)
            },
            device_decision: Some("maybe".into()),
            device_reason: Some("tired".into()),
            officer: None,
            bundle_version: Some(-1),
        };
        let fields: Vec<(String, ViolationCode)> =
            OfflineScan::parse(bad, GateLookup::Unknown, now(), OFFLINE, true)
                .expect_err("refused")
                .into_iter()
                .map(|v| (v.field, v.code))
                .collect();
        assert_eq!(
            fields,
            vec![
                ("scanned_at".into(), ViolationCode::Required),
                ("device_decision".into(), ViolationCode::InvalidValue),
                ("device_reason".into(), ViolationCode::InvalidValue),
                ("officer".into(), ViolationCode::Required),
                ("bundle_version".into(), ViolationCode::OutOfRange),
                ("nonce".into(), ViolationCode::InvalidValue),
                ("gate_id".into(), ViolationCode::UnknownGate),
            ]
        );
        // From staff, the officer may be left out (the uploader scanned).
        let staff = OfflineScanInput {
            officer: None,
            ..offline(Some("2026-12-01T08:00:00Z"))
        };
        assert!(OfflineScan::parse(staff, gate(), now(), OFFLINE, false).is_ok());
    }
}
