//! Prometheus metrics: requests, decisions by action, hand-offs by reason and queue, delivery
//! attempts by outcome, the outbox backlog, and latency histograms. Served as text at
//! `/metrics`.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::handoff::DeliveryObserver;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    pub action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HandoffLabels {
    pub reason: String,
    pub queue: String,
    pub after_hours: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    pub kind: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: String,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Family<RouteLabels, Histogram>,
    pub decisions: Family<ActionLabels, Counter>,
    pub decision_seconds: Histogram,
    pub handoffs: Family<HandoffLabels, Counter>,
    pub deliveries: Family<DeliveryLabels, Counter>,
    pub backlog: Family<StatusLabels, Gauge>,
    pub reloads: Family<StatusLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("firstline");
        let requests = Family::<RequestLabels, Counter>::default();
        let request_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 2.0, 16))
        });
        let decisions = Family::<ActionLabels, Counter>::default();
        let decision_seconds = Histogram::new(exponential_buckets(0.00001, 2.0, 16));
        let handoffs = Family::<HandoffLabels, Counter>::default();
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let backlog = Family::<StatusLabels, Gauge>::default();
        let reloads = Family::<StatusLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            request_seconds.clone(),
        );
        registry.register("decisions", "Decisions by action", decisions.clone());
        registry.register(
            "decision_duration_seconds",
            "Time spent deciding one message",
            decision_seconds.clone(),
        );
        registry.register(
            "handoffs",
            "Hand-offs by reason, queue and whether after hours",
            handoffs.clone(),
        );
        registry.register(
            "delivery_attempts",
            "Delivery attempts by kind and outcome",
            deliveries.clone(),
        );
        registry.register(
            "deliveries",
            "Deliveries in the outbox by status",
            backlog.clone(),
        );
        registry.register(
            "content_reloads",
            "Content reloads by result",
            reloads.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            requests,
            request_seconds,
            decisions,
            decision_seconds,
            handoffs,
            deliveries,
            backlog,
            reloads,
        }
    }
}

impl Metrics {
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if let Ok(registry) = self.registry.lock() {
            let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        }
        text
    }
}

impl DeliveryObserver for Metrics {
    fn attempted(&self, kind: &str, outcome: &str) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                kind: kind.into(),
                outcome: outcome.into(),
            })
            .inc();
    }
}
