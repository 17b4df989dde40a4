//! Symmetric encryption under a KMS key, shared by Encrypt, Decrypt,
//! ReEncrypt and the GenerateDataKey family.

use zeroize::Zeroizing;

use crate::error::{KmsError, KmsResult};
use crate::key::cache::LoadedKey;
use crate::key::ciphertext::{self, SymmetricBlob};
use crate::key::encryption_context::{EncryptionContext, canonical_bytes};
use crate::key::model::{EncryptionAlgorithm, KeySpec, KeyUsage};
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;

/// Checks that `key` can do symmetric encryption for `op` with `algorithm`
/// (AWS's InvalidKeyUsageException wording for the wrong usage or algorithm).
pub fn require_encrypt_key(key: &LoadedKey, op: Operation, algorithm: Option<EncryptionAlgorithm>) -> KmsResult<()> {
    if key.record.key_usage != KeyUsage::EncryptDecrypt {
        return Err(crate::key::asymmetric::wrong_usage(&key.record, op));
    }
    let alg = algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault);
    if key.record.key_spec != KeySpec::SymmetricDefault || alg != EncryptionAlgorithm::SymmetricDefault {
        return Err(crate::key::asymmetric::wrong_algorithm(alg.as_str(), key.record.key_spec));
    }
    Ok(())
}

/// Encrypts `plaintext` under the key's current material into a ciphertext blob.
pub fn encrypt(key: &LoadedKey, plaintext: &[u8], ctx: Option<&EncryptionContext>) -> KmsResult<Vec<u8>> {
    let (material_id, aes) = key.current_symmetric().ok_or_else(|| KmsError::internal("key has no material"))?;
    let mut blob = Vec::with_capacity(ciphertext::OVERHEAD + plaintext.len());
    ciphertext::write_header(&key.record.key_id, material_id, &mut blob)
        .ok_or_else(|| KmsError::internal("key id is not a UUID"))?;
    let mut aad = Vec::with_capacity(ciphertext::HEADER_LEN + 64);
    aad.extend_from_slice(&blob);
    canonical_bytes(ctx, &mut aad);
    aes.seal_into(&aad, plaintext, &mut blob)?;
    Ok(blob)
}

/// Decrypts a blob with `key` (already resolved by `Kms::resolve_ciphertext_key`).
pub fn decrypt(key: &LoadedKey, blob: &[u8], ctx: Option<&EncryptionContext>) -> KmsResult<Zeroizing<Vec<u8>>> {
    let parsed = SymmetricBlob::parse(blob).ok_or_else(KmsError::invalid_ciphertext)?;
    let aes = key.symmetric_by_id(&parsed.material_id).ok_or_else(KmsError::invalid_ciphertext)?;
    let mut aad = Vec::with_capacity(ciphertext::HEADER_LEN + 64);
    aad.extend_from_slice(parsed.header);
    canonical_bytes(ctx, &mut aad);
    aes.open(&aad, parsed.sealed).ok_or_else(KmsError::invalid_ciphertext)
}

/// The 64-hex-character id of the material a blob was made with.
pub fn material_id_of(blob: &[u8]) -> Option<String> {
    SymmetricBlob::parse(blob).map(|b| hex::encode(b.material_id))
}

/// The 64-hex-character id of the key's current material.
pub fn current_material_id(key: &LoadedKey) -> Option<String> {
    key.current_symmetric().map(|(id, _)| hex::encode(id))
}
