//! Asymmetric and HMAC key material, all on aws-lc-rs: generating it, opening
//! it into ready-to-use key objects, and the primitives the operations need
//! (sign, verify, RSA-OAEP, ECDH, HMAC, ML-KEM). Ed25519, ML-DSA and ML-KEM
//! keys live in `ed25519.rs`, `ml_dsa.rs` and `ml_kem.rs`; this file routes to them.
//!
//! RSA, EC, Ed25519 and ML-DSA material is kept as an unencrypted PKCS#8 v1
//! document (sealed under the root key like symmetric material); HMAC material
//! is the raw key, ML-KEM material the FIPS 203 decapsulation key.
//! Opening parses once, so a request only runs the primitive.

use aws_lc_rs::agreement;
use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, KeyPair, ParsedPublicKey, RsaKeyPair,
};
use zeroize::Zeroizing;

use crate::error::{KmsError, KmsResult};
use crate::key::model::{EncryptionAlgorithm, KeySpec, KeyUsage, MacAlgorithm, SigningAlgorithm};

pub use crate::key::crypto_refusal::CryptoRefusal;

/// Digest length in bytes of a signing algorithm's hash (for DIGEST messages).
pub fn digest_len(alg: SigningAlgorithm) -> Option<usize> {
    digest_alg(alg).map(|d| d.output_len())
}

fn digest_alg(alg: SigningAlgorithm) -> Option<&'static digest::Algorithm> {
    use SigningAlgorithm::*;
    match alg {
        RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 => Some(&digest::SHA256),
        RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => Some(&digest::SHA384),
        RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 => Some(&digest::SHA512),
        _ => None,
    }
}

fn rsa_signing(
    alg: SigningAlgorithm,
) -> Option<(&'static dyn signature::RsaEncoding, &'static signature::RsaParameters)> {
    use SigningAlgorithm::*;
    Some(match alg {
        RsassaPssSha256 => (&signature::RSA_PSS_SHA256, &signature::RSA_PSS_2048_8192_SHA256),
        RsassaPssSha384 => (&signature::RSA_PSS_SHA384, &signature::RSA_PSS_2048_8192_SHA384),
        RsassaPssSha512 => (&signature::RSA_PSS_SHA512, &signature::RSA_PSS_2048_8192_SHA512),
        RsassaPkcs1V15Sha256 => (&signature::RSA_PKCS1_SHA256, &signature::RSA_PKCS1_2048_8192_SHA256),
        RsassaPkcs1V15Sha384 => (&signature::RSA_PKCS1_SHA384, &signature::RSA_PKCS1_2048_8192_SHA384),
        RsassaPkcs1V15Sha512 => (&signature::RSA_PKCS1_SHA512, &signature::RSA_PKCS1_2048_8192_SHA512),
        _ => return None,
    })
}

/// The ECDSA signing and verification algorithms AWS pairs with each curve.
fn ecdsa_algs(spec: KeySpec) -> Option<(&'static EcdsaSigningAlgorithm, &'static EcdsaVerificationAlgorithm)> {
    Some(match spec {
        KeySpec::EccNistP256 => (&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &signature::ECDSA_P256_SHA256_ASN1),
        KeySpec::EccNistP384 => (&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &signature::ECDSA_P384_SHA384_ASN1),
        KeySpec::EccNistP521 => (&signature::ECDSA_P521_SHA512_ASN1_SIGNING, &signature::ECDSA_P521_SHA512_ASN1),
        KeySpec::EccSecgP256k1 => (&signature::ECDSA_P256K1_SHA256_ASN1_SIGNING, &signature::ECDSA_P256K1_SHA256_ASN1),
        _ => return None,
    })
}

