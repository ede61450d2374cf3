//! The travelers' pages: apply for a permit, see it with its QR code, open it again later.

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::i18n::{msg, Tr};
use super::problem::Alert;
use super::{csrf, Frame, Reader, Section};
use crate::app::permits::{self as permit_use, ApplicationInput};
use crate::app::{off_the_workers, Core, Error};
use crate::crypto::permit_token::PermitClaims;
use crate::db::permits::PermitRow;
use crate::domain::document::DocumentInput;
use crate::domain::permit::MAX_DAYS_AHEAD;
use crate::domain::violation::Violation;
use crate::http::client::ClientAddress;

/// The application form as posted: the contract's field names.
#[derive(Debug, Default, Deserialize)]
pub struct ApplyForm {
    #[serde(rename = "document.type")]
    doc_type: Option<String>,
    #[serde(rename = "document.issuing_country")]
    issuing_country: Option<String>,
    #[serde(rename = "document.number")]
    number: Option<String>,
    #[serde(rename = "document.nationality")]
    nationality: Option<String>,
    #[serde(rename = "document.surname")]
    surname: Option<String>,
    #[serde(rename = "document.given_names")]
    given_names: Option<String>,
    #[serde(rename = "document.birth_date")]
    birth_date: Option<String>,
    #[serde(rename = "document.sex")]
    sex: Option<String>,
    #[serde(rename = "document.expiry_date")]
    expiry_date: Option<String>,
    #[serde(rename = "document.personal_number")]
    personal_number: Option<String>,
    #[serde(rename = "document.mrz")]
    mrz: Option<String>,
    #[serde(rename = "visit.from")]
    visit_from: Option<String>,
    #[serde(rename = "visit.until")]
    visit_until: Option<String>,
    /// The form token.
    csrf: Option<String>,
    /// `apply`, or `read_mrz` to fill the fields from the MRZ.
    action: Option<String>,
}

impl ApplyForm {
    fn into_input(self) -> ApplicationInput {
        ApplicationInput {
            document: DocumentInput {
                doc_type: self.doc_type,
                issuing_country: self.issuing_country,
                number: self.number,
                nationality: self.nationality,
                surname: self.surname,
                given_names: self.given_names,
                birth_date: self.birth_date,
                sex: self.sex,
                expiry_date: self.expiry_date,
                personal_number: self.personal_number,
                mrz: self.mrz,
            },
            visit_from: self.visit_from,
            visit_until: self.visit_until,
        }
    }
}

/// One choice of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The value posted.
    pub value: String,
    /// What the reader sees.
    pub text: String,
}

/// One labelled form control, with its hint and its problem.
#[derive(Debug, Clone, Default)]
pub struct Field {
    /// The name posted (the contract's).
    pub name: &'static str,
    /// The element id.
    pub id: String,
    /// The label.
    pub label: String,
    /// The word for "optional".
    pub optional: String,
    /// A hint under the label.
    pub hint: Option<String>,
    /// What is wrong with the value, in the reader's language.
    pub error: Option<String>,
    /// The value typed.
    pub value: String,
    /// `text`, `date`, `select` or `textarea`.
    pub kind: &'static str,
    /// A select's choices.
    pub choices: Vec<Choice>,
    /// Required.
    pub required: bool,
    /// The `autocomplete` token.
    pub autocomplete: &'static str,
    /// The `inputmode`.
    pub inputmode: &'static str,
    /// Longest value.
    pub maxlength: Option<u32>,
    /// A date input's first day.
    pub min: Option<String>,
    /// A date input's last day.
    pub max: Option<String>,
    /// Typed in capitals (codes, MRZ).
    pub uppercase: bool,
    /// Takes a whole row.
    pub wide: bool,
    /// The ids of the hint and the problem.
    pub described_by: String,
}

/// The element id of the control named `name`.
pub fn field_id(name: &str) -> String {
    format!("f-{}", name.replace(['.', '_'], "-"))
}

impl Field {
    pub(crate) fn new(tr: &Tr, name: &'static str, label: &str, value: Option<&str>) -> Self {
        Self {
            name,
            id: field_id(name),
            label: tr.t(label),
            optional: tr.t("optional"),
            value: value.unwrap_or_default().to_owned(),
            kind: "text",
            required: true,
            ..Self::default()
        }
    }

