//! The Generic Cell Rate Algorithm as one pure function.
//!
//! Every limiter backend (in-memory now, Redis later) runs exactly this maths,
//! so their decisions can be compared one for one. Time is integer
//! nanoseconds: a quota of 0.25/s is an emission interval of exactly
//! 4,000,000,000 ns, so sub-1/s quotas are exact, not approximated by floats.
//!
//! State per bucket is a single number, the *theoretical arrival time* (TAT):
//! the time at which the bucket would be empty again if nothing else arrived.
//! A bucket that has never been used has TAT 0.

/// Outcome of one GCRA step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request conforms (may proceed).
    pub allowed: bool,
    /// The bucket's TAT after this step (unchanged when refused).
    pub new_tat: u64,
    /// When refused: nanoseconds until the same request would conform
    /// (`u64::MAX` if it never can, because its cost exceeds the burst). 0 when allowed.
    pub retry_after: u64,
}

/// Emission interval and burst tolerance of one bucket, derived from a quota value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateParams {
    /// Nanoseconds per unit of cost (1e9 / requests-per-second), at least 1.
    pub emission_interval: u64,
    /// How far the TAT may run ahead of now before a request, conventional
    /// GCRA's τ = (burst − 1) × emission interval: `burst` back-to-back unit
    /// requests pass on an idle bucket.
    pub burst_tolerance: u64,
}

/// Longest emission interval we represent (about 31 years per request);
/// quotas smaller than ~1e-9/s are clamped to it.
const MAX_EMISSION_INTERVAL: u64 = 1_000_000_000 * 1_000_000_000;

impl RateParams {
    /// Parameters for `per_second` requests per second with a burst of
    /// `burst_seconds` worth of requests (at least 1 request, and at least
    /// `min_burst`, so a single request of that cost can ever pass).
    /// `None` when the rate is zero, negative or not a number: nothing passes.
    pub fn for_rate(per_second: f64, burst_seconds: f64, min_burst: u32) -> Option<Self> {
        if per_second.is_nan() || per_second <= 0.0 {
            return None;
        }
        // Casts truncate (and saturate): `x + 0.5` rounds, `x` floors, for x ≥ 0,
        // without a libm call on the hot path.
        let interval = 1e9 / per_second + 0.5;
        let emission_interval = (interval as u64).clamp(1, MAX_EMISSION_INTERVAL);
        // A tiny epsilon keeps 0.1 * 10.0 = 0.9999999 from losing a request.
        let raw = per_second * burst_seconds + 1e-9;
        let burst = if raw.is_finite() { (raw as u64).min(u64::from(u32::MAX)) } else { 1 };
        let burst = burst.max(u64::from(min_burst)).max(1);
        Some(Self { emission_interval, burst_tolerance: (burst - 1).saturating_mul(emission_interval) })
    }
}

