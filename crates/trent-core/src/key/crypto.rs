//! Symmetric primitives Trent needs, all from aws-lc-rs: random bytes and
//! AES-256-GCM with a fresh random 96-bit IV per message.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::error::{KmsError, KmsResult};

/// Length of an AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// Length of an AES-GCM IV.
pub const IV_LEN: usize = NONCE_LEN;

/// Fills a new buffer with `n` cryptographically secure random bytes.
pub fn random_bytes(n: usize) -> KmsResult<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(vec![0u8; n]);
    SystemRandom::new().fill(&mut buf).map_err(|_| KmsError::internal("system RNG failed"))?;
    Ok(buf)
}

/// A random 36-character UUIDv4 string (key ids, request ids).
pub fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An AES-256-GCM key, ready to seal and open. aws-lc clears the key schedule on drop.
pub struct AesKey(LessSafeKey);

impl std::fmt::Debug for AesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesKey(..)")
    }
}

impl AesKey {
    /// Builds a key from 32 bytes of material.
    pub fn new(material: &[u8]) -> KmsResult<Self> {
        let unbound =
            UnboundKey::new(&AES_256_GCM, material).map_err(|_| KmsError::internal("bad AES-256 key length"))?;
        Ok(Self(LessSafeKey::new(unbound)))
    }

    /// Encrypts `plaintext` into `out` as `IV || ciphertext || tag`, appending.
    pub fn seal_into(&self, aad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) -> KmsResult<()> {
        let mut iv = [0u8; IV_LEN];
        SystemRandom::new().fill(&mut iv).map_err(|_| KmsError::internal("system RNG failed"))?;
        out.extend_from_slice(&iv);
        let start = out.len();
        out.extend_from_slice(plaintext);
        let mut body = out.split_off(start);
        self.0
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut body)
            .map_err(|_| KmsError::internal("AES-GCM seal failed"))?;
        out.extend_from_slice(&body);
        Ok(())
    }

    /// Decrypts `IV || ciphertext || tag`; `None` if it is not authentic.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < IV_LEN + TAG_LEN {
            return None;
        }
        let (iv, rest) = sealed.split_at(IV_LEN);
        let nonce = Nonce::try_assume_unique_for_key(iv).ok()?;
        let mut buf = Zeroizing::new(rest.to_vec());
        let n = self.0.open_in_place(nonce, Aad::from(aad), &mut buf).ok()?.len();
        buf.truncate(n);
        Some(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper() {
        let k = AesKey::new(&[7u8; 32]).unwrap();
        let mut out = Vec::new();
        k.seal_into(b"aad", b"hello", &mut out).unwrap();
        assert_eq!(out.len(), IV_LEN + 5 + TAG_LEN);
        assert_eq!(&k.open(b"aad", &out).unwrap()[..], b"hello");
        assert!(k.open(b"other", &out).is_none());
        out[IV_LEN] ^= 1;
        assert!(k.open(b"aad", &out).is_none());
        assert!(k.open(b"aad", &out[..10]).is_none());
    }
}
