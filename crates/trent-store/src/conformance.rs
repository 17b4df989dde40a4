//! The conformance suite every [`KeyStore`] backend must pass.
//!
//! It exists so the contract written in `trent_core::store` is checked the
//! same way for SQLite, PostgreSQL and whatever comes next. It is ordinary
//! (non-`cfg(test)`) code so another crate's tests can call it; it panics with
//! a descriptive message on the first deviation.
//!
//! Every check generates fresh key ids, account ids and document kinds, so the
//! suite can run against a store that already holds data (a shared database,
//! or the same store twice) and only ever asserts about what it wrote itself.
//!
//! Listing order is byte order of the id / name (SQLite's `BINARY` collation;
//! a PostgreSQL backend needs `COLLATE "C"` on those columns).

use std::sync::Arc;

use trent_core::key::model::{
    AliasRecord, KeyManager, KeyRecord, KeySpec, KeyState, KeyUsage, Origin, RotationConfig, RotationType,
    StoredMaterial, Tag,
};
use trent_core::store::{AliasCaps, Doc, KeyStore, Page, StoreError, StoreResult};

/// Runs every check below, in order, against `store`.
///
/// The entry point backends call from their tests; see the module docs for
/// why it is safe on a non-empty store.
pub async fn run_all(store: &dyn KeyStore) {
    key_crud(store).await;
    key_update_cas(store).await;
    key_delete_cascades_aliases(store).await;
    key_list_pagination(store).await;
    key_list_isolation_and_count(store).await;
    key_due_for_deletion(store).await;
    key_due_for_rotation(store).await;
    alias_crud(store).await;
    alias_list(store).await;
    docs(store).await;
    capped_keys(store).await;
    capped_aliases(store).await;
    capped_aliases_per_region(store).await;
    capped_docs(store).await;
    capped_docs_in_group(store).await;
}

/// A fresh UUID, for key ids and anything else that must not collide.
fn uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fresh 12-digit account id, so listings in it contain only this run's data.
fn fresh_account() -> String {
    format!("{:012}", uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000)
}

/// Unwraps a store result, panicking with `what` and the error.
fn ok<T>(r: StoreResult<T>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("conformance: {what}: unexpected error {e:?}"),
    }
}

/// Asserts that `r` failed with exactly `want`.
fn expect_err<T: std::fmt::Debug>(r: StoreResult<T>, want: &StoreError, what: &str) {
    let matches = matches!(
        (&r, want),
        (Err(StoreError::AlreadyExists), StoreError::AlreadyExists)
            | (Err(StoreError::NotFound), StoreError::NotFound)
            | (Err(StoreError::Conflict), StoreError::Conflict)
    ) || matches!(
        (&r, want),
        (Err(StoreError::LimitReached { usage: got }), StoreError::LimitReached { usage: wanted })
            | (Err(StoreError::SecondLimitReached { usage: got }), StoreError::SecondLimitReached { usage: wanted })
            if got == wanted
    );
    assert!(matches, "conformance: {what}: expected Err({want:?}), got {r:?}");
}

/// A fully populated key record (every optional field set, awkward floats,
/// binary material, tags and extension fields) so a round trip that drops or
/// rounds anything is caught.
///
/// Public so backend-specific tests can build records the same way.
pub fn sample_key(key_id: &str, account_id: &str, region: &str) -> KeyRecord {
    let mut ext = serde_json::Map::new();
    ext.insert("public_key".into(), serde_json::Value::String("MFkwEwYHKoZIzj0CAQ==".into()));
    ext.insert("counter".into(), serde_json::Value::from(0u64));
    KeyRecord {
        key_id: key_id.to_string(),
        account_id: account_id.to_string(),
        region: region.to_string(),
        version: 1,
        // Not exactly representable in binary: must still read back bit-exact.
        creation_date: 1_718_900_000.123_456_7,
        description: "conformance key \u{e9}\u{1f511} \"quoted\"".into(),
        key_spec: KeySpec::SymmetricDefault,
        key_usage: KeyUsage::EncryptDecrypt,
        key_state: KeyState::Enabled,
        origin: Origin::AwsKms,
        key_manager: KeyManager::Customer,
        deletion_date: None,
        pending_deletion_window_days: None,
        custom_key_store_id: Some("cks-0123456789abcdef0".into()),
        multi_region: false,
        valid_to: Some(0.1 + 0.2),
        expiration_model: None,
        policy: r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
        tags: vec![
            Tag { tag_key: "b".into(), tag_value: "2".into() },
            Tag { tag_key: "a".into(), tag_value: String::new() },
        ],
        rotation: RotationConfig {
            enabled: true,
            period_days: Some(365),
            next_rotation: Some(1_750_436_000.987_654_3),
            on_demand_started: None,
        },
        materials: vec![
            StoredMaterial {
                id: "0".repeat(64),
                created: 1_718_900_000.5,
                rotation_type: None,
                wrapped: (0u8..=255).collect(),
            },
            StoredMaterial {
                id: "f".repeat(64),
                created: 1_718_900_001.25,
                rotation_type: Some(RotationType::OnDemand),
                wrapped: vec![0, 1, 2, 0xff],
            },
        ],
        ext,
    }
}

/// An alias record for `target` named `name` in (`account`, `region`).
fn sample_alias(account: &str, region: &str, name: &str, target: &str) -> AliasRecord {
    AliasRecord {
        account_id: account.to_string(),
        region: region.to_string(),
        alias_name: name.to_string(),
        target_key_id: target.to_string(),
        creation_date: 1_718_900_000.333_333_3,
        last_updated_date: 1_718_900_000.333_333_3,
    }
}

