//! Prometheus metrics at `GET /metrics`, encoded by `prometheus-client`.
//!
//! Three groups (names and PromQL in `docs/metrics.md`):
//!
//! * per quota ([`quota::QuotaCollector`], read from the quota engine's
//!   [`trent_core::quota::UsageMeter`] at scrape time): admitted, throttled,
//!   the last second's rate, the limit, and requests per caller, labelled like
//!   CloudWatch's `AWS/Usage` (`Service`, `Type`, `Resource`, `Class`);
//! * per operation: requests by outcome and error type, latency histograms,
//!   faults injected on purpose;
//! * process: connections ([`connections`]), quota decision latency
//!   ([`timed::TimedAdmission`]).
//!
//! [`Metrics::new`] with `enabled = false` turns every recording method into
//! a no-op (the quota meter too), so the cost of metrics can be measured.

pub mod connections;
pub mod histogram;
pub mod quota;
pub mod timed;

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::exponential_buckets;

pub use histogram::LatencyHistogram;
use prometheus_client::registry::Registry;
use trent_core::Operation;
use trent_core::quota::QuotaEngine;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered successfully.
    Ok,
    /// Refused with ThrottlingException.
    Throttled,
    /// Any other error.
    Error,
}

impl Outcome {
    /// The `outcome` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Throttled => "throttled",
            Outcome::Error => "error",
        }
    }
}

/// `trent_requests_total` labels.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    outcome: &'static str,
    /// AWS's error type (`ThrottlingException` …), empty on success.
    error_type: &'static str,
}

/// Labels naming one operation.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

/// `trent_store_duration_seconds` labels (set by [`timed::TimedStore`]).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StoreLabels {
    /// The `KeyStore` method.
    pub call: &'static str,
}

/// `trent_injected_faults_total` labels.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaultLabels {
    operation: &'static str,
    fault: String,
}

type HistogramFamily<L> = Family<L, LatencyHistogram, fn() -> LatencyHistogram>;

/// Latency buckets from 50 µs to ~1.6 s, doubling.
fn latency_histogram() -> LatencyHistogram {
    LatencyHistogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// Every metric the server exports, and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    enabled: bool,
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily<OperationLabels>,
    auth_failures: Counter,
    injected_faults: Family<FaultLabels, Counter>,
    /// Connections open now.
    pub(crate) connections_open: Gauge,
    /// Connections accepted since start.
    pub(crate) connections_accepted: Counter,
    /// Time spent deciding request quotas (limiter included).
    pub(crate) admission_seconds: LatencyHistogram,
    /// Time spent in the key store, by store call.
    pub(crate) store_seconds: HistogramFamily<StoreLabels>,
    /// Per operation, the `ok` counter and the latency histogram, looked up
    /// once: the common path is then one index and two atomic updates.
    ok_fast: Vec<std::sync::OnceLock<(Counter, LatencyHistogram)>>,
}

impl Default for Metrics {
    /// Metrics on, without quota metrics (no engine): for tests and tools.
    fn default() -> Self {
        Self::new(None, true)
    }
}

