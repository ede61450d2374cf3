//! Staff accounts (create, disable, enable) and gate devices (register, revoke).

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::dashboard::gate_choices;
use super::{action, chrome, described, refusal, said, show, when, Chrome, Said};
use crate::app::devices::{self as device_use, NewDeviceInput};
use crate::app::staff as staff_use;
use crate::app::{Core, Error};
use crate::db::gates::GateRow;
use crate::domain::audit::Actor;
use crate::domain::staff::{Admin, NewAccountInput};
use crate::http::client::ClientAddress;
use crate::web::i18n::msg;
use crate::web::traveler::{read_form, Field};
use crate::web::{Frame, Reader};

/// A field's value as sent, blank as none.
fn given(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.trim().is_empty())
}

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
    chrome: Chrome,
    accounts: Vec<AccountLine>,
    fields: Vec<Field>,
}

/// The create form as posted (the API's names).
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

/// The accounts page, its form holding `form` (never its password), with `said` on it.
async fn staff_page(
    core: &Core,
    reader: &Reader,
    admin: &Admin,
    form: &AccountForm,
    (status, said): (StatusCode, Said),
) -> HttpResponse {
    let (rows, gates) = match staff_use::roster(core, admin).await {
        Ok(found) => found,
        Err(error) => return refusal(reader, admin, &error, msg("problem-not-found")),
    };
    let tr = &reader.tr;
    let (frame, chrome) = chrome(reader, admin, msg("admin-staff-title"), "/admin/staff");
    let me = admin.staff().username.to_string();
    let mut gate = Field::new(tr, "gate_id", msg("admin-gate"), form.gate_id.as_deref())
        .hint(tr, msg("admin-gate-hint"))
        .optional();
    gate.kind = "select";
    gate.choices = gate_choices(tr, msg("admin-no-gate"), &gates);
    let mut password = Field::new(tr, "password", msg("admin-password"), None)
        .hint(tr, msg("admin-password-hint"))
        .autocomplete("new-password");
    password.kind = "password";
    let mut fields = vec![
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
        gate,
    ];
    described(tr, &mut fields);
    let accounts = rows
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
        .collect();
    let page = StaffPage {
        frame,
        chrome,
        accounts,
        fields,
    };
    show(reader, page, status, said)
}

/// Staff accounts, and the form that creates one.
#[get("/admin/staff")]
pub async fn account_list(core: web::Data<Core>, req: HttpRequest, reader: Reader) -> HttpResponse {
    super::page(&core, &req, &reader, async |admin: &Admin| {
        let form = AccountForm::default();
        staff_page(
            &core,
            &reader,
            admin,
            &form,
            (StatusCode::OK, Said::Nothing),
        )
        .await
    })
    .await
}

/// Creating an account: the list again with it, or the form with each problem at its field.
#[post("/admin/staff")]
pub async fn create_account(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: AccountForm = read_form(&body).unwrap_or_default();
    action(
        &core,
        &req,
        &reader,
        form.csrf.as_deref(),
        async |admin: &Admin| {
            let input = NewAccountInput {
                username: given(&form.username),
                password: form.password.clone().filter(|p| !p.is_empty()),
                role: given(&form.role),
                gate_id: given(&form.gate_id),
            };
            let by = Actor::staff(admin.staff(), client.0);
            let done = staff_use::create_account(&core, &by, input).await;
            // A created account leaves the form empty; a refused one keeps what was typed.
            let refill = if done.is_ok() {
                AccountForm::default()
            } else {
                form.clone()
            };
            let tr = &reader.tr;
            let created = |row: crate::db::staff::StaffRow| {
                tr.t_with(
                    "admin-account-created",
                    &[("username", row.username.into())],
                )
            };
            match said(tr, done, created, msg("admin-username-taken")) {
                Ok(outcome) => staff_page(&core, &reader, admin, &refill, outcome).await,
                Err(error) => refusal(&reader, admin, &error, msg("problem-not-found")),
            }
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct SwitchForm {
    csrf: Option<String>,
    /// The account (not `username`: that is the create form's field on the same page).
    account: Option<String>,
    disabled: Option<String>,
}

/// Disabling (its sessions end at once) or enabling an account; the username is in the body.
#[post("/admin/staff/disabled")]
pub async fn switch_account(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: SwitchForm = read_form(&body).unwrap_or_default();
    action(
        &core,
        &req,
        &reader,
        form.csrf.as_deref(),
        async |admin: &Admin| {
            let username = form.account.clone().unwrap_or_default();
            let disabled = match form.disabled.as_deref() {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            };
            let tr = &reader.tr;
            let done = staff_use::set_disabled(&core, admin, client.0, &username, disabled).await;
            let outcome = match done {
                // Refused: yourself (a field problem of no field on this page), or unknown.
                Err(Error::Invalid(_)) => Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Said::Alert(tr.t("admin-not-yourself")),
                )),
                Err(Error::NotFound) => Ok((
                    StatusCode::NOT_FOUND,
                    Said::Alert(tr.t("admin-account-not-found")),
                )),
                done => said(
                    tr,
                    done,
                    |row| {
                        let id = if row.disabled {
                            msg("admin-account-disabled")
                        } else {
                            msg("admin-account-enabled")
                        };
                        tr.t_with(id, &[("username", row.username.into())])
                    },
                    msg("admin-last-admin"),
                ),
            };
            match outcome {
                Ok(outcome) => {
                    staff_page(&core, &reader, admin, &AccountForm::default(), outcome).await
                }
                Err(error) => refusal(&reader, admin, &error, msg("admin-account-not-found")),
            }
        },
    )
    .await
}

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
    chrome: Chrome,
    devices: Vec<DeviceLine>,
    fields: Vec<Field>,
    /// A device just registered: its label and its token, shown this once.
    new_token: Option<(String, String)>,
}