/// The one ECDSA signing algorithm AWS offers for each curve.
pub fn ecdsa_signing_algorithm(spec: KeySpec) -> Option<SigningAlgorithm> {
    match spec {
        KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => Some(SigningAlgorithm::EcdsaSha256),
        KeySpec::EccNistP384 => Some(SigningAlgorithm::EcdsaSha384),
        KeySpec::EccNistP521 => Some(SigningAlgorithm::EcdsaSha512),
        _ => None,
    }
}

fn ecdh_alg(spec: KeySpec) -> Option<&'static agreement::Algorithm> {
    Some(match spec {
        KeySpec::EccNistP256 => &agreement::ECDH_P256,
        KeySpec::EccNistP384 => &agreement::ECDH_P384,
        KeySpec::EccNistP521 => &agreement::ECDH_P521,
        _ => return None,
    })
}

fn hmac_alg(spec: KeySpec) -> Option<(hmac::Algorithm, MacAlgorithm)> {
    Some(match spec {
        KeySpec::Hmac224 => (hmac::HMAC_SHA224, MacAlgorithm::HmacSha224),
        KeySpec::Hmac256 => (hmac::HMAC_SHA256, MacAlgorithm::HmacSha256),
        KeySpec::Hmac384 => (hmac::HMAC_SHA384, MacAlgorithm::HmacSha384),
        KeySpec::Hmac512 => (hmac::HMAC_SHA512, MacAlgorithm::HmacSha512),
        _ => return None,
    })
}

/// Lengths AWS accepts for HMAC key material (bytes, inclusive): the key
/// must be at least the digest length and at most the hash's block size.
pub fn hmac_material_range(spec: KeySpec) -> Option<(usize, usize)> {
    Some(match spec {
        KeySpec::Hmac224 => (28, 64),
        KeySpec::Hmac256 => (32, 64),
        KeySpec::Hmac384 => (48, 128),
        KeySpec::Hmac512 => (64, 128),
        _ => return None,
    })
}

/// The OAEP parameters of an RSA encryption algorithm.
pub fn oaep_alg(alg: EncryptionAlgorithm) -> Option<&'static OaepAlgorithm> {
    match alg {
        EncryptionAlgorithm::RsaesOaepSha1 => Some(&OAEP_SHA1_MGF1SHA1),
        EncryptionAlgorithm::RsaesOaepSha256 => Some(&OAEP_SHA256_MGF1SHA256),
        _ => None,
    }
}

/// Largest plaintext RSA-OAEP can encrypt: modulus − 2·hash − 2 bytes.
pub fn oaep_max_plaintext(modulus_len: usize, alg: EncryptionAlgorithm) -> usize {
    let h = if alg == EncryptionAlgorithm::RsaesOaepSha1 { 20 } else { 32 };
    modulus_len.saturating_sub(2 * h + 2)
}

fn rsa_size(spec: KeySpec) -> Option<KeySize> {
    match spec {
        KeySpec::Rsa2048 => Some(KeySize::Rsa2048),
        KeySpec::Rsa3072 => Some(KeySize::Rsa3072),
        KeySpec::Rsa4096 => Some(KeySize::Rsa4096),
        _ => None,
    }
}

fn internal(what: &str) -> KmsError {
    KmsError::internal(what.to_owned())
}

/// Makes fresh material for a non-symmetric key spec: PKCS#8 for RSA and EC,
/// random bytes of the digest length for HMAC. RSA generation is slow: call
/// it off the async threads.
pub fn generate(spec: KeySpec) -> KmsResult<Zeroizing<Vec<u8>>> {
    if let Some(size) = rsa_size(spec) {
        let pair = RsaKeyPair::generate(size).map_err(|_| internal("RSA key generation failed"))?;
        let der: aws_lc_rs::encoding::Pkcs8V1Der<'_> =
            pair.as_der().map_err(|_| internal("RSA PKCS#8 encoding failed"))?;
        return Ok(Zeroizing::new(der.as_ref().to_vec()));
    }
    if let Some((sign_alg, _)) = ecdsa_algs(spec) {
        let pair = EcdsaKeyPair::generate(sign_alg).map_err(|_| internal("EC key generation failed"))?;
        let doc = pair.to_pkcs8v1().map_err(|_| internal("EC PKCS#8 encoding failed"))?;
        return Ok(Zeroizing::new(doc.as_ref().to_vec()));
    }
    if let Some((alg, _)) = hmac_alg(spec) {
        return crate::key::crypto::random_bytes(alg.digest_algorithm().output_len());
    }
    match spec {
        KeySpec::EccNistEdwards25519 => crate::key::ed25519::generate().map_err(internal),
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => crate::key::ml_dsa::generate(spec).map_err(internal),
        KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => {
            crate::key::ml_kem::generate(spec).map_err(internal)
        }
        _ => Err(internal("no material generator for this key spec")),
    }
}

