//! The traveler's side: apply for a permit, fetch it with the access code, get its QR code.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{authenticate, Staff};
use super::extract::ApiJson;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::crypto::access_code;
use crate::crypto::keyring::KeyRing;
use crate::crypto::permit_token::{self, PermitClaims};
use crate::db::keys::KeyStoreError;
use crate::db::permits::{self, IssueError, PermitRow, Revocation};
use crate::domain::document::DocumentInput;
use crate::domain::permit::{Application, PermitId, PermitStatus, VisitRules, MAX_DAYS_AHEAD};
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
enum Viewer {
    /// The holder, with the access code.
    Holder,
    /// Staff, with a bearer token.
    Staff,
}

impl PermitView {
    fn from_row(row: PermitRow, access_code: Option<String>, viewer: Viewer) -> Self {
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

/// Apply for a permit.
#[utoipa::path(post, path = "/api/v1/permits", tag = "permits", request_body = PermitRequest,
    responses(
        (status = 201, description = "Issued; `Location` names the permit", body = PermitView),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The document holds a permit for overlapping dates", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every problem with the document and the visit", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/api/v1/permits")]
pub async fn apply(
    state: web::Data<AppState>,
    body: ApiJson<PermitRequest>,
) -> Result<HttpResponse, ApiError> {
    let PermitRequest { document: d, visit } = body.0;
    let input = DocumentInput {
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
    };
    let rules = VisitRules {
        max_stay_days: state.config.max_stay_days,
        max_days_ahead: MAX_DAYS_AHEAD,
    };
    let application = Application::parse(
        &input,
        visit.from.as_deref(),
        visit.until.as_deref(),
        state.zone_today(),
        rules,
    )
    .map_err(ApiError::from)?;
    let (code, code_hash) =
        access_code::generate().map_err(|e| ApiError::Internal(format!("random source: {e}")))?;
    let now = state.clock.now();
    let row = new_permit_row(&application, state.config.zone_tz, code_hash, now);
    let keys = state.keys.clone();
    // Signing (tens of microseconds) runs on the reading pool, so the single SQLite writer only stores.
    let stored = match state
        .store
        .read(move |conn| Ok(sign_permit(conn, &keys, row)))
        .await?
    {
        Ok(signed) => {
            state
                .store
                .write(move |conn| {
                    Ok(permits::insert(conn, &signed)
                        .map(|()| signed.clone())
                        .map_err(PermitWriteError::Issue))
                })
                .await?
        }
        Err(e) => Err(e),
    };
    let row = stored.map_err(|e: PermitWriteError| match e {
        PermitWriteError::Issue(IssueError::Overlap) => {
            ApiError::Conflict("This document already holds a permit for overlapping dates.".into())
        }
        PermitWriteError::Issue(IssueError::Db(e)) => e.into(),
        PermitWriteError::Keys(KeyStoreError::NoActiveKey) => {
            ApiError::Unavailable("no active signing key yet".into())
        }
        PermitWriteError::Keys(e) => ApiError::Internal(e.to_string()),
        PermitWriteError::Sign(e) => ApiError::Internal(e),
    })?;
    tracing::info!(permit_id = %row.id, kid = %row.kid, "permit issued");
    let view = PermitView::from_row(row, Some(code), Viewer::Holder);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, view.links.self_.clone()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view))
}

/// Signs a new permit's token with the active key.
fn sign_permit(
    conn: &mut crate::db::DbConnection,
    keys: &KeyRing,
    mut row: PermitRow,
) -> Result<PermitRow, PermitWriteError> {
    // A key rotated between this and the insert is still fine: retired keys stay published while
    // their permits are valid.
    let key = crate::db::keys::active_signing_key(conn, keys).map_err(PermitWriteError::Keys)?;
    let claims = PermitClaims {
        sub: row.id.clone(),
        nbf: row.valid_from.and_utc().timestamp(),
        exp: row.valid_until.and_utc().timestamp(),
        n: PermitClaims::name_claim(&row.surname, &row.given_names),
        c: row.nationality.clone(),
        b: row.birth_date.format("%Y%m%d").to_string(),
    };
    row.token =
        permit_token::sign(&claims, &key).map_err(|e| PermitWriteError::Sign(e.to_string()))?;
    row.kid = key.kid().to_owned();
    Ok(row)
}

/// Failures inside the issuing transaction, kept apart from database errors.
#[derive(Debug)]
enum PermitWriteError {
    Issue(IssueError),
    Keys(KeyStoreError),
    Sign(String),
}

fn new_permit_row(
    application: &Application,
    tz: chrono_tz::Tz,
    access_code_hash: String,
    now: DateTime<Utc>,
) -> PermitRow {
    let d = &application.document;
    let (valid_from, valid_until) = application.visit.validity(tz);
    PermitRow {
        id: PermitId::new().to_string(),
        status: PermitStatus::Active.as_str().into(),
        document_key: format!(
            "{}:{}:{}",
            d.kind().api_type(),
            d.issuing_country(),
            d.number()
        ),
        document_type: d.kind().api_type().into(),
        issuing_country: d.issuing_country().to_string(),
        document_number: d.number().into(),
        document_expiry: d.expiry_date(),
        personal_number: d.personal_number().map(String::from),
        nationality: d.nationality().to_string(),
        surname: d.surname().into(),
        given_names: d.given_names().into(),
        birth_date: d.birth_date(),
        sex: d.sex().as_str().into(),
        visit_from: application.visit.from(),
        visit_until: application.visit.until(),
        valid_from: valid_from.into(),
        valid_until: valid_until.into(),
        kid: String::new(),
        token: String::new(),
        access_code_hash,
        created_at: now.into(),
        revoked_at: None,
        revoked_reason: None,
    }
}

/// Loads a permit the caller may see: staff with a bearer token see any; otherwise the access code
/// must match, and unknown ids and wrong codes look alike.
async fn permit_for_caller(
    state: &AppState,
    req: &HttpRequest,
    id: &str,
) -> Result<(PermitRow, Viewer), ApiError> {
    let id: PermitId = id.parse().map_err(|_| ApiError::NotFound)?;
    if req.headers().contains_key(header::AUTHORIZATION) {
        authenticate(state, req).await?;
        let key = id.to_string();
        let row = state
            .store
            .read(move |conn| Ok(permits::find(conn, &key)?))
            .await?;
        return row.map(|r| (r, Viewer::Staff)).ok_or(ApiError::NotFound);
    }
    let code = req
        .headers()
        .get(ACCESS_CODE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    let key = id.to_string();
    let row = state
        .store
        .read(move |conn| Ok(permits::find(conn, &key)?))
        .await?;
    // Hash even when the id is unknown, so both failures take the same time.
    let stored_hash = row.as_ref().map_or_else(
        || access_code::hash("unknown permit"),
        |r| r.access_code_hash.clone(),
    );
    let matches = access_code::matches(&code, &stored_hash);
    match row {
        Some(row) if matches && !code.is_empty() => Ok((row, Viewer::Holder)),
        _ => Err(ApiError::NotFound),
    }
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
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (row, viewer) = permit_for_caller(&state, &req, &id).await?;
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
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<PngQuery>,
) -> Result<HttpResponse, ApiError> {
    let scale = match query.scale.as_deref() {
        None => qr::DEFAULT_SCALE,
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|s| qr::SCALE_RANGE.contains(s))
            .ok_or_else(|| {
                ApiError::invalid(
                    "scale",
                    "invalid_value",
                    format!(
                        "scale must be a whole number from {} to {}",
                        qr::SCALE_RANGE.start(),
                        qr::SCALE_RANGE.end()
                    ),
                )
            })?,
    };
    let (row, _) = permit_for_caller(&state, &req, &id).await?;
    let png = web::block(move || qr::png(row.token.as_bytes(), scale))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
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
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (row, _) = permit_for_caller(&state, &req, &id).await?;
    // Encoding a QR code takes milliseconds: not on an async worker.
    let svg = web::block(move || qr::svg(row.token.as_bytes()))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
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
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such permit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason given", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/api/v1/permits/{id}/revoke")]
pub async fn revoke(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    body: ApiJson<RevokeRequest>,
) -> Result<HttpResponse, ApiError> {
    staff.require_admin()?;
    let id: PermitId = id.parse().map_err(|_| ApiError::NotFound)?;
    let reason = body
        .0
        .reason
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::invalid(
            "reason",
            if reason.is_empty() {
                "required"
            } else {
                "invalid_length"
            },
            "a reason of 1 to 500 characters",
        ));
    }
    let now = state.clock.now().naive_utc();
    let key = id.to_string();
    let outcome = state
        .store
        .write(move |conn| Ok(permits::revoke(conn, &key, &reason, now)?))
        .await?;
    match outcome {
        Revocation::Revoked(row) => {
            tracing::info!(permit_id = %row.id, "permit revoked");
            Ok(HttpResponse::Ok().json(PermitView::from_row(row, None, Viewer::Staff)))
        }
        Revocation::AlreadyRevoked(_) => {
            Err(ApiError::Conflict("This permit was revoked before.".into()))
        }
        Revocation::Unknown => Err(ApiError::NotFound),
    }
}
