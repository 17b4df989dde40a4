//! The sliding one-second window as pure, clock-injected maths.
//!
//! AWS states each request quota as "N requests in each one-second interval":
//! once N have been admitted in a second, the rest of that second is
//! throttled. A token bucket with a one-second burst admits up to 2N in the
//! first second after idle (the full burst, then the refill), so Trent's
//! default is this window instead: **at every instant, the units admitted in
//! the preceding window never exceed the capacity**, however the arrivals are
//! shaped.
//!
//! The state is a queue of admission records, oldest first, each a count and
//! the time of the last admission it holds. A record counts until exactly
//! one window after that time, then leaves whole.
//!
//! * Quotas of up to [`MAX_RECORDS`] a window are **exact**: each record
//!   holds admissions of a single nanosecond, so every admission leaves
//!   exactly one window after it was made, as in an exact sliding window.
//!   At most `capacity` records are live (16 bytes each, 16 KiB at most).
//! * Above that, consecutive admissions share a record until it holds a
//!   *quantum* of `capacity / MAX_RECORDS` units (rounded up; 98 at
//!   100,000/s), so about [`MAX_RECORDS`] records are live whatever the
//!   quota. A record counts until one window after its *last* admission,
//!   which can only over-count (every admission in it was made at or before
//!   that), so the guarantee above still holds. Records are consecutive in
//!   time, so at any instant at most one of them straddles the window's
//!   start: the over-count is below one quantum, 0.1 % of the capacity.
//!
//! Why a quantum of units rather than slots of time: a slot holds everything
//! admitted in it until one window after its last admission, and a burst
//! packs a whole slot in a millisecond. A client that bursts at the start of
//! every second then finds last second's capacity not yet returned, and the
//! shortfall grows lap after lap (a ring of 200 slots of 5 ms admitted 686 of
//! 1,000 a second that way; slots of 0.98 ms still lost 4 % of 10,000 sent in
//! 20 ms). A quantum bounds what is held too long by a count, whatever the
//! arrivals' shape.
//!
//! Fractional quotas have a window longer than a second and a capacity of 1:
//! 0.25/s is one request in any 4 s (see [`WindowParams::for_rate`]).
//!
//! Integer nanoseconds throughout, and the steps are simple enough that a
//! shared limiter (a Redis Lua script) runs exactly these over the same
//! records and reaches the same decisions.

use std::collections::VecDeque;

/// Records a bucket holds (with unit costs; never more than twice this):
/// quotas up to this many a window are exact, larger ones share records
/// of a quantum each. 16 bytes a record.
pub const MAX_RECORDS: usize = 1024;

/// `MAX_RECORDS` as the integer type of the time arithmetic.
const MAX_RECORDS_U64: u64 = MAX_RECORDS as u64;

/// Longest window represented (about 31 years); smaller quotas are clamped to it.
const MAX_WINDOW: u64 = 1_000_000_000 * 1_000_000_000;

/// What one bucket enforces: at most `capacity` units in any `window` nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowParams {
    /// The window length in nanoseconds (at least [`MAX_RECORDS`]).
    pub window: u64,
    /// Units admitted at most in any window, at least 1.
    pub capacity: u32,
}

impl WindowParams {
    /// The window for a quota of `per_second` requests per second, counted
    /// over `window_seconds`.
    ///
    /// The capacity is `per_second × window_seconds` rounded down, so the
    /// quota is never exceeded (a quota of 2.5/s over one second admits 2).
    /// When that is below one request the window is stretched to one
    /// request's worth instead: 0.25/s is 1 request in 4 s, 0.1/s 1 in 10 s.
    /// `None` when the rate is zero, negative or not a number: nothing passes.
    pub fn for_rate(per_second: f64, window_seconds: f64) -> Option<Self> {
        if per_second.is_nan() || per_second <= 0.0 {
            return None;
        }
        // A tiny epsilon keeps 0.1 × 10.0 = 0.9999999 from losing a request.
        let units = per_second * window_seconds + 1e-9;
        let (seconds, capacity) = if units >= 1.0 {
            // Casts truncate (floor for x ≥ 0) and saturate.
            (window_seconds, (units as u64).min(u64::from(u32::MAX)))
        } else {
            (1.0 / per_second, 1)
        };
        let nanos = seconds * 1e9 + 0.5;
        let window = if nanos.is_finite() { nanos as u64 } else { MAX_WINDOW };
        let capacity = u32::try_from(capacity).unwrap_or(u32::MAX).max(1);
        Some(Self { window: window.clamp(MAX_RECORDS_U64, MAX_WINDOW), capacity })
    }

