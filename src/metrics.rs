//! Prometheus metrics, served on an address of their own (`BORDERPASS_METRICS_BIND`); no label ever
//! holds personal data (no username, permit id or name: routes are patterns, gates are gate ids).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::db::engine::StoreMetrics;

/// An HTTP answer: the route pattern (`/api/v1/permits/{id}`, never the path), method and status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// Route pattern, or `unmatched`.
    pub route: String,
    /// HTTP method.
    pub method: String,
    /// Status code.
    pub status: u16,
}

/// A route, for the latency histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// Route pattern, or `unmatched`.
    pub route: String,
    /// HTTP method.
    pub method: String,
}

/// A scan's outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ScanLabels {
    /// Gate id.
    pub gate_id: String,
    /// `entry` or `exit`.
    pub direction: String,
    /// `admit` or `deny`.
    pub decision: String,
    /// The deny reason; empty when admitted.
    pub reason: String,
}

/// One gate.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GateLabels {
    /// Gate id.
    pub gate_id: String,
}

/// How a login ended.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LoginLabels {
    /// `ok`, `failed`, `throttled` or `busy`.
    pub outcome: String,
}

/// Every metric the service keeps, and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Answers by route, method and status.
    pub http_requests: Family<HttpLabels, Counter>,
    /// Time to answer, by route and method.
    pub http_seconds: Family<RouteLabels, Histogram>,
    /// Scans logged (replays not counted), by gate, direction, decision and reason.
    pub scans: Family<ScanLabels, Counter>,
    /// When each gate last logged a scan (Unix seconds).
    pub last_scan: Family<GateLabels, Gauge>,
    /// Permits issued.
    pub permits_issued: Counter,
    /// Logins by outcome.
    pub logins: Family<LoginLabels, Counter>,
    /// 1 while `/readyz` would answer 200, as of the last scrape.
    pub ready: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Metrics {
    /// The service's metrics, with the store's (group commit, pool waits) registered beside them.
    pub fn new(store: &StoreMetrics) -> Self {
        let mut registry = Registry::with_prefix("borderpass");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_seconds =
            Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let scans = Family::<ScanLabels, Counter>::default();
        let last_scan = Family::<GateLabels, Gauge>::default();
        let permits_issued = Counter::default();
        let logins = Family::<LoginLabels, Counter>::default();
        let ready = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP answers by route pattern, method and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route pattern and method",
            http_seconds.clone(),
        );
        registry.register(
            "scans",
            "Scans logged in the crossing log (not replays), by gate, direction, decision and deny reason",
            scans.clone(),
        );
        registry.register(
            "last_scan_timestamp_seconds",
            "When each gate last logged a scan through this instance (Unix seconds)",
            last_scan.clone(),
        );
        registry.register("permits_issued", "Permits issued", permits_issued.clone());
        registry.register(
            "logins",
            "Staff logins by outcome: ok, failed (wrong password or unknown user), throttled (429), busy (503)",
            logins.clone(),
        );
        registry.register(
            "ready",
            "1 while the service is ready (migrated, keys open, database answering), as of the last scrape",
            ready.clone(),
        );
        store.register(registry.sub_registry_with_prefix("store"));
        Self {
            registry,
            http_requests,
            http_seconds,
            scans,
            last_scan,
            permits_issued,
            logins,
            ready,
        }
    }

    /// Counts a login's outcome.
    pub fn login(&self, outcome: &str) {
        self.logins
            .get_or_create(&LoginLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The metrics in the Prometheus text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_has_every_family_and_no_personal_label() {
        let metrics = Metrics::new(&StoreMetrics::default());
        metrics
            .scans
            .get_or_create(&ScanLabels {
                gate_id: "CN-1".into(),
                direction: "entry".into(),
                decision: "deny".into(),
                reason: "expired".into(),
            })
            .inc();
        metrics.login("failed");
        let text = metrics.encode().expect("text");
        for name in [
            "borderpass_scans_total{gate_id=\"CN-1\",direction=\"entry\",decision=\"deny\",reason=\"expired\"} 1",
            "borderpass_logins_total{outcome=\"failed\"} 1",
            "# TYPE borderpass_store_batch_writes histogram",
            "# TYPE borderpass_store_commit_seconds histogram",
        ] {
            assert!(text.contains(name), "{name} missing in\n{text}");
        }
    }
}
