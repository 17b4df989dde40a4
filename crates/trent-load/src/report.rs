//! The end-of-run report: totals, goodput, throttle ratio, retries per success, latency
//! percentiles, admitted rate against the quota (expected = quota × window + burst per
//! bucket), the busiest second by answer time, whether the generator kept up, and the
//! per-second timeline; as text or JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::args::Arrivals;
use super::peak;
use super::retry::RetryMode;
use super::setup::Bucket;
use super::stats::Stats;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    /// Requests measured.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Latency {
    fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    }
}

/// One quota bucket inside the measured window.
#[derive(Debug, Clone, Serialize)]
pub struct BucketReport {
    /// Account, region, code and value.
    #[serde(flatten)]
    pub bucket: Bucket,
    /// Requests an idle bucket admits at once (quota × burst seconds, at least 1).
    pub burst: Option<f64>,
    /// Requests sent to this bucket in the window.
    pub sent_in_window: u64,
    /// Of those, admitted.
    pub admitted_in_window: u64,
    /// Of those, throttled.
    pub throttled_in_window: u64,
    /// Admitted per second of window.
    pub admitted_per_second: f64,
    /// Seconds between the first and the last request sent to this bucket in the window.
    pub span_seconds: f64,
    /// min(sent, quota × span + burst): what a token bucket of this quota and burst admits
    /// from requests sent over that span.
    pub expected_admitted: Option<f64>,
    /// (admitted − expected) / expected × 100.
    pub deviation_pct: Option<f64>,
}

/// Whether the generator kept up.
#[derive(Debug, Clone, Serialize)]
pub struct Generator {
    /// CPU seconds the whole process used during the run.
    pub cpu_seconds: f64,
    /// Of the machine's cores.
    pub cores: usize,
    /// CPU use as a percentage of one core.
    pub cpu_percent: f64,
    /// CPU microseconds per request sent (the generator's cost; its capacity per core is the inverse).
    pub cpu_us_per_request: f64,
    /// Largest delay of an arrival behind its schedule (open loop).
    pub max_schedule_lag_ms: f64,
    /// Arrivals issued more than 5 ms late.
    pub late_arrivals: u64,
    /// True when the generator, not the server, limited the offered load.
    pub limited: bool,
    /// One sentence saying so.
    pub verdict: String,
}

/// Data key cache counters (envelope mode).
#[derive(Debug, Clone, Serialize)]
pub struct CacheReport {
    /// Messages served from the cache.
    pub hits: u64,
    /// Messages that needed a new data key.
    pub misses: u64,
    /// GenerateDataKey calls the keyring made (retries not included).
    pub kms_calls: u64,
}

/// One second of the timeline (by send time).
#[derive(Debug, Clone, Serialize)]
pub struct SecondReport {
    /// Seconds since the start of the window.
    pub second: u64,
    /// Requests or messages generated.
    pub offered: u64,
    /// Requests sent to KMS, retries included.
    pub sent: u64,
    /// Admitted.
    pub admitted: u64,
    /// Throttled.
    pub throttled: u64,
    /// Other errors.
    pub errors: u64,
}

