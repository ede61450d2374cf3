//! Permits: the visit rules, the validity window in the zone's time zone, the permit id.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::document::{required_date, DocumentInput, TravelDocument};
use super::violation::{Violation, ViolationCode, Violations};

/// How far ahead a visit may start, in days.
pub const MAX_DAYS_AHEAD: u32 = 90;

/// A permit's identifier: a UUIDv7, so ids sort by time of issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermitId(uuid::Uuid);

impl PermitId {
    /// A new id for a permit issued now.
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for PermitId {
    fn default() -> Self {
        Self::new()
    }
}

impl FromStr for PermitId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s.trim()).map(Self)
    }
}

impl fmt::Display for PermitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// A permit's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermitStatus {
    /// Valid for entry within its dates.
    Active,
    /// Revoked by an administrator: no more entries.
    Revoked,
}

impl PermitStatus {
    /// `active` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
        }
    }

    /// Reads what `as_str` wrote.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// Longest reason for a revocation.
pub const MAX_REASON_CHARS: usize = 500;

/// Why an administrator revoked a permit: 1 to 500 characters, kept with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationReason(String);

impl RevocationReason {
    /// Reads a reason (surrounding space trimmed) at field `reason`.
    pub fn parse(raw: Option<&str>) -> Result<Self, Vec<Violation>> {
        let reason = raw.map(str::trim).unwrap_or_default();
        let code = if reason.is_empty() {
            ViolationCode::Required
        } else if reason.chars().count() > MAX_REASON_CHARS {
            ViolationCode::InvalidLength
        } else {
            return Ok(Self(reason.to_owned()));
        };
        Err(vec![Violation::new(
            "reason",
            code,
            format!("a reason of 1 to {MAX_REASON_CHARS} characters"),
        )])
    }

    /// The reason's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The limits a visit must respect.
#[derive(Debug, Clone, Copy)]
pub struct VisitRules {
    /// Longest visit, both ends counted.
    pub max_stay_days: u32,
    /// Furthest a visit may start ahead of today.
    pub max_days_ahead: u32,
}

/// The calendar days of a visit in the zone's time zone, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    from: NaiveDate,
    until: NaiveDate,
}

impl Visit {
    /// Checks the visit against `rules` as of `today` (a date in the zone's time zone).
    pub fn parse(
        from: Option<&str>,
        until: Option<&str>,
        today: NaiveDate,
        rules: VisitRules,
    ) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        let from = required_date(&mut p, "from", from);
        let until = required_date(&mut p, "until", until);
        if let Some(from) = from {
            if from < today {
                p.push(
                    "from",
                    ViolationCode::DateInPast,
                    format!("the visit cannot start in the past (today is {today} in the zone)"),
                );
            } else if from > today + Days::new(u64::from(rules.max_days_ahead)) {
                p.push(
                    "from",
                    ViolationCode::TooFarAhead,
                    format!(
                        "the visit may start at most {} days ahead",
                        rules.max_days_ahead
                    ),
                );
            }
        }
        if let (Some(from), Some(until)) = (from, until) {
            if until < from {
                p.push("until", ViolationCode::InvalidRange, "until is before from");
            } else if (until - from).num_days() + 1 > i64::from(rules.max_stay_days) {
                p.push(
                    "until",
                    ViolationCode::TooLong,
                    format!(
                        "a visit lasts at most {} days, both ends counted",
                        rules.max_stay_days
                    ),
                );
            }
        }
        match (from, until) {
            (Some(from), Some(until)) if p.is_empty() => Ok(Self { from, until }),
            _ => Err(p.into_vec()),
        }
    }

    /// A visit already known to be valid (read back from storage).
    pub fn from_stored(from: NaiveDate, until: NaiveDate) -> Self {
        Self { from, until }
    }

    /// First day.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// Last day.
    pub fn until(&self) -> NaiveDate {
        self.until
    }

    /// The instants the permit is valid between: 00:00 on `from` to 24:00 on `until`, in `tz`.
    pub fn validity(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let end_day = self
            .until
            .checked_add_days(Days::new(1))
            .unwrap_or(self.until);
        (start_of_day(self.from, tz), start_of_day(end_day, tz))
    }
}

/// The first instant of `day` in `tz` (midnight, or the first instant after a gap at midnight).
pub fn start_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    let mut probe = midnight;
    // A daylight-saving gap can swallow midnight; the day then starts at the gap's end.
    for _ in 0..=4 * 24 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        probe += chrono::Duration::minutes(15);
    }
    midnight.and_utc()
}

