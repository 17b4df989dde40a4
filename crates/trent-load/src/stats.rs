//! What a run counts, shared by every task: totals, a per-second timeline, per-quota-bucket
//! counts inside the measured window, latency histograms, and the answer time of every
//! admitted attempt (for the busiest second, `peak.rs`). Updates are relaxed atomics (plus
//! sharded locks for the histograms and answer times), so counting costs the hot path almost
//! nothing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use parking_lot::Mutex;

const SHARDS: usize = 16;
/// Latencies are recorded in microseconds up to one hour.
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// What one attempt (one HTTP request to KMS) got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// Admitted and answered successfully.
    Ok,
    /// Refused with a throttling error.
    Throttled,
    /// Any other error.
    Error,
}

/// Counters of one second of the run (by the time requests were sent).
#[derive(Debug, Default)]
pub struct Second {
    /// Logical requests (or messages) the workload generated.
    pub offered: AtomicU64,
    /// Requests sent to KMS, retries included.
    pub sent: AtomicU64,
    /// Of those, answered successfully.
    pub admitted: AtomicU64,
    /// Of those, throttled.
    pub throttled: AtomicU64,
    /// Of those, other errors.
    pub errors: AtomicU64,
}

/// Counters of one quota bucket (account, region, quota code) inside the measured window.
#[derive(Debug)]
pub struct BucketCounters {
    /// Requests sent in the window.
    pub sent: AtomicU64,
    /// Of those, admitted.
    pub admitted: AtomicU64,
    /// Of those, throttled.
    pub throttled: AtomicU64,
    /// Send time of the first of those, µs after the start (`u64::MAX` if none).
    pub first_us: AtomicU64,
    /// Send time of the last of those, µs after the start.
    pub last_us: AtomicU64,
}

impl Default for BucketCounters {
    fn default() -> Self {
        Self {
            sent: AtomicU64::new(0),
            admitted: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            first_us: AtomicU64::new(u64::MAX),
            last_us: AtomicU64::new(0),
        }
    }
}

impl BucketCounters {
    /// Time between the first and the last request sent to this bucket in the window.
    pub fn span(&self) -> Duration {
        let (first, last) = (self.first_us.load(Relaxed), self.last_us.load(Relaxed));
        if first == u64::MAX { Duration::ZERO } else { Duration::from_micros(last.saturating_sub(first)) }
    }
}

/// All counters of a run.
pub struct Stats {
    /// When the measured window started.
    pub start: Instant,
    /// Length of the measured window (the run's duration).
    pub window: Duration,
    /// Logical requests started.
    pub offered: AtomicU64,
    /// Arrivals not started because `--max-in-flight` requests were already outstanding.
    pub dropped: AtomicU64,
    /// Requests sent to KMS (attempts, retries included).
    pub sent: AtomicU64,
    /// Attempts admitted and answered successfully.
    pub admitted: AtomicU64,
    /// Attempts answered with a throttling error.
    pub throttled: AtomicU64,
    /// Attempts answered with another error (or none).
    pub errors: AtomicU64,
    /// Attempts that were retries.
    pub retries: AtomicU64,
    /// Logical requests that succeeded.
    pub succeeded: AtomicU64,
    /// Logical requests that failed because they stayed throttled.
    pub failed_throttled: AtomicU64,
    /// Logical requests that failed otherwise.
    pub failed_other: AtomicU64,
    /// Largest delay between an arrival's scheduled time and its dispatch, in microseconds.
    pub max_lag_us: AtomicU64,
    /// Arrivals dispatched more than 5 ms after their scheduled time.
    pub late: AtomicU64,
    /// Logical requests that were started and not finished when the run ended.
    pub unfinished: AtomicU64,
    /// Microseconds after `start` at which issuing stopped early (`--requests`), else `u64::MAX`.
    issue_end_us: AtomicU64,
    seconds: Box<[Second]>,
    buckets: Box<[BucketCounters]>,
    error_codes: Mutex<BTreeMap<String, u64>>,
    failure_codes: Mutex<BTreeMap<String, u64>>,
    latency_ok: Box<[Mutex<Histogram<u64>>]>,
    latency_all: Box<[Mutex<Histogram<u64>>]>,
    /// Answer times of admitted attempts, µs after `start`.
    admitted_answers: Box<[Mutex<Vec<u64>>]>,
    next_shard: AtomicUsize,
}

