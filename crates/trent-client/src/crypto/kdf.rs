//! Message key derivation, key commitment and the header/frame AEAD operations.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey};
use aws_lc_rs::constant_time;
use aws_lc_rs::hkdf;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::format::header::{COMMITMENT_LEN, IV_LEN, TAG_LEN};
use crate::suite::{AlgorithmSuite, Kdf};

/// Output length for HKDF expansion.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &hkdf::Prk, info: &[&[u8]], len: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    prk.expand(info, Len(len)).and_then(|okm| okm.fill(&mut out)).map_err(|_| Error::Crypto("HKDF expand"))?;
    Ok(out)
}

/// The per-message AES-GCM key derived from the data key.
///
/// Wraps `LessSafeKey` because the format fixes the nonces itself (sequence numbers), which is
/// safe because each message derives a fresh key from its random message id.
pub(crate) struct MessageKey {
    key: LessSafeKey,
}

/// Derives the message key (and for committing suites the commitment key) from a data key.
pub(crate) fn derive(
    suite: AlgorithmSuite,
    data_key: &[u8],
    message_id: &[u8],
) -> Result<(MessageKey, Option<[u8; COMMITMENT_LEN]>)> {
    if data_key.len() != suite.key_len() {
        return Err(Error::Config(format!(
            "data key is {} bytes, suite {suite} needs {}",
            data_key.len(),
            suite.key_len()
        )));
    }
    let suite_id = suite.id().to_be_bytes();
    let (key_bytes, commitment) = match suite.kdf() {
        Kdf::Identity => (Zeroizing::new(data_key.to_vec()), None),
        Kdf::Hkdf(alg) => {
            let prk = hkdf::Salt::new(alg, &[]).extract(data_key);
            (expand(&prk, &[&suite_id, message_id], suite.key_len())?, None)
        }
        Kdf::CommittingHkdfSha512 => {
            let prk = hkdf::Salt::new(hkdf::HKDF_SHA512, message_id).extract(data_key);
            let key = expand(&prk, &[&suite_id, b"DERIVEKEY"], suite.key_len())?;
            let commit = expand(&prk, &[b"COMMITKEY"], COMMITMENT_LEN)?;
            let mut c = [0u8; COMMITMENT_LEN];
            c.copy_from_slice(&commit);
            (key, Some(c))
        }
    };
    let unbound = UnboundKey::new(suite.aead(), &key_bytes).map_err(|_| Error::Crypto("AES key setup"))?;
    Ok((MessageKey { key: LessSafeKey::new(unbound) }, commitment))
}

/// Compares a stored commitment with the recomputed one in constant time.
pub(crate) fn check_commitment(expected: &[u8], actual: &[u8]) -> Result<()> {
    constant_time::verify_slices_are_equal(expected, actual).map_err(|_| Error::CommitmentMismatch)
}

/// The frame IV: eight zero bytes followed by the big-endian sequence number.
pub(crate) fn frame_iv(seq: u32) -> [u8; IV_LEN] {
    let mut iv = [0u8; IV_LEN];
    iv[8..].copy_from_slice(&seq.to_be_bytes());
    iv
}

impl MessageKey {
    /// The header tag: GCM over an empty plaintext with the header body as AAD.
    pub(crate) fn header_tag(&self, iv: &[u8; IV_LEN], header_body: &[u8]) -> Result<[u8; TAG_LEN]> {
        let tag = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*iv), Aad::from(header_body), &mut [])
            .map_err(|_| Error::Crypto("AES-GCM seal"))?;
        Ok(tag_bytes(&tag))
    }

    /// Checks the header tag.
    pub(crate) fn verify_header(&self, iv: &[u8; IV_LEN], header_body: &[u8], tag: &[u8; TAG_LEN]) -> Result<()> {
        self.key
            .open_in_place_separate_tag(Nonce::assume_unique_for_key(*iv), Aad::from(header_body), tag, &mut [])
            .map(|_| ())
            .map_err(|_| Error::HeaderAuthFailed)
    }

    /// Encrypts `in_out` in place and returns the tag.
    pub(crate) fn seal(&self, iv: &[u8; IV_LEN], aad: &[u8], in_out: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        let tag = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*iv), Aad::from(aad), in_out)
            .map_err(|_| Error::Crypto("AES-GCM seal"))?;
        Ok(tag_bytes(&tag))
    }
    /// Decrypts `ciphertext` into `out` (same length) after checking `tag`.
    pub(crate) fn open_into(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        ciphertext: &[u8],
        tag: &[u8],
        out: &mut [u8],
        seq: u32,
    ) -> Result<()> {
        self.key
            .open_separate_gather(Nonce::assume_unique_for_key(*iv), Aad::from(aad), ciphertext, tag, out)
            .map_err(|_| Error::FrameAuthFailed(seq))
    }
}

fn tag_bytes(tag: &Tag) -> [u8; TAG_LEN] {
    let mut t = [0u8; TAG_LEN];
    t.copy_from_slice(tag.as_ref());
    t
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// HKDF-SHA256 test case 3 of RFC 5869 (no salt, no info) pins our extract/expand usage.
    #[test]
    fn hkdf_rfc5869_case3() {
        let ikm = [0x0bu8; 22];
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(&ikm);
        let okm = expand(&prk, &[], 42).unwrap();
        assert_eq!(
            hex::encode(&*okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        );
    }

    #[test]
    fn commitment_depends_on_message_id_and_key() {
        let s = AlgorithmSuite::Aes256GcmHkdfSha512CommitKey;
        let (_, c1) = derive(s, &[1u8; 32], &[2u8; 32]).unwrap();
        let (_, c2) = derive(s, &[1u8; 32], &[3u8; 32]).unwrap();
        let (_, c3) = derive(s, &[4u8; 32], &[2u8; 32]).unwrap();
        assert_ne!(c1, c2);
        assert_ne!(c1, c3);
        assert!(derive(s, &[1u8; 16], &[2u8; 32]).is_err());
    }
}
