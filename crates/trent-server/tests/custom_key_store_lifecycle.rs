//! Custom key store lifecycle details that need a hand-moved wall clock or a
//! hand-made crash state, in-process: a store can be deleted once its keys'
//! waiting period is over and they are gone; an interrupted connect
//! (`CONNECTING`) or disconnect (`DISCONNECTING`) is finished by a repeated
//! request; the store documents are what docs/custom-key-stores.md says.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ACCOUNT, DAY, Service};
use serde_json::{Value, json};
use trent_core::custom_key_store::{self as cks, ConnectionState};
use trent_core::{ErrorKind, Operation};

const REGION: &str = "eu-west-1";

/// Helpers only this file needs.
impl Service {
    async fn connection_state(&self, id: &str) -> String {
        let out = self.ok(Operation::DescribeCustomKeyStores, json!({"CustomKeyStoreId": id})).await;
        out["CustomKeyStores"][0]["ConnectionState"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn store_can_be_deleted_once_its_keys_are_deleted() {
    let s = Service::in_region(REGION).await;
    let id = s.create_custom_key_store("to-delete", "cluster-abcdefghijk").await;
    s.ok(Operation::ConnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await;
    let md = s.ok(Operation::CreateKey, json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": id})).await;
    let key = md["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    s.ok(Operation::DisconnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await;
    assert_eq!(s.key_state(&key).await, "Unavailable");

    // Scheduling deletion of an Unavailable key is allowed; the key still blocks the store.
    let out = s.ok(Operation::ScheduleKeyDeletion, json!({"KeyId": key, "PendingWindowInDays": 7})).await;
    assert_eq!(out["KeyState"], "PendingDeletion");
    assert_eq!(
        s.err_kind(Operation::DeleteCustomKeyStore, json!({"CustomKeyStoreId": id})).await,
        ErrorKind::CustomKeyStoreHasCmks
    );

    // A key pending deletion stays PendingDeletion across a reconnection.
    s.ok(Operation::ConnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await;
    assert_eq!(s.key_state(&key).await, "PendingDeletion");
    s.ok(Operation::DisconnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await;

    s.clock.advance(7.0 * DAY + 1.0);
    assert_eq!(s.due_work().await.deleted, 1);
    s.ok(Operation::DeleteCustomKeyStore, json!({"CustomKeyStoreId": id})).await;
    assert_eq!(
        s.err_kind(Operation::ConnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await,
        ErrorKind::CustomKeyStoreNotFound
    );
    // No document of the store is left behind.
    let store = s.kms.store();
    for kind in [cks::DOC_KIND, cks::NAME_KIND, cks::CLUSTER_KIND] {
        assert!(store.list_docs(kind, None).await.unwrap().is_empty(), "{kind} left behind");
    }
}

#[tokio::test]
async fn interrupted_transitions_are_finished_by_a_repeated_request() {
    let s = Service::in_region(REGION).await;
    let id = s.create_custom_key_store("crashy", "cluster-abcdefghijk").await;
    s.ok(Operation::ConnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await;
    let md = s.ok(Operation::CreateKey, json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": id})).await;
    let key = md["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();

    // As if the process stopped during Disconnect's key sweep: DISCONNECTING, key still Enabled.
    let mut store = cks::load(&s.kms, &s.caller, &id).await.unwrap();
    cks::set_state(&s.kms, &mut store, ConnectionState::Disconnecting, None).await.unwrap();
    assert_eq!(s.connection_state(&id).await, "DISCONNECTING");
    // A disconnection in progress is not disturbed ...
    let op = json!({"CustomKeyStoreId": id});
    assert_eq!(
        s.err_kind(Operation::DisconnectCustomKeyStore, op.clone()).await,
        ErrorKind::CustomKeyStoreInvalidState
    );
    assert_eq!(s.err_kind(Operation::ConnectCustomKeyStore, op.clone()).await, ErrorKind::CustomKeyStoreInvalidState);
    // ... but one stuck for a minute is finished by a new DisconnectCustomKeyStore.
    s.clock.advance(61.0);
    s.ok(Operation::DisconnectCustomKeyStore, op.clone()).await;
    assert_eq!(s.connection_state(&id).await, "DISCONNECTED");
    assert_eq!(s.key_state(&key).await, "Unavailable");

    // As if the process stopped during Connect's key sweep: CONNECTING, key still Unavailable.
    let mut store = cks::load(&s.kms, &s.caller, &id).await.unwrap();
    cks::set_state(&s.kms, &mut store, ConnectionState::Connecting, None).await.unwrap();
    assert_eq!(
        s.err_kind(Operation::CreateKey, json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": id})).await,
        ErrorKind::CustomKeyStoreInvalidState
    );
    s.ok(Operation::ConnectCustomKeyStore, op.clone()).await;
    assert_eq!(s.connection_state(&id).await, "CONNECTED");
    assert_eq!(s.key_state(&key).await, "Enabled");

    // The stored document: kind, scope and id as documented.
    let doc = s.kms.store().get_doc(cks::DOC_KIND, &format!("{ACCOUNT}/{REGION}"), &id).await.unwrap().unwrap();
    let body: Value = serde_json::from_str(&doc.body).unwrap();
    assert_eq!(body["name"], "crashy");
    assert_eq!(body["connection_state"], "CONNECTED");
    assert!(!doc.body.contains("kmsuser-password"), "the password is not stored");
}
