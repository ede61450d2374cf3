//! The administrators' pages (`/admin`): the dashboard (daily counts with their chart, who is
//! inside), permits and their crossings, staff, devices, conflicts and the audit trail.
//!
//! A session is the staff access token in an HttpOnly, SameSite=Strict cookie scoped to `/admin`;
//! every page reads the account again through [`staff_use::authenticate`], so a disabled account's
//! session ends at its next request. Officers and supervisors are refused. Every form posts with
//! the form token (CSRF); names and document numbers travel in bodies, never in addresses.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::chart::{self, Chart};
use super::csrf;
use super::i18n::{msg, Tr};
use super::problem::Alert;
use super::traveler::{place_problems, read_form, with_retry_after, Field, SummaryItem};
use super::{Frame, Reader};
use crate::app::audit::{self as audit_use, AuditQuery};
use crate::app::conflicts as conflict_use;
use crate::app::devices::{self as device_use, NewDeviceInput};
use crate::app::permits as permit_use;
use crate::app::reports::{self as report_use, DailyInput};
use crate::app::staff as staff_use;
use crate::app::{Core, Error};
use crate::db::permits::PermitRow;
use crate::db::scans::LoggedScan;
use crate::domain::audit::{Action, Actor};
use crate::domain::permit::PermitSearchInput;
use crate::domain::staff::{Admin, Credentials, NewAccountInput};
use crate::http::client::ClientAddress;

/// The cookie that holds an administrator's session (their access token).
pub const SESSION_COOKIE: &str = "bp_admin";
/// Where the session cookie is sent.
const SESSION_PATH: &str = "/admin";

/// The parts of the dashboard: address and message of each, in the navigation's order.
pub const SECTIONS: &[(&str, &str)] = &[
    ("/admin", "admin-nav-dashboard"),
    ("/admin/permits", "admin-nav-permits"),
    ("/admin/staff", "admin-nav-staff"),
    ("/admin/devices", "admin-nav-devices"),
    ("/admin/conflicts", "admin-nav-conflicts"),
    ("/admin/audit", "admin-nav-audit"),
];

/// Registers the administrators' pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(dashboard)
        .service(login)
        .service(logout)
        .service(daily_csv)
        .service(permits_form)
        .service(permits_search)
        .service(permit_page)
        .service(revoke)
        .service(staff_page)
        .service(staff_create)
        .service(staff_switch)
        .service(devices_page)
        .service(devices_create)
        .service(devices_revoke)
        .service(conflicts_page)
        .service(conflicts_resolve)
        .service(audit_page)
        .service(audit_search);
}

/// What every administrator's page has around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The frame.
    pub frame: Frame,
    /// The form token.
    pub csrf: String,
    /// Who is logged in.
    pub user: String,
    /// A refusal, in `role="alert"`.
    pub alert: Option<String>,
    /// What was just done, in `role="status"`.
    pub notice: Option<String>,
    /// The field problems, each linking to its field.
    pub summary: Vec<SummaryItem>,
    /// The summary's heading.
    pub summary_title: String,
}

impl Chrome {
    fn new(reader: &Reader, admin: &Admin, title: &str, section: &str) -> Self {
        Self {
            frame: reader.admin_frame(title, section),
            csrf: reader.csrf.value().to_owned(),
            user: admin.staff().username.to_string(),
            alert: None,
            notice: None,
            summary: Vec::new(),
            summary_title: String::new(),
        }
    }
}

/// An instant in the zone's calendar and clock, `YYYY-MM-DD HH:MM`.
fn when(core: &Core, at: DateTime<Utc>) -> String {
    at.with_timezone(&core.config.zone_tz)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The administrator a request's session speaks for, or the answer instead: the login page (no
/// session, or one that ended: logged out, disabled, expired) or a refusal (not an administrator).
async fn signed_in(core: &Core, req: &HttpRequest, reader: &Reader) -> Result<Admin, HttpResponse> {
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Err(login_page(reader, StatusCode::UNAUTHORIZED, None, ""));
    };
    match staff_use::authenticate(core, Some(&token)).await {
        Ok(staff) => staff.into_admin().map_err(|_| refused(reader)),
        Err(Error::Unauthenticated(_)) => Err(ended(login_page(
            reader,
            StatusCode::UNAUTHORIZED,
            Some(reader.tr.t("admin-session-ended")),
            "",
        ))),
        Err(error) => Err(fault(reader, &error)),
    }
}

/// `answer`, ending the session cookie.
fn ended(mut answer: HttpResponse) -> HttpResponse {
    let mut gone = session_cookie(String::new(), false);
    gone.make_removal();
    let _ = answer.add_cookie(&gone);
    answer
}

fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path(SESSION_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// The administrator of a form post, or the answer instead: a post without the page's form token
/// is refused before anything is done.
async fn posted(
    core: &Core,
    req: &HttpRequest,
    reader: &Reader,
    sent_csrf: Option<&str>,
) -> Result<Admin, HttpResponse> {
    let admin = signed_in(core, req, reader).await?;
    if !csrf::accepts(req, sent_csrf) {
        let alert = Alert::new(
            &reader.tr,
            StatusCode::FORBIDDEN,
            msg("problem-form-expired"),
        );
        return Err(message_page(reader, &admin, &alert));
    }
    Ok(admin)
}

/// The login form.
#[derive(Template)]
#[template(path = "admin_login.html", config = "src/web/askama.toml")]
struct LoginPage {
    frame: Frame,
    csrf: String,
    alert: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    fields: Vec<Field>,
}

fn login_page(
    reader: &Reader,
    status: StatusCode,
    alert: Option<String>,
    username: &str,
) -> HttpResponse {
    let tr = &reader.tr;
    let mut frame = reader.frame(msg("admin-login-title"), super::Section::Admin);
    frame.nav.clear();
    frame.extra_style = Some(super::assets::href("admin.css"));
    let page = LoginPage {
        frame,
        csrf: reader.csrf.value().to_owned(),
        alert,
        summary: Vec::new(),
        summary_title: String::new(),
        fields: vec![
            Field::new(tr, "username", msg("admin-username"), Some(username))
                .autocomplete("username"),
            {
                let mut f = Field::new(tr, "password", msg("admin-password"), None)
                    .autocomplete("current-password");
                f.kind = "password";
                f
            },
        ],
    };
    reader.render(status, &page)
}

/// A page that says only `alert` (a refusal, a fault), inside the dashboard's frame.
#[derive(Template)]
#[template(path = "admin_message.html", config = "src/web/askama.toml")]
struct MessagePage {
    frame: Frame,
    csrf: String,
    user: String,
    alert: Option<String>,
    notice: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
}

fn message_page(reader: &Reader, admin: &Admin, alert: &Alert) -> HttpResponse {
    let mut chrome = Chrome::new(reader, admin, msg("problem-title"), "");
    chrome.alert = Some(alert.text.clone());
    let page = MessagePage {
        frame: chrome.frame,
        csrf: chrome.csrf,
        user: chrome.user,
        alert: chrome.alert,
        notice: None,
        summary: Vec::new(),
        summary_title: String::new(),
    };
    with_retry_after(reader.render(alert.status, &page), alert)
}

/// Officers and supervisors: this is not their page (and they keep no session here).
fn refused(reader: &Reader) -> HttpResponse {
    ended(login_page(
        reader,
        StatusCode::FORBIDDEN,
        Some(reader.tr.t("admin-refused")),
        "",
    ))
}

fn fault(reader: &Reader, error: &Error) -> HttpResponse {
    let alert = Alert::of(&reader.tr, error, msg("problem-not-found"));
    with_retry_after(super::traveler::problem_page(reader, &alert), &alert)
}

/// A use case's refusal on `admin`'s page.
fn refusal(reader: &Reader, admin: &Admin, error: &Error, not_found: &str) -> HttpResponse {
    message_page(reader, admin, &Alert::of(&reader.tr, error, not_found))
}

#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    csrf: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// Logging in: an administrator gets a session and the dashboard; anyone else a refusal.
#[post("/admin/login")]
async fn login(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: LoginForm = read_form(&body).unwrap_or_default();
    let username = form.username.clone().unwrap_or_default();
    if !csrf::accepts(&req, form.csrf.as_deref()) {
        let text = reader.tr.t("problem-form-expired");
        return login_page(&reader, StatusCode::FORBIDDEN, Some(text), &username);
    }
    let credentials = match Credentials::parse(form.username.as_deref(), form.password.as_deref()) {
        Ok(c) => c,
        Err(_) => {
            let text = reader.tr.t("admin-login-failed");
            return login_page(&reader, StatusCode::UNAUTHORIZED, Some(text), &username);
        }
    };
    let token = match staff_use::login(&core, credentials, client.0).await {
        Ok(token) => token,
        Err(Error::Unauthenticated(_)) => {
            let text = reader.tr.t("admin-login-failed");
            return login_page(&reader, StatusCode::UNAUTHORIZED, Some(text), &username);
        }
        Err(error) => {
            let alert = Alert::of(&reader.tr, &error, msg("problem-not-found"));
            let answer = login_page(&reader, alert.status, Some(alert.text.clone()), &username);
            return with_retry_after(answer, &alert);
        }
    };
    match staff_use::authenticate(&core, Some(&token.token)).await {
        Ok(staff) if staff.clone().into_admin().is_ok() => {
            let secure = req.connection_info().scheme() == "https";
            let mut cookie = session_cookie(token.token, secure);
            cookie.set_max_age(actix_web::cookie::time::Duration::seconds(token.expires_in));
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/admin"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .cookie(cookie)
                .finish()
        }
        Ok(_) => refused(&reader),
        Err(error) => fault(&reader, &error),
    }
}

#[derive(Debug, Default, Deserialize)]
struct TokenOnly {
    csrf: Option<String>,
}

/// Logging out: every token of the account ends (as the API's logout), and the cookie goes.
#[post("/admin/logout")]
async fn logout(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    body: web::Bytes,
) -> HttpResponse {
    let form: TokenOnly = read_form(&body).unwrap_or_default();
    let admin = match posted(&core, &req, &reader, form.csrf.as_deref()).await {
        Ok(admin) => admin,
        Err(answer) => return answer,
    };
    if let Err(error) = staff_use::logout(&core, admin.staff()).await {
        return refusal(&reader, &admin, &error, msg("problem-not-found"));
    }
    ended(login_page(
        &reader,
        StatusCode::OK,
        None,
        admin.staff().username.as_str(),
    ))
}

// ---- The dashboard ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct DailyParams {
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

/// One day of the table.
struct DayRow {
    date: NaiveDate,
    entries: u64,
    exits: u64,
    travelers: u64,
    denied: u64,
    permits_issued: u64,
}

/// One choice of a select whose values are data (gates, time zones).
struct Option_ {
    value: String,
    text: String,
    selected: bool,
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

#[derive(Template)]
#[template(path = "admin_dashboard.html", config = "src/web/askama.toml")]
struct DashboardPage {
    frame: Frame,
    csrf: String,
    user: String,
    alert: Option<String>,
    notice: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    from: String,
    to: String,
    tz_choices: Vec<Option_>,
    gate_choices: Vec<Option_>,
    range_errors: Vec<(String, String)>,
    caption: String,
    days: Vec<DayRow>,
    totals: DayRow,
    chart: Chart,
    csv_href: String,
    inside: u64,
    by_side: Vec<(String, u64)>,
    by_nationality: Vec<(String, u64)>,
    overstaying: u64,
    overstays: Vec<OverstayRow>,
    as_of: String,
    zone_tz: String,
}

/// The dashboard: daily counts for `?from=&to=&tz=&gate_id=` (the last 30 days unless given) with
/// their chart and CSV, and who is inside now.
#[get("/admin")]
async fn dashboard(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    query: web::Query<DailyParams>,
) -> HttpResponse {
    let admin = match signed_in(&core, &req, &reader).await {
        Ok(admin) => admin,
        Err(answer) => return answer,
    };
    let params = query.into_inner();
    let typed = (
        params.from.clone().unwrap_or_default(),
        params.to.clone().unwrap_or_default(),
        params.tz.clone().unwrap_or_default(),
        params.gate_id.clone().unwrap_or_default(),
    );
    let board = match report_use::dashboard(&core, &admin, params.into()).await {
        Ok(board) => board,
        Err(Error::Invalid(violations)) => {
            // The range is refused: the form again, each problem under its field.
            let tr = &reader.tr;
            let mut chrome = Chrome::new(&reader, &admin, msg("admin-dashboard-title"), "/admin");
            chrome.alert = Some(tr.t("problem-invalid-input"));
            let errors = violations
                .iter()
                .map(|v| (v.field.clone(), tr.violation(v.code)))
                .collect();
            return render_dashboard(&reader, &core, chrome, None, typed, errors);
        }
        Err(error) => return refusal(&reader, &admin, &error, msg("problem-not-found")),
    };
    let chrome = Chrome::new(&reader, &admin, msg("admin-dashboard-title"), "/admin");
    render_dashboard(&reader, &core, chrome, Some(board), typed, Vec::new())
}

fn render_dashboard(
    reader: &Reader,
    core: &Core,
    chrome: Chrome,
    board: Option<report_use::Dashboard>,
    typed: (String, String, String, String),
    range_errors: Vec<(String, String)>,
) -> HttpResponse {
    let tr = &reader.tr;
    let zone_tz = core.config.zone_tz.name().to_owned();
    let refused = board.is_none();
    let (days, totals, range, gates, occupancy) = match board {
        Some(b) => (
            b.daily.days,
            b.daily.totals,
            Some(b.daily.range),
            b.gates,
            Some(b.occupancy),
        ),
        None => (Vec::new(), Default::default(), None, Vec::new(), None),
    };
    let row = |date: NaiveDate, c: &crate::domain::stats::DayCounts| DayRow {
        date,
        entries: c.entries,
        exits: c.exits,
        travelers: c.travelers,
        denied: c.denied,
        permits_issued: c.permits_issued,
    };
    let (from, to, tz, gate) = match &range {
        Some(r) => (
            r.from.to_string(),
            r.to.to_string(),
            r.tz.name().to_owned(),
            r.gate_id.clone().unwrap_or_default(),
        ),
        None => typed,
    };
    let mut zones: Vec<String> = vec![zone_tz.clone()];
    for g in &gates {
        if !zones.contains(&g.time_zone) {
            zones.push(g.time_zone.clone());
        }
    }
    if !tz.is_empty() && !zones.contains(&tz) {
        zones.push(tz.clone());
    }
    let tz_choices = zones
        .into_iter()
        .map(|z| Option_ {
            selected: z == tz,
            text: z.clone(),
            value: z,
        })
        .collect();
    let gate_choices = std::iter::once(Option_ {
        value: String::new(),
        text: tr.t("admin-all-gates"),
        selected: gate.is_empty(),
    })
    .chain(gates.iter().map(|g| Option_ {
        selected: g.id == gate,
        text: format!("{} · {}", g.id, g.name),
        value: g.id.clone(),
    }))
    .collect();
    let labels = [
        tr.t("admin-entries"),
        tr.t("admin-exits"),
        tr.t("admin-travelers"),
        tr.t("admin-denied"),
    ];
    let chart = chart::daily(&days, labels, |d| tr.date(d));
    let csv_href = format!(
        "/admin/daily.csv?{}",
        serde_urlencoded::to_string([
            ("from", from.as_str()),
            ("to", to.as_str()),
            ("tz", tz.as_str()),
            ("gate_id", gate.as_str()),
        ])
        .unwrap_or_default()
    );
    let caption = if refused {
        String::new()
    } else {
        tr.t_with(
            "admin-daily-caption",
            &[
                (
                    "from",
                    tr.date(range.as_ref().map_or_else(|| core.zone_today(), |r| r.from))
                        .into(),
                ),
                (
                    "to",
                    tr.date(range.as_ref().map_or_else(|| core.zone_today(), |r| r.to))
                        .into(),
                ),
                ("tz", tz.clone().into()),
            ],
        )
    };
    let (inside, by_side, by_nationality, overstaying, overstays, as_of) = match occupancy {
        Some(o) => {
            let now = o.as_of;
            (
                o.counts.inside,
                o.counts.by_side.into_iter().collect(),
                o.counts.by_nationality.into_iter().collect(),
                o.counts.overstaying,
                o.overstays
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
                when(core, now),
            )
        }
        None => (0, Vec::new(), Vec::new(), 0, Vec::new(), String::new()),
    };
    let page = DashboardPage {
        frame: chrome.frame,
        csrf: chrome.csrf,
        user: chrome.user,
        alert: chrome.alert,
        notice: chrome.notice,
        summary: chrome.summary,
        summary_title: chrome.summary_title,
        from,
        to,
        tz_choices,
        gate_choices,
        range_errors,
        caption,
        totals: row(NaiveDate::MIN, &totals),
        days: days.iter().map(|(d, c)| row(*d, c)).collect(),
        chart,
        csv_href,
        inside,
        by_side,
        by_nationality,
        overstaying,
        overstays,
        as_of,
        zone_tz,
    };
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    reader.render(status, &page)
}

/// The daily counts of the dashboard's range as the contract's CSV, to download.
#[get("/admin/daily.csv")]
async fn daily_csv(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    query: web::Query<DailyParams>,
) -> HttpResponse {
    let admin = match signed_in(&core, &req, &reader).await {
        Ok(admin) => admin,
        Err(answer) => return answer,
    };
    match report_use::daily(&core, &admin, query.into_inner().into()).await {
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
        Err(error) => refusal(&reader, &admin, &error, msg("problem-not-found")),
    }
}

// ---- Permits ------------------------------------------------------------------------------------

/// A permit in a list.
struct PermitLine {
    id: String,
    name: String,
    birth_date: String,
    document: String,
    nationality: String,
    visit: String,
    status: String,
    revoked: bool,
}

impl PermitLine {
    fn of(tr: &Tr, row: &PermitRow) -> Self {
        Self {
            id: row.id.clone(),
            name: format!("{} {}", row.surname, row.given_names)
                .trim()
                .to_owned(),
            birth_date: row.birth_date.to_string(),
            document: format!(
                "{} · {} · {}",
                tr.t(document_type_message(&row.document_type)),
                row.issuing_country,
                row.document_number
            ),
            nationality: row.nationality.clone(),
            visit: format!("{} – {}", tr.date(row.visit_from), tr.date(row.visit_until)),
            status: tr.t(status_message(&row.status)),
            revoked: row.status == "revoked",
        }
    }
}

fn document_type_message(api_type: &str) -> &'static str {
    match api_type {
        "passport" => msg("admin-doc-passport"),
        _ => msg("admin-doc-id-card"),
    }
}

fn status_message(status: &str) -> &'static str {
    match status {
        "revoked" => msg("admin-status-revoked"),
        _ => msg("admin-status-active"),
    }
}

