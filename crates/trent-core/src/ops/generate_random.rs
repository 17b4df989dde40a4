//! GenerateRandom: random bytes from the server's CSPRNG.

use serde::{Deserialize, Serialize};

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::kms::Kms;
use crate::operation::Operation;
use crate::quota::admission::Charge;
use crate::wire::blob::SecretBlob;
use crate::wire::validate::Validator;

/// GenerateRandom request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub number_of_bytes: Option<i64>,
    pub custom_key_store_id: Option<String>,
}

/// GenerateRandom response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub plaintext: SecretBlob,
}

/// Runs GenerateRandom.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    Validator::new()
        .int_range("numberOfBytes", req.number_of_bytes, 1, 1024)
        .str_len("customKeyStoreId", req.custom_key_store_id.as_deref(), 1, 64)
        .finish()?;
    let Some(n) = req.number_of_bytes else {
        return Err(KmsError::new(ErrorKind::Validation, "NumberOfBytes is required."));
    };
    let store = crate::custom_key_store::random_source(kms, caller, req.custom_key_store_id.as_deref()).await?;
    kms.admit_charge(&Charge {
        caller,
        operation: Operation::GenerateRandom,
        key: None,
        key_pair_spec: None,
        custom_key_store_id: req.custom_key_store_id.as_deref(),
    })
    .await?;
    crate::custom_key_store::require_random_source_connected(store.as_ref())?;
    Ok(Response { plaintext: SecretBlob(crate::key::crypto::random_bytes(n as usize)?) })
}
