//! The per-quota metrics, read from the quota engine's usage meter at scrape
//! time: nothing is kept twice, and a scrape costs one pass over the buckets
//! that were ever used.
//!
//! Labels mirror CloudWatch's `AWS/Usage` dimensions for KMS (`Service=KMS`,
//! `Type=API`, `Resource=<operation or pool>`, `Class=None`), plus the
//! account, the region and the Service Quotas code and name, so that
//! `trent_quota_usage_per_second / trent_quota_limit_per_second` is the
//! utilization of every quota in one query (`docs/metrics.md`).

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use trent_core::quota::{BucketSnapshot, QuotaEngine};

/// Encodes [`QuotaEngine::usage_snapshot`] as Prometheus families.
#[derive(Debug)]
pub struct QuotaCollector {
    engine: Arc<QuotaEngine>,
}

impl QuotaCollector {
    /// A collector over `engine`'s meter.
    pub fn new(engine: Arc<QuotaEngine>) -> Self {
        Self { engine }
    }
}

/// The `AWS/Usage` `Resource` of a bucket: the documented name where the
/// catalog has one, else the quota code.
pub fn usage_resource(b: &BucketSnapshot) -> String {
    let def = b.quota.def();
    def.usage_resource().unwrap_or_else(|| def.code.to_owned())
}

fn labels(b: &BucketSnapshot, resource: &str) -> [(&'static str, String); 8] {
    let def = b.quota.def();
    [
        ("account", b.account_id.clone()),
        ("region", b.region.clone()),
        ("Service", "KMS".to_owned()),
        ("Type", "API".to_owned()),
        ("Resource", resource.to_owned()),
        ("Class", "None".to_owned()),
        ("quota_code", def.code.to_owned()),
        ("quota_name", def.name.to_owned()),
    ]
}

impl Collector for QuotaCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        if !self.engine.usage().enabled() {
            return Ok(());
        }
        let snap = self.engine.usage_snapshot();
        let rows: Vec<(&BucketSnapshot, [(&'static str, String); 8])> =
            snap.iter().map(|b| (b, labels(b, &usage_resource(b)))).collect();

        type Value = fn(&BucketSnapshot) -> f64;
        let families: [(&str, &str, MetricType, Value); 4] = [
            (
                "quota_admitted",
                "Request units admitted on a quota (AWS/Usage CallCount summed)",
                MetricType::Counter,
                |b| b.admitted as f64,
            ),
            (
                "quota_throttled",
                "Requests refused with ThrottlingException because this quota was spent",
                MetricType::Counter,
                |b| b.throttled as f64,
            ),
            (
                "quota_usage_per_second",
                "Request units admitted on a quota in the last second",
                MetricType::Gauge,
                |b| b.last_second as f64,
            ),
            ("quota_limit_per_second", "The quota's value in force, requests per second", MetricType::Gauge, |b| {
                b.limit
            }),
        ];
        for (name, help, kind, value) in families {
            let mut family = encoder.encode_descriptor(name, help, None, kind)?;
            for (b, l) in &rows {
                let mut m = family.encode_family(l)?;
                match kind {
                    MetricType::Counter => m.encode_counter::<NoLabelSet, u64, u64>(&(value(b) as u64), None)?,
                    _ => m.encode_gauge(&value(b))?,
                }
            }
        }

        let mut callers = encoder.encode_descriptor(
            "quota_caller_requests",
            "Requests on a quota by calling principal and outcome (admitted, throttled)",
            None,
            MetricType::Counter,
        )?;
        for (b, l) in &rows {
            for (caller, counts) in &b.callers {
                for (outcome, n) in [("admitted", counts.admitted), ("throttled", counts.throttled)] {
                    if n == 0 {
                        continue;
                    }
                    let mut caller_labels: Vec<(&str, &str)> = l.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    caller_labels.push(("caller", caller));
                    caller_labels.push(("outcome", outcome));
                    callers.encode_family(&caller_labels)?.encode_counter::<NoLabelSet, u64, u64>(&n, None)?;
                }
            }
        }
        Ok(())
    }
}
