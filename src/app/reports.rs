//! Administrators' reports: daily counts in any time zone, and who is inside now.

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::stats::{self, Occupancy, Overstay};
use crate::domain::staff::Admin;
use crate::domain::stats::{DayCounts, Paging, ReportRange};

use super::{gates, Core, Error};

/// The query of a daily report, as typed.
#[derive(Debug, Clone, Default)]
pub struct DailyInput {
    /// First local day.
    pub from: Option<String>,
    /// Last local day.
    pub to: Option<String>,
    /// IANA time zone of the calendar (default: the zone's).
    pub tz: Option<String>,
    /// Only this gate.
    pub gate_id: Option<String>,
}

/// Where a report's counts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountSource {
    /// The counts kept with every scan.
    Aggregates,
    /// Counted from the crossing log for this request.
    Log,
}

impl CountSource {
    /// `aggregates` or `log`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aggregates => "aggregates",
            Self::Log => "log",
        }
    }
}

/// Daily counts over a range.
#[derive(Debug, Clone)]
pub struct DailyReport {
    /// What the report covers.
    pub range: ReportRange,
    /// Where the counts came from.
    pub source: CountSource,
    /// One element per local day, zeros included.
    pub days: Vec<(NaiveDate, DayCounts)>,
    /// The sum of the days.
    pub totals: DayCounts,
}

/// Daily counts of the crossing log in a time zone.
pub async fn daily(core: &Core, _admin: &Admin, input: DailyInput) -> Result<DailyReport, Error> {
    let gate = gates::lookup(core, input.gate_id.as_deref()).await?;
    let range = ReportRange::parse(
        input.from.as_deref(),
        input.to.as_deref(),
        input.tz.as_deref(),
        core.config.zone_tz,
        gate,
    )?;
    let wanted = range.clone();
    let (days, source) = core
        .store
        .read(move |conn| {
            Ok(match stats::read_aggregated(conn, &wanted)? {
                Some(days) => (days, CountSource::Aggregates),
                None => (stats::count_from_log(conn, &wanted)?, CountSource::Log),
            })
        })
        .await?;
    let mut totals = DayCounts::default();
    for (_, counts) in &days {
        totals.add(counts);
    }
    Ok(DailyReport {
        range,
        source,
        days,
        totals,
    })
}

/// Who is inside, and a page of those who stayed past their permit.
#[derive(Debug, Clone)]
pub struct OccupancyReport {
    /// The instant counted.
    pub as_of: DateTime<Utc>,
    /// The counts.
    pub counts: Occupancy,
    /// The page shown.
    pub paging: Paging,
    /// The overstays on that page, longest overdue first.
    pub overstays: Vec<Overstay>,
}

/// Overstays shown per page unless asked otherwise.
pub const OVERSTAYS_PER_PAGE: u32 = 50;
/// Most overstays on one page.
pub const MAX_OVERSTAYS_PER_PAGE: u32 = 500;

/// Who is inside the zone now.
pub async fn occupancy(
    core: &Core,
    _admin: &Admin,
    page: Option<&str>,
    per_page: Option<&str>,
) -> Result<OccupancyReport, Error> {
    let paging = Paging::parse(page, per_page, OVERSTAYS_PER_PAGE, MAX_OVERSTAYS_PER_PAGE)?;
    let as_of = core.clock.now();
    let at = as_of.naive_utc();
    let (counts, overstays) = core
        .store
        .read(move |conn| {
            let counts = stats::occupancy(conn, at)?;
            let rows = stats::overstays(conn, at, paging.offset(), i64::from(paging.per_page))?;
            Ok((counts, rows))
        })
        .await?;
    Ok(OccupancyReport {
        as_of,
        counts,
        paging,
        overstays,
    })
}

/// What the administrators' dashboard shows: daily counts of a range, who is inside now (with the
/// first page of overstays), and the gates to choose from.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The daily counts, or the problems of the range asked for (the rest is shown either way).
    pub daily: Result<DailyReport, Vec<crate::domain::violation::Violation>>,
    /// Who is inside.
    pub occupancy: OccupancyReport,
    /// Every gate.
    pub gates: Vec<crate::db::gates::GateRow>,
}

/// The dashboard for `input`: the last 30 days of the zone's calendar unless a range is given. A
/// refused range is the dashboard's `daily`; who is inside and the gates are read all the same.
pub async fn dashboard(
    core: &Core,
    admin: &Admin,
    mut input: DailyInput,
) -> Result<Dashboard, Error> {
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
    if blank(&input.from) && blank(&input.to) {
        let today = core.zone_today();
        input.to = Some(today.to_string());
        input.from = Some((today - chrono::Days::new(29)).to_string());
    }
    let daily = match daily(core, admin, input).await {
        Ok(report) => Ok(report),
        Err(Error::Invalid(violations)) => Err(violations),
        Err(other) => return Err(other),
    };
    let occupancy = occupancy(core, admin, None, None).await?;
    let gates = gates::list(core).await?;
    Ok(Dashboard {
        daily,
        occupancy,
        gates,
    })
}
