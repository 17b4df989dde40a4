//! Request counters per operation and outcome, rendered in the Prometheus
//! text format at `GET /metrics`. Lock-free: one atomic per (operation, outcome).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use trent_core::Operation;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered successfully.
    Ok = 0,
    /// Refused with ThrottlingException.
    Throttled = 1,
    /// Any other error.
    Error = 2,
}

const OUTCOMES: [(&str, Outcome); 3] =
    [("ok", Outcome::Ok), ("throttled", Outcome::Throttled), ("error", Outcome::Error)];

/// Counters for every KMS operation.
#[derive(Debug)]
pub struct Metrics {
    counts: Vec<[AtomicU64; 3]>,
    rejected_auth: AtomicU64,
    injected: std::sync::Mutex<std::collections::BTreeMap<(Operation, String), u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            counts: Operation::ALL.iter().map(|_| [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]).collect(),
            rejected_auth: AtomicU64::new(0),
            injected: std::sync::Mutex::default(),
        }
    }
}

impl Metrics {
    /// Counts one request.
    pub fn record(&self, op: Operation, outcome: Outcome) {
        if let Some(c) = self.counts.get(op as usize) {
            c[outcome as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts one request refused before dispatch (authentication).
    pub fn record_auth_failure(&self) {
        self.rejected_auth.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one fault injected into a request (`crate::faults`), apart
    /// from the real outcomes; `fault` is the rule's label.
    pub fn record_injected_fault(&self, operation: Operation, fault: &str) {
        if let Ok(mut m) = self.injected.lock() {
            *m.entry((operation, fault.to_owned())).or_default() += 1;
        }
    }

    /// Current count for one operation and outcome.
    pub fn get(&self, op: Operation, outcome: Outcome) -> u64 {
        self.counts.get(op as usize).map(|c| c[outcome as usize].load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP trent_requests_total KMS requests by operation and outcome.\n# TYPE trent_requests_total counter\n",
        );
        for op in Operation::ALL {
            for (name, outcome) in OUTCOMES {
                let v = self.get(*op, outcome);
                if v > 0 {
                    let _ = writeln!(out, "trent_requests_total{{operation=\"{}\",outcome=\"{name}\"}} {v}", op.name());
                }
            }
        }
        out.push_str("# HELP trent_auth_failures_total Requests refused by authentication.\n# TYPE trent_auth_failures_total counter\n");
        let _ = writeln!(out, "trent_auth_failures_total {}", self.rejected_auth.load(Ordering::Relaxed));
        out.push_str("# HELP trent_injected_faults_total Faults injected into KMS requests, by rule label.\n# TYPE trent_injected_faults_total counter\n");
        if let Ok(m) = self.injected.lock() {
            for ((op, fault), v) in m.iter() {
                let _ =
                    writeln!(out, "trent_injected_faults_total{{operation=\"{}\",fault=\"{fault}\"}} {v}", op.name());
            }
        }
        out
    }
}