/// An RSA key: its signing or decrypting half (by key usage) and public parts.
pub struct RsaKey {
    signing: Option<RsaKeyPair>,
    decrypting: Option<OaepPrivateDecryptingKey>,
    encrypting: OaepPublicEncryptingKey,
    verifiers: Vec<(SigningAlgorithm, ParsedPublicKey)>,
    /// Modulus length in bytes.
    pub modulus_len: usize,
}

/// An ECDSA key with its parsed public key.
pub struct EcdsaKey {
    pair: EcdsaKeyPair,
    alg: SigningAlgorithm,
    verifier: ParsedPublicKey,
}

/// The ready-to-use form of non-symmetric material.
pub enum KeyObject {
    /// RSA_2048/3072/4096.
    Rsa(Box<RsaKey>),
    /// ECC keys with SIGN_VERIFY.
    Ecdsa(Box<EcdsaKey>),
    /// NIST ECC keys with KEY_AGREEMENT.
    Ecdh(Box<agreement::PrivateKey>),
    /// HMAC keys.
    Hmac(Box<hmac::Key>),
    /// ECC_NIST_EDWARDS25519 keys.
    Ed25519(Box<crate::key::ed25519::Ed25519Key>),
    /// ML_DSA_44/65/87 keys.
    MlDsa(Box<crate::key::ml_dsa::MlDsaKey>),
    /// ML_KEM_512/768/1024 keys.
    MlKem(Box<crate::key::ml_kem::MlKemKey>),
}

impl std::fmt::Debug for KeyObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyObject::Rsa(_) => "KeyObject::Rsa(..)",
            KeyObject::Ecdsa(_) => "KeyObject::Ecdsa(..)",
            KeyObject::Ecdh(_) => "KeyObject::Ecdh(..)",
            KeyObject::Hmac(_) => "KeyObject::Hmac(..)",
            KeyObject::Ed25519(_) => "KeyObject::Ed25519(..)",
            KeyObject::MlDsa(_) => "KeyObject::MlDsa(..)",
            KeyObject::MlKem(_) => "KeyObject::MlKem(..)",
        })
    }
}

/// The loaded key object plus its SubjectPublicKeyInfo (empty for HMAC).
#[derive(Debug)]
pub struct LoadedMaterial {
    /// The key object.
    pub object: KeyObject,
    /// DER SubjectPublicKeyInfo of the public key (asymmetric keys only).
    pub public_der: Vec<u8>,
}

const RSA_SIGNING_ALGS: [SigningAlgorithm; 6] = [
    SigningAlgorithm::RsassaPssSha256,
    SigningAlgorithm::RsassaPssSha384,
    SigningAlgorithm::RsassaPssSha512,
    SigningAlgorithm::RsassaPkcs1V15Sha256,
    SigningAlgorithm::RsassaPkcs1V15Sha384,
    SigningAlgorithm::RsassaPkcs1V15Sha512,
];

