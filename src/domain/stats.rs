//! Daily counts of the crossing log in any time zone, and the rules of a report's range.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use super::crossing::Direction;
use super::document::required_date;
use super::gate::GateLookup;
use super::violation::{Violation, ViolationCode, Violations};

/// Longest report, in days (both ends counted).
pub const MAX_REPORT_DAYS: i64 = 366;

/// Counts at one gate on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct GateCounts {
    /// Admitted entries.
    pub entries: u64,
    /// Admitted exits.
    pub exits: u64,
    /// Distinct permits admitted at this gate that day.
    pub travelers: u64,
    /// Denied scans.
    pub denied: u64,
}

/// Admitted crossings of one nationality on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct NationalityCounts {
    /// Admitted entries.
    pub entries: u64,
    /// Admitted exits.
    pub exits: u64,
}

/// The counts of one local day (or of a whole report, for totals).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayCounts {
    /// Admitted entries.
    pub entries: u64,
    /// Admitted exits.
    pub exits: u64,
    /// Distinct permits admitted that day (in totals: the sum over the days).
    pub travelers: u64,
    /// Denied scans.
    pub denied: u64,
    /// Permits issued that day (all gates).
    pub permits_issued: u64,
    /// By gate.
    pub by_gate: BTreeMap<String, GateCounts>,
    /// By nationality (admitted scans).
    pub by_nationality: BTreeMap<String, NationalityCounts>,
}

impl DayCounts {
    /// Adds `other` into `self` (for totals).
    pub fn add(&mut self, other: &DayCounts) {
        self.entries += other.entries;
        self.exits += other.exits;
        self.travelers += other.travelers;
        self.denied += other.denied;
        self.permits_issued += other.permits_issued;
        for (gate, c) in &other.by_gate {
            let g = self.by_gate.entry(gate.clone()).or_default();
            g.entries += c.entries;
            g.exits += c.exits;
            g.travelers += c.travelers;
            g.denied += c.denied;
        }
        for (nat, c) in &other.by_nationality {
            let n = self.by_nationality.entry(nat.clone()).or_default();
            n.entries += c.entries;
            n.exits += c.exits;
        }
    }
}

/// A page of a long list: which page, and how many items on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Page, from 1.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

/// Highest page number accepted.
pub const MAX_PAGE: u32 = 1_000_000;

impl Paging {
    /// Reads `page` (default 1) and `per_page` (default `default_per_page`, at most `max_per_page`).
    pub fn parse(
        page: Option<&str>,
        per_page: Option<&str>,
        default_per_page: u32,
        max_per_page: u32,
    ) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        let mut number =
            |field: &str, raw: Option<&str>, default: u32, max: u32| match raw.map(str::trim) {
                None | Some("") => default,
                Some(raw) => match raw.parse::<u32>() {
                    Ok(v) if (1..=max).contains(&v) => v,
                    _ => {
                        p.push(
                            field,
                            ViolationCode::InvalidValue,
                            format!("{field} is a whole number from 1 to {max}"),
                        );
                        default
                    }
                },
            };
        let page = number("page", page, 1, MAX_PAGE);
        let per_page = number("per_page", per_page, default_per_page, max_per_page);
        p.finish(|| Self { page, per_page })
    }

    /// Items before this page.
    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    /// How many pages `total` items fill (one, when there are none).
    pub fn pages(&self, total: i64) -> i64 {
        let per_page = i64::from(self.per_page);
        ((total + per_page - 1) / per_page).max(1)
    }
}

/// What a daily report covers: local days `from..=to` in `tz`, optionally one gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// The calendar.
    pub tz: Tz,
    /// Only this gate.
    pub gate_id: Option<String>,
}

