//! GenerateDataKeyPairWithoutPlaintext: like GenerateDataKeyPair, for a caller
//! that needs the public key now and the private key only later (via Decrypt).

use serde::Serialize;

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::blob::Blob;

pub use super::generate_data_key_pair::Request;

/// GenerateDataKeyPairWithoutPlaintext response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub private_key_ciphertext_blob: Blob,
    pub public_key: Blob,
    pub key_id: String,
    pub key_pair_spec: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// Runs GenerateDataKeyPairWithoutPlaintext.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let m =
        super::generate_data_key_pair::make(kms, caller, Operation::GenerateDataKeyPairWithoutPlaintext, req).await?;
    Ok(Response {
        key_material_id: crate::key::symmetric::material_id_of(&m.private_ciphertext),
        private_key_ciphertext_blob: Blob(m.private_ciphertext),
        public_key: Blob(m.public_key),
        key_id: m.key.arn(),
        key_pair_spec: m.spec.as_str(),
    })
}
