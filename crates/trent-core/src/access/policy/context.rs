//! The condition keys of one request, filled by the caller and read by the
//! `Condition` element.

use std::collections::BTreeMap;

/// The prefix of the per-pair encryption context keys, lowercased.
const ENCRYPTION_CONTEXT_PREFIX: &str = "kms:encryptioncontext:";
/// The multi-valued key listing the encryption context keys, lowercased.
const ENCRYPTION_CONTEXT_KEYS: &str = "kms:encryptioncontextkeys";

/// Condition key values of one request.
///
/// The engine knows no key by itself: each KMS operation fills in the keys
/// AWS documents for it, and the policy's `Condition` blocks read them. Key
/// names are matched case-insensitively, as IAM does, so they are stored
/// lowercased; values keep their case. A key with an empty value list counts
/// as absent.
#[derive(Debug, Clone, Default)]
pub struct ConditionContext {
    values: BTreeMap<String, Vec<String>>,
}

impl ConditionContext {
    /// An empty context: every condition key is absent.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a single-valued key (e.g. `kms:CallerAccount`, `kms:KeySpec`,
    /// `aws:PrincipalArn`), replacing any earlier value.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.values.insert(key.to_lowercase(), vec![value.into()]);
        self
    }

    /// Sets a multi-valued key (e.g. `kms:GrantOperations`,
    /// `kms:EncryptionContextKeys`), replacing any earlier values.
    pub fn set_many(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.values.insert(key.to_lowercase(), values);
        self
    }

    /// Sets `kms:EncryptionContext:<k>` = `v` for every pair and
    /// `kms:EncryptionContextKeys` = all the keys, replacing any encryption
    /// context set before. An empty context leaves both absent.
    ///
    /// Because condition key names are case-insensitive, two context keys
    /// differing only in case share one condition key holding both values.
    pub fn set_encryption_context<'k>(&mut self, pairs: impl IntoIterator<Item = (&'k str, &'k str)>) -> &mut Self {
        self.values.retain(|k, _| !k.starts_with(ENCRYPTION_CONTEXT_PREFIX) && k != ENCRYPTION_CONTEXT_KEYS);
        let mut keys = Vec::new();
        for (k, v) in pairs {
            self.values
                .entry(format!("{ENCRYPTION_CONTEXT_PREFIX}{}", k.to_lowercase()))
                .or_default()
                .push(v.to_owned());
            keys.push(k.to_owned());
        }
        if !keys.is_empty() {
            self.values.insert(ENCRYPTION_CONTEXT_KEYS.to_owned(), keys);
        }
        self
    }

    /// The values of `key` (any case), or `None` when the request lacks it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_lowercased(&key.to_lowercase())
    }

    /// The values of a key already lowercased (the policy stores its keys so),
    /// sparing a lowercase copy per lookup.
    pub(crate) fn get_lowercased(&self, key: &str) -> Option<&[String]> {
        self.values.get(key).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_values_keep_their_case() {
        let mut ctx = ConditionContext::new();
        ctx.set("kms:CallerAccount", "111122223333").set("AWS:PrincipalArn", "arn:aws:iam::111122223333:user/Al");
        assert_eq!(ctx.get("KMS:calleraccount"), Some(&["111122223333".to_owned()][..]));
        assert_eq!(ctx.get("aws:principalarn"), Some(&["arn:aws:iam::111122223333:user/Al".to_owned()][..]));
        assert_eq!(ctx.get("kms:KeySpec"), None);
    }

    #[test]
    fn set_replaces_and_set_many_keeps_every_value() {
        let mut ctx = ConditionContext::new();
        ctx.set("kms:KeySpec", "RSA_2048").set("kms:keyspec", "SYMMETRIC_DEFAULT");
        assert_eq!(ctx.get("kms:KeySpec"), Some(&["SYMMETRIC_DEFAULT".to_owned()][..]));
        ctx.set_many("kms:GrantOperations", vec!["Encrypt".into(), "Decrypt".into()]);
        assert_eq!(ctx.get("kms:grantoperations").map(<[String]>::len), Some(2));
    }

    #[test]
    fn encryption_context_sets_pairs_and_keys_and_replaces_the_previous_one() {
        let mut ctx = ConditionContext::new();
        ctx.set_encryption_context([("Department", "IT"), ("Project", "Alpha")]);
        assert_eq!(ctx.get("kms:EncryptionContext:department"), Some(&["IT".to_owned()][..]));
        assert_eq!(ctx.get("kms:EncryptionContextKeys"), Some(&["Department".to_owned(), "Project".to_owned()][..]));
        ctx.set_encryption_context([("Stage", "prod")]);
        assert_eq!(ctx.get("kms:EncryptionContext:Department"), None);
        assert_eq!(ctx.get("kms:EncryptionContextKeys"), Some(&["Stage".to_owned()][..]));
        ctx.set_encryption_context([]);
        assert_eq!(ctx.get("kms:EncryptionContextKeys"), None);
        assert_eq!(ctx.get("kms:EncryptionContext:Stage"), None);
    }

    #[test]
    fn context_keys_differing_only_in_case_share_one_condition_key() {
        let mut ctx = ConditionContext::new();
        ctx.set_encryption_context([("team", "a"), ("Team", "b")]);
        assert_eq!(ctx.get("kms:EncryptionContext:TEAM"), Some(&["a".to_owned(), "b".to_owned()][..]));
    }
}