impl ReportRange {
    /// Checks the query parameters; field names are the parameters'.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        tz: Option<&str>,
        default_tz: Tz,
        gate: GateLookup,
    ) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();
        let from = required_date(&mut p, "from", from);
        let to = required_date(&mut p, "to", to);
        let tz = match tz.map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(default_tz),
            Some(raw) => {
                let parsed = raw.parse::<Tz>().ok();
                if parsed.is_none() {
                    p.push(
                        "tz",
                        ViolationCode::InvalidValue,
                        "tz must be an IANA time zone such as Asia/Almaty",
                    );
                }
                parsed
            }
        };
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                p.push("to", ViolationCode::InvalidRange, "to is before from");
            } else if (to - from).num_days() + 1 > MAX_REPORT_DAYS {
                p.push(
                    "to",
                    ViolationCode::TooLong,
                    format!("a report covers at most {MAX_REPORT_DAYS} days"),
                );
            }
        }
        let gate_id = gate
            .take(&mut p, "gate_id", false)
            .map(|g| g.id.to_string());
        match (from, to, tz) {
            (Some(from), Some(to), Some(tz)) if p.is_empty() => Ok(Self {
                from,
                to,
                tz,
                gate_id,
            }),
            _ => Err(p.into_vec()),
        }
    }

    /// Every day of the range.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(move |d| *d <= self.to)
    }

    /// The instants the range covers: 00:00 of `from` to 24:00 of `to`, in its time zone.
    pub fn instants(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = self.to.succ_opt().unwrap_or(self.to);
        (
            super::permit::start_of_day(self.from, self.tz),
            super::permit::start_of_day(end, self.tz),
        )
    }
}

/// One row of the crossing log, as the counts see it.
#[derive(Debug, Clone)]
pub struct ScanEvent {
    /// The permit, when the token named a stored one.
    pub permit_id: Option<String>,
    /// Gate.
    pub gate_id: String,
    /// Holder's nationality, when known.
    pub nationality: Option<String>,
    /// Entry or exit.
    pub direction: Direction,
    /// Admitted or denied.
    pub admitted: bool,
    /// The device's clock: the scan counts on this instant's local day.
    pub scanned_at: DateTime<Utc>,
}

/// What one scan adds to the day it falls on, in one time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Increment {
    /// The local day.
    pub day: NaiveDate,
    /// Gate.
    pub gate_id: String,
    /// 1 for an admitted entry.
    pub entries: u64,
    /// 1 for an admitted exit.
    pub exits: u64,
    /// 1 for a denied scan.
    pub denied: u64,
    /// The permit's first admitted scan at this gate that day.
    pub gate_traveler: bool,
    /// The permit's first admitted scan that day.
    pub day_traveler: bool,
    /// For admitted scans of a known nationality.
    pub nationality: Option<String>,
}

/// What `event` adds in `tz`, given the permit's other admitted scans `(gate, instant)` already logged.
pub fn increment(
    event: &ScanEvent,
    earlier_admitted: &[(String, DateTime<Utc>)],
    tz: Tz,
) -> Increment {
    let day = event.scanned_at.with_timezone(&tz).date_naive();
    let same_day = |(_, at): &&(String, DateTime<Utc>)| at.with_timezone(&tz).date_naive() == day;
    // Every admitted crossing counts, also one a gate admitted offline for a token that names no
    // stored permit; travelers are counted by permit.
    let crossed = event.admitted;
    let admitted = crossed && event.permit_id.is_some();
    Increment {
        day,
        gate_id: event.gate_id.clone(),
        entries: u64::from(crossed && event.direction == Direction::Entry),
        exits: u64::from(crossed && event.direction == Direction::Exit),
        denied: u64::from(!event.admitted),
        gate_traveler: admitted
            && !earlier_admitted
                .iter()
                .filter(same_day)
                .any(|(g, _)| *g == event.gate_id),
        day_traveler: admitted && !earlier_admitted.iter().any(|e| same_day(&e)),
        nationality: if admitted {
            event.nationality.clone()
        } else {
            None
        },
    }
}

/// Counts a report straight from log rows and permit issue instants: the reference the
/// pre-aggregated counts are checked against, and the way for time zones without them.
#[derive(Debug)]
pub struct Tally {
    range: ReportRange,
    days: BTreeMap<NaiveDate, DayCounts>,
    seen_day: HashSet<(NaiveDate, String)>,
    seen_gate: HashSet<(NaiveDate, String, String)>,
    gate_nationalities: BTreeMap<(NaiveDate, String, String), NationalityCounts>,
}

/// Admitted crossings by day, gate and nationality.
pub type GateNationalities = BTreeMap<(NaiveDate, String, String), NationalityCounts>;

impl Tally {
    /// An empty tally over `range`.
    pub fn new(range: ReportRange) -> Self {
        let days = range.days().map(|d| (d, DayCounts::default())).collect();
        Self {
            range,
            days,
            seen_day: HashSet::new(),
            seen_gate: HashSet::new(),
            gate_nationalities: BTreeMap::new(),
        }
    }

