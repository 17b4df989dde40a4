//! GenerateDataKey: a fresh data key, returned in plaintext and encrypted
//! under a symmetric KMS key (the heart of envelope encryption).

use serde::{Deserialize, Serialize};

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::cache::LoadedKey;
use crate::key::encryption_context::EncryptionContext;
use crate::key::model::DataKeySpec;
use crate::key::state::require_usable;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::blob::{Blob, SecretBlob};
use crate::wire::validate::Validator;

/// GenerateDataKey request (also used by GenerateDataKeyWithoutPlaintext).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub encryption_context: Option<EncryptionContext>,
    pub number_of_bytes: Option<i64>,
    pub key_spec: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

/// GenerateDataKey response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub ciphertext_blob: Blob,
    pub plaintext: SecretBlob,
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// Validates, resolves, charges and makes the data key; shared by both operations.
pub(crate) async fn make(
    kms: &Kms,
    caller: &Caller,
    op: Operation,
    req: Request,
) -> KmsResult<(std::sync::Arc<LoadedKey>, SecretBlob, Vec<u8>)> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).int_range("numberOfBytes", req.number_of_bytes, 1, 1024);
    let spec = v.enum_member::<DataKeySpec>("keySpec", req.key_spec.as_deref());
    v.grant_tokens(req.grant_tokens.as_deref());
    let key_id = v.finish_with(req.key_id)?;
    crate::wire::validate::encryption_context(req.encryption_context.as_ref())?;
    let n = match (req.number_of_bytes, spec) {
        (Some(n), None) => n as usize,
        (None, Some(DataKeySpec::Aes256)) => 32,
        (None, Some(DataKeySpec::Aes128)) => 16,
        _ => return Err(KmsError::validation("Please specify either number of bytes or key spec.")),
    };
    let access = Access::new(op.name()).context(req.encryption_context.as_ref()).tokens(req.grant_tokens.as_deref());
    let key = kms.resolve(caller, &key_id, &access).await?;
    kms.admit_key(caller, op, &key.record).await?;
    require_usable(&key.record)?;
    crate::key::symmetric::require_encrypt_key(&key, op, None)?;
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let data_key = crate::key::crypto::random_bytes(n)?;
    let blob = crate::key::symmetric::encrypt(&key, &data_key, req.encryption_context.as_ref())?;
    kms.record_key_use(&key.record, op);
    Ok((key, SecretBlob(data_key), blob))
}

/// Runs GenerateDataKey.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let (key, plaintext, blob) = make(kms, caller, Operation::GenerateDataKey, req).await?;
    Ok(Response {
        key_material_id: crate::key::symmetric::material_id_of(&blob),
        ciphertext_blob: Blob(blob),
        plaintext,
        key_id: key.arn(),
    })
}
