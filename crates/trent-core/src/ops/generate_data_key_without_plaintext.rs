//! GenerateDataKeyWithoutPlaintext: like GenerateDataKey, for a caller that
//! will decrypt the data key later.

use serde::Serialize;

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::blob::Blob;

pub use super::generate_data_key::Request;

/// GenerateDataKeyWithoutPlaintext response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub ciphertext_blob: Blob,
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// Runs GenerateDataKeyWithoutPlaintext.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let (key, _plaintext, blob) =
        super::generate_data_key::make(kms, caller, Operation::GenerateDataKeyWithoutPlaintext, req).await?;
    Ok(Response {
        key_material_id: crate::key::symmetric::material_id_of(&blob),
        ciphertext_blob: Blob(blob),
        key_id: key.arn(),
    })
}
