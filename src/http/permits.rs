//! The traveler's side: apply for a permit, fetch it with the access code, get its QR code.

use actix_web::http::header;
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::client::ClientAddress;
use super::extract::ApiJson;
use super::problem::{responses, ApiError, Problem};
use crate::app::permits::{self as permit_use, ApplicationInput};
use crate::app::{off_the_workers, Core};
use crate::db::permits::PermitRow;
use crate::domain::document::DocumentInput;
use crate::domain::staff::{Admin, Staff};
use crate::qr;

/// Header that carries the access code.
pub const ACCESS_CODE_HEADER: &str = "x-access-code";

/// The travel document, as printed on it. Fields left out are taken from `mrz` when it is given.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    /// `passport` or `id_card`.
    #[serde(rename = "type")]
    #[schema(example = "passport")]
    pub doc_type: Option<String>,
    /// ICAO code of the issuing state.
    #[schema(example = "KAZ")]
    pub issuing_country: Option<String>,
    /// Document number; for a Chinese card the 18-character citizen number.
    #[schema(example = "N12345678")]
    pub number: Option<String>,
    /// ICAO code of the holder's nationality.
    #[schema(example = "KAZ")]
    pub nationality: Option<String>,
    /// Surname.
    #[schema(example = "IVANOVA")]
    pub surname: Option<String>,
    /// Given names.
    #[schema(example = "ANNA MARIA")]
    pub given_names: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(example = "1990-01-31")]
    pub birth_date: Option<String>,
    /// `M`, `F` or `X`.
    #[schema(example = "F")]
    pub sex: Option<String>,
    /// `YYYY-MM-DD`; may be left out for a long-term Chinese card.
    #[schema(example = "2031-05-01")]
    pub expiry_date: Option<String>,
    /// The IIN for Kazakh documents.
    pub personal_number: Option<String>,
    /// The machine readable zone, lines separated by line breaks.
    pub mrz: Option<String>,
}

/// The visit: calendar days in the zone's time zone, both counted.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitBody {
    /// First day, `YYYY-MM-DD`.
    #[schema(example = "2026-12-01")]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[schema(example = "2026-12-20")]
    pub until: Option<String>,
}

/// An application for a permit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitRequest {
    /// The holder's document.
    #[serde(default)]
    pub document: DocumentBody,
    /// The visit.
    #[serde(default)]
    pub visit: VisitBody,
}

/// The document, as the traveler sees it: the number masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct HolderDocument {
    /// `passport` or `id_card`.
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Issuing state.
    pub issuing_country: String,
    /// The number with all but its last four characters masked.
    pub number_masked: String,
    /// The full number: only in answers to staff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Expiry date; absent for a long-term Chinese card.
    pub expiry_date: Option<NaiveDate>,
}

/// Who the permit is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct Holder {
    /// Surname.
    pub surname: String,
    /// Given names.
    pub given_names: String,
    /// Nationality.
    pub nationality: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// `M`, `F` or `X`.
    pub sex: String,
    /// The document.
    pub document: HolderDocument,
}

/// Where to find the permit and its QR codes.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermitLinks {
    /// This permit (send `X-Access-Code`).
    #[serde(rename = "self")]
    pub self_: String,
    /// The QR code as PNG.
    pub qr_png: String,
    /// The QR code as SVG.
    pub qr_svg: String,
}

/// The visit's days.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitDays {
    /// First day (zone calendar).
    pub from: NaiveDate,
    /// Last day (zone calendar).
    pub until: NaiveDate,
}