/// The whole report of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Name of the run (scenario row).
    pub label: String,
    /// Endpoint URL.
    pub endpoint: String,
    /// Operation mix, or `envelope` with its cache settings.
    pub workload: String,
    /// `open` or `closed`.
    pub loop_mode: String,
    /// Open loop: requested rate.
    pub target_rate: Option<f64>,
    /// Open loop: arrival spacing.
    pub arrivals: Option<Arrivals>,
    /// Closed loop: concurrency.
    pub concurrency: Option<usize>,
    /// Retry strategy.
    pub retry: RetryMode,
    /// Attempts per request allowed.
    pub max_attempts: u32,
    /// Simulated clients.
    pub clients: usize,
    /// The measured window in seconds.
    pub duration_seconds: f64,
    /// Window plus the time spent waiting for retries to finish.
    pub elapsed_seconds: f64,
    /// Requests (or messages) generated.
    pub offered: u64,
    /// Per second of window.
    pub offered_per_second: f64,
    /// Arrivals dropped at --max-in-flight.
    pub dropped: u64,
    /// Requests sent to KMS, retries included.
    pub sent: u64,
    /// Per second of window.
    pub sent_per_second: f64,
    /// Requests (or messages) that succeeded.
    pub succeeded: u64,
    /// Requests that failed, for any reason.
    pub failed: u64,
    /// Requests that failed because they stayed throttled.
    pub failed_throttled: u64,
    /// Throttled answers (attempts).
    pub throttled: u64,
    /// Other error answers (attempts).
    pub errors: u64,
    /// Other errors by code.
    pub errors_by_code: BTreeMap<String, u64>,
    /// Failed requests by reason (last error code; `Timeout` when --timeout ran out).
    pub failures_by_code: BTreeMap<String, u64>,
    /// Retries sent.
    pub retries: u64,
    /// Requests still running when the drain time ran out.
    pub unfinished: u64,
    /// succeeded / offered.
    pub success_rate: f64,
    /// Succeeded per second of window.
    pub goodput_per_second: f64,
    /// throttled / sent.
    pub throttle_ratio: f64,
    /// retries / succeeded.
    pub retries_per_success: f64,
    /// Latency of successful requests, from their scheduled arrival to their answer.
    pub latency_ms: Latency,
    /// Latency of every finished request.
    pub latency_all_ms: Latency,
    /// Admitted attempts sent in the window.
    pub admitted_in_window: u64,
    /// Per second of window.
    pub admitted_per_second: f64,
    /// The most admitted attempts whose answers arrived within any one second of the run (a
    /// sliding 1 s window over the answer times, drain included), exact to the microsecond.
    pub max_admitted_in_any_second: u64,
    /// Where that second starts, in seconds after the start of the window (`None` when
    /// nothing was admitted).
    pub max_admitted_second_start: Option<f64>,
    /// Sum of the buckets' expected admitted counts, when all quotas are known.
    pub expected_admitted: Option<f64>,
    /// (admitted − expected) / expected × 100.
    pub admitted_vs_expected_pct: Option<f64>,
    /// Sum of the quotas of the most used quota code (the chart's line).
    pub quota_line: Option<f64>,
    /// Per quota bucket.
    pub quota: Vec<BucketReport>,
    /// Generator health.
    pub generator: Generator,
    /// Envelope mode cache counters.
    pub cache: Option<CacheReport>,
    /// Setup notes.
    pub notes: Vec<String>,
    /// Per second.
    pub timeline: Vec<SecondReport>,
}

