//! The gate scanner page (`/gate`): the one page that needs JavaScript. The server renders its
//! frame and texts; `assets/gate.js` logs in, scans, decides offline from the gate bundle
//! (`assets/gate-rules.js`), queues and uploads, through the JSON API a gate device uses.

use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpResponse};
use askama::Template;

use super::i18n::{msg, Tr};
use super::{Frame, Reader, Section};
use crate::app::{gates, Core};

/// Reasons a scan can be denied, and the flags a crossing can carry, as the script names them.
const REASONS: &[&str] = &[
    "malformed_token",
    "bad_signature",
    "unknown_key",
    "unknown_permit",
    "revoked",
    "not_yet_valid",
    "expired",
    "already_inside",
    "not_inside",
    "wrong_side",
    "denied_at_gate",
    "no_bundle",
    "refused",
    "override_refused",
];
const FLAGS: &[&str] = &[
    "overstay", "revoked", "late", "override", "offline", "conflict",
];

/// The texts the script shows, by the names it uses.
fn script_messages(tr: &Tr) -> serde_json::Map<String, serde_json::Value> {
    let mut texts = serde_json::Map::new();
    for id in [
        msg("gate-status-online"),
        msg("gate-status-offline"),
        msg("gate-bundle-none"),
        msg("gate-result-admit"),
        msg("gate-result-deny"),
        msg("gate-upload-rejected"),
        msg("gate-login-failed"),
        msg("gate-login-throttled"),
        msg("gate-login-offline"),
        msg("gate-device-set"),
        msg("gate-device-none"),
    ] {
        texts.insert(id.trim_start_matches("gate-").to_owned(), tr.t(id).into());
    }
    // Placeholders the script fills in.
    texts.insert(
        "bundle-age".into(),
        tr.t_with("gate-bundle-age", &[("minutes", "{minutes}".into())])
            .into(),
    );
    texts.insert(
        "upload-conflict".into(),
        tr.t_with("gate-upload-conflict", &[("kind", "{kind}".into())])
            .into(),
    );
    for reason in REASONS {
        texts.insert(
            format!("reason-{reason}"),
            tr.t(&format!("gate-reason-{reason}")).into(),
        );
    }
    for flag in FLAGS {
        texts.insert(
            format!("flag-{flag}"),
            tr.t(&format!("gate-flag-{flag}")).into(),
        );
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    #[test]
    fn the_script_has_a_text_for_every_reason_and_flag_in_every_language() {
        for lang in Lang::ALL {
            let texts = script_messages(&Tr::new(lang));
            for (name, text) in &texts {
                let text = text.as_str().expect("text");
                assert!(
                    !text.starts_with("gate-"),
                    "{}: no message for {name}",
                    lang.tag()
                );
            }
            assert!(texts["bundle-age"]
                .as_str()
                .expect("s")
                .contains("{minutes}"));
            assert!(texts["upload-conflict"]
                .as_str()
                .expect("s")
                .contains("{kind}"));
        }
    }
}

/// A gate in the login form's list.
pub struct GateChoice {
    id: String,
    side: String,
    name: String,
}

/// The page's labels.
pub struct GateLabels {
    username: String,
    password: String,
    gate: String,
    login: String,
    scanner: String,
    pending: String,
    direction: String,
    entry: String,
    exit: String,
    token: String,
    token_hint: String,
    camera: String,
    camera_missing: String,
    holder: String,
    nationality: String,
    birth_date: String,
    decided_offline: String,
    confirm: String,
    admit: String,
    deny: String,
    override_admit: String,
    override_reason: String,
    cancel: String,
    device_title: String,
    device_token: String,
    device_save: String,
}

/// The gate scanner page.
#[derive(Template)]
#[template(path = "gate.html", config = "src/web/askama.toml")]
pub struct GatePage {
    frame: Frame,
    messages_json: String,
    gates: Vec<GateChoice>,
    labels: GateLabels,
    rules_href: String,
    script_href: String,
}

/// The gate scanner.
#[get("/gate")]
pub async fn gate_page(core: web::Data<Core>, reader: Reader) -> HttpResponse {
    let tr = reader.tr;
    let gates = match gates::list(&core).await {
        Ok(rows) => rows
            .into_iter()
            .map(|g| GateChoice {
                id: g.id,
                side: g.side,
                name: g.name,
            })
            .collect(),
        Err(error) => {
            return super::traveler::problem_page(
                &reader,
                &super::problem::Alert::of(&tr, &error, msg("problem-not-found")),
            )
        }
    };
    // `<` written as an escape: the JSON sits inside a <script> element.
    let messages_json = serde_json::Value::Object(script_messages(&tr))
        .to_string()
        .replace('<', "\\u003c");
    let mut frame = reader.frame(msg("gate-title"), Section::Gate);
    frame.nav.clear();
    frame.extra_style = Some(super::assets::href("gate.css"));
    let page = GatePage {
        frame,
        messages_json,
        gates,
        labels: GateLabels {
            username: tr.t("gate-username"),
            password: tr.t("gate-password"),
            gate: tr.t("gate-gate"),
            login: tr.t("gate-login"),
            scanner: tr.t("gate-scanner"),
            pending: tr.t("gate-pending"),
            direction: tr.t("gate-direction"),
            entry: tr.t("gate-entry"),
            exit: tr.t("gate-exit"),
            token: tr.t("gate-token"),
            token_hint: tr.t("gate-token-hint"),
            camera: tr.t("gate-camera"),
            camera_missing: tr.t("gate-camera-missing"),
            holder: tr.t("permit-holder"),
            nationality: tr.t("permit-nationality"),
            birth_date: tr.t("permit-birth-date"),
            decided_offline: tr.t("gate-decided-offline"),
            confirm: tr.t("gate-confirm"),
            admit: tr.t("gate-admit"),
            deny: tr.t("gate-deny"),
            override_admit: tr.t("gate-override"),
            override_reason: tr.t("gate-override-reason"),
            cancel: tr.t("gate-cancel"),
            device_title: tr.t("gate-device-title"),
            device_token: tr.t("gate-device-token"),
            device_save: tr.t("gate-device-save"),
        },
        rules_href: super::assets::href("gate-rules.js"),
        script_href: super::assets::href("gate.js"),
    };
    reader.render(StatusCode::OK, &page)
}

/// The gate page's service worker, at the root so its scope can be `/gate`.
#[get("/gate-sw.js")]
pub async fn service_worker() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(include_str!("assets/gate-sw.js"))
}
