//! A latency histogram that records without a lock.
//!
//! prometheus-client's `Histogram` takes a write lock on every observation,
//! and every request observes two (its own latency and the quota decision's),
//! so at tens of thousands of requests a second the runtime's worker threads
//! queue on those locks. Here each bucket, the count and the sum (in
//! nanoseconds) are atomics; `/metrics` reads them through prometheus-client's
//! own histogram encoding, so the exposition is the crate's.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Seconds, observed into fixed buckets; clones share the counts.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Upper bounds in seconds, ascending; the last is `f64::MAX` (`+Inf`).
    bounds: Box<[f64]>,
    /// Observations per bucket (not cumulative).
    counts: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl LatencyHistogram {
    /// A histogram with these upper bounds (seconds, ascending) and `+Inf`.
    pub fn new(bounds: impl IntoIterator<Item = f64>) -> Self {
        let bounds: Box<[f64]> = bounds.into_iter().chain(std::iter::once(f64::MAX)).collect();
        let counts = bounds.iter().map(|_| AtomicU64::new(0)).collect();
        Self { inner: Arc::new(Inner { bounds, counts, count: AtomicU64::new(0), sum_nanos: AtomicU64::new(0) }) }
    }

    /// Records one observation of `seconds`.
    pub fn observe(&self, seconds: f64) {
        let i = self.inner.bounds.iter().position(|&b| seconds <= b).unwrap_or(self.inner.bounds.len() - 1);
        self.inner.counts[i].fetch_add(1, Ordering::Relaxed);
        self.inner.count.fetch_add(1, Ordering::Relaxed);
        // Saturating float-to-int cast: a negative or NaN duration adds nothing.
        self.inner.sum_nanos.fetch_add((seconds * 1e9) as u64, Ordering::Relaxed);
    }

    /// Sum (seconds), count and per-bucket counts, read without stopping writers.
    fn read(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let buckets: Vec<(f64, u64)> = self
            .inner
            .bounds
            .iter()
            .zip(self.inner.counts.iter())
            .map(|(&b, c)| (b, c.load(Ordering::Relaxed)))
            .collect();
        // The count is the buckets' total, so `_count` always equals `+Inf`.
        let count = buckets.iter().map(|(_, c)| c).sum();
        (self.inner.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9, count, buckets)
    }
}

impl TypedMetric for LatencyHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for LatencyHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let (sum, count, buckets) = self.read();
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::histogram::Histogram;
    use prometheus_client::registry::Registry;

    fn exposition(name: &str, metric: impl EncodeMetric + Send + Sync + std::fmt::Debug + 'static) -> String {
        let mut registry = Registry::default();
        registry.register(name, "latency", metric);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).expect("encode");
        out
    }

    #[test]
    fn encodes_exactly_as_the_crates_histogram() {
        let bounds = || prometheus_client::metrics::histogram::exponential_buckets(0.000_05, 2.0, 16);
        let ours = LatencyHistogram::new(bounds());
        let theirs = Histogram::new(bounds());
        for v in [0.000_01, 0.000_05, 0.000_07, 0.003, 0.25, 1.0, 3.0, 900.0] {
            ours.observe(v);
            theirs.observe(v);
        }
        let ours = exposition("d", ours);
        let theirs = exposition("d", theirs);
        // Same lines, bucket for bucket; the sum may differ in its last digits (nanoseconds).
        let strip = |s: &str| s.lines().filter(|l| !l.starts_with("d_sum")).map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(strip(&ours), strip(&theirs));
        let sum = |s: &str| -> f64 {
            s.lines().find(|l| l.starts_with("d_sum")).and_then(|l| l.split(' ').nth(1)).unwrap().parse().unwrap()
        };
        assert!((sum(&ours) - sum(&theirs)).abs() < 1e-6, "{} vs {}", sum(&ours), sum(&theirs));
    }

    #[test]
    fn concurrent_observations_are_all_counted() {
        let h = LatencyHistogram::new([0.001, 0.01]);
        std::thread::scope(|s| {
            for t in 0..4 {
                let h = h.clone();
                s.spawn(move || {
                    for i in 0..10_000 {
                        h.observe(if (i + t) % 2 == 0 { 0.0005 } else { 0.005 });
                    }
                });
            }
        });
        let (_, count, buckets) = h.read();
        assert_eq!(count, 40_000);
        assert_eq!(buckets.iter().map(|b| b.1).collect::<Vec<_>>(), vec![20_000, 20_000, 0]);
    }
}
