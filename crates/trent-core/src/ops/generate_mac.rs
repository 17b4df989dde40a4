//! GenerateMac: an HMAC of a message (up to 4096 bytes) under an HMAC key.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::{Blob, SecretBlob};
use crate::wire::validate::Validator;

/// GenerateMac request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub message: Option<SecretBlob>,
    pub key_id: Option<String>,
    pub mac_algorithm: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

/// GenerateMac response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub mac: Blob,
    pub mac_algorithm: &'static str,
    pub key_id: String,
}

/// Runs GenerateMac.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let message = req.message.as_ref().map(|m| &m.0[..]);
    let mut v = Validator::new();
    let alg = crate::key::mac::validate(
        &mut v,
        req.key_id.as_deref(),
        message,
        req.mac_algorithm.as_deref(),
        req.grant_tokens.as_deref(),
    );
    let (key_id, message, alg) = v.finish_with((req.key_id.as_deref(), message, alg))?;
    let key = kms.mac_key(caller, Operation::GenerateMac, key_id, alg, req.grant_tokens.as_deref()).await?;
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let object = &crate::key::asymmetric::object(&key)?.object;
    let mac = crate::key::material::mac(object, message).map_err(|_| KmsError::internal("HMAC failed"))?;
    kms.record_key_use(&key.record, Operation::GenerateMac);
    Ok(Response { mac: Blob(mac), mac_algorithm: alg.as_str(), key_id: key.arn() })
}
