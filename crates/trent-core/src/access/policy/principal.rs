//! The Principal / NotPrincipal element: the principal forms a key policy may
//! name, and how they match a Trent caller.

use serde_json::Value;

use super::json::{INVALID_PRINCIPALS, malformed, string_or_array};
use crate::error::KmsResult;

/// One principal named by a policy statement (or a grant), reduced to how it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    Anyone,
    /// An account (`"111122223333"` or `arn:aws:iam::111122223333:root`).
    /// Trent has no IAM policies to delegate to, so it matches every principal
    /// of the account.
    Account(String),
    /// An IAM user, assumed-role session or federated user, matched exactly.
    Exact(String),
    /// An IAM role: the role ARN itself and every session assumed from it.
    Role {
        /// The role ARN as written (path included).
        arn: String,
        /// `arn:<partition>:sts::<account>:assumed-role/<name>/`: a session ARN
        /// is this prefix plus a session name.
        session_prefix: String,
    },
    /// A `Service` or `Federated` principal: valid in a key policy, but never
    /// a Trent caller.
    Foreign,
}

impl Principal {
    /// Whether this principal names the caller with `arn` in `account`.
    pub fn matches(&self, arn: &str, account: &str) -> bool {
        match self {
            Principal::Anyone => true,
            Principal::Account(a) => a == account,
            Principal::Exact(e) => e == arn,
            Principal::Role { arn: role, session_prefix } => {
                role == arn
                    || arn.strip_prefix(session_prefix.as_str()).is_some_and(|s| !s.is_empty() && !s.contains('/'))
            }
            Principal::Foreign => false,
        }
    }
}

/// Parses the value of a Principal or NotPrincipal element.
pub(crate) fn parse_principals(value: &Value) -> KmsResult<Vec<Principal>> {
    let invalid = || malformed(INVALID_PRINCIPALS);
    match value {
        Value::String(s) if s == "*" => Ok(vec![Principal::Anyone]),
        Value::Object(map) if !map.is_empty() => {
            let mut out = Vec::new();
            for (kind, names) in map {
                let names = string_or_array(names).ok_or_else(invalid)?;
                for name in names {
                    let principal = match kind.as_str() {
                        "AWS" => parse_aws(name),
                        "Service" | "Federated" if !name.trim().is_empty() => Some(Principal::Foreign),
                        _ => None,
                    };
                    out.push(principal.ok_or_else(invalid)?);
                }
            }
            Ok(out)
        }
        _ => Err(invalid()),
    }
}

