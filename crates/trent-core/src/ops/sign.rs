//! Sign: an RSA (PSS or PKCS#1 v1.5) or ECDSA signature over a message or its digest.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::material::CryptoRefusal;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::{Blob, SecretBlob};
use crate::wire::validate::Validator;

use crate::key::signing::{Common, Valid, validate};

/// Sign request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub message: Option<SecretBlob>,
    pub message_type: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
    pub signing_algorithm: Option<String>,
    pub dry_run: Option<bool>,
}

/// Sign response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    pub signature: Blob,
    pub signing_algorithm: &'static str,
}

/// Runs Sign.
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
    let (key_id, message, algorithm) = v.finish_with((req.key_id, req.message, algorithm))?;
    let valid = Valid {
        key_id: &key_id,
        message: &message.0,
        message_type,
        algorithm,
        grant_tokens: req.grant_tokens.as_deref(),
    };
    let checked = kms.signing_key(caller, Operation::Sign, &valid).await?;
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let (alg, is_digest) = (checked.algorithm, checked.is_digest);
    let signature = crate::key::asymmetric::run_private(&checked.key, move |k| {
        crate::key::material::sign(k, alg, &message.0, is_digest).map_err(|e| match e {
            CryptoRefusal::DigestLength => {
                KmsError::validation(format!("Digest is invalid length for algorithm {alg}."))
            }
            _ => KmsError::internal("signing failed"),
        })
    })
    .await?;
    kms.record_key_use(&checked.key.record, Operation::Sign);
    Ok(Response { key_id: checked.key.arn(), signature: Blob(signature), signing_algorithm: alg.as_str() })
}
