//! Concurrency: compare-and-swap updates and capped inserts raced from many
//! tasks (and, with several stores on one database, from several "processes").
//! These need a multi-threaded runtime, so they take the store shared.

use std::sync::Arc;

use trent_core::store::{AliasCaps, Doc, KeyStore, StoreError};

use super::fixtures::{fresh_account, ok, put_key, sample_alias, sample_key, uid};

/// What [`concurrent_updates`] observed.
#[derive(Debug, Clone, Copy)]
pub struct RaceOutcome {
    /// Updates that succeeded (equals the final version of the key).
    pub updates: u64,
    /// `Conflict`s seen and retried.
    pub conflicts: u64,
}

/// Races `tasks` tasks, each performing `updates_per_task` read-modify-write
/// cycles on one key, re-reading and retrying on `Conflict`. Asserts that no
/// update was lost: the final version, and a counter each update increments,
/// both equal the number of successful updates.
///
/// Exists to prove `update_key` is a real compare-and-swap under concurrency;
/// needs a multi-threaded runtime to race for real.
pub async fn concurrent_updates(store: Arc<dyn KeyStore>, tasks: usize, updates_per_task: usize) -> RaceOutcome {
    let mut key = sample_key(&uid(), &fresh_account(), "us-east-1");
    key.version = 0;
    ok(store.insert_key(&key).await, "insert_key for race");
    let key_id = key.key_id.clone();

    let mut handles = Vec::new();
    for _ in 0..tasks {
        let store = Arc::clone(&store);
        let key_id = key_id.clone();
        handles.push(tokio::spawn(async move {
            let (mut done, mut conflicts) = (0u64, 0u64);
            while done < updates_per_task as u64 {
                let Some(mut k) = ok(store.get_key(&key_id).await, "get_key in race") else {
                    panic!("conformance: raced key vanished");
                };
                let counter = k.ext.get("counter").and_then(|v| v.as_u64()).unwrap_or(0);
                k.ext.insert("counter".into(), serde_json::Value::from(counter + 1));
                k.version += 1;
                match store.update_key(&k).await {
                    Ok(()) => done += 1,
                    Err(StoreError::Conflict) => {
                        conflicts += 1;
                        tokio::task::yield_now().await;
                    }
                    Err(e) => panic!("conformance: update_key in race: unexpected error {e:?}"),
                }
            }
            (done, conflicts)
        }));
    }
    let mut outcome = RaceOutcome { updates: 0, conflicts: 0 };
    for h in handles {
        match h.await {
            Ok((done, conflicts)) => {
                outcome.updates += done;
                outcome.conflicts += conflicts;
            }
            Err(e) => panic!("conformance: race task failed: {e}"),
        }
    }
    let Some(last) = ok(store.get_key(&key_id).await, "get_key after race") else {
        panic!("conformance: raced key vanished");
    };
    assert_eq!(outcome.updates, (tasks * updates_per_task) as u64);
    assert_eq!(last.version, outcome.updates, "conformance: lost update: final version != successful updates");
    assert_eq!(
        last.ext.get("counter").and_then(|v| v.as_u64()),
        Some(outcome.updates),
        "conformance: lost update: counter != successful updates"
    );
    outcome
}

/// What [`concurrent_capped_inserts`] observed for each kind of resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CappedRace {
    /// Keys inserted (must equal the cap).
    pub keys: u64,
    /// Aliases of one key inserted (must equal the cap).
    pub aliases: u64,
    /// Documents of one scope inserted (must equal the cap).
    pub docs: u64,
    /// Aliases of one account and region, spread over several keys, inserted
    /// under a per-region cap (must equal the cap).
    pub region_aliases: u64,
    /// Documents of one group inserted under a group cap (must equal the cap).
    pub grouped_docs: u64,
}

