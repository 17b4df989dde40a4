//! Key resolution: from a request's `KeyId` member (key id, key ARN, alias
//! name or alias ARN) to a loaded, authorized key, with AWS's refusals.

use std::sync::Arc;

use crate::access::authorize::{Access, cross_account_action};
use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::arn::{KeyRef, key_arn};
use crate::key::cache::LoadedKey;
use crate::key::ciphertext::SymmetricBlob;
use crate::key::model::{KeyRecord, store_id};
use crate::operation::Operation;
use crate::wire::validate::Validator;

use super::{Kms, invalid_arn, store_err};

impl Kms {
    /// Resolves a `KeyId` member (key id, key ARN, alias name or alias ARN) to a key
    /// and authorizes `access` on it: AWS's NotFoundException when it does not
    /// exist (or lives in another account and `access` cannot cross accounts),
    /// AccessDeniedException when the key policy and grants do not allow it.
    pub async fn resolve(&self, caller: &Caller, key_ref: &str, access: &Access<'_>) -> KmsResult<Arc<LoadedKey>> {
        self.resolve_inner(caller, key_ref, true, access).await
    }

    /// Like [`Kms::resolve`] but refuses alias names and ARNs (operations that
    /// take only a key id or key ARN, such as management operations).
    pub async fn resolve_key_only(
        &self,
        caller: &Caller,
        key_ref: &str,
        access: &Access<'_>,
    ) -> KmsResult<Arc<LoadedKey>> {
        self.resolve_inner(caller, key_ref, false, access).await
    }

    async fn resolve_inner(
        &self,
        caller: &Caller,
        key_ref: &str,
        aliases_ok: bool,
        access: &Access<'_>,
    ) -> KmsResult<Arc<LoadedKey>> {
        let parsed = KeyRef::parse(key_ref).ok_or_else(|| invalid_arn(key_ref))?;
        let mut request_alias = None;
        let (account, region, key_id) = match parsed {
            KeyRef::KeyId(id) => (caller.account_id.clone(), caller.region.clone(), id),
            // A key ARN of another region names no key here (AWS's words).
            KeyRef::KeyArn { region, .. } if region != caller.region => {
                return Err(KmsError::new(ErrorKind::NotFound, format!("Invalid arn {region}")));
            }
            KeyRef::KeyArn { region, account, key_id } => (account, region, key_id),
            KeyRef::AliasName(name) => {
                if !aliases_ok {
                    return Err(invalid_arn(key_ref));
                }
                let id = self.alias_target(&caller.account_id, &caller.region, &name).await?;
                request_alias = Some(name);
                (caller.account_id.clone(), caller.region.clone(), id)
            }
            KeyRef::AliasArn { region, account, name } => {
                if !aliases_ok {
                    return Err(invalid_arn(key_ref));
                }
                if account != caller.account_id && !cross_account_action(access.action) {
                    return Err(KmsError::alias_not_found(&format!("arn:aws:kms:{region}:{account}:{name}")));
                }
                let id = self.alias_target(&account, &region, &name).await?;
                request_alias = Some(name);
                (account, region, id)
            }
        };
        let arn = key_arn(&region, &account, &key_id);
        let Some(key) = self.load_key(&store_id(&key_id, &region)).await? else {
            return Err(KmsError::key_not_found(&arn));
        };
        // Keys live in exactly one account and region. Another account's key
        // is reachable by ARN only, and only for the actions AWS lets cross
        // accounts; whether this caller may is the key policy's and grants' call.
        if key.record.account_id != account
            || key.record.region != region
            || region != caller.region
            || (account != caller.account_id && !cross_account_action(access.action))
        {
            return Err(KmsError::key_not_found(&arn));
        }
        self.authorize(caller, &key, access, request_alias.as_deref()).await?;
        self.expire_imported_material(key).await
    }

    /// Imported material whose ValidTo has passed is deleted, as AWS does: the
    /// key goes to PendingImport. Checked whenever a key is resolved.
    async fn expire_imported_material(&self, key: Arc<LoadedKey>) -> KmsResult<Arc<LoadedKey>> {
        let now = self.now();
        let due = |k: &KeyRecord| crate::key::imported_materials::expiry_due(k, now);
        if !due(&key.record) {
            return Ok(key);
        }
        self.update_key(&key.record.store_id(), |k| crate::key::imported_materials::expire(k, now)).await
    }

    async fn alias_target(&self, account: &str, region: &str, name: &str) -> KmsResult<String> {
        if let Some(id) = self.cache.alias(account, region, name) {
            return Ok(id);
        }
        let generation = self.cache.generation();
        match self.store.get_alias(account, region, name).await.map_err(store_err)? {
            Some(a) => {
                self.cache.put_alias(account, region, name, &a.target_key_id, generation);
                Ok(a.target_key_id)
            }
            None => Err(KmsError::alias_not_found(&format!("arn:aws:kms:{region}:{account}:{name}"))),
        }
    }

    /// Validates a request whose only member is a required KeyId, resolves the
    /// key (key id or key ARN only) and charges `op`. Shared by the management
    /// operations that take just a key.
    pub async fn key_only(&self, caller: &Caller, op: Operation, key_id: Option<&str>) -> KmsResult<Arc<LoadedKey>> {
        let key_id = Validator::new().key_id("keyId", key_id, true).finish_with(key_id)?;
        let key = self.resolve_key_only(caller, key_id, &Access::new(op.name())).await?;
        self.admit_key(caller, op, &key.record).await?;
        Ok(key)
    }

    /// The key a ciphertext names, resolved for the caller. A blob that is not
    /// ours, or whose key is unknown to the caller, is InvalidCiphertextException.
    pub async fn resolve_ciphertext_key(
        &self,
        caller: &Caller,
        blob: &[u8],
        requested: Option<&str>,
        access: &Access<'_>,
    ) -> KmsResult<Arc<LoadedKey>> {
        let parsed = SymmetricBlob::parse(blob).ok_or_else(KmsError::invalid_ciphertext)?;
        let blob_key_id = parsed.key_id();
        if let Some(req) = requested {
            let key = self.resolve(caller, req, access).await?;
            if key.record.key_id != blob_key_id {
                return Err(KmsError::new(
                    ErrorKind::IncorrectKey,
                    "The key ID in the request does not identify a CMK that can perform this operation.",
                ));
            }
            return Ok(key);
        }
        // Without KeyId the ciphertext names the key, which may belong to another
        // account of the same region (cross-account Decrypt and ReEncrypt).
        match self.load_key(&store_id(&blob_key_id, &caller.region)).await? {
            Some(k)
                if k.record.region == caller.region
                    && (k.record.account_id == caller.account_id || cross_account_action(access.action)) =>
            {
                self.authorize(caller, &k, access, None).await?;
                Ok(k)
            }
            _ => Err(KmsError::invalid_ciphertext()),
        }
    }
}
