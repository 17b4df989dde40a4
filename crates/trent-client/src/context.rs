//! The encryption context: its canonical serialization and the reserved-key rules.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::format::reader::SliceReader;

/// Prefix of keys the SDK itself writes; callers may not use it.
pub const RESERVED_PREFIX: &str = "aws-crypto-";
/// Key under which signing suites store the base64 compressed ECDSA public key.
pub const PUBLIC_KEY_FIELD: &str = "aws-crypto-public-key";

/// Non-secret key/value pairs bound to a message (header AAD) and to its data keys (KMS AAD).
///
/// A `BTreeMap` keyed by `String` iterates in byte order of the UTF-8 keys, which is exactly
/// the order the format requires for serialization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a pair.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.0.insert(key.into(), value.into())
    }

    /// Looks a value up.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True without pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Pairs in serialization order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The underlying map (for handing to the KMS SDK).
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// Fails if the caller used a key reserved for the SDK (checked on encrypt).
    pub fn check_no_reserved_keys(&self) -> Result<()> {
        match self.0.keys().find(|k| k.starts_with(RESERVED_PREFIX)) {
            Some(k) => Err(Error::EncryptionContext(format!(
                "key {k:?} uses the reserved prefix {RESERVED_PREFIX:?}; pick another key name"
            ))),
            None => Ok(()),
        }
    }

    /// Fails unless every pair in `required` is present with the same value.
    pub fn check_contains(&self, required: &EncryptionContext) -> Result<()> {
        let missing: Vec<String> =
            required.iter().filter(|(k, v)| self.get(k) != Some(v)).map(|(k, v)| format!("{k}={v}")).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::EncryptionContext(format!("message does not carry the required pairs {}", missing.join(", "))))
        }
    }

    /// The canonical serialization: empty for an empty context, otherwise
    /// `u16 count ‖ (u16 klen ‖ key ‖ u16 vlen ‖ value)*` sorted by key bytes.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        if self.0.is_empty() {
            return Ok(Vec::new());
        }
        let too_big = || Error::EncryptionContext("serialized size exceeds 65535 bytes".into());
        let count = u16::try_from(self.0.len()).map_err(|_| too_big())?;
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&count.to_be_bytes());
        for (k, v) in &self.0 {
            for field in [k, v] {
                let len = u16::try_from(field.len()).map_err(|_| too_big())?;
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(field.as_bytes());
            }
        }
        if out.len() > usize::from(u16::MAX) {
            return Err(too_big());
        }
        Ok(out)
    }

    /// Parses a serialized context from a header. Rejects duplicates, invalid UTF-8 and
    /// trailing bytes; accepts any key order (the header tag authenticates the raw bytes).
    pub fn deserialize(bytes: &[u8]) -> Result<Self> {
        let mut map = BTreeMap::new();
        if bytes.is_empty() {
            return Ok(Self(map));
        }
        let mut r = SliceReader::new(bytes, "encryption context");
        let count = r.u16()?;
        for _ in 0..count {
            let k = utf8(r.bytes_u16()?)?;
            let v = utf8(r.bytes_u16()?)?;
            if map.insert(k.clone(), v).is_some() {
                return Err(Error::malformed(format!("duplicate key {k:?} in encryption context")));
            }
        }
        if !r.is_empty() {
            return Err(Error::malformed("extra bytes after encryption context"));
        }
        Ok(Self(map))
    }
}

fn utf8(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| Error::malformed("encryption context is not valid UTF-8"))
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for EncryptionContext {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn serializes_sorted_and_round_trips() {
        let ec: EncryptionContext = [("purpose", "test"), ("a", "1")].into_iter().collect();
        let bytes = ec.serialize().unwrap();
        assert_eq!(bytes, b"\x00\x02\x00\x01a\x00\x011\x00\x07purpose\x00\x04test".to_vec());
        assert_eq!(EncryptionContext::deserialize(&bytes).unwrap(), ec);
        // Matches the size example of the format notes: {purpose:test} is 17 bytes.
        let one: EncryptionContext = [("purpose", "test")].into_iter().collect();
        assert_eq!(one.serialize().unwrap().len(), 17);
        assert!(EncryptionContext::new().serialize().unwrap().is_empty());
    }

    #[test]
    fn rejects_bad_input() {
        assert!(EncryptionContext::deserialize(b"\x00\x02\x00\x01a\x00\x011\x00\x01a\x00\x012").is_err());
        assert!(EncryptionContext::deserialize(b"\x00\x01\x00\x01a\x00\x011\xff").is_err());
        assert!(EncryptionContext::deserialize(b"\x00\x01\x00\x05a").is_err());
        assert!(EncryptionContext::deserialize(b"\x00\x01\x00\x01\xff\x00\x00").is_err());
        let reserved: EncryptionContext = [("aws-crypto-x", "1")].into_iter().collect();
        assert!(reserved.check_no_reserved_keys().is_err());
        let big: EncryptionContext = [("k", "v".repeat(70_000))].into_iter().collect();
        assert!(big.serialize().is_err());
    }

    #[test]
    fn contains_check() {
        let ec: EncryptionContext = [("a", "1"), ("b", "2")].into_iter().collect();
        let req: EncryptionContext = [("a", "1")].into_iter().collect();
        assert!(ec.check_contains(&req).is_ok());
        let req: EncryptionContext = [("a", "2")].into_iter().collect();
        assert!(ec.check_contains(&req).is_err());
    }
}
