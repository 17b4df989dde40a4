//! Time sources. Wall-clock time stamps records and decides when scheduled
//! work (deletions, rotations) is due; tests replace it to move time without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A wall clock in epoch seconds.
pub trait WallClock: Send + Sync + 'static {
    /// Now, as epoch seconds with millisecond precision.
    fn now(&self) -> f64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now(&self) -> f64 {
        let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        (d.as_millis() as f64) / 1000.0
    }
}

/// A clock tests set by hand.
#[derive(Debug, Default)]
pub struct ManualWallClock {
    millis: AtomicU64,
}

impl ManualWallClock {
    /// A clock showing `epoch_seconds`.
    pub fn new(epoch_seconds: f64) -> Self {
        Self { millis: AtomicU64::new((epoch_seconds * 1000.0) as u64) }
    }

    /// Moves the clock forward.
    pub fn advance(&self, seconds: f64) {
        self.millis.fetch_add((seconds * 1000.0) as u64, Ordering::SeqCst);
    }
}

impl WallClock for ManualWallClock {
    fn now(&self) -> f64 {
        self.millis.load(Ordering::SeqCst) as f64 / 1000.0
    }
}
