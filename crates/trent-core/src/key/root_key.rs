//! The root key that seals all key material at rest.
//!
//! The store only ever holds material sealed by this key; the root key itself
//! lives in a file in the data directory (owner-only permissions) or is given
//! by file or environment, and is zeroized when dropped.

use zeroize::Zeroizing;

use crate::error::{KmsError, KmsResult};
use crate::key::crypto::AesKey;

/// Length of the root key in bytes (AES-256).
pub const ROOT_KEY_LEN: usize = 32;

/// The key-encryption key for material at rest.
#[derive(Debug)]
pub struct RootKey {
    aes: AesKey,
}

impl RootKey {
    /// Builds the root key from its 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> KmsResult<Self> {
        if bytes.len() != ROOT_KEY_LEN {
            return Err(KmsError::internal("root key must be 32 bytes"));
        }
        Ok(Self { aes: AesKey::new(bytes)? })
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
        self.aes
            .open(&Self::aad(key_id, material_id), sealed)
            .ok_or_else(|| KmsError::internal(format!("key material of {key_id} does not open under this root key")))
    }
}
