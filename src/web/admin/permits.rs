//! Finding permits, a permit with its crossings, revoking it.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{action, chrome, described, refusal, said, show, when, AdminView, Chrome, Said};
use crate::app::permits as permit_use;
use crate::app::{Core, Error};
use crate::db::permits::PermitRow;
use crate::db::scans::LoggedScan;
use crate::domain::permit::PermitSearchInput;
use crate::domain::staff::Admin;
use crate::http::client::ClientAddress;
use crate::web::i18n::{msg, Tr};
use crate::web::traveler::{read_form, Field};
use crate::web::{Frame, Reader};

/// A permit in a list, and at the head of its page.
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
        let kind = match row.document_type.as_str() {
            "passport" => msg("admin-doc-passport"),
            _ => msg("admin-doc-id-card"),
        };
        let revoked = row.status == "revoked";
        Self {
            id: row.id.clone(),
            name: format!("{} {}", row.surname, row.given_names)
                .trim()
                .to_owned(),
            birth_date: row.birth_date.to_string(),
            document: format!(
                "{} · {} · {}",
                tr.t(kind),
                row.issuing_country,
                row.document_number
            ),
            nationality: row.nationality.clone(),
            visit: format!("{} – {}", tr.date(row.visit_from), tr.date(row.visit_until)),
            status: tr.t(if revoked {
                msg("admin-status-revoked")
            } else {
                msg("admin-status-active")
            }),
            revoked,
        }
    }
}

#[derive(Template)]
#[template(path = "admin_permits.html", config = "src/web/askama.toml")]
struct SearchPage {
    frame: Frame,
    chrome: Chrome,
    fields: Vec<Field>,
    searched: bool,
    results: Vec<PermitLine>,
    total: i64,
    page: i64,
    pages: i64,
}

/// The search form as posted (the names of the API's search body).
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
        let mut birth = Field::new(
            tr,
            "birth_date",
            msg("admin-birth-date"),
            self.birth_date.as_deref(),
        )
        .filter();
        birth.kind = "date";
        let mut fields = vec![
            Field::new(
                tr,
                "permit_id",
                msg("admin-permit-id"),
                self.permit_id.as_deref(),
            )
            .filter(),
            Field::new(
                tr,
                "document.type",
                msg("admin-document-type"),
                self.document_type.as_deref(),
            )
            .select(
                tr,
                &[
                    ("passport", msg("admin-doc-passport")),
                    ("id_card", msg("admin-doc-id-card")),
                ],
            )
            .filter(),
            Field::new(
                tr,
                "document.issuing_country",
                msg("admin-issuing-country"),
                self.issuing_country.as_deref(),
            )
            .code(3)
            .filter(),
            Field::new(
                tr,
                "document.number",
                msg("admin-document-number"),
                self.number.as_deref(),
            )
            .code(18)
            .filter(),
            Field::new(
                tr,
                "surname_prefix",
                msg("admin-surname-prefix"),
                self.surname_prefix.as_deref(),
            )
            .hint(tr, msg("admin-surname-prefix-hint"))
            .filter(),
            birth,
        ];
        described(tr, &mut fields);
        fields
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

fn search_page(reader: &Reader, admin: &Admin, form: &SearchForm) -> SearchPage {
    let (frame, chrome) = chrome(reader, admin, msg("admin-permits-title"), "/admin/permits");
    SearchPage {
        frame,
        chrome,
        fields: form.fields(&reader.tr),
        searched: false,
        results: Vec::new(),
        total: 0,
        page: 1,
        pages: 1,
    }
}

/// The permit search form.
#[get("/admin/permits")]
pub async fn search_form(core: web::Data<Core>, req: HttpRequest, reader: Reader) -> HttpResponse {
    super::page(&core, &req, &reader, async |admin: &Admin| {
        let page = search_page(&reader, admin, &SearchForm::default());
        show(&reader, page, StatusCode::OK, Said::Nothing)
    })
    .await
}

