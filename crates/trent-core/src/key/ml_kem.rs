//! `ML_KEM_512/768/1024` keys (FIPS 203), algorithm `ML_KEM`, for Encapsulate
//! and Decapsulate. The material is the decapsulation key in FIPS 203's
//! encoding (imported material may also be a PKCS#8 document, seed or expanded); the public key is the encapsulation key in a SubjectPublicKeyInfo
//! with the NIST algorithm identifier (id-alg-ml-kem-512/768/1024, no
//! parameters), which aws-lc-rs does not encode, so it is built here.

use aws_lc_rs::kem::{self, Algorithm, AlgorithmId, Ciphertext, DecapsulationKey, EncapsulationKey};
use zeroize::Zeroizing;

use crate::key::crypto_refusal::CryptoRefusal;
use crate::key::model::KeySpec;

/// The one encapsulation algorithm AWS offers.
pub const ALGORITHM: &str = "ML_KEM";

/// The aws-lc-rs algorithm and the last arc of the NIST OID of an ML-KEM key spec.
fn algorithm(spec: KeySpec) -> Option<(&'static Algorithm<AlgorithmId>, u8)> {
    Some(match spec {
        KeySpec::MlKem512 => (&kem::ML_KEM_512, 1),
        KeySpec::MlKem768 => (&kem::ML_KEM_768, 2),
        KeySpec::MlKem1024 => (&kem::ML_KEM_1024, 3),
        _ => return None,
    })
}

/// Length of the encapsulated secret (ciphertext) of each spec (FIPS 203 table 3).
pub fn ciphertext_len(spec: KeySpec) -> Option<usize> {
    Some(match spec {
        KeySpec::MlKem512 => 768,
        KeySpec::MlKem768 => 1088,
        KeySpec::MlKem1024 => 1568,
        _ => return None,
    })
}

/// Length of the expanded decapsulation key of each spec (FIPS 203 table 3).
fn decapsulation_key_len(spec: KeySpec) -> Option<usize> {
    Some(match spec {
        KeySpec::MlKem512 => 1632,
        KeySpec::MlKem768 => 2400,
        KeySpec::MlKem1024 => 3168,
        _ => return None,
    })
}

/// An opened ML-KEM key pair.
pub struct MlKemKey {
    decapsulation: DecapsulationKey<AlgorithmId>,
    encapsulation: EncapsulationKey<AlgorithmId>,
    spec: KeySpec,
}

/// Fresh ML-KEM material (the decapsulation key).
pub fn generate(spec: KeySpec) -> Result<Zeroizing<Vec<u8>>, &'static str> {
    let (alg, _) = algorithm(spec).ok_or("not an ML-KEM key spec")?;
    let key = DecapsulationKey::generate(alg).map_err(|_| "ML-KEM key generation failed")?;
    let bytes = key.key_bytes().map_err(|_| "ML-KEM key encoding failed")?;
    Ok(Zeroizing::new(bytes.as_ref().to_vec()))
}

/// DER length octets.
fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

/// SubjectPublicKeyInfo of an encapsulation key:
/// `SEQUENCE { SEQUENCE { OID 2.16.840.1.101.3.4.4.n }, BIT STRING ek }`.
pub fn spki(oid_last_arc: u8, encapsulation_key: &[u8]) -> Vec<u8> {
    let alg_id = [0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, oid_last_arc];
    let mut bits = vec![0x03];
    der_len(&mut bits, encapsulation_key.len() + 1);
    bits.push(0);
    bits.extend_from_slice(encapsulation_key);
    let mut out = vec![0x30];
    der_len(&mut out, alg_id.len() + bits.len());
    out.extend_from_slice(&alg_id);
    out.extend_from_slice(&bits);
    out
}

