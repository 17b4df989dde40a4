//! `ML_DSA_44/65/87` keys (FIPS 204), algorithm `ML_DSA_SHAKE_256`: pure
//! ML-DSA with an empty context over a RAW message (up to 4096 bytes), or over
//! an externally computed 64-byte mu (`EXTERNAL_MU`) for longer messages;
//! both give the same signature for the same message. The material is
//! aws-lc-rs's PKCS#8 v1 document; the public key its SubjectPublicKeyInfo.

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::signature::{
    self, KeyPair, PqdsaKeyPair, PqdsaSigningAlgorithm, PqdsaVerificationAlgorithm, UnparsedPublicKey,
};
use zeroize::Zeroizing;

use crate::key::aws_lc_ffi;
use crate::key::crypto_refusal::CryptoRefusal;
use crate::key::model::KeySpec;

/// Length of an external mu (FIPS 204 §6.2).
pub const MU_LEN: usize = 64;

/// The aws-lc-rs signing and verification algorithms of an ML-DSA key spec.
pub fn algorithm(spec: KeySpec) -> Option<(&'static PqdsaSigningAlgorithm, &'static PqdsaVerificationAlgorithm)> {
    Some(match spec {
        KeySpec::MlDsa44 => (&signature::ML_DSA_44_SIGNING, &signature::ML_DSA_44),
        KeySpec::MlDsa65 => (&signature::ML_DSA_65_SIGNING, &signature::ML_DSA_65),
        KeySpec::MlDsa87 => (&signature::ML_DSA_87_SIGNING, &signature::ML_DSA_87),
        _ => return None,
    })
}

/// An opened ML-DSA key.
pub struct MlDsaKey {
    pair: PqdsaKeyPair,
    alg: &'static PqdsaSigningAlgorithm,
    verify_alg: &'static PqdsaVerificationAlgorithm,
    /// The PKCS#8 document, which the external-mu primitive parses itself.
    pkcs8: Zeroizing<Vec<u8>>,
    spki: Vec<u8>,
}

/// Fresh ML-DSA material (PKCS#8 v1).
pub fn generate(spec: KeySpec) -> Result<Zeroizing<Vec<u8>>, &'static str> {
    let (alg, _) = algorithm(spec).ok_or("not an ML-DSA key spec")?;
    let pair = PqdsaKeyPair::generate(alg).map_err(|_| "ML-DSA key generation failed")?;
    let doc = pair.to_pkcs8v1().map_err(|_| "ML-DSA PKCS#8 encoding failed")?;
    Ok(Zeroizing::new(doc.as_ref().to_vec()))
}

/// Opens PKCS#8 ML-DSA material of `spec`; returns the key and its SubjectPublicKeyInfo.
pub fn open(spec: KeySpec, material: &[u8]) -> Result<(MlDsaKey, Vec<u8>), &'static str> {
    let (alg, verify_alg) = algorithm(spec).ok_or("not an ML-DSA key spec")?;
    let pair = PqdsaKeyPair::from_pkcs8(alg, material).map_err(|_| "not an ML-DSA PKCS#8 private key of this spec")?;
    let spki: PublicKeyX509Der<'_> = pair.public_key().as_der().map_err(|_| "ML-DSA public key encoding")?;
    let spki = spki.as_ref().to_vec();
    let key = MlDsaKey { pair, alg, verify_alg, pkcs8: Zeroizing::new(material.to_vec()), spki: spki.clone() };
    Ok((key, spki))
}

impl MlDsaKey {
    /// Signs a RAW message, or a 64-byte mu with `external_mu`.
    pub fn sign(&self, message: &[u8], external_mu: bool) -> Result<Vec<u8>, CryptoRefusal> {
        if external_mu {
            if message.len() != MU_LEN {
                return Err(CryptoRefusal::DigestLength);
            }
            return aws_lc_ffi::ml_dsa_sign_mu(&self.pkcs8, message, self.alg.signature_len())
                .ok_or(CryptoRefusal::Invalid);
        }
        let mut sig = vec![0u8; self.alg.signature_len()];
        let n = self.pair.sign(message, &mut sig).map_err(|_| CryptoRefusal::Invalid)?;
        sig.truncate(n);
        Ok(sig)
    }

    /// Verifies a signature over a RAW message, or over a 64-byte mu with `external_mu`.
    pub fn verify(&self, message: &[u8], external_mu: bool, sig: &[u8]) -> Result<(), CryptoRefusal> {
        if external_mu {
            if message.len() != MU_LEN {
                return Err(CryptoRefusal::DigestLength);
            }
            return if aws_lc_ffi::ml_dsa_verify_mu(&self.spki, message, sig) {
                Ok(())
            } else {
                Err(CryptoRefusal::Invalid)
            };
        }
        UnparsedPublicKey::new(self.verify_alg, self.pair.public_key().as_ref())
            .verify(message, sig)
            .map_err(|_| CryptoRefusal::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_external_mu_agree() {
        let m = generate(KeySpec::MlDsa44).unwrap();
        let (k, spki) = open(KeySpec::MlDsa44, &m).unwrap();
        assert!(spki.len() > 1312);
        let sig = k.sign(b"message", false).unwrap();
        assert_eq!(sig.len(), 2420);
        k.verify(b"message", false, &sig).unwrap();
        assert_eq!(k.verify(b"messagE", false, &sig), Err(CryptoRefusal::Invalid));
        let mu = [7u8; 64];
        let s = k.sign(&mu, true).unwrap();
        k.verify(&mu, true, &s).unwrap();
        assert_eq!(k.verify(&[8u8; 64], true, &s), Err(CryptoRefusal::Invalid));
        assert_eq!(k.sign(&[0u8; 32], true), Err(CryptoRefusal::DigestLength));
        assert!(open(KeySpec::MlDsa65, &m).is_err());
    }

    #[test]
    fn opens_the_seed_only_pkcs8_other_libraries_write() {
        // RFC 9881's seed form (what Python's cryptography writes) for ML-DSA-44, seed 0..32.
        let mut der = hex::decode("3034020100300b0609608648016503040311042280 20".replace(' ', "")).unwrap();
        der.extend(0u8..32);
        let (k, _) = open(KeySpec::MlDsa44, &der).unwrap();
        let sig = k.sign(b"m", false).unwrap();
        k.verify(b"m", false, &sig).unwrap();
    }
}
