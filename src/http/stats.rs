//! Administrators' reports: daily counts in any time zone (JSON or CSV), and who is inside now.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::problem::{responses, ApiError, Problem};
use crate::app::reports::{self as report_use, DailyInput, OccupancyReport};
use crate::app::Core;
use crate::domain::staff::Admin;
use crate::domain::stats::DayCounts;

/// The range of a daily report.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DailyQuery {
    /// First local day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last local day, `YYYY-MM-DD`; at most 366 days in all.
    pub to: Option<String>,
    /// IANA time zone of the calendar (default: the zone's, `BORDERPASS_ZONE_TZ`).
    pub tz: Option<String>,
    /// Only this gate.
    pub gate_id: Option<String>,
}

/// One local day.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    /// The local day.
    pub date: NaiveDate,
    /// Its counts.
    #[serde(flatten)]
    pub counts: DayCounts,
}

/// Daily counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyReport {
    /// The calendar.
    pub tz: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// The gate, when filtered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate_id: Option<String>,
    /// `aggregates` (kept with every scan) or `log` (counted from the crossing log for this request).
    pub source: &'static str,
    /// One element per local day, zeros included.
    pub days: Vec<DayView>,
    /// The sum of the days (`travelers`: traveler-days).
    pub totals: DayCounts,
}

impl From<DailyQuery> for DailyInput {
    fn from(q: DailyQuery) -> Self {
        Self {
            from: q.from,
            to: q.to,
            tz: q.tz,
            gate_id: q.gate_id,
        }
    }
}

impl From<report_use::DailyReport> for DailyReport {
    fn from(report: report_use::DailyReport) -> Self {
        Self {
            tz: report.range.tz.name().to_owned(),
            from: report.range.from,
            to: report.range.to,
            gate_id: report.range.gate_id,
            source: report.source.as_str(),
            days: report
                .days
                .into_iter()
                .map(|(date, counts)| DayView { date, counts })
                .collect(),
            totals: report.totals,
        }
    }
}

/// Daily counts of the crossing log in a time zone.
#[utoipa::path(get, path = "/api/v1/stats/daily", tag = "reports", params(DailyQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "One element per local day; with `Accept: text/csv`, the days as CSV", body = DailyReport),
        responses::NotLoggedIn,
        responses::NotAdmin,
        (status = 422, description = "Over 366 days, `from` after `to`, a malformed date, an unknown time zone or gate", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/api/v1/stats/daily")]
pub async fn daily(
    core: web::Data<Core>,
    admin: Admin,
    req: HttpRequest,
    query: web::Query<DailyQuery>,
) -> Result<HttpResponse, ApiError> {
    let report =
        DailyReport::from(report_use::daily(&core, &admin, query.into_inner().into()).await?);
    if !wants_csv(&req) {
        return Ok(HttpResponse::Ok().json(report));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", csv_file_name(&report)),
        ))
        .body(to_csv(&report)))
}

/// `borderpass-daily-FROM-TO-ZONE[-GATE].csv`
pub fn csv_file_name(report: &DailyReport) -> String {
    format!(
        "borderpass-daily-{}-{}-{}{}.csv",
        report.from,
        report.to,
        report.tz.replace('/', "_"),
        report
            .gate_id
            .as_deref()
            .map(|g| format!("-{g}"))
            .unwrap_or_default()
    )
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|part| {
                part.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case("text/csv")
            })
        })
}

/// The contract's CSV: one line per day, numbers and dates only (nothing to quote).
pub fn to_csv(report: &DailyReport) -> String {
    let mut out = String::from("date,entries,exits,travelers,denied,permits_issued\r\n");
    for d in &report.days {
        let _ = write!(
            out,
            "{},{},{},{},{},{}\r\n",
            d.date,
            d.counts.entries,
            d.counts.exits,
            d.counts.travelers,
            d.counts.denied,
            d.counts.permits_issued
        );
    }
    out
}

/// Paging of the overstay list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OccupancyQuery {
    /// Page, from 1 (default 1).
    pub page: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub per_page: Option<String>,
}

/// A holder inside past their permit's end.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverstayView {
    /// Permit id.
    pub permit_id: String,
    /// Surname.
    pub surname: String,
    /// Given names.
    pub given_names: String,
    /// Nationality.
    pub nationality: String,
    /// Side of entry (the side they must leave by).
    pub side: Option<String>,
    /// Gate of entry.
    pub gate_id: Option<String>,
    /// When they entered.
    pub inside_since: Option<DateTime<Utc>>,
    /// When the permit ended.
    pub valid_until: DateTime<Utc>,
    /// Whole hours past the end.
    pub overdue_hours: i64,
    /// `active` or `revoked`.
    pub status: String,
}

/// A page of overstays.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverstayPage {
    /// This page, from 1.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
    /// All overstays.
    pub total: u64,
    /// The items, longest overdue first.
    pub items: Vec<OverstayView>,
}

/// Who is inside now.
#[derive(Debug, Serialize, ToSchema)]
pub struct OccupancyView {
    /// The instant counted.
    pub as_of: DateTime<Utc>,
    /// Holders inside.
    pub inside: u64,
    /// By side of entry.
    pub by_side: BTreeMap<String, u64>,
    /// By nationality.
    pub by_nationality: BTreeMap<String, u64>,
    /// Inside past their permit's end.
    pub overstaying: u64,
    /// The overstaying permits, for follow-up.
    pub overstays: OverstayPage,
}

impl From<OccupancyReport> for OccupancyView {
    fn from(report: OccupancyReport) -> Self {
        let now = report.as_of;
        let items = report
            .overstays
            .into_iter()
            .map(|r| OverstayView {
                overdue_hours: (now - r.valid_until.and_utc()).num_hours(),
                permit_id: r.permit_id,
                surname: r.surname,
                given_names: r.given_names,
                nationality: r.nationality,
                side: r.side,
                gate_id: r.gate_id,
                inside_since: r.since.map(|t| t.and_utc()),
                valid_until: r.valid_until.and_utc(),
                status: r.status,
            })
            .collect();
        Self {
            as_of: now,
            inside: report.counts.inside,
            by_side: report.counts.by_side,
            by_nationality: report.counts.by_nationality,
            overstaying: report.counts.overstaying,
            overstays: OverstayPage {
                page: report.paging.page,
                per_page: report.paging.per_page,
                total: report.counts.overstaying,
                items,
            },
        }
    }
}

/// Who is inside the zone now, and who stayed past their permit.
#[utoipa::path(get, path = "/api/v1/stats/occupancy", tag = "reports", params(OccupancyQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts now, and a page of overstays", body = OccupancyView),
        responses::NotLoggedIn,
        responses::NotAdmin,
        (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/api/v1/stats/occupancy")]
pub async fn occupancy(
    core: web::Data<Core>,
    admin: Admin,
    query: web::Query<OccupancyQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let report =
        report_use::occupancy(&core, &admin, q.page.as_deref(), q.per_page.as_deref()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(OccupancyView::from(report)))
}
