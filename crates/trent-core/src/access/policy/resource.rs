//! The Resource / NotResource element: `*` or ARN patterns matched against the
//! key's ARN.

use super::glob::Glob;
use super::json::malformed;
use crate::error::KmsResult;

/// One resource pattern: `*` or an ARN, possibly with `*` / `?` wildcards.
///
/// Matching is case-sensitive and segment-aware, as IAM's: a wildcard stays
/// inside one colon-separated segment unless it is a `*` ending the segment.
#[derive(Debug, Clone)]
pub(crate) struct ResourcePattern(Glob);

impl ResourcePattern {
    /// Parses one entry of a Resource or NotResource element.
    pub(crate) fn parse(s: &str) -> KmsResult<ResourcePattern> {
        if s == "*" || (s.starts_with("arn:") && s.len() > "arn:".len()) {
            Ok(ResourcePattern(Glob::arn(s)))
        } else {
            Err(malformed(format!("Resource {s} must be in ARN format or \"*\".")))
        }
    }

    /// Whether the pattern covers the resource `arn`.
    pub(crate) fn matches(&self, arn: &str) -> bool {
        self.0.is_match(arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn matches(pattern: &str) -> bool {
        ResourcePattern::parse(pattern).unwrap().matches(KEY)
    }

    #[test]
    fn star_exact_and_wildcard_arns() {
        assert!(matches("*"));
        assert!(matches(KEY));
        assert!(matches("arn:aws:kms:us-east-1:111122223333:key/*"));
        assert!(matches("arn:aws:kms:*:111122223333:key/*"));
        assert!(matches("arn:aws:kms:us-east-?:111122223333:key/*"));
        assert!(matches("arn:aws:kms:*"));
        assert!(!matches("arn:aws:kms:us-west-2:111122223333:key/*"));
        assert!(!matches("arn:aws:kms:us-east-1:444455556666:key/*"));
        assert!(!matches("arn:aws:kms:us-east-1:111122223333:alias/*"));
        assert!(!matches("arn:aws:kms:us-east-1:111122223333:KEY/*"), "case-sensitive");
    }

    #[test]
    fn non_arns_are_malformed() {
        for bad in ["", "key/abc", "arn:", "1234abcd-12ab-34cd-56ef-1234567890ab", "**"] {
            let err = ResourcePattern::parse(bad).unwrap_err();
            assert_eq!(err.message.unwrap(), format!("Resource {bad} must be in ARN format or \"*\"."));
        }
    }
}
