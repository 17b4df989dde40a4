//! A tiny, fast pseudo-random generator (SplitMix64) for arrival times, jitter and
//! operation picks. Load generation needs speed and independence between tasks, not
//! cryptographic quality, so this avoids a dependency and any locking.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static SEEDS: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);

/// SplitMix64 state; one per task or thread.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from the clock and a process-wide counter, so two generators
    /// created at the same instant still differ.
    pub fn new() -> Self {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        Self(t ^ SEEDS.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed))
    }

    /// A generator with a fixed seed (tests).
    #[cfg(test)]
    pub fn with_seed(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// An exponentially distributed value with the given mean (Poisson inter-arrival times).
    pub fn exponential(&mut self, mean: f64) -> f64 {
        // 1 - u is in (0, 1], so the logarithm is finite.
        -mean * (1.0 - self.next_f64()).ln()
    }
}

impl Default for Rng {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    static LOCAL: Cell<Option<Rng>> = const { Cell::new(None) };
}

/// The `n`-th point of the golden-ratio sequence in [0, 1): evenly spread,
/// so the `n`-th request of a mix picks its operation by it and any stretch
/// of requests holds each operation in its share (a random draw let a 3 s
/// run of a 50/50 mix send 44 % of one), while still interleaving them.
pub fn spread(n: u64) -> f64 {
    const INVERSE_GOLDEN_RATIO: f64 = 0.618_033_988_749_894_9;
    ((n as f64 + 0.5) * INVERSE_GOLDEN_RATIO).fract()
}

/// Uniform in [0, 1) from this thread's generator (for retry jitter in many tasks).
pub fn uniform() -> f64 {
    LOCAL.with(|cell| {
        let mut rng = cell.take().unwrap_or_default();
        let v = rng.next_f64();
        cell.set(Some(rng));
        v
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_stays_in_range_and_exponential_has_its_mean() {
        let mut r = Rng::with_seed(7);
        let mut sum = 0.0;
        for _ in 0..100_000 {
            let u = r.next_f64();
            assert!((0.0..1.0).contains(&u));
            sum += r.exponential(2.0);
        }
        let mean = sum / 100_000.0;
        assert!((mean - 2.0).abs() < 0.05, "mean {mean}");
        assert!((0.0..1.0).contains(&uniform()));
    }

    #[test]
    fn spread_points_give_each_operation_its_share_in_any_stretch() {
        // A 50/50 mix: every run of 100 consecutive requests holds 49 to 51 of each.
        for start in [0u64, 17, 1_000, 123_456] {
            let low = (start..start + 100).filter(|&n| spread(n) < 0.5).count();
            assert!((49..=51).contains(&low), "from {start}: {low} of 100");
        }
        assert!((0..10_000).all(|n| (0.0..1.0).contains(&spread(n))));
    }
}
