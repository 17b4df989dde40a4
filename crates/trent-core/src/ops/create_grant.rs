//! CreateGrant: lets a grantee principal use a key for some operations,
//! optionally only under an encryption context, without touching the key policy.

use serde::{Deserialize, Serialize};

use crate::access::authorize::{Access, NewGrant};
use crate::access::caller::Caller;
use crate::access::grants::check_principal;
use crate::access::grants::{self, Constraints, GRANT_OPERATIONS, Grant};
use crate::error::{KmsError, KmsResult};
use crate::key::encryption_context::EncryptionContext;
use crate::key::model::{KeyManager, KeyRecord, KeySpec};
use crate::key::state::require_not_pending;
use crate::kms::{Kms, store_err};
use crate::operation::Operation;
use crate::quota::resource::{ResourceQuota, check_two_caps};
use crate::store::Doc;
use crate::wire::aws_enum::AwsEnum;
use crate::wire::validate::Validator;

/// CreateGrant request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub key_id: Option<String>,
    pub grantee_principal: Option<String>,
    pub retiring_principal: Option<String>,
    pub operations: Option<Vec<String>>,
    pub constraints: Option<Constraints>,
    pub grant_tokens: Option<Vec<String>>,
    pub name: Option<String>,
    pub dry_run: Option<bool>,
    pub grantee_service_principal: Option<String>,
    pub retiring_service_principal: Option<String>,
}

/// CreateGrant response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub grant_token: String,
    pub grant_id: String,
}

/// The model constraints of a `ServicePrincipalType` member.
fn check_service_principal(v: &mut Validator, path: &str, p: Option<&str>) {
    v.str_len(path, p, 1, 128).pattern(path, p, "^([A-Za-z0-9\\-]+)\\.([A-Za-z0-9\\-]+)(\\.[A-Za-z0-9\\-]+)+$", |s| {
        let parts: Vec<&str> = s.split('.').collect();
        parts.len() >= 3
            && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    });
}

/// Whether a principal names an AWS account, user, role or session the way
/// AWS accepts it in a grant (a key policy principal other than `*`).
fn principal_well_formed(p: &str) -> bool {
    crate::access::policy::parse_aws_principal(p).is_some_and(|p| p != crate::access::policy::Principal::Anyone)
}

/// The model pattern of `GrantConstraints.SourceArn`.
fn source_arn_well_formed(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let lower = |p: &str| p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    matches!(parts.as_slice(), ["arn", partition, service, region, account, resource]
        if partition.strip_prefix("aws").is_some_and(lower)
            && !service.is_empty() && lower(service) && lower(region)
            && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
            && !resource.is_empty())
}

fn check_context(ctx: Option<&EncryptionContext>) -> KmsResult<()> {
    crate::wire::validate::encryption_context(ctx)
}

