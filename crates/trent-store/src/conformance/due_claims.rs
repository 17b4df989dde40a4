//! Due work across nodes: several Trent nodes on one database each run the
//! scheduler, so `keys_due_for_deletion` and `keys_due_for_rotation` hand a
//! due key to one node at a time (a claim with a lease), never to two.
//!
//! These cases need two stores on one database ("two nodes"), which the
//! one-store-per-test [`conformance_tests!`](crate::conformance_tests) macro
//! cannot make (two in-memory SQLite stores are two databases), so each
//! backend's tests call them with two stores it opened on one database.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use trent_core::key::model::{KeyRecord, KeyState};
use trent_core::store::{KeyStore, StoreResult};

use super::fixtures::{fresh_account, ok, sample_key, uid};

/// The ids in `got` that are among `ours` (the database may hold other due
/// keys, which other nodes may or may not be handed).
fn mine(got: Vec<String>, ours: &BTreeSet<String>) -> BTreeSet<String> {
    got.into_iter().filter(|id| ours.contains(id)).collect()
}

/// Fresh keys due at `now`: `n` pending deletion (rotation off) and `n` with
/// rotation due; inserted through `store`.
async fn due_keys(store: &dyn KeyStore, n: usize, now: f64) -> (Vec<KeyRecord>, Vec<KeyRecord>) {
    let account = fresh_account();
    let (mut deletions, mut rotations) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let mut k = sample_key(&uid(), &account, "ap-south-2");
        k.key_state = KeyState::PendingDeletion;
        k.deletion_date = Some(now - 5.0);
        k.pending_deletion_window_days = Some(7);
        k.rotation.enabled = false;
        ok(store.insert_key(&k).await, "insert_key due for deletion");
        deletions.push(k);
        let mut k = sample_key(&uid(), &account, "ap-south-2");
        k.rotation.enabled = true;
        k.rotation.next_rotation = Some(now - 5.0);
        ok(store.insert_key(&k).await, "insert_key due for rotation");
        rotations.push(k);
    }
    (deletions, rotations)
}

/// Asks `store` for the due work named `what` ("deletion" or "rotation").
async fn due(store: &dyn KeyStore, what: &str, now: f64) -> StoreResult<Vec<String>> {
    if what == "deletion" { store.keys_due_for_deletion(now).await } else { store.keys_due_for_rotation(now).await }
}

/// The ids of `keys`.
fn id_set(keys: &[KeyRecord]) -> BTreeSet<String> {
    keys.iter().map(|k| k.key_id.clone()).collect()
}

