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
}