    /// Counts one log row (rows outside the range or of another gate are ignored).
    pub fn scan(&mut self, event: &ScanEvent) {
        if self
            .range
            .gate_id
            .as_ref()
            .is_some_and(|g| *g != event.gate_id)
        {
            return;
        }
        let day = event.scanned_at.with_timezone(&self.range.tz).date_naive();
        let Some(counts) = self.days.get_mut(&day) else {
            return;
        };
        let gate = counts.by_gate.entry(event.gate_id.clone()).or_default();
        match (&event.permit_id, event.admitted) {
            (_, false) => {
                counts.denied += 1;
                gate.denied += 1;
            }
            (None, true) => {}
            (Some(permit), true) => {
                let (entries, exits) = match event.direction {
                    Direction::Entry => (1, 0),
                    Direction::Exit => (0, 1),
                };
                counts.entries += entries;
                counts.exits += exits;
                gate.entries += entries;
                gate.exits += exits;
                if self
                    .seen_gate
                    .insert((day, event.gate_id.clone(), permit.clone()))
                {
                    gate.travelers += 1;
                }
                let first_today = self.seen_day.insert((day, permit.clone()));
                if let Some(nat) = &event.nationality {
                    let n = counts.by_nationality.entry(nat.clone()).or_default();
                    n.entries += entries;
                    n.exits += exits;
                    let g = self
                        .gate_nationalities
                        .entry((day, event.gate_id.clone(), nat.clone()))
                        .or_default();
                    g.entries += entries;
                    g.exits += exits;
                }
                // With a gate filter, a day's travelers are those of that gate.
                if first_today && self.range.gate_id.is_none() {
                    counts.travelers += 1;
                }
                if self.range.gate_id.is_some() {
                    counts.travelers = gate.travelers;
                }
            }
        }
    }

    /// Counts one permit issued at `at`.
    pub fn permit_issued(&mut self, at: DateTime<Utc>) {
        let day = at.with_timezone(&self.range.tz).date_naive();
        if let Some(counts) = self.days.get_mut(&day) {
            counts.permits_issued += 1;
        }
    }

    /// The days, every one of the range, zeros included.
    pub fn finish(self) -> Vec<(NaiveDate, DayCounts)> {
        self.days.into_iter().collect()
    }

