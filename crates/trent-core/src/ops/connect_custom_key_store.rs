//! ConnectCustomKeyStore: connects an (emulated) CloudHSM key store.
//!
//! AWS starts an asynchronous connection that reports `CONNECTING` for up to
//! 20 minutes. Trent's emulated cluster answers at once: the store passes
//! through `CONNECTING` (persisted while its keys are made available again)
//! and is `CONNECTED` when the call returns. A cluster without active HSMs
//! (see [`cks::NO_HSM_CLUSTER_PREFIX`]) ends in `FAILED` instead, and the call
//! still succeeds, as AWS's does: the failure shows in DescribeCustomKeyStores.

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;

use crate::custom_key_store::{self as cks, ConnectionState};

/// ConnectCustomKeyStore request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub custom_key_store_id: Option<String>,
}

/// Runs ConnectCustomKeyStore.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let id = crate::custom_key_store::validation::require_id(req.custom_key_store_id)?;
    kms.admit(caller, Operation::ConnectCustomKeyStore).await?;
    let mut store = cks::load(kms, caller, &id).await?;
    match store.connection_state {
        ConnectionState::Connected => return Ok(super::Empty {}),
        ConnectionState::Disconnecting | ConnectionState::Failed => {
            return Err(cks::invalid_state(
                &store,
                "ConnectCustomKeyStore",
                "the ConnectionState is not DISCONNECTING or FAILED (disconnect a FAILED custom key store first)",
            ));
        }
        ConnectionState::Disconnected | ConnectionState::Connecting => {}
    }
    if store.cloud_hsm_cluster_id.starts_with(cks::NO_HSM_CLUSTER_PREFIX) {
        cks::set_state(kms, &mut store, ConnectionState::Failed, Some("INSUFFICIENT_CLOUDHSM_HSMS")).await?;
        return Ok(super::Empty {});
    }
    // CONNECTING is persisted first, so a crash during the key sweep leaves a
    // store that a repeated ConnectCustomKeyStore finishes.
    cks::set_state(kms, &mut store, ConnectionState::Connecting, None).await?;
    cks::update_keys(kms, &store, cks::make_available).await?;
    cks::set_state(kms, &mut store, ConnectionState::Connected, None).await?;
    Ok(super::Empty {})
}
