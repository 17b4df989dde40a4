//! The busiest second of a run: the most admitted requests whose answers arrived within any
//! one-second window, found exactly over the answer timestamps (sorted, then a sliding
//! window), not by per-second buckets, which split a burst across two seconds and hide it.

/// The busiest window: how many timestamps it holds and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Peak {
    /// Timestamps inside the window.
    pub count: u64,
    /// The first timestamp of the window (the window is `[start, start + width)`).
    pub start: u64,
}

/// The most of `sorted` (ascending timestamps) inside any half-open window of `width`, and the
/// first such window. A window of at most `count` timestamps starting anywhere holds no more
/// than one starting at a timestamp, so trying those is exact.
pub fn busiest_window(sorted: &[u64], width: u64) -> Peak {
    debug_assert!(sorted.is_sorted());
    let mut best = Peak::default();
    let mut first = 0;
    for (last, &t) in sorted.iter().enumerate() {
        while t.saturating_sub(sorted[first]) >= width {
            first += 1;
        }
        let count = (last - first + 1) as u64;
        if count > best.count {
            best = Peak { count, start: sorted[first] };
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same answer, counted the slow way: every window starting at a timestamp.
    fn brute_force(sorted: &[u64], width: u64) -> u64 {
        sorted.iter().map(|&s| sorted.iter().filter(|&&t| t >= s && t - s < width).count() as u64).max().unwrap_or(0)
    }

    #[test]
    fn finds_a_burst_that_straddles_two_seconds() {
        // Per-second buckets see 4 answers in second 0 and 4 in second 1; a sliding window
        // sees 7 within one second.
        let t = [100_000, 900_000, 950_000, 990_000, 1_000_000, 1_050_000, 1_080_000, 1_500_000];
        assert_eq!(busiest_window(&t, 1_000_000), Peak { count: 7, start: 100_000 });
        assert_eq!(busiest_window(&t[1..], 1_000_000), Peak { count: 7, start: 900_000 });
        // Half-open: an answer exactly 1 s after the first is outside its window.
        assert_eq!(busiest_window(&[0, 1_000_000], 1_000_000), Peak { count: 1, start: 0 });
        assert_eq!(busiest_window(&[5, 5, 5], 1), Peak { count: 3, start: 5 });
        assert_eq!(busiest_window(&[], 1_000_000), Peak::default());
    }

    #[test]
    fn agrees_with_brute_force() {
        let mut rng = crate::rng::Rng::with_seed(42);
        for n in [1, 2, 10, 300] {
            let mut t: Vec<u64> = (0..n).map(|_| rng.next_u64() % 5_000_000).collect();
            t.sort_unstable();
            assert_eq!(busiest_window(&t, 1_000_000).count, brute_force(&t, 1_000_000), "{t:?}");
        }
    }
}
