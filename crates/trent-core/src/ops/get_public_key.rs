//! GetPublicKey: the DER SubjectPublicKeyInfo of an asymmetric key, with the
//! metadata a caller needs to use it outside KMS.

use serde::{Deserialize, Serialize};

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::state::require_usable;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::Blob;
use crate::wire::validate::Validator;

/// GetPublicKey request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
}

/// GetPublicKey response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    pub public_key: Blob,
    pub customer_master_key_spec: &'static str,
    pub key_spec: &'static str,
    pub key_usage: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encapsulation_algorithms: Option<Vec<&'static str>>,
}

/// Runs GetPublicKey.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let key_id = Validator::new()
        .key_id("keyId", req.key_id.as_deref(), true)
        .grant_tokens(req.grant_tokens.as_deref())
        .finish_with(req.key_id)?;
    let key = kms.resolve(caller, &key_id, &Access::new("GetPublicKey").tokens(req.grant_tokens.as_deref())).await?;
    kms.admit_key(caller, Operation::GetPublicKey, &key.record).await?;
    require_usable(&key.record)?;
    let r = &key.record;
    let public = key.asymmetric.as_ref().map(|m| &m.public_der).filter(|d| !d.is_empty());
    let Some(public) = public else {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            format!(
                "{} key spec {} is not valid for this operation. GetPublicKey needs an asymmetric KMS key.",
                r.arn(),
                r.key_spec
            ),
        ));
    };
    let algs = crate::key::asymmetric::algorithms(r.key_spec, r.key_usage);
    Ok(Response {
        key_id: r.arn(),
        public_key: Blob(public.clone()),
        customer_master_key_spec: r.key_spec.as_str(),
        key_spec: r.key_spec.as_str(),
        key_usage: r.key_usage.as_str(),
        encryption_algorithms: algs.encryption,
        signing_algorithms: algs.signing,
        key_agreement_algorithms: algs.key_agreement,
        encapsulation_algorithms: algs.encapsulation,
    })
}
