//! The store queries the scheduler runs: keys whose deletion date has come
//! and keys whose automatic rotation is due.
//!
//! Both queries also claim what they return for the calling store (node),
//! so several nodes on one database never get the same key at once (see
//! [`due_claims`](super::due_claims)). These cases use one store, which is
//! handed its own claims again on every call, so they check the due-date
//! logic alone.

use trent_core::key::model::KeyState;
use trent_core::store::KeyStore;

use super::fixtures::{fresh_account, ok, sample_key, uid};

/// `keys_due_for_deletion` picks exactly PendingDeletion keys due at `now`,
/// following state changes made through `update_key`.
pub async fn key_due_for_deletion(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "sa-east-1";
    let now = 1_900_000_000.25;
    let make = |state: KeyState, when: Option<f64>| {
        let mut k = sample_key(&uid(), &account, region);
        k.key_state = state;
        k.deletion_date = when;
        k.pending_deletion_window_days = when.map(|_| 7);
        k
    };
    let due_past = make(KeyState::PendingDeletion, Some(now - 10.0));
    let due_exact = make(KeyState::PendingDeletion, Some(now));
    let future = make(KeyState::PendingDeletion, Some(now + 0.5));
    let enabled_past = make(KeyState::Enabled, Some(now - 10.0));
    let pending_undated = make(KeyState::PendingDeletion, None);
    let replica = make(KeyState::PendingReplicaDeletion, Some(now - 10.0));
    for k in [&due_past, &due_exact, &future, &enabled_past, &pending_undated, &replica] {
        ok(store.insert_key(k).await, "insert_key for deletion");
    }

    let due = ok(store.keys_due_for_deletion(now).await, "keys_due_for_deletion");
    for k in [&due_past, &due_exact] {
        assert!(
            due.contains(&k.key_id),
            "conformance: keys_due_for_deletion missed a due key (deletion_date {:?})",
            k.deletion_date
        );
    }
    for (k, why) in [
        (&future, "deletion date in the future"),
        (&enabled_past, "state Enabled"),
        (&pending_undated, "no deletion date"),
        (&replica, "state PendingReplicaDeletion"),
    ] {
        assert!(!due.contains(&k.key_id), "conformance: keys_due_for_deletion returned a key with {why}");
    }

    // Cancelling deletion through update_key takes the key off the list ...
    let mut cancelled = due_past.clone();
    cancelled.version += 1;
    cancelled.key_state = KeyState::Disabled;
    cancelled.deletion_date = None;
    ok(store.update_key(&cancelled).await, "update_key cancel deletion");
    // ... and scheduling puts one on it.
    let mut scheduled = enabled_past.clone();
    scheduled.version += 1;
    scheduled.key_state = KeyState::PendingDeletion;
    ok(store.update_key(&scheduled).await, "update_key schedule deletion");
    let due = ok(store.keys_due_for_deletion(now).await, "keys_due_for_deletion after updates");
    assert!(!due.contains(&due_past.key_id), "conformance: a key whose deletion was cancelled is still due");
    assert!(due.contains(&scheduled.key_id), "conformance: a key scheduled through update_key is not due");
    assert!(due.contains(&due_exact.key_id), "conformance: deletion_date == now must count as due");

    // Later, the future one is due too.
    let due = ok(store.keys_due_for_deletion(now + 1.0).await, "keys_due_for_deletion later");
    assert!(due.contains(&future.key_id), "conformance: keys_due_for_deletion must follow `now`");
}

/// `keys_due_for_rotation` picks exactly keys with rotation enabled whose next
/// rotation is at or before `now`.
pub async fn key_due_for_rotation(store: &dyn KeyStore) {
    let account = fresh_account();
    let now = 1_900_000_000.5;
    let make = |enabled: bool, next: Option<f64>| {
        let mut k = sample_key(&uid(), &account, "eu-west-3");
        k.rotation.enabled = enabled;
        k.rotation.period_days = Some(90);
        k.rotation.next_rotation = next;
        k
    };
    let due = make(true, Some(now - 1.0));
    let exact = make(true, Some(now));
    let later = make(true, Some(now + 1.0));
    let disabled = make(false, Some(now - 1.0));
    let never = make(true, None);
    for k in [&due, &exact, &later, &disabled, &never] {
        ok(store.insert_key(k).await, "insert_key for rotation");
    }
    let got = ok(store.keys_due_for_rotation(now).await, "keys_due_for_rotation");
    assert!(
        got.contains(&due.key_id) && got.contains(&exact.key_id),
        "conformance: keys_due_for_rotation missed a due key"
    );
    for (k, why) in
        [(&later, "next rotation in the future"), (&disabled, "rotation disabled"), (&never, "no next rotation")]
    {
        assert!(!got.contains(&k.key_id), "conformance: keys_due_for_rotation returned a key with {why}");
    }
}