/// Run facts the report needs besides the counters.
pub struct RunFacts {
    /// Row label.
    pub label: String,
    /// Endpoint URL.
    pub endpoint: String,
    /// Workload description.
    pub workload: String,
    /// Open-loop rate and spacing.
    pub open: Option<(f64, Arrivals, usize)>,
    /// Closed-loop concurrency.
    pub concurrency: Option<usize>,
    /// Retry strategy.
    pub retry: RetryMode,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Clients.
    pub clients: usize,
    /// Burst seconds assumed.
    pub burst_seconds: f64,
    /// Wall time including drain.
    pub elapsed: Duration,
    /// CPU seconds used during the run.
    pub cpu_seconds: f64,
    /// Cache counters.
    pub cache: Option<CacheReport>,
    /// Notes.
    pub notes: Vec<String>,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Builds the report.
pub fn build(stats: &Stats, buckets: &[Bucket], facts: RunFacts) -> Report {
    let window = stats.measured_window().as_secs_f64().max(1e-9);
    let g = |a: &std::sync::atomic::AtomicU64| a.load(Relaxed);
    let offered = g(&stats.offered);
    let sent = g(&stats.sent);
    let succeeded = g(&stats.succeeded);
    let failed_throttled = g(&stats.failed_throttled);
    let failed = failed_throttled + g(&stats.failed_other) + g(&stats.dropped) + g(&stats.unfinished);
    let throttled = g(&stats.throttled);
    let retries = g(&stats.retries);
    let (ok_h, all_h) = stats.latencies();
    let busiest = peak::busiest_window(&stats.admitted_answer_times(), 1_000_000);

    let mut quota = Vec::new();
    for (b, c) in buckets.iter().zip(stats.buckets()) {
        let sent_w = g(&c.sent);
        let admitted_w = g(&c.admitted);
        let burst = b.quota.map(|q| (q * facts.burst_seconds).floor().max(1.0));
        let span = c.span().as_secs_f64();
        let expected = b.quota.zip(burst).map(|(q, burst)| (q * span + burst).min(sent_w as f64));
        quota.push(BucketReport {
            bucket: b.clone(),
            burst,
            sent_in_window: sent_w,
            admitted_in_window: admitted_w,
            throttled_in_window: g(&c.throttled),
            admitted_per_second: admitted_w as f64 / window,
            span_seconds: span,
            expected_admitted: expected,
            deviation_pct: expected.filter(|e| *e > 0.0).map(|e| (admitted_w as f64 - e) / e * 100.0),
        });
    }
    let admitted_in_window: u64 = quota.iter().map(|q| q.admitted_in_window).sum();
    let expected_admitted: Option<f64> = quota.iter().map(|q| q.expected_admitted).sum();
    let main_code = quota.iter().max_by_key(|q| q.sent_in_window).map(|q| q.bucket.quota_code.clone());
    let quota_line: Option<f64> = main_code.and_then(|code| {
        quota.iter().filter(|q| q.bucket.quota_code == code).map(|q| q.bucket.quota).sum::<Option<f64>>()
    });

    let cpu_percent = facts.cpu_seconds / facts.elapsed.as_secs_f64().max(1e-9) * 100.0;
    let max_lag_ms = g(&stats.max_lag_us) as f64 / 1000.0;
    let late = g(&stats.late);
    let dropped = g(&stats.dropped);
    let us_per_request = if sent > 0 { facts.cpu_seconds * 1e6 / sent as f64 } else { 0.0 };
    let cpu = format!("process CPU {cpu_percent:.0}% of one core, {us_per_request:.1} µs per request sent");
    let (limited, verdict) = match facts.open {
        Some((rate, _, max_in_flight)) => {
            let achieved = offered as f64 / window;
            let late_note = if late > 0 {
                format!("; {late} arrivals went out more than 5 ms late (max {max_lag_ms:.1} ms)")
            } else {
                String::new()
            };
            if achieved < rate * 0.98 {
                (true, format!("generator-limited: issued {achieved:.0}/s of the {rate:.0}/s asked{late_note} ({cpu})"))
            } else if dropped > 0 && facts.retry == RetryMode::Adaptive {
                (
                    false,
                    format!(
                        "client-rate-limited: {dropped} arrivals dropped with {max_in_flight} requests outstanding, most of them waiting in the SDK's adaptive rate limiter{late_note} ({cpu})"
                    ),
                )
            } else if dropped > 0 {
                (
                    false,
                    format!(
                        "server-limited: {dropped} arrivals dropped with {max_in_flight} requests outstanding, answers came back slower than requests were offered{late_note} ({cpu})"
                    ),
                )
            } else if late * 100 > offered.max(1) {
                (true, format!("generator-limited: issued on time only partly{late_note} ({cpu})"))
            } else {
                (
                    false,
                    format!(
                        "kept up: issued {achieved:.0}/s as asked, at most {max_lag_ms:.1} ms behind schedule ({cpu})"
                    ),
                )
            }
        }
        None => (false, format!("closed loop: the rate is concurrency / latency ({cpu})")),
    };

    let seconds = stats.seconds();
    let last = seconds.iter().rposition(|s| g(&s.offered) + g(&s.sent) > 0).map_or(0, |i| i + 1);
    let timeline = seconds[..last]
        .iter()
        .enumerate()
        .map(|(i, s)| SecondReport {
            second: i as u64,
            offered: g(&s.offered),
            sent: g(&s.sent),
            admitted: g(&s.admitted),
            throttled: g(&s.throttled),
            errors: g(&s.errors),
        })
        .collect();

    Report {
        label: facts.label,
        endpoint: facts.endpoint,
        workload: facts.workload,
        loop_mode: if facts.open.is_some() { "open".into() } else { "closed".into() },
        target_rate: facts.open.map(|o| o.0),
        arrivals: facts.open.map(|o| o.1),
        concurrency: facts.concurrency,
        retry: facts.retry,
        max_attempts: facts.max_attempts,
        clients: facts.clients,
        duration_seconds: window,
        elapsed_seconds: facts.elapsed.as_secs_f64(),
        offered,
        offered_per_second: offered as f64 / window,
        dropped,
        sent,
        sent_per_second: sent as f64 / window,
        succeeded,
        failed,
        failed_throttled,
        throttled,
        errors: g(&stats.errors),
        errors_by_code: stats.error_codes(),
        failures_by_code: stats.failure_codes(),
        retries,
        unfinished: g(&stats.unfinished),
        success_rate: ratio(succeeded, offered),
        goodput_per_second: succeeded as f64 / window,
        throttle_ratio: ratio(throttled, sent),
        retries_per_success: ratio(retries, succeeded),
        latency_ms: Latency::of(&ok_h),
        latency_all_ms: Latency::of(&all_h),
        admitted_in_window,
        admitted_per_second: admitted_in_window as f64 / window,
        max_admitted_in_any_second: busiest.count,
        max_admitted_second_start: (busiest.count > 0).then(|| busiest.start as f64 / 1e6),
        admitted_vs_expected_pct: expected_admitted
            .filter(|e| *e > 0.0)
            .map(|e| (admitted_in_window as f64 - e) / e * 100.0),
        expected_admitted,
        quota_line,
        quota,
        generator: Generator {
            cpu_seconds: facts.cpu_seconds,
            cores: super::cpu::cores(),
            cpu_percent,
            cpu_us_per_request: us_per_request,
            max_schedule_lag_ms: max_lag_ms,
            late_arrivals: late,
            limited,
            verdict,
        },
        cache: facts.cache,
        notes: facts.notes,
        timeline,
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The human-readable report.
pub fn text(r: &Report) -> String {
    let mut o = String::new();
    let shape = match (r.target_rate, r.arrivals, r.concurrency) {
        (Some(rate), Some(a), _) => {
            format!(
                "open loop {rate:.0}/s {}",
                match a {
                    Arrivals::Constant => "constant",
                    Arrivals::Poisson => "poisson",
                    Arrivals::Bursts => "bursts",
                }
            )
        }
        (_, _, Some(c)) => format!("closed loop, concurrency {c}"),
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "trent load: {} against {}: {shape}, retry {} (max {} attempts), {} client(s), {:.2} s window",
        r.workload,
        r.endpoint,
        r.retry.name(),
        r.max_attempts,
        r.clients,
        r.duration_seconds
    );
    for n in &r.notes {
        let _ = writeln!(o, "  note: {n}");
    }
    let _ = writeln!(o, "  offered      {:>9} ({:.1}/s), dropped {}", r.offered, r.offered_per_second, r.dropped);
    let _ = writeln!(
        o,
        "  sent to KMS  {:>9} ({:.1}/s), retries {} ({:.2} per success)",
        r.sent, r.sent_per_second, r.retries, r.retries_per_success
    );
    let _ = writeln!(
        o,
        "  succeeded    {:>9} ({} of offered), goodput {:.1}/s",
        r.succeeded,
        pct(r.success_rate),
        r.goodput_per_second
    );
    let _ = writeln!(
        o,
        "  throttled    {:>9} answers ({} of sent); requests failed throttled: {}",
        r.throttled,
        pct(r.throttle_ratio),
        r.failed_throttled
    );
    let reasons: Vec<String> = r.failures_by_code.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
    let _ = writeln!(
        o,
        "  failed       {:>9}{}{}",
        r.failed,
        if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) },
        if r.dropped > 0 { format!(", of which dropped at --max-in-flight: {}", r.dropped) } else { String::new() }
    );
    let codes: Vec<String> = r.errors_by_code.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
    let _ = writeln!(
        o,
        "  error answers{:>8}{}{}",
        r.errors,
        if codes.is_empty() { String::new() } else { format!(" ({})", codes.join(", ")) },
        if r.unfinished > 0 { format!("; unfinished at the end: {}", r.unfinished) } else { String::new() }
    );
    let l = &r.latency_ms;
    let _ = writeln!(
        o,
        "  latency ms   p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}  (succeeded; all finished: p99 {:.2})",
        l.p50, l.p90, l.p99, l.max, r.latency_all_ms.p99
    );
    if let Some(c) = &r.cache {
        let _ = writeln!(
            o,
            "  data key cache: {} hits, {} misses, {} GenerateDataKey calls by the keyring",
            c.hits, c.misses, c.kms_calls
        );
    }
    for q in &r.quota {
        let b = &q.bucket;
        let quota = b.quota.map_or("unknown".to_owned(), |v| format!("{v}/s"));
        let _ = write!(
            o,
            "  quota        {} {} {}: {quota}; admitted {} in the window ({:.1}/s)",
            b.quota_code, b.account, b.region, q.admitted_in_window, q.admitted_per_second
        );
        if let (Some(e), Some(d), Some(burst)) = (q.expected_admitted, q.deviation_pct, q.burst) {
            let _ = write!(
                o,
                ", expected {e:.0} (quota × {:.3} s from first to last send + burst {burst:.0}, at most sent): {d:+.2}%",
                q.span_seconds
            );
        }
        let _ = writeln!(o);
    }
    if let Some(start) = r.max_admitted_second_start {
        let _ = writeln!(
            o,
            "  busiest 1 s  {:>9} admitted (answers {start:.3}–{:.3} s after the start){}",
            r.max_admitted_in_any_second,
            start + 1.0,
            r.quota_line.map_or(String::new(), |q| format!(", quota {q}/s"))
        );
    }
    let _ = writeln!(o, "  generator    {}", r.generator.verdict);
    let _ = writeln!(o, "  per second (by send time):");
    let _ =
        writeln!(o, "  {:>5} {:>9} {:>9} {:>9} {:>9} {:>7}", "s", "offered", "sent", "admitted", "throttled", "errors");
    for s in &r.timeline {
        let _ = writeln!(
            o,
            "  {:>5} {:>9} {:>9} {:>9} {:>9} {:>7}",
            s.second, s.offered, s.sent, s.admitted, s.throttled, s.errors
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::AttemptResult;
    use std::time::Instant;

    #[test]
    fn reports_the_busiest_second_by_answer_time() {
        let start = Instant::now();
        let stats = Stats::new(start, Duration::from_secs(3), Duration::from_secs(1), 1);
        let ms = |n| start + Duration::from_millis(n);
        // Sent in seconds 0 and 1 (two per second by send time), all answered within 0.6–1.5 s.
        for (sent, answered) in [(100, 600), (900, 1_000), (1_100, 1_200), (1_400, 1_500)] {
            stats.attempt(0, ms(sent), ms(answered), false, AttemptResult::Ok, "");
        }
        stats.attempt(0, ms(1_450), ms(1_460), false, AttemptResult::Throttled, "ThrottlingException");
        stats.attempt(0, ms(2_500), ms(2_600), false, AttemptResult::Ok, "");
        let bucket = Bucket {
            account: "111122223333".into(),
            region: "us-east-1".into(),
            quota_code: "L-6E3AF000".into(),
            quota: Some(2.0),
        };
        let facts = RunFacts {
            label: "run".into(),
            endpoint: "http://127.0.0.1:4599".into(),
            workload: "Encrypt".into(),
            open: None,
            concurrency: Some(1),
            retry: RetryMode::None,
            max_attempts: 1,
            clients: 1,
            burst_seconds: 1.0,
            elapsed: Duration::from_secs(3),
            cpu_seconds: 0.0,
            cache: None,
            notes: Vec::new(),
        };
        let r = build(&stats, &[bucket], facts);
        assert_eq!(r.max_admitted_in_any_second, 4, "the throttled answer does not count");
        assert_eq!(r.max_admitted_second_start, Some(0.6));
        assert!(r.timeline.iter().all(|s| s.admitted <= 2), "per-second buckets by send time see at most 2");
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["max_admitted_in_any_second"], 4);
        assert_eq!(json["max_admitted_second_start"], 0.6);
        assert!(
            text(&r).contains("busiest 1 s          4 admitted (answers 0.600–1.600 s after the start), quota 2/s")
        );
    }
}
