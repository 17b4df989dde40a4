//! Who is calling: the authenticated principal and the namespace it acts in.

/// The authenticated caller of one request. The account and region come from
/// the verified SigV4 credential scope; every key and alias lives in exactly
/// one (account, region) namespace, and quotas are charged to the caller's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caller {
    /// The 12-digit account the principal belongs to.
    pub account_id: String,
    /// The region named in the request's credential scope.
    pub region: String,
    /// The principal's ARN (e.g. `arn:aws:iam::111122223333:user/dev`).
    pub principal_arn: String,
    /// The access key that signed the request.
    pub access_key_id: String,
}

impl Caller {
    /// A caller for tests and in-process tools.
    pub fn new(account_id: &str, region: &str) -> Self {
        Self {
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            principal_arn: format!("arn:aws:iam::{account_id}:root"),
            access_key_id: String::new(),
        }
    }
}