/// Races `tasks` concurrent capped inserts of each kind (keys of one account
/// and region, aliases of one key, documents of one scope, aliases of one
/// region under the per-region cap, documents of one group under the group
/// cap) against `cap`. Asserts that exactly `cap` of each succeed, every other
/// one is `LimitReached` (`SecondLimitReached` for the two second caps) with a
/// usage of at least `cap`, and the stored count is `cap`.
///
/// Exists to prove the counts and the insert are one atomic step; needs a
/// multi-threaded runtime (or several stores on one file) to race for real.
/// `stores` are used round-robin, so passing two stores on one database file
/// races two "processes".
pub async fn concurrent_capped_inserts(stores: &[Arc<dyn KeyStore>], tasks: usize, cap: u64) -> CappedRace {
    assert!(!stores.is_empty(), "conformance: concurrent_capped_inserts needs a store");
    let account = fresh_account();
    let region = "me-south-1";
    let target = sample_key(&uid(), &account, region);
    ok(stores[0].insert_key(&target).await, "insert alias target for race");
    // The per-region race spreads its aliases over three keys of a region of its own.
    let spread_region = "il-central-1";
    let mut spread = Vec::new();
    for _ in 0..3 {
        spread.push(put_key(stores[0].as_ref(), &account, spread_region).await.key_id);
    }
    let kind = format!("conformance-race-{}", uid());
    let grouped_kind = format!("conformance-race-grouped-{}", uid());

    let mut handles = Vec::new();
    for i in 0..tasks {
        let store = Arc::clone(&stores[i % stores.len()]);
        let (account, target, kind) = (account.clone(), target.key_id.clone(), kind.clone());
        let (spread_target, grouped_kind) = (spread[i % spread.len()].clone(), grouped_kind.clone());
        handles.push(tokio::spawn(async move {
            // Keys are counted in a region of their own (the alias target lives elsewhere).
            let key = sample_key(&uid(), &account, "me-central-1");
            let alias = sample_alias(&account, region, &format!("alias/race-{i}"), &target);
            let doc = Doc { kind, scope: target.clone(), id: format!("{i:04}"), body: "{}".into() };
            let spread_alias = sample_alias(&account, spread_region, &format!("alias/spread-{i}"), &spread_target);
            let grouped = Doc { kind: grouped_kind, scope: target.clone(), id: format!("{i:04}"), body: "{}".into() };
            let k = store.insert_key_capped(&key, cap).await;
            let a = store.insert_alias_capped(&alias, AliasCaps::per_key(cap)).await;
            let d = store.insert_doc_capped(&doc, cap).await;
            let r =
                store.insert_alias_capped(&spread_alias, AliasCaps { per_key: u64::MAX - 1, per_region: cap }).await;
            let g = store.insert_doc_capped_in_group(&grouped, u64::MAX - 1, "grantee", cap).await;
            [k, a, d, r, g]
        }));
    }
    let mut won = [0u64; 5];
    for h in handles {
        let results = match h.await {
            Ok(r) => r,
            Err(e) => panic!("conformance: capped race task failed: {e}"),
        };
        for (i, (slot, r)) in won.iter_mut().zip(results).enumerate() {
            let second_cap = i >= 3;
            match r {
                Ok(()) => *slot += 1,
                Err(StoreError::LimitReached { usage }) if !second_cap => {
                    assert!(usage >= cap, "conformance: LimitReached reported usage {usage} below the cap {cap}")
                }
                Err(StoreError::SecondLimitReached { usage }) if second_cap => {
                    assert!(usage >= cap, "conformance: SecondLimitReached reported usage {usage} below the cap {cap}")
                }
                Err(e) => panic!("conformance: capped insert {i} in race: unexpected error {e:?}"),
            }
        }
    }
    let race = CappedRace { keys: won[0], aliases: won[1], docs: won[2], region_aliases: won[3], grouped_docs: won[4] };
    let want = cap.min(tasks as u64);
    assert_eq!(
        race,
        CappedRace { keys: want, aliases: want, docs: want, region_aliases: want, grouped_docs: want },
        "conformance: capped race overshot or undershot"
    );
    let keys = ok(stores[0].count_keys(&account, "me-central-1").await, "count keys after race");
    let aliases = ok(stores[0].list_aliases(&account, region, Some(&target.key_id), None, 1000).await, "aliases");
    let docs = ok(stores[0].list_docs(&kind, Some(&target.key_id)).await, "docs after race");
    let spread_aliases = ok(stores[0].list_aliases(&account, spread_region, None, None, 1000).await, "spread");
    let grouped = ok(stores[0].list_docs(&grouped_kind, Some(&target.key_id)).await, "grouped docs after race");
    assert_eq!(
        (keys, aliases.items.len() as u64, docs.len() as u64, spread_aliases.items.len() as u64, grouped.len() as u64),
        (want, want, want, want, want),
        "conformance: stored counts after the capped race"
    );
    race
}