/// One GCRA step: may a request of `cost` units pass at `now` on a bucket
/// whose theoretical arrival time is `tat`?
///
/// The request conforms when `max(tat, now) + cost·T − T ≤ now + τ`
/// (T = `emission_interval`, τ = `burst_tolerance`). A cost of 0 always passes
/// and changes nothing.
pub fn gcra(tat: u64, now: u64, emission_interval: u64, burst_tolerance: u64, cost: u32) -> Decision {
    if cost == 0 {
        return Decision { allowed: true, new_tat: tat, retry_after: 0 };
    }
    let increment = emission_interval.saturating_mul(u64::from(cost));
    // A request costing more than the whole burst can never conform.
    if increment.saturating_sub(emission_interval) > burst_tolerance {
        return Decision { allowed: false, new_tat: tat, retry_after: u64::MAX };
    }
    let new_tat = tat.max(now).saturating_add(increment);
    let allow_at = new_tat.saturating_sub(emission_interval).saturating_sub(burst_tolerance);
    if allow_at <= now {
        Decision { allowed: true, new_tat, retry_after: 0 }
    } else {
        Decision { allowed: false, new_tat: tat, retry_after: allow_at - now }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn run(tat: &mut u64, now: u64, p: RateParams, cost: u32) -> Decision {
        let d = gcra(*tat, now, p.emission_interval, p.burst_tolerance, cost);
        *tat = d.new_tat;
        d
    }

    #[test]
    fn quarter_per_second_admits_exactly_one_per_four_seconds() {
        let p = RateParams::for_rate(0.25, 1.0, 1).expect("rate");
        assert_eq!(p.emission_interval, 4 * S);
        assert_eq!(p.burst_tolerance, 0);
        let mut tat = 0;
        let t0 = 100 * S;
        assert!(run(&mut tat, t0, p, 1).allowed);
        let d = run(&mut tat, t0 + S, p, 1);
        assert!(!d.allowed);
        assert_eq!(d.retry_after, 3 * S);
        assert!(!run(&mut tat, t0 + 4 * S - 1, p, 1).allowed);
        assert!(run(&mut tat, t0 + 4 * S, p, 1).allowed);
        assert!(!run(&mut tat, t0 + 4 * S, p, 1).allowed);
        // Over a long stretch of continuous hammering, exactly one per 4 s passes.
        let mut passed = 0;
        let mut now = t0 + 4 * S;
        while now < t0 + 4 * S + 400 * S {
            now += S / 10;
            if run(&mut tat, now, p, 1).allowed {
                passed += 1;
            }
        }
        assert_eq!(passed, 100);
    }

    #[test]
    fn tenth_per_second_is_one_per_ten_seconds() {
        let p = RateParams::for_rate(0.1, 1.0, 1).expect("rate");
        assert_eq!(p.emission_interval, 10 * S);
        let mut tat = 0;
        assert!(run(&mut tat, S, p, 1).allowed);
        assert!(!run(&mut tat, 10 * S, p, 1).allowed);
        assert!(run(&mut tat, 11 * S, p, 1).allowed);
    }

    #[test]
    fn default_burst_is_one_seconds_worth() {
        let p = RateParams::for_rate(5.0, 1.0, 1).expect("rate");
        let mut tat = 0;
        let now = 50 * S;
        for _ in 0..5 {
            assert!(run(&mut tat, now, p, 1).allowed);
        }
        let d = run(&mut tat, now, p, 1);
        assert!(!d.allowed);
        assert_eq!(d.retry_after, S / 5);
        assert!(run(&mut tat, now + S / 5, p, 1).allowed);
    }

    #[test]
    fn burst_seconds_scale_the_burst() {
        let p = RateParams::for_rate(5.0, 2.0, 1).expect("rate");
        let mut tat = 0;
        let passed = (0..20).filter(|_| run(&mut tat, S, p, 1).allowed).count();
        assert_eq!(passed, 10);
        let p = RateParams::for_rate(100.0, 0.0, 1).expect("rate");
        let mut tat = 0;
        let passed = (0..20).filter(|_| run(&mut tat, S, p, 1).allowed).count();
        assert_eq!(passed, 1, "burst is at least one request");
    }

    #[test]
    fn cost_draws_several_units() {
        let p = RateParams::for_rate(9.0, 1.0, 1).expect("rate");
        let mut tat = 0;
        assert!(run(&mut tat, S, p, 3).allowed);
        assert!(run(&mut tat, S, p, 3).allowed);
        assert!(run(&mut tat, S, p, 3).allowed);
        assert!(!run(&mut tat, S, p, 1).allowed);
    }

    #[test]
    fn cost_above_burst_never_passes_unless_burst_is_raised() {
        let p = RateParams::for_rate(1.0, 1.0, 1).expect("rate");
        let d = gcra(0, S, p.emission_interval, p.burst_tolerance, 3);
        assert!(!d.allowed);
        assert_eq!(d.retry_after, u64::MAX);
        let p = RateParams::for_rate(1.0, 1.0, 3).expect("rate");
        assert!(gcra(0, S, p.emission_interval, p.burst_tolerance, 3).allowed);
    }

    #[test]
    fn zero_cost_passes_and_zero_rate_has_no_params() {
        let d = gcra(7 * S, S, S, 0, 0);
        assert!(d.allowed);
        assert_eq!(d.new_tat, 7 * S);
        assert!(RateParams::for_rate(0.0, 1.0, 1).is_none());
        assert!(RateParams::for_rate(f64::NAN, 1.0, 1).is_none());
        assert!(RateParams::for_rate(-1.0, 1.0, 1).is_none());
    }

    #[test]
    fn extreme_rates_are_clamped() {
        let p = RateParams::for_rate(1e10, 1.0, 1).expect("rate");
        assert_eq!(p.emission_interval, 1);
        let p = RateParams::for_rate(1e-30, 1.0, 1).expect("rate");
        assert_eq!(p.emission_interval, MAX_EMISSION_INTERVAL);
        let d = gcra(u64::MAX - 1, u64::MAX - 1, p.emission_interval, 0, 1);
        assert!(d.allowed);
        assert_eq!(d.new_tat, u64::MAX);
    }
}
