//! The pages: server-rendered HTML in the reader's language over the same use cases as the API.
//!
//! Every page is built by a handler that reads the request into use-case input, calls one use
//! case of [`crate::app`] and renders an askama template (`src/web/templates/`) with texts from the
//! Fluent messages (`src/web/locales/`). Assets (`src/web/assets/`) are compiled into the binary.

pub mod admin;
pub mod assets;
pub mod chart;
pub mod csrf;
pub mod gate;
pub mod i18n;
pub mod problem;
pub mod traveler;

use std::future::{ready, Ready};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

use csrf::CsrfToken;
use i18n::{Lang, Tr};

/// The cookie the language switch sets.
pub const LANG_COOKIE: &str = "bp_lang";

/// What every page may load: its own scripts, styles and images, nothing inline, nothing from
/// another host; forms post only here; never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// Registers every page.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::serve)
        .service(traveler::apply_form)
        .service(traveler::apply)
        .service(traveler::mrz_fields)
        .service(traveler::fetch_form)
        .service(traveler::fetch)
        .service(traveler::download_qr)
        .configure(admin::routes)
        .service(gate::gate_page)
        .service(gate::service_worker);
}

/// An unknown address: a page in the reader's language for a browser, the API's 404 problem for
/// anything else (and anything under `/api/`).
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, crate::http::problem::ApiError> {
    let wants_page = !req.path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    if !wants_page {
        return crate::http::not_found().await;
    }
    let reader = Reader::of(&req);
    let alert = problem::Alert::new(
        &reader.tr,
        StatusCode::NOT_FOUND,
        i18n::msg("problem-not-found"),
    );
    Ok(traveler::problem_page(&reader, &alert))
}

/// Who reads a page: their language, and their form token.
#[derive(Debug, Clone)]
pub struct Reader {
    /// The texts in the reader's language.
    pub tr: Tr,
    /// A language chosen with `?lang=` on this request: the answer remembers it in a cookie.
    chosen: Option<Lang>,
    /// The reader's form token.
    pub csrf: CsrfToken,
    /// Over HTTPS: cookies are marked secure.
    secure: bool,
    /// The path asked for, for the language switch's links.
    path: String,
}

impl Reader {
    /// The reader of `req`: the language of `?lang=`, else the cookie, else `Accept-Language`,
    /// else English.
    pub fn of(req: &HttpRequest) -> Self {
        let chosen = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, _)| k == "lang")
                    .and_then(|(_, v)| Lang::from_tag(&v))
            });
        let remembered = req
            .cookie(LANG_COOKIE)
            .and_then(|c| Lang::from_tag(c.value()));
        let lang = chosen.or(remembered).unwrap_or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map_or(Lang::En, Lang::negotiate)
        });
        Self {
            tr: Tr::new(lang),
            chosen,
            csrf: CsrfToken::of(req),
            secure: req.connection_info().scheme() == "https",
            path: req.path().to_owned(),
        }
    }

    /// The frame of a page titled with message `title`, `current` marking where the reader is.
    pub fn frame(&self, title: &str, current: Section) -> Frame {
        let tr = self.tr;
        Frame {
            tr,
            title: tr.t(title),
            langs: Lang::ALL
                .into_iter()
                .map(|lang| LangLink {
                    tag: lang.tag(),
                    name: lang.own_name(),
                    href: format!("{}?lang={}", self.path, lang.tag()),
                    current: lang == tr.lang,
                })
                .collect(),
            nav: [
                (Section::Apply, "/", i18n::msg("nav-apply")),
                (Section::Fetch, "/permit", i18n::msg("nav-fetch")),
            ]
            .into_iter()
            .map(|(section, href, text)| NavLink {
                href,
                text: tr.t(text),
                current: section == current,
            })
            .collect(),
            style_href: assets::href("style.css"),
            extra_style: None,
            footer: String::new(),
        }
    }

    /// The frame of an administrator's page titled with message `title`; `current` is the address
    /// of its part of the dashboard.
    pub fn admin_frame(&self, title: &str, current: &str) -> Frame {
        let mut frame = self.frame(title, Section::Admin);
        frame.nav = admin::SECTIONS
            .iter()
            .map(|&(href, text)| NavLink {
                href,
                text: self.tr.t(text),
                current: href == current,
            })
            .collect();
        frame.extra_style = Some(assets::href("admin.css"));
        frame
    }

    /// An HTML answer with `status` and the page's headers: its security policy, never stored,
    /// and the cookies this reader needs.
    pub fn respond(&self, status: StatusCode, html: String) -> HttpResponse {
        let mut answer = HttpResponse::build(status);
        answer
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::CONTENT_LANGUAGE, self.tr.lang.tag()))
            .insert_header((header::VARY, "Accept-Language, Cookie"));
        if let Some(cookie) = self.csrf.cookie(self.secure) {
            answer.cookie(cookie);
        }
        if let Some(lang) = self.chosen {
            answer.cookie(
                Cookie::build(LANG_COOKIE, lang.tag())
                    .path("/")
                    .same_site(SameSite::Lax)
                    .secure(self.secure)
                    .max_age(actix_web::cookie::time::Duration::days(365))
                    .finish(),
            );
        }
        answer.body(html)
    }

    /// Renders `page` with `status`; a template that fails to render is a fault, logged.
    pub fn render(&self, status: StatusCode, page: &impl askama::Template) -> HttpResponse {
        match page.render() {
            Ok(html) => self.respond(status, html),
            Err(error) => {
                tracing::error!(%error, "page did not render");
                self.respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    self.tr.t("problem-internal"),
                )
            }
        }
    }
}

impl FromRequest for Reader {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// The parts of the site a page belongs to, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Applying for a permit.
    Apply,
    /// Opening a permit again.
    Fetch,
    /// The gate scanner.
    Gate,
    /// The administrators' pages.
    Admin,
}

/// What every page shows around its content.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The texts.
    pub tr: Tr,
    /// The page's title.
    pub title: String,
    /// The language switch.
    pub langs: Vec<LangLink>,
    /// The site's navigation.
    pub nav: Vec<NavLink>,
    /// The style sheet's address.
    pub style_href: String,
    /// A page's own style sheet, after the common one.
    pub extra_style: Option<String>,
    /// A line at the foot of the page.
    pub footer: String,
}

/// One entry of the language switch.
#[derive(Debug, Clone)]
pub struct LangLink {
    /// `zh`, `kk`, `ru`, `en`.
    pub tag: &'static str,
    /// The language's own name.
    pub name: &'static str,
    /// This page in that language.
    pub href: String,
    /// The page's language.
    pub current: bool,
}

/// One entry of the navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where it leads.
    pub href: &'static str,
    /// Its text.
    pub text: String,
    /// The reader is there.
    pub current: bool,
}
