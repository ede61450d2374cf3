//! The audit trail, newest first, filtered by dates, actor and action.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{action, chrome, described, refusal, show, when, Chrome, Said};
use crate::app::audit as audit_use;
use crate::app::{Core, Error};
use crate::domain::audit::{Action, TrailQuery};
use crate::domain::staff::Admin;
use crate::web::i18n::{msg, Tr};
use crate::web::traveler::{read_form, Choice, Field};
use crate::web::{Frame, Reader};

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
    chrome: Chrome,
    fields: Vec<Field>,
    items: Vec<AuditLine>,
    page: i64,
    pages: i64,
    total: i64,
    zone_tz: String,
}

/// The filters as posted (a username is not put into an address).
#[derive(Debug, Default, Deserialize, Clone)]
struct AuditForm {
    csrf: Option<String>,
    from: Option<String>,
    to: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    page: Option<String>,
}

/// An entry's particulars as a reader scans them: `key: value` pairs, nulls left out (the stored
/// text as it is if it is not a JSON object).
fn readable(detail: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(detail) {
        Ok(serde_json::Value::Object(fields)) => fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(" · "),
        _ => detail.to_owned(),
    }
}

/// The message naming `action` (`user.created`: `admin-action-user-created`).
pub(super) fn action_message(action: &str) -> String {
    format!("admin-action-{}", action.replace(['.', '_'], "-"))
}

fn filter_fields(tr: &Tr, form: &AuditForm) -> Vec<Field> {
    let date = |name: &'static str, label: &str, value: &Option<String>| {
        let mut f = Field::new(tr, name, label, value.as_deref()).filter();
        f.kind = "date";
        f
    };
    let mut action = Field::new(tr, "action", msg("admin-action"), form.action.as_deref()).filter();
    action.kind = "select";
    action.choices = std::iter::once(Choice {
        value: String::new(),
        text: tr.t("admin-all-actions"),
    })
    .chain(Action::ALL.into_iter().map(|a| Choice {
        value: a.as_str().to_owned(),
        text: tr.t(&action_message(a.as_str())),
    }))
    .collect();
    let mut fields = vec![
        date("from", msg("admin-from"), &form.from),
        date("to", msg("admin-to"), &form.to),
        Field::new(tr, "actor", msg("admin-actor"), form.actor.as_deref())
            .hint(tr, msg("admin-actor-hint"))
            .filter(),
        action,
    ];
    described(tr, &mut fields);
    fields
}

async fn audit_page(core: &Core, reader: &Reader, admin: &Admin, form: AuditForm) -> HttpResponse {
    let tr = &reader.tr;
    let (frame, chrome) = chrome(reader, admin, msg("admin-audit-title"), "/admin/audit");
    let mut page = AuditPage {
        frame,
        chrome,
        fields: filter_fields(tr, &form),
        items: Vec::new(),
        page: 1,
        pages: 1,
        total: 0,
        zone_tz: core.config.zone_tz.name().to_owned(),
    };
    let query = TrailQuery {
        from: form.from,
        to: form.to,
        actor: form.actor,
        action: form.action,
    };
    match audit_use::list(core, admin, &query, form.page.as_deref()).await {
        Ok(found) => {
            page.items = found
                .items
                .into_iter()
                .map(|row| AuditLine {
                    at: when(core, row.at.and_utc()),
                    actor: row.actor,
                    action_text: tr.t(&action_message(&row.action)),
                    action: row.action,
                    target: row.target.unwrap_or_default(),
                    detail: readable(&row.detail),
                    client: row.client.unwrap_or_default(),
                })
                .collect();
            page.page = i64::from(found.paging.page);
            page.pages = found.paging.pages(found.total);
            page.total = found.total;
            show(reader, page, StatusCode::OK, Said::Nothing)
        }
        Err(Error::Invalid(violations)) => show(
            reader,
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
            Said::Problems(violations),
        ),
        Err(error) => refusal(reader, admin, &error, msg("problem-not-found")),
    }
}

/// The audit trail, newest first.
#[get("/admin/audit")]
pub async fn trail(core: web::Data<Core>, req: HttpRequest, reader: Reader) -> HttpResponse {
    super::page(&core, &req, &reader, async |admin: &Admin| {
        audit_page(&core, &reader, admin, AuditForm::default()).await
    })
    .await
}

/// The audit trail filtered, a page of it.
#[post("/admin/audit")]
pub async fn filtered(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    body: web::Bytes,
) -> HttpResponse {
    let form: AuditForm = read_form(&body).unwrap_or_default();
    action(
        &core,
        &req,
        &reader,
        form.csrf.as_deref(),
        async |admin: &Admin| audit_page(&core, &reader, admin, form.clone()).await,
    )
    .await
}

super::view_with_fields!(AuditPage);