/// Inserts one [`sample_key`] and returns it.
async fn put_key(store: &dyn KeyStore, account: &str, region: &str) -> KeyRecord {
    let key = sample_key(&uid(), account, region);
    ok(store.insert_key(&key).await, "insert_key");
    key
}

fn ids(page: &Page<KeyRecord>) -> Vec<String> {
    page.items.iter().map(|k| k.key_id.clone()).collect()
}

fn alias_names(page: &Page<AliasRecord>) -> Vec<String> {
    page.items.iter().map(|a| a.alias_name.clone()).collect()
}

/// insert / get round trip, duplicate ids (even across accounts) and misses.
pub async fn key_crud(store: &dyn KeyStore) {
    let account = fresh_account();
    let key = put_key(store, &account, "us-east-1").await;

    let got = ok(store.get_key(&key.key_id).await, "get_key after insert");
    assert_eq!(got.as_ref(), Some(&key), "conformance: get_key must return the inserted record unchanged");

    expect_err(store.insert_key(&key).await, &StoreError::AlreadyExists, "insert_key with a taken id");
    let mut elsewhere = key.clone();
    elsewhere.account_id = fresh_account();
    elsewhere.region = "eu-west-1".into();
    expect_err(
        store.insert_key(&elsewhere).await,
        &StoreError::AlreadyExists,
        "insert_key with a taken id in another account/region",
    );
    let still = ok(store.get_key(&key.key_id).await, "get_key after rejected duplicate");
    assert_eq!(still.as_ref(), Some(&key), "conformance: a rejected duplicate insert must not change the stored key");

    assert!(
        ok(store.get_key(&uid()).await, "get_key missing").is_none(),
        "conformance: get_key of an unknown id must be None"
    );
}

/// `update_key` is a compare-and-swap on `version`.
pub async fn key_update_cas(store: &dyn KeyStore) {
    let account = fresh_account();
    let key = put_key(store, &account, "us-east-1").await;

    // Success: stored version is key.version - 1.
    let mut v2 = key.clone();
    v2.version = key.version + 1;
    v2.description = "updated".into();
    v2.key_state = KeyState::Disabled;
    v2.tags.push(Tag { tag_key: "new".into(), tag_value: "tag".into() });
    ok(store.update_key(&v2).await, "update_key with the next version");
    let got = ok(store.get_key(&key.key_id).await, "get_key after update");
    assert_eq!(got.as_ref(), Some(&v2), "conformance: update_key must store the new record, version bumped");

    // Stale: another writer already produced v2.
    let mut stale = key.clone();
    stale.version = key.version + 1;
    stale.description = "lost writer".into();
    expect_err(store.update_key(&stale).await, &StoreError::Conflict, "update_key from a stale version");
    // Not bumped: same version as stored.
    expect_err(store.update_key(&v2).await, &StoreError::Conflict, "update_key without bumping the version");
    // Too far ahead.
    let mut ahead = v2.clone();
    ahead.version = v2.version + 5;
    expect_err(store.update_key(&ahead).await, &StoreError::Conflict, "update_key skipping versions");
    let got = ok(store.get_key(&key.key_id).await, "get_key after conflicts");
    assert_eq!(got.as_ref(), Some(&v2), "conformance: a conflicting update must leave the stored key unchanged");

    // Chained success.
    let mut v3 = v2.clone();
    v3.version += 1;
    v3.key_state = KeyState::Enabled;
    ok(store.update_key(&v3).await, "update_key v3");
    assert_eq!(ok(store.get_key(&key.key_id).await, "get_key v3").map(|k| k.version), Some(v3.version));

    // Missing key.
    let mut missing = sample_key(&uid(), &account, "us-east-1");
    missing.version = 2;
    expect_err(store.update_key(&missing).await, &StoreError::NotFound, "update_key of an unknown key");
    assert!(
        ok(store.get_key(&missing.key_id).await, "get_key after update of unknown").is_none(),
        "conformance: update_key must not create a key"
    );
}

/// `delete_key` removes the key and exactly the aliases pointing at it.
pub async fn key_delete_cascades_aliases(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "us-west-2";
    let doomed = put_key(store, &account, region).await;
    let kept = put_key(store, &account, region).await;
    let a1 = sample_alias(&account, region, "alias/doomed-1", &doomed.key_id);
    let a2 = sample_alias(&account, region, "alias/doomed-2", &doomed.key_id);
    let a3 = sample_alias(&account, region, "alias/kept", &kept.key_id);
    for a in [&a1, &a2, &a3] {
        ok(store.insert_alias(a).await, "insert_alias before delete_key");
    }

    ok(store.delete_key(&doomed.key_id).await, "delete_key");
    assert!(
        ok(store.get_key(&doomed.key_id).await, "get_key after delete").is_none(),
        "conformance: deleted key still readable"
    );
    for a in [&a1, &a2] {
        assert!(
            ok(store.get_alias(&account, region, &a.alias_name).await, "get_alias after delete_key").is_none(),
            "conformance: delete_key must delete alias {} pointing at the key",
            a.alias_name
        );
    }
    let page =
        ok(store.list_aliases(&account, region, Some(&doomed.key_id), None, 100).await, "list_aliases after delete");
    assert!(page.items.is_empty(), "conformance: aliases of a deleted key still listed: {:?}", alias_names(&page));
    assert_eq!(
        ok(store.get_alias(&account, region, &a3.alias_name).await, "get_alias of another key's alias").as_ref(),
        Some(&a3),
        "conformance: delete_key must not touch aliases of other keys"
    );
    assert_eq!(ok(store.get_key(&kept.key_id).await, "get other key").as_ref(), Some(&kept));

    expect_err(store.delete_key(&doomed.key_id).await, &StoreError::NotFound, "delete_key twice");
    expect_err(store.delete_key(&uid()).await, &StoreError::NotFound, "delete_key of an unknown id");

    // The id is free again.
    ok(store.insert_key(&doomed).await, "insert_key reusing a deleted id");
    ok(store.delete_key(&doomed.key_id).await, "delete_key of the re-inserted key");
}