#[derive(Debug, Default, Deserialize, Clone)]
struct DeviceForm {
    csrf: Option<String>,
    gate_id: Option<String>,
    label: Option<String>,
    device_id: Option<String>,
}

/// The devices page, its form holding `form`, with `said` on it and `new_token` shown once.
async fn devices_page(
    core: &Core,
    reader: &Reader,
    admin: &Admin,
    form: &DeviceForm,
    (status, said): (StatusCode, Said),
    new_token: Option<(String, String)>,
) -> HttpResponse {
    let (rows, gates): (_, Vec<GateRow>) = match device_use::roster(core, admin).await {
        Ok(found) => found,
        Err(error) => return refusal(reader, admin, &error, msg("problem-not-found")),
    };
    let tr = &reader.tr;
    let (frame, chrome) = chrome(reader, admin, msg("admin-devices-title"), "/admin/devices");
    let mut gate = Field::new(tr, "gate_id", msg("admin-gate"), form.gate_id.as_deref());
    gate.kind = "select";
    gate.choices = gate_choices(tr, msg("choose"), &gates);
    let mut fields = vec![
        gate,
        Field::new(
            tr,
            "label",
            msg("admin-device-label"),
            form.label.as_deref(),
        )
        .hint(tr, msg("admin-device-label-hint")),
    ];
    described(tr, &mut fields);
    let devices = rows
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
        .collect();
    let page = DevicesPage {
        frame,
        chrome,
        devices,
        fields,
        new_token,
    };
    show(reader, page, status, said)
}

/// Gate devices, and the form that registers one.
#[get("/admin/devices")]
pub async fn device_list(core: web::Data<Core>, req: HttpRequest, reader: Reader) -> HttpResponse {
    super::page(&core, &req, &reader, async |admin: &Admin| {
        let nothing = (StatusCode::OK, Said::Nothing);
        devices_page(&core, &reader, admin, &DeviceForm::default(), nothing, None).await
    })
    .await
}

/// Registering a device: its token, shown this once.
#[post("/admin/devices")]
pub async fn create_device(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: DeviceForm = read_form(&body).unwrap_or_default();
    action(
        &core,
        &req,
        &reader,
        form.csrf.as_deref(),
        async |admin: &Admin| {
            let input = NewDeviceInput {
                gate_id: given(&form.gate_id),
                label: form.label.clone(),
            };
            match device_use::create(&core, admin, client.0, input).await {
                Ok(registered) => {
                    let token = Some((registered.device.label, registered.token));
                    let created = (StatusCode::CREATED, Said::Nothing);
                    devices_page(
                        &core,
                        &reader,
                        admin,
                        &DeviceForm::default(),
                        created,
                        token,
                    )
                    .await
                }
                Err(Error::Invalid(violations)) => {
                    let refused = (StatusCode::UNPROCESSABLE_ENTITY, Said::Problems(violations));
                    devices_page(&core, &reader, admin, &form, refused, None).await
                }
                Err(error) => refusal(&reader, admin, &error, msg("problem-not-found")),
            }
        },
    )
    .await
}

/// Revoking a device: its token stops working at once.
#[post("/admin/devices/revoke")]
pub async fn revoke_device(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: DeviceForm = read_form(&body).unwrap_or_default();
    action(
        &core,
        &req,
        &reader,
        form.csrf.as_deref(),
        async |admin: &Admin| {
            let id = form.device_id.clone().unwrap_or_default();
            let tr = &reader.tr;
            let done = device_use::revoke(&core, admin, client.0, &id).await;
            let revoked = |d: crate::db::devices::DeviceRow| {
                tr.t_with("admin-device-revoked", &[("label", d.label.into())])
            };
            match said(tr, done, revoked, msg("admin-device-not-found")) {
                Ok(outcome) => {
                    devices_page(&core, &reader, admin, &DeviceForm::default(), outcome, None).await
                }
                Err(error) => refusal(&reader, admin, &error, msg("admin-device-not-found")),
            }
        },
    )
    .await
}

super::view_with_fields!(StaffPage, DevicesPage);
