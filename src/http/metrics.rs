//! The metrics endpoint (on its own address) and the middleware that counts every answer.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{get, web, HttpResponse};

use crate::app::{keys as key_use, Core};
use crate::metrics::{HttpLabels, RouteLabels};

/// The metrics in the Prometheus text format; `borderpass_ready` is checked as it is scraped.
#[get("/metrics")]
pub async fn metrics(core: web::Data<Core>) -> HttpResponse {
    let ready = key_use::ready(&core).await.is_ok();
    core.metrics.ready.set(i64::from(ready));
    match core.metrics.encode() {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(error) => {
            tracing::error!(%error, "metrics could not be encoded");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// A method as a label: the standard ones by name, any other as `other` (a client may send any).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts every answer by route pattern, method and status, and times it.
pub async fn count_answers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(req.method()).to_owned();
    let core = req.app_data::<web::Data<Core>>().cloned();
    let res = next.call(req).await?;
    if let Some(core) = core {
        let status = res.status().as_u16();
        core.metrics
            .http_seconds
            .get_or_create(&RouteLabels {
                route: route.clone(),
                method: method.clone(),
            })
            .observe(started.elapsed().as_secs_f64());
        core.metrics
            .http_requests
            .get_or_create(&HttpLabels {
                route,
                method,
                status,
            })
            .inc();
    }
    Ok(res)
}
