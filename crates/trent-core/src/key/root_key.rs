//! The root key that seals all key material at rest.
//!
//! The store only ever holds material sealed by this key; the root key itself
//! lives in a file in the data directory (owner-only permissions) or is given
//! by file or environment, and is zeroized when dropped.
//!
//! While the root key is being replaced, material is sealed under the new key
//! and opened under either: [`RootKey::with_previous`] and [`RootKey::reseal`]
//! let a store be re-sealed one key at a time, with every key readable at
//! every step.

use zeroize::Zeroizing;

use crate::error::{KmsError, KmsResult};
use crate::key::crypto::AesKey;

/// Length of the root key in bytes (AES-256).
pub const ROOT_KEY_LEN: usize = 32;

/// The key-encryption key for material at rest.
#[derive(Debug)]
pub struct RootKey {
    aes: AesKey,
    /// The key being replaced, during a root key rotation: opens what it
    /// sealed, seals nothing.
    previous: Option<AesKey>,
}

impl RootKey {
    /// Builds the root key from its 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> KmsResult<Self> {
        if bytes.len() != ROOT_KEY_LEN {
            return Err(KmsError::internal("root key must be 32 bytes"));
        }
        Ok(Self { aes: AesKey::new(bytes)?, previous: None })
    }

    /// This key, also opening what `previous` sealed: the state of a store
    /// whose root key rotation has begun and not finished.
    pub fn with_previous(mut self, previous: RootKey) -> Self {
        self.previous = Some(previous.aes);
        self
    }

    /// A fresh random root key and its bytes (for writing to the key file).
    pub fn generate() -> KmsResult<(Self, Zeroizing<Vec<u8>>)> {
        let bytes = crate::key::crypto::random_bytes(ROOT_KEY_LEN)?;
        Ok((Self::from_bytes(&bytes)?, bytes))
    }

    fn aad(key_id: &str, material_id: &str) -> Vec<u8> {
        let mut aad = Vec::with_capacity(16 + key_id.len() + material_id.len());
        aad.extend_from_slice(b"trent-material-v1|");
        aad.extend_from_slice(key_id.as_bytes());
        aad.push(b'|');
        aad.extend_from_slice(material_id.as_bytes());
        aad
    }

    /// Seals `material` for storage, bound to its key id and material id.
    pub fn seal_material(&self, key_id: &str, material_id: &str, material: &[u8]) -> KmsResult<Vec<u8>> {
        let mut out = Vec::with_capacity(material.len() + 28);
        self.aes.seal_into(&Self::aad(key_id, material_id), material, &mut out)?;
        Ok(out)
    }

    /// Opens stored material; fails if it was sealed by another root key or moved to another key.
    pub fn open_material(&self, key_id: &str, material_id: &str, sealed: &[u8]) -> KmsResult<Zeroizing<Vec<u8>>> {
        let aad = Self::aad(key_id, material_id);
        self.aes
            .open(&aad, sealed)
            .or_else(|| self.previous.as_ref().and_then(|p| p.open(&aad, sealed)))
            .ok_or_else(|| KmsError::internal(format!("key material of {key_id} does not open under this root key")))
    }

    /// `sealed` sealed under this key instead of the previous one: `None`
    /// when it already is, an error when neither key opens it.
    pub fn reseal(&self, key_id: &str, material_id: &str, sealed: &[u8]) -> KmsResult<Option<Vec<u8>>> {
        let aad = Self::aad(key_id, material_id);
        if self.aes.open(&aad, sealed).is_some() {
            return Ok(None);
        }
        let material = self.open_material(key_id, material_id, sealed)?;
        self.seal_material(key_id, material_id, &material).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> RootKey {
        RootKey::from_bytes(&[byte; ROOT_KEY_LEN]).expect("key")
    }

    #[test]
    fn a_rotation_opens_under_either_key_and_reseals_under_the_new_one() {
        let sealed_old = key(1).seal_material("k", "m", b"material").expect("seal");
        let rotating = key(2).with_previous(key(1));
        assert_eq!(rotating.open_material("k", "m", &sealed_old).expect("open").as_slice(), b"material");
        let resealed = rotating.reseal("k", "m", &sealed_old).expect("reseal").expect("changed");
        assert_eq!(key(2).open_material("k", "m", &resealed).expect("new key alone").as_slice(), b"material");
        assert!(key(1).open_material("k", "m", &resealed).is_err(), "the old key no longer opens it");
        assert_eq!(rotating.reseal("k", "m", &resealed).expect("again"), None, "already under the new key");
        // Bound to key and material id, whichever root key sealed it.
        assert!(rotating.open_material("k", "other", &sealed_old).is_err());
        let stranger = key(3).seal_material("k", "m", b"x").expect("seal");
        assert!(rotating.reseal("k", "m", &stranger).is_err(), "neither key opens it");
    }
}
