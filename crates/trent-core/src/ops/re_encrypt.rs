//! ReEncrypt: decrypt under the source key and encrypt under the destination
//! key without the plaintext ever leaving Trent. Either side may be a
//! symmetric key or an RSA ENCRYPT_DECRYPT key.

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
use crate::wire::blob::Blob;
use crate::wire::validate::Validator;

/// ReEncrypt request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub ciphertext_blob: Option<Blob>,
    pub source_encryption_context: Option<EncryptionContext>,
    pub source_key_id: Option<String>,
    pub destination_key_id: Option<String>,
    pub destination_encryption_context: Option<EncryptionContext>,
    pub source_encryption_algorithm: Option<String>,
    pub destination_encryption_algorithm: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
    pub dry_run_modifiers: Option<Vec<String>>,
}

/// ReEncrypt response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub ciphertext_blob: Blob,
    pub source_key_id: String,
    pub key_id: String,
    pub source_encryption_algorithm: &'static str,
    pub destination_encryption_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key_material_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_key_material_id: Option<String>,
}

/// Runs ReEncrypt.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.required("ciphertextBlob", &req.ciphertext_blob)
        .blob_len("ciphertextBlob", req.ciphertext_blob.as_ref().map(|b| &b.0[..]), 1, 6144)
        .key_id("sourceKeyId", req.source_key_id.as_deref(), false)
        .key_id("destinationKeyId", req.destination_key_id.as_deref(), true);
    let requested_source =
        v.enum_member::<EncryptionAlgorithm>("sourceEncryptionAlgorithm", req.source_encryption_algorithm.as_deref());
    let requested_dest = v.enum_member::<EncryptionAlgorithm>(
        "destinationEncryptionAlgorithm",
        req.destination_encryption_algorithm.as_deref(),
    );
    v.grant_tokens(req.grant_tokens.as_deref());
    let (blob, dest_id) = v.finish_with((req.ciphertext_blob, req.destination_key_id))?;
    crate::wire::validate::encryption_context(req.source_encryption_context.as_ref())?;
    crate::wire::validate::encryption_context(req.destination_encryption_context.as_ref())?;
    let from = Access::new("ReEncryptFrom")
        .context(req.source_encryption_context.as_ref())
        .tokens(req.grant_tokens.as_deref())
        .algorithm("kms:EncryptionAlgorithm", requested_source.map(EncryptionAlgorithm::as_str));
    let to = Access::new("ReEncryptTo")
        .context(req.destination_encryption_context.as_ref())
        .tokens(req.grant_tokens.as_deref())
        .algorithm("kms:EncryptionAlgorithm", requested_dest.map(EncryptionAlgorithm::as_str));
    // An RSA source is named by SourceKeyId (its ciphertext carries no key id).
    let rsa_source = match req.source_key_id.as_deref() {
        Some(id) => Some(kms.resolve(caller, id, &from).await?).filter(|k| crate::key::rsa_encryption::is_rsa_key(k)),
        None => None,
    };
    let source = match &rsa_source {
        Some(k) => k.clone(),
        None => kms.resolve_ciphertext_key(caller, &blob.0, req.source_key_id.as_deref(), &from).await?,
    };
    let dest = kms.resolve(caller, &dest_id, &to).await?;
    kms.admit_key(caller, Operation::ReEncrypt, &source.record).await?;
    require_usable(&source.record)?;
    require_usable(&dest.record)?;
    let source_alg = if rsa_source.is_some() {
        crate::key::rsa_encryption::check(&source, Operation::ReEncrypt, requested_source)?
    } else {
        crate::key::symmetric::require_encrypt_key(&source, Operation::ReEncrypt, requested_source)?;
        EncryptionAlgorithm::SymmetricDefault
    };
    let dest_alg = if crate::key::rsa_encryption::is_rsa_key(&dest) {
        crate::key::rsa_encryption::check(&dest, Operation::ReEncrypt, requested_dest)?
    } else {
        crate::key::symmetric::require_encrypt_key(&dest, Operation::ReEncrypt, requested_dest)?;
        EncryptionAlgorithm::SymmetricDefault
    };
    let plaintext = if rsa_source.is_some() {
        crate::key::rsa_encryption::decrypt(&source, source_alg, blob.0.clone()).await?
    } else {
        crate::key::symmetric::decrypt(&source, &blob.0, req.source_encryption_context.as_ref())?
    };
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let out = if dest_alg == EncryptionAlgorithm::SymmetricDefault {
        crate::key::symmetric::encrypt(&dest, &plaintext, req.destination_encryption_context.as_ref())?
    } else {
        crate::key::rsa_encryption::encrypt(&dest, dest_alg, &plaintext)?
    };
    // Both keys were used (AWS records ReEncrypt on each).
    kms.record_key_use(&source.record, Operation::ReEncrypt);
    kms.record_key_use(&dest.record, Operation::ReEncrypt);
    let material_id = |alg: EncryptionAlgorithm, b: &[u8]| {
        (alg == EncryptionAlgorithm::SymmetricDefault).then(|| crate::key::symmetric::material_id_of(b)).flatten()
    };
    Ok(Response {
        destination_key_material_id: material_id(dest_alg, &out),
        source_key_material_id: material_id(source_alg, &blob.0),
        ciphertext_blob: Blob(out),
        source_key_id: source.arn(),
        key_id: dest.arn(),
        source_encryption_algorithm: source_alg.as_str(),
        destination_encryption_algorithm: dest_alg.as_str(),
    })
}