/// `list_keys` pages in key-id order with a correct `truncated` flag.
pub async fn key_list_pagination(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "ap-southeast-2";
    let mut all = Vec::new();
    for _ in 0..5 {
        all.push(put_key(store, &account, region).await.key_id);
    }
    all.sort();

    // Walk with limit 2: 2 + 2 + 1.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let page = ok(store.list_keys(&account, region, after.as_deref(), 2).await, "list_keys page");
        assert!(page.items.len() <= 2, "conformance: list_keys returned {} items for limit 2", page.items.len());
        pages.push((page.items.len(), page.truncated));
        seen.extend(ids(&page));
        if !page.truncated {
            break;
        }
        after = page.items.last().map(|k| k.key_id.clone());
        assert!(pages.len() <= 5, "conformance: list_keys pagination does not terminate");
    }
    assert_eq!(pages, vec![(2, true), (2, true), (1, false)], "conformance: list_keys page sizes / truncated flags");
    assert_eq!(seen, all, "conformance: list_keys pages must cover every key once, in key-id order");

    let page = ok(store.list_keys(&account, region, None, 5).await, "list_keys limit = count");
    assert_eq!(
        (ids(&page), page.truncated),
        (all.clone(), false),
        "conformance: limit equal to the count is not truncated"
    );
    let page = ok(store.list_keys(&account, region, None, 100).await, "list_keys large limit");
    assert_eq!((ids(&page), page.truncated), (all.clone(), false), "conformance: list_keys with a large limit");
    let page = ok(store.list_keys(&account, region, None, 4).await, "list_keys limit = count - 1");
    assert_eq!((ids(&page), page.truncated), (all[..4].to_vec(), true), "conformance: limit one short is truncated");
    let page = ok(store.list_keys(&account, region, Some(&all[4]), 10).await, "list_keys after the last key");
    assert!(
        page.items.is_empty() && !page.truncated,
        "conformance: listing after the last key must be empty and not truncated"
    );
    // `after` is a position, not necessarily an existing id.
    let between = format!("{}~", all[1]);
    let page = ok(store.list_keys(&account, region, Some(&between), 10).await, "list_keys after a non-existent id");
    assert_eq!(
        ids(&page),
        all[2..].to_vec(),
        "conformance: list_keys after a non-existent id starts at the next greater id"
    );
    // Records come back whole.
    let page = ok(store.list_keys(&account, region, None, 1).await, "list_keys one");
    let first = ok(store.get_key(&all[0]).await, "get first key");
    assert_eq!(page.items.first(), first.as_ref(), "conformance: list_keys must return full records");
}

/// Listings and counts are scoped to one (account, region).
pub async fn key_list_isolation_and_count(store: &dyn KeyStore) {
    let a = fresh_account();
    let b = fresh_account();
    let mut a1 = Vec::new();
    for _ in 0..3 {
        a1.push(put_key(store, &a, "us-east-1").await.key_id);
    }
    let mut a2 = Vec::new();
    for _ in 0..2 {
        a2.push(put_key(store, &a, "eu-central-1").await.key_id);
    }
    let b1 = vec![put_key(store, &b, "us-east-1").await.key_id];
    a1.sort();
    a2.sort();

    for (account, region, want) in [(&a, "us-east-1", &a1), (&a, "eu-central-1", &a2), (&b, "us-east-1", &b1)] {
        let page = ok(store.list_keys(account, region, None, 100).await, "list_keys isolation");
        assert_eq!(&ids(&page), want, "conformance: list_keys({account}, {region}) must list only that scope");
        let n = ok(store.count_keys(account, region).await, "count_keys");
        assert_eq!(n, want.len() as u64, "conformance: count_keys({account}, {region})");
    }
    assert_eq!(ok(store.count_keys(&b, "eu-central-1").await, "count_keys empty scope"), 0);
    let page = ok(store.list_keys(&b, "eu-central-1", None, 10).await, "list_keys empty scope");
    assert!(page.items.is_empty() && !page.truncated, "conformance: list_keys of an empty scope");

    ok(store.delete_key(&a1[0]).await, "delete_key for count");
    assert_eq!(
        ok(store.count_keys(&a, "us-east-1").await, "count_keys after delete"),
        2,
        "conformance: count_keys after delete_key"
    );
}

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

