//! Administrators' reports: daily counts in any time zone (JSON or CSV), and who is inside now.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Staff;
use super::problem::{ApiError, FieldError, Problem};
use super::AppState;
use crate::db::stats;
use crate::domain::stats::{DayCounts, ReportRange};

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

/// Daily counts of the crossing log in a time zone.
#[utoipa::path(get, path = "/api/v1/stats/daily", tag = "reports", params(DailyQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "One element per local day; with `Accept: text/csv`, the days as CSV", body = DailyReport),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Over 366 days, `from` after `to`, a malformed date, an unknown time zone or gate", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/api/v1/stats/daily")]
pub async fn daily(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    query: web::Query<DailyQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require_admin()?;
    let q = query.into_inner();
    let mut range = ReportRange::parse(
        q.from.as_deref(),
        q.to.as_deref(),
        q.tz.as_deref(),
        state.config.zone_tz,
        q.gate_id.as_deref(),
    )
    .map_err(ApiError::from);
    if let Some(gate) = q
        .gate_id
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        if state.gate(gate).await?.is_none() {
            let unknown = FieldError::new("gate_id", "unknown_gate", "no gate has this id");
            range = match range {
                Err(ApiError::Invalid(mut errors)) => {
                    errors.push(unknown);
                    Err(ApiError::Invalid(errors))
                }
                _ => Err(ApiError::Invalid(vec![unknown])),
            };
        }
    }
    let range = range?;
    let wanted = range.clone();
    let (days, source) = state
        .store
        .read(move |conn| {
            Ok(match stats::read_aggregated(conn, &wanted)? {
                Some(days) => (days, "aggregates"),
                None => (stats::count_from_log(conn, &wanted)?, "log"),
            })
        })
        .await?;
    let mut totals = DayCounts::default();
    for (_, counts) in &days {
        totals.add(counts);
    }
    let report = DailyReport {
        tz: range.tz.name().to_owned(),
        from: range.from,
        to: range.to,
        gate_id: range.gate_id.clone(),
        source,
        days: days
            .into_iter()
            .map(|(date, counts)| DayView { date, counts })
            .collect(),
        totals,
    };
    if wants_csv(&req) {
        let file = format!(
            "borderpass-daily-{}-{}-{}{}.csv",
            report.from,
            report.to,
            report.tz.replace('/', "_"),
            report
                .gate_id
                .as_deref()
                .map(|g| format!("-{g}"))
                .unwrap_or_default()
        );
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ))
            .body(to_csv(&report)));
    }
    Ok(HttpResponse::Ok().json(report))
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
fn to_csv(report: &DailyReport) -> String {
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

fn page_param(
    field: &str,
    raw: Option<&str>,
    default: u32,
    max: u32,
    errors: &mut Vec<FieldError>,
) -> u32 {
    match raw.map(str::trim) {
        None | Some("") => default,
        Some(raw) => match raw.parse::<u32>() {
            Ok(v) if (1..=max).contains(&v) => v,
            _ => {
                errors.push(FieldError::new(
                    field,
                    "invalid_value",
                    format!("{field} is a whole number from 1 to {max}"),
                ));
                default
            }
        },
    }
}

/// Who is inside the zone now, and who stayed past their permit.
#[utoipa::path(get, path = "/api/v1/stats/occupancy", tag = "reports", params(OccupancyQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts now, and a page of overstays", body = OccupancyView),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/api/v1/stats/occupancy")]
pub async fn occupancy(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<OccupancyQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require_admin()?;
    let mut errors = Vec::new();
    let page = page_param("page", query.page.as_deref(), 1, 1_000_000, &mut errors);
    let per_page = page_param("per_page", query.per_page.as_deref(), 50, 500, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let now = state.clock.now();
    let at = now.naive_utc();
    let (counts, rows) = state
        .store
        .read(move |conn| {
            let counts = stats::occupancy(conn, at)?;
            let rows = stats::overstays(
                conn,
                at,
                i64::from(page - 1) * i64::from(per_page),
                i64::from(per_page),
            )?;
            Ok((counts, rows))
        })
        .await?;
    let items = rows
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
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(OccupancyView {
            as_of: now,
            inside: counts.inside,
            by_side: counts.by_side,
            by_nationality: counts.by_nationality,
            overstaying: counts.overstaying,
            overstays: OverstayPage {
                page,
                per_page,
                total: counts.overstaying,
                items,
            },
        }))
}
