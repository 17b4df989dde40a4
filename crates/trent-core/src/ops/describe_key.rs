//! DescribeKey, and the KeyMetadata structure several operations return.

use serde::{Deserialize, Serialize};

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::key::metadata::KeyMetadata;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

/// DescribeKey request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub grant_tokens: Option<Vec<String>>,
}

/// DescribeKey response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_metadata: KeyMetadata,
}

/// Runs DescribeKey.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let key_id = Validator::new()
        .key_id("keyId", req.key_id.as_deref(), true)
        .grant_tokens(req.grant_tokens.as_deref())
        .finish_with(req.key_id)?;
    let key = kms.resolve(caller, &key_id, &Access::new("DescribeKey").tokens(req.grant_tokens.as_deref())).await?;
    kms.admit_key(caller, Operation::DescribeKey, &key.record).await?;
    Ok(Response { key_metadata: KeyMetadata::of(&key.record) })
}