/// Alias insert / get / update / delete and their error cases.
pub async fn alias_crud(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "us-east-2";
    let k1 = put_key(store, &account, region).await;
    let k2 = put_key(store, &account, region).await;
    let alias = sample_alias(&account, region, "alias/app/Prod_key-1", &k1.key_id);

    ok(store.insert_alias(&alias).await, "insert_alias");
    assert_eq!(
        ok(store.get_alias(&account, region, &alias.alias_name).await, "get_alias").as_ref(),
        Some(&alias),
        "conformance: get_alias must return the inserted alias"
    );
    let mut dup = alias.clone();
    dup.target_key_id = k2.key_id.clone();
    expect_err(store.insert_alias(&dup).await, &StoreError::AlreadyExists, "insert_alias with a taken name");
    assert_eq!(
        ok(store.get_alias(&account, region, &alias.alias_name).await, "get_alias after duplicate")
            .map(|a| a.target_key_id),
        Some(k1.key_id.clone()),
        "conformance: a rejected duplicate alias must not retarget the alias"
    );

    // The same name is free in another region and another account.
    let other_region = sample_alias(&account, "eu-west-3", &alias.alias_name, &k2.key_id);
    ok(store.insert_alias(&other_region).await, "insert_alias same name, other region");
    let other_account = sample_alias(&fresh_account(), region, &alias.alias_name, &k2.key_id);
    ok(store.insert_alias(&other_account).await, "insert_alias same name, other account");
    // Names are case-sensitive.
    let upper = sample_alias(&account, region, "alias/APP/prod_key-1", &k2.key_id);
    ok(store.insert_alias(&upper).await, "insert_alias differing only in case");

    // Retarget.
    let mut moved = alias.clone();
    moved.target_key_id = k2.key_id.clone();
    moved.last_updated_date = alias.last_updated_date + 60.0;
    ok(store.update_alias(&moved).await, "update_alias");
    assert_eq!(
        ok(store.get_alias(&account, region, &alias.alias_name).await, "get_alias after update").as_ref(),
        Some(&moved),
        "conformance: update_alias must store the new target and dates"
    );
    assert_eq!(
        ok(store.get_alias(&account, "eu-west-3", &alias.alias_name).await, "get other-region alias").as_ref(),
        Some(&other_region),
        "conformance: update_alias must touch only its own (account, region)"
    );
    let ghost = sample_alias(&account, region, "alias/ghost", &k1.key_id);
    expect_err(store.update_alias(&ghost).await, &StoreError::NotFound, "update_alias of an unknown alias");
    assert!(
        ok(store.get_alias(&account, region, "alias/ghost").await, "get_alias after update of unknown").is_none(),
        "conformance: update_alias must not create an alias"
    );

    // Delete.
    ok(store.delete_alias(&account, region, &alias.alias_name).await, "delete_alias");
    assert!(
        ok(store.get_alias(&account, region, &alias.alias_name).await, "get_alias after delete").is_none(),
        "conformance: deleted alias still readable"
    );
    expect_err(
        store.delete_alias(&account, region, &alias.alias_name).await,
        &StoreError::NotFound,
        "delete_alias twice",
    );
    assert!(
        ok(store.get_alias(&account, "eu-west-3", &alias.alias_name).await, "other-region alias after delete")
            .is_some(),
        "conformance: delete_alias must delete only its own (account, region)"
    );
    assert!(
        ok(store.get_key(&k1.key_id).await, "key after alias delete").is_some(),
        "conformance: delete_alias must not delete the key"
    );
    assert!(ok(store.get_alias(&account, region, "alias/never").await, "get_alias missing").is_none());
}

/// `list_aliases`: name order, pagination, target filter and scope isolation.
pub async fn alias_list(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "ca-central-1";
    let k1 = put_key(store, &account, region).await;
    let k2 = put_key(store, &account, region).await;
    // Inserted out of order; byte order puts upper case before lower case.
    let names_k1 = ["alias/c", "alias/A", "alias/e"];
    let names_k2 = ["alias/b", "alias/d"];
    for n in names_k1 {
        ok(store.insert_alias(&sample_alias(&account, region, n, &k1.key_id)).await, "insert_alias for listing");
    }
    for n in names_k2 {
        ok(store.insert_alias(&sample_alias(&account, region, n, &k2.key_id)).await, "insert_alias for listing");
    }
    // Noise in neighbouring scopes.
    ok(
        store.insert_alias(&sample_alias(&account, "us-east-1", "alias/b2", &k1.key_id)).await,
        "insert_alias other region",
    );
    ok(
        store.insert_alias(&sample_alias(&fresh_account(), region, "alias/b3", &k1.key_id)).await,
        "insert_alias other account",
    );

    let mut all: Vec<String> = names_k1.iter().chain(names_k2.iter()).map(|s| s.to_string()).collect();
    all.sort();
    let mut only_k1: Vec<String> = names_k1.iter().map(|s| s.to_string()).collect();
    only_k1.sort();

    let page = ok(store.list_aliases(&account, region, None, None, 100).await, "list_aliases all");
    assert_eq!(
        (alias_names(&page), page.truncated),
        (all.clone(), false),
        "conformance: list_aliases of one scope, by name"
    );
    let first = page.items.first().cloned();
    assert_eq!(
        first.map(|a| a.target_key_id),
        Some(k1.key_id.clone()),
        "conformance: list_aliases must return full records"
    );

    // Pages of 2 across the whole scope.
    let mut seen = Vec::new();
    let mut flags = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = ok(store.list_aliases(&account, region, None, after.as_deref(), 2).await, "list_aliases page");
        flags.push((page.items.len(), page.truncated));
        seen.extend(alias_names(&page));
        if !page.truncated {
            break;
        }
        after = page.items.last().map(|a| a.alias_name.clone());
        assert!(flags.len() <= 5, "conformance: list_aliases pagination does not terminate");
    }
    assert_eq!(flags, vec![(2, true), (2, true), (1, false)], "conformance: list_aliases page sizes / truncated flags");
    assert_eq!(seen, all, "conformance: list_aliases pages must cover every alias once");

    // Target filter, alone and with pagination.
    let page = ok(store.list_aliases(&account, region, Some(&k1.key_id), None, 100).await, "list_aliases by target");
    assert_eq!(
        (alias_names(&page), page.truncated),
        (only_k1.clone(), false),
        "conformance: list_aliases filtered by target"
    );
    let page =
        ok(store.list_aliases(&account, region, Some(&k1.key_id), None, 2).await, "list_aliases by target, page 1");
    assert_eq!((alias_names(&page), page.truncated), (only_k1[..2].to_vec(), true), "conformance: filtered page 1");
    let page = ok(
        store.list_aliases(&account, region, Some(&k1.key_id), Some(&only_k1[1]), 2).await,
        "list_aliases by target, page 2",
    );
    assert_eq!((alias_names(&page), page.truncated), (only_k1[2..].to_vec(), false), "conformance: filtered page 2");
    let page = ok(store.list_aliases(&account, region, Some(&uid()), None, 10).await, "list_aliases unknown target");
    assert!(page.items.is_empty() && !page.truncated, "conformance: list_aliases for a key without aliases");
    let page = ok(store.list_aliases(&account, region, None, Some("alias/c"), 10).await, "list_aliases after a name");
    assert_eq!(
        alias_names(&page),
        vec!["alias/d".to_string(), "alias/e".to_string()],
        "conformance: list_aliases after a name"
    );
}

