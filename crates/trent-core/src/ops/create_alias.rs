//! CreateAlias: a friendly name for a key in the caller's account and region.

use serde::Deserialize;

use crate::authz::Access;
use crate::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::model::AliasRecord;
use crate::operation::Operation;
use crate::resource_quota::{ResourceQuota, check_two_caps};
use crate::service::{Kms, require_not_pending, store_err};
use crate::store::{AliasCaps, StoreError};
use crate::validate::Validator;

/// CreateAlias request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub alias_name: Option<String>,
    pub target_key_id: Option<String>,
}

/// Model and service checks of an alias name, with AWS's errors.
pub(crate) fn check_alias_name(v: &mut Validator, name: Option<&str>) {
    v.str_len("aliasName", name, 1, 256).pattern("aliasName", name, "^[a-zA-Z0-9:/_-]+$", |s| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'))
    });
}

/// Service rules beyond the model: the `alias/` prefix, no `:`, and the reserved `alias/aws/` prefix.
pub(crate) fn check_alias_rules(name: &str) -> KmsResult<()> {
    if !name.starts_with("alias/") || name.len() == "alias/".len() {
        return Err(KmsError::validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if name.contains(':') {
        return Err(KmsError::validation(format!("{name} contains invalid characters for an alias")));
    }
    if name.starts_with("alias/aws/") {
        return Err(KmsError::new(
            ErrorKind::InvalidAliasName,
            "Alias names that begin with alias/aws/ are reserved for AWS managed keys.",
        ));
    }
    Ok(())
}

/// Runs CreateAlias.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.required("aliasName", &req.alias_name);
    check_alias_name(&mut v, req.alias_name.as_deref());
    v.key_id("targetKeyId", req.target_key_id.as_deref(), true).finish()?;
    let (Some(name), Some(target)) = (req.alias_name, req.target_key_id) else {
        return Err(KmsError::internal("validated"));
    };
    check_alias_rules(&name)?;
    let key = kms.resolve_key_only(caller, &target, &Access::new("CreateAlias")).await?;
    kms.admit_key(caller, Operation::CreateAlias, &key.record).await?;
    require_not_pending(&key.record)?;
    let now = kms.now();
    let alias = AliasRecord {
        account_id: caller.account_id.clone(),
        region: caller.region.clone(),
        alias_name: name,
        target_key_id: key.record.key_id.clone(),
        creation_date: now,
        last_updated_date: now,
    };
    // Aliases count against the quotas of the key's account (the caller's: an
    // alias can only name a key of its own account and Region): per key and,
    // in the 2020 profile, per Region (no limit otherwise).
    let (account, region) = (&key.record.account_id, &key.record.region);
    let per_key = (ResourceQuota::AliasesPerKey, kms.resource_limit(account, region, ResourceQuota::AliasesPerKey));
    let per_region =
        (ResourceQuota::AliasesPerRegion, kms.resource_limit(account, region, ResourceQuota::AliasesPerRegion));
    let caps = AliasCaps { per_key: per_key.1, per_region: per_region.1 };
    match check_two_caps(per_key, per_region, kms.store.insert_alias_capped(&alias, caps).await)? {
        Ok(()) => {}
        Err(StoreError::AlreadyExists) => {
            return Err(KmsError::new(
                ErrorKind::AlreadyExists,
                format!("An alias with the name {} already exists", alias.arn()),
            ));
        }
        Err(e) => return Err(store_err(e)),
    }
    kms.cache.forget_alias(&alias.account_id, &alias.region, &alias.alias_name);
    Ok(super::Empty {})
}
