//! Crossing the zone's fence: gates, sides, directions, and the rules that admit or deny a scan.

use std::fmt;

use chrono::{DateTime, Utc};

use super::permit::PermitStatus;
use crate::crypto::permit_token::TokenRejection;

/// One of the zone's two countries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// China (gates in Beijing time).
    Chn,
    /// Kazakhstan (gates in Almaty time).
    Kaz,
}

impl Side {
    /// `CHN` or `KAZ`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chn => "CHN",
            Self::Kaz => "KAZ",
        }
    }

    /// Reads `CHN` or `KAZ`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "CHN" => Some(Self::Chn),
            "KAZ" => Some(Self::Kaz),
            _ => None,
        }
    }

    /// The gates' clock on this side.
    pub fn default_time_zone(self) -> chrono_tz::Tz {
        match self {
            Self::Chn => chrono_tz::Asia::Shanghai,
            Self::Kaz => chrono_tz::Asia::Almaty,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Into or out of the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Into the zone.
    Entry,
    /// Out of the zone.
    Exit,
}

impl Direction {
    /// `entry` or `exit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Entry => "entry",
            Self::Exit => "exit",
        }
    }

    /// Reads `entry` or `exit`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "entry" => Some(Self::Entry),
            "exit" => Some(Self::Exit),
            _ => None,
        }
    }
}

/// Why a scan is denied; the names are the contract's `reason` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// The token is not a readable JWS.
    MalformedToken,
    /// The signature does not verify.
    BadSignature,
    /// No key has the token's `kid`.
    UnknownKey,
    /// Authentic, but no such permit is stored.
    UnknownPermit,
    /// Entry on a revoked permit.
    Revoked,
    /// Entry before the first visit day.
    NotYetValid,
    /// Entry after the last visit day.
    Expired,
    /// Entry while already inside.
    AlreadyInside,
    /// Exit with no entry.
    NotInside,
    /// Exit through the other country's gate.
    WrongSide,
    /// Denied by a gate working offline, which gave no reason of the list.
    DeniedAtGate,
}

impl DenyReason {
    /// Every reason.
    pub const ALL: [Self; 11] = [
        Self::MalformedToken,
        Self::BadSignature,
        Self::UnknownKey,
        Self::UnknownPermit,
        Self::Revoked,
        Self::NotYetValid,
        Self::Expired,
        Self::AlreadyInside,
        Self::NotInside,
        Self::WrongSide,
        Self::DeniedAtGate,
    ];

    /// Reads a reason code.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// The reason code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedToken => "malformed_token",
            Self::BadSignature => "bad_signature",
            Self::UnknownKey => "unknown_key",
            Self::UnknownPermit => "unknown_permit",
            Self::Revoked => "revoked",
            Self::NotYetValid => "not_yet_valid",
            Self::Expired => "expired",
            Self::AlreadyInside => "already_inside",
            Self::NotInside => "not_inside",
            Self::WrongSide => "wrong_side",
            Self::DeniedAtGate => "denied_at_gate",
        }
    }

    /// The kind of conflict a gate's admission despite this reason opens: a token that is not
    /// authentic, whatever its fault, is `bad_signature`; `None` for a reason no admission breaks.
    pub fn conflict_kind(self) -> Option<Self> {
        match self {
            Self::MalformedToken | Self::BadSignature | Self::UnknownKey => {
                Some(Self::BadSignature)
            }
            Self::DeniedAtGate => None,
            rule => Some(rule),
        }
    }
}

impl From<TokenRejection> for DenyReason {
    fn from(rejection: TokenRejection) -> Self {
        match rejection {
            TokenRejection::Malformed => Self::MalformedToken,
            TokenRejection::BadSignature => Self::BadSignature,
            TokenRejection::UnknownKey => Self::UnknownKey,
            TokenRejection::NotYetValid => Self::NotYetValid,
            TokenRejection::Expired => Self::Expired,
        }
    }
}

/// Something an officer or auditor should know about a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// An admitted exit: the holder stayed past the permit's end.
    Overstay,
    /// An admitted exit: the permit was revoked while the holder was inside.
    Revoked,
    /// The scan reached the service more than five minutes after the device made it.
    Late,
    /// A supervisor or an administrator admitted a scan the rules denied.
    Override,
    /// Decided by a gate working offline and uploaded later.
    Offline,
    /// Admitted offline against the log's rules: a conflict is open about it.
    Conflict,
}