/// Documents: insert / put / get / delete and listing by scope and across scopes.
pub async fn docs(store: &dyn KeyStore) {
    let kind = format!("conformance-{}", uid());
    let other_kind = format!("conformance-other-{}", uid());
    let doc = |scope: &str, id: &str, body: &str| Doc {
        kind: kind.clone(),
        scope: scope.into(),
        id: id.into(),
        body: body.into(),
    };

    let s1b = doc("111122223333/us-east-1", "b", r#"{"n":1}"#);
    let s1a = doc("111122223333/us-east-1", "a", r#"{"n":2,"s":"\u00e9"}"#);
    let s2a = doc("111122223333/eu-west-1", "a", "{}");
    for d in [&s1b, &s1a, &s2a] {
        ok(store.insert_doc(d).await, "insert_doc");
    }
    assert_eq!(
        ok(store.get_doc(&kind, &s1a.scope, "a").await, "get_doc").as_ref(),
        Some(&s1a),
        "conformance: get_doc round trip"
    );
    expect_err(
        store.insert_doc(&doc(&s1b.scope, "b", "{\"n\":99}")).await,
        &StoreError::AlreadyExists,
        "insert_doc duplicate",
    );
    assert_eq!(
        ok(store.get_doc(&kind, &s1b.scope, "b").await, "get_doc after duplicate").as_ref(),
        Some(&s1b),
        "conformance: a rejected duplicate insert_doc must not change the body"
    );
    // Same (scope, id) under another kind is a different document.
    let foreign = Doc { kind: other_kind.clone(), ..s1b.clone() };
    ok(store.insert_doc(&foreign).await, "insert_doc same scope/id, other kind");

    // put replaces ...
    let s1b2 = doc(&s1b.scope, "b", r#"{"n":3}"#);
    ok(store.put_doc(&s1b2).await, "put_doc replace");
    assert_eq!(
        ok(store.get_doc(&kind, &s1b.scope, "b").await, "get_doc after put").as_ref(),
        Some(&s1b2),
        "conformance: put_doc must replace"
    );
    assert_eq!(
        ok(store.get_doc(&other_kind, &s1b.scope, "b").await, "get other kind").as_ref(),
        Some(&foreign),
        "conformance: put_doc must not touch another kind"
    );
    // ... and inserts.
    let s1c = doc(&s1b.scope, "c", "[]");
    ok(store.put_doc(&s1c).await, "put_doc insert");
    assert_eq!(ok(store.get_doc(&kind, &s1c.scope, "c").await, "get_doc after put insert").as_ref(), Some(&s1c));

    // Listing.
    let in_s1 = ok(store.list_docs(&kind, Some(&s1a.scope)).await, "list_docs by scope");
    assert_eq!(in_s1, vec![s1a.clone(), s1b2.clone(), s1c.clone()], "conformance: list_docs in one scope, by id");
    let every = ok(store.list_docs(&kind, None).await, "list_docs all scopes");
    // "…/eu-west-1" < "…/us-east-1".
    assert_eq!(
        every,
        vec![s2a.clone(), s1a.clone(), s1b2.clone(), s1c.clone()],
        "conformance: list_docs across scopes, by (scope, id), one kind only"
    );
    assert!(ok(store.list_docs(&kind, Some("nowhere")).await, "list_docs empty scope").is_empty());

    // Delete.
    ok(store.delete_doc(&kind, &s1a.scope, "a").await, "delete_doc");
    assert!(
        ok(store.get_doc(&kind, &s1a.scope, "a").await, "get_doc after delete").is_none(),
        "conformance: deleted doc still readable"
    );
    expect_err(store.delete_doc(&kind, &s1a.scope, "a").await, &StoreError::NotFound, "delete_doc twice");
    expect_err(store.delete_doc(&kind, "nowhere", "zz").await, &StoreError::NotFound, "delete_doc unknown");
    assert!(
        ok(store.get_doc(&kind, &s2a.scope, "a").await, "same id other scope after delete").is_some(),
        "conformance: delete_doc must delete only its own scope"
    );
    let every = ok(store.list_docs(&kind, None).await, "list_docs after delete");
    assert_eq!(every, vec![s2a, s1b2, s1c], "conformance: list_docs after delete_doc");
    assert!(ok(store.get_doc(&kind, "nowhere", "a").await, "get_doc missing").is_none());
}

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

/// `insert_key_capped`: counts customer managed keys of one account and
/// region in any key state, never AWS managed keys; refuses at the cap with
/// the usage and writes nothing; a duplicate id is `AlreadyExists` first; a
/// deleted key frees its slot.
pub async fn capped_keys(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "ap-south-1";
    let cap = 3;
    let mut keys = Vec::new();
    for state in [KeyState::Enabled, KeyState::PendingDeletion, KeyState::Disabled] {
        let mut k = sample_key(&uid(), &account, region);
        k.key_state = state;
        ok(store.insert_key_capped(&k, cap).await, "insert_key_capped under the cap");
        keys.push(k);
    }
    let over = sample_key(&uid(), &account, region);
    expect_err(
        store.insert_key_capped(&over, cap).await,
        &StoreError::LimitReached { usage: 3 },
        "insert_key_capped at the cap (a key pending deletion counts)",
    );
    assert!(
        ok(store.get_key(&over.key_id).await, "get refused key").is_none(),
        "conformance: a key refused by insert_key_capped must not be stored"
    );
    expect_err(
        store.insert_key_capped(&keys[0], cap).await,
        &StoreError::AlreadyExists,
        "insert_key_capped duplicate id at the cap",
    );
    // AWS managed keys neither count nor are refused.
    let mut aws = sample_key(&uid(), &account, region);
    aws.key_manager = KeyManager::Aws;
    ok(store.insert_key_capped(&aws, cap).await, "insert_key_capped AWS managed key at the cap");
    let mut aws2 = sample_key(&uid(), &account, region);
    aws2.key_manager = KeyManager::Aws;
    ok(store.insert_key_capped(&aws2, 0).await, "insert_key_capped AWS managed key, cap 0");
    expect_err(
        store.insert_key_capped(&over, cap).await,
        &StoreError::LimitReached { usage: 3 },
        "insert_key_capped: AWS managed keys must not count",
    );
    // Other regions and accounts have their own count.
    ok(store.insert_key_capped(&sample_key(&uid(), &account, "eu-north-1"), 1).await, "capped key, other region");
    ok(store.insert_key_capped(&sample_key(&uid(), &fresh_account(), region), 1).await, "capped key, other account");
    expect_err(
        store.insert_key_capped(&sample_key(&uid(), &fresh_account(), region), 0).await,
        &StoreError::LimitReached { usage: 0 },
        "insert_key_capped with cap 0",
    );
    // Deleting frees a slot; a state change does not.
    let mut pending = keys[0].clone();
    pending.key_state = KeyState::PendingDeletion;
    pending.version += 1;
    ok(store.update_key(&pending).await, "schedule deletion");
    expect_err(
        store.insert_key_capped(&over, cap).await,
        &StoreError::LimitReached { usage: 3 },
        "insert_key_capped after a state change",
    );
    ok(store.delete_key(&keys[1].key_id).await, "delete for a free slot");
    ok(store.insert_key_capped(&over, cap).await, "insert_key_capped after a delete");
    assert_eq!(ok(store.get_key(&over.key_id).await, "get capped key").as_ref(), Some(&over));
}

/// `insert_alias_capped` / `update_alias_capped`: aliases per target key,
/// `alias/aws/` names excluded, nothing written when refused, deletes free.
pub async fn capped_aliases(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "sa-east-1";
    let k = put_key(store, &account, region).await;
    let other = put_key(store, &account, region).await;
    let cap = 2;
    let caps = AliasCaps::per_key(cap);
    let a1 = sample_alias(&account, region, "alias/c1", &k.key_id);
    let a2 = sample_alias(&account, region, "alias/c2", &k.key_id);
    let a3 = sample_alias(&account, region, "alias/c3", &k.key_id);
    ok(store.insert_alias_capped(&a1, caps).await, "insert_alias_capped 1");
    ok(store.insert_alias_capped(&a2, caps).await, "insert_alias_capped 2");
    expect_err(store.insert_alias_capped(&a3, caps).await, &StoreError::LimitReached { usage: 2 }, "alias at the cap");
    assert!(
        ok(store.get_alias(&account, region, "alias/c3").await, "get refused alias").is_none(),
        "conformance: an alias refused by insert_alias_capped must not be stored"
    );
    expect_err(store.insert_alias_capped(&a1, caps).await, &StoreError::AlreadyExists, "duplicate alias at the cap");
    // AWS-created aliases neither count nor are refused.
    let aws = sample_alias(&account, region, "alias/aws/conformance", &k.key_id);
    ok(store.insert_alias_capped(&aws, caps).await, "insert_alias_capped alias/aws/ at the cap");
    expect_err(
        store.insert_alias_capped(&a3, caps).await,
        &StoreError::LimitReached { usage: 2 },
        "alias/aws/ names must not count",
    );
    // Lookalikes of the AWS prefix do count.
    ok(
        store
            .insert_alias_capped(&sample_alias(&account, region, "alias/AWS/x", &other.key_id), AliasCaps::per_key(1))
            .await,
        "AWS/",
    );
    expect_err(
        store
            .insert_alias_capped(&sample_alias(&account, region, "alias/awsx", &other.key_id), AliasCaps::per_key(1))
            .await,
        &StoreError::LimitReached { usage: 1 },
        "alias/AWS/ is not alias/aws/",
    );
    ok(store.delete_alias(&account, region, "alias/AWS/x").await, "delete lookalike");

    // Moving an alias onto a full key is refused and leaves it where it was.
    let b = sample_alias(&account, region, "alias/c-moving", &other.key_id);
    ok(store.insert_alias_capped(&b, caps).await, "insert alias on the other key");
    let mut moved = b.clone();
    moved.target_key_id = k.key_id.clone();
    moved.last_updated_date += 1.0;
    expect_err(
        store.update_alias_capped(&moved, cap).await,
        &StoreError::LimitReached { usage: 2 },
        "update_alias_capped onto a full key",
    );
    assert_eq!(
        ok(store.get_alias(&account, region, &b.alias_name).await, "get unmoved alias").as_ref(),
        Some(&b),
        "conformance: a refused update_alias_capped must not change the alias"
    );
    // Re-pointing at the key it already targets is not a move.
    let mut same = a1.clone();
    same.last_updated_date += 5.0;
    ok(store.update_alias_capped(&same, cap).await, "update_alias_capped to its own target at the cap");
    expect_err(
        store.update_alias_capped(&sample_alias(&account, region, "alias/none", &k.key_id), cap).await,
        &StoreError::NotFound,
        "update_alias_capped missing alias",
    );
    // A delete frees a slot, for a move and for a create.
    ok(store.delete_alias(&account, region, "alias/c2").await, "delete alias");
    ok(store.update_alias_capped(&moved, cap).await, "update_alias_capped after a delete");
    assert_eq!(ok(store.get_alias(&account, region, &b.alias_name).await, "get moved").as_ref(), Some(&moved));
    expect_err(store.insert_alias_capped(&a3, caps).await, &StoreError::LimitReached { usage: 2 }, "full again");
    ok(store.delete_alias(&account, region, "alias/c1").await, "delete alias c1");
    ok(store.insert_alias_capped(&a3, caps).await, "insert_alias_capped after a delete");
}

/// `insert_alias_capped` with a per-region cap: customer-created aliases of
/// one account and region, `alias/aws/` names excluded; the per-key cap is
/// checked first; nothing written when refused; moves within the region are
/// not limited by it; deletes free.
pub async fn capped_aliases_per_region(store: &dyn KeyStore) {
    let account = fresh_account();
    let region = "af-south-1";
    let (k, other) = (put_key(store, &account, region).await, put_key(store, &account, region).await);
    let caps = AliasCaps { per_key: 2, per_region: 3 };
    let alias = |name: &str, target: &KeyRecord| sample_alias(&account, region, name, &target.key_id);
    ok(store.insert_alias_capped(&alias("alias/r1", &k), caps).await, "per-region 1");
    ok(store.insert_alias_capped(&alias("alias/r2", &other), caps).await, "per-region 2");
    ok(store.insert_alias_capped(&alias("alias/r3", &other), caps).await, "per-region 3 (the other key is now full)");
    // The region is full while key k still has room: SecondLimitReached.
    let r4 = alias("alias/r4", &k);
    expect_err(
        store.insert_alias_capped(&r4, caps).await,
        &StoreError::SecondLimitReached { usage: 3 },
        "insert_alias_capped at the per-region cap",
    );
    assert!(
        ok(store.get_alias(&account, region, "alias/r4").await, "get refused alias").is_none(),
        "conformance: an alias refused by the per-region cap must not be stored"
    );
    // Key and region both full: the per-key cap is reported.
    expect_err(
        store.insert_alias_capped(&alias("alias/r5", &other), caps).await,
        &StoreError::LimitReached { usage: 2 },
        "insert_alias_capped: the per-key cap is checked first",
    );
    expect_err(
        store.insert_alias_capped(&alias("alias/r1", &k), caps).await,
        &StoreError::AlreadyExists,
        "duplicate alias at the per-region cap",
    );
    // AWS-created aliases neither count nor are refused; lookalikes count.
    ok(store.insert_alias_capped(&alias("alias/aws/region", &k), caps).await, "alias/aws/ at the per-region cap");
    expect_err(
        store.insert_alias_capped(&alias("alias/AWS/r", &k), caps).await,
        &StoreError::SecondLimitReached { usage: 3 },
        "alias/AWS/ is not alias/aws/ (and alias/aws/ names must not count)",
    );
    // Other regions and accounts have their own count; no region cap means none.
    let elsewhere = sample_alias(&account, "eu-south-1", "alias/r4", &uid());
    ok(store.insert_alias_capped(&elsewhere, AliasCaps { per_key: 10, per_region: 1 }).await, "other region");
    let stranger = sample_alias(&fresh_account(), region, "alias/r4", &uid());
    ok(store.insert_alias_capped(&stranger, AliasCaps { per_key: 10, per_region: 1 }).await, "other account");
    // Moving an alias within the region is not a new alias in the region.
    let mut moved = alias("alias/r2", &k);
    moved.last_updated_date += 1.0;
    ok(store.update_alias_capped(&moved, caps.per_key).await, "move within a full region");
    // A delete frees a place in the region.
    ok(store.delete_alias(&account, region, "alias/r3").await, "delete for a free place");
    ok(store.insert_alias_capped(&r4, AliasCaps { per_key: 10, per_region: 3 }).await, "after a delete");
    assert_eq!(ok(store.get_alias(&account, region, "alias/r4").await, "get r4").as_ref(), Some(&r4));
    expect_err(
        store.insert_alias_capped(&alias("alias/r6", &other), AliasCaps { per_key: 10, per_region: 3 }).await,
        &StoreError::SecondLimitReached { usage: 3 },
        "full region again",
    );
    // A cap of 0 refuses every new alias.
    expect_err(
        store
            .insert_alias_capped(
                &sample_alias(&fresh_account(), region, "alias/z", &uid()),
                AliasCaps { per_key: 5, per_region: 0 },
            )
            .await,
        &StoreError::SecondLimitReached { usage: 0 },
        "per-region cap 0",
    );
}

/// `insert_doc_capped`: documents per (kind, scope), nothing written when
/// refused, duplicates `AlreadyExists`, deletes free.
pub async fn capped_docs(store: &dyn KeyStore) {
    let kind = format!("conformance-capped-{}", uid());
    let doc = |scope: &str, id: &str| Doc { kind: kind.clone(), scope: scope.into(), id: id.into(), body: "{}".into() };
    let (s, t) = ("key-1", "key-2");
    ok(store.insert_doc_capped(&doc(s, "a"), 2).await, "insert_doc_capped 1");
    ok(store.insert_doc_capped(&doc(s, "b"), 2).await, "insert_doc_capped 2");
    expect_err(store.insert_doc_capped(&doc(s, "c"), 2).await, &StoreError::LimitReached { usage: 2 }, "doc cap");
    assert!(
        ok(store.get_doc(&kind, s, "c").await, "get refused doc").is_none(),
        "conformance: a document refused by insert_doc_capped must not be stored"
    );
    expect_err(store.insert_doc_capped(&doc(s, "a"), 2).await, &StoreError::AlreadyExists, "duplicate doc at cap");
    // Other scopes and kinds have their own count.
    ok(store.insert_doc_capped(&doc(t, "c"), 1).await, "insert_doc_capped other scope");
    let foreign = Doc { kind: format!("{kind}-other"), ..doc(s, "c") };
    ok(store.insert_doc_capped(&foreign, 1).await, "insert_doc_capped other kind");
    ok(store.delete_doc(&kind, s, "a").await, "delete doc");
    ok(store.insert_doc_capped(&doc(s, "c"), 2).await, "insert_doc_capped after a delete");
    assert_eq!(ok(store.list_docs(&kind, Some(s)).await, "list capped docs").len(), 2);
}

/// `insert_doc_capped_in_group`: documents per (kind, scope) and, within the
/// scope, per group; the scope cap is checked first; nothing written when
/// refused; the group survives `put_doc`, is not part of the document read
/// back, and leaves with `delete_doc`; ungrouped documents count only per scope.
pub async fn capped_docs_in_group(store: &dyn KeyStore) {
    let kind = format!("conformance-grouped-{}", uid());
    let doc = |scope: &str, id: &str| Doc { kind: kind.clone(), scope: scope.into(), id: id.into(), body: "{}".into() };
    let (s, t) = ("key-1", "key-2");
    let (bob, carol) = ("arn:aws:iam::111122223333:user/bob", "arn:aws:iam::111122223333:user/carol");
    ok(store.insert_doc_capped_in_group(&doc(s, "a"), 4, bob, 2).await, "grouped 1");
    ok(store.insert_doc_capped_in_group(&doc(s, "b"), 4, bob, 2).await, "grouped 2");
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "c"), 4, bob, 2).await,
        &StoreError::SecondLimitReached { usage: 2 },
        "insert_doc_capped_in_group at the group cap",
    );
    assert!(
        ok(store.get_doc(&kind, s, "c").await, "get refused doc").is_none(),
        "conformance: a document refused by the group cap must not be stored"
    );
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "a"), 4, bob, 2).await,
        &StoreError::AlreadyExists,
        "duplicate grouped doc at the group cap",
    );
    // Another group, scope or kind has its own group count.
    ok(store.insert_doc_capped_in_group(&doc(s, "c"), 4, carol, 2).await, "other group");
    ok(store.insert_doc_capped_in_group(&doc(t, "a"), 4, bob, 1).await, "same group, other scope");
    let foreign = Doc { kind: format!("{kind}-other"), ..doc(s, "z") };
    ok(store.insert_doc_capped_in_group(&foreign, 4, bob, 1).await, "same group, other kind");
    // The group is kept beside the document, not in it.
    assert_eq!(ok(store.get_doc(&kind, s, "a").await, "get grouped doc"), Some(doc(s, "a")));
    // Replacing the body keeps the group.
    ok(store.put_doc(&Doc { body: r#"{"v":2}"#.into(), ..doc(s, "a") }).await, "put_doc over a grouped doc");
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "d"), 4, bob, 2).await,
        &StoreError::SecondLimitReached { usage: 2 },
        "put_doc must keep the group",
    );
    // Ungrouped documents count toward the scope cap only; the scope cap is checked first.
    ok(store.insert_doc_capped(&doc(s, "u"), 4).await, "ungrouped doc in the scope");
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "d"), 4, "nobody-yet", 2).await,
        &StoreError::LimitReached { usage: 4 },
        "insert_doc_capped_in_group at the scope cap",
    );
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "d"), 4, bob, 2).await,
        &StoreError::LimitReached { usage: 4 },
        "scope and group both full: the scope cap is reported",
    );
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "d"), 10, carol, 0).await,
        &StoreError::SecondLimitReached { usage: 1 },
        "group cap 0",
    );
    // No group limit means none.
    ok(store.insert_doc_capped_in_group(&doc(s, "d"), 10, bob, u64::MAX).await, "group cap u64::MAX");
    // A delete frees its place in the group.
    ok(store.delete_doc(&kind, s, "d").await, "delete grouped doc d");
    ok(store.delete_doc(&kind, s, "a").await, "delete grouped doc a");
    ok(store.insert_doc_capped_in_group(&doc(s, "e"), 10, bob, 2).await, "after a delete");
    expect_err(
        store.insert_doc_capped_in_group(&doc(s, "f"), 10, bob, 2).await,
        &StoreError::SecondLimitReached { usage: 2 },
        "full group again",
    );
    assert_eq!(ok(store.list_docs(&kind, Some(s)).await, "list grouped docs").len(), 4);
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
