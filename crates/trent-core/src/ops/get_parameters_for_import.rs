//! GetParametersForImport: a fresh RSA wrapping key and an import token for
//! an EXTERNAL key, valid for 24 hours.

use serde::{Deserialize, Serialize};

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::model::{WrappingAlgorithm, WrappingKeySpec};
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::blob::Blob;
use crate::wire::validate::Validator;

/// GetParametersForImport request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub wrapping_algorithm: Option<String>,
    pub wrapping_key_spec: Option<String>,
}

/// GetParametersForImport response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub key_id: String,
    pub import_token: Blob,
    pub public_key: Blob,
    pub parameters_valid_to: f64,
}

/// Runs GetParametersForImport.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).required("wrappingAlgorithm", &req.wrapping_algorithm);
    let alg = v.enum_member::<WrappingAlgorithm>("wrappingAlgorithm", req.wrapping_algorithm.as_deref());
    v.required("wrappingKeySpec", &req.wrapping_key_spec);
    let spec = v.enum_member::<WrappingKeySpec>("wrappingKeySpec", req.wrapping_key_spec.as_deref());
    let (key_id, alg, spec) = v.finish_with((req.key_id, alg, spec))?;
    let key = kms.resolve_key_only(caller, &key_id, &Access::new("GetParametersForImport")).await?;
    kms.admit_key(caller, Operation::GetParametersForImport, &key.record).await?;
    crate::key::import::require_external(&key.record)?;
    let size = match spec {
        WrappingKeySpec::Rsa2048 => aws_lc_rs::rsa::KeySize::Rsa2048,
        WrappingKeySpec::Rsa3072 => aws_lc_rs::rsa::KeySize::Rsa3072,
        WrappingKeySpec::Rsa4096 => aws_lc_rs::rsa::KeySize::Rsa4096,
        WrappingKeySpec::Sm2 => {
            return Err(KmsError::new(
                ErrorKind::UnsupportedOperation,
                "The SM2 wrapping key spec is available only in China Regions.",
            ));
        }
    };
    match alg {
        WrappingAlgorithm::RsaesPkcs1V15 => {
            return Err(KmsError::validation("The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported."));
        }
        WrappingAlgorithm::Sm2Pke => {
            return Err(KmsError::new(
                ErrorKind::UnsupportedOperation,
                "The SM2PKE wrapping algorithm is available only in China Regions.",
            ));
        }
        _ => {}
    }
    let (pkcs8, public) = tokio::task::spawn_blocking(move || -> KmsResult<_> {
        let pair = aws_lc_rs::signature::RsaKeyPair::generate(size)
            .map_err(|_| KmsError::internal("RSA key generation failed"))?;
        let pkcs8 = crate::key::material::rsa_pkcs8(&pair)?;
        let (_, public) = crate::key::material::rsa_wrapping_key(&pkcs8)?;
        Ok((pkcs8, public))
    })
    .await
    .map_err(|e| KmsError::internal(format!("wrapping key task failed: {e}")))??;
    let valid_to = (kms.now() + crate::key::import::PARAMETERS_VALID_SECONDS).round();
    let token = crate::key::import::seal_token(&kms.root, &key.record.key_id, alg, valid_to, &pkcs8)?;
    Ok(Response {
        key_id: key.arn(),
        import_token: Blob(token),
        public_key: Blob(public),
        parameters_valid_to: valid_to,
    })
}
