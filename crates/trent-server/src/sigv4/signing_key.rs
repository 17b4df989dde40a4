//! A bounded cache of derived SigV4 signing keys, so a verification costs two
//! HMACs instead of six; the derivation itself is trent-sigv4's, shared with
//! the load lab's signer.

use std::collections::HashMap;

use aws_lc_rs::hmac;
use parking_lot::RwLock;
pub(crate) use trent_sigv4::signing_key::derive;

/// Derived signing keys by `AKID/date/region/service`. Entries are only added
/// for requests whose signature verified, so strangers cannot fill it; it is
/// emptied when it reaches its capacity (keys roll over daily anyway).
pub(crate) struct SigningKeyCache {
    keys: RwLock<HashMap<Box<str>, hmac::Key>>,
    capacity: usize,
}

impl SigningKeyCache {
    /// An empty cache holding at most `capacity` keys (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Self { keys: RwLock::new(HashMap::new()), capacity: capacity.max(1) }
    }

    /// HMAC-SHA256 of `message` under the cached key for `key_id`, if there is one.
    pub(crate) fn sign(&self, key_id: &str, message: &[u8]) -> Option<hmac::Tag> {
        let keys = self.keys.read();
        keys.get(key_id).map(|key| hmac::sign(key, message))
    }

    /// Remembers `key` for `key_id`, first emptying the cache if it is full.
    pub(crate) fn insert(&self, key_id: &str, key: hmac::Key) {
        let mut keys = self.keys.write();
        if keys.len() >= self.capacity && !keys.contains_key(key_id) {
            keys.clear();
        }
        keys.insert(key_id.into(), key);
    }

    /// How many keys are cached.
    pub(crate) fn len(&self) -> usize {
        self.keys.read().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_is_bounded() {
        let cache = SigningKeyCache::new(3);
        for i in 0..3 {
            cache.insert(&format!("k{i}"), derive("s", "20240101", "r", "kms"));
        }
        assert_eq!(cache.len(), 3);
        cache.insert("k1", derive("s", "20240101", "r", "kms"));
        assert_eq!(cache.len(), 3, "replacing an entry does not clear");
        cache.insert("k3", derive("s", "20240101", "r", "kms"));
        assert_eq!(cache.len(), 1);
        assert!(cache.sign("k3", b"m").is_some());
        assert!(cache.sign("k0", b"m").is_none());
    }
}
