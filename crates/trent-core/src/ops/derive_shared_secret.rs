//! DeriveSharedSecret: ECDH between a KEY_AGREEMENT key's private half and a
//! peer's public key (DER SubjectPublicKeyInfo); returns the raw shared secret.

use serde::{Deserialize, Serialize};

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::model::{KeyAgreementAlgorithm, KeyUsage};
use crate::key::state::require_usable;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::{Blob, SecretBlob};
use crate::wire::validate::Validator;

/// DeriveSharedSecret request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub key_agreement_algorithm: Option<String>,
    pub public_key: Option<Blob>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
    pub recipient: Option<serde_json::Value>,
}

/// DeriveSharedSecret response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    pub shared_secret: SecretBlob,
    pub key_agreement_algorithm: &'static str,
    pub key_origin: &'static str,
}

/// Runs DeriveSharedSecret.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).required("keyAgreementAlgorithm", &req.key_agreement_algorithm);
    let alg = v.enum_member::<KeyAgreementAlgorithm>("keyAgreementAlgorithm", req.key_agreement_algorithm.as_deref());
    v.required("publicKey", &req.public_key)
        .blob_len("publicKey", req.public_key.as_ref().map(|p| &p.0[..]), 1, 8192)
        .grant_tokens(req.grant_tokens.as_deref());
    let (key_id, alg, peer) = v.finish_with((req.key_id, alg, req.public_key))?;
    if req.recipient.is_some() {
        return Err(KmsError::new(
            crate::error::ErrorKind::UnsupportedOperation,
            "Trent does not support Recipient (attestation) yet.",
        ));
    }
    let access = Access::new("DeriveSharedSecret")
        .tokens(req.grant_tokens.as_deref())
        .algorithm("kms:KeyAgreementAlgorithm", Some(alg.as_str()));
    let key = kms.resolve(caller, &key_id, &access).await?;
    kms.admit_key(caller, Operation::DeriveSharedSecret, &key.record).await?;
    require_usable(&key.record)?;
    crate::key::asymmetric::require_usage(&key.record, KeyUsage::KeyAgreement, Operation::DeriveSharedSecret)?;
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let object = &crate::key::asymmetric::object(&key)?.object;
    // AWS answers a public key it cannot use (bad encoding, another curve) with a bare ValidationException.
    let secret = crate::key::material::ecdh(object, &peer.0).map_err(|_| KmsError::validation(""))?;
    kms.record_key_use(&key.record, Operation::DeriveSharedSecret);
    Ok(Response {
        key_id: key.arn(),
        shared_secret: SecretBlob(secret),
        key_agreement_algorithm: alg.as_str(),
        key_origin: key.record.origin.as_str(),
    })
}
