//! GetKeyLastUsage's lazy persistence, in-process with a hand-moved clock:
//! nothing is written per request, one flush writes each used key once, a
//! second service on the same store (another node, or the next run) reads
//! it, a later use in memory wins over an older stored one, and a deleted
//! key's record goes with it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{DAY, Service, T0};
use serde_json::json;
use trent_core::Operation;
use trent_core::key::last_usage::DOC_KIND;
use trent_core::store::KeyStore;

#[tokio::test]
async fn uses_are_written_by_the_flush_only_and_read_by_another_node() {
    let s = Service::new().await;
    let (id, _) = s.create_key().await;
    for _ in 0..3 {
        s.ok(Operation::Encrypt, json!({ "KeyId": id, "Plaintext": "eA==" })).await;
    }
    // Requests write nothing: the store has no usage document yet.
    assert!(s.store.list_docs(DOC_KIND, None).await.unwrap().is_empty());
    let out = s.ok(Operation::GetKeyLastUsage, json!({ "KeyId": id })).await;
    assert_eq!(out["KeyLastUsage"]["Operation"], "Encrypt");
    assert_eq!(out["KeyLastUsage"]["Timestamp"].as_f64(), Some(T0));
    // Outside an HTTP request there are no request ids to name.
    assert!(out["KeyLastUsage"].get("KmsRequestId").is_none());
    assert_eq!(out["TrackingStartDate"].as_f64(), Some(T0));

    assert_eq!(s.kms.flush_key_usage().await.unwrap(), 1);
    assert_eq!(s.kms.flush_key_usage().await.unwrap(), 0, "nothing changed since");
    assert_eq!(s.store.list_docs(DOC_KIND, None).await.unwrap().len(), 1);

    // Another service on the same store (no memory of its own) reads it.
    let other = trent_core::Kms::new(s.store.clone(), trent_core::key::root_key::RootKey::generate().unwrap().0);
    let key = s.store.get_key(&id).await.unwrap().unwrap();
    let seen = other.key_last_usage(&key).await.unwrap().unwrap();
    assert_eq!((seen.operation, seen.timestamp), (Operation::Encrypt, T0));

    // A later use in memory wins over the stored one, before any flush.
    s.clock.advance(DAY);
    s.ok(Operation::GenerateDataKey, json!({ "KeyId": id, "NumberOfBytes": 16 })).await;
    let out = s.ok(Operation::GetKeyLastUsage, json!({ "KeyId": id })).await;
    assert_eq!(out["KeyLastUsage"]["Operation"], "GenerateDataKey");
    assert_eq!(out["KeyLastUsage"]["Timestamp"].as_f64(), Some(T0 + DAY));

    // A deleted key's usage goes with it.
    s.ok(Operation::ScheduleKeyDeletion, json!({ "KeyId": id, "PendingWindowInDays": 7 })).await;
    s.clock.advance(7.0 * DAY);
    s.due_work().await;
    assert!(s.store.list_docs(DOC_KIND, None).await.unwrap().is_empty());
    assert_eq!(s.kms.flush_key_usage().await.unwrap(), 0);
}