impl LoadedMaterial {
    /// Opens material of `spec` for `usage`. Fails (as a refusal, not a
    /// fault) if the material is not a valid key of that spec, which is how
    /// imported material is checked.
    pub fn open(spec: KeySpec, usage: KeyUsage, material: &[u8]) -> Result<Self, &'static str> {
        if let Some(size) = rsa_size(spec) {
            let pair = RsaKeyPair::from_pkcs8(material).map_err(|_| "not an RSA PKCS#8 private key")?;
            let modulus_len = pair.public_modulus_len();
            if modulus_len != size.len() {
                return Err("RSA key size does not match the key spec");
            }
            let spki: PublicKeyX509Der<'_> = pair.public_key().as_der().map_err(|_| "RSA public key encoding")?;
            let public_der = spki.as_ref().to_vec();
            let encrypting = PublicEncryptingKey::from_der(&public_der)
                .ok()
                .and_then(|k| OaepPublicEncryptingKey::new(k).ok())
                .ok_or("RSA public key")?;
            let mut verifiers = Vec::new();
            let mut signing = None;
            let mut decrypting = None;
            if usage == KeyUsage::SignVerify {
                for alg in RSA_SIGNING_ALGS {
                    let (_, params) = rsa_signing(alg).ok_or("RSA algorithm table")?;
                    verifiers.push((alg, ParsedPublicKey::new(params, &public_der).map_err(|_| "RSA public key")?));
                }
                signing = Some(pair);
            } else {
                let private =
                    PrivateDecryptingKey::from_pkcs8(material).map_err(|_| "not an RSA PKCS#8 private key")?;
                decrypting = Some(OaepPrivateDecryptingKey::new(private).map_err(|_| "RSA private key")?);
            }
            let object = KeyObject::Rsa(Box::new(RsaKey { signing, decrypting, encrypting, verifiers, modulus_len }));
            return Ok(Self { object, public_der });
        }
        if let Some((sign_alg, verify_alg)) = ecdsa_algs(spec) {
            let pair = EcdsaKeyPair::from_pkcs8(sign_alg, material)
                .map_err(|_| "not an EC PKCS#8 private key of this curve")?;
            let spki: PublicKeyX509Der<'_> = pair.public_key().as_der().map_err(|_| "EC public key encoding")?;
            let public_der = spki.as_ref().to_vec();
            if usage == KeyUsage::KeyAgreement {
                let alg = ecdh_alg(spec).ok_or("key agreement is not available for this curve")?;
                let key = agreement::PrivateKey::from_private_key_der(alg, material).map_err(|_| "EC private key")?;
                return Ok(Self { object: KeyObject::Ecdh(Box::new(key)), public_der });
            }
            let verifier = ParsedPublicKey::new(verify_alg, &public_der).map_err(|_| "EC public key")?;
            let alg = ecdsa_signing_algorithm(spec).ok_or("EC spec")?;
            return Ok(Self { object: KeyObject::Ecdsa(Box::new(EcdsaKey { pair, alg, verifier })), public_der });
        }
        if let Some((alg, _)) = hmac_alg(spec) {
            let (min, max) = hmac_material_range(spec).ok_or("HMAC spec")?;
            if material.len() < min || material.len() > max {
                return Err("HMAC key material has the wrong length for the key spec");
            }
            return Ok(Self {
                object: KeyObject::Hmac(Box::new(hmac::Key::new(alg, material))),
                public_der: Vec::new(),
            });
        }
        match spec {
            KeySpec::EccNistEdwards25519 => {
                let (key, public_der) = crate::key::ed25519::open(material)?;
                Ok(Self { object: KeyObject::Ed25519(Box::new(key)), public_der })
            }
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => {
                let (key, public_der) = crate::key::ml_dsa::open(spec, material)?;
                Ok(Self { object: KeyObject::MlDsa(Box::new(key)), public_der })
            }
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => {
                let (key, public_der) = crate::key::ml_kem::open(spec, material)?;
                Ok(Self { object: KeyObject::MlKem(Box::new(key)), public_der })
            }
            _ => Err("unsupported key spec"),
        }
    }
}