/// Parses one `{"AWS": …}` value; `None` if KMS would reject it. Grants
/// name their grantee and retiring principals the same way.
pub fn parse_aws(s: &str) -> Option<Principal> {
    if s == "*" {
        return Some(Principal::Anyone);
    }
    if is_account_id(s) {
        return Some(Principal::Account(s.to_owned()));
    }
    let mut parts = s.strip_prefix("arn:")?.splitn(5, ':');
    let (partition, service, region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if !is_partition(partition) || !region.is_empty() || !is_account_id(account) {
        return None;
    }
    match service {
        "iam" if resource == "root" => Some(Principal::Account(account.to_owned())),
        "iam" => {
            if let Some(path) = resource.strip_prefix("user/") {
                is_name_path(path).then(|| Principal::Exact(s.to_owned()))
            } else {
                let path = resource.strip_prefix("role/").filter(|p| is_name_path(p))?;
                let name = path.rsplit('/').next()?;
                let session_prefix = format!("arn:{partition}:sts::{account}:assumed-role/{name}/");
                Some(Principal::Role { arn: s.to_owned(), session_prefix })
            }
        }
        "sts" => {
            let valid = if let Some(rest) = resource.strip_prefix("assumed-role/") {
                matches!(rest.split_once('/'), Some((role, session)) if is_name(role) && is_name(session))
            } else {
                resource.strip_prefix("federated-user/").is_some_and(is_name)
            };
            valid.then(|| Principal::Exact(s.to_owned()))
        }
        _ => None,
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, …
fn is_partition(s: &str) -> bool {
    s == "aws"
        || s.strip_prefix("aws-")
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
}

/// An IAM user, role or session name: letters, digits and `+=,.@_-`. No
/// wildcards: KMS rejects them in principals.
fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// `name` or `path/…/name`.
fn is_name_path(s: &str) -> bool {
    s.split('/').all(is_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(aws: &str) -> Option<Principal> {
        parse_principals(&json!({ "AWS": aws })).ok().and_then(|mut v| v.pop())
    }

    #[test]
    fn accepts_every_form_kms_does() {
        assert_eq!(one("*"), Some(Principal::Anyone));
        assert_eq!(parse_principals(&json!("*")).unwrap(), vec![Principal::Anyone]);
        assert_eq!(one("111122223333"), Some(Principal::Account("111122223333".into())));
        assert_eq!(one("arn:aws:iam::111122223333:root"), Some(Principal::Account("111122223333".into())));
        let user = "arn:aws:iam::111122223333:user/division/Bob";
        assert_eq!(one(user), Some(Principal::Exact(user.into())));
        let session = "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com";
        assert_eq!(one(session), Some(Principal::Exact(session.into())));
        let fed = "arn:aws:sts::111122223333:federated-user/carol";
        assert_eq!(one(fed), Some(Principal::Exact(fed.into())));
        assert_eq!(
            one("arn:aws-cn:iam::111122223333:role/ops/Deploy"),
            Some(Principal::Role {
                arn: "arn:aws-cn:iam::111122223333:role/ops/Deploy".into(),
                session_prefix: "arn:aws-cn:sts::111122223333:assumed-role/Deploy/".into()
            })
        );
        let services = parse_principals(&json!({"Service": ["logs.amazonaws.com"], "Federated": "cognito"})).unwrap();
        assert_eq!(services, vec![Principal::Foreign, Principal::Foreign]);
    }

    #[test]
    fn rejects_wildcards_and_malformed_principals() {
        for bad in [
            "arn:aws:iam::111122223333:user/*",
            "arn:aws:iam::111122223333:role/Admin*",
            "arn:aws:iam::*:root",
            "arn:aws:sts::111122223333:assumed-role/Admin/*",
            "arn:aws:iam::11112222333:root",
            "1111222233334",
            "arn:aws:iam:us-east-1:111122223333:root",
            "arn:aws:iam::111122223333:group/devs",
            "arn:aws:iam::111122223333:user/",
            "arn:aws:iam::111122223333:user//Bob",
            "arn:aws:sts::111122223333:assumed-role/Admin",
            "arn:aws:sts::111122223333:assumed-role/Admin/s/x",
            "arn:aws:s3:::bucket",
            "arn:gcp:iam::111122223333:root",
            "alice",
            "",
        ] {
            assert_eq!(one(bad), None, "{bad:?}");
        }
        for bad in [
            json!("arn:aws:iam::111122223333:root"),
            json!("111122223333"),
            json!({}),
            json!({"AWS": []}),
            json!({"AWS": 111122223333u64}),
            json!({"CanonicalUser": "abc"}),
            json!({"Service": ""}),
            json!(["*"]),
            json!(null),
        ] {
            let err = parse_principals(&bad).unwrap_err();
            assert_eq!(err.message.as_deref(), Some(INVALID_PRINCIPALS), "{bad}");
        }
    }

    #[test]
    fn account_principals_match_every_principal_of_the_account() {
        let p = one("111122223333").unwrap();
        assert!(p.matches("arn:aws:iam::111122223333:user/alice", "111122223333"));
        assert!(p.matches("arn:aws:sts::111122223333:assumed-role/R/s", "111122223333"));
        assert!(!p.matches("arn:aws:iam::444455556666:user/alice", "444455556666"));
    }

    #[test]
    fn roles_match_themselves_and_their_sessions_only() {
        let p = one("arn:aws:iam::111122223333:role/team/Deploy").unwrap();
        assert!(p.matches("arn:aws:iam::111122223333:role/team/Deploy", "111122223333"));
        assert!(p.matches("arn:aws:sts::111122223333:assumed-role/Deploy/ci-run-7", "111122223333"));
        assert!(!p.matches("arn:aws:sts::111122223333:assumed-role/Deploy/", "111122223333"));
        assert!(!p.matches("arn:aws:sts::111122223333:assumed-role/Deployer/s", "111122223333"));
        assert!(!p.matches("arn:aws:sts::444455556666:assumed-role/Deploy/s", "444455556666"));
        assert!(!p.matches("arn:aws:iam::111122223333:role/Deploy", "111122223333"), "the path is part of the ARN");
    }

    #[test]
    fn exact_principals_are_case_sensitive_and_foreign_ones_never_match() {
        let p = one("arn:aws:iam::111122223333:user/Alice").unwrap();
        assert!(p.matches("arn:aws:iam::111122223333:user/Alice", "111122223333"));
        assert!(!p.matches("arn:aws:iam::111122223333:user/alice", "111122223333"));
        assert!(!Principal::Foreign.matches("arn:aws:iam::111122223333:root", "111122223333"));
    }
}
