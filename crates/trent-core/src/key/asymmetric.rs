//! What RSA, ECC and HMAC keys share across operations: which key usages
//! each spec allows, the algorithm lists AWS reports, AWS's key-usage errors,
//! and running slow private-key work off the async threads.

use std::sync::Arc;

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::cache::LoadedKey;
use crate::key::material::{KeyObject, LoadedMaterial};
use crate::key::model::{KeyRecord, KeySpec, KeyUsage, SigningAlgorithm};
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;

/// Key specs Trent can create, and the usages AWS allows for each.
pub fn allowed_usages(spec: KeySpec) -> Option<&'static [KeyUsage]> {
    use KeySpec::*;
    Some(match spec {
        SymmetricDefault => &[KeyUsage::EncryptDecrypt],
        Rsa2048 | Rsa3072 | Rsa4096 => &[KeyUsage::EncryptDecrypt, KeyUsage::SignVerify],
        EccNistP256 | EccNistP384 | EccNistP521 => &[KeyUsage::SignVerify, KeyUsage::KeyAgreement],
        EccSecgP256k1 | EccNistEdwards25519 | MlDsa44 | MlDsa65 | MlDsa87 => &[KeyUsage::SignVerify],
        MlKem512 | MlKem768 | MlKem1024 => &[KeyUsage::EncapsulateDecapsulate],
        Hmac224 | Hmac256 | Hmac384 | Hmac512 => &[KeyUsage::GenerateVerifyMac],
        _ => return None,
    })
}

/// Whether the spec is one of the RSA specs.
pub fn is_rsa(spec: KeySpec) -> bool {
    matches!(spec, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096)
}

/// The algorithm lists DescribeKey and GetPublicKey report for a key.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Algorithms {
    /// `EncryptionAlgorithms` (ENCRYPT_DECRYPT keys).
    pub encryption: Option<Vec<&'static str>>,
    /// `SigningAlgorithms` (SIGN_VERIFY keys).
    pub signing: Option<Vec<&'static str>>,
    /// `MacAlgorithms` (HMAC keys).
    pub mac: Option<Vec<&'static str>>,
    /// `KeyAgreementAlgorithms` (KEY_AGREEMENT keys).
    pub key_agreement: Option<Vec<&'static str>>,
    /// `EncapsulationAlgorithms` (ENCAPSULATE_DECAPSULATE keys).
    pub encapsulation: Option<Vec<&'static str>>,
}

/// The algorithms AWS lists for a key of `spec` and `usage`.
pub fn algorithms(spec: KeySpec, usage: KeyUsage) -> Algorithms {
    let mut a = Algorithms::default();
    match usage {
        KeyUsage::EncryptDecrypt if spec == KeySpec::SymmetricDefault => a.encryption = Some(vec!["SYMMETRIC_DEFAULT"]),
        KeyUsage::EncryptDecrypt => a.encryption = Some(vec!["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]),
        KeyUsage::SignVerify if is_rsa(spec) => {
            a.signing = Some(vec![
                "RSASSA_PSS_SHA_256",
                "RSASSA_PSS_SHA_384",
                "RSASSA_PSS_SHA_512",
                "RSASSA_PKCS1_V1_5_SHA_256",
                "RSASSA_PKCS1_V1_5_SHA_384",
                "RSASSA_PKCS1_V1_5_SHA_512",
            ])
        }
        KeyUsage::SignVerify if spec == KeySpec::EccNistEdwards25519 => {
            a.signing = Some(crate::key::ed25519::ALGORITHMS.iter().map(|s| s.as_str()).collect());
        }
        KeyUsage::SignVerify if spec.family() == crate::key::model::KeyFamily::MlDsa => {
            a.signing = Some(vec![SigningAlgorithm::MlDsaShake256.as_str()]);
        }
        KeyUsage::SignVerify => {
            a.signing = crate::key::material::ecdsa_signing_algorithm(spec).map(|s| vec![s.as_str()]);
        }
        KeyUsage::GenerateVerifyMac => a.mac = crate::key::material::mac_algorithm(spec).map(|m| vec![m.as_str()]),
        KeyUsage::KeyAgreement => a.key_agreement = Some(vec!["ECDH"]),
        KeyUsage::EncapsulateDecapsulate => a.encapsulation = Some(vec![crate::key::ml_kem::ALGORITHM]),
    }
    a
}

/// AWS's InvalidKeyUsageException for a key used for the wrong purpose.
pub fn wrong_usage(key: &KeyRecord, op: Operation) -> KmsError {
    KmsError::new(
        ErrorKind::InvalidKeyUsage,
        format!("{} key usage is {} which is not valid for {}.", key.arn(), key.key_usage, op.name()),
    )
}

/// AWS's InvalidKeyUsageException for an algorithm the key does not offer.
pub fn wrong_algorithm(alg: &str, spec: KeySpec) -> KmsError {
    KmsError::new(ErrorKind::InvalidKeyUsage, format!("Algorithm {alg} is incompatible with key spec {spec}."))
}

/// Checks the key's usage for `op`.
pub fn require_usage(key: &KeyRecord, usage: KeyUsage, op: Operation) -> KmsResult<()> {
    if key.key_usage != usage {
        return Err(wrong_usage(key, op));
    }
    Ok(())
}

/// The parsed key object of a usable non-symmetric key.
pub fn object(key: &LoadedKey) -> KmsResult<&LoadedMaterial> {
    key.asymmetric
        .as_ref()
        .ok_or_else(|| KmsError::internal(format!("{} has no loaded key material", key.record.key_id)))
}

/// Runs private-key work (RSA above all) on the crypto pool so the async
/// threads keep serving requests.
pub async fn blocking<R, F>(key: Arc<LoadedKey>, work: F) -> KmsResult<R>
where
    R: Send + 'static,
    F: FnOnce(&KeyObject) -> KmsResult<R> + Send + 'static,
{
    crate::key::crypto_pool::run(move || {
        let m = object(&key)?;
        work(&m.object)
    })
    .await
}

/// Whether the key's private operations are slow enough to need the blocking pool.
pub fn is_slow(spec: KeySpec) -> bool {
    is_rsa(spec)
}

/// Runs `work` inline for fast keys and on the blocking pool for RSA.
pub async fn run_private<R, F>(key: &Arc<LoadedKey>, work: F) -> KmsResult<R>
where
    R: Send + 'static,
    F: FnOnce(&KeyObject) -> KmsResult<R> + Send + 'static,
{
    if is_slow(key.record.key_spec) { blocking(key.clone(), work).await } else { work(&object(key)?.object) }
}
