//! UpdateCustomKeyStore: renames a custom key store, records a new `kmsuser`
//! password, or moves it to a related CloudHSM cluster.
//!
//! As AWS documents today, a rename alone is allowed while the store is
//! `CONNECTED`; every other change needs it `DISCONNECTED`. Trent's emulated
//! clusters are all related to one another, so any valid cluster id that no
//! other store of the account uses is accepted. The password is checked
//! against the model constraints and otherwise not kept (no HSM to log in to).

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::kms::Kms;
use crate::operation::Operation;
use crate::wire::validate::Validator;

use crate::custom_key_store::{self as cks, ConnectionState};

/// UpdateCustomKeyStore request. The external key store members are accepted
/// only to refuse them with a clear error.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub custom_key_store_id: Option<String>,
    pub new_custom_key_store_name: Option<String>,
    pub key_store_password: Option<cks::KeyStorePassword>,
    pub cloud_hsm_cluster_id: Option<String>,
    #[serde(flatten)]
    pub xks: cks::XksMembers,
}

/// Runs UpdateCustomKeyStore.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let mut v = Validator::new();
    v.required("customKeyStoreId", &req.custom_key_store_id)
        .str_len("customKeyStoreId", req.custom_key_store_id.as_deref(), 1, 64)
        .str_len("newCustomKeyStoreName", req.new_custom_key_store_name.as_deref(), 1, 256);
    crate::custom_key_store::validation::validate_cloudhsm_members(
        &mut v,
        req.cloud_hsm_cluster_id.as_deref(),
        req.key_store_password.as_ref().map(cks::KeyStorePassword::as_str),
    );
    let id = v.finish_with(req.custom_key_store_id.clone())?;
    kms.admit(caller, Operation::UpdateCustomKeyStore).await?;
    let mut store = cks::load(kms, caller, &id).await?;
    if req.xks.any() {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            format!(
                "Custom key store {id} is an AWS_CLOUDHSM key store; external key store proxy settings do not apply."
            ),
        ));
    }
    let rename_only = req.key_store_password.is_none() && req.cloud_hsm_cluster_id.is_none();
    let allowed = match store.connection_state {
        ConnectionState::Disconnected => true,
        ConnectionState::Connected => rename_only,
        _ => false,
    };
    if !allowed {
        let required = if rename_only {
            "the custom key store is DISCONNECTED or, for a rename only, CONNECTED"
        } else {
            "the custom key store is DISCONNECTED"
        };
        return Err(cks::invalid_state(&store, "UpdateCustomKeyStore", required));
    }
    let new_cluster = req.cloud_hsm_cluster_id.filter(|c| *c != store.cloud_hsm_cluster_id);
    if let Some(cluster) = &new_cluster {
        crate::custom_key_store::validation::require_cluster(cluster)?;
    }
    let new_name = req.new_custom_key_store_name.filter(|n| *n != store.name);
    if let Some(name) = &new_name
        && !cks::claim(kms, caller, cks::NAME_KIND, name, &id).await?
    {
        return Err(cks::name_in_use(name));
    }
    if let Some(cluster) = &new_cluster
        && !cks::claim(kms, caller, cks::CLUSTER_KIND, cluster, &id).await?
    {
        if let Some(name) = &new_name {
            cks::release(kms, caller, cks::NAME_KIND, name, &id).await?;
        }
        return Err(cks::cluster_in_use(cluster));
    }
    let old_name = store.name.clone();
    if let Some(name) = &new_name {
        store.name = name.clone();
    }
    let old_cluster = store.cloud_hsm_cluster_id.clone();
    if let Some(cluster) = &new_cluster {
        store.cloud_hsm_cluster_id = cluster.clone();
    }
    cks::save(kms, &store).await?;
    if new_name.is_some() {
        cks::release(kms, caller, cks::NAME_KIND, &old_name, &id).await?;
    }
    if let Some(cluster) = new_cluster {
        cks::release(kms, caller, cks::CLUSTER_KIND, &old_cluster, &id).await?;
        // KeyMetadata.CloudHsmClusterId of the store's keys follows the store.
        for key_id in cks::key_ids(kms, &store).await? {
            let set = |k: &mut crate::key::model::KeyRecord| {
                k.ext.insert(cks::EXT_CLUSTER_ID.into(), cluster.clone().into());
                Ok(())
            };
            match kms.update_key(&key_id, set).await {
                Err(e) if e.kind == ErrorKind::NotFound => {}
                other => {
                    other?;
                }
            }
        }
    }
    Ok(super::Empty {})
}
