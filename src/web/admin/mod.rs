//! The administrators' pages (`/admin`): the dashboard (daily counts with their chart, who is
//! inside), permits and their crossings, staff, devices, conflicts and the audit trail.
//!
//! A session is the staff access token in an HttpOnly, SameSite=Strict cookie scoped to `/admin`,
//! renewed while the administrator works ([`staff_use::renew`]); every page reads the account
//! again through [`staff_use::authenticate`], so a disabled account's session ends at its next
//! request. Officers and supervisors are refused. Every form posts with the form token (CSRF);
//! names, usernames and document numbers travel in bodies, never in addresses.
//!
//! Each page is a template struct with the same [`Chrome`] (session bar, alerts, the notice of
//! what was just done) and one use case behind it; an action's outcome is put on the page by
//! [`show`] from what [`said`] makes of the use case's result.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::csrf;
use super::i18n::{msg, Tr};
use super::problem::Alert;
use super::traveler::{place_problems, read_form, with_retry_after, Field, SummaryItem};
use super::{Frame, Reader};
use crate::app::staff::{self as staff_use, AccessToken};
use crate::app::{Core, Error};
use crate::domain::staff::{Admin, Credentials};
use crate::domain::violation::Violation;
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
    cfg.service(login)
        .service(logout)
        .service(dashboard::dashboard)
        .service(dashboard::daily_csv)
        .service(permits::search_form)
        .service(permits::search)
        .service(permits::permit)
        .service(permits::revoke)
        .service(staff::account_list)
        .service(staff::create_account)
        .service(staff::switch_account)
        .service(staff::device_list)
        .service(staff::create_device)
        .service(staff::revoke_device)
        .service(conflicts::conflicts)
        .service(conflicts::resolve)
        .service(audit::trail)
        .service(audit::filtered);
}

/// What every administrator's page has around its content: the session bar, a refusal, the
/// notice of what was just done, and the summary of field problems.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
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

/// A page of the dashboard, for [`show`].
trait AdminView: Template {
    /// Its chrome.
    fn chrome(&mut self) -> &mut Chrome;
    /// The form fields an action's field problems go to.
    fn problem_fields(&mut self) -> Vec<&mut Field>;
}

/// [`AdminView`] for pages whose form fields are their `fields`.
macro_rules! view_with_fields {
    ($($page:ty),+) => {
        $(impl $crate::web::admin::AdminView for $page {
            fn chrome(&mut self) -> &mut $crate::web::admin::Chrome {
                &mut self.chrome
            }
            fn problem_fields(&mut self) -> Vec<&mut $crate::web::traveler::Field> {
                self.fields.iter_mut().collect()
            }
        })+
    };
}
use view_with_fields;

mod audit;
mod conflicts;
mod dashboard;
mod permits;
mod staff;

/// What a page says of the action just taken.
#[derive(Debug, Clone, Default)]
enum Said {
    /// Nothing (the page as it is).
    #[default]
    Nothing,
    /// Done: what was done.
    Notice(String),
    /// Refused as a whole: why.
    Alert(String),
    /// Refused: each problem, at its field.
    Problems(Vec<Violation>),
}

/// The status and what the page says for an action's `result`: `done`'s notice, each problem at
/// its field (422), the message `conflict` (409); any other refusal is given back.
fn said<T>(
    tr: &Tr,
    result: Result<T, Error>,
    done: impl FnOnce(T) -> String,
    conflict: &str,
) -> Result<(StatusCode, Said), Error> {
    match result {
        Ok(value) => Ok((StatusCode::OK, Said::Notice(done(value)))),
        Err(Error::Invalid(violations)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Said::Problems(violations)))
        }
        Err(Error::Conflict(_)) => Ok((StatusCode::CONFLICT, Said::Alert(tr.t(conflict)))),
        Err(other) => Err(other),
    }
}

