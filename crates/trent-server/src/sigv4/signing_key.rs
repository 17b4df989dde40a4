//! SigV4 signing keys: the four-step HMAC derivation from a secret, and a
//! bounded cache of derived keys so a verification costs two HMACs instead of six.

use std::collections::HashMap;

use aws_lc_rs::hmac;
use parking_lot::RwLock;
use zeroize::Zeroizing;

use super::authorization::TERMINATOR;

/// Derives `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub(crate) fn derive(secret: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.as_bytes());
    let mut key = hmac::Key::new(hmac::HMAC_SHA256, &seed);
    for part in [date, region, service, TERMINATOR] {
        let tag = hmac::sign(&key, part.as_bytes());
        key = hmac::Key::new(hmac::HMAC_SHA256, tag.as_ref());
    }
    key
}

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
    fn derives_the_documented_example_key() {
        // From the AWS "Examples of how to derive a signing key" page.
        let key = derive("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        // The documented kSigning is f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d;
        // HMAC under it of the empty string must equal HMAC under the raw bytes.
        let raw = hex::decode("f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d").expect("hex");
        let expected = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &raw), b"probe");
        assert_eq!(hmac::sign(&key, b"probe").as_ref(), expected.as_ref());
    }

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