#[derive(Template)]
#[template(path = "admin_permits.html", config = "src/web/askama.toml")]
struct PermitsPage {
    frame: Frame,
    csrf: String,
    user: String,
    alert: Option<String>,
    notice: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    fields: Vec<Field>,
    searched: bool,
    results: Vec<PermitLine>,
    total: i64,
    page: i64,
    pages: i64,
}

#[derive(Debug, Default, Deserialize, Clone)]
struct SearchForm {
    csrf: Option<String>,
    permit_id: Option<String>,
    #[serde(rename = "document.type")]
    document_type: Option<String>,
    #[serde(rename = "document.issuing_country")]
    issuing_country: Option<String>,
    #[serde(rename = "document.number")]
    number: Option<String>,
    surname_prefix: Option<String>,
    birth_date: Option<String>,
    page: Option<String>,
}

impl SearchForm {
    fn fields(&self, tr: &Tr) -> Vec<Field> {
        let v = |o: &Option<String>| o.clone();
        vec![
            Field::new(
                tr,
                "permit_id",
                msg("admin-permit-id"),
                v(&self.permit_id).as_deref(),
            )
            .optional(),
            Field::new(
                tr,
                "document.type",
                msg("admin-document-type"),
                v(&self.document_type).as_deref(),
            )
            .select(
                tr,
                &[
                    ("passport", msg("admin-doc-passport")),
                    ("id_card", msg("admin-doc-id-card")),
                ],
            )
            .optional(),
            Field::new(
                tr,
                "document.issuing_country",
                msg("admin-issuing-country"),
                v(&self.issuing_country).as_deref(),
            )
            .code(3)
            .optional(),
            Field::new(
                tr,
                "document.number",
                msg("admin-document-number"),
                v(&self.number).as_deref(),
            )
            .code(18)
            .optional(),
            Field::new(
                tr,
                "surname_prefix",
                msg("admin-surname-prefix"),
                v(&self.surname_prefix).as_deref(),
            )
            .hint(tr, msg("admin-surname-prefix-hint"))
            .optional(),
            {
                let mut f = Field::new(
                    tr,
                    "birth_date",
                    msg("admin-birth-date"),
                    v(&self.birth_date).as_deref(),
                )
                .optional();
                f.kind = "date";
                f
            },
        ]
    }