/// Renders `page` with `status`, saying `said` on it.
fn show(reader: &Reader, mut page: impl AdminView, status: StatusCode, said: Said) -> HttpResponse {
    match said {
        Said::Nothing => {}
        Said::Notice(text) => page.chrome().notice = Some(text),
        Said::Alert(text) => page.chrome().alert = Some(text),
        Said::Problems(violations) => {
            let problems = place_problems(&reader.tr, &mut page.problem_fields(), &violations);
            let chrome = page.chrome();
            chrome.summary = problems.summary;
            chrome.summary_title = problems.summary_title;
        }
    }
    reader.render(status, &page)
}

/// Gives each of `fields` its `aria-describedby` (their hints), before any problem is put there.
fn described(tr: &Tr, fields: &mut [Field]) {
    let _ = place_problems(tr, &mut fields.iter_mut().collect::<Vec<_>>(), &[]);
}

/// The frame and chrome of `admin`'s page titled `title`, in part `section` of the dashboard.
fn chrome(reader: &Reader, admin: &Admin, title: &str, section: &str) -> (Frame, Chrome) {
    (
        reader.admin_frame(title, section),
        Chrome {
            csrf: reader.csrf.value().to_owned(),
            user: admin.staff().username.to_string(),
            ..Chrome::default()
        },
    )
}

/// An instant in the zone's calendar and clock, `YYYY-MM-DD HH:MM:SS` (two scans of a minute
/// stay apart).
fn when(core: &Core, at: DateTime<Utc>) -> String {
    at.with_timezone(&core.config.zone_tz)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A logged-in administrator, and the renewed session cookie their answer must carry.
struct Session {
    admin: Admin,
    renewed: Option<Cookie<'static>>,
}

impl Session {
    /// `answer`, with the renewed session cookie when there is one.
    fn answer(self, mut answer: HttpResponse) -> HttpResponse {
        if let Some(cookie) = self.renewed {
            let _ = answer.add_cookie(&cookie);
        }
        answer
    }
}

/// The session of `req`, or the answer instead: the login page (no session, or one that ended:
/// logged out, disabled, expired) or a refusal (not an administrator).
async fn session(core: &Core, req: &HttpRequest, reader: &Reader) -> Result<Session, HttpResponse> {
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Err(login_page(reader, StatusCode::UNAUTHORIZED, None, ""));
    };
    match staff_use::authenticate(core, Some(&token)).await {
        Ok(staff) => Ok(Session {
            admin: staff.into_admin().map_err(|_| refused(reader))?,
            renewed: staff_use::renew(core, &token).map(|t| session_cookie(t, is_https(req))),
        }),
        Err(Error::Unauthenticated(_)) => Err(ended(login_page(
            reader,
            StatusCode::UNAUTHORIZED,
            Some(reader.tr.t("admin-session-ended")),
            "",
        ))),
        Err(error) => Err(fault(reader, &error)),
    }
}

/// A page for a logged-in administrator: `page` renders it.
async fn page(
    core: &Core,
    req: &HttpRequest,
    reader: &Reader,
    page: impl AsyncFnOnce(&Admin) -> HttpResponse,
) -> HttpResponse {
    match session(core, req, reader).await {
        Ok(session) => {
            let answer = page(&session.admin).await;
            session.answer(answer)
        }
        Err(answer) => answer,
    }
}

/// A form post of a logged-in administrator: refused before anything is done without the page's
/// form token (`sent_csrf`) or from another site; else `act` does it and renders the answer.
async fn action(
    core: &Core,
    req: &HttpRequest,
    reader: &Reader,
    sent_csrf: Option<&str>,
    act: impl AsyncFnOnce(&Admin) -> HttpResponse,
) -> HttpResponse {
    page(core, req, reader, async |admin: &Admin| {
        if !csrf::accepts(req, sent_csrf) {
            let alert = Alert::new(
                &reader.tr,
                StatusCode::FORBIDDEN,
                msg("problem-form-expired"),
            );
            return message_page(reader, admin, &alert);
        }
        act(admin).await
    })
    .await
}