/// Two nodes asking for due work at the same moment split it: every due key
/// goes to exactly one of them; asking again, each gets back what it holds
/// and nothing the other holds; work done by its holder leaves the queue.
///
/// `a` and `b` must be two stores (two connection pools, two node
/// identities) on one database; the case checks that `b` sees what `a`
/// wrote, so passing two separate databases fails instead of passing
/// vacuously.
pub async fn due_work_is_handed_out_once(a: &dyn KeyStore, b: &dyn KeyStore) {
    let now = 1_950_000_000.0;
    let mut holdings = Vec::new();
    for round in 0..4 {
        let (deletions, rotations) = due_keys(a, 6, now).await;
        let probe = &deletions[0].key_id;
        assert!(
            ok(b.get_key(probe).await, "get_key through the second store").is_some(),
            "conformance: the two stores must share one database"
        );
        for (what, ours) in [("deletion", id_set(&deletions)), ("rotation", id_set(&rotations))] {
            let ask = |s| due(s, what, now);
            // Both nodes ask at once (two pools, two statements in flight).
            let (got_a, got_b) = tokio::join!(ask(a), ask(b));
            let (got_a, got_b) = (mine(ok(got_a, what), &ours), mine(ok(got_b, what), &ours));
            assert!(
                got_a.is_disjoint(&got_b),
                "conformance: round {round}: due {what} keys handed to both nodes: {:?}",
                got_a.intersection(&got_b).collect::<Vec<_>>()
            );
            assert_eq!(
                got_a.union(&got_b).cloned().collect::<BTreeSet<_>>(),
                ours,
                "conformance: round {round}: every due {what} key must go to one of the nodes"
            );
            // Asking again, in the other order: each node keeps what it holds.
            let (again_b, again_a) = tokio::join!(ask(b), ask(a));
            assert_eq!(
                (mine(ok(again_a, what), &ours), mine(ok(again_b, what), &ours)),
                (got_a.clone(), got_b.clone()),
                "conformance: round {round}: a node's claimed {what} keys must come back to it, and only to it"
            );
            holdings.push((what, got_a, got_b));
        }
    }

    // Each holder does its work: deletions delete, rotations move the date on.
    let later = now + 365.0 * 86_400.0;
    for (what, got_a, got_b) in &holdings {
        for (store, ids) in [(a, got_a), (b, got_b)] {
            for id in ids {
                if *what == "deletion" {
                    ok(store.delete_key(id).await, "delete_key of a claimed key");
                } else {
                    let Some(mut k) = ok(store.get_key(id).await, "get_key of a claimed key") else {
                        panic!("conformance: claimed key {id} vanished");
                    };
                    k.version += 1;
                    k.rotation.next_rotation = Some(later);
                    ok(store.update_key(&k).await, "update_key rotating a claimed key");
                }
            }
        }
    }
    let all: BTreeSet<String> =
        holdings.iter().flat_map(|(_, x, y)| x.iter().chain(y.iter()).cloned()).collect::<BTreeSet<_>>();
    for store in [a, b] {
        let left = mine(ok(store.keys_due_for_deletion(now).await, "deletion after work"), &all);
        assert!(left.is_empty(), "conformance: deleted keys still handed out as due: {left:?}");
        let left = mine(ok(store.keys_due_for_rotation(now).await, "rotation after work"), &all);
        assert!(left.is_empty(), "conformance: rotated keys still handed out as due: {left:?}");
    }
}

/// A claim lapses: when the node holding a due key stops asking (it died),
/// another node is handed the key once the lease is over, and not before.
///
/// `a` and `b` must be two stores on one database whose claim lease is
/// `lease` (short, a second or so: the case waits for it to pass).
pub async fn claims_lapse_after_the_lease(a: &dyn KeyStore, b: &dyn KeyStore, lease: Duration) {
    let now = 1_950_000_000.0;
    let (deletions, rotations) = due_keys(a, 1, now).await;
    let (del, rot) = (deletions[0].key_id.clone(), rotations[0].key_id.clone());
    let claimed = Instant::now();
    assert!(ok(a.keys_due_for_deletion(now).await, "claim deletion").contains(&del), "conformance: a claims");
    assert!(ok(a.keys_due_for_rotation(now).await, "claim rotation").contains(&rot), "conformance: a claims");
    // Polled, with a deadline well past the lease.
    let deadline = claimed + lease * 5 + Duration::from_secs(5);
    let (mut got_del, mut got_rot) = (false, false);
    while !(got_del && got_rot) {
        got_del |= ok(b.keys_due_for_deletion(now).await, "b asks for deletions").contains(&del);
        got_rot |= ok(b.keys_due_for_rotation(now).await, "b asks for rotations").contains(&rot);
        // The claim was made after `claimed`, so a lapse cannot come before
        // `claimed + lease`; b's calls ended by `after` (the margin is for the
        // store's clock being another clock than `Instant`).
        let after = claimed.elapsed();
        if (got_del || got_rot) && after < lease.mul_f64(0.95) {
            panic!("conformance: a key claimed by another node was handed out within {after:?}, lease {lease:?}");
        }
        assert!(Instant::now() < deadline, "conformance: a lapsed claim was never handed to another node");
        if !(got_del && got_rot) {
            tokio::time::sleep(lease / 10).await;
        }
    }
    // Now b holds them: a is not handed them back while b's lease runs.
    assert!(!ok(a.keys_due_for_deletion(now).await, "a asks again").contains(&del), "conformance: b's claim ignored");
    assert!(!ok(a.keys_due_for_rotation(now).await, "a asks again").contains(&rot), "conformance: b's claim ignored");
}