    /// A `<select>` of `choices` (value, message id), after a first "Choose" with no value.
    pub(crate) fn select(mut self, tr: &Tr, choices: &[(&'static str, &str)]) -> Self {
        self.kind = "select";
        self.choices = std::iter::once(("", msg("choose")))
            .chain(choices.iter().copied())
            .map(|(value, text)| Choice {
                value: value.to_owned(),
                text: tr.t(text),
            })
            .collect();
        self
    }

    pub(crate) fn hint(mut self, tr: &Tr, id: &str) -> Self {
        self.hint = Some(tr.t(id));
        self
    }

    pub(crate) fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// A filter of a search: not required, and not labelled "optional" (every filter is).
    pub(crate) fn filter(mut self) -> Self {
        self.required = false;
        self.optional = String::new();
        self
    }

    pub(crate) fn code(mut self, maxlength: u32) -> Self {
        self.uppercase = true;
        self.maxlength = Some(maxlength);
        self
    }

    pub(crate) fn autocomplete(mut self, token: &'static str) -> Self {
        self.autocomplete = token;
        self
    }
}

/// The problems found, put at their fields, and the summary that links to each.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    /// One line a problem: the field's label and what is wrong, linking to the field.
    pub summary: Vec<SummaryItem>,
    /// The summary's heading.
    pub summary_title: String,
}

/// One line of the summary.
#[derive(Debug, Clone)]
pub struct SummaryItem {
    /// The id of the control.
    pub target: String,
    /// The text.
    pub text: String,
}

/// Puts each violation at its field (several at one field are joined) and lists all of them in
/// the summary; a violation of no field of the form goes to `fallback`.
pub fn place_problems(tr: &Tr, fields: &mut [&mut Field], violations: &[Violation]) -> Problems {
    let mut summary = Vec::new();
    for violation in violations {
        let text = tr.violation(violation.code);
        let at = fields
            .iter()
            .position(|f| f.name == violation.field)
            .or_else(|| {
                // A problem of a whole part ("document", "visit") is shown at its first field.
                fields
                    .iter()
                    .position(|f| f.name.starts_with(&format!("{}.", violation.field)))
            })
            .unwrap_or(0);
        let Some(field) = fields.get_mut(at) else {
            continue;
        };
        field.error = Some(match field.error.take() {
            Some(before) if !before.contains(&text) => format!("{before} {text}"),
            Some(before) => before,
            None => text.clone(),
        });
        summary.push(SummaryItem {
            target: field.id.clone(),
            text: tr.t_with(
                "field-problem",
                &[
                    ("field", field.label.clone().into()),
                    ("problem", text.into()),
                ],
            ),
        });
    }
    for field in fields.iter_mut() {
        let mut ids = Vec::new();
        if field.hint.is_some() {
            ids.push(format!("{}-hint", field.id));
        }
        if field.error.is_some() {
            ids.push(format!("{}-error", field.id));
        }
        field.described_by = ids.join(" ");
    }
    Problems {
        summary_title: tr.t_with("summary-title", &[("count", summary.len().into())]),
        summary,
    }
}

/// The application page.
#[derive(Template)]
#[template(path = "apply.html", config = "src/web/askama.toml")]
pub struct ApplyPage {
    frame: Frame,
    csrf: String,
    alert: Option<String>,
    notice: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    intro: String,
    document_legend: String,
    visit_legend: String,
    visit_rules: String,
    read_mrz: String,
    mrz_filled: String,
    submit: String,
    script_href: String,
    mrz: Vec<Field>,
    document: Vec<Field>,
    visit: Vec<Field>,
}

impl ApplyPage {
    /// The form holding `input`, with `violations` at their fields.
    fn new(
        reader: &Reader,
        core: &Core,
        input: &ApplicationInput,
        violations: &[Violation],
    ) -> Self {
        let tr = &reader.tr;
        let d = &input.document;
        let today = core.zone_today();
        let rules = permit_use::visit_rules(core);
        let last_start = today + chrono::Days::new(u64::from(rules.max_days_ahead));
        let mut mrz = vec![{
            let mut f = Field::new(tr, "document.mrz", msg("mrz"), d.mrz.as_deref())
                .hint(tr, msg("mrz-hint"))
                .optional();
            f.kind = "textarea";
            f.uppercase = true;
            f.wide = true;
            f
        }];
        let mut document = vec![
            {
                let mut f = Field::new(
                    tr,
                    "document.type",
                    msg("document-type"),
                    d.doc_type.as_deref(),
                )
                .select(
                    tr,
                    &[
                        ("passport", msg("document-type-passport")),
                        ("id_card", msg("document-type-id_card")),
                    ],
                );
                f.wide = true;
                f
            },
            Field::new(
                tr,
                "document.issuing_country",
                msg("issuing-country"),
                d.issuing_country.as_deref(),
            )
            .hint(tr, msg("issuing-country-hint"))
            .code(3),
            Field::new(tr, "document.number", msg("number"), d.number.as_deref())
                .hint(tr, msg("number-hint"))
                .code(30),
            Field::new(
                tr,
                "document.nationality",
                msg("nationality"),
                d.nationality.as_deref(),
            )
            .hint(tr, msg("nationality-hint"))
            .code(3)
            .optional(),
            Field::new(tr, "document.surname", msg("surname"), d.surname.as_deref())
                .hint(tr, msg("names-hint"))
                .autocomplete("family-name"),
            Field::new(
                tr,
                "document.given_names",
                msg("given-names"),
                d.given_names.as_deref(),
            )
            .autocomplete("given-name")
            .optional(),
            {
                let mut f = Field::new(
                    tr,
                    "document.birth_date",
                    msg("birth-date"),
                    d.birth_date.as_deref(),
                )
                .hint(tr, msg("date-hint"))
                .autocomplete("bday");
                f.inputmode = "numeric";
                f.maxlength = Some(10);
                f
            },
            Field::new(tr, "document.sex", msg("sex"), d.sex.as_deref()).select(
                tr,
                &[
                    ("F", msg("sex-f")),
                    ("M", msg("sex-m")),
                    ("X", msg("sex-x")),
                ],
            ),
            {
                let mut f = Field::new(
                    tr,
                    "document.expiry_date",
                    msg("expiry-date"),
                    d.expiry_date.as_deref(),
                )
                .hint(tr, msg("expiry-hint"));
                f.inputmode = "numeric";
                f.maxlength = Some(10);
                f
            },
            {
                let mut f = Field::new(
                    tr,
                    "document.personal_number",
                    msg("personal-number"),
                    d.personal_number.as_deref(),
                )
                .hint(tr, msg("personal-number-hint"))
                .optional();
                f.inputmode = "numeric";
                f.maxlength = Some(20);
                f
            },
        ];
        let date_field = |name, label, value: Option<&str>| {
            let mut f = Field::new(tr, name, label, value);
            f.kind = "date";
            f.min = Some(today.to_string());
            f.max =
                Some((last_start + chrono::Days::new(u64::from(rules.max_stay_days))).to_string());
            f
        };
        let mut visit = vec![
            date_field("visit.from", msg("visit-from"), input.visit_from.as_deref()),
            date_field(
                "visit.until",
                msg("visit-until"),
                input.visit_until.as_deref(),
            ),
        ];
        let problems = {
            let mut all: Vec<&mut Field> = mrz
                .iter_mut()
                .chain(document.iter_mut())
                .chain(visit.iter_mut())
                .collect();
            // Problems are listed in the order of the fields on the page.
            let order = |v: &Violation| {
                all.iter()
                    .position(|f| f.name == v.field || f.name.starts_with(&format!("{}.", v.field)))
                    .unwrap_or(0)
            };
            let mut sorted: Vec<Violation> = violations.to_vec();
            sorted.sort_by_key(|v| order(v));
            place_problems(tr, &mut all, &sorted)
        };
        Self {
            frame: {
                let mut frame = reader.frame(msg("apply-title"), Section::Apply);
                frame.footer = tr.t_with(
                    "footer-zone-time",
                    &[("tz", core.config.zone_tz.name().into())],
                );
                frame
            },
            csrf: reader.csrf.value().to_owned(),
            alert: None,
            notice: None,
            summary: problems.summary,
            summary_title: problems.summary_title,
            intro: tr.t("apply-intro"),
            document_legend: tr.t("apply-document"),
            visit_legend: tr.t("apply-visit"),
            visit_rules: tr.t_with(
                "visit-rules",
                &[
                    ("days", rules.max_stay_days.into()),
                    ("ahead", MAX_DAYS_AHEAD.into()),
                ],
            ),
            read_mrz: tr.t("mrz-read"),
            mrz_filled: tr.t("mrz-filled"),
            submit: tr.t("apply-submit"),
            script_href: super::assets::href("apply.js"),
            mrz,
            document,
            visit,
        }
    }
}

/// The application form.
#[get("/")]
pub async fn apply_form(core: web::Data<Core>, reader: Reader) -> HttpResponse {
    let page = ApplyPage::new(&reader, &core, &ApplicationInput::default(), &[]);
    reader.render(StatusCode::OK, &page)
}

/// Reads a posted form; `None` when it cannot be read.
pub(crate) fn read_form<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Option<T> {
    serde_urlencoded::from_bytes(body).ok()
}

/// An application sent: the permit page, or the form again with every problem at its field.
/// With `action=read_mrz`, the form again with the fields the MRZ holds filled in.
#[post("/")]
pub async fn apply(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let Some(form) = read_form::<ApplyForm>(&body) else {
        let mut page = ApplyPage::new(&reader, &core, &ApplicationInput::default(), &[]);
        page.alert = Some(reader.tr.t("problem-bad-request"));
        return reader.render(StatusCode::BAD_REQUEST, &page);
    };
    let token_ok = csrf::accepts(&req, form.csrf.as_deref());
    let read_mrz = form.action.as_deref() == Some("read_mrz");
    let input = form.into_input();
    if !token_ok {
        let mut page = ApplyPage::new(&reader, &core, &input, &[]);
        page.alert = Some(reader.tr.t("problem-form-expired"));
        return reader.render(StatusCode::FORBIDDEN, &page);
    }
    if read_mrz {
        return match permit_use::read_mrz(&core, &input.document) {
            Ok(document) => {
                let filled = ApplicationInput { document, ..input };
                let mut page = ApplyPage::new(&reader, &core, &filled, &[]);
                page.notice = Some(reader.tr.t("mrz-filled"));
                reader.render(StatusCode::OK, &page)
            }
            Err(Error::Invalid(violations)) => {
                let page = ApplyPage::new(&reader, &core, &input, &violations);
                reader.render(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            Err(error) => fault(&reader, error),
        };
    }
    match permit_use::apply(&core, input.clone(), client.0).await {
        Ok(issued) => permit_page(&reader, &core, &issued.permit, &issued.access_code, true).await,
        Err(Error::Invalid(violations)) => {
            let page = ApplyPage::new(&reader, &core, &input, &violations);
            reader.render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(error) => {
            let alert = Alert::of(&reader.tr, &error, msg("problem-not-found"));
            let mut page = ApplyPage::new(&reader, &core, &input, &[]);
            page.alert = Some(alert.text.clone());
            with_retry_after(reader.render(alert.status, &page), &alert)
        }
    }
}

/// What a script filling the form from a pasted MRZ gets: the fields it holds, or its problems.
#[derive(Debug, serde::Serialize)]
struct MrzAnswer {
    fields: std::collections::BTreeMap<&'static str, String>,
    errors: Vec<MrzProblem>,
}

#[derive(Debug, serde::Serialize)]
struct MrzProblem {
    field: String,
    message: String,
}

/// The fields a pasted MRZ holds, for the form's script (the same reading as `action=read_mrz`).
/// Takes the form as posted, token included; answers JSON.
#[post("/apply/mrz")]
pub async fn mrz_fields(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    body: web::Bytes,
) -> HttpResponse {
    let Some(form) = read_form::<ApplyForm>(&body) else {
        return HttpResponse::BadRequest().finish();
    };
    if !csrf::accepts(&req, form.csrf.as_deref()) {
        return HttpResponse::Forbidden().finish();
    }
    let input = form.into_input();
    let answer = match permit_use::read_mrz(&core, &input.document) {
        Ok(d) => {
            let pairs = [
                ("document.type", d.doc_type),
                ("document.issuing_country", d.issuing_country),
                ("document.number", d.number),
                ("document.nationality", d.nationality),
                ("document.surname", d.surname),
                ("document.given_names", d.given_names),
                ("document.birth_date", d.birth_date),
                ("document.sex", d.sex),
                ("document.expiry_date", d.expiry_date),
                ("document.personal_number", d.personal_number),
            ];
            MrzAnswer {
                fields: pairs
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect(),
                errors: Vec::new(),
            }
        }
        Err(Error::Invalid(violations)) => MrzAnswer {
            fields: Default::default(),
            errors: violations
                .iter()
                .map(|v| MrzProblem {
                    field: v.field.clone(),
                    message: reader.tr.violation(v.code),
                })
                .collect(),
        },
        Err(error) => {
            let alert = Alert::of(&reader.tr, &error, msg("problem-not-found"));
            return HttpResponse::build(alert.status).finish();
        }
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(answer)
}

/// The labels of the permit page.
pub struct PermitLabels {
    holder: String,
    nationality: String,
    birth_date: String,
    valid_from: String,
    valid_until: String,
    status: String,
    permit_id: String,
    access_code: String,
}

/// A permit, as its holder sees and prints it.
#[derive(Template)]
#[template(path = "permit.html", config = "src/web/askama.toml")]
pub struct PermitPage {
    frame: Frame,
    csrf: String,
    granted: bool,
    granted_text: String,
    revoked: bool,
    revoked_text: String,
    qr_svg: String,
    show_text: String,
    labels: PermitLabels,
    holder_name: String,
    nationality: String,
    birth_date: String,
    valid_from: String,
    valid_until: String,
    status: String,
    permit_id: String,
    access_code: Option<String>,
    access_code_warning: String,
    code_for_download: String,
    print_text: String,
    download_text: String,
    zone_time: String,
}

/// The permit page of `row`. `code` is carried, hidden, for the PNG download; it is shown (as
/// `#access-code`) only when `show_code`, right after applying.
async fn permit_page(
    reader: &Reader,
    core: &Core,
    row: &PermitRow,
    code: &str,
    show_code: bool,
) -> HttpResponse {
    let tr = &reader.tr;
    let token = row.token.clone();
    let label = tr.t("permit-qr");
    let svg =
        match off_the_workers(move || crate::qr::inline_svg(token.as_bytes(), "permit-qr", &label))
            .await
        {
            Ok(Ok(svg)) => svg,
            Ok(Err(e)) => return fault(reader, Error::internal(e)),
            Err(e) => return fault(reader, e),
        };
    let revoked = row.status == "revoked";
    let page = PermitPage {
        frame: reader.frame(msg("permit-title"), Section::Fetch),
        csrf: reader.csrf.value().to_owned(),
        granted: show_code,
        granted_text: tr.t("permit-granted"),
        revoked,
        revoked_text: tr.t("permit-revoked-note"),
        qr_svg: svg,
        show_text: tr.t("permit-show"),
        labels: PermitLabels {
            holder: tr.t("permit-holder"),
            nationality: tr.t("permit-nationality"),
            birth_date: tr.t("permit-birth-date"),
            valid_from: tr.t("permit-valid-from"),
            valid_until: tr.t("permit-valid-until"),
            status: tr.t("permit-status"),
            permit_id: tr.t("permit-id"),
            access_code: tr.t("permit-access-code"),
        },
        holder_name: PermitClaims::name_as_read(&PermitClaims::name_claim(
            &row.surname,
            &row.given_names,
        )),
        nationality: row.nationality.clone(),
        birth_date: tr.date(row.birth_date),
        valid_from: format!("{} {}", tr.date(row.visit_from), tr.t("permit-day-start")),
        valid_until: format!("{} {}", tr.date(row.visit_until), tr.t("permit-day-end")),
        status: tr.t(if revoked {
            msg("permit-status-revoked")
        } else {
            msg("permit-status-active")
        }),
        permit_id: row.id.clone(),
        access_code: show_code.then(|| code.to_owned()),
        access_code_warning: tr.t("permit-access-code-warning"),
        code_for_download: code.to_owned(),
        print_text: tr.t("permit-print"),
        download_text: tr.t("permit-download"),
        zone_time: tr.t_with(
            "footer-zone-time",
            &[("tz", core.config.zone_tz.name().into())],
        ),
    };
    reader.render(StatusCode::OK, &page)
}

/// A fault while building a page: logged with its cause, the reader told plainly.
fn fault(reader: &Reader, error: Error) -> HttpResponse {
    problem_page(
        reader,
        &Alert::of(&reader.tr, &error, msg("problem-not-found")),
    )
}

/// A page that only says `alert`, with a way back to the application form.
pub fn problem_page(reader: &Reader, alert: &Alert) -> HttpResponse {
    let page = ProblemPage {
        frame: reader.frame(msg("problem-title"), Section::Apply),
        alert: Some(alert.text.clone()),
        summary: Vec::new(),
        summary_title: String::new(),
        home: reader.tr.t("problem-home"),
    };
    with_retry_after(reader.render(alert.status, &page), alert)
}

/// A page that only says what went wrong.
#[derive(Template)]
#[template(path = "problem.html", config = "src/web/askama.toml")]
pub struct ProblemPage {
    frame: Frame,
    alert: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    home: String,
}

pub(crate) fn with_retry_after(mut answer: HttpResponse, alert: &Alert) -> HttpResponse {
    if let Some(seconds) = alert.retry_after_secs {
        if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
            answer.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    answer
}

/// The form that opens a permit again.
#[derive(Template)]
#[template(path = "fetch.html", config = "src/web/askama.toml")]
pub struct FetchPage {
    frame: Frame,
    csrf: String,
    alert: Option<String>,
    summary: Vec<SummaryItem>,
    summary_title: String,
    intro: String,
    submit: String,
    fields: Vec<Field>,
}

impl FetchPage {
    fn new(reader: &Reader, permit_id: &str) -> Self {
        let tr = &reader.tr;
        let mut fields = vec![
            {
                let mut f = Field::new(tr, "permit_id", msg("fetch-permit-id"), Some(permit_id))
                    .autocomplete("off");
                f.maxlength = Some(64);
                f.inputmode = "text";
                f
            },
            {
                let mut f = Field::new(tr, "access_code", msg("fetch-access-code"), None)
                    .autocomplete("off");
                // Access codes are case-sensitive: typed as they are, never capitalised.
                f.maxlength = Some(64);
                f
            },
        ];
        let mut all: Vec<&mut Field> = fields.iter_mut().collect();
        let problems = place_problems(tr, &mut all, &[]);
        Self {
            frame: reader.frame(msg("fetch-title"), Section::Fetch),
            csrf: reader.csrf.value().to_owned(),
            alert: None,
            summary: problems.summary,
            summary_title: problems.summary_title,
            intro: tr.t("fetch-intro"),
            submit: tr.t("fetch-submit"),
            fields,
        }
    }
}

/// A permit id and access code as posted.
#[derive(Debug, Default, Deserialize)]
pub struct FetchForm {
    permit_id: Option<String>,
    access_code: Option<String>,
    csrf: Option<String>,
}

/// The form that opens a permit again.
#[get("/permit")]
pub async fn fetch_form(reader: Reader) -> HttpResponse {
    reader.render(StatusCode::OK, &FetchPage::new(&reader, ""))
}

/// Reads a posted id and code, checks the form token and looks the permit up; the form again
/// with the reason when that fails (an unknown id and a wrong code alike).
async fn posted_permit(
    core: &Core,
    req: &HttpRequest,
    reader: &Reader,
    client: &ClientAddress,
    body: &[u8],
) -> Result<(PermitRow, String), HttpResponse> {
    let Some(form) = read_form::<FetchForm>(body) else {
        let mut page = FetchPage::new(reader, "");
        page.alert = Some(reader.tr.t("problem-bad-request"));
        return Err(reader.render(StatusCode::BAD_REQUEST, &page));
    };
    let id = form.permit_id.unwrap_or_default().trim().to_owned();
    let code = form.access_code.unwrap_or_default().trim().to_owned();
    if !csrf::accepts(req, form.csrf.as_deref()) {
        let mut page = FetchPage::new(reader, &id);
        page.alert = Some(reader.tr.t("problem-form-expired"));
        return Err(reader.render(StatusCode::FORBIDDEN, &page));
    }
    match permit_use::fetch(core, &id.to_ascii_lowercase(), &code, client.0).await {
        Ok(row) => Ok((row, code)),
        Err(error) => {
            let alert = Alert::of(&reader.tr, &error, msg("problem-permit-not-found"));
            let mut page = FetchPage::new(reader, &id);
            page.alert = Some(alert.text.clone());
            Err(with_retry_after(reader.render(alert.status, &page), &alert))
        }
    }
}

/// A permit opened with its id and access code: the permit page.
#[post("/permit")]
pub async fn fetch(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    match posted_permit(&core, &req, &reader, &client, &body).await {
        Ok((row, code)) => permit_page(&reader, &core, &row, &code, false).await,
        Err(answer) => answer,
    }
}

/// The permit's QR code as a PNG file to keep (posted, so the access code stays out of the URL).
#[post("/permit/qr.png")]
pub async fn download_qr(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let (row, _) = match posted_permit(&core, &req, &reader, &client, &body).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let token = row.token;
    match off_the_workers(move || crate::qr::png(token.as_bytes(), crate::qr::DEFAULT_SCALE)).await
    {
        Ok(Ok(png)) => HttpResponse::Ok()
            .content_type("image/png")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"permit-{}.png\"", row.id),
            ))
            .body(png),
        Ok(Err(e)) => fault(&reader, Error::internal(e)),
        Err(e) => fault(&reader, e),
    }
}
