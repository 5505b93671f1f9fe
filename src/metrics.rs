//! What `/metrics` shows, in the Prometheus text format: GraphQL requests and their latency by
//! operation, errors by code, store calls and their latency by call, reports imported, query
//! answers given again, and open subscriptions. Plain Rust over prometheus-client; the layers record into it.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// How many distinct operation names get a series of their own; clients choose the names,
/// so beyond this they share `other` rather than grow the server's memory.
const MAX_OPERATIONS: usize = 200;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    call: String,
    outcome: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<OperationLabels, Histogram, fn() -> Histogram>,
    errors: Family<CodeLabels, Counter>,
    store_calls: Family<CallLabels, Histogram, fn() -> Histogram>,
    reports_imported: Counter,
    answers_reused: Counter,
    subscriptions: Gauge,
    operations: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("kg");
        let requests =
            Family::<OperationLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        let errors = Family::<CodeLabels, Counter>::default();
        let store_calls = Family::<CallLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let reports_imported = Counter::default();
        let answers_reused = Counter::default();
        let subscriptions = Gauge::default();
        registry.register(
            "graphql_request_duration_seconds",
            "GraphQL requests and how long they took, by operation name",
            requests.clone(),
        );
        registry.register(
            "graphql_errors",
            "Errors in GraphQL responses, by code",
            errors.clone(),
        );
        registry.register(
            "store_call_duration_seconds",
            "Store calls and how long they took, by call and outcome",
            store_calls.clone(),
        );
        registry.register(
            "reports_imported",
            "Reports newly imported",
            reports_imported.clone(),
        );
        registry.register(
            "answers_reused",
            "Query answers given again, the graph unchanged since they were kept",
            answers_reused.clone(),
        );
        registry.register(
            "subscriptions_open",
            "Subscriptions being served",
            subscriptions.clone(),
        );
        Self {
            registry,
            requests,
            errors,
            store_calls,
            reports_imported,
            answers_reused,
            subscriptions,
            operations: Mutex::new(HashSet::new()),
        }
    }

    fn operation_label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation.filter(|n| !n.is_empty()) else {
            return "anonymous".into();
        };
        let mut seen = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains(name) {
            return name.to_string();
        }
        if seen.len() < MAX_OPERATIONS {
            seen.insert(name.to_string());
            return name.to_string();
        }
        "other".into()
    }

    /// One GraphQL request, its duration and the codes of its errors.
    pub fn request(&self, operation: Option<&str>, took: Duration, error_codes: &[&str]) {
        let operation = self.operation_label(operation);
        self.requests
            .get_or_create(&OperationLabels { operation })
            .observe(took.as_secs_f64());
        for code in error_codes {
            self.errors
                .get_or_create(&CodeLabels {
                    code: code.to_string(),
                })
                .inc();
        }
    }

    /// One store call.
    pub fn store_call(&self, call: &'static str, took: Duration, ok: bool) {
        let labels = CallLabels {
            call: call.into(),
            outcome: if ok { "ok" } else { "error" }.into(),
        };
        self.store_calls
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// A query's kept answer given again.
    pub fn answer_reused(&self) {
        self.answers_reused.inc();
    }

    pub fn reports_imported(&self, count: usize) {
        self.reports_imported.inc_by(count as u64);
    }

    /// A subscription opened; it counts as open until the returned guard is dropped.
    pub fn subscription_opened(self: &std::sync::Arc<Self>) -> SubscriptionGuard {
        self.subscriptions.inc();
        SubscriptionGuard(std::sync::Arc::clone(self))
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            tracing::error!("metrics did not encode");
        }
        text
    }
}

/// Counts one open subscription until dropped.
pub struct SubscriptionGuard(std::sync::Arc<Metrics>);

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        self.0.subscriptions.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_errors_and_store_calls_show_in_the_exposition() {
        let metrics = std::sync::Arc::new(Metrics::new());
        metrics.request(Some("Events"), Duration::from_millis(3), &["BAD_ID"]);
        metrics.store_call("expand", Duration::from_millis(1), true);
        metrics.reports_imported(2);
        let guard = metrics.subscription_opened();
        let text = metrics.encode();
        assert!(
            text.contains("kg_graphql_request_duration_seconds_count{operation=\"Events\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("kg_graphql_errors_total{code=\"BAD_ID\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("kg_store_call_duration_seconds_count{call=\"expand\",outcome=\"ok\"} 1"),
            "{text}"
        );
        assert!(text.contains("kg_reports_imported_total 2"), "{text}");
        assert!(text.contains("kg_subscriptions_open 1"), "{text}");
        drop(guard);
        assert!(metrics.encode().contains("kg_subscriptions_open 0"));
    }

    #[test]
    fn client_chosen_operation_names_cannot_grow_the_series_without_bound() {
        let metrics = Metrics::new();
        for n in 0..(MAX_OPERATIONS + 50) {
            metrics.request(Some(&format!("Op{n}")), Duration::from_millis(1), &[]);
        }
        let text = metrics.encode();
        assert!(text.contains("operation=\"other\""));
        let series = text
            .matches("kg_graphql_request_duration_seconds_count{")
            .count();
        assert_eq!(series, MAX_OPERATIONS + 1);
    }
}
