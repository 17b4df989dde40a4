//! ECDSA message signatures: key generation, the `aws-crypto-public-key` encoding, an
//! incremental signer/verifier over the whole message, and the fixed-length DER output that
//! the other ESDK implementations produce.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsBigEndian, EcPublicKeyCompressedBin};
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::crypto::background::DigestSink;
use crate::error::{Error, Result};
use crate::suite::SignatureCurve;

/// Blocks at least this large move message hashing to a helper thread.
pub(crate) const BACKGROUND_HASH_THRESHOLD: usize = 64 * 1024;

/// A per-message (or, with caching, per-cache-entry) ECDSA signing key.
pub struct SigningKey {
    curve: SignatureCurve,
    key: EcdsaKeyPair,
    public_field: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("curve", &self.curve)
            .field("public_key", &self.public_field)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh key pair on `curve`.
    pub fn generate(curve: SignatureCurve) -> Result<Self> {
        let key =
            EcdsaKeyPair::generate(curve.signing_algorithm()).map_err(|_| Error::Crypto("ECDSA key generation"))?;
        let compressed: EcPublicKeyCompressedBin<'static> =
            key.public_key().as_be_bytes().map_err(|_| Error::Crypto("ECDSA public key encoding"))?;
        let public_field = B64.encode(compressed.as_ref());
        Ok(Self { curve, key, public_field })
    }

    /// Base64 of the SEC1 compressed public point: the value stored under
    /// `aws-crypto-public-key` in the encryption context.
    pub fn public_key_field(&self) -> &str {
        &self.public_field
    }

    /// The curve.
    pub fn curve(&self) -> SignatureCurve {
        self.curve
    }
}

/// Hashes a message as it is written and signs it at the end.
pub(crate) struct Signer {
    key: Arc<SigningKey>,
    sink: DigestSink,
}

impl Signer {
    pub(crate) fn new(key: Arc<SigningKey>) -> Self {
        let ctx = digest::Context::new(key.curve.digest_algorithm());
        Self { key, sink: DigestSink::Inline(ctx) }
    }

    /// Hashes a block of message bytes the caller has finished with (large blocks on a helper
    /// thread) and returns an empty buffer for the next block.
    pub(crate) fn consume(&mut self, block: Vec<u8>) -> Result<Vec<u8>> {
        self.sink.consume(block, BACKGROUND_HASH_THRESHOLD)
    }

    /// Signs the digest; retries until the low-s normalised DER signature has the fixed length
    /// other SDKs emit (about two attempts on average).
    pub(crate) fn finish(self) -> Result<Vec<u8>> {
        let digest = self.sink.finish()?.finish();
        let curve = self.key.curve;
        for _ in 0..256 {
            let sig = self.key.key.sign_digest(&digest).map_err(|_| Error::Crypto("ECDSA sign"))?;
            let normalised = normalise_low_s(curve, sig.as_ref())?;
            if normalised.len() == curve.fixed_signature_len() {
                return Ok(normalised);
            }
        }
        Err(Error::Crypto("could not produce a fixed-length ECDSA signature"))
    }
}

/// Hashes a message as it is read and checks the footer signature at the end.
pub(crate) struct Verifier {
    curve: SignatureCurve,
    public_key: Vec<u8>,
    sink: DigestSink,
}

impl Verifier {
    /// Builds a verifier from the `aws-crypto-public-key` context value.
    pub(crate) fn new(curve: SignatureCurve, field: &str) -> Result<Self> {
        let public_key =
            B64.decode(field).map_err(|_| Error::malformed("aws-crypto-public-key is not valid base64"))?;
        let expected = 1 + curve.scalar_len();
        if public_key.len() != expected || !matches!(public_key[0], 2 | 3) {
            return Err(Error::malformed("aws-crypto-public-key is not a compressed point of the suite's curve"));
        }
        Ok(Self { curve, public_key, sink: DigestSink::Inline(digest::Context::new(curve.digest_algorithm())) })
    }

    /// Hashes a block of message bytes (large blocks on a helper thread) and returns an empty
    /// buffer for the next block.
    pub(crate) fn consume(&mut self, block: Vec<u8>) -> Result<Vec<u8>> {
        self.sink.consume(block, BACKGROUND_HASH_THRESHOLD)
    }

    pub(crate) fn verify(self, signature: &[u8]) -> Result<()> {
        let digest = self.sink.finish()?.finish();
        UnparsedPublicKey::new(self.curve.verification_algorithm(), &self.public_key)
            .verify_digest(&digest, signature)
            .map_err(|_| Error::SignatureInvalid)
    }
}

/// Re-encodes a DER ECDSA signature with `s` replaced by `n − s` when `s > n/2`.
fn normalise_low_s(curve: SignatureCurve, der: &[u8]) -> Result<Vec<u8>> {
    let bad = || Error::Crypto("unexpected ECDSA signature encoding");
    let (r, s) = parse_der_signature(der).ok_or_else(bad)?;
    let width = curve.scalar_len();
    let s_fixed = left_pad(s, width).ok_or_else(bad)?;
    let order = curve.order();
    let half = shift_right_one(order);
    let s_final = if s_fixed.as_slice() > half.as_slice() { sub(order, &s_fixed) } else { s_fixed };
    Ok(encode_der_signature(r, &s_final))
}

