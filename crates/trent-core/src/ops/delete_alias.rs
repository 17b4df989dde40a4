//! DeleteAlias: removes an alias; the key is untouched.

use serde::Deserialize;

use crate::access::authorize::Access;
use crate::access::caller::Caller;
use crate::error::{KmsError, KmsResult};
use crate::kms::{Kms, store_err};
use crate::operation::Operation;
use crate::store::StoreError;
use crate::wire::validate::Validator;

/// DeleteAlias request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub alias_name: Option<String>,
}

/// Runs DeleteAlias.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.required("aliasName", &req.alias_name);
    crate::key::alias::check_alias_name(&mut v, req.alias_name.as_deref());
    let name = v.finish_with(req.alias_name)?;
    crate::key::alias::check_alias_rules(&name)?;
    kms.admit(caller, Operation::DeleteAlias).await?;
    let alias_arn = format!("arn:aws:kms:{}:{}:{}", caller.region, caller.account_id, name);
    // Deleting an alias needs kms:DeleteAlias on the key it points at.
    if let Some(alias) = kms.store.get_alias(&caller.account_id, &caller.region, &name).await.map_err(store_err)?
        && let Some(key) = kms.load_key(&crate::key::model::store_id(&alias.target_key_id, &alias.region)).await?
    {
        kms.authorize(caller, &key, &Access::new("DeleteAlias"), None).await?;
    }
    match kms.store.delete_alias(&caller.account_id, &caller.region, &name).await {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(KmsError::alias_not_found(&alias_arn)),
        Err(e) => return Err(store_err(e)),
    }
    kms.cache.forget_alias(&caller.account_id, &caller.region, &name);
    Ok(super::Empty {})
}
