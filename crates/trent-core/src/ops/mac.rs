//! What GenerateMac and VerifyMac share: validation and the HMAC key checks
//! (usage GENERATE_VERIFY_MAC, the one algorithm of the key's spec).

use std::sync::Arc;

use crate::authz::Access;
use crate::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::keyring::LoadedKey;
use crate::model::{KeyUsage, MacAlgorithm};
use crate::operation::Operation;
use crate::service::{Kms, require_usable};
use crate::validate::Validator;

use super::asymmetric::{require_usage, wrong_algorithm};

/// Validates the members both operations have.
pub fn validate(
    v: &mut Validator,
    key_id: Option<&str>,
    message: Option<&[u8]>,
    alg: Option<&str>,
    grant_tokens: Option<&[String]>,
) {
    v.required("message", &message)
        .blob_len("message", message, 1, 4096)
        .key_id("keyId", key_id, true)
        .required("macAlgorithm", &alg)
        .enum_value("macAlgorithm", alg, alg.and_then(MacAlgorithm::parse).is_some(), MacAlgorithm::wire_list())
        .grant_tokens(grant_tokens);
}

/// Resolves and charges the key, then checks state, usage and algorithm.
pub async fn check(
    kms: &Kms,
    caller: &Caller,
    op: Operation,
    key_id: Option<&str>,
    alg: Option<&str>,
    grant_tokens: Option<&[String]>,
) -> KmsResult<(Arc<LoadedKey>, MacAlgorithm)> {
    let (Some(key_id), Some(alg)) = (key_id, alg.and_then(MacAlgorithm::parse)) else {
        return Err(KmsError::internal("validated"));
    };
    let access = Access::new(op.name()).tokens(grant_tokens).algorithm("kms:MacAlgorithm", Some(alg.as_str()));
    let key = kms.resolve(caller, key_id, &access).await?;
    kms.admit_key(caller, op, &key.record).await?;
    require_usable(&key.record)?;
    require_usage(&key.record, KeyUsage::GenerateVerifyMac, op)?;
    if crate::key_material::mac_algorithm(key.record.key_spec) != Some(alg) {
        return Err(wrong_algorithm(alg.as_str(), key.record.key_spec));
    }
    Ok((key, alg))
}
