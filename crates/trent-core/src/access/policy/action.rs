//! The Action / NotAction element: `service:name` patterns matched
//! case-insensitively against the requested `kms:<Operation>`.

use super::glob::Glob;
use super::json::malformed;
use crate::error::KmsResult;

/// One action pattern (`*`, `kms:*`, `kms:Generate*`, `kms:ReEncrypt?rom`, …).
///
/// A pattern for another service (`s3:GetObject`) is valid, as IAM allows it,
/// and simply never matches a KMS action.
#[derive(Debug, Clone)]
pub(crate) struct ActionPattern(Glob);

impl ActionPattern {
    /// Parses one entry of an Action or NotAction element.
    pub(crate) fn parse(s: &str) -> KmsResult<ActionPattern> {
        if s == "*" {
            return Ok(ActionPattern(Glob::text("*")));
        }
        let Some((service, name)) = s.split_once(':') else {
            return Err(malformed(format!(
                "Policy contains an invalid action: {s}. Actions must be prefaced by a service, e.g. kms:Encrypt."
            )));
        };
        let service_ok =
            !service.is_empty() && service.bytes().all(|b| b.is_ascii_alphanumeric() || b"-*?".contains(&b));
        let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_*?".contains(&b));
        if !service_ok || !name_ok {
            return Err(malformed(format!("Policy contains an invalid action: {s}.")));
        }
        Ok(ActionPattern(Glob::ascii_case_insensitive(s)))
    }

    /// Whether the pattern covers `action` (e.g. `kms:Encrypt`).
    pub(crate) fn matches(&self, action: &str) -> bool {
        self.0.is_match(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn matches(pattern: &str, action: &str) -> bool {
        ActionPattern::parse(pattern).unwrap().matches(action)
    }

    #[test]
    fn wildcards_and_case_insensitivity() {
        assert!(matches("*", "kms:Encrypt"));
        assert!(matches("kms:*", "kms:ScheduleKeyDeletion"));
        assert!(matches("kms:Generate*", "kms:GenerateDataKeyWithoutPlaintext"));
        assert!(!matches("kms:Generate*", "kms:Encrypt"));
        assert!(matches("kms:ReEncrypt*", "kms:ReEncryptFrom"));
        assert!(matches("kms:ReEncrypt*", "kms:ReEncryptTo"));
        assert!(matches("KMS:encrypt", "kms:Encrypt"));
        assert!(matches("kms:Encrypt", "KMS:ENCRYPT"));
        assert!(matches("kms:?ecrypt", "kms:Decrypt"));
        assert!(!matches("kms:Encrypt", "kms:EncryptX"));
        assert!(!matches("kms:Decrypt", "kms:Encrypt"));
    }

    #[test]
    fn other_services_are_valid_but_never_match() {
        assert!(!matches("s3:*", "kms:Encrypt"));
        assert!(!matches("kmsx:Encrypt", "kms:Encrypt"));
    }

    #[test]
    fn invalid_actions_are_malformed() {
        let err = ActionPattern::parse("Encrypt").unwrap_err();
        assert_eq!(err.kind, ErrorKind::MalformedPolicyDocument);
        assert!(err.message.unwrap().contains("must be prefaced by a service"));
        for bad in ["kms:", ":Encrypt", "kms:En crypt", "kms:Encrypt/x", "", "k ms:Encrypt"] {
            let err = ActionPattern::parse(bad).unwrap_err();
            assert_eq!(err.kind, ErrorKind::MalformedPolicyDocument, "{bad:?}");
        }
    }
}
