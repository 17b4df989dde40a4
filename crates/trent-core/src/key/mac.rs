//! What GenerateMac and VerifyMac share: validation and the HMAC key checks
//! (usage GENERATE_VERIFY_MAC, the one algorithm of the key's spec).

use crate::key::model::MacAlgorithm;
use crate::wire::validate::Validator;

/// Validates the members both operations have and returns `MacAlgorithm`
/// parsed (`None` when absent or invalid; the caller finishes).
pub fn validate(
    v: &mut Validator,
    key_id: Option<&str>,
    message: Option<&[u8]>,
    alg: Option<&str>,
    grant_tokens: Option<&[String]>,
) -> Option<MacAlgorithm> {
    v.required("message", &message)
        .blob_len("message", message, 1, 4096)
        .key_id("keyId", key_id, true)
        .required("macAlgorithm", &alg);
    let parsed = v.enum_member("macAlgorithm", alg);
    v.grant_tokens(grant_tokens);
    parsed
}
