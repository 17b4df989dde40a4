//! What the service checks of a key policy document and a policy name before
//! it stores or reads one: the model's constraints, the 32 KB size limit, the
//! grammar, and the one policy name KMS knows.

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::wire::validate::Validator;

use super::KeyPolicy;

/// The service's key policy size limit (32 KB), tighter than the model's 131,072.
pub const MAX_POLICY_BYTES: usize = 32 * 1024;

/// The model constraints of a `Policy` member: 1–131,072 characters of tab,
/// line feed, carriage return and U+0020–U+00FF.
pub fn validate_policy_member(v: &mut Validator, policy: Option<&str>) {
    v.str_len("policy", policy, 1, 131072).pattern("policy", policy, "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", |s| {
        s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    });
}

/// Checks what the service checks of a policy document before storing it:
/// the 32 KB size limit and the policy grammar (MalformedPolicyDocumentException).
pub fn check_policy(policy: &str) -> KmsResult<KeyPolicy> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(KmsError::new(
            ErrorKind::LimitExceeded,
            format!("Policy document exceeds the maximum size of {MAX_POLICY_BYTES} bytes."),
        ));
    }
    KeyPolicy::parse(policy)
}

/// The policy a new key starts with (CreateKey, ReplicateKey): the request's
/// `Policy`, checked and parsed (the caller's lockout safety check needs it
/// once the key exists), or AWS's default policy for `account_id`.
pub fn initial_policy(requested: Option<String>, account_id: &str) -> KmsResult<(String, Option<KeyPolicy>)> {
    match requested {
        Some(p) => {
            let parsed = check_policy(&p)?;
            Ok((p, Some(parsed)))
        }
        None => Ok((super::default_policy::default_policy(account_id), None)),
    }
}

/// Checks a PolicyName member: the model's pattern, and KMS knows only `default`.
pub fn check_policy_name(v: &mut Validator, name: Option<&str>) {
    v.str_len("policyName", name, 1, 128)
        .pattern("policyName", name, "[\\w]+", |s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
}

/// NotFound unless the policy name is `default`.
pub fn require_default(name: Option<&str>) -> KmsResult<()> {
    match name {
        None | Some("default") => Ok(()),
        Some(other) => Err(KmsError::new(ErrorKind::NotFound, format!("No such policy exists: {other}"))),
    }
}