/// Runs CreateGrant.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<Response> {
    let mut v = Validator::new();
    v.key_id("keyId", req.key_id.as_deref(), true).required("operations", &req.operations);
    check_principal(&mut v, "granteePrincipal", req.grantee_principal.as_deref());
    check_principal(&mut v, "retiringPrincipal", req.retiring_principal.as_deref());
    check_service_principal(&mut v, "granteeServicePrincipal", req.grantee_service_principal.as_deref());
    check_service_principal(&mut v, "retiringServicePrincipal", req.retiring_service_principal.as_deref());
    v.str_len("name", req.name.as_deref(), 1, 256).pattern("name", req.name.as_deref(), "^[a-zA-Z0-9:/_-]+$", |s| {
        s.chars().all(|c| c.is_ascii_alphanumeric() || ":/_-".contains(c))
    });
    v.grant_tokens(req.grant_tokens.as_deref());
    let source_arn = req.constraints.as_ref().and_then(|c| c.source_arn.as_deref());
    v.str_len("constraints.sourceArn", source_arn, 20, 512).pattern(
        "constraints.sourceArn",
        source_arn,
        "^arn:aws[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$",
        source_arn_well_formed,
    );
    if let Some(ops) = &req.operations {
        for (i, op) in ops.iter().enumerate() {
            v.one_of(&format!("operations.{}.member", i + 1), Some(op), GRANT_OPERATIONS);
        }
    }
    let (key_id, operations) = v.finish_with((req.key_id, req.operations))?;
    let constraints = req.constraints.clone().unwrap_or_default();
    check_context(constraints.encryption_context_subset.as_ref())?;
    check_context(constraints.encryption_context_equals.as_ref())?;
    if operations.is_empty() {
        return Err(KmsError::validation("The grant must allow at least one operation."));
    }
    match (&req.grantee_principal, &req.grantee_service_principal) {
        (Some(_), Some(_)) => {
            return Err(KmsError::validation("Specify either GranteePrincipal or GranteeServicePrincipal, not both."));
        }
        (None, None) => return Err(KmsError::validation("GranteePrincipal or GranteeServicePrincipal is required.")),
        _ => {}
    }
    if req.retiring_principal.is_some() && req.retiring_service_principal.is_some() {
        return Err(KmsError::validation("Specify either RetiringPrincipal or RetiringServicePrincipal, not both."));
    }
    for p in [&req.grantee_principal, &req.retiring_principal].into_iter().flatten() {
        if !principal_well_formed(p) {
            return Err(KmsError::validation(format!("Invalid principal: {p}")));
        }
    }
    let new = NewGrant {
        operations: &operations,
        grantee: req.grantee_principal.as_deref(),
        retiring: req.retiring_principal.as_deref(),
        constraints: &constraints,
    };
    let access = Access { new_grant: Some(&new), ..Access::new("CreateGrant").tokens(req.grant_tokens.as_deref()) };
    let key = kms.resolve_key_only(caller, &key_id, &access).await?;
    kms.admit_key(caller, Operation::CreateGrant, &key.record).await?;
    require_not_pending(&key.record)?;
    let record = &key.record;
    let unsupported: Vec<&str> = operations
        .iter()
        .map(String::as_str)
        .filter(|op| !grants::operation_supported(record.key_spec, record.key_usage, op))
        .collect();
    if !unsupported.is_empty() {
        return Err(KmsError::validation(format!(
            "Grant operations [{}] are not supported on {} with key spec {} and key usage {}.",
            unsupported.join(", "),
            key.arn(),
            record.key_spec.as_str(),
            record.key_usage.as_str()
        )));
    }
    if constraints.has_context_constraint()
        && record.key_spec != KeySpec::SymmetricDefault
        && operations.iter().any(|op| !grants::GENERAL_OPERATIONS.contains(&op.as_str()))
    {
        return Err(KmsError::validation(
            "Encryption context grant constraints are supported only on symmetric encryption KMS keys.",
        ));
    }
    if req.dry_run == Some(true) {
        return Err(KmsError::dry_run());
    }
    let grant = Grant {
        grant_id: grants::new_grant_id()?,
        key_id: record.key_id.clone(),
        key_arn: key.arn(),
        name: req.name.clone(),
        creation_date: kms.now(),
        grantee_principal: req.grantee_principal.clone(),
        retiring_principal: req.retiring_principal.clone(),
        grantee_service_principal: req.grantee_service_principal.clone(),
        retiring_service_principal: req.retiring_service_principal.clone(),
        issuing_account: format!("arn:aws:iam::{}:root", caller.account_id),
        operations,
        constraints: (!constraints.is_empty()).then_some(constraints),
    };
    // A retried CreateGrant with the same name and parameters returns the
    // grant it made the first time, with a fresh token.
    if grant.name.is_some()
        && let Some(existing) = kms.grants_of(&record.store_id()).await?.into_iter().find(|g| same_request(g, &grant))
    {
        return Ok(Response { grant_token: grants::token_for(&existing)?, grant_id: existing.grant_id });
    }
    let doc = Doc {
        kind: grants::DOC_KIND.into(),
        scope: record.store_id(),
        id: grant.grant_id.clone(),
        body: grant.to_json()?,
    };
    kms.insert_grant_doc(record, &doc, grant.grantee()).await?;
    Ok(Response { grant_token: grants::token_for(&grant)?, grant_id: grant.grant_id })
}

/// Whether two grants come from identical CreateGrant parameters.
fn same_request(a: &Grant, b: &Grant) -> bool {
    let mut ops_a = a.operations.clone();
    let mut ops_b = b.operations.clone();
    ops_a.sort();
    ops_b.sort();
    a.name == b.name
        && a.grantee_principal == b.grantee_principal
        && a.retiring_principal == b.retiring_principal
        && a.grantee_service_principal == b.grantee_service_principal
        && a.retiring_service_principal == b.retiring_service_principal
        && a.issuing_account == b.issuing_account
        && ops_a == ops_b
        && a.constraints == b.constraints
}

impl Kms {
    /// Stores a new grant within its resource quotas, atomically with the
    /// counts: grants per key (customer managed keys only, as AWS counts it)
    /// and, in the 2020 profile, grants for the same `grantee` on the key
    /// (customer and AWS managed keys alike, as the 2020 documentation says).
    async fn insert_grant_doc(&self, key: &KeyRecord, doc: &Doc, grantee: Option<&str>) -> KmsResult<()> {
        let quota = ResourceQuota::GrantsPerKey;
        let limit = match key.key_manager {
            KeyManager::Customer => self.resource_limit(&key.account_id, &key.region, quota),
            KeyManager::Aws => u64::MAX,
        };
        let inserted = match grantee {
            Some(grantee) => {
                let per_grantee = ResourceQuota::GrantsPerPrincipalPerKey;
                let grantee_limit = self.resource_limit(&key.account_id, &key.region, per_grantee);
                let result = self.store.insert_doc_capped_in_group(doc, limit, grantee, grantee_limit).await;
                check_two_caps((quota, limit), (per_grantee, grantee_limit), result)?.map_err(store_err)
            }
            // CreateGrant requires a grantee; kept total rather than assumed.
            None => quota.check(limit, self.store.insert_doc_capped(doc, limit).await)?.map_err(store_err),
        };
        self.grants_changed(&key.key_id);
        inserted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_accepted_as_aws_does() {
        assert!(principal_well_formed("111122223333"));
        assert!(principal_well_formed("arn:aws:iam::111122223333:root"));
        assert!(principal_well_formed("arn:aws:iam::111122223333:role/path/r"));
        assert!(principal_well_formed("arn:aws:sts::111122223333:assumed-role/r/s"));
        assert!(!principal_well_formed("bob"));
        assert!(!principal_well_formed("arn:aws:iam::1111:user/bob"));
        assert!(!principal_well_formed("arn:aws:s3:::bucket"));
    }
}
