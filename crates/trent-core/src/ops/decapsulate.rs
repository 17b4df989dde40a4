//! Decapsulate: the shared secret of an ML-KEM encapsulated secret, with the
//! private half of an ENCAPSULATE_DECAPSULATE key. A ciphertext of the key
//! spec's length always yields 32 bytes (implicit rejection, as in AWS); any
//! other length is InvalidCiphertextException.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::model::EncapsulationAlgorithm;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::{Blob, SecretBlob};
use crate::wire::validate::Validator;

/// Decapsulate request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub shared_secret_ciphertext_blob: Option<Blob>,
    pub encapsulation_algorithm: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

/// Decapsulate response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    pub shared_secret: SecretBlob,
    pub encapsulation_algorithm: &'static str,
}

/// Runs Decapsulate.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true)
        .required("sharedSecretCiphertextBlob", &req.shared_secret_ciphertext_blob)
        .blob_len("sharedSecretCiphertextBlob", req.shared_secret_ciphertext_blob.as_ref().map(|b| &b.0[..]), 1, 6144)
        .required("encapsulationAlgorithm", &req.encapsulation_algorithm);
    let alg = v.enum_member::<EncapsulationAlgorithm>("encapsulationAlgorithm", req.encapsulation_algorithm.as_deref());
    v.grant_tokens(req.grant_tokens.as_deref());
    let (key_id, ciphertext, alg) = v.finish_with((req.key_id, req.shared_secret_ciphertext_blob, alg))?;
    let key = kms.encapsulation_key(caller, Operation::Decapsulate, &key_id, req.grant_tokens.as_deref()).await?;
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let object = &crate::key::asymmetric::object(&key)?.object;
    let secret =
        crate::key::material::decapsulate(object, &ciphertext.0).map_err(|_| KmsError::invalid_ciphertext())?;
    kms.record_key_use(&key.record, Operation::Decapsulate);
    Ok(Response { key_id: key.arn(), shared_secret: SecretBlob(secret), encapsulation_algorithm: alg.as_str() })
}
