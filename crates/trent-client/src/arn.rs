//! Minimal parsing of KMS ARNs (region for routing, account/partition for discovery filters).

use std::fmt;

/// The parts of `arn:<partition>:kms:<region>:<account>:<resource-type>/<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsArn {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: String,
    /// Region of the key.
    pub region: String,
    /// Owning account.
    pub account: String,
    /// `key` or `alias`.
    pub resource_type: String,
    /// Key id or alias name.
    pub resource_id: String,
}

impl KmsArn {
    /// Parses a KMS key or alias ARN; `None` for anything else (bare key ids, alias names).
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(6, ':');
        let (arn, partition, service, region, account, resource) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if arn != "arn" || service != "kms" || partition.is_empty() || region.is_empty() {
            return None;
        }
        let (resource_type, resource_id) = resource.split_once('/')?;
        if !matches!(resource_type, "key" | "alias") || resource_id.is_empty() {
            return None;
        }
        Some(Self {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            resource_type: resource_type.to_string(),
            resource_id: resource_id.to_string(),
        })
    }
}

impl fmt::Display for KmsArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:kms:{}:{}:{}/{}",
            self.partition, self.region, self.account, self.resource_type, self.resource_id
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_and_alias_arns() {
        let a = KmsArn::parse("arn:aws:kms:us-east-1:111122223333:key/abcd-1234").unwrap();
        assert_eq!((a.region.as_str(), a.account.as_str()), ("us-east-1", "111122223333"));
        assert_eq!(a.to_string(), "arn:aws:kms:us-east-1:111122223333:key/abcd-1234");
        assert!(KmsArn::parse("arn:aws-cn:kms:cn-north-1:1:alias/x").is_some());
        assert!(KmsArn::parse("abcd-1234").is_none());
        assert!(KmsArn::parse("alias/x").is_none());
        assert!(KmsArn::parse("arn:aws:s3:::bucket/x").is_none());
    }
}