/// Permits found (posted: a document number or a name never goes into an address).
#[post("/admin/permits")]
pub async fn search(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    body: web::Bytes,
) -> HttpResponse {
    let form: SearchForm = read_form(&body).unwrap_or_default();
    action(
        &core,
        &req,
        &reader,
        form.csrf.as_deref(),
        async |admin: &Admin| {
            let mut page = search_page(&reader, admin, &form);
            let input = form.input();
            let page_number = form.page.as_deref();
            let found = permit_use::search(&core, admin, &input, page_number, None).await;
            match found {
                Ok(found) => {
                    page.searched = true;
                    page.results = found
                        .items
                        .iter()
                        .map(|r| PermitLine::of(&reader.tr, r))
                        .collect();
                    page.total = found.total;
                    page.page = i64::from(found.paging.page);
                    page.pages = found.paging.pages(found.total);
                    show(&reader, page, StatusCode::OK, Said::Nothing)
                }
                Err(Error::Invalid(violations)) => show(
                    &reader,
                    page,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Said::Problems(violations),
                ),
                Err(error) => refusal(&reader, admin, &error, msg("problem-not-found")),
            }
        },
    )
    .await
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
        let reason = r.decision.reason();
        Self {
            scanned_at: when(core, r.scanned_at),
            recorded_at: when(core, r.recorded_at),
            gate_id: r.gate_id,
            direction: tr.t(match r.direction.as_str() {
                "entry" => msg("admin-entry"),
                _ => msg("admin-exit"),
            }),
            admitted: reason.is_none(),
            decision: tr.t(if reason.is_none() {
                msg("admin-admitted")
            } else {
                msg("admin-denied-one")
            }),
            reason: reason
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
    chrome: Chrome,
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

impl AdminView for PermitPage {
    fn chrome(&mut self) -> &mut Chrome {
        &mut self.chrome
    }
    fn problem_fields(&mut self) -> Vec<&mut Field> {
        vec![&mut self.reason]
    }
}

/// Permit `id`'s page with `said` on it (`typed`: the reason typed, when it was refused).
async fn permit_page(
    core: &Core,
    reader: &Reader,
    admin: &Admin,
    id: &str,
    (status, said): (StatusCode, Said),
    typed: Option<String>,
) -> HttpResponse {
    let (row, logged) = match permit_use::crossings(core, admin, id).await {
        Ok(found) => found,
        Err(error) => return refusal(reader, admin, &error, msg("admin-permit-not-found")),
    };
    let tr = &reader.tr;
    let (frame, chrome) = chrome(reader, admin, msg("admin-permit-title"), "/admin/permits");
    let mut reason = Field::new(tr, "reason", msg("admin-revoke-reason"), typed.as_deref())
        .hint(tr, msg("admin-revoke-reason-hint"));
    reason.kind = "textarea";
    described(tr, std::slice::from_mut(&mut reason));
    let page = PermitPage {
        frame,
        chrome,
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
    show(reader, page, status, said)
}

/// A permit, with every crossing of it and the revoke form.
#[get("/admin/permits/{id}")]
pub async fn permit(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    id: web::Path<String>,
) -> HttpResponse {
    super::page(&core, &req, &reader, async |admin: &Admin| {
        let nothing = (StatusCode::OK, Said::Nothing);
        permit_page(&core, &reader, admin, &id, nothing, None).await
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
struct RevokeForm {
    csrf: Option<String>,
    reason: Option<String>,
}

/// Revoking a permit, with its reason: the permit page again, saying so.
#[post("/admin/permits/{id}/revoke")]
pub async fn revoke(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let form: RevokeForm = read_form(&body).unwrap_or_default();
    action(
        &core,
        &req,
        &reader,
        form.csrf.as_deref(),
        async |admin: &Admin| {
            let done =
                permit_use::revoke(&core, admin, client.0, &id, form.reason.as_deref()).await;
            let refused = done.is_err();
            match said(
                &reader.tr,
                done,
                |_| reader.tr.t("admin-revoked-notice"),
                msg("admin-already-revoked"),
            ) {
                Ok(outcome) => {
                    let typed = refused.then(|| form.reason.clone().unwrap_or_default());
                    permit_page(&core, &reader, admin, &id, outcome, typed).await
                }
                Err(error) => refusal(&reader, admin, &error, msg("admin-permit-not-found")),
            }
        },
    )
    .await
}

super::view_with_fields!(SearchPage);