impl Metrics {
    /// The metrics of one server; `engine` adds the per-quota metrics, and
    /// `enabled = false` records nothing (and switches the engine's meter off).
    pub fn new(engine: Option<Arc<QuotaEngine>>, enabled: bool) -> Self {
        let mut registry = Registry::with_prefix("trent");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "KMS requests by operation, outcome (ok, throttled, error) and AWS error type",
            requests.clone(),
        );
        let durations: HistogramFamily<OperationLabels> = Family::new_with_constructor(latency_histogram);
        registry.register(
            "request_duration_seconds",
            "Time from the verified request to its answer, by KMS operation",
            durations.clone(),
        );
        let auth_failures = Counter::default();
        registry.register("auth_failures", "Requests refused by authentication (SigV4)", auth_failures.clone());
        let injected_faults = Family::<FaultLabels, Counter>::default();
        registry.register(
            "injected_faults",
            "Faults injected on purpose, by operation and fault",
            injected_faults.clone(),
        );
        let connections_open = Gauge::default();
        registry.register("connections_open", "HTTP connections open now", connections_open.clone());
        let connections_accepted = Counter::default();
        registry.register(
            "connections_accepted",
            "HTTP connections accepted since start",
            connections_accepted.clone(),
        );
        let admission_seconds = latency_histogram();
        registry.register(
            "quota_decision_duration_seconds",
            "Time to decide a request's quotas (limiter round trip included)",
            admission_seconds.clone(),
        );
        let store_seconds: HistogramFamily<StoreLabels> = Family::new_with_constructor(latency_histogram);
        registry.register("store_duration_seconds", "Time spent in the key store, by call", store_seconds.clone());
        if let Some(engine) = engine {
            engine.usage().set_enabled(enabled);
            registry.register_collector(Box::new(quota::QuotaCollector::new(engine)));
        }
        Self {
            enabled,
            registry,
            requests,
            durations,
            auth_failures,
            injected_faults,
            connections_open,
            connections_accepted,
            admission_seconds,
            store_seconds,
            ok_fast: Operation::ALL.iter().map(|_| std::sync::OnceLock::new()).collect(),
        }
    }

    /// Whether metrics are recorded.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Counts one KMS request: its outcome, AWS error type (`""` on success)
    /// and how long it took.
    pub fn record_request(&self, op: Operation, outcome: Outcome, error_type: &'static str, seconds: f64) {
        if !self.enabled {
            return;
        }
        if outcome == Outcome::Ok
            && let Some(slot) = self.ok_fast.get(op as usize)
        {
            let (count, latency) = slot.get_or_init(|| {
                let labels = RequestLabels { operation: op.name(), outcome: "ok", error_type: "" };
                let count = self.requests.get_or_create_owned(&labels);
                (count, self.durations.get_or_create_owned(&OperationLabels { operation: op.name() }))
            });
            count.inc();
            latency.observe(seconds);
            return;
        }
        let labels = RequestLabels { operation: op.name(), outcome: outcome.as_str(), error_type };
        self.requests.get_or_create(&labels).inc();
        self.durations.get_or_create(&OperationLabels { operation: op.name() }).observe(seconds);
    }

    /// Counts one request refused before dispatch (authentication).
    pub fn record_auth_failure(&self) {
        if self.enabled {
            self.auth_failures.inc();
        }
    }

    /// Counts one fault injected on purpose into `operation` (the fault
    /// injection layer calls this, so a test can tell injected failures from
    /// real ones).
    pub fn record_injected_fault(&self, operation: Operation, fault: &str) {
        if self.enabled {
            self.injected_faults
                .get_or_create(&FaultLabels { operation: operation.name(), fault: fault.to_owned() })
                .inc();
        }
    }

    /// The Prometheus text exposition (OpenMetrics text, which Prometheus reads).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "encoding metrics failed");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_render_with_outcome_and_error_type() {
        let m = Metrics::default();
        m.record_request(Operation::Encrypt, Outcome::Ok, "", 0.001);
        m.record_request(Operation::Encrypt, Outcome::Throttled, "ThrottlingException", 0.0001);
        m.record_injected_fault(Operation::Decrypt, "KMSInternalException");
        let text = m.render();
        assert!(
            text.contains("trent_requests_total{operation=\"Encrypt\",outcome=\"ok\",error_type=\"\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "trent_requests_total{operation=\"Encrypt\",outcome=\"throttled\",error_type=\"ThrottlingException\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("trent_injected_faults_total{operation=\"Decrypt\",fault=\"KMSInternalException\"} 1"));
        assert!(
            text.contains("trent_request_duration_seconds_bucket{le=\"0.0001\",operation=\"Encrypt\"} 1"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn disabled_records_nothing() {
        let m = Metrics::new(None, false);
        m.record_request(Operation::Encrypt, Outcome::Ok, "", 0.001);
        m.record_auth_failure();
        assert!(!m.render().contains("operation=\"Encrypt\""));
    }
}
