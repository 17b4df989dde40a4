//! DeleteCustomKeyStore: deletes a disconnected custom key store that holds no keys.

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::kms::{Kms, store_err};
use crate::operation::Operation;
use crate::store::StoreError;

use crate::custom_key_store::{self as cks, ConnectionState};

/// DeleteCustomKeyStore request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub custom_key_store_id: Option<String>,
}

/// Runs DeleteCustomKeyStore.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let id = crate::custom_key_store::validation::require_id(req.custom_key_store_id)?;
    kms.admit(caller, Operation::DeleteCustomKeyStore).await?;
    let store = cks::load(kms, caller, &id).await?;
    if store.connection_state != ConnectionState::Disconnected {
        return Err(cks::invalid_state(&store, "DeleteCustomKeyStore", "the custom key store is DISCONNECTED"));
    }
    // Keys pending deletion still count: AWS asks to wait until they are deleted.
    if !cks::key_ids(kms, &store).await?.is_empty() {
        return Err(KmsError::new(
            ErrorKind::CustomKeyStoreHasCmks,
            format!(
                "Custom key store {id} contains KMS keys. Schedule their deletion (ScheduleKeyDeletion) and delete the custom key store after they are deleted."
            ),
        ));
    }
    match kms.store.delete_doc(cks::DOC_KIND, &cks::scope(caller), &id).await {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(cks::not_found(&id)),
        Err(e) => return Err(store_err(e)),
    }
    cks::release(kms, caller, cks::NAME_KIND, &store.name, &id).await?;
    cks::release(kms, caller, cks::CLUSTER_KIND, &store.cloud_hsm_cluster_id, &id).await?;
    Ok(super::Empty {})
}