    /// The days, and the admitted crossings by day, gate and nationality.
    pub fn finish_with_gate_nationalities(
        self,
    ) -> (Vec<(NaiveDate, DayCounts)>, GateNationalities) {
        (self.days.into_iter().collect(), self.gate_nationalities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("instant")
    }

    fn event(
        permit: &str,
        gate: &str,
        direction: Direction,
        admitted: bool,
        when: DateTime<Utc>,
    ) -> ScanEvent {
        ScanEvent {
            permit_id: Some(permit.into()),
            gate_id: gate.into(),
            nationality: Some("KAZ".into()),
            direction,
            admitted,
            scanned_at: when,
        }
    }

    fn range(from: NaiveDate, to: NaiveDate, tz: Tz) -> ReportRange {
        ReportRange {
            from,
            to,
            tz,
            gate_id: None,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn one_instant_two_calendars() {
        // 2026-11-28T17:30Z is 01:30 on the 29th in Shanghai and 22:30 on the 28th in Almaty.
        let e = event(
            "p1",
            "CN-1",
            Direction::Entry,
            true,
            at(2026, 11, 28, 17, 30),
        );
        assert_eq!(
            increment(&e, &[], chrono_tz::Asia::Shanghai).day,
            date(2026, 11, 29)
        );
        assert_eq!(
            increment(&e, &[], chrono_tz::Asia::Almaty).day,
            date(2026, 11, 28)
        );
    }

    #[test]
    fn travelers_are_distinct_permits_per_local_day() {
        let tz = chrono_tz::Asia::Shanghai;
        let events = [
            event("p1", "CN-1", Direction::Entry, true, at(2026, 11, 28, 2, 0)),
            event("p1", "CN-1", Direction::Exit, true, at(2026, 11, 28, 6, 0)),
            event("p1", "KZ-1", Direction::Entry, true, at(2026, 11, 28, 8, 0)),
            event(
                "p2",
                "KZ-1",
                Direction::Entry,
                false,
                at(2026, 11, 28, 9, 0),
            ),
            // 16:30Z is 00:30 the next day in Shanghai.
            event(
                "p1",
                "KZ-1",
                Direction::Exit,
                true,
                at(2026, 11, 28, 16, 30),
            ),
        ];
        let mut tally = Tally::new(range(date(2026, 11, 28), date(2026, 11, 29), tz));
        let mut earlier: Vec<(String, DateTime<Utc>)> = Vec::new();
        let mut increments = Vec::new();
        for e in &events {
            tally.scan(e);
            increments.push(increment(e, &earlier, tz));
            if e.admitted {
                earlier.push((e.gate_id.clone(), e.scanned_at));
            }
        }
        let days = tally.finish();
        let day1 = &days[0].1;
        assert_eq!(
            (day1.entries, day1.exits, day1.travelers, day1.denied),
            (2, 1, 1, 1)
        );
        assert_eq!(day1.by_gate["CN-1"].travelers, 1);
        assert_eq!(day1.by_gate["KZ-1"].travelers, 1);
        assert_eq!(
            day1.by_nationality["KAZ"],
            NationalityCounts {
                entries: 2,
                exits: 1
            }
        );
        let day2 = &days[1].1;
        assert_eq!((day2.entries, day2.exits, day2.travelers), (0, 1, 1));
        // The increments agree with the tally.
        let day_travelers: u64 = increments
            .iter()
            .filter(|i| i.day == date(2026, 11, 28) && i.day_traveler)
            .count() as u64;
        assert_eq!(day_travelers, 1);
        assert!(
            increments[4].day_traveler,
            "first crossing of the next local day"
        );
    }

    #[test]
    fn paging_rules() {
        assert_eq!(
            Paging::parse(None, None, 50, 500),
            Ok(Paging {
                page: 1,
                per_page: 50
            })
        );
        assert_eq!(
            Paging::parse(Some("3"), Some("10"), 50, 500).map(|p| p.offset()),
            Ok(20)
        );
        let fields: Vec<_> = Paging::parse(Some("0"), Some("501"), 50, 500)
            .expect_err("refused")
            .into_iter()
            .map(|v| (v.field, v.code))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("page".into(), ViolationCode::InvalidValue),
                ("per_page".into(), ViolationCode::InvalidValue)
            ]
        );
    }

    #[test]
    fn range_rules() {
        let tz = chrono_tz::Asia::Shanghai;
        let codes = |from, to, zone| {
            ReportRange::parse(from, to, zone, tz, GateLookup::NotGiven)
                .expect_err("refused")
                .into_iter()
                .map(|v| (v.field, v.code))
                .collect::<Vec<_>>()
        };
        assert!(ReportRange::parse(
            Some("2025-01-01"),
            Some("2025-12-31"),
            None,
            tz,
            GateLookup::NotGiven
        )
        .is_ok());
        assert!(
            ReportRange::parse(
                Some("2024-01-01"),
                Some("2024-12-31"),
                None,
                tz,
                GateLookup::NotGiven
            )
            .is_ok(),
            "366 days"
        );
        assert_eq!(
            codes(Some("2024-01-01"), Some("2025-01-01"), None),
            vec![("to".into(), ViolationCode::TooLong)]
        );
        assert_eq!(
            codes(Some("2025-02-01"), Some("2025-01-01"), None),
            vec![("to".into(), ViolationCode::InvalidRange)]
        );
        assert_eq!(
            codes(Some("2025-02-30"), Some("2025-03-01"), Some("Mars/Olympus")),
            vec![
                ("from".into(), ViolationCode::InvalidDate),
                ("tz".into(), ViolationCode::InvalidValue)
            ]
        );
    }

    #[test]
    fn days_of_23_and_25_hours() {
        // New York: 2026-03-08 has 23 hours, 2026-11-01 has 25.
        let ny = chrono_tz::America::New_York;
        let short = ReportRange {
            from: date(2026, 3, 8),
            to: date(2026, 3, 8),
            tz: ny,
            gate_id: None,
        }
        .instants();
        assert_eq!((short.1 - short.0).num_hours(), 23);
        let long = ReportRange {
            from: date(2026, 11, 1),
            to: date(2026, 11, 1),
            tz: ny,
            gate_id: None,
        }
        .instants();
        assert_eq!((long.1 - long.0).num_hours(), 25);
    }
}