/// A permit.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermitView {
    /// Permit id (UUIDv7).
    pub permit_id: String,
    /// `active` or `revoked`.
    pub status: String,
    /// 00:00 of the first visit day in the zone, as an instant.
    pub valid_from: DateTime<Utc>,
    /// 24:00 of the last visit day in the zone, as an instant.
    pub valid_until: DateTime<Utc>,
    /// The visit's days.
    pub visit: VisitDays,
    /// The holder.
    pub holder: Holder,
    /// The signed token the QR code holds (compact JWS, EdDSA).
    pub token: String,
    /// Key that signed the token.
    pub kid: String,
    /// When issued.
    pub issued_at: DateTime<Utc>,
    /// When revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_reason: Option<String>,
    /// Shown once, in the answer to the application: keep it to fetch the permit later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_code: Option<String>,
    /// Links.
    pub links: PermitLinks,
}

fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let keep = chars.len().min(4);
    let hidden = chars.len() - keep;
    "*".repeat(hidden) + &chars[hidden..].iter().collect::<String>()
}

/// Who is looking at a permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The holder, with the access code.
    Holder,
    /// Staff, with a bearer token.
    Staff,
}

impl PermitView {
    /// The permit as `viewer` may see it; `access_code` only in the answer to the application.
    pub fn from_row(row: PermitRow, access_code: Option<String>, viewer: Viewer) -> Self {
        let base = format!("/api/v1/permits/{}", row.id);
        Self {
            links: PermitLinks {
                self_: base.clone(),
                qr_png: format!("{base}/qr.png"),
                qr_svg: format!("{base}/qr.svg"),
            },
            permit_id: row.id,
            status: row.status,
            valid_from: row.valid_from.and_utc(),
            valid_until: row.valid_until.and_utc(),
            visit: VisitDays {
                from: row.visit_from,
                until: row.visit_until,
            },
            holder: Holder {
                surname: row.surname,
                given_names: row.given_names,
                nationality: row.nationality,
                birth_date: row.birth_date,
                sex: row.sex,
                document: HolderDocument {
                    doc_type: row.document_type,
                    issuing_country: row.issuing_country,
                    number_masked: mask(&row.document_number),
                    number: (viewer == Viewer::Staff).then(|| row.document_number.clone()),
                    expiry_date: row.document_expiry,
                },
            },
            token: row.token,
            kid: row.kid,
            issued_at: row.created_at.and_utc(),
            revoked_at: row.revoked_at.map(|t| t.and_utc()),
            revoked_reason: row.revoked_reason,
            access_code,
        }
    }
}

impl From<PermitRequest> for ApplicationInput {
    fn from(request: PermitRequest) -> Self {
        let d = request.document;
        Self {
            document: DocumentInput {
                doc_type: d.doc_type,
                issuing_country: d.issuing_country,
                number: d.number,
                nationality: d.nationality,
                surname: d.surname,
                given_names: d.given_names,
                birth_date: d.birth_date,
                sex: d.sex,
                expiry_date: d.expiry_date,
                personal_number: d.personal_number,
                mrz: d.mrz,
            },
            visit_from: request.visit.from,
            visit_until: request.visit.until,
        }
    }
}

/// Apply for a permit.
#[utoipa::path(post, path = "/api/v1/permits", tag = "permits", request_body = PermitRequest,
    responses(
        (status = 201, description = "Issued; `Location` names the permit", body = PermitView),
        (status = 409, description = "The document holds an active permit for overlapping dates", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many applications from this client address, or for this document; see Retry-After", body = Problem, content_type = "application/problem+json"),
        responses::BadBody,
    ))]
#[post("/api/v1/permits")]
pub async fn apply(
    core: web::Data<Core>,
    client: ClientAddress,
    body: ApiJson<PermitRequest>,
) -> Result<HttpResponse, ApiError> {
    let issued = permit_use::apply(&core, body.0.into(), client.0).await?;
    let view = PermitView::from_row(issued.permit, Some(issued.access_code), Viewer::Holder);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, view.links.self_.clone()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view))
}