    /// Units one record holds at most, unless they were admitted in the
    /// same nanosecond: 1 (exact) when the capacity fits in
    /// [`MAX_RECORDS`], else `capacity / MAX_RECORDS` rounded up.
    pub fn quantum(self) -> u64 {
        u64::from(self.capacity).div_ceil(MAX_RECORDS_U64)
    }
}

/// The answer for one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Whether `cost` more units fit now.
    pub allowed: bool,
    /// When refused: nanoseconds until enough units leave the window for the
    /// same request to fit (`u64::MAX` if it never can, because its cost
    /// exceeds the capacity). 0 when allowed.
    pub retry_after: u64,
}

/// Admissions that leave the window together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    /// When the last of them was admitted; they count until one window later.
    last: u64,
    /// How many units.
    count: u32,
}

/// One bucket's window: a running total and the live records, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowState {
    /// The window these records were kept for (0 before first use): a
    /// state kept for another window is discarded rather than misread.
    window: u64,
    /// Units in `records`.
    total: u64,
    /// Time of the most recent admission: the clock as this bucket last saw it.
    latest: u64,
    /// Admissions still counted, oldest first: with unit costs at most
    /// `min(capacity, MAX_RECORDS)` of them, and at most twice that for any
    /// costs (two neighbours always hold more than a quantum between them).
    records: VecDeque<Record>,
}

