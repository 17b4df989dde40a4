//! VerifyMac: recomputes the HMAC and compares in constant time; a mismatch
//! is KMSInvalidMacException, as in AWS.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::{Blob, SecretBlob};
use crate::wire::validate::Validator;

/// VerifyMac request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub message: Option<SecretBlob>,
    pub key_id: Option<String>,
    pub mac_algorithm: Option<String>,
    pub mac: Option<Blob>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

/// VerifyMac response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    pub mac_valid: bool,
    pub mac_algorithm: &'static str,
}

/// Runs VerifyMac.
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
    let tag = req.mac.as_ref().map(|m| &m.0[..]);
    v.required("mac", &tag).blob_len("mac", tag, 1, 6144);
    let (key_id, message, alg, tag) = v.finish_with((req.key_id.as_deref(), message, alg, tag))?;
    let key = kms.mac_key(caller, Operation::VerifyMac, key_id, alg, req.grant_tokens.as_deref()).await?;
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let object = &crate::key::asymmetric::object(&key)?.object;
    crate::key::material::verify_mac(object, message, tag).map_err(|_| KmsError::bare(ErrorKind::KmsInvalidMac))?;
    kms.record_key_use(&key.record, Operation::VerifyMac);
    Ok(Response { key_id: key.arn(), mac_valid: true, mac_algorithm: alg.as_str() })
}
