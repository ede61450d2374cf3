//! The pages' own style sheet and scripts, compiled into the binary and served under `/assets/`.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("assets/style.css"),
    },
    Asset {
        name: "apply.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/apply.js"),
    },
    Asset {
        name: "admin.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("assets/admin.css"),
    },
    Asset {
        name: "gate.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("assets/gate.css"),
    },
    Asset {
        name: "gate-rules.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/gate-rules.js"),
    },
    Asset {
        name: "gate.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/gate.js"),
    },
];

/// A digest of every asset: part of their addresses, so a new binary's assets are never taken
/// from a browser's cache of an older one.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut digest = Sha256::new();
    for asset in ASSETS {
        digest.update(asset.name.as_bytes());
        digest.update(asset.body.as_bytes());
    }
    digest.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
});

/// The address of asset `name`.
pub fn href(name: &str) -> String {
    format!("/assets/{name}?v={}", *VERSION)
}

/// An embedded asset; cached for a year (its address changes with its content).
#[get("/assets/{name}")]
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.name == name.as_str()) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(asset.body),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found"),
    }
}