impl Flag {
    /// Every flag.
    pub const ALL: [Self; 6] = [
        Self::Overstay,
        Self::Revoked,
        Self::Late,
        Self::Override,
        Self::Offline,
        Self::Conflict,
    ];

    /// Reads a flag code.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == raw)
    }

    /// The flag code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Overstay => "overstay",
            Self::Revoked => "revoked",
            Self::Late => "late",
            Self::Override => "override",
            Self::Offline => "offline",
            Self::Conflict => "conflict",
        }
    }

    /// True for a flag the rules' decision gives (not one about how the scan reached the log).
    pub fn is_decision_flag(self) -> bool {
        matches!(self, Self::Overstay | Self::Revoked | Self::Override)
    }
}

/// Where a holder is, as the crossing log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Outside the zone.
    Outside,
    /// Inside, having entered through a gate of `side`.
    Inside {
        /// The side of entry, the only side they may leave by.
        side: Side,
    },
}

/// What the log knows of the permit a token names.
#[derive(Debug, Clone, Copy)]
pub struct PermitFacts {
    /// Active or revoked.
    pub status: PermitStatus,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity.
    pub valid_until: DateTime<Utc>,
    /// Where its holder is.
    pub presence: Presence,
    /// An open conflict is about the holder's crossings: they may leave through either side.
    pub disputed: bool,
}

/// The outcome of one scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Let through, with flags for the officer.
    Admit(Vec<Flag>),
    /// Refused.
    Deny(DenyReason),
}

impl Decision {
    /// `admit` or `deny`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Admit(_) => "admit",
            Self::Deny(_) => "deny",
        }
    }

    /// Why denied; `None` when admitted.
    pub fn reason(&self) -> Option<DenyReason> {
        match self {
            Self::Admit(_) => None,
            Self::Deny(reason) => Some(*reason),
        }
    }

    /// This decision as an override leaves it: a denial becomes an admission flagged `override`,
    /// with the reason it was denied for; an admission stays as it is.
    pub fn overridden(self) -> (Self, Option<DenyReason>) {
        match self {
            Self::Deny(reason) => (Self::Admit(vec![Flag::Override]), Some(reason)),
            admitted => (admitted, None),
        }
    }

    /// The flags of an admission; none on a denial.
    pub fn flags(&self) -> &[Flag] {
        match self {
            Self::Admit(flags) => flags,
            Self::Deny(_) => &[],
        }
    }
}

/// Where a crossing leaves its holder: inside at the gate's side after an entry, outside after an exit.
pub fn presence_after(direction: Direction, gate_side: Side) -> Presence {
    match direction {
        Direction::Entry => Presence::Inside { side: gate_side },
        Direction::Exit => Presence::Outside,
    }
}

/// The presence rules alone: the rule a crossing at a gate of `gate_side` breaks when its holder
/// is `before` (`already_inside`, `not_inside`, `wrong_side`), if any. A `disputed` holder may
/// leave through either side.
pub fn presence_rule(
    direction: Direction,
    gate_side: Side,
    before: Presence,
    disputed: bool,
) -> Option<DenyReason> {
    match (direction, before) {
        (Direction::Entry, Presence::Inside { .. }) => Some(DenyReason::AlreadyInside),
        (Direction::Entry, Presence::Outside) => None,
        (Direction::Exit, Presence::Outside) => Some(DenyReason::NotInside),
        (Direction::Exit, Presence::Inside { side }) if side != gate_side && !disputed => {
            Some(DenyReason::WrongSide)
        }
        (Direction::Exit, Presence::Inside { .. }) => None,
    }
}

