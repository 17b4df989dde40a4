//! CreateAlias: a friendly name for a key in the caller's account and region.

use serde::Deserialize;

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::alias::{check_alias_name, check_alias_rules};
use crate::key::model::AliasRecord;
use crate::key::state::require_not_pending;
use crate::kms::{Kms, store_err};
use crate::operation::Operation;
use crate::quota::resource::{ResourceQuota, check_two_caps};
use crate::store::{AliasCaps, StoreError};
use crate::wire::validate::Validator;

/// CreateAlias request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub alias_name: Option<String>,
    pub target_key_id: Option<String>,
}

/// Runs CreateAlias.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.required("aliasName", &req.alias_name);
    check_alias_name(&mut v, req.alias_name.as_deref());
    let (name, target) =
        v.key_id("targetKeyId", req.target_key_id.as_deref(), true).finish_with((req.alias_name, req.target_key_id))?;
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
