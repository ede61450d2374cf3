//! The dashboard: daily counts of a range with their chart and CSV, and who is inside now.

use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{chrome, described, refusal, show, when, Chrome, Said};
use crate::app::reports::{self as report_use, DailyInput, Dashboard};
use crate::app::Core;
use crate::db::gates::GateRow;
use crate::domain::staff::Admin;
use crate::domain::stats::DayCounts;
use crate::domain::violation::Violation;
use crate::web::chart::{self, Chart};
use crate::web::i18n::{msg, Tr};
use crate::web::traveler::{Choice, Field};
use crate::web::{Frame, Reader};

/// `?from=&to=&tz=&gate_id=`, as typed.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct DailyParams {
    from: Option<String>,
    to: Option<String>,
    tz: Option<String>,
    gate_id: Option<String>,
}

impl From<DailyParams> for DailyInput {
    fn from(p: DailyParams) -> Self {
        let keep = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        Self {
            from: keep(p.from),
            to: keep(p.to),
            tz: keep(p.tz),
            gate_id: keep(p.gate_id),
        }
    }
}

/// One day of the table (or the totals).
struct DayRow {
    date: NaiveDate,
    counts: DayCounts,
}

/// A holder inside past their permit.
struct OverstayRow {
    permit_id: String,
    name: String,
    nationality: String,
    side: String,
    since: String,
    valid_until: String,
    overdue_hours: i64,
}

/// Who is inside now.
#[derive(Default)]
struct Inside {
    count: u64,
    by_side: Vec<(String, u64)>,
    by_nationality: Vec<(String, u64)>,
    overstaying: u64,
    overstays: Vec<OverstayRow>,
    as_of: String,
}

#[derive(Template)]
#[template(path = "admin_dashboard.html", config = "src/web/askama.toml")]
struct DashboardPage {
    frame: Frame,
    chrome: Chrome,
    fields: Vec<Field>,
    /// The table's caption and the chart's title; empty when the range was refused.
    caption: String,
    days: Vec<DayRow>,
    totals: DayRow,
    chart: Chart,
    csv_href: String,
    inside: Inside,
    zone_tz: String,
}

/// The range form: `typed` as asked (or as the report understood it), the time zones of the zone
/// and of its gates, every gate.
fn range_fields(tr: &Tr, typed: &DailyParams, zone_tz: &str, gates: &[GateRow]) -> Vec<Field> {
    let date = |name: &'static str, label: &str, value: &Option<String>| {
        let mut f = Field::new(tr, name, label, value.as_deref()).filter();
        f.kind = "date";
        f
    };
    let mut zones: Vec<String> = vec![zone_tz.to_owned()];
    let asked = typed.tz.clone().filter(|t| !t.is_empty());
    for tz in gates.iter().map(|g| g.time_zone.clone()).chain(asked) {
        if !zones.contains(&tz) {
            zones.push(tz);
        }
    }
    let mut tz = Field::new(tr, "tz", msg("admin-time-zone"), typed.tz.as_deref()).filter();
    tz.kind = "select";
    tz.choices = zones
        .into_iter()
        .map(|z| Choice {
            text: z.clone(),
            value: z,
        })
        .collect();
    let mut gate = Field::new(tr, "gate_id", msg("admin-gate"), typed.gate_id.as_deref()).filter();
    gate.kind = "select";
    gate.choices = gate_choices(tr, msg("admin-all-gates"), gates);
    let mut fields = vec![
        date("from", msg("admin-from"), &typed.from),
        date("to", msg("admin-to"), &typed.to),
        tz,
        gate,
    ];
    described(tr, &mut fields);
    fields
}

/// The choices of a gate select: `none` (a message: no gate, all gates), then every gate.
pub(super) fn gate_choices(tr: &Tr, none: &str, gates: &[GateRow]) -> Vec<Choice> {
    std::iter::once(Choice {
        value: String::new(),
        text: tr.t(none),
    })
    .chain(gates.iter().map(|g| Choice {
        value: g.id.clone(),
        text: format!("{} · {}", g.id, g.name),
    }))
    .collect()
}

/// The dashboard: daily counts for `?from=&to=&tz=&gate_id=` (the last 30 days unless given) with
/// their chart and CSV, and who is inside now.
#[get("/admin")]
pub async fn dashboard(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    query: web::Query<DailyParams>,
) -> HttpResponse {
    let typed = query.into_inner();
    super::page(&core, &req, &reader, async |admin: &Admin| {
        match report_use::dashboard(&core, admin, typed.clone().into()).await {
            Ok(board) => {
                let (page, problems) = dashboard_page(&reader, &core, admin, board, &typed);
                match problems {
                    None => show(&reader, page, StatusCode::OK, Said::Nothing),
                    // The range is refused: the form again, each problem at its field.
                    Some(violations) => show(
                        &reader,
                        page,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Said::Problems(violations),
                    ),
                }
            }
            Err(error) => refusal(&reader, admin, &error, msg("problem-not-found")),
        }
    })
    .await
}

