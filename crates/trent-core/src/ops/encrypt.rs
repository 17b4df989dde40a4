//! Encrypt: up to 4096 bytes under a symmetric key, or RSA-OAEP under an RSA
//! key within AWS's plaintext limit for the key size and algorithm.

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

/// Encrypt request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub plaintext: Option<SecretBlob>,
    pub encryption_context: Option<EncryptionContext>,
    pub grant_tokens: Option<Vec<String>>,
    pub encryption_algorithm: Option<String>,
    pub dry_run: Option<bool>,
}

/// Encrypt response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub ciphertext_blob: Blob,
    pub key_id: String,
    pub encryption_algorithm: &'static str,
}

/// Runs Encrypt.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true)
        .required("plaintext", &req.plaintext)
        .blob_len("plaintext", req.plaintext.as_ref().map(|p| &p.0[..]), 1, 4096)
        .grant_tokens(req.grant_tokens.as_deref());
    let requested = v.enum_member::<EncryptionAlgorithm>("encryptionAlgorithm", req.encryption_algorithm.as_deref());
    let (key_id, plaintext) = v.finish_with((req.key_id, req.plaintext))?;
    crate::wire::validate::encryption_context(req.encryption_context.as_ref())?;
    let access =
        Access::new("Encrypt").context(req.encryption_context.as_ref()).tokens(req.grant_tokens.as_deref()).algorithm(
            "kms:EncryptionAlgorithm",
            Some(requested.unwrap_or(EncryptionAlgorithm::SymmetricDefault).as_str()),
        );
    let key = kms.resolve(caller, &key_id, &access).await?;
    kms.admit_key(caller, Operation::Encrypt, &key.record).await?;
    require_usable(&key.record)?;
    if crate::key::rsa_encryption::is_rsa_key(&key) {
        let alg = crate::key::rsa_encryption::check(&key, Operation::Encrypt, requested)?;
        if req.dry_run == Some(true) {
            return Err(KmsError::dry_run());
        }
        let blob = crate::key::rsa_encryption::encrypt(&key, alg, &plaintext.0)?;
        kms.record_key_use(&key.record, Operation::Encrypt);
        return Ok(Response { ciphertext_blob: Blob(blob), key_id: key.arn(), encryption_algorithm: alg.as_str() });
    }
    crate::key::symmetric::require_encrypt_key(&key, Operation::Encrypt, requested)?;
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let blob = crate::key::symmetric::encrypt(&key, &plaintext.0, req.encryption_context.as_ref())?;
    kms.record_key_use(&key.record, Operation::Encrypt);
    Ok(Response { ciphertext_blob: Blob(blob), key_id: key.arn(), encryption_algorithm: "SYMMETRIC_DEFAULT" })
}
