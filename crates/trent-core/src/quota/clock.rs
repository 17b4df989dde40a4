//! Monotonic time for the limiter.
//!
//! GCRA compares "theoretical arrival times" with *now*; a wall clock can jump
//! (NTP, manual changes) and would let a burst through or stall a bucket, so
//! the limiter reads a monotonic nanosecond counter instead. Tests use
//! [`ManualMonotonicClock`] and move time by hand, never by sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic clock in nanoseconds since an arbitrary origin.
///
/// Exists so the quota engine can be driven by a real clock in the server and
/// by a hand-advanced clock in tests, behind one object-safe trait.
pub trait MonotonicClock: Send + Sync + 'static {
    /// Nanoseconds since this clock's origin; never decreases.
    fn now_nanos(&self) -> u64;
}

/// The system's monotonic clock ([`Instant`]), counted from when it was created.
#[derive(Debug, Clone, Copy)]
pub struct SystemMonotonicClock {
    origin: Instant,
}

impl SystemMonotonicClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self { origin: Instant::now() }
    }
}

impl Default for SystemMonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl MonotonicClock for SystemMonotonicClock {
    fn now_nanos(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// A clock tests set and advance by hand, so rate tests need no sleeps.
#[derive(Debug, Default)]
pub struct ManualMonotonicClock {
    nanos: AtomicU64,
}

impl ManualMonotonicClock {
    /// A clock showing `nanos`.
    pub fn new(nanos: u64) -> Self {
        Self { nanos: AtomicU64::new(nanos) }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let n = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.advance_nanos(n);
    }

    /// Moves the clock forward by `nanos` nanoseconds.
    pub fn advance_nanos(&self, nanos: u64) {
        self.nanos.fetch_add(nanos, Ordering::SeqCst);
    }

    /// Sets the clock; callers must not move it backwards.
    pub fn set_nanos(&self, nanos: u64) {
        self.nanos.store(nanos, Ordering::SeqCst);
    }
}

impl MonotonicClock for ManualMonotonicClock {
    fn now_nanos(&self) -> u64 {
        self.nanos.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualMonotonicClock::new(5);
        assert_eq!(c.now_nanos(), 5);
        c.advance(Duration::from_millis(2));
        assert_eq!(c.now_nanos(), 2_000_005);
        c.advance_nanos(5);
        assert_eq!(c.now_nanos(), 2_000_010);
    }

    #[test]
    fn system_clock_is_monotonic() {
        let c = SystemMonotonicClock::new();
        let a = c.now_nanos();
        let b = c.now_nanos();
        assert!(b >= a);
    }
}
