//! GenerateDataKeyPair: a fresh RSA or ECC key pair for use outside KMS; the
//! public key in DER SubjectPublicKeyInfo, the PKCS#8 private key in plaintext
//! and encrypted under a symmetric KMS key. Each KeyPairSpec has its own quota.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::cache::LoadedKey;
use crate::key::encryption_context::EncryptionContext;
use crate::key::model::{DataKeyPairSpec, KeySpec};
use crate::key::state::require_usable;
use crate::kms::{Kms, key_class};
use crate::operation::Operation;
use crate::quota::admission::Charge;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::{Blob, SecretBlob};
use crate::wire::validate::Validator;

/// GenerateDataKeyPair request (also used by GenerateDataKeyPairWithoutPlaintext).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub encryption_context: Option<EncryptionContext>,
    pub key_id: Option<String>,
    pub key_pair_spec: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
    pub recipient: Option<serde_json::Value>,
    pub dry_run: Option<bool>,
}

/// GenerateDataKeyPair response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub private_key_ciphertext_blob: Blob,
    pub private_key_plaintext: SecretBlob,
    pub public_key: Blob,
    pub key_id: String,
    pub key_pair_spec: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// The key spec whose generator makes pairs of `spec`, if Trent makes them.
fn pair_key_spec(spec: DataKeyPairSpec) -> Option<KeySpec> {
    Some(match spec {
        DataKeyPairSpec::Rsa2048 => KeySpec::Rsa2048,
        DataKeyPairSpec::Rsa3072 => KeySpec::Rsa3072,
        DataKeyPairSpec::Rsa4096 => KeySpec::Rsa4096,
        DataKeyPairSpec::EccNistP256 => KeySpec::EccNistP256,
        DataKeyPairSpec::EccNistP384 => KeySpec::EccNistP384,
        DataKeyPairSpec::EccNistP521 => KeySpec::EccNistP521,
        DataKeyPairSpec::EccSecgP256k1 => KeySpec::EccSecgP256k1,
        DataKeyPairSpec::EccNistEdwards25519 => KeySpec::EccNistEdwards25519,
        _ => return None,
    })
}

/// A generated pair: the KMS key, private key plaintext and ciphertext, public key, spec.
pub(crate) struct Made {
    pub key: std::sync::Arc<LoadedKey>,
    pub private_plaintext: Zeroizing<Vec<u8>>,
    pub private_ciphertext: Vec<u8>,
    pub public_key: Vec<u8>,
    pub spec: DataKeyPairSpec,
}

/// Validates, resolves, charges the pair spec's quota and makes the pair; shared by both operations.
pub(crate) async fn make(kms: &Kms, caller: &Caller, op: Operation, req: Request) -> KmsResult<Made> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).required("keyPairSpec", &req.key_pair_spec);
    let spec = v.enum_member::<DataKeyPairSpec>("keyPairSpec", req.key_pair_spec.as_deref());
    v.grant_tokens(req.grant_tokens.as_deref());
    let (key_id, spec) = v.finish_with((req.key_id, spec))?;
    crate::wire::validate::encryption_context(req.encryption_context.as_ref())?;
    let access = Access::new(op.name()).context(req.encryption_context.as_ref()).tokens(req.grant_tokens.as_deref());
    let key = kms.resolve(caller, &key_id, &access).await?;
    kms.admit_charge(&Charge {
        caller,
        operation: op,
        key: Some(key_class(&key.record)),
        key_pair_spec: Some(spec),
        custom_key_store_id: None,
    })
    .await?;
    require_usable(&key.record)?;
    crate::key::symmetric::require_encrypt_key(&key, op, None)?;
    let Some(key_spec) = pair_key_spec(spec) else {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            format!("Trent does not support KeyPairSpec {spec} yet."),
        ));
    };
    if req.recipient.is_some() {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            "Trent does not support Recipient (attestation) yet.",
        ));
    }
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let (private_plaintext, public_key) =
        tokio::task::spawn_blocking(move || crate::key::material::generate_pair(key_spec))
            .await
            .map_err(|e| KmsError::internal(format!("key pair generation task failed: {e}")))??;
    let private_ciphertext = crate::key::symmetric::encrypt(&key, &private_plaintext, req.encryption_context.as_ref())?;
    kms.record_key_use(&key.record, op);
    Ok(Made { key, private_plaintext, private_ciphertext, public_key, spec })
}

/// Runs GenerateDataKeyPair.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let m = make(kms, caller, Operation::GenerateDataKeyPair, req).await?;
    Ok(Response {
        key_material_id: crate::key::symmetric::material_id_of(&m.private_ciphertext),
        private_key_ciphertext_blob: Blob(m.private_ciphertext),
        private_key_plaintext: SecretBlob(m.private_plaintext),
        public_key: Blob(m.public_key),
        key_id: m.key.arn(),
        key_pair_spec: m.spec.as_str(),
    })
}