/// Signs `message` (or, with `is_digest`, the given digest; for ML-DSA the
/// given 64-byte mu) with a SIGN_VERIFY key.
pub fn sign(
    object: &KeyObject,
    alg: SigningAlgorithm,
    message: &[u8],
    is_digest: bool,
) -> Result<Vec<u8>, CryptoRefusal> {
    match object {
        KeyObject::Ed25519(k) => return k.sign(alg, message),
        KeyObject::MlDsa(k) if alg == SigningAlgorithm::MlDsaShake256 => return k.sign(message, is_digest),
        _ => {}
    }
    let d = digest_alg(alg).ok_or(CryptoRefusal::WrongAlgorithm)?;
    let digest = if is_digest {
        Some(Digest::import_less_safe(message, d).map_err(|_| CryptoRefusal::DigestLength)?)
    } else {
        None
    };
    match object {
        KeyObject::Rsa(k) => {
            let pair = k.signing.as_ref().ok_or(CryptoRefusal::WrongAlgorithm)?;
            let (enc, _) = rsa_signing(alg).ok_or(CryptoRefusal::WrongAlgorithm)?;
            let mut sig = vec![0u8; pair.public_modulus_len()];
            let r = match &digest {
                Some(dg) => pair.sign_digest(enc, dg, &mut sig),
                None => pair.sign(enc, &SystemRandom::new(), message, &mut sig),
            };
            r.map_err(|_| CryptoRefusal::Invalid)?;
            Ok(sig)
        }
        KeyObject::Ecdsa(k) => {
            if k.alg != alg {
                return Err(CryptoRefusal::WrongAlgorithm);
            }
            let sig = match &digest {
                Some(dg) => k.pair.sign_digest(dg),
                None => k.pair.sign(&SystemRandom::new(), message),
            };
            sig.map(|s| s.as_ref().to_vec()).map_err(|_| CryptoRefusal::Invalid)
        }
        _ => Err(CryptoRefusal::WrongAlgorithm),
    }
}

/// Verifies a signature made by [`sign`] or by anyone holding the private key.
pub fn verify(
    object: &KeyObject,
    alg: SigningAlgorithm,
    message: &[u8],
    is_digest: bool,
    sig: &[u8],
) -> Result<(), CryptoRefusal> {
    match object {
        KeyObject::Ed25519(k) => return k.verify(alg, message, sig),
        KeyObject::MlDsa(k) if alg == SigningAlgorithm::MlDsaShake256 => return k.verify(message, is_digest, sig),
        _ => {}
    }
    let d = digest_alg(alg).ok_or(CryptoRefusal::WrongAlgorithm)?;
    let verifier = match object {
        KeyObject::Rsa(k) => {
            k.verifiers.iter().find(|(a, _)| *a == alg).map(|(_, v)| v).ok_or(CryptoRefusal::WrongAlgorithm)?
        }
        KeyObject::Ecdsa(k) => {
            if k.alg != alg {
                return Err(CryptoRefusal::WrongAlgorithm);
            }
            &k.verifier
        }
        _ => return Err(CryptoRefusal::WrongAlgorithm),
    };
    let r = if is_digest {
        let dg = Digest::import_less_safe(message, d).map_err(|_| CryptoRefusal::DigestLength)?;
        verifier.verify_digest_sig(&dg, sig)
    } else {
        verifier.verify_sig(message, sig)
    };
    r.map_err(|_| CryptoRefusal::Invalid)
}

/// RSA-OAEP encryption with the key's public half.
pub fn rsa_encrypt(object: &KeyObject, alg: EncryptionAlgorithm, plaintext: &[u8]) -> Result<Vec<u8>, CryptoRefusal> {
    let KeyObject::Rsa(k) = object else { return Err(CryptoRefusal::WrongAlgorithm) };
    let oaep = oaep_alg(alg).ok_or(CryptoRefusal::WrongAlgorithm)?;
    let mut out = vec![0u8; k.encrypting.ciphertext_size()];
    let n = k.encrypting.encrypt(oaep, plaintext, &mut out, None).map_err(|_| CryptoRefusal::Invalid)?.len();
    out.truncate(n);
    Ok(out)
}

