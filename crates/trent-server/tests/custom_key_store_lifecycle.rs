//! Custom key store lifecycle details that need a hand-moved wall clock or a
//! hand-made crash state, in-process: a store can be deleted once its keys'
//! waiting period is over and they are gone; an interrupted connect
//! (`CONNECTING`) or disconnect (`DISCONNECTING`) is finished by a repeated
//! request; the store documents are what docs/custom-key-stores.md says.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use serde_json::{Value, json};
use trent_core::custom_key_store::{self as cks, ConnectionState};
use trent_core::key::root_key::RootKey;
use trent_core::kms::wall_clock::ManualWallClock;
use trent_core::{Caller, ErrorKind, Kms, KmsError, Operation};
use trent_store::SqliteStore;

const ACCOUNT: &str = "111122223333";
const REGION: &str = "eu-west-1";
const T0: f64 = 1_750_000_000.0;
const DAY: f64 = 86_400.0;
const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

struct Service {
    kms: Kms,
    clock: Arc<ManualWallClock>,
    caller: Caller,
}

async fn service() -> Service {
    let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
    let clock = Arc::new(ManualWallClock::new(T0));
    let kms = Kms::new(store, RootKey::generate().unwrap().0).with_clock(clock.clone());
    Service { kms, clock, caller: Caller::new(ACCOUNT, REGION) }
}

impl Service {
    async fn call(&self, op: Operation, body: Value) -> Result<Value, KmsError> {
        let out = trent_core::ops::dispatch(&self.kms, &self.caller, op, body.to_string().as_bytes()).await?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    async fn ok(&self, op: Operation, body: Value) -> Value {
        match self.call(op, body).await {
            Ok(v) => v,
            Err(e) => panic!("{op:?} failed: {e}"),
        }
    }

    async fn err(&self, op: Operation, body: Value) -> ErrorKind {
        match self.call(op, body).await {
            Ok(v) => panic!("{op:?} succeeded: {v}"),
            Err(e) => e.kind,
        }
    }

    async fn new_store(&self, name: &str, cluster: &str) -> String {
        let out = self
            .ok(
                Operation::CreateCustomKeyStore,
                json!({
                    "CustomKeyStoreName": name,
                    "CloudHsmClusterId": cluster,
                    "TrustAnchorCertificate": CERT,
                    "KeyStorePassword": "kmsuser-password",
                }),
            )
            .await;
        out["CustomKeyStoreId"].as_str().unwrap().to_owned()
    }

    async fn key_state(&self, key: &str) -> String {
        let md = self.ok(Operation::DescribeKey, json!({"KeyId": key})).await;
        md["KeyMetadata"]["KeyState"].as_str().unwrap().to_owned()
    }

    async fn connection_state(&self, id: &str) -> String {
        let out = self.ok(Operation::DescribeCustomKeyStores, json!({"CustomKeyStoreId": id})).await;
        out["CustomKeyStores"][0]["ConnectionState"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn store_can_be_deleted_once_its_keys_are_deleted() {
    let s = service().await;
    let id = s.new_store("to-delete", "cluster-abcdefghijk").await;
    s.ok(Operation::ConnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await;
    let md = s.ok(Operation::CreateKey, json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": id})).await;
    let key = md["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    s.ok(Operation::DisconnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await;
    assert_eq!(s.key_state(&key).await, "Unavailable");

    // Scheduling deletion of an Unavailable key is allowed; the key still blocks the store.
    let out = s.ok(Operation::ScheduleKeyDeletion, json!({"KeyId": key, "PendingWindowInDays": 7})).await;
    assert_eq!(out["KeyState"], "PendingDeletion");
    assert_eq!(
        s.err(Operation::DeleteCustomKeyStore, json!({"CustomKeyStoreId": id})).await,
        ErrorKind::CustomKeyStoreHasCmks
    );

    // A key pending deletion stays PendingDeletion across a reconnection.
    s.ok(Operation::ConnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await;
    assert_eq!(s.key_state(&key).await, "PendingDeletion");
    s.ok(Operation::DisconnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await;

    s.clock.advance(7.0 * DAY + 1.0);
    assert_eq!(s.kms.run_due_work().await.unwrap().deleted, 1);
    s.ok(Operation::DeleteCustomKeyStore, json!({"CustomKeyStoreId": id})).await;
    assert_eq!(
        s.err(Operation::ConnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await,
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
    let s = service().await;
    let id = s.new_store("crashy", "cluster-abcdefghijk").await;
    s.ok(Operation::ConnectCustomKeyStore, json!({"CustomKeyStoreId": id})).await;
    let md = s.ok(Operation::CreateKey, json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": id})).await;
    let key = md["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();

    // As if the process stopped during Disconnect's key sweep: DISCONNECTING, key still Enabled.
    let mut store = cks::load(&s.kms, &s.caller, &id).await.unwrap();
    cks::set_state(&s.kms, &mut store, ConnectionState::Disconnecting, None).await.unwrap();
    assert_eq!(s.connection_state(&id).await, "DISCONNECTING");
    // A disconnection in progress is not disturbed ...
    let op = json!({"CustomKeyStoreId": id});
    assert_eq!(s.err(Operation::DisconnectCustomKeyStore, op.clone()).await, ErrorKind::CustomKeyStoreInvalidState);
    assert_eq!(s.err(Operation::ConnectCustomKeyStore, op.clone()).await, ErrorKind::CustomKeyStoreInvalidState);
    // ... but one stuck for a minute is finished by a new DisconnectCustomKeyStore.
    s.clock.advance(61.0);
    s.ok(Operation::DisconnectCustomKeyStore, op.clone()).await;
    assert_eq!(s.connection_state(&id).await, "DISCONNECTED");
    assert_eq!(s.key_state(&key).await, "Unavailable");

    // As if the process stopped during Connect's key sweep: CONNECTING, key still Unavailable.
    let mut store = cks::load(&s.kms, &s.caller, &id).await.unwrap();
    cks::set_state(&s.kms, &mut store, ConnectionState::Connecting, None).await.unwrap();
    assert_eq!(
        s.err(Operation::CreateKey, json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": id})).await,
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
