//! KMS ARNs and the ways a request may name a key.

/// `arn:aws:kms:REGION:ACCOUNT:key/UUID`.
pub fn key_arn(region: &str, account: &str, key_id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{key_id}")
}

/// How a request named a key: AWS accepts a key id, a key ARN, an alias name
/// or an alias ARN wherever an operation takes `KeyId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A bare key id (UUID).
    KeyId(String),
    /// A key ARN with its region and account.
    KeyArn { region: String, account: String, key_id: String },
    /// `alias/NAME` in the caller's account and region.
    AliasName(String),
    /// An alias ARN with its region and account; `name` includes `alias/`.
    AliasArn { region: String, account: String, name: String },
}

impl KeyRef {
    /// Parses a `KeyId` member. Returns `None` for an `arn:` string that is not a
    /// well-formed KMS key or alias ARN.
    pub fn parse(s: &str) -> Option<KeyRef> {
        if let Some(rest) = s.strip_prefix("arn:") {
            let mut parts = rest.splitn(5, ':');
            let _partition = parts.next()?;
            let service = parts.next()?;
            let region = parts.next()?;
            let account = parts.next()?;
            let resource = parts.next()?;
            if service != "kms" || region.is_empty() || account.is_empty() {
                return None;
            }
            if let Some(id) = resource.strip_prefix("key/") {
                if id.is_empty() {
                    return None;
                }
                return Some(KeyRef::KeyArn { region: region.into(), account: account.into(), key_id: id.into() });
            }
            if resource.starts_with("alias/") && resource.len() > "alias/".len() {
                return Some(KeyRef::AliasArn {
                    region: region.into(),
                    account: account.into(),
                    name: resource.into(),
                });
            }
            return None;
        }
        if s.starts_with("alias/") {
            return Some(KeyRef::AliasName(s.to_owned()));
        }
        is_key_id(s).then(|| KeyRef::KeyId(s.to_owned()))
    }
}

/// Whether `s` has the shape of a key id: a UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`)
/// or a multi-Region key id (`mrk-` and 32 hex digits). AWS answers any
/// other bare `KeyId` with "Invalid keyId '…'" rather than looking it up.
pub fn is_key_id(s: &str) -> bool {
    let hex = |part: &str| part.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(rest) = s.strip_prefix("mrk-") {
        return rest.len() == 32 && hex(rest);
    }
    let mut lens = [8usize, 4, 4, 4, 12].into_iter();
    s.split('-').all(|part| lens.next() == Some(part.len()) && hex(part)) && lens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_uuids_or_multi_region_ids() {
        assert!(is_key_id("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(is_key_id("mrk-1234abcd12ab34cd56ef1234567890ab"));
        for bad in ["fake-key-id", "134f2428cec14b25a1ae9048164dba47", "mrk-fake-key-id", "", "1234abcd-12ab-34cd-56ef"]
        {
            assert!(!is_key_id(bad), "{bad}");
            assert_eq!(KeyRef::parse(bad), None, "{bad}");
        }
        assert!(!is_key_id("1234abcd-12ab-34cd-56ef-1234567890ab-00"));
        assert!(!is_key_id("1234abcg-12ab-34cd-56ef-1234567890ab"));
    }

    #[test]
    fn parses_every_form_aws_accepts() {
        assert_eq!(
            KeyRef::parse("1234abcd-12ab-34cd-56ef-1234567890ab"),
            Some(KeyRef::KeyId("1234abcd-12ab-34cd-56ef-1234567890ab".into()))
        );
        assert_eq!(
            KeyRef::parse("arn:aws:kms:us-east-2:111122223333:key/abc"),
            Some(KeyRef::KeyArn { region: "us-east-2".into(), account: "111122223333".into(), key_id: "abc".into() })
        );
        assert_eq!(KeyRef::parse("alias/ExampleAlias"), Some(KeyRef::AliasName("alias/ExampleAlias".into())));
        assert_eq!(
            KeyRef::parse("arn:aws:kms:us-east-2:111122223333:alias/ExampleAlias"),
            Some(KeyRef::AliasArn {
                region: "us-east-2".into(),
                account: "111122223333".into(),
                name: "alias/ExampleAlias".into()
            })
        );
        assert_eq!(KeyRef::parse("arn:aws:s3:::bucket"), None);
        assert_eq!(KeyRef::parse("arn:aws:kms:us-east-2:111122223333:key/"), None);
    }
}
