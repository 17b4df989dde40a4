//! Counters of cache and KMS activity, shared by the keyring and the caching manager.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters; cheap to update from many threads. Share one `Arc<Stats>` between the
/// keyring and the caching materials manager to see how many KMS calls caching saved.
#[derive(Debug, Default)]
pub struct Stats {
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    cache_bypasses: AtomicU64,
    generate_data_key: AtomicU64,
    encrypt: AtomicU64,
    decrypt: AtomicU64,
}

/// A point-in-time copy of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Requests served from the cache.
    pub cache_hits: u64,
    /// Requests that had to go to the underlying materials manager.
    pub cache_misses: u64,
    /// Requests that skipped the cache by rule (unknown length, over the byte limit, no-KDF suite).
    pub cache_bypasses: u64,
    /// KMS `GenerateDataKey` calls made.
    pub kms_generate_data_key: u64,
    /// KMS `Encrypt` calls made.
    pub kms_encrypt: u64,
    /// KMS `Decrypt` calls made.
    pub kms_decrypt: u64,
}

impl StatsSnapshot {
    /// All KMS calls.
    pub fn kms_calls(&self) -> u64 {
        self.kms_generate_data_key + self.kms_encrypt + self.kms_decrypt
    }
}

impl fmt::Display for StatsSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cache hits {}, cache misses {}, cache bypasses {}, KMS calls {} \
             (GenerateDataKey {}, Encrypt {}, Decrypt {})",
            self.cache_hits,
            self.cache_misses,
            self.cache_bypasses,
            self.kms_calls(),
            self.kms_generate_data_key,
            self.kms_encrypt,
            self.kms_decrypt
        )
    }
}

impl Stats {
    /// Current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            cache_misses: self.cache_misses.load(Ordering::Relaxed),
            cache_bypasses: self.cache_bypasses.load(Ordering::Relaxed),
            kms_generate_data_key: self.generate_data_key.load(Ordering::Relaxed),
            kms_encrypt: self.encrypt.load(Ordering::Relaxed),
            kms_decrypt: self.decrypt.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn bypass(&self) {
        self.cache_bypasses.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn kms_generate_data_key(&self) {
        self.generate_data_key.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn kms_encrypt(&self) {
        self.encrypt.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn kms_decrypt(&self) {
        self.decrypt.fetch_add(1, Ordering::Relaxed);
    }
}