/// The dashboard without its daily counts: the range form holding `typed`.
fn empty_page(
    reader: &Reader,
    core: &Core,
    admin: &Admin,
    typed: &DailyParams,
    gates: &[GateRow],
) -> DashboardPage {
    let (frame, chrome) = chrome(reader, admin, msg("admin-dashboard-title"), "/admin");
    let zone_tz = core.config.zone_tz.name().to_owned();
    DashboardPage {
        frame,
        chrome,
        fields: range_fields(&reader.tr, typed, &zone_tz, gates),
        caption: String::new(),
        days: Vec::new(),
        totals: DayRow {
            date: NaiveDate::MIN,
            counts: DayCounts::default(),
        },
        chart: chart::daily(&[], Default::default(), |d| d.to_string()),
        csv_href: String::new(),
        inside: Inside::default(),
        zone_tz,
    }
}

/// The dashboard page of `board`, and the problems of its range when it was refused (`typed`:
/// the range as asked, kept in the form then).
fn dashboard_page(
    reader: &Reader,
    core: &Core,
    admin: &Admin,
    board: Dashboard,
    typed: &DailyParams,
) -> (DashboardPage, Option<Vec<Violation>>) {
    let tr = &reader.tr;
    let (mut page, problems) = match board.daily {
        Ok(daily) => {
            let range = &daily.range;
            let shown = DailyParams {
                from: Some(range.from.to_string()),
                to: Some(range.to.to_string()),
                tz: Some(range.tz.name().to_owned()),
                gate_id: range.gate_id.clone(),
            };
            let mut page = empty_page(reader, core, admin, &shown, &board.gates);
            fill_daily(tr, &mut page, daily);
            (page, None)
        }
        Err(violations) => (
            empty_page(reader, core, admin, typed, &board.gates),
            Some(violations),
        ),
    };
    let o = board.occupancy;
    let now = o.as_of;
    page.inside = Inside {
        count: o.counts.inside,
        by_side: o.counts.by_side.into_iter().collect(),
        by_nationality: o.counts.by_nationality.into_iter().collect(),
        overstaying: o.counts.overstaying,
        overstays: o
            .overstays
            .into_iter()
            .map(|r| OverstayRow {
                overdue_hours: (now - r.valid_until.and_utc()).num_hours(),
                name: format!("{} {}", r.surname, r.given_names).trim().to_owned(),
                nationality: r.nationality,
                side: r.side.unwrap_or_default(),
                since: r.since.map(|t| when(core, t.and_utc())).unwrap_or_default(),
                valid_until: when(core, r.valid_until.and_utc()),
                permit_id: r.permit_id,
            })
            .collect(),
        as_of: when(core, now),
    };
    (page, problems)
}

/// Puts the daily counts of `daily` on `page`: the table, its caption, the chart, the CSV link.
fn fill_daily(tr: &Tr, page: &mut DashboardPage, daily: report_use::DailyReport) {
    let range = &daily.range;
    let labels = [
        tr.t("admin-entries"),
        tr.t("admin-exits"),
        tr.t("admin-travelers"),
        tr.t("admin-denied"),
    ];
    page.chart = chart::daily(&daily.days, labels, |d| tr.date(d));
    page.caption = tr.t_with(
        "admin-daily-caption",
        &[
            ("from", tr.date(range.from).into()),
            ("to", tr.date(range.to).into()),
            ("tz", range.tz.name().into()),
        ],
    );
    page.csv_href = format!(
        "/admin/daily.csv?{}",
        serde_urlencoded::to_string([
            ("from", range.from.to_string()),
            ("to", range.to.to_string()),
            ("tz", range.tz.name().to_owned()),
            ("gate_id", range.gate_id.clone().unwrap_or_default()),
        ])
        .unwrap_or_default()
    );
    page.totals.counts = daily.totals;
    page.days = daily
        .days
        .into_iter()
        .map(|(date, counts)| DayRow { date, counts })
        .collect();
}

/// The daily counts of the dashboard's range as the contract's CSV, to download.
#[get("/admin/daily.csv")]
pub async fn daily_csv(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    query: web::Query<DailyParams>,
) -> HttpResponse {
    let typed = query.into_inner();
    super::page(
        &core,
        &req,
        &reader,
        async |admin: &Admin| match report_use::daily(&core, admin, typed.clone().into()).await {
            Ok(report) => {
                let report = crate::http::stats::DailyReport::from(report);
                HttpResponse::Ok()
                    .content_type("text/csv; charset=utf-8")
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .insert_header((
                        header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"{}\"",
                            crate::http::stats::csv_file_name(&report)
                        ),
                    ))
                    .body(crate::http::stats::to_csv(&report))
            }
            Err(error) => refusal(&reader, admin, &error, msg("problem-not-found")),
        },
    )
    .await
}

super::view_with_fields!(DashboardPage);
