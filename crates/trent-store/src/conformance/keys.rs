//! Key records: insert / get, compare-and-swap updates, deletion (with its
//! aliases), paged listing, and per-(account, region) isolation and counts.

use trent_core::key::model::{KeyState, Tag};
use trent_core::store::{KeyStore, StoreError};

use super::fixtures::{alias_names, expect_err, fresh_account, ids, ok, put_key, sample_alias, sample_key, uid};

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

/// `list_all_keys` walks every account and region in store-id order (the
/// key id; a multi-Region key's carries its region, so related keys that
/// other cases left in the store appear once each).
pub async fn key_list_all(store: &dyn KeyStore) {
    let mut mine = Vec::new();
    for (account, region) in [(fresh_account(), "us-east-1"), (fresh_account(), "eu-west-3")] {
        for _ in 0..3 {
            mine.push(put_key(store, &account, region).await.key_id);
        }
    }
    mine.sort();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10_000 {
        let page = ok(store.list_all_keys(after.as_deref(), 2).await, "list_all_keys page");
        assert!(page.items.len() <= 2, "conformance: list_all_keys returned {} items for limit 2", page.items.len());
        seen.extend(page.items.iter().map(|k| k.store_id()));
        if !page.truncated {
            break;
        }
        after = page.items.last().map(|k| k.store_id());
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "conformance: list_all_keys must be in store-id order without repeats");
    // Other cases share the store, so other keys may appear between ours.
    for id in &mine {
        assert!(seen.contains(id), "conformance: list_all_keys missed {id}");
    }
}

/// Related multi-Region keys share their key id across regions: each is its
/// own record under its store id (`mrk-…@REGION`), updated and deleted
/// alone, and deleting one takes only its own region's aliases.
pub async fn multi_region_keys_share_an_id(store: &dyn KeyStore) {
    use trent_core::key::model::{split_store_id, store_id};
    let account = fresh_account();
    let key_id = format!("mrk-{}", uid().replace('-', ""));
    let mut primary = sample_key(&key_id, &account, "us-east-1");
    primary.multi_region = true;
    let mut replica = primary.clone();
    replica.region = "eu-west-1".into();
    replica.description = "replica".into();
    ok(store.insert_key(&primary).await, "insert_key primary");
    ok(store.insert_key(&replica).await, "insert_key replica with the primary's id in another region");
    expect_err(store.insert_key(&replica).await, &StoreError::AlreadyExists, "insert_key of the same region twice");
    let (east, west) = (store_id(&key_id, "us-east-1"), store_id(&key_id, "eu-west-1"));
    assert_eq!(split_store_id(&west), (key_id.as_str(), Some("eu-west-1")));
    let got = ok(store.get_key(&west).await, "get_key replica");
    assert_eq!(got.as_ref(), Some(&replica), "conformance: each region's record is its own");
    assert_eq!(ok(store.get_key(&east).await, "get_key primary").as_ref(), Some(&primary));
    let mut changed = replica.clone();
    changed.version += 1;
    changed.description = "changed".into();
    ok(store.update_key(&changed).await, "update_key replica");
    assert_eq!(
        ok(store.get_key(&east).await, "get_key primary after replica update").map(|k| k.description),
        Some(primary.description.clone()),
        "conformance: updating a replica must not touch its primary"
    );
    // "Aliases per key" counts each related key's own aliases.
    let one = trent_core::store::AliasCaps::per_key(1);
    for region in ["us-east-1", "eu-west-1"] {
        let alias = sample_alias(&account, region, "alias/mrk", &key_id);
        ok(store.insert_alias_capped(&alias, one).await, "insert_alias_capped, one per related key");
    }
    expect_err(
        store.insert_alias_capped(&sample_alias(&account, "us-east-1", "alias/mrk-2", &key_id), one).await,
        &StoreError::LimitReached { usage: 1 },
        "insert_alias_capped over the per-key cap of one related key",
    );
    ok(store.delete_key(&west).await, "delete_key replica");
    assert!(ok(store.get_key(&west).await, "get_key deleted replica").is_none());
    assert!(ok(store.get_key(&east).await, "get_key primary after replica deletion").is_some());
    assert!(
        ok(store.get_alias(&account, "eu-west-1", "alias/mrk").await, "get_alias replica").is_none(),
        "conformance: a deleted replica's aliases go with it"
    );
    assert!(
        ok(store.get_alias(&account, "us-east-1", "alias/mrk").await, "get_alias primary").is_some(),
        "conformance: deleting a replica must keep its primary's aliases"
    );
    let page = ok(store.list_keys(&account, "us-east-1", None, 10).await, "list_keys");
    assert_eq!(ids(&page), std::slice::from_ref(&key_id));
}