fn parse_der_len(buf: &[u8]) -> Option<(usize, &[u8])> {
    let (&first, rest) = buf.split_first()?;
    if first < 0x80 {
        Some((usize::from(first), rest))
    } else if first == 0x81 {
        let (&len, rest) = rest.split_first()?;
        Some((usize::from(len), rest))
    } else {
        None
    }
}

fn parse_der_int(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = buf.split_first()?;
    if tag != 0x02 {
        return None;
    }
    let (len, rest) = parse_der_len(rest)?;
    if rest.len() < len {
        return None;
    }
    let (int, rest) = rest.split_at(len);
    let start = int.iter().position(|&b| b != 0).unwrap_or(int.len());
    Some((&int[start..], rest))
}

fn parse_der_signature(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (len, rest) = parse_der_len(rest)?;
    if rest.len() != len {
        return None;
    }
    let (r, rest) = parse_der_int(rest)?;
    let (s, rest) = parse_der_int(rest)?;
    rest.is_empty().then_some((r, s))
}

fn encode_der_int(out: &mut Vec<u8>, v: &[u8]) {
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len().saturating_sub(1));
    let v = &v[start..];
    let pad = v.first().is_none_or(|&b| b & 0x80 != 0);
    out.push(0x02);
    out.push((v.len() + usize::from(pad)) as u8);
    if pad {
        out.push(0);
    }
    out.extend_from_slice(v);
}

fn encode_der_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(110);
    encode_der_int(&mut body, r);
    encode_der_int(&mut body, s);
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x30);
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(body.len() as u8);
    out.extend_from_slice(&body);
    out
}

fn left_pad(v: &[u8], width: usize) -> Option<Vec<u8>> {
    if v.len() > width {
        return None;
    }
    let mut out = vec![0u8; width - v.len()];
    out.extend_from_slice(v);
    Some(out)
}

fn shift_right_one(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut carry = 0u8;
    for &b in v {
        out.push((b >> 1) | carry);
        carry = (b & 1) << 7;
    }
    out
}

/// a − b for equal-width big-endian numbers with a ≥ b.
fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_fixed_length_low_s_and_verify() {
        for curve in [SignatureCurve::P256, SignatureCurve::P384] {
            let key = Arc::new(SigningKey::generate(curve).unwrap());
            assert_eq!(key.public_key_field().len(), if curve == SignatureCurve::P384 { 68 } else { 44 });
            for i in 0..20u8 {
                let mut s = Signer::new(key.clone());
                s.consume(b"hello ".to_vec()).unwrap();
                s.consume(vec![i]).unwrap();
                let sig = s.finish().unwrap();
                assert_eq!(sig.len(), curve.fixed_signature_len());
                let (_, s_val) = parse_der_signature(&sig).unwrap();
                let half = shift_right_one(curve.order());
                assert!(left_pad(s_val, curve.scalar_len()).unwrap() <= half);
                let mut v = Verifier::new(curve, key.public_key_field()).unwrap();
                v.consume(b"hello ".to_vec()).unwrap();
                v.consume(vec![i]).unwrap();
                v.verify(&sig).unwrap();
                let mut v = Verifier::new(curve, key.public_key_field()).unwrap();
                v.consume(b"hellO ".to_vec()).unwrap();
                v.consume(vec![i]).unwrap();
                assert!(v.verify(&sig).is_err());
            }
        }
    }

    #[test]
    fn background_hashing_matches_inline() {
        let key = Arc::new(SigningKey::generate(SignatureCurve::P384).unwrap());
        let mut s = Signer::new(key.clone());
        let mut v = Verifier::new(SignatureCurve::P384, key.public_key_field()).unwrap();
        // Mix small (inline) and large (background) blocks.
        for i in 0..40usize {
            let len = if i % 3 == 0 { 300_000 } else { 17 + i };
            let block: Vec<u8> = (0..len).map(|j| (i * 7 + j) as u8).collect();
            let mut next = s.consume(block.clone()).unwrap();
            next.extend_from_slice(&block);
            let _ = v.consume(next).unwrap();
        }
        let sig = s.finish().unwrap();
        v.verify(&sig).unwrap();
    }

    #[test]
    fn der_helpers() {
        assert_eq!(sub(&[1, 0], &[0, 1]), vec![0, 255]);
        assert_eq!(shift_right_one(&[3, 1]), vec![1, 128]);
        let der = encode_der_signature(&[0x80, 1], &[0, 5]);
        assert_eq!(der, vec![0x30, 8, 2, 3, 0, 0x80, 1, 2, 1, 5]);
        assert_eq!(parse_der_signature(&der), Some((&[0x80u8, 1][..], &[5u8][..])));
        assert!(Verifier::new(SignatureCurve::P384, "AAAA").is_err());
    }
}
