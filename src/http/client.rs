//! Who a request comes from: the TCP peer, or behind a trusted reverse proxy the address it names.

use std::future::{ready, Ready};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use ipnet::IpNet;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use super::auth::core_of;
use super::problem::ApiError;
use crate::app::Core;

/// The client's address, as the throttles and the request log see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The client of a request from `peer` with `headers`: the peer itself, unless it is one of the
/// `trusted` proxies; then the right-most address of `X-Forwarded-For` that is not a trusted proxy
/// (each proxy appends the address it saw, so the ones to its left could be anything the client
/// typed). A header from an untrusted peer is never read.
pub fn client_of(peer: Option<SocketAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.ip());
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

impl FromRequest for ClientAddress {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(core_of(req).map(|core| {
            Self(client_of(
                req.peer_addr(),
                req.headers(),
                &core.config.trusted_proxies,
            ))
        }))
    }
}

/// The request log's span: method, route pattern (never the path itself, which may carry an id),
/// the client as [`client_of`] resolves it (never a header an untrusted peer sent), request id.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let trusted = request
            .app_data::<actix_web::web::Data<Core>>()
            .map_or(&[][..], |core| core.config.trusted_proxies.as_slice());
        let client = client_of(request.peer_addr(), request.headers(), trusted);
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_else(|| "default".into()),
            http.client_ip = %client,
            request_id = %request_id,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(xff: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_str(xff).expect("header"),
        );
        map
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().expect("ip"), 40000))
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let ip = client_of(peer("203.0.113.9"), &headers("198.51.100.1"), &trusted);
        assert_eq!(ip.to_string(), "203.0.113.9");
        let ip = client_of(peer("203.0.113.9"), &headers("198.51.100.1"), &[]);
        assert_eq!(ip.to_string(), "203.0.113.9", "no proxy trusted by default");
    }

    #[test]
    fn behind_trusted_proxies_the_last_untrusted_hop_is_the_client() {
        let trusted: Vec<IpNet> = vec![
            "10.0.0.0/8".parse().expect("net"),
            IpNet::from("192.0.2.1".parse::<IpAddr>().expect("ip")),
        ];
        // The client typed a fake first hop; the proxies appended what they saw.
        let xff = "1.2.3.4, 198.51.100.7, 10.1.1.1";
        let ip = client_of(peer("192.0.2.1"), &headers(xff), &trusted);
        assert_eq!(ip.to_string(), "198.51.100.7");
        let ip = client_of(peer("10.2.2.2"), &HeaderMap::new(), &trusted);
        assert_eq!(ip.to_string(), "10.2.2.2", "no header: the proxy itself");
    }
}
