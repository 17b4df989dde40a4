//! Client retry strategies. `none` and `backoff` run in our raw HTTP client; `standard` and
//! `adaptive` are the AWS SDK's own (aws-sdk-kms `RetryConfig`, see `sdk.rs`), so that what
//! is measured is the SDK's algorithm, token bucket and CUBIC rate limiter, not a copy.

use std::time::Duration;

use super::rng;

/// The strategy a simulated client uses, as given by `--retry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RetryMode {
    /// One attempt per request.
    None,
    /// Exponential backoff with full jitter: before retry n, sleep rand[0, min(cap, base·2^(n−1))).
    Backoff,
    /// The AWS SDK's standard mode: 3 attempts, 1 s base / 20 s cap full jitter, a
    /// 500-token retry quota per client (5 per throttled retry).
    Standard,
    /// Standard mode plus the SDK's client-side rate limiter (CUBIC token bucket), which
    /// engages after the first throttle.
    Adaptive,
}

impl RetryMode {
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Backoff => "backoff",
            Self::Standard => "standard",
            Self::Adaptive => "adaptive",
        }
    }
}

/// Parameters of `--retry backoff`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Delay scale of the first retry.
    pub base: Duration,
    /// Upper bound of any one delay.
    pub cap: Duration,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
}

impl Backoff {
    /// Delay before retry `n` (1 = first retry), or `None` when the attempts are used up.
    pub fn delay(&self, n: u32) -> Option<Duration> {
        if n >= self.max_attempts {
            return None;
        }
        let exp = self.base.saturating_mul(1u32 << (n - 1).min(30));
        Some(exp.min(self.cap).mul_f64(rng::uniform()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_is_bounded_by_the_exponential_and_the_cap() {
        let b = Backoff { base: Duration::from_millis(100), cap: Duration::from_millis(500), max_attempts: 5 };
        for _ in 0..1000 {
            assert!(b.delay(1).unwrap() < Duration::from_millis(100));
            assert!(b.delay(2).unwrap() < Duration::from_millis(200));
            assert!(b.delay(4).unwrap() < Duration::from_millis(500));
        }
        assert_eq!(b.delay(5), None);
    }
}
