//! DisconnectCustomKeyStore: disconnects a custom key store; its keys become
//! `Unavailable` (unless pending deletion) until it is connected again.

use serde::Deserialize;

use crate::access::caller::Caller;
use crate::error::KmsResult;
use crate::kms::Kms;
use crate::operation::Operation;

use crate::custom_key_store::{self as cks, ConnectionState};

/// A `DISCONNECTING` state older than this is an interrupted disconnection
/// (the process stopped during the key sweep), which a new request may finish.
pub const STALE_TRANSITION_SECONDS: f64 = 60.0;

/// DisconnectCustomKeyStore request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub custom_key_store_id: Option<String>,
}

/// Runs DisconnectCustomKeyStore.
pub async fn run(kms: &Kms, caller: &Caller, req: Request) -> KmsResult<super::Empty> {
    let id = crate::custom_key_store::validation::require_id(req.custom_key_store_id)?;
    kms.admit(caller, Operation::DisconnectCustomKeyStore).await?;
    let mut store = cks::load(kms, caller, &id).await?;
    let refuse = match store.connection_state {
        ConnectionState::Disconnected => true,
        ConnectionState::Disconnecting => kms.now() - store.state_changed < STALE_TRANSITION_SECONDS,
        ConnectionState::Connected | ConnectionState::Connecting | ConnectionState::Failed => false,
    };
    if refuse {
        return Err(cks::invalid_state(
            &store,
            "DisconnectCustomKeyStore",
            "the ConnectionState is not DISCONNECTING or DISCONNECTED",
        ));
    }
    // DISCONNECTING is persisted before the sweep: a CreateKey that raced with
    // it either is seen by the sweep or sees the store no longer CONNECTED.
    cks::set_state(kms, &mut store, ConnectionState::Disconnecting, None).await?;
    cks::update_keys(kms, &store, cks::make_unavailable).await?;
    cks::set_state(kms, &mut store, ConnectionState::Disconnected, None).await?;
    Ok(super::Empty {})
}