fn is_https(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

/// The session cookie holding `token` until it expires: never readable by a script, never sent
/// with another site's requests, only to `/admin`.
fn session_cookie(token: AccessToken, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.token)
        .path(SESSION_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(token.expires_in))
        .finish()
}

/// `answer`, ending the session cookie.
fn ended(mut answer: HttpResponse) -> HttpResponse {
    let mut gone = Cookie::build(SESSION_COOKIE, "")
        .path(SESSION_PATH)
        .finish();
    gone.make_removal();
    let _ = answer.add_cookie(&gone);
    answer
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
    let mut frame = reader.admin_frame(msg("admin-login-title"), "");
    frame.nav.clear();
    let mut password =
        Field::new(tr, "password", msg("admin-password"), None).autocomplete("current-password");
    password.kind = "password";
    let mut fields = vec![
        Field::new(tr, "username", msg("admin-username"), Some(username)).autocomplete("username"),
        password,
    ];
    described(tr, &mut fields);
    let page = LoginPage {
        frame,
        csrf: reader.csrf.value().to_owned(),
        alert,
        summary: Vec::new(),
        summary_title: String::new(),
        fields,
    };
    reader.render(status, &page)
}

/// A page that says only what went wrong, inside the dashboard's frame.
#[derive(Template)]
#[template(path = "admin_message.html", config = "src/web/askama.toml")]
struct MessagePage {
    frame: Frame,
    chrome: Chrome,
}

fn message_page(reader: &Reader, admin: &Admin, alert: &Alert) -> HttpResponse {
    let (frame, mut chrome) = chrome(reader, admin, msg("problem-title"), "");
    chrome.alert = Some(alert.text.clone());
    let page = MessagePage { frame, chrome };
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

/// A use case's refusal (`not_found`: the message for an unknown thing) on `admin`'s page.
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
    let again = |status, id: &str| login_page(&reader, status, Some(reader.tr.t(id)), &username);
    if !csrf::accepts(&req, form.csrf.as_deref()) {
        return again(StatusCode::FORBIDDEN, msg("problem-form-expired"));
    }
    let Ok(credentials) = Credentials::parse(form.username.as_deref(), form.password.as_deref())
    else {
        return again(StatusCode::UNAUTHORIZED, msg("admin-login-failed"));
    };
    match staff_use::login_admin(&core, credentials, client.0).await {
        Ok(token) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .cookie(session_cookie(token, is_https(&req)))
            .finish(),
        Err(Error::Unauthenticated(_)) => {
            again(StatusCode::UNAUTHORIZED, msg("admin-login-failed"))
        }
        Err(Error::Forbidden(_)) => refused(&reader),
        Err(error) => {
            let alert = Alert::of(&reader.tr, &error, msg("problem-not-found"));
            let answer = login_page(&reader, alert.status, Some(alert.text.clone()), &username);
            with_retry_after(answer, &alert)
        }
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
    let answer = action(
        &core,
        &req,
        &reader,
        form.csrf.as_deref(),
        async |admin: &Admin| match staff_use::logout(&core, admin.staff()).await {
            Ok(()) => login_page(
                &reader,
                StatusCode::OK,
                None,
                admin.staff().username.as_str(),
            ),
            Err(error) => refusal(&reader, admin, &error, msg("problem-not-found")),
        },
    )
    .await;
    // Whatever the session said, none is kept.
    ended(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::Action;
    use crate::domain::crossing::DenyReason;
    use crate::web::i18n::Lang;

    /// Names made at run time (an action's, a reason's) have a message in every language.
    #[test]
    fn every_action_and_reason_shown_has_a_message_in_every_language() {
        for lang in Lang::ALL {
            let tr = Tr::new(lang);
            for action in Action::ALL {
                let id = audit::action_message(action.as_str());
                assert_ne!(tr.t(&id), id, "{id} in {}", lang.tag());
            }
            for reason in DenyReason::ALL {
                let id = format!("gate-reason-{}", reason.as_str());
                assert_ne!(tr.t(&id), id, "{id} in {}", lang.tag());
            }
        }
    }
}
