//! `ECC_NIST_EDWARDS25519` keys: Ed25519 (RFC 8032) signing for
//! `ED25519_SHA_512` over a RAW message, and Ed25519ph for
//! `ED25519_PH_SHA_512` over a DIGEST message (AWS still applies the SHA-512
//! prehash to the digest it is given, so the input is hashed twice).
//! The material is a PKCS#8 v1 document, as for the other EC keys.

use aws_lc_rs::encoding::{AsBigEndian, AsDer, Curve25519SeedBin, PublicKeyX509Der};
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use crate::key::aws_lc_ffi;
use crate::key::crypto_refusal::CryptoRefusal;
use crate::key::model::SigningAlgorithm;

/// The signing algorithms of an Ed25519 key, in AWS's order.
pub const ALGORITHMS: [SigningAlgorithm; 2] = [SigningAlgorithm::Ed25519Sha512, SigningAlgorithm::Ed25519PhSha512];

/// Length of the DIGEST message `ED25519_PH_SHA_512` takes (a SHA-512 digest).
pub const PH_DIGEST_LEN: usize = 64;

/// An opened Ed25519 key.
pub struct Ed25519Key {
    pair: Ed25519KeyPair,
    /// `seed ‖ public`, the private key form AWS-LC's Ed25519ph takes.
    expanded: Zeroizing<[u8; 64]>,
    public: [u8; 32],
}

/// Fresh Ed25519 material (PKCS#8 v1).
pub fn generate() -> Result<Zeroizing<Vec<u8>>, &'static str> {
    let pair = Ed25519KeyPair::generate().map_err(|_| "Ed25519 key generation failed")?;
    let doc = pair.to_pkcs8v1().map_err(|_| "Ed25519 PKCS#8 encoding failed")?;
    Ok(Zeroizing::new(doc.as_ref().to_vec()))
}

/// Opens PKCS#8 Ed25519 material; returns the key and its SubjectPublicKeyInfo.
pub fn open(material: &[u8]) -> Result<(Ed25519Key, Vec<u8>), &'static str> {
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(material).map_err(|_| "not an Ed25519 PKCS#8 private key")?;
    let seed = pair.seed().map_err(|_| "Ed25519 seed")?;
    let seed: Curve25519SeedBin<'_> = seed.as_be_bytes().map_err(|_| "Ed25519 seed")?;
    let public: [u8; 32] = pair.public_key().as_ref().try_into().map_err(|_| "Ed25519 public key length")?;
    let mut expanded = Zeroizing::new([0u8; 64]);
    if seed.as_ref().len() != 32 {
        return Err("Ed25519 seed length");
    }
    expanded[..32].copy_from_slice(seed.as_ref());
    expanded[32..].copy_from_slice(&public);
    let spki: PublicKeyX509Der<'_> = pair.public_key().as_der().map_err(|_| "Ed25519 public key encoding")?;
    let spki = spki.as_ref().to_vec();
    Ok((Ed25519Key { pair, expanded, public }, spki))
}

impl Ed25519Key {
    /// Signs: pure Ed25519 over the message, or Ed25519ph over the digest.
    pub fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, CryptoRefusal> {
        match alg {
            SigningAlgorithm::Ed25519Sha512 => {
                self.pair.try_sign(message).map(|s| s.as_ref().to_vec()).map_err(|_| CryptoRefusal::Invalid)
            }
            SigningAlgorithm::Ed25519PhSha512 => {
                aws_lc_ffi::ed25519ph_sign(&self.expanded, message).map(|s| s.to_vec()).ok_or(CryptoRefusal::Invalid)
            }
            _ => Err(CryptoRefusal::WrongAlgorithm),
        }
    }

    /// Verifies a signature made by [`Ed25519Key::sign`] or by anyone with the private key.
    pub fn verify(&self, alg: SigningAlgorithm, message: &[u8], sig: &[u8]) -> Result<(), CryptoRefusal> {
        let ok = match alg {
            SigningAlgorithm::Ed25519Sha512 => {
                UnparsedPublicKey::new(&signature::ED25519, &self.public).verify(message, sig).is_ok()
            }
            SigningAlgorithm::Ed25519PhSha512 => aws_lc_ffi::ed25519ph_verify(&self.public, message, sig),
            _ => return Err(CryptoRefusal::WrongAlgorithm),
        };
        if ok { Ok(()) } else { Err(CryptoRefusal::Invalid) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_and_prehash_sign_and_verify_and_differ() {
        let m = generate().unwrap();
        let (k, spki) = open(&m).unwrap();
        assert_eq!(spki.len(), 44, "RFC 8410 SubjectPublicKeyInfo");
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, b"msg");
        let pure = k.sign(SigningAlgorithm::Ed25519Sha512, b"msg").unwrap();
        let ph = k.sign(SigningAlgorithm::Ed25519PhSha512, digest.as_ref()).unwrap();
        assert_ne!(pure, ph);
        k.verify(SigningAlgorithm::Ed25519Sha512, b"msg", &pure).unwrap();
        k.verify(SigningAlgorithm::Ed25519PhSha512, digest.as_ref(), &ph).unwrap();
        assert_eq!(k.verify(SigningAlgorithm::Ed25519PhSha512, digest.as_ref(), &pure), Err(CryptoRefusal::Invalid));
        assert_eq!(k.verify(SigningAlgorithm::Ed25519Sha512, b"msG", &pure), Err(CryptoRefusal::Invalid));
        assert_eq!(k.sign(SigningAlgorithm::EcdsaSha256, b"m"), Err(CryptoRefusal::WrongAlgorithm));
    }
}