/// Loads a permit the caller may see: staff with a bearer token see any; otherwise the access code
/// must match, and unknown ids and wrong codes look alike.
async fn permit_for_caller(
    core: &Core,
    req: &HttpRequest,
    id: &str,
) -> Result<(PermitRow, Viewer), ApiError> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        let staff = Staff::extract(req).await?;
        let row = permit_use::fetch_for_staff(core, &staff, id).await?;
        return Ok((row, Viewer::Staff));
    }
    let code = req
        .headers()
        .get(ACCESS_CODE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let client =
        super::client::client_of(req.peer_addr(), req.headers(), &core.config.trusted_proxies);
    Ok((
        permit_use::fetch(core, id, code, client).await?,
        Viewer::Holder,
    ))
}

/// The permit, for its holder.
#[utoipa::path(get, path = "/api/v1/permits/{id}", tag = "permits",
    params(("id" = String, Path, description = "Permit id"),
           ("X-Access-Code" = String, Header, description = "The access code given at application")),
    responses(
        (status = 200, description = "The permit", body = PermitView),
        (status = 404, description = "Unknown id or wrong access code (indistinguishable)", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/api/v1/permits/{id}")]
pub async fn get_permit(
    core: web::Data<Core>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (row, viewer) = permit_for_caller(&core, &req, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PermitView::from_row(row, None, viewer)))
}

/// Size of the PNG.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PngQuery {
    /// Pixels per QR module, 1 to 32 (default 8).
    pub scale: Option<String>,
}

/// The permit's QR code as PNG; it decodes to exactly the token.
#[utoipa::path(get, path = "/api/v1/permits/{id}/qr.png", tag = "permits",
    params(("id" = String, Path, description = "Permit id"),
           ("X-Access-Code" = String, Header, description = "The access code"), PngQuery),
    responses(
        (status = 200, description = "PNG image", content_type = "image/png"),
        (status = 404, description = "Unknown id or wrong access code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Scale out of range", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/api/v1/permits/{id}/qr.png")]
pub async fn qr_png(
    core: web::Data<Core>,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<PngQuery>,
) -> Result<HttpResponse, ApiError> {
    let scale = qr::parse_scale(query.scale.as_deref())?;
    let (row, _) = permit_for_caller(&core, &req, &id).await?;
    let png = off_the_workers(move || qr::png(row.token.as_bytes(), scale))
        .await?
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(png))
}

/// The permit's QR code as SVG.
#[utoipa::path(get, path = "/api/v1/permits/{id}/qr.svg", tag = "permits",
    params(("id" = String, Path, description = "Permit id"),
           ("X-Access-Code" = String, Header, description = "The access code")),
    responses(
        (status = 200, description = "SVG image", content_type = "image/svg+xml"),
        (status = 404, description = "Unknown id or wrong access code", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/api/v1/permits/{id}/qr.svg")]
pub async fn qr_svg(
    core: web::Data<Core>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (row, _) = permit_for_caller(&core, &req, &id).await?;
    // Encoding a QR code takes milliseconds: not on an async worker.
    let svg = off_the_workers(move || qr::svg(row.token.as_bytes()))
        .await?
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(svg))
}

/// Why a permit is revoked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// 1 to 500 characters, kept with the permit.
    pub reason: Option<String>,
}

/// Revoke a permit: entries are denied from now on; a holder inside may still leave (flag `revoked`).
#[utoipa::path(post, path = "/api/v1/permits/{id}/revoke", tag = "permits", request_body = RevokeRequest,
    params(("id" = String, Path, description = "Permit id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The permit, now revoked", body = PermitView),
        responses::NotLoggedIn,
        responses::NotAdmin,
        responses::NotFound,
        (status = 409, description = "Already revoked", body = Problem, content_type = "application/problem+json"),
        responses::BadBody,
    ))]
#[post("/api/v1/permits/{id}/revoke")]
pub async fn revoke(
    core: web::Data<Core>,
    admin: Admin,
    client: ClientAddress,
    id: web::Path<String>,
    body: ApiJson<RevokeRequest>,
) -> Result<HttpResponse, ApiError> {
    let row = permit_use::revoke(&core, &admin, client.0, &id, body.0.reason.as_deref()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PermitView::from_row(row, None, Viewer::Staff)))
}
