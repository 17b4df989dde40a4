//! UpdateAlias: points an alias at another key of the same usage.

use serde::Deserialize;

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::key::state::require_not_pending;
use crate::kms::{Kms, store_err};
use crate::operation::Operation;
use crate::quota::resource::ResourceQuota;
use crate::store::StoreError;
use crate::wire::validate::Validator;

/// UpdateAlias request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub alias_name: Option<String>,
    pub target_key_id: Option<String>,
}

/// Runs UpdateAlias.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.required("aliasName", &req.alias_name);
    crate::key::alias::check_alias_name(&mut v, req.alias_name.as_deref());
    let (name, target) =
        v.key_id("targetKeyId", req.target_key_id.as_deref(), true).finish_with((req.alias_name, req.target_key_id))?;
    crate::key::alias::check_alias_rules(&name)?;
    let key = kms.resolve_key_only(caller, &target, &Access::new("UpdateAlias")).await?;
    kms.admit_key(caller, Operation::UpdateAlias, &key.record).await?;
    require_not_pending(&key.record)?;
    let alias_arn = format!("arn:aws:kms:{}:{}:{}", caller.region, caller.account_id, name);
    let Some(mut alias) = kms.store.get_alias(&caller.account_id, &caller.region, &name).await.map_err(store_err)?
    else {
        return Err(KmsError::alias_not_found(&alias_arn));
    };
    if let Some(old) = kms.load_key(&crate::key::model::store_id(&alias.target_key_id, &alias.region)).await? {
        // Moving an alias needs kms:UpdateAlias on the key it leaves too.
        kms.authorize(caller, &old, &Access::new("UpdateAlias"), None).await?;
        if old.record.key_usage != key.record.key_usage || old.record.key_spec.family() != key.record.key_spec.family()
        {
            return Err(KmsError::validation(format!(
                "{} and {} are not the same type of key: an alias can only be moved to a key with the same key type and key usage.",
                old.arn(),
                key.arn()
            )));
        }
    }
    alias.target_key_id = key.record.key_id.clone();
    alias.last_updated_date = kms.now();
    let quota = ResourceQuota::AliasesPerKey;
    let limit = kms.resource_limit(&key.record.account_id, &key.record.region, quota);
    match quota.check(limit, kms.store.update_alias_capped(&alias, limit).await)? {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(KmsError::alias_not_found(&alias_arn)),
        Err(e) => return Err(store_err(e)),
    }
    kms.cache.forget_alias(&caller.account_id, &caller.region, &name);
    Ok(super::Empty {})
}
