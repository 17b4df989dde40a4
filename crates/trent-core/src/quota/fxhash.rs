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

/// Hash of two strings, well mixed in every bit (a murmur3 finalizer after
/// Fx), so it can pick a shard *and* serve as a pre-computed map key.
#[inline]
pub(crate) fn hash_pair(a: &str, b: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(a.as_bytes());
    h.write_u8(0xff);
    h.write(b.as_bytes());
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
    }
}
