//! Symmetric encryption under a KMS key, shared by Encrypt, Decrypt,
//! ReEncrypt and the GenerateDataKey family.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::authz::{Access, cross_account_action};
use crate::caller::Caller;
use crate::ciphertext::{self, SymmetricBlob};
use crate::encryption_context::{EncryptionContext, canonical_bytes};
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::keyring::LoadedKey;
use crate::model::{EncryptionAlgorithm, KeySpec, KeyUsage};
use crate::operation::Operation;
use crate::service::Kms;

/// Checks that `key` can do symmetric encryption for `op` with `algorithm`
/// (AWS's InvalidKeyUsageException wording for the wrong usage or algorithm).
pub fn require_encrypt_key(key: &LoadedKey, op: Operation, algorithm: Option<&str>) -> KmsResult<()> {
    if key.record.key_usage != KeyUsage::EncryptDecrypt {
        return Err(super::asymmetric::wrong_usage(&key.record, op));
    }
    let alg = algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault.as_str());
    if key.record.key_spec != KeySpec::SymmetricDefault || alg != EncryptionAlgorithm::SymmetricDefault.as_str() {
        return Err(super::asymmetric::wrong_algorithm(alg, key.record.key_spec));
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

/// The key a ciphertext names, resolved for the caller. A blob that is not
/// ours, or whose key is unknown to the caller, is InvalidCiphertextException.
pub async fn key_of_blob(
    kms: &Kms,
    caller: &Caller,
    blob: &[u8],
    requested: Option<&str>,
    access: &Access<'_>,
) -> KmsResult<Arc<LoadedKey>> {
    let parsed = SymmetricBlob::parse(blob).ok_or_else(KmsError::invalid_ciphertext)?;
    let blob_key_id = parsed.key_id();
    if let Some(req) = requested {
        let key = kms.resolve(caller, req, access).await?;
        if key.record.key_id != blob_key_id {
            return Err(KmsError::new(
                ErrorKind::IncorrectKey,
                "The key ID in the request does not identify a CMK that can perform this operation.",
            ));
        }
        return Ok(key);
    }
    // Without KeyId the ciphertext names the key, which may belong to another
    // account of the same region (cross-account Decrypt and ReEncrypt).
    match kms.load_key(&blob_key_id).await? {
        Some(k)
            if k.record.region == caller.region
                && (k.record.account_id == caller.account_id || cross_account_action(access.action)) =>
        {
            kms.authorize(caller, &k, access, None).await?;
            Ok(k)
        }
        _ => Err(KmsError::invalid_ciphertext()),
    }
}

/// Decrypts a blob with `key` (already resolved by [`key_of_blob`]).
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
