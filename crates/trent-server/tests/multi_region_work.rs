//! Multi-Region keys and work that comes due with time, with a hand-moved
//! clock: a primary scheduled for deletion waits in PendingReplicaDeletion
//! until its last replica is deleted, then starts its own waiting period;
//! automatic rotation of the primary reaches its replicas (and a replica
//! never rotates by itself).
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{ACCOUNT, DAY, Service, T0, call};
use serde_json::{Value, json};
use trent_core::access::caller::Caller;
use trent_core::kms::DueWork;
use trent_core::{ErrorKind, Operation};

const WEST: &str = "eu-west-1";

fn west() -> Caller {
    Caller::new(ACCOUNT, WEST)
}

/// A multi-Region primary in the service's region and its replica in WEST: the key id.
async fn primary_and_replica(s: &Service) -> String {
    let md = s.ok(Operation::CreateKey, json!({ "MultiRegion": true })).await;
    let id = md["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    s.ok(Operation::ReplicateKey, json!({ "KeyId": id, "ReplicaRegion": WEST })).await;
    id
}

async fn west_ok(s: &Service, op: Operation, body: Value) -> Value {
    call(&s.kms, &west(), op, body).await.unwrap_or_else(|e| panic!("{op:?} in {WEST}: {e:?}"))
}

#[tokio::test]
async fn a_primary_waits_for_its_replicas_before_its_waiting_period() {
    let s = Service::new().await;
    let id = primary_and_replica(&s).await;
    let out = s.ok(Operation::ScheduleKeyDeletion, json!({ "KeyId": id, "PendingWindowInDays": 7 })).await;
    assert_eq!(out["KeyState"], "PendingReplicaDeletion");
    assert_eq!(out["PendingWindowInDays"], 7);
    assert!(out.get("DeletionDate").is_none(), "no deletion date while replicas exist: {out}");
    let md = s.describe(&id).await;
    assert_eq!(md["KeyState"], "PendingReplicaDeletion");
    assert_eq!(md["PendingDeletionWindowInDays"], 7);
    assert!(md.get("DeletionDate").is_none());
    // A primary waiting for its replicas is unusable and cannot be replicated.
    let e = s.err(Operation::Encrypt, json!({ "KeyId": id, "Plaintext": "eA==" })).await;
    assert_eq!(e.kind, ErrorKind::KmsInvalidState);
    let e = s.err(Operation::ReplicateKey, json!({ "KeyId": id, "ReplicaRegion": "ap-south-1" })).await;
    assert_eq!(e.kind, ErrorKind::KmsInvalidState);

    // Long after the window, the primary is still there: its replica is.
    s.clock.advance(60.0 * DAY);
    assert_eq!(s.due_work().await, DueWork { deleted: 0, rotated: 0 });
    assert_eq!(s.key_state(&id).await, "PendingReplicaDeletion");

    // The replica is deleted after its own window; then the primary's begins.
    let out = west_ok(&s, Operation::ScheduleKeyDeletion, json!({ "KeyId": id, "PendingWindowInDays": 7 })).await;
    assert_eq!(out["KeyState"], "PendingDeletion");
    s.clock.advance(7.0 * DAY);
    assert_eq!(s.due_work().await, DueWork { deleted: 1, rotated: 0 });
    assert_eq!(
        call(&s.kms, &west(), Operation::DescribeKey, json!({ "KeyId": id })).await.unwrap_err().kind,
        ErrorKind::NotFound
    );
    let md = s.describe(&id).await;
    assert_eq!(md["KeyState"], "PendingDeletion");
    assert_eq!(md["DeletionDate"].as_f64(), Some(T0 + 74.0 * DAY));
    assert_eq!(md["MultiRegionConfiguration"]["ReplicaKeys"], json!([]));
    s.clock.advance(7.0 * DAY);
    assert_eq!(s.due_work().await, DueWork { deleted: 1, rotated: 0 });
    assert_eq!(s.err_kind(Operation::DescribeKey, json!({ "KeyId": id })).await, ErrorKind::NotFound);
}

#[tokio::test]
async fn cancelling_a_primary_waiting_for_replicas_disables_it() {
    let s = Service::new().await;
    let id = primary_and_replica(&s).await;
    s.ok(Operation::ScheduleKeyDeletion, json!({ "KeyId": id })).await;
    s.ok(Operation::CancelKeyDeletion, json!({ "KeyId": id })).await;
    let md = s.describe(&id).await;
    assert_eq!(md["KeyState"], "Disabled");
    assert!(md.get("PendingDeletionWindowInDays").is_none());
}

#[tokio::test]
async fn automatic_rotation_of_the_primary_reaches_its_replica() {
    let s = Service::new().await;
    let id = primary_and_replica(&s).await;
    s.ok(Operation::EnableKeyRotation, json!({ "KeyId": id, "RotationPeriodInDays": 90 })).await;
    let status = west_ok(&s, Operation::GetKeyRotationStatus, json!({ "KeyId": id })).await;
    assert_eq!(status["KeyRotationEnabled"], true, "a replica shares its primary's rotation: {status}");
    let before = s.describe(&id).await["CurrentKeyMaterialId"].clone();
    s.clock.advance(90.0 * DAY);
    // Only the primary rotates (the replica is due too, and skipped).
    assert_eq!(s.due_work().await, DueWork { deleted: 0, rotated: 1 });
    let primary_now = s.describe(&id).await["CurrentKeyMaterialId"].clone();
    assert_ne!(primary_now, before);
    let replica = west_ok(&s, Operation::DescribeKey, json!({ "KeyId": id })).await;
    assert_eq!(replica["KeyMetadata"]["CurrentKeyMaterialId"], primary_now);
    // Nothing is due any more in either region.
    assert_eq!(s.due_work().await, DueWork { deleted: 0, rotated: 0 });
    // New material encrypts in the replica's region and decrypts in the primary's.
    let ct =
        west_ok(&s, Operation::Encrypt, json!({ "KeyId": id, "Plaintext": STANDARD.encode(b"after rotation") })).await;
    let out = s.ok(Operation::Decrypt, json!({ "CiphertextBlob": ct["CiphertextBlob"] })).await;
    assert_eq!(STANDARD.decode(out["Plaintext"].as_str().unwrap()).unwrap(), b"after rotation");
}

#[tokio::test]
async fn a_replicate_key_stopped_between_its_writes_is_finished_by_its_retry() {
    use trent_core::key::multi_region::{MultiRegionSet, set_set};
    use trent_core::store::KeyStore;
    let s = Service::new().await;
    let md = s.ok(Operation::CreateKey, json!({ "MultiRegion": true })).await;
    let id = md["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    // The state a crash right after the replica's insert leaves: the replica
    // exists, its primary does not list it.
    let handle = trent_core::key::model::store_id(&id, common::REGION);
    let mut replica = s.store.get_key(&handle).await.unwrap().unwrap();
    replica.region = WEST.into();
    let set = MultiRegionSet { primary_region: common::REGION.into(), replica_regions: vec![WEST.into()] };
    set_set(&mut replica, &set).unwrap();
    s.store.insert_key(&replica).await.unwrap();
    assert_eq!(s.describe(&id).await["MultiRegionConfiguration"]["ReplicaKeys"], json!([]));

    let e = s.err(Operation::ReplicateKey, json!({ "KeyId": id, "ReplicaRegion": WEST })).await;
    assert_eq!(e.kind, ErrorKind::AlreadyExists);
    let replicas = s.describe(&id).await["MultiRegionConfiguration"]["ReplicaKeys"].clone();
    assert_eq!(replicas[0]["Region"], WEST, "{replicas}");
}

#[tokio::test]
async fn a_replica_left_behind_by_a_rotation_catches_up_when_its_rotation_comes_due() {
    use trent_core::store::KeyStore;
    let s = Service::new().await;
    let id = primary_and_replica(&s).await;
    s.ok(Operation::EnableKeyRotation, json!({ "KeyId": id, "RotationPeriodInDays": 90 })).await;
    let handle = trent_core::key::model::store_id(&id, WEST);
    let before = s.store.get_key(&handle).await.unwrap().unwrap();
    s.clock.advance(90.0 * DAY);
    assert_eq!(s.due_work().await, DueWork { deleted: 0, rotated: 1 });
    // The state a stop between the primary's rotation and the replica's write leaves.
    let mut behind = before.clone();
    behind.version = s.store.get_key(&handle).await.unwrap().unwrap().version + 1;
    s.store.update_key(&behind).await.unwrap();
    // Its rotation is due: the scheduler brings it up to its primary.
    assert_eq!(s.due_work().await, DueWork { deleted: 0, rotated: 0 });
    let replica = s.store.get_key(&handle).await.unwrap().unwrap();
    let primary = s.store.get_key(&trent_core::key::model::store_id(&id, common::REGION)).await.unwrap().unwrap();
    assert_eq!(replica.materials, primary.materials);
    assert_eq!(replica.rotation, primary.rotation);
    assert_eq!(replica.materials.len(), 2);
}
