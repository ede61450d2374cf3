//! Conflicts between crossings: the open ones first, each resolved with a note.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{action, chrome, described, refusal, said, show, when, AdminView, Chrome, Said};
use crate::app::conflicts as conflict_use;
use crate::app::Core;
use crate::domain::staff::Admin;
use crate::http::client::ClientAddress;
use crate::web::i18n::msg;
use crate::web::traveler::{read_form, Field};
use crate::web::{Frame, Reader};

struct ConflictLine {
    id: String,
    kind: String,
    permit_id: String,
    gate_id: String,
    opened: String,
    resolved: String,
    resolved_by: String,
    note: String,
    note_field: Field,
}

#[derive(Template)]
#[template(path = "admin_conflicts.html", config = "src/web/askama.toml")]
struct ConflictsPage {
    frame: Frame,
    chrome: Chrome,
    open: Vec<ConflictLine>,
    resolved: Vec<ConflictLine>,
    /// The conflict a refused note was for.
    posted: String,
}

impl AdminView for ConflictsPage {
    fn chrome(&mut self) -> &mut Chrome {
        &mut self.chrome
    }
    fn problem_fields(&mut self) -> Vec<&mut Field> {
        let posted = &self.posted;
        self.open
            .iter_mut()
            .filter(|c| &c.id == posted)
            .map(|c| &mut c.note_field)
            .collect()
    }
}

#[derive(Debug, Default, Deserialize)]
struct ResolveForm {
    csrf: Option<String>,
    conflict_id: Option<String>,
    note: Option<String>,
}

/// The conflicts page with `said` on it; `typed` is the refused note and the conflict it was for.
async fn conflicts_page(
    core: &Core,
    reader: &Reader,
    admin: &Admin,
    (status, said): (StatusCode, Said),
    typed: Option<(String, String)>,
) -> HttpResponse {
    let rows = match conflict_use::list(core, admin, None).await {
        Ok(rows) => rows,
        Err(error) => return refusal(reader, admin, &error, msg("problem-not-found")),
    };
    let tr = &reader.tr;
    let (frame, chrome) = chrome(
        reader,
        admin,
        msg("admin-conflicts-title"),
        "/admin/conflicts",
    );
    let (posted, note) = typed.unwrap_or_default();
    let (mut open, mut resolved) = (Vec::new(), Vec::new());
    for row in rows {
        let value = (row.id == posted).then_some(note.as_str());
        let mut note_field = Field::new(tr, "note", msg("admin-resolve-note"), value)
            .hint(tr, msg("admin-resolve-note-hint"));
        note_field.kind = "textarea";
        note_field.id = format!("f-note-{}", row.id);
        described(tr, std::slice::from_mut(&mut note_field));
        let line = ConflictLine {
            kind: tr.t(&format!("gate-reason-{}", row.kind)),
            permit_id: row.permit_id.unwrap_or_default(),
            gate_id: row.gate_id,
            opened: when(core, row.opened_at.and_utc()),
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
        if row.status == "open" {
            open.push(line);
        } else {
            resolved.push(line);
        }
    }
    // Open ones first, oldest first; then the resolved ones, latest first.
    resolved.reverse();
    let page = ConflictsPage {
        frame,
        chrome,
        open,
        resolved,
        posted,
    };
    show(reader, page, status, said)
}

/// Conflicts: the open ones first, each with the form that resolves it.
#[get("/admin/conflicts")]
pub async fn conflicts(core: web::Data<Core>, req: HttpRequest, reader: Reader) -> HttpResponse {
    super::page(&core, &req, &reader, async |admin: &Admin| {
        conflicts_page(&core, &reader, admin, (StatusCode::OK, Said::Nothing), None).await
    })
    .await
}

/// Resolving a conflict with a note.
#[post("/admin/conflicts/resolve")]
pub async fn resolve(
    core: web::Data<Core>,
    req: HttpRequest,
    reader: Reader,
    client: ClientAddress,
    body: web::Bytes,
) -> HttpResponse {
    let form: ResolveForm = read_form(&body).unwrap_or_default();
    action(
        &core,
        &req,
        &reader,
        form.csrf.as_deref(),
        async |admin: &Admin| {
            let id = form.conflict_id.clone().unwrap_or_default();
            let done =
                conflict_use::resolve(&core, admin, client.0, &id, form.note.as_deref()).await;
            let typed = done
                .is_err()
                .then(|| (id.clone(), form.note.clone().unwrap_or_default()));
            let resolved = |_| reader.tr.t("admin-conflict-resolved");
            match said(
                &reader.tr,
                done,
                resolved,
                msg("admin-conflict-already-resolved"),
            ) {
                Ok(outcome) => conflicts_page(&core, &reader, admin, outcome, typed).await,
                Err(error) => refusal(&reader, admin, &error, msg("admin-conflict-not-found")),
            }
        },
    )
    .await
}