    fn input(&self) -> PermitSearchInput {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        PermitSearchInput {
            permit_id: self.permit_id.clone(),
            document_type: self.document_type.clone(),
            issuing_country: self.issuing_country.clone(),
            number: self.number.clone(),
            document_given: given(&self.document_type)
                || given(&self.issuing_country)
                || given(&self.number),
            surname_prefix: self.surname_prefix.clone(),
            birth_date: self.birth_date.clone(),
        }
    }
}

fn permits_page(reader: &Reader, admin: &Admin, form: &SearchForm) -> PermitsPage {
    let chrome = Chrome::new(reader, admin, msg("admin-permits-title"), "/admin/permits");
    let mut fields = form.fields(&reader.tr);
    let _ = place_problems(&reader.tr, &mut fields.iter_mut().collect::<Vec<_>>(), &[]);
    PermitsPage {
        frame: chrome.frame,
        csrf: chrome.csrf,
        user: chrome.user,
        alert: None,
        notice: None,
        summary: Vec::new(),
        summary_title: String::new(),
        fields,
        searched: false,
        results: Vec::new(),
        total: 0,
        page: 1,
        pages: 1,
    }
}

/// The permit search form.
#[get("/admin/permits")]
async fn permits_form(core: web::Data<Core>, req: HttpRequest, reader: Reader) -> HttpResponse {
    match signed_in(&core, &req, &reader).await {
        Ok(admin) => reader.render(
            StatusCode::OK,
            &permits_page(&reader, &admin, &SearchForm::default()),
        ),
        Err(answer) => answer,
    }
}