/// Opens ML-KEM material of `spec`; returns the key and its SubjectPublicKeyInfo.
pub fn open(spec: KeySpec, material: &[u8]) -> Result<(MlKemKey, Vec<u8>), &'static str> {
    let (alg, arc) = algorithm(spec).ok_or("not an ML-KEM key spec")?;
    // Imported material may be a PKCS#8 document (RFC's seed or expanded form);
    // the raw key has a fixed length per spec, which tells the two apart.
    let expanded;
    let material = if material.len() == decapsulation_key_len(spec).ok_or("not an ML-KEM key spec")? {
        material
    } else {
        expanded = crate::key::aws_lc_ffi::raw_private_key_from_pkcs8(material).ok_or("not an ML-KEM private key")?;
        &expanded[..]
    };
    let decapsulation = DecapsulationKey::new(alg, material).map_err(|_| "not an ML-KEM key of this spec")?;
    // FIPS 203 dk = dk_PKE (384·k bytes) ‖ ek (384·k + 32) ‖ H(ek) ‖ z; a key
    // made from raw bytes has no encapsulation key in aws-lc-rs, so take it from there.
    let dk_pke_len = 384 * usize::from(arc + 1);
    let ek = material.get(dk_pke_len..2 * dk_pke_len + 32).ok_or("ML-KEM decapsulation key length")?;
    let encapsulation = EncapsulationKey::new(alg, ek).map_err(|_| "ML-KEM encapsulation key")?;
    let der = spki(arc, ek);
    Ok((MlKemKey { decapsulation, encapsulation, spec }, der))
}

impl MlKemKey {
    /// A fresh 32-byte shared secret and its encapsulated form.
    pub fn encapsulate(&self) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), CryptoRefusal> {
        let (ct, secret) = self.encapsulation.encapsulate().map_err(|_| CryptoRefusal::Invalid)?;
        Ok((Zeroizing::new(secret.as_ref().to_vec()), ct.as_ref().to_vec()))
    }

    /// The shared secret of an encapsulated secret. Any ciphertext of the right
    /// length gives 32 bytes (FIPS 203 implicit rejection); another length is refused.
    pub fn decapsulate(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoRefusal> {
        if Some(ciphertext.len()) != ciphertext_len(self.spec) {
            return Err(CryptoRefusal::Invalid);
        }
        let secret =
            self.decapsulation.decapsulate(Ciphertext::from(ciphertext)).map_err(|_| CryptoRefusal::Invalid)?;
        Ok(Zeroizing::new(secret.as_ref().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encapsulate_then_decapsulate_agrees_and_spki_has_the_nist_oid() {
        for (spec, ek_len) in [(KeySpec::MlKem512, 800), (KeySpec::MlKem768, 1184), (KeySpec::MlKem1024, 1568)] {
            let m = generate(spec).unwrap();
            let (k, der) = open(spec, &m).unwrap();
            assert_eq!(der.len(), 4 + 13 + 5 + ek_len);
            assert_eq!(&der[6..15], &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04]);
            let (secret, ct) = k.encapsulate().unwrap();
            assert_eq!(secret.len(), 32);
            assert_eq!(Some(ct.len()), ciphertext_len(spec));
            assert_eq!(&k.decapsulate(&ct).unwrap()[..], &secret[..]);
            let mut bad = ct.clone();
            bad[0] ^= 1;
            let other = k.decapsulate(&bad).unwrap();
            assert_eq!(other.len(), 32);
            assert_ne!(&other[..], &secret[..]);
            assert_eq!(k.decapsulate(&ct[1..]).err(), Some(CryptoRefusal::Invalid));
        }
    }

    #[test]
    fn opens_the_seed_only_pkcs8_other_libraries_write() {
        // The RFC's seed form for ML-KEM-768 (what Python's cryptography writes), seed 0..64.
        let mut der = hex::decode("3054020100300b060960864801650304040204428040").unwrap();
        der.extend(0u8..64);
        let (k, spki) = open(KeySpec::MlKem768, &der).unwrap();
        assert_eq!(spki.len(), 4 + 13 + 5 + 1184);
        let (secret, ct) = k.encapsulate().unwrap();
        assert_eq!(&k.decapsulate(&ct).unwrap()[..], &secret[..]);
        assert!(open(KeySpec::MlKem512, &der).is_err(), "another spec's key");
    }
}