/// Decides a scan of an authentic token for a stored permit, at `at` (for a scan sent online, the
/// moment the service records it, whatever the device's clock says), at a gate of `gate_side`. Authenticity failures are decided before this, from the token alone.
pub fn decide(
    direction: Direction,
    gate_side: Side,
    permit: &PermitFacts,
    at: DateTime<Utc>,
) -> Decision {
    match direction {
        Direction::Entry => {
            if permit.status == PermitStatus::Revoked {
                Decision::Deny(DenyReason::Revoked)
            } else if at < permit.valid_from {
                Decision::Deny(DenyReason::NotYetValid)
            } else if at >= permit.valid_until {
                Decision::Deny(DenyReason::Expired)
            } else if let Some(broken) =
                presence_rule(direction, gate_side, permit.presence, permit.disputed)
            {
                Decision::Deny(broken)
            } else {
                Decision::Admit(Vec::new())
            }
        }
        // Nobody is kept inside: an expired or revoked permit still lets its holder out, flagged.
        Direction::Exit => {
            match presence_rule(direction, gate_side, permit.presence, permit.disputed) {
                Some(broken) => Decision::Deny(broken),
                None => {
                    let mut flags = Vec::new();
                    if at >= permit.valid_until {
                        flags.push(Flag::Overstay);
                    }
                    if permit.status == PermitStatus::Revoked {
                        flags.push(Flag::Revoked);
                    }
                    Decision::Admit(flags)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0)
            .single()
            .expect("instant")
    }

    fn facts(status: PermitStatus, presence: Presence) -> PermitFacts {
        PermitFacts {
            status,
            valid_from: at(2),
            valid_until: at(20),
            presence,
            disputed: false,
        }
    }

    #[test]
    fn a_disputed_holder_leaves_through_either_side_and_nothing_else_changes() {
        let disputed = PermitFacts {
            disputed: true,
            ..facts(PermitStatus::Active, Presence::Inside { side: Side::Kaz })
        };
        assert_eq!(
            decide(Direction::Exit, Side::Chn, &disputed, at(10)),
            Decision::Admit(vec![])
        );
        assert_eq!(
            decide(Direction::Entry, Side::Chn, &disputed, at(10)),
            Decision::Deny(DenyReason::AlreadyInside)
        );
        assert_eq!(
            presence_rule(Direction::Exit, Side::Chn, Presence::Outside, true),
            Some(DenyReason::NotInside)
        );
    }

    #[test]
    fn an_admission_despite_a_reason_opens_a_conflict_of_its_kind() {
        assert_eq!(
            DenyReason::UnknownKey.conflict_kind(),
            Some(DenyReason::BadSignature)
        );
        assert_eq!(
            DenyReason::MalformedToken.conflict_kind(),
            Some(DenyReason::BadSignature)
        );
        assert_eq!(
            DenyReason::WrongSide.conflict_kind(),
            Some(DenyReason::WrongSide)
        );
        assert_eq!(DenyReason::DeniedAtGate.conflict_kind(), None);
    }

    #[test]
    fn entry_rules() {
        let outside = facts(PermitStatus::Active, Presence::Outside);
        assert_eq!(
            decide(Direction::Entry, Side::Chn, &outside, at(10)),
            Decision::Admit(vec![])
        );
        assert_eq!(
            decide(Direction::Entry, Side::Chn, &outside, at(1)),
            Decision::Deny(DenyReason::NotYetValid)
        );
        assert_eq!(
            decide(Direction::Entry, Side::Chn, &outside, at(20)),
            Decision::Deny(DenyReason::Expired)
        );
        let revoked = facts(PermitStatus::Revoked, Presence::Outside);
        assert_eq!(
            decide(Direction::Entry, Side::Chn, &revoked, at(10)),
            Decision::Deny(DenyReason::Revoked)
        );
        let inside = facts(PermitStatus::Active, Presence::Inside { side: Side::Kaz });
        assert_eq!(
            decide(Direction::Entry, Side::Chn, &inside, at(10)),
            Decision::Deny(DenyReason::AlreadyInside)
        );
    }

    #[test]
    fn exit_rules() {
        let inside_kaz = facts(PermitStatus::Active, Presence::Inside { side: Side::Kaz });
        assert_eq!(
            decide(Direction::Exit, Side::Kaz, &inside_kaz, at(10)),
            Decision::Admit(vec![])
        );
        assert_eq!(
            decide(Direction::Exit, Side::Chn, &inside_kaz, at(10)),
            Decision::Deny(DenyReason::WrongSide)
        );
        let outside = facts(PermitStatus::Active, Presence::Outside);
        assert_eq!(
            decide(Direction::Exit, Side::Kaz, &outside, at(10)),
            Decision::Deny(DenyReason::NotInside)
        );
        assert_eq!(
            decide(Direction::Exit, Side::Kaz, &inside_kaz, at(21)),
            Decision::Admit(vec![Flag::Overstay])
        );
        let revoked = facts(PermitStatus::Revoked, Presence::Inside { side: Side::Kaz });
        assert_eq!(
            decide(Direction::Exit, Side::Kaz, &revoked, at(21)),
            Decision::Admit(vec![Flag::Overstay, Flag::Revoked])
        );
    }
}