/// A checked application: document and visit, with the document valid through the visit.
#[derive(Debug, Clone)]
pub struct Application {
    /// The holder's document.
    pub document: TravelDocument,
    /// The visit.
    pub visit: Visit,
}

impl Application {
    /// Checks everything at once; field names are those of the request (`document.number`, `visit.until`).
    pub fn parse(
        document: &DocumentInput,
        from: Option<&str>,
        until: Option<&str>,
        today: NaiveDate,
        rules: VisitRules,
    ) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        let document = p.take(Some("document"), TravelDocument::parse(document, today));
        let visit = p.take(Some("visit"), Visit::parse(from, until, today, rules));
        if let (Some(d), Some(v)) = (&document, &visit) {
            if let Err(violation) = d.check_valid_through(v.until()) {
                p.extend(Some("document"), [violation]);
            }
        }
        match (document, visit) {
            (Some(document), Some(visit)) if p.is_empty() => Ok(Self { document, visit }),
            _ => Err(p.into_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    const RULES: VisitRules = VisitRules {
        max_stay_days: 30,
        max_days_ahead: 90,
    };

    fn codes(r: Result<Visit, Vec<Violation>>) -> Vec<(String, ViolationCode)> {
        r.expect_err("refused")
            .into_iter()
            .map(|v| (v.field, v.code))
            .collect()
    }

    #[test]
    fn thirty_days_is_from_plus_twenty_nine() {
        let today = date(2026, 11, 29);
        assert!(Visit::parse(Some("2026-12-01"), Some("2026-12-30"), today, RULES).is_ok());
        assert_eq!(
            codes(Visit::parse(
                Some("2026-12-01"),
                Some("2026-12-31"),
                today,
                RULES
            )),
            vec![("until".into(), ViolationCode::TooLong)]
        );
        assert!(
            Visit::parse(Some("2026-11-29"), Some("2026-11-29"), today, RULES).is_ok(),
            "today, one day"
        );
    }

    #[test]
    fn each_rule_has_its_code() {
        let today = date(2026, 11, 29);
        assert_eq!(
            codes(Visit::parse(
                Some("2026-11-28"),
                Some("2026-11-30"),
                today,
                RULES
            )),
            vec![("from".into(), ViolationCode::DateInPast)]
        );
        assert_eq!(
            codes(Visit::parse(
                Some("2027-02-28"),
                Some("2027-03-01"),
                today,
                RULES
            )),
            vec![("from".into(), ViolationCode::TooFarAhead)]
        );
        assert_eq!(
            codes(Visit::parse(
                Some("2026-12-05"),
                Some("2026-12-01"),
                today,
                RULES
            )),
            vec![("until".into(), ViolationCode::InvalidRange)]
        );
        assert_eq!(
            codes(Visit::parse(None, Some("2026-02-30"), today, RULES)),
            vec![
                ("from".into(), ViolationCode::Required),
                ("until".into(), ViolationCode::InvalidDate)
            ]
        );
    }

    #[test]
    fn validity_is_midnight_to_midnight_in_the_zone() {
        let visit = Visit::from_stored(date(2026, 12, 1), date(2026, 12, 20));
        let (from, until) = visit.validity(chrono_tz::Asia::Shanghai);
        assert_eq!(from.to_rfc3339(), "2026-11-30T16:00:00+00:00");
        assert_eq!(until.to_rfc3339(), "2026-12-20T16:00:00+00:00");
        let (from, _) = visit.validity(chrono_tz::Asia::Almaty);
        assert_eq!(
            from.to_rfc3339(),
            "2026-11-30T19:00:00+00:00",
            "Almaty is UTC+5 since 2024-03-01"
        );
    }

    #[test]
    fn a_day_whose_midnight_falls_in_a_gap_starts_at_the_gap_end() {
        // Santiago de Chile skips from 00:00 to 01:00 on the first Sunday of September.
        let start = start_of_day(date(2024, 9, 8), chrono_tz::America::Santiago);
        assert_eq!(start.to_rfc3339(), "2024-09-08T04:00:00+00:00");
    }
}

/// What an administrator searches permits by, as sent.
#[derive(Debug, Clone, Default)]
pub struct PermitSearchInput {
    /// A permit id.
    pub permit_id: Option<String>,
    /// The document's API type (`passport`, `id_card`).
    pub document_type: Option<String>,
    /// The document's issuing country.
    pub issuing_country: Option<String>,
    /// The document's number.
    pub number: Option<String>,
    /// Whether a document was named at all.
    pub document_given: bool,
    /// The surname's beginning.
    pub surname_prefix: Option<String>,
    /// The birth date (`YYYY-MM-DD`).
    pub birth_date: Option<String>,
}

/// A checked search: every criterion given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermitSearch {
    /// The permit.
    pub permit_id: Option<String>,
    /// The document key (`type:country:NUMBER`).
    pub document_key: Option<String>,
    /// The surname's beginning, as stored names are written.
    pub surname_prefix: Option<String>,
    /// The birth date.
    pub birth_date: Option<NaiveDate>,
}

impl PermitSearch {
    /// The search `input` asks for: at least one criterion; a document with its type, country
    /// and number; a birth date with a surname's beginning (a birth date alone names thousands).
    pub fn parse(input: &PermitSearchInput) -> Result<Self, Vec<Violation>> {
        use super::document::{document_key, name_form, CountryCode};
        let mut p = Violations::default();
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let permit_id = text(&input.permit_id).and_then(|raw| match raw.parse::<PermitId>() {
            Ok(id) => Some(id.to_string()),
            Err(_) => {
                p.push(
                    "permit_id",
                    ViolationCode::InvalidValue,
                    "permit_id is a permit's id (a UUID)",
                );
                None
            }
        });
        let mut document_key_found = None;
        if input.document_given {
            let doc_type = text(&input.document_type);
            let country = text(&input.issuing_country);
            let number = text(&input.number).map(|n| n.replace(' ', "").to_ascii_uppercase());
            let doc_type = match doc_type.as_deref() {
                None => {
                    p.missing("document.type");
                    None
                }
                Some(t @ ("passport" | "id_card")) => Some(t.to_owned()),
                Some(_) => {
                    p.push(
                        "document.type",
                        ViolationCode::InvalidValue,
                        "type is passport or id_card",
                    );
                    None
                }
            };
            let country = match country {
                None => {
                    p.missing("document.issuing_country");
                    None
                }
                Some(raw) => match CountryCode::parse(&raw) {
                    Ok(c) => Some(c),
                    Err(_) => {
                        p.push(
                            "document.issuing_country",
                            ViolationCode::InvalidValue,
                            "issuing_country is an ICAO 9303 country code (CHN, KAZ, ...)",
                        );
                        None
                    }
                },
            };
            let number = match number {
                None => {
                    p.missing("document.number");
                    None
                }
                Some(n) if n.chars().all(|c| c.is_ascii_alphanumeric()) && n.len() <= 18 => Some(n),
                Some(_) => {
                    p.push(
                        "document.number",
                        ViolationCode::InvalidCharacter,
                        "a document number has letters and digits only",
                    );
                    None
                }
            };
            if let (Some(t), Some(c), Some(n)) = (doc_type, country, number) {
                document_key_found = Some(document_key(&t, &c, &n));
            }
        }
        let surname_prefix = text(&input.surname_prefix).map(|raw| name_form(&raw));
        if surname_prefix
            .as_ref()
            .is_some_and(|s| s.chars().count() > 100)
        {
            p.push(
                "surname_prefix",
                ViolationCode::InvalidLength,
                "surname_prefix has at most 100 characters",
            );
        }
        let birth_date = text(&input.birth_date).and_then(|raw| {
            let parsed = NaiveDate::parse_from_str(&raw, "%Y-%m-%d").ok();
            if parsed.is_none() {
                p.push(
                    "birth_date",
                    ViolationCode::InvalidDate,
                    "birth_date is a date (YYYY-MM-DD)",
                );
            }
            parsed
        });
        if text(&input.birth_date).is_some() && surname_prefix.is_none() {
            p.push(
                "surname_prefix",
                ViolationCode::Required,
                "a birth date is searched with the surname's beginning",
            );
        }
        let nothing = text(&input.permit_id).is_none()
            && !input.document_given
            && surname_prefix.is_none()
            && text(&input.birth_date).is_none();
        if nothing {
            p.push(
                "permit_id",
                ViolationCode::Required,
                "name a permit id, a document, or a surname's beginning (with or without a birth date)",
            );
        }
        p.finish(|| Self {
            permit_id,
            document_key: document_key_found,
            surname_prefix,
            birth_date,
        })
    }
}