/// Permits found (posted: a document number or a name never goes into an address).
#[post("/admin/permits")]
async fn permits_search(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    body: web::Bytes,
) -> HttpResponse {
    let form: SearchForm = read_form(&body).unwrap_or_default();
    let admin = match posted(&core, &req, &reader, form.csrf.as_deref()).await {
        Ok(admin) => admin,
        Err(answer) => return answer,
    };
    let mut page = permits_page(&reader, &admin, &form);
    let number = form
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = 20;
    match permit_use::search(&core, &admin, form.input(), Some(number), Some(per_page)).await {
        Ok(found) => {
            page.searched = true;
            page.results = found
                .items
                .iter()
                .map(|r| PermitLine::of(&reader.tr, r))
                .collect();
            page.total = found.total;
            page.page = found.page;
            page.pages = ((found.total + per_page - 1) / per_page).max(1);
            reader.render(StatusCode::OK, &page)
        }
        Err(Error::Invalid(violations)) => {
            let problems = place_problems(
                &reader.tr,
                &mut page.fields.iter_mut().collect::<Vec<_>>(),
                &violations,
            );
            page.summary = problems.summary;
            page.summary_title = problems.summary_title;
            reader.render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(error) => refusal(&reader, &admin, &error, msg("problem-not-found")),
    }
}

/// One crossing of a permit.
struct CrossingLine {
    scanned_at: String,
    recorded_at: String,
    gate_id: String,
    direction: String,
    admitted: bool,
    decision: String,
    reason: String,
    flags: String,
    officer: String,
    device_id: String,
    conflict_id: String,
    override_reason: String,
}

impl CrossingLine {
    fn of(core: &Core, tr: &Tr, logged: LoggedScan) -> Self {
        let r = logged.record;
        let admitted = r.decision.reason().is_none();
        Self {
            scanned_at: when(core, r.scanned_at),
            recorded_at: when(core, r.recorded_at),
            gate_id: r.gate_id,
            direction: tr.t(match r.direction.as_str() {
                "entry" => msg("admin-entry"),
                _ => msg("admin-exit"),
            }),
            admitted,
            decision: tr.t(if admitted {
                msg("admin-admitted")
            } else {
                msg("admin-denied-one")
            }),
            reason: r
                .decision
                .reason()
                .map(|reason| tr.t(&format!("gate-reason-{}", reason.as_str())))
                .unwrap_or_default(),
            flags: r
                .flags
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            officer: logged.officer,
            device_id: logged.device_id.unwrap_or_default(),
            conflict_id: r.conflict.map(|c| c.id).unwrap_or_default(),
            override_reason: logged.override_reason.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin_permit.html", config = "src/web/askama.toml")]
struct PermitPage {
    frame: Frame,
    csrf: String,
    user: String,
    alert: Option<String>,
    notice: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    permit: PermitLine,
    sex: String,
    personal_number: String,
    valid: String,
    issued: String,
    revoked_at: String,
    revoked_reason: String,
    crossings: Vec<CrossingLine>,
    reason: Field,
    zone_tz: String,
}

async fn render_permit(
    core: &Core,
    reader: &Reader,
    admin: &Admin,
    id: &str,
    status: StatusCode,
    edit: impl FnOnce(&mut PermitPage),
) -> HttpResponse {
    let (row, logged) = match permit_use::crossings(core, admin, id).await {
        Ok(found) => found,
        Err(error) => return refusal(reader, admin, &error, msg("admin-permit-not-found")),
    };
    let tr = &reader.tr;
    let chrome = Chrome::new(reader, admin, msg("admin-permit-title"), "/admin/permits");
    let mut reason = Field::new(tr, "reason", msg("admin-revoke-reason"), None)
        .hint(tr, msg("admin-revoke-reason-hint"));
    reason.kind = "textarea";
    let mut page = PermitPage {
        frame: chrome.frame,
        csrf: chrome.csrf,
        user: chrome.user,
        alert: None,
        notice: None,
        summary: Vec::new(),
        summary_title: String::new(),
        sex: row.sex.clone(),
        personal_number: row.personal_number.clone().unwrap_or_default(),
        valid: format!(
            "{} – {}",
            when(core, row.valid_from.and_utc()),
            when(core, row.valid_until.and_utc())
        ),
        issued: when(core, row.created_at.and_utc()),
        revoked_at: row
            .revoked_at
            .map(|t| when(core, t.and_utc()))
            .unwrap_or_default(),
        revoked_reason: row.revoked_reason.clone().unwrap_or_default(),
        permit: PermitLine::of(tr, &row),
        crossings: logged
            .into_iter()
            .map(|l| CrossingLine::of(core, tr, l))
            .collect(),
        reason,
        zone_tz: core.config.zone_tz.name().to_owned(),
    };
    let _ = place_problems(tr, &mut [&mut page.reason], &[]);
    edit(&mut page);
    reader.render(status, &page)
}

/// A permit, with every crossing of it and the revoke form.
#[get("/admin/permits/{id}")]
async fn permit_page(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    id: web::Path<String>,
) -> HttpResponse {
    match signed_in(&core, &req, &reader).await {
        Ok(admin) => render_permit(&core, &reader, &admin, &id, StatusCode::OK, |_| {}).await,
        Err(answer) => answer,
    }
}

#[derive(Debug, Default, Deserialize)]
struct RevokeForm {
    csrf: Option<String>,
    reason: Option<String>,
}

/// Revoking a permit, with its reason: the permit page again, saying so.
#[post("/admin/permits/{id}/revoke")]
async fn revoke(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let form: RevokeForm = read_form(&body).unwrap_or_default();
    let admin = match posted(&core, &req, &reader, form.csrf.as_deref()).await {
        Ok(admin) => admin,
        Err(answer) => return answer,
    };
    let tr = reader.tr;
    match permit_use::revoke(&core, &admin, client.0, &id, form.reason.as_deref()).await {
        Ok(_) => {
            render_permit(&core, &reader, &admin, &id, StatusCode::OK, |page| {
                page.notice = Some(tr.t("admin-revoked-notice"));
            })
            .await
        }
        Err(Error::Invalid(violations)) => {
            let typed = form.reason.unwrap_or_default();
            render_permit(
                &core,
                &reader,
                &admin,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                |page| {
                    page.reason.value = typed;
                    let problems = place_problems(&tr, &mut [&mut page.reason], &violations);
                    page.summary = problems.summary;
                    page.summary_title = problems.summary_title;
                },
            )
            .await
        }
        Err(error @ Error::Conflict(_)) => {
            let alert = Alert::of(&tr, &error, msg("admin-permit-not-found"));
            render_permit(&core, &reader, &admin, &id, alert.status, |page| {
                page.alert = Some(tr.t("admin-already-revoked"));
            })
            .await
        }
        Err(error) => refusal(&reader, &admin, &error, msg("admin-permit-not-found")),
    }
}

// ---- Staff --------------------------------------------------------------------------------------

struct AccountLine {
    username: String,
    role: String,
    gate_id: String,
    disabled: bool,
    status: String,
    is_me: bool,
    updated: String,
}

#[derive(Template)]
#[template(path = "admin_staff.html", config = "src/web/askama.toml")]
struct StaffPage {
    frame: Frame,
    csrf: String,
    user: String,
    alert: Option<String>,
    notice: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    accounts: Vec<AccountLine>,
    fields: Vec<Field>,
}

#[derive(Debug, Default, Deserialize, Clone)]
struct AccountForm {
    csrf: Option<String>,
    username: Option<String>,
    password: Option<String>,
    role: Option<String>,
    gate_id: Option<String>,
}

fn role_message(role: &str) -> &'static str {
    match role {
        "admin" => msg("admin-role-admin"),
        "supervisor" => msg("admin-role-supervisor"),
        _ => msg("admin-role-officer"),
    }
}

async fn render_staff(
    core: &Core,
    reader: &Reader,
    admin: &Admin,
    status: StatusCode,
    form: &AccountForm,
    edit: impl FnOnce(&mut StaffPage),
) -> HttpResponse {
    let rows = match staff_use::list(core, admin).await {
        Ok(rows) => rows,
        Err(error) => return refusal(reader, admin, &error, msg("problem-not-found")),
    };
    let gates = crate::app::gates::list(core).await.unwrap_or_default();
    let tr = &reader.tr;
    let chrome = Chrome::new(reader, admin, msg("admin-staff-title"), "/admin/staff");
    let me = admin.staff().username.to_string();
    let gate_field = {
        let mut f = Field::new(tr, "gate_id", msg("admin-gate"), form.gate_id.as_deref())
            .hint(tr, msg("admin-gate-hint"))
            .optional();
        f.kind = "select";
        f.choices = std::iter::once(super::traveler::Choice {
            value: String::new(),
            text: tr.t("admin-no-gate"),
        })
        .chain(gates.iter().map(|g| super::traveler::Choice {
            value: g.id.clone(),
            text: format!("{} · {}", g.id, g.name),
        }))
        .collect();
        f
    };
    let mut password = Field::new(tr, "password", msg("admin-password"), None)
        .hint(tr, msg("admin-password-hint"))
        .autocomplete("new-password");
    password.kind = "password";
    let mut page = StaffPage {
        frame: chrome.frame,
        csrf: chrome.csrf,
        user: chrome.user,
        alert: None,
        notice: None,
        summary: Vec::new(),
        summary_title: String::new(),
        accounts: rows
            .into_iter()
            .map(|r| AccountLine {
                is_me: r.username == me,
                role: tr.t(role_message(&r.role)),
                gate_id: r.gate_id.unwrap_or_default(),
                status: tr.t(if r.disabled {
                    msg("admin-disabled")
                } else {
                    msg("admin-enabled")
                }),
                disabled: r.disabled,
                updated: when(core, r.updated_at.and_utc()),
                username: r.username,
            })
            .collect(),
        fields: vec![
            Field::new(
                tr,
                "username",
                msg("admin-username"),
                form.username.as_deref(),
            )
            .hint(tr, msg("admin-username-hint"))
            .autocomplete("off"),
            password,
            Field::new(tr, "role", msg("admin-role"), form.role.as_deref()).select(
                tr,
                &[
                    ("officer", msg("admin-role-officer")),
                    ("supervisor", msg("admin-role-supervisor")),
                    ("admin", msg("admin-role-admin")),
                ],
            ),
            gate_field,
        ],
    };
    let _ = place_problems(tr, &mut page.fields.iter_mut().collect::<Vec<_>>(), &[]);
    edit(&mut page);
    reader.render(status, &page)
}

/// Staff accounts, and the form that creates one.
#[get("/admin/staff")]
async fn staff_page(core: web::Data<Core>, req: HttpRequest, reader: Reader) -> HttpResponse {
    match signed_in(&core, &req, &reader).await {
        Ok(admin) => {
            render_staff(
                &core,
                &reader,
                &admin,
                StatusCode::OK,
                &AccountForm::default(),
                |_| {},
            )
            .await
        }
        Err(answer) => answer,
    }
}

/// Creating an account: the list again with it, or the form with each problem at its field.
#[post("/admin/staff")]
async fn staff_create(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: AccountForm = read_form(&body).unwrap_or_default();
    let admin = match posted(&core, &req, &reader, form.csrf.as_deref()).await {
        Ok(admin) => admin,
        Err(answer) => return answer,
    };
    let blank = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    let input = NewAccountInput {
        username: blank(&form.username),
        password: form.password.clone().filter(|p| !p.is_empty()),
        role: blank(&form.role),
        gate_id: blank(&form.gate_id),
    };
    let tr = reader.tr;
    match staff_use::create_account(&core, &Actor::staff(admin.staff(), client.0), input).await {
        Ok(row) => {
            render_staff(
                &core,
                &reader,
                &admin,
                StatusCode::OK,
                &AccountForm::default(),
                |page| {
                    page.notice = Some(tr.t_with(
                        "admin-account-created",
                        &[("username", row.username.clone().into())],
                    ));
                },
            )
            .await
        }
        Err(Error::Invalid(violations)) => {
            render_staff(
                &core,
                &reader,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                |page| {
                    let problems = place_problems(
                        &tr,
                        &mut page.fields.iter_mut().collect::<Vec<_>>(),
                        &violations,
                    );
                    page.summary = problems.summary;
                    page.summary_title = problems.summary_title;
                },
            )
            .await
        }
        Err(error @ Error::Conflict(_)) => {
            render_staff(
                &core,
                &reader,
                &admin,
                StatusCode::CONFLICT,
                &form,
                |page| {
                    let _ = &error;
                    page.alert = Some(tr.t("admin-username-taken"));
                },
            )
            .await
        }
        Err(error) => refusal(&reader, &admin, &error, msg("problem-not-found")),
    }
}

#[derive(Debug, Default, Deserialize)]
struct SwitchForm {
    csrf: Option<String>,
    /// The account (not `username`, the create form's field on the same page).
    account: Option<String>,
    disabled: Option<String>,
}

/// Disabling (its sessions end at once) or enabling an account; the username is in the body.
#[post("/admin/staff/disabled")]
async fn staff_switch(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: SwitchForm = read_form(&body).unwrap_or_default();
    let admin = match posted(&core, &req, &reader, form.csrf.as_deref()).await {
        Ok(admin) => admin,
        Err(answer) => return answer,
    };
    let username = form.account.unwrap_or_default();
    let disabled = match form.disabled.as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    let tr = reader.tr;
    let outcome = staff_use::set_disabled(&core, &admin, client.0, &username, disabled).await;
    let empty = AccountForm::default();
    match outcome {
        Ok(row) => {
            let id = if row.disabled {
                msg("admin-account-disabled")
            } else {
                msg("admin-account-enabled")
            };
            render_staff(&core, &reader, &admin, StatusCode::OK, &empty, |page| {
                page.notice = Some(tr.t_with(id, &[("username", row.username.clone().into())]));
            })
            .await
        }
        Err(error) => {
            let alert = Alert::of(&tr, &error, msg("admin-account-not-found"));
            let text = match &error {
                Error::Conflict(_) => tr.t("admin-last-admin"),
                Error::Invalid(_) => tr.t("admin-not-yourself"),
                _ => alert.text.clone(),
            };
            render_staff(&core, &reader, &admin, alert.status, &empty, |page| {
                page.alert = Some(text);
            })
            .await
        }
    }
}

// ---- Devices ------------------------------------------------------------------------------------

struct DeviceLine {
    id: String,
    gate_id: String,
    label: String,
    created: String,
    last_seen: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "admin_devices.html", config = "src/web/askama.toml")]
struct DevicesPage {
    frame: Frame,
    csrf: String,
    user: String,
    alert: Option<String>,
    notice: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    devices: Vec<DeviceLine>,
    fields: Vec<Field>,
    new_token: Option<(String, String)>,
}

#[derive(Debug, Default, Deserialize, Clone)]
struct DeviceForm {
    csrf: Option<String>,
    gate_id: Option<String>,
    label: Option<String>,
    device_id: Option<String>,
}

async fn render_devices(
    core: &Core,
    reader: &Reader,
    admin: &Admin,
    status: StatusCode,
    form: &DeviceForm,
    edit: impl FnOnce(&mut DevicesPage),
) -> HttpResponse {
    let rows = match device_use::list(core, admin).await {
        Ok(rows) => rows,
        Err(error) => return refusal(reader, admin, &error, msg("problem-not-found")),
    };
    let gates = crate::app::gates::list(core).await.unwrap_or_default();
    let tr = &reader.tr;
    let chrome = Chrome::new(reader, admin, msg("admin-devices-title"), "/admin/devices");
    let mut gate = Field::new(tr, "gate_id", msg("admin-gate"), form.gate_id.as_deref());
    gate.kind = "select";
    gate.choices = std::iter::once(super::traveler::Choice {
        value: String::new(),
        text: tr.t("choose"),
    })
    .chain(gates.iter().map(|g| super::traveler::Choice {
        value: g.id.clone(),
        text: format!("{} · {}", g.id, g.name),
    }))
    .collect();
    let mut page = DevicesPage {
        frame: chrome.frame,
        csrf: chrome.csrf,
        user: chrome.user,
        alert: None,
        notice: None,
        summary: Vec::new(),
        summary_title: String::new(),
        devices: rows
            .into_iter()
            .map(|d| DeviceLine {
                created: when(core, d.created_at.and_utc()),
                last_seen: d
                    .last_seen_at
                    .map(|t| when(core, t.and_utc()))
                    .unwrap_or_default(),
                revoked: d.revoked_at.is_some(),
                id: d.id,
                gate_id: d.gate_id,
                label: d.label,
            })
            .collect(),
        fields: vec![
            gate,
            Field::new(
                tr,
                "label",
                msg("admin-device-label"),
                form.label.as_deref(),
            )
            .hint(tr, msg("admin-device-label-hint")),
        ],
        new_token: None,
    };
    let _ = place_problems(tr, &mut page.fields.iter_mut().collect::<Vec<_>>(), &[]);
    edit(&mut page);
    reader.render(status, &page)
}

/// Gate devices, and the form that registers one.
#[get("/admin/devices")]
async fn devices_page(core: web::Data<Core>, req: HttpRequest, reader: Reader) -> HttpResponse {
    match signed_in(&core, &req, &reader).await {
        Ok(admin) => {
            render_devices(
                &core,
                &reader,
                &admin,
                StatusCode::OK,
                &DeviceForm::default(),
                |_| {},
            )
            .await
        }
        Err(answer) => answer,
    }
}

/// Registering a device: its token, shown this once.
#[post("/admin/devices")]
async fn devices_create(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: DeviceForm = read_form(&body).unwrap_or_default();
    let admin = match posted(&core, &req, &reader, form.csrf.as_deref()).await {
        Ok(admin) => admin,
        Err(answer) => return answer,
    };
    let input = NewDeviceInput {
        gate_id: form.gate_id.clone().filter(|g| !g.is_empty()),
        label: form.label.clone(),
    };
    let tr = reader.tr;
    match device_use::create(&core, &admin, client.0, input).await {
        Ok(registered) => {
            render_devices(
                &core,
                &reader,
                &admin,
                StatusCode::CREATED,
                &DeviceForm::default(),
                |page| {
                    page.new_token =
                        Some((registered.device.label.clone(), registered.token.clone()));
                },
            )
            .await
        }
        Err(Error::Invalid(violations)) => {
            render_devices(
                &core,
                &reader,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                |page| {
                    let problems = place_problems(
                        &tr,
                        &mut page.fields.iter_mut().collect::<Vec<_>>(),
                        &violations,
                    );
                    page.summary = problems.summary;
                    page.summary_title = problems.summary_title;
                },
            )
            .await
        }
        Err(error) => refusal(&reader, &admin, &error, msg("problem-not-found")),
    }
}

/// Revoking a device: its token stops working at once.
#[post("/admin/devices/revoke")]
async fn devices_revoke(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: DeviceForm = read_form(&body).unwrap_or_default();
    let admin = match posted(&core, &req, &reader, form.csrf.as_deref()).await {
        Ok(admin) => admin,
        Err(answer) => return answer,
    };
    let tr = reader.tr;
    let id = form.device_id.clone().unwrap_or_default();
    match device_use::revoke(&core, &admin, client.0, &id).await {
        Ok(device) => {
            render_devices(
                &core,
                &reader,
                &admin,
                StatusCode::OK,
                &DeviceForm::default(),
                |page| {
                    page.notice = Some(tr.t_with(
                        "admin-device-revoked",
                        &[("label", device.label.clone().into())],
                    ));
                },
            )
            .await
        }
        Err(error) => refusal(&reader, &admin, &error, msg("admin-device-not-found")),
    }
}

// ---- Conflicts ----------------------------------------------------------------------------------

struct ConflictLine {
    id: String,
    kind: String,
    permit_id: String,
    gate_id: String,
    opened: String,
    open: bool,
    resolved: String,
    resolved_by: String,
    note: String,
    note_field: Field,
}

#[derive(Template)]
#[template(path = "admin_conflicts.html", config = "src/web/askama.toml")]
struct ConflictsPage {
    frame: Frame,
    csrf: String,
    user: String,
    alert: Option<String>,
    notice: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    open: Vec<ConflictLine>,
    resolved: Vec<ConflictLine>,
}

#[derive(Debug, Default, Deserialize)]
struct ResolveForm {
    csrf: Option<String>,
    conflict_id: Option<String>,
    note: Option<String>,
}

async fn render_conflicts(
    core: &Core,
    reader: &Reader,
    admin: &Admin,
    status: StatusCode,
    edit: impl FnOnce(&mut ConflictsPage),
) -> HttpResponse {
    let rows = match conflict_use::list(core, admin, None).await {
        Ok(rows) => rows,
        Err(error) => return refusal(reader, admin, &error, msg("problem-not-found")),
    };
    let tr = &reader.tr;
    let chrome = Chrome::new(
        reader,
        admin,
        msg("admin-conflicts-title"),
        "/admin/conflicts",
    );
    let (mut open, mut resolved) = (Vec::new(), Vec::new());
    for row in rows {
        let mut note_field = Field::new(tr, "note", msg("admin-resolve-note"), None)
            .hint(tr, msg("admin-resolve-note-hint"));
        note_field.kind = "textarea";
        note_field.id = format!("f-note-{}", row.id);
        let _ = place_problems(tr, &mut [&mut note_field], &[]);
        let line = ConflictLine {
            kind: tr.t(&format!("gate-reason-{}", row.kind)),
            permit_id: row.permit_id.unwrap_or_default(),
            gate_id: row.gate_id,
            opened: when(core, row.opened_at.and_utc()),
            open: row.status == "open",
            resolved: row
                .resolved_at
                .map(|t| when(core, t.and_utc()))
                .unwrap_or_default(),
            resolved_by: row
                .resolved_by
                .unwrap_or_else(|| tr.t("admin-resolved-by-upload")),
            note: row.note.unwrap_or_default(),
            note_field,
            id: row.id,
        };
        if line.open {
            open.push(line);
        } else {
            resolved.push(line);
        }
    }
    // Open ones first, oldest first; then the resolved ones, latest first.
    resolved.reverse();
    let mut page = ConflictsPage {
        frame: chrome.frame,
        csrf: chrome.csrf,
        user: chrome.user,
        alert: None,
        notice: None,
        summary: Vec::new(),
        summary_title: String::new(),
        open,
        resolved,
    };
    edit(&mut page);
    reader.render(status, &page)
}

/// Conflicts: the open ones first, each with the form that resolves it.
#[get("/admin/conflicts")]
async fn conflicts_page(core: web::Data<Core>, req: HttpRequest, reader: Reader) -> HttpResponse {
    match signed_in(&core, &req, &reader).await {
        Ok(admin) => render_conflicts(&core, &reader, &admin, StatusCode::OK, |_| {}).await,
        Err(answer) => answer,
    }
}

/// Resolving a conflict with a note.
#[post("/admin/conflicts/resolve")]
async fn conflicts_resolve(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: ResolveForm = read_form(&body).unwrap_or_default();
    let admin = match posted(&core, &req, &reader, form.csrf.as_deref()).await {
        Ok(admin) => admin,
        Err(answer) => return answer,
    };
    let tr = reader.tr;
    let id = form.conflict_id.clone().unwrap_or_default();
    match conflict_use::resolve(&core, &admin, client.0, &id, form.note.as_deref()).await {
        Ok(_) => {
            render_conflicts(&core, &reader, &admin, StatusCode::OK, |page| {
                page.notice = Some(tr.t("admin-conflict-resolved"));
            })
            .await
        }
        Err(Error::Invalid(violations)) => {
            let typed = form.note.unwrap_or_default();
            render_conflicts(
                &core,
                &reader,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                |page| {
                    if let Some(line) = page.open.iter_mut().find(|l| l.id == id) {
                        line.note_field.value = typed;
                        let problems =
                            place_problems(&tr, &mut [&mut line.note_field], &violations);
                        page.summary = problems.summary;
                        page.summary_title = problems.summary_title;
                    }
                },
            )
            .await
        }
        Err(error @ Error::Conflict(_)) => {
            render_conflicts(&core, &reader, &admin, StatusCode::CONFLICT, |page| {
                let _ = &error;
                page.alert = Some(tr.t("admin-conflict-already-resolved"));
            })
            .await
        }
        Err(error) => refusal(&reader, &admin, &error, msg("admin-conflict-not-found")),
    }
}

// ---- The audit trail ----------------------------------------------------------------------------

struct AuditLine {
    at: String,
    actor: String,
    action: String,
    action_text: String,
    target: String,
    detail: String,
    client: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html", config = "src/web/askama.toml")]
struct AuditPage {
    frame: Frame,
    csrf: String,
    user: String,
    alert: Option<String>,
    notice: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    fields: Vec<Field>,
    items: Vec<AuditLine>,
    page: i64,
    pages: i64,
    total: i64,
    zone_tz: String,
}

#[derive(Debug, Default, Deserialize, Clone)]
struct AuditForm {
    csrf: Option<String>,
    from: Option<String>,
    to: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    page: Option<String>,
}

fn action_message(action: &str) -> String {
    format!("admin-action-{}", action.replace(['.', '_'], "-"))
}

async fn render_audit(
    core: &Core,
    reader: &Reader,
    admin: &Admin,
    form: AuditForm,
) -> HttpResponse {
    let tr = &reader.tr;
    let chrome = Chrome::new(reader, admin, msg("admin-audit-title"), "/admin/audit");
    let date = |name: &'static str, label: &str, value: &Option<String>| {
        let mut f = Field::new(tr, name, label, value.as_deref()).optional();
        f.kind = "date";
        f
    };
    let mut action =
        Field::new(tr, "action", msg("admin-action"), form.action.as_deref()).optional();
    action.kind = "select";
    action.choices = std::iter::once(super::traveler::Choice {
        value: String::new(),
        text: tr.t("admin-all-actions"),
    })
    .chain(Action::ALL.into_iter().map(|a| super::traveler::Choice {
        value: a.as_str().to_owned(),
        text: tr.t(&action_message(a.as_str())),
    }))
    .collect();
    let mut fields = vec![
        date("from", msg("admin-from"), &form.from),
        date("to", msg("admin-to"), &form.to),
        Field::new(tr, "actor", msg("admin-actor"), form.actor.as_deref())
            .hint(tr, msg("admin-actor-hint"))
            .optional(),
        action,
    ];
    let query = AuditQuery {
        from: form.from.clone(),
        to: form.to.clone(),
        actor: form.actor.clone(),
        action: form.action.clone(),
        page: form.page.clone(),
    };
    let (status, found, problems) = match audit_use::list(core, admin, query).await {
        Ok(found) => (
            StatusCode::OK,
            Some(found),
            place_problems(tr, &mut fields.iter_mut().collect::<Vec<_>>(), &[]),
        ),
        Err(Error::Invalid(violations)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            place_problems(tr, &mut fields.iter_mut().collect::<Vec<_>>(), &violations),
        ),
        Err(error) => return refusal(reader, admin, &error, msg("problem-not-found")),
    };
    let (items, page, pages, total) = match found {
        Some(f) => (
            f.items
                .into_iter()
                .map(|row| AuditLine {
                    at: when(core, row.at.and_utc()),
                    actor: row.actor,
                    action_text: tr.t(&action_message(&row.action)),
                    action: row.action,
                    target: row.target.unwrap_or_default(),
                    detail: row.detail,
                    client: row.client.unwrap_or_default(),
                })
                .collect(),
            f.page,
            ((f.total + f.per_page - 1) / f.per_page).max(1),
            f.total,
        ),
        None => (Vec::new(), 1, 1, 0),
    };
    let page = AuditPage {
        frame: chrome.frame,
        csrf: chrome.csrf,
        user: chrome.user,
        alert: None,
        notice: None,
        summary: problems.summary,
        summary_title: problems.summary_title,
        fields,
        items,
        page,
        pages,
        total,
        zone_tz: core.config.zone_tz.name().to_owned(),
    };
    reader.render(status, &page)
}

/// The audit trail, newest first.
#[get("/admin/audit")]
async fn audit_page(core: web::Data<Core>, req: HttpRequest, reader: Reader) -> HttpResponse {
    match signed_in(&core, &req, &reader).await {
        Ok(admin) => render_audit(&core, &reader, &admin, AuditForm::default()).await,
        Err(answer) => answer,
    }
}

/// The audit trail filtered (posted: a username is not put into an address), a page of it.
#[post("/admin/audit")]
async fn audit_search(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    body: web::Bytes,
) -> HttpResponse {
    let form: AuditForm = read_form(&body).unwrap_or_default();
    match posted(&core, &req, &reader, form.csrf.as_deref()).await {
        Ok(admin) => render_audit(&core, &reader, &admin, form).await,
        Err(answer) => answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crossing::DenyReason;
    use crate::web::i18n::Lang;

    /// Names made at run time (an action's, a reason's) have a message in every language.
    #[test]
    fn every_action_and_reason_shown_has_a_message_in_every_language() {
        for lang in Lang::ALL {
            let tr = Tr::new(lang);
            for action in Action::ALL {
                let id = action_message(action.as_str());
                assert_ne!(tr.t(&id), id, "{id} in {}", lang.tag());
            }
            for reason in DenyReason::ALL {
                let id = format!("gate-reason-{}", reason.as_str());
                assert_ne!(tr.t(&id), id, "{id} in {}", lang.tag());
            }
        }
    }
}
