//! Encapsulate: a fresh 32-byte shared secret and its ML-KEM encapsulated
//! form under the public half of an ENCAPSULATE_DECAPSULATE key.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::model::EncapsulationAlgorithm;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::{Blob, SecretBlob};
use crate::wire::validate::Validator;

/// Encapsulate request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub encapsulation_algorithm: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

/// Encapsulate response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    pub shared_secret: SecretBlob,
    pub shared_secret_ciphertext_blob: Blob,
    pub encapsulation_algorithm: &'static str,
}

/// Runs Encapsulate.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).required("encapsulationAlgorithm", &req.encapsulation_algorithm);
    let alg = v.enum_member::<EncapsulationAlgorithm>("encapsulationAlgorithm", req.encapsulation_algorithm.as_deref());
    v.grant_tokens(req.grant_tokens.as_deref());
    let (key_id, alg) = v.finish_with((req.key_id, alg))?;
    let key = kms.encapsulation_key(caller, Operation::Encapsulate, &key_id, req.grant_tokens.as_deref()).await?;
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let object = &crate::key::asymmetric::object(&key)?.object;
    let (secret, ciphertext) =
        crate::key::material::encapsulate(object).map_err(|_| KmsError::internal("ML-KEM encapsulation failed"))?;
    kms.record_key_use(&key.record, Operation::Encapsulate);
    Ok(Response {
        key_id: key.arn(),
        shared_secret: SecretBlob(secret),
        shared_secret_ciphertext_blob: Blob(ciphertext),
        encapsulation_algorithm: alg.as_str(),
    })
}
