//! A small, fast, non-cryptographic hasher for the limiter's maps.
//!
//! Bucket lookups sit on every request's path; SipHash would be a noticeable
//! share of a sub-microsecond decision. Keys are authenticated account ids,
//! region names and quota codes, so hash flooding is not a concern here.

use std::hash::{BuildHasherDefault, Hasher};

/// The FxHash word mixer (as used inside rustc).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// `BuildHasher` for std maps keyed by short strings on the hot path.
pub(crate) type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// Up to 7 bytes as one word, without a variable-length copy.
#[inline]
fn small_word(b: &[u8]) -> u64 {
    let n = b.len();
    match n {
        0 => 0,
        1..=3 => u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
        _ => {
            let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]);
            u64::from(lo) | u64::from(hi) << 32
        }
    }
}

#[inline]
fn word(c: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&c[..8]);
    u64::from_le_bytes(w)
}

/// Folds a string into `h` word by word; a ragged end is read as the last
/// (overlapping) 8 bytes, and the length is mixed in so that is unambiguous.
#[inline]
fn fold_str(h: &mut FxHasher, s: &str) {
    let b = s.as_bytes();
    h.add(b.len() as u64);
    if b.len() < 8 {
        h.add(small_word(b));
        return;
    }
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        h.add(word(c));
    }
    if !chunks.remainder().is_empty() {
        h.add(word(&b[b.len() - 8..]));
    }
}

/// Hash of two strings, well mixed in every bit (a murmur3 finalizer after
/// Fx), so it can pick a shard *and* serve as a pre-computed map key.
#[inline]
pub(crate) fn hash_pair(a: &str, b: &str) -> u64 {
    let mut h = FxHasher::default();
    fold_str(&mut h, a);
    fold_str(&mut h, b);
    let mut x = h.finish();
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}

/// A hasher for keys that already are good 64-bit hashes: passes them through.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PrehashedHasher {
    hash: u64,
}

impl Hasher for PrehashedHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are used; fold anything else in just in case.
        for &b in bytes {
            self.hash = (self.hash.rotate_left(8) ^ u64::from(b)).wrapping_mul(SEED);
        }
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.hash = i;
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// `BuildHasher` for maps keyed by [`hash_pair`] values.
pub(crate) type PrehashedBuildHasher = BuildHasherDefault<PrehashedHasher>;

/// Maps a hash onto `0..n` using its high bits (Fx's low bits are weak).
#[inline]
pub(crate) fn reduce(hash: u64, n: usize) -> usize {
    ((u128::from(hash) * n as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_account_ids_across_shards() {
        let mut counts = [0u32; 16];
        for i in 0..1600u64 {
            let acct = format!("{:012}", 111_122_223_333 + i);
            counts[reduce(hash_pair(&acct, "us-east-1"), 16)] += 1;
        }
        assert!(counts.iter().all(|&c| c > 50), "{counts:?}");
        assert_ne!(hash_pair("ab", "c"), hash_pair("a", "bc"));
        assert_ne!(hash_pair("111122223333", "us-east-1"), hash_pair("111122223333", "us-east-2"));
        assert_ne!(hash_pair("abcdefghij", ""), hash_pair("abcdefghi", "j"));
        let mut seen = std::collections::HashSet::new();
        for a in ["", "a", "ab", "abc", "abcd", "abcde", "abcdefgh", "abcdefghi", "custom-key-store"] {
            for b in ["", "x", "us-east-1", "cks-1234567890abcdef0"] {
                assert!(seen.insert(hash_pair(a, b)), "{a:?} {b:?}");
            }
        }
    }
}