impl WindowState {
    /// An empty window (nothing admitted yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Units currently counted (as of the last [`WindowState::check`]).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Records currently kept: what the state's memory grows with.
    pub fn records(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing admitted counts any more at `now`: the state can be
    /// forgotten without changing any future decision.
    pub fn is_idle(&self, now: u64) -> bool {
        self.total == 0 || self.latest.saturating_add(self.window) <= now
    }

    /// Drops records that have left the window by `now`. Changes no
    /// decision, so it may run on a request that is then refused.
    fn expire(&mut self, now: u64, window: u64) {
        if self.window != window {
            // Kept for another window (a changed quota): start afresh.
            *self = Self { window, ..Self::default() };
            return;
        }
        while let Some(r) = self.records.front() {
            if r.last.saturating_add(window) > now {
                break;
            }
            self.total -= u64::from(r.count);
            self.records.pop_front();
        }
    }

    /// Whether `cost` more units fit at `now` under `p`, without charging
    /// them. A multi-bucket request checks every bucket first and then
    /// [`WindowState::record`]s on each, so a refusal charges none.
    pub fn check(&mut self, now: u64, p: WindowParams, cost: u32) -> Verdict {
        let capacity = u64::from(p.capacity);
        let cost = u64::from(cost);
        if cost > capacity {
            return Verdict { allowed: false, retry_after: u64::MAX };
        }
        let now = now.max(self.latest);
        self.expire(now, p.window);
        if self.total + cost <= capacity {
            return Verdict { allowed: true, retry_after: 0 };
        }
        // Oldest records leave first: walk until enough would have left.
        let need = self.total + cost - capacity;
        let mut freed = 0u64;
        for r in &self.records {
            freed += u64::from(r.count);
            if freed >= need {
                return Verdict { allowed: false, retry_after: r.last.saturating_add(p.window).saturating_sub(now) };
            }
        }
        // Unreachable while total matches the records; refuse conservatively.
        Verdict { allowed: false, retry_after: p.window }
    }

    /// Charges `cost` units at `now`. Call only right after a
    /// [`WindowState::check`] at the same `now` and `p` that allowed it.
    pub fn record(&mut self, now: u64, p: WindowParams, cost: u32) {
        if cost == 0 {
            return;
        }
        let now = now.max(self.latest);
        // Normally done by the check just before; repeated so the record
        // invariants hold even for a caller that skipped it.
        self.expire(now, p.window);
        let quantum = p.quantum();
        match self.records.back_mut() {
            Some(r) if r.last == now || u64::from(r.count) + u64::from(cost) <= quantum => {
                r.count = r.count.saturating_add(cost);
                r.last = now;
            }
            _ => self.records.push_back(Record { last: now, count: cost }),
        }
        self.latest = now;
        self.total += u64::from(cost);
    }

    /// [`WindowState::check`] and, when allowed, [`WindowState::record`]:
    /// one bucket's whole decision.
    pub fn admit(&mut self, now: u64, p: WindowParams, cost: u32) -> Verdict {
        let v = self.check(now, p, cost);
        if v.allowed {
            self.record(now, p, cost);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn params(per_second: f64) -> WindowParams {
        WindowParams::for_rate(per_second, 1.0).expect("rate")
    }

    /// SplitMix64: a seeded generator, so the "random" arrivals are the same every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in (0, 1].
        fn unit(&mut self) -> f64 {
            ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64
        }

        /// An exponential gap for a Poisson process of `rate` per second, in ns.
        fn gap(&mut self, rate: f64) -> u64 {
            (-self.unit().ln() / rate * 1e9) as u64
        }
    }

    /// Arrival times (ns) of one load shape over `[start, start + seconds)`.
    enum Shape {
        /// `rate` per second, evenly spaced.
        Steady(f64),
        /// A seeded Poisson process of `rate` per second.
        Poisson(f64, u64),
        /// `n` requests at the very start of every second.
        Bursts(u64),
        /// `n` requests evenly spread over the first `ms` milliseconds of
        /// every second, shifted by a seeded jitter of up to `jitter_us`
        /// microseconds each: a client bursting as fast as it can.
        SpreadBursts { n: u64, ms: u64, jitter_us: u64 },
    }

    fn arrivals(shape: &Shape, start: u64, seconds: u64) -> Vec<u64> {
        let end = start + seconds * S;
        match *shape {
            Shape::Steady(rate) => {
                let n = (rate * seconds as f64).round() as u64;
                (0..n).map(|i| start + (i as f64 * 1e9 / rate) as u64).collect()
            }
            Shape::Poisson(rate, seed) => {
                let mut rng = Rng(seed);
                let mut t = start;
                let mut out = vec![];
                loop {
                    t += rng.gap(rate);
                    if t >= end {
                        return out;
                    }
                    out.push(t);
                }
            }
            Shape::Bursts(n) => (0..seconds).flat_map(|s| std::iter::repeat_n(start + s * S, n as usize)).collect(),
            Shape::SpreadBursts { n, ms, jitter_us } => {
                let mut rng = Rng(n ^ ms);
                let mut out: Vec<u64> = (0..seconds)
                    .flat_map(|s| (0..n).map(move |i| start + s * S + i * ms * 1_000_000 / n))
                    .map(|t| t + rng.next() % (jitter_us * 1_000 + 1))
                    .filter(|&t| t < end)
                    .collect();
                out.sort_unstable();
                out
            }
        }
    }

    /// Runs `times` through one bucket; returns the admission times.
    fn run(p: WindowParams, times: &[u64]) -> Vec<u64> {
        let mut w = WindowState::new();
        times.iter().copied().filter(|&t| w.admit(t, p, 1).allowed).collect()
    }

    /// The reference: an exact sliding window keeping every admission time
    /// (unbounded memory, which is why the limiter does not do this).
    fn run_exact(p: WindowParams, times: &[u64]) -> Vec<u64> {
        let mut live = std::collections::VecDeque::new();
        let mut out = vec![];
        for &t in times {
            while live.front().is_some_and(|&a: &u64| a + p.window <= t) {
                live.pop_front();
            }
            if live.len() < p.capacity as usize {
                live.push_back(t);
                out.push(t);
            }
        }
        out
    }

    /// The most admissions in any half-open interval `(t − window, t]`.
    fn max_in_any_window(admitted: &[u64], window: u64) -> usize {
        let mut max = 0;
        let mut lo = 0;
        for (hi, &t) in admitted.iter().enumerate() {
            while admitted[lo] + window <= t {
                lo += 1;
            }
            max = max.max(hi + 1 - lo);
        }
        max
    }

    /// Admissions per whole second `[start + k s, start + (k+1) s)`.
    fn per_second(admitted: &[u64], start: u64, seconds: u64) -> Vec<u64> {
        let mut out = vec![0; seconds as usize];
        for &t in admitted {
            if let Some(c) = out.get_mut(((t - start) / S) as usize) {
                *c += 1;
            }
        }
        out
    }

    const T0: u64 = 1_000 * S;

    #[test]
    fn params_follow_the_quota() {
        assert_eq!(params(1_000.0), WindowParams { window: S, capacity: 1_000 });
        assert_eq!(params(5.0), WindowParams { window: S, capacity: 5 });
        assert_eq!(params(2.5), WindowParams { window: S, capacity: 2 }, "never above the quota");
        assert_eq!(params(0.5), WindowParams { window: 2 * S, capacity: 1 });
        assert_eq!(params(0.25), WindowParams { window: 4 * S, capacity: 1 });
        assert_eq!(params(0.1), WindowParams { window: 10 * S, capacity: 1 });
        assert_eq!(WindowParams::for_rate(5.0, 2.0), Some(WindowParams { window: 2 * S, capacity: 10 }));
        assert_eq!(WindowParams::for_rate(0.1, 10.0), Some(WindowParams { window: 10 * S, capacity: 1 }));
        assert_eq!(params(1e12).capacity, u32::MAX);
        assert_eq!(params(1e-30).window, MAX_WINDOW);
        assert!(WindowParams::for_rate(0.0, 1.0).is_none());
        assert!(WindowParams::for_rate(-1.0, 1.0).is_none());
        assert!(WindowParams::for_rate(f64::NAN, 1.0).is_none());
        assert_eq!(params(1_024.0).quantum(), 1, "exact up to MAX_RECORDS a window");
        assert_eq!(params(1_025.0).quantum(), 2);
        assert_eq!(params(100_000.0).quantum(), 98);
    }

    #[test]
    fn state_stays_bounded_whatever_the_quota_and_load() {
        // The records grow with the quota up to MAX_RECORDS and no further.
        for (n, most) in [(5.0, 5), (1_000.0, 1_000), (100_000.0, MAX_RECORDS)] {
            let p = params(n);
            let mut w = WindowState::new();
            let mut peak = 0;
            // 2 s of a steady 500,000/s.
            let admitted = (0..1_000_000u64)
                .filter(|i| {
                    let ok = w.admit(T0 + i * 2_000, p, 1).allowed;
                    peak = peak.max(w.records());
                    ok
                })
                .count() as u64;
            assert!(peak <= most, "{n}/s: {peak} records");
            // The quota each second, less under a quantum a second.
            let full = 2 * u64::from(p.capacity);
            assert!((full - 2 * p.quantum()..=full).contains(&admitted), "{n}/s: {admitted} in 2 s");
        }
        assert_eq!(std::mem::size_of::<Record>(), 16, "16 KiB at most per bucket");
    }

    #[test]
    fn a_burst_from_idle_gets_exactly_the_quota_until_a_second_after() {
        let p = params(1_000.0);
        let mut w = WindowState::new();
        let admitted = (0..10_000).filter(|_| w.admit(T0, p, 1).allowed).count();
        assert_eq!(admitted, 1_000);
        let v = w.admit(T0 + S - 1, p, 1);
        assert_eq!(v, Verdict { allowed: false, retry_after: 1 }, "1 ns before the second is over");
        let admitted = (0..10_000).filter(|_| w.admit(T0 + S, p, 1).allowed).count();
        assert_eq!(admitted, 1_000, "the whole quota returns exactly one second later");
    }

    #[test]
    fn overload_of_every_shape_never_exceeds_the_quota_and_admits_it_within_one_percent() {
        for n in [5u64, 100, 1_000, 10_000, 100_000] {
            let nf = n as f64;
            let seconds = if n >= 10_000 { 5 } else { 30 };
            let shapes = [
                ("steady ×10", Shape::Steady(nf * 10.0)),
                ("steady ×1.25", Shape::Steady(nf * 1.25)),
                ("steady ×1.01", Shape::Steady(nf * 1.01)),
                ("poisson ×3", Shape::Poisson(nf * 3.0, n)),
                ("poisson ×1.1", Shape::Poisson(nf * 1.1, n + 1)),
                ("bursts ×2", Shape::Bursts(2 * n)),
                ("bursts ×2 over 50 ms", Shape::SpreadBursts { n: 2 * n, ms: 50, jitter_us: 200 }),
                ("bursts ×1 over 20 ms", Shape::SpreadBursts { n, ms: 20, jitter_us: 500 }),
                ("bursts ×10 over 300 ms", Shape::SpreadBursts { n: 10 * n, ms: 300, jitter_us: 1_000 }),
            ];
            for (name, shape) in &shapes {
                let p = params(nf);
                let times = arrivals(shape, T0, seconds);
                let admitted = run(p, &times);
                let exact = run_exact(p, &times);
                // Never more than N in any one-second interval, at any instant.
                assert!(max_in_any_window(&admitted, S) as u64 <= n, "n={n} {name}: over the quota");
                // From idle, the first second admits everything up to N.
                let first = times.iter().filter(|&&t| t < T0 + S).count() as u64;
                let secs = per_second(&admitted, T0, seconds);
                assert_eq!(secs[0], first.min(n), "n={n} {name}: first second");
                // At most 1 % fewer than an exact sliding window over the run...
                let ratio = admitted.len() as f64 / exact.len() as f64;
                assert!(ratio >= 0.99, "n={n} {name}: {ratio:.4} of an exact window");
                // ...and within 1 % of N in every second where an exact window
                // gets exactly N (elsewhere the arrivals themselves fall short).
                if per_second(&exact, T0, seconds).iter().all(|&c| c == n) {
                    let floor = (nf * 0.99).ceil() as u64;
                    for (i, &c) in secs.iter().enumerate() {
                        assert!((floor..=n).contains(&c), "n={n} {name} second {i}: {c} admitted");
                    }
                }
            }
        }
    }

    #[test]
    fn everything_at_the_start_of_each_second_gets_exactly_n_every_second() {
        let times = arrivals(&Shape::Bursts(3_000), T0, 10);
        let admitted = run(params(1_000.0), &times);
        assert_eq!(per_second(&admitted, T0, 10), vec![1_000; 10]);
    }

    #[test]
    fn ninety_nine_percent_of_the_quota_evenly_spaced_is_never_throttled() {
        for n in [1.0, 2.0, 5.0, 15.0, 50.0, 100.0, 1_000.0, 2_000.0, 10_000.0, 100_000.0] {
            let p = params(n);
            let times = arrivals(&Shape::Steady(n * 0.99), T0, if n >= 10_000.0 { 3 } else { 30 });
            let admitted = run(p, &times);
            assert_eq!(admitted.len(), times.len(), "quota {n}/s: a request that fit was refused");
        }
    }

    #[test]
    fn sliding_check_holds_at_every_instant_for_random_clumps() {
        // Clumps of random size at random times: the hardest case for
        // shared records (above MAX_RECORDS) and for exact ones.
        // Clumps of up to 40 every 0–20 ms (2,000/s) at 500/s, every 0–2 ms
        // (20,000/s) at 5,000/s.
        for (n, spacing) in [(500u64, S / 50), (5_000, S / 500)] {
            let mut rng = Rng(7);
            let p = params(n as f64);
            let mut w = WindowState::new();
            let mut t = T0;
            let mut admitted = vec![];
            for _ in 0..20_000 {
                t += rng.next() % spacing;
                for _ in 0..rng.next() % 40 {
                    if w.admit(t, p, 1).allowed {
                        admitted.push(t);
                    }
                }
            }
            assert!(admitted.len() as u64 > 2 * n, "{n}/s: the test must saturate the bucket");
            assert_eq!(max_in_any_window(&admitted, S) as u64, n, "{n}/s");
        }
    }

    #[test]
    fn under_admission_against_an_exact_window_is_below_a_tenth_of_a_percent() {
        // The worst shape for shared records: a steady overload just above
        // the quota, so every record holds admissions spread over time.
        let mut worst: f64 = 1.0;
        for n in [1_000.0, 10_000.0, 100_000.0] {
            for over in [1.001, 1.01, 1.05] {
                let times = arrivals(&Shape::Steady(n * over), T0, 10);
                let ratio = run(params(n), &times).len() as f64 / run_exact(params(n), &times).len() as f64;
                worst = worst.min(ratio);
            }
        }
        assert!(worst >= 0.999, "admitted {:.4} of an exact window", worst);
        assert!(worst < 1.0, "the quanta do cost something: {worst}");
        // Up to MAX_RECORDS a second the window is exact.
        let times = arrivals(&Shape::Steady(1_010.0), T0, 10);
        assert_eq!(run(params(1_000.0), &times), run_exact(params(1_000.0), &times));
    }

    #[test]
    fn fractional_quotas_admit_one_request_per_period() {
        for (rate, period) in [(0.5, 2 * S), (0.25, 4 * S), (0.1, 10 * S)] {
            let p = params(rate);
            // Hammer every 100 ms for 100 s.
            let times: Vec<u64> = (0..1_000).map(|i| T0 + i * (S / 10)).collect();
            let admitted = run(p, &times);
            let expected: Vec<u64> = (0..100 * S / period).map(|k| T0 + k * period).collect();
            assert_eq!(admitted, expected, "{rate}/s");
            let mut w = WindowState::new();
            assert!(w.admit(T0, p, 1).allowed);
            assert_eq!(w.admit(T0 + period - 1, p, 1), Verdict { allowed: false, retry_after: 1 });
            assert!(w.admit(T0 + period, p, 1).allowed);
        }
    }

    #[test]
    fn costs_take_several_units_and_a_cost_above_capacity_never_passes() {
        let p = params(9.0);
        let mut w = WindowState::new();
        assert!(w.admit(T0, p, 3).allowed);
        assert!(w.admit(T0 + 1, p, 3).allowed);
        assert!(w.admit(T0 + 2, p, 3).allowed);
        let v = w.admit(T0 + 3, p, 1);
        assert!(!v.allowed);
        // The first three units leave one second after T0.
        assert_eq!(v.retry_after, S - 3);
        assert_eq!(w.admit(T0, params(2.0), 3).retry_after, u64::MAX);
        assert!(!w.admit(T0 + S - 1, p, 3).allowed);
        assert!(w.admit(T0 + S, p, 3).allowed);
        assert!(!w.admit(T0 + S, p, 3).allowed);
        assert!(w.admit(T0 + S + 1, p, 3).allowed);
    }

    #[test]
    fn retry_after_waits_for_enough_units_to_leave() {
        let p = params(4.0);
        let mut w = WindowState::new();
        for i in 0..4 {
            assert!(w.admit(T0 + i * 100_000_000, p, 1).allowed);
        }
        assert_eq!(w.check(T0 + 500_000_000, p, 1).retry_after, 500_000_000);
        assert_eq!(w.check(T0 + 500_000_000, p, 3).retry_after, 700_000_000);
        // Nothing was charged by the checks.
        assert_eq!(w.total(), 4);
    }

    #[test]
    fn idle_buckets_start_afresh_and_report_idle() {
        let p = params(3.0);
        let mut w = WindowState::new();
        assert!(w.is_idle(T0));
        assert_eq!((0..5).filter(|_| w.admit(T0, p, 1).allowed).count(), 3);
        assert!(!w.is_idle(T0 + S - 1));
        assert!(w.is_idle(T0 + S));
        // Long after, the old records are gone.
        for later in [T0 + 2 * S, T0 + 1_000 * S, T0 + S + S / 2] {
            let mut w2 = w.clone();
            assert_eq!((0..5).filter(|_| w2.admit(later, p, 1).allowed).count(), 3, "{later}");
        }
    }

    #[test]
    fn a_changed_window_discards_the_old_layout() {
        let mut w = WindowState::new();
        assert_eq!((0..5).filter(|_| w.admit(T0, params(2.0), 1).allowed).count(), 2);
        let longer = WindowParams { window: 2 * S, capacity: 4 };
        assert_eq!((0..5).filter(|_| w.admit(T0, longer, 1).allowed).count(), 4);
    }

    #[test]
    fn time_going_backwards_is_read_as_no_time_passing() {
        let p = params(2.0);
        let mut w = WindowState::new();
        assert!(w.admit(T0, p, 1).allowed);
        assert!(w.admit(T0 + S / 2, p, 1).allowed);
        assert!(!w.admit(T0 + S / 4, p, 1).allowed);
        assert!(w.admit(T0 + S, p, 1).allowed, "the first admission left at T0 + 1 s");
    }
}