/// RSA-OAEP decryption with the key's private half.
pub fn rsa_decrypt(
    object: &KeyObject,
    alg: EncryptionAlgorithm,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoRefusal> {
    let KeyObject::Rsa(k) = object else { return Err(CryptoRefusal::WrongAlgorithm) };
    let key = k.decrypting.as_ref().ok_or(CryptoRefusal::WrongAlgorithm)?;
    let oaep = oaep_alg(alg).ok_or(CryptoRefusal::WrongAlgorithm)?;
    let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
    let n = key.decrypt(oaep, ciphertext, &mut out, None).map_err(|_| CryptoRefusal::Invalid)?.len();
    out.truncate(n);
    Ok(out)
}

/// ECDH with a peer's SubjectPublicKeyInfo; the raw shared secret (x coordinate).
pub fn ecdh(object: &KeyObject, peer_spki: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoRefusal> {
    let KeyObject::Ecdh(k) = object else { return Err(CryptoRefusal::WrongAlgorithm) };
    // AWS takes only DER SubjectPublicKeyInfo, never a bare point.
    if peer_spki.first() != Some(&0x30) {
        return Err(CryptoRefusal::Invalid);
    }
    let peer = agreement::UnparsedPublicKey::new(k.algorithm(), peer_spki);
    agreement::agree(k, peer, CryptoRefusal::Invalid, |s| Ok(Zeroizing::new(s.to_vec())))
}

/// ML-KEM encapsulation with the key's public half: (shared secret, ciphertext).
pub fn encapsulate(object: &KeyObject) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), CryptoRefusal> {
    let KeyObject::MlKem(k) = object else { return Err(CryptoRefusal::WrongAlgorithm) };
    k.encapsulate()
}

/// ML-KEM decapsulation with the key's private half.
pub fn decapsulate(object: &KeyObject, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoRefusal> {
    let KeyObject::MlKem(k) = object else { return Err(CryptoRefusal::WrongAlgorithm) };
    k.decapsulate(ciphertext)
}

/// HMAC of `message` with an HMAC key.
pub fn mac(object: &KeyObject, message: &[u8]) -> Result<Vec<u8>, CryptoRefusal> {
    let KeyObject::Hmac(k) = object else { return Err(CryptoRefusal::WrongAlgorithm) };
    Ok(hmac::sign(k, message).as_ref().to_vec())
}

/// Constant-time HMAC check.
pub fn verify_mac(object: &KeyObject, message: &[u8], tag: &[u8]) -> Result<(), CryptoRefusal> {
    let KeyObject::Hmac(k) = object else { return Err(CryptoRefusal::WrongAlgorithm) };
    hmac::verify(k, message, tag).map_err(|_| CryptoRefusal::Invalid)
}

/// The MAC algorithm of an HMAC key spec.
pub fn mac_algorithm(spec: KeySpec) -> Option<MacAlgorithm> {
    hmac_alg(spec).map(|(_, m)| m)
}

/// A data key pair: PKCS#8 private key and SubjectPublicKeyInfo.
pub fn generate_pair(spec: KeySpec) -> KmsResult<(Zeroizing<Vec<u8>>, Vec<u8>)> {
    let private = generate(spec)?;
    let usage = KeyUsage::SignVerify;
    let loaded = LoadedMaterial::open(spec, usage, &private).map_err(internal)?;
    Ok((private, loaded.public_der))
}

/// RSA PKCS#8 → (private key for OAEP decryption, SPKI); for import wrapping keys.
pub fn rsa_wrapping_key(pkcs8: &[u8]) -> KmsResult<(PrivateDecryptingKey, Vec<u8>)> {
    let key = PrivateDecryptingKey::from_pkcs8(pkcs8).map_err(|_| internal("bad wrapping key"))?;
    let spki: PublicKeyX509Der<'_> = key.public_key().as_der().map_err(|_| internal("wrapping key encoding"))?;
    let der = spki.as_ref().to_vec();
    Ok((key, der))
}

/// Encodes an RSA key pair as PKCS#8 (used for the wrapping keys of imports).
pub fn rsa_pkcs8(pair: &RsaKeyPair) -> KmsResult<Zeroizing<Vec<u8>>> {
    let der: Pkcs8V1Der<'_> = pair.as_der().map_err(|_| internal("RSA PKCS#8 encoding failed"))?;
    Ok(Zeroizing::new(der.as_ref().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_and_hmac_round_trip() {
        for spec in [KeySpec::EccNistP256, KeySpec::EccSecgP256k1] {
            let m = generate(spec).unwrap();
            let k = LoadedMaterial::open(spec, KeyUsage::SignVerify, &m).unwrap();
            let sig = sign(&k.object, SigningAlgorithm::EcdsaSha256, b"hello", false).unwrap();
            verify(&k.object, SigningAlgorithm::EcdsaSha256, b"hello", false, &sig).unwrap();
            let d = digest::digest(&digest::SHA256, b"hello");
            verify(&k.object, SigningAlgorithm::EcdsaSha256, d.as_ref(), true, &sig).unwrap();
            assert_eq!(
                verify(&k.object, SigningAlgorithm::EcdsaSha256, b"hellO", false, &sig),
                Err(CryptoRefusal::Invalid)
            );
            assert_eq!(
                sign(&k.object, SigningAlgorithm::EcdsaSha256, b"short", true),
                Err(CryptoRefusal::DigestLength)
            );
            assert_eq!(sign(&k.object, SigningAlgorithm::EcdsaSha384, b"x", false), Err(CryptoRefusal::WrongAlgorithm));
        }
        let m = generate(KeySpec::Hmac384).unwrap();
        assert_eq!(m.len(), 48);
        let k = LoadedMaterial::open(KeySpec::Hmac384, KeyUsage::GenerateVerifyMac, &m).unwrap();
        let t = mac(&k.object, b"m").unwrap();
        assert_eq!(t.len(), 48);
        verify_mac(&k.object, b"m", &t).unwrap();
        assert!(LoadedMaterial::open(KeySpec::Hmac384, KeyUsage::GenerateVerifyMac, &[0u8; 47]).is_err());
    }

    #[test]
    fn ecdh_agrees() {
        let a = generate(KeySpec::EccNistP256).unwrap();
        let b = generate(KeySpec::EccNistP256).unwrap();
        let ka = LoadedMaterial::open(KeySpec::EccNistP256, KeyUsage::KeyAgreement, &a).unwrap();
        let kb = LoadedMaterial::open(KeySpec::EccNistP256, KeyUsage::KeyAgreement, &b).unwrap();
        let s1 = ecdh(&ka.object, &kb.public_der).unwrap();
        let s2 = ecdh(&kb.object, &ka.public_der).unwrap();
        assert_eq!(&s1[..], &s2[..]);
        assert_eq!(s1.len(), 32);
    }

    #[test]
    fn oaep_limits_match_aws() {
        assert_eq!(oaep_max_plaintext(256, EncryptionAlgorithm::RsaesOaepSha1), 214);
        assert_eq!(oaep_max_plaintext(256, EncryptionAlgorithm::RsaesOaepSha256), 190);
        assert_eq!(oaep_max_plaintext(384, EncryptionAlgorithm::RsaesOaepSha1), 342);
        assert_eq!(oaep_max_plaintext(512, EncryptionAlgorithm::RsaesOaepSha256), 446);
    }
}
