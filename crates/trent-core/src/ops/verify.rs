//! Verify: checks a signature with the key's public half; a bad signature is
//! KMSInvalidSignatureException, as in AWS (never `SignatureValid: false`).

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::material::CryptoRefusal;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::{Blob, SecretBlob};
use crate::wire::validate::Validator;

use crate::key::signing::{Common, Valid, validate};

/// Verify request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub message: Option<SecretBlob>,
    pub message_type: Option<String>,
    pub signature: Option<Blob>,
    pub signing_algorithm: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

/// Verify response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    pub signature_valid: bool,
    pub signing_algorithm: &'static str,
}

/// Runs Verify.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let common = Common {
        key_id: req.key_id.as_deref(),
        message: req.message.as_ref().map(|m| &m.0[..]),
        message_type: req.message_type.as_deref(),
        signing_algorithm: req.signing_algorithm.as_deref(),
        grant_tokens: req.grant_tokens.as_deref(),
    };
    let mut v = Validator::new();
    let (message_type, algorithm) = validate(&mut v, &common);
    v.required("signature", &req.signature).blob_len("signature", req.signature.as_ref().map(|s| &s.0[..]), 1, 6144);
    let (key_id, message, algorithm, signature) = v.finish_with((req.key_id, req.message, algorithm, req.signature))?;
    let valid = Valid {
        key_id: &key_id,
        message: &message.0,
        message_type,
        algorithm,
        grant_tokens: req.grant_tokens.as_deref(),
    };
    let checked = kms.signing_key(caller, Operation::Verify, &valid).await?;
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let object = &crate::key::asymmetric::object(&checked.key)?.object;
    crate::key::material::verify(object, checked.algorithm, &message.0, checked.is_digest, &signature.0).map_err(
        |e| match e {
            CryptoRefusal::DigestLength => {
                KmsError::validation(format!("Digest is invalid length for algorithm {}.", checked.algorithm))
            }
            _ => KmsError::bare(ErrorKind::KmsInvalidSignature),
        },
    )?;
    kms.record_key_use(&checked.key.record, Operation::Verify);
    Ok(Response { key_id: checked.key.arn(), signature_valid: true, signing_algorithm: checked.algorithm.as_str() })
}
