//! Cross-site request forgery: every form post must carry the token its page put in the form, equal
//! to the one in the reader's cookie, and come from a page of this service.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use base64::Engine;
use subtle::ConstantTimeEq;

/// The cookie that holds the reader's token.
pub const COOKIE: &str = "bp_csrf";
/// The form field that carries it back.
pub const FIELD: &str = "csrf";
/// The header that carries it on a script's request.
pub const HEADER: &str = "x-csrf-token";
/// Length of a token: 32 random bytes in unpadded base64url.
const TOKEN_LEN: usize = 43;

/// The reader's token: the cookie's, or a fresh one that the answer sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfToken {
    value: String,
    is_new: bool,
}

impl CsrfToken {
    /// The token `req`'s cookie holds, else a new one.
    pub fn of(req: &HttpRequest) -> Self {
        match cookie_value(req) {
            Some(value) => Self {
                value,
                is_new: false,
            },
            None => Self::fresh(),
        }
    }

    fn fresh() -> Self {
        let mut bytes = [0u8; 32];
        match getrandom::fill(&mut bytes) {
            Ok(()) => Self {
                value: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
                is_new: true,
            },
            Err(error) => {
                // No token at all: every post of this page is refused, never one of a guessable
                // token accepted.
                tracing::error!(%error, "no random bytes for a form token");
                Self {
                    value: String::new(),
                    is_new: false,
                }
            }
        }
    }

    /// The value the form carries.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The cookie the answer must set, when the token is new. Not readable by scripts, never sent
    /// with another site's requests.
    pub fn cookie(&self, secure: bool) -> Option<Cookie<'static>> {
        self.is_new.then(|| {
            Cookie::build(COOKIE, self.value.clone())
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(secure)
                .finish()
        })
    }
}

fn cookie_value(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| {
            v.len() == TOKEN_LEN
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// True when a post `req` carrying `sent` may act: the cookie's token and the sent one agree, and
/// the browser does not say the request came from another site.
pub fn accepts(req: &HttpRequest, sent: Option<&str>) -> bool {
    let (Some(cookie), Some(sent)) = (cookie_value(req), sent) else {
        return false;
    };
    let same_token: bool = cookie.as_bytes().ct_eq(sent.as_bytes()).into();
    same_token && same_origin(req)
}

/// The browser's own word on where a request came from: `Sec-Fetch-Site`, else `Origin`; a request
/// that says neither (an older browser) is judged by its token alone.
fn same_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get("origin").and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let info = req.connection_info();
            origin == format!("{}://{}", info.scheme(), info.host())
        }
    }
}