thread_local! {
    static SHARD: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

fn histogram() -> Histogram<u64> {
    // Bounds and precision are constants that hdrhistogram accepts.
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("constant histogram bounds are valid")
}

impl Stats {
    /// Counters for a window of `window` starting `start`, with `buckets` quota buckets and
    /// room for `tail` more seconds of timeline (retries finishing after the window).
    pub fn new(start: Instant, window: Duration, tail: Duration, buckets: usize) -> Self {
        let secs = (window + tail).as_secs() as usize + 2;
        Self {
            start,
            window,
            offered: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            admitted: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            succeeded: AtomicU64::new(0),
            failed_throttled: AtomicU64::new(0),
            failed_other: AtomicU64::new(0),
            max_lag_us: AtomicU64::new(0),
            late: AtomicU64::new(0),
            unfinished: AtomicU64::new(0),
            issue_end_us: AtomicU64::new(u64::MAX),
            seconds: (0..secs).map(|_| Second::default()).collect(),
            buckets: (0..buckets.max(1)).map(|_| BucketCounters::default()).collect(),
            error_codes: Mutex::new(BTreeMap::new()),
            failure_codes: Mutex::new(BTreeMap::new()),
            latency_ok: (0..SHARDS).map(|_| Mutex::new(histogram())).collect(),
            latency_all: (0..SHARDS).map(|_| Mutex::new(histogram())).collect(),
            admitted_answers: (0..SHARDS).map(|_| Mutex::new(Vec::new())).collect(),
            next_shard: AtomicUsize::new(0),
        }
    }

    fn second(&self, t: Instant) -> &Second {
        let i = t.saturating_duration_since(self.start).as_secs() as usize;
        &self.seconds[i.min(self.seconds.len() - 1)]
    }

    fn in_window(&self, t: Instant) -> bool {
        t.saturating_duration_since(self.start) < self.window
    }

    /// Issuing stopped at `t` before the end of the window (count bound or interrupt).
    pub fn issue_ended(&self, t: Instant) {
        self.issue_end_us.fetch_min(t.saturating_duration_since(self.start).as_micros() as u64, Relaxed);
    }

    /// The measured window: the run's duration, or less if issuing stopped early.
    pub fn measured_window(&self) -> Duration {
        match self.issue_end_us.load(Relaxed) {
            u64::MAX => self.window,
            us => Duration::from_micros(us).min(self.window),
        }
    }

    /// A logical request (or message) was generated at `t`.
    pub fn arrival(&self, t: Instant) {
        self.offered.fetch_add(1, Relaxed);
        self.second(t).offered.fetch_add(1, Relaxed);
    }

    /// The dispatcher issued an arrival `lag` after its scheduled time.
    pub fn lag(&self, lag: Duration) {
        let us = lag.as_micros() as u64;
        self.max_lag_us.fetch_max(us, Relaxed);
        if us > 5_000 {
            self.late.fetch_add(1, Relaxed);
        }
    }

    /// One attempt sent at `sent_at` to quota bucket `bucket` ended with `result` when its
    /// answer came at `answered_at` (`code` names the error for `Error`).
    pub fn attempt(
        &self,
        bucket: usize,
        sent_at: Instant,
        answered_at: Instant,
        retry: bool,
        result: AttemptResult,
        code: &str,
    ) {
        self.sent.fetch_add(1, Relaxed);
        if retry {
            self.retries.fetch_add(1, Relaxed);
        }
        let s = self.second(sent_at);
        s.sent.fetch_add(1, Relaxed);
        let b = self.in_window(sent_at).then(|| &self.buckets[bucket.min(self.buckets.len() - 1)]);
        if let Some(b) = b {
            b.sent.fetch_add(1, Relaxed);
            let us = sent_at.saturating_duration_since(self.start).as_micros() as u64;
            b.first_us.fetch_min(us, Relaxed);
            b.last_us.fetch_max(us, Relaxed);
        }
        match result {
            AttemptResult::Ok => {
                self.admitted.fetch_add(1, Relaxed);
                s.admitted.fetch_add(1, Relaxed);
                let us = answered_at.saturating_duration_since(self.start).as_micros() as u64;
                self.admitted_answers[self.shard()].lock().push(us);
                if let Some(b) = b {
                    b.admitted.fetch_add(1, Relaxed);
                }
            }
            AttemptResult::Throttled => {
                self.throttled.fetch_add(1, Relaxed);
                s.throttled.fetch_add(1, Relaxed);
                if let Some(b) = b {
                    b.throttled.fetch_add(1, Relaxed);
                }
            }
            AttemptResult::Error => {
                self.errors.fetch_add(1, Relaxed);
                s.errors.fetch_add(1, Relaxed);
                *self.error_codes.lock().entry(code.to_owned()).or_default() += 1;
            }
        }
    }

    /// A logical request finished: `Ok`, failed throttled, or failed otherwise (`code` says
    /// why: the last error code, `Timeout`, ...), after `latency`.
    pub fn finish(&self, result: AttemptResult, latency: Duration, code: &str) {
        if result != AttemptResult::Ok {
            *self.failure_codes.lock().entry(code.to_owned()).or_default() += 1;
        }
        match result {
            AttemptResult::Ok => self.succeeded.fetch_add(1, Relaxed),
            AttemptResult::Throttled => self.failed_throttled.fetch_add(1, Relaxed),
            AttemptResult::Error => self.failed_other.fetch_add(1, Relaxed),
        };
        let us = (latency.as_micros() as u64).clamp(1, MAX_LATENCY_US);
        let shard = self.shard();
        if result == AttemptResult::Ok {
            let _ = self.latency_ok[shard].lock().record(us);
        }
        let _ = self.latency_all[shard].lock().record(us);
    }

    /// This thread's shard of the locked collections, so threads rarely contend.
    fn shard(&self) -> usize {
        SHARD.with(|s| match s.get() {
            Some(i) => i,
            None => {
                let i = self.next_shard.fetch_add(1, Relaxed) % SHARDS;
                s.set(Some(i));
                i
            }
        })
    }

    /// Answer times of every admitted attempt, µs after the start of the window, ascending.
    pub fn admitted_answer_times(&self) -> Vec<u64> {
        let mut all = Vec::new();
        for shard in &self.admitted_answers {
            all.extend_from_slice(&shard.lock());
        }
        all.sort_unstable();
        all
    }

    /// Counters of each second so far.
    pub fn seconds(&self) -> &[Second] {
        &self.seconds
    }

    /// Counters of each quota bucket.
    pub fn buckets(&self) -> &[BucketCounters] {
        &self.buckets
    }

    /// Non-throttling error codes and how many attempts got each.
    pub fn error_codes(&self) -> BTreeMap<String, u64> {
        self.error_codes.lock().clone()
    }

    /// Why failed requests failed, and how many of each.
    pub fn failure_codes(&self) -> BTreeMap<String, u64> {
        self.failure_codes.lock().clone()
    }

    /// Latency of successful requests (µs) and of all finished requests.
    pub fn latencies(&self) -> (Histogram<u64>, Histogram<u64>) {
        let merge = |shards: &[Mutex<Histogram<u64>>]| {
            let mut h = histogram();
            for s in shards {
                let _ = h.add(&*s.lock());
            }
            h
        };
        (merge(&self.latency_ok), merge(&self.latency_all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_inside_and_outside_the_window() {
        let start = Instant::now();
        let s = Stats::new(start, Duration::from_secs(2), Duration::from_secs(1), 1);
        s.arrival(start);
        let ms = |n| start + Duration::from_millis(n);
        s.attempt(0, start, ms(5), false, AttemptResult::Throttled, "ThrottlingException");
        s.attempt(0, ms(1500), ms(1510), true, AttemptResult::Ok, "");
        s.attempt(0, ms(2500), ms(2600), true, AttemptResult::Error, "Boom");
        s.finish(AttemptResult::Ok, Duration::from_millis(3), "");
        s.finish(AttemptResult::Error, Duration::from_millis(3), "Timeout");
        assert_eq!(s.failure_codes().get("Timeout"), Some(&1));
        assert_eq!(s.sent.load(Relaxed), 3);
        assert_eq!(s.retries.load(Relaxed), 2);
        assert_eq!(s.buckets()[0].sent.load(Relaxed), 2, "the third was sent after the window");
        assert_eq!(s.buckets()[0].admitted.load(Relaxed), 1);
        assert_eq!(s.seconds()[1].admitted.load(Relaxed), 1);
        assert_eq!(s.seconds()[2].errors.load(Relaxed), 1);
        assert_eq!(s.error_codes().get("Boom"), Some(&1));
        let (ok, all) = s.latencies();
        assert_eq!((ok.len(), all.len()), (1, 2));
        assert_eq!(s.admitted_answer_times(), [1_510_000], "only admitted attempts, by answer time");
    }
}
