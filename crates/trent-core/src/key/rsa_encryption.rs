//! RSA-OAEP encryption under RSA ENCRYPT_DECRYPT keys, shared by Encrypt,
//! Decrypt and ReEncrypt. The ciphertext is the bare OAEP output (modulus
//! length), as AWS returns it, so any RSA implementation can produce or read it.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::{KmsError, KmsResult};
use crate::key::cache::LoadedKey;
use crate::key::model::{EncryptionAlgorithm, KeyUsage};
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;

use crate::key::asymmetric::{is_rsa, wrong_algorithm, wrong_usage};

/// Whether `key` takes the RSA path (an RSA key, whatever its usage; the usage is checked later).
pub fn is_rsa_key(key: &LoadedKey) -> bool {
    is_rsa(key.record.key_spec)
}

/// Checks usage and algorithm; the algorithm defaults to SYMMETRIC_DEFAULT, which RSA keys refuse.
pub fn check(key: &LoadedKey, op: Operation, algorithm: Option<EncryptionAlgorithm>) -> KmsResult<EncryptionAlgorithm> {
    if key.record.key_usage != KeyUsage::EncryptDecrypt {
        return Err(wrong_usage(&key.record, op));
    }
    match algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault) {
        a @ (EncryptionAlgorithm::RsaesOaepSha1 | EncryptionAlgorithm::RsaesOaepSha256) => Ok(a),
        a => Err(wrong_algorithm(a.as_str(), key.record.key_spec)),
    }
}

/// Encrypts with the public key, within AWS's plaintext limit for the key size and algorithm.
pub fn encrypt(key: &LoadedKey, alg: EncryptionAlgorithm, plaintext: &[u8]) -> KmsResult<Vec<u8>> {
    let object = &crate::key::asymmetric::object(key)?.object;
    let crate::key::material::KeyObject::Rsa(rsa) = object else { return Err(KmsError::internal("not an RSA key")) };
    let max = crate::key::material::oaep_max_plaintext(rsa.modulus_len, alg);
    if plaintext.len() > max {
        return Err(KmsError::validation(format!(
            "Algorithm {alg} and key spec {} cannot encrypt data larger than {max} bytes.",
            key.record.key_spec
        )));
    }
    crate::key::material::rsa_encrypt(object, alg, plaintext)
        .map_err(|_| KmsError::internal("RSA-OAEP encryption failed"))
}

/// Decrypts with the private key (on the blocking pool); failure is InvalidCiphertextException.
pub async fn decrypt(
    key: &Arc<LoadedKey>,
    alg: EncryptionAlgorithm,
    ciphertext: Vec<u8>,
) -> KmsResult<Zeroizing<Vec<u8>>> {
    crate::key::asymmetric::run_private(key, move |k| {
        crate::key::material::rsa_decrypt(k, alg, &ciphertext).map_err(|_| KmsError::invalid_ciphertext())
    })
    .await
}
