//! Decrypt: the key comes from the ciphertext; KeyId, if given, must match.
//! RSA ciphertexts carry no key, so for them KeyId names the RSA key.

use serde::{Deserialize, Serialize};

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::encryption_context::EncryptionContext;
use crate::key::model::EncryptionAlgorithm;
use crate::key::state::require_usable;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::{Blob, SecretBlob};
use crate::wire::validate::Validator;

/// Decrypt request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub ciphertext_blob: Option<Blob>,
    pub encryption_context: Option<EncryptionContext>,
    pub grant_tokens: Option<Vec<String>>,
    pub key_id: Option<String>,
    pub encryption_algorithm: Option<String>,
    pub dry_run: Option<bool>,
    pub dry_run_modifiers: Option<Vec<String>>,
}

/// Decrypt response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    pub plaintext: SecretBlob,
    pub encryption_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// Runs Decrypt.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let ignore_ciphertext = req.dry_run == Some(true)
        && req.dry_run_modifiers.as_deref().unwrap_or_default().iter().any(|m| m == "IGNORE_CIPHERTEXT");
    let mut v = Validator::new();
    if !ignore_ciphertext {
        v.required("ciphertextBlob", &req.ciphertext_blob);
    }
    v.blob_len("ciphertextBlob", req.ciphertext_blob.as_ref().map(|b| &b.0[..]), 1, 6144)
        .key_id("keyId", req.key_id.as_deref(), false)
        .grant_tokens(req.grant_tokens.as_deref());
    let requested = v.enum_member::<EncryptionAlgorithm>("encryptionAlgorithm", req.encryption_algorithm.as_deref());
    v.finish()?;
    crate::wire::validate::encryption_context(req.encryption_context.as_ref())?;
    let access =
        Access::new("Decrypt").context(req.encryption_context.as_ref()).tokens(req.grant_tokens.as_deref()).algorithm(
            "kms:EncryptionAlgorithm",
            Some(requested.unwrap_or(EncryptionAlgorithm::SymmetricDefault).as_str()),
        );
    // The blob is required unless the dry run ignores it, so an absent one means that dry run.
    let Some(blob) = req.ciphertext_blob else {
        let key_id = req.key_id.as_deref().ok_or_else(KmsError::invalid_ciphertext)?;
        let key = kms.resolve(caller, key_id, &access).await?;
        kms.admit_key(caller, Operation::Decrypt, &key.record).await?;
        require_usable(&key.record)?;
        return Err(KmsError::dry_run());
    };
    if let Some(key_id) = req.key_id.as_deref() {
        let key = kms.resolve(caller, key_id, &access).await?;
        if crate::key::rsa_encryption::is_rsa_key(&key) {
            kms.admit_key(caller, Operation::Decrypt, &key.record).await?;
            require_usable(&key.record)?;
            let alg = crate::key::rsa_encryption::check(&key, Operation::Decrypt, requested)?;
            if req.dry_run == Some(true) {
                return Err(KmsError::dry_run());
            }
            let plaintext = crate::key::rsa_encryption::decrypt(&key, alg, blob.0).await?;
            kms.record_key_use(&key.record, Operation::Decrypt);
            return Ok(Response {
                key_id: key.arn(),
                plaintext: SecretBlob(plaintext),
                encryption_algorithm: alg.as_str(),
                key_material_id: None,
            });
        }
    }
    let key = kms.resolve_ciphertext_key(caller, &blob.0, req.key_id.as_deref(), &access).await?;
    kms.admit_key(caller, Operation::Decrypt, &key.record).await?;
    require_usable(&key.record)?;
    crate::key::symmetric::require_encrypt_key(&key, Operation::Decrypt, requested)?;
    let plaintext = crate::key::symmetric::decrypt(&key, &blob.0, req.encryption_context.as_ref())?;
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    kms.record_key_use(&key.record, Operation::Decrypt);
    Ok(Response {
        key_id: key.arn(),
        plaintext: SecretBlob(plaintext),
        encryption_algorithm: "SYMMETRIC_DEFAULT",
        key_material_id: crate::key::symmetric::material_id_of(&blob.0),
    })
}
